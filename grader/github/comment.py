"""The one feedback comment of a workflow run: created once, then updated in place, on a PR or a commit."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Literal

import requests

from grader.sources.git import scrub
from grader.sources.github import API_VERSION, DEFAULT_API, BearerAuth, _origin

MAX_BODY = 65_536  # characters: GitHub refuses longer comments with 422
MAX_WAIT = 60.0  # seconds, per rate-limit wait: a student's job should not hang on a comment
MAX_PAGES = 100  # of 100 items each: far past any real PR, short of a server that loops
BOT_LOGIN = "github-actions[bot]"  # whom GITHUB_TOKEN belongs to in Actions
FEEDBACK_TITLE = "Feedback"  # GitHub Classroom's feedback pull request
TRIMMED_NOTE = "*… report trimmed; see the job summary*"

_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")

Action = Literal["created", "updated", "unchanged", "skipped", "failed"]


@dataclass(frozen=True)
class CommentOutcome:
    """What became of the feedback comment; `message` is one line for the job's log, never the token."""

    posted: bool
    action: Action
    url: str | None
    message: str
    rate_limited: bool = False  # failed because GitHub's rate limit would not let it through


@dataclass(frozen=True)
class _Target:
    """Where the comment goes: a pull request (its issue comments) or a commit (commit comments)."""

    name: str  # "pull request #7", "commit 3f2a1b0"
    comments: str  # the collection's path: list with GET, create with POST
    comment: str  # one comment's path, with {id}: update with PATCH
    fork: bool = False


class _Failure(Exception):
    """Why the comment could not be posted: becomes a failed CommentOutcome, never leaves this module."""


class _RateLimited(_Failure):
    """GitHub's rate limit still stands after the waits the grader allows."""


def comment_marker(exercise: str) -> str:
    """The hidden first line by which a later run finds this exercise's comment again.

    >>> comment_marker("hello-mission")
    '<!-- grader:hello-mission -->'
    """
    return f"<!-- grader:{re.sub(r'[^A-Za-z0-9_.-]', '-', exercise)} -->"


def trim_markdown(text: str, limit: int, *, unit: Literal["characters", "bytes"] = "characters",
                  note: str = TRIMMED_NOTE) -> str:
    """`text` if it fits `limit`, else cut at a line boundary, open blocks closed, `note` appended.

    >>> trim_markdown("one\\ntwo\\nthree\\nfour\\n", 14, note="(cut)")
    'one\\ntwo\\n\\n(cut)'
    """
    size = _measure(unit)
    if size(text) <= limit:
        return text
    budget = limit - size("\n\n" + note)
    while budget > 0:
        kept = _prefix(text, budget, unit)
        if not text[len(kept):].startswith("\n") and "\n" in kept:
            kept = kept[: kept.rfind("\n")]  # a whole line or nothing of it, unless one line is all there is
        trimmed = kept + _closers(kept) + "\n\n" + note
        overflow = size(trimmed) - limit
        if overflow <= 0:
            return trimmed
        budget -= overflow
    return _prefix(note, limit, unit)


def post_feedback(markdown: str, exercise: str, env: Mapping[str, str] = os.environ, *,
                  max_retries: int = 3, timeout: float = 10,
                  sleep: Callable[[float], None] = time.sleep) -> CommentOutcome:
    """Post the Markdown report as ONE comment, or update the one an earlier run posted.

    The comment goes on the event's pull request, else on the open pull request titled
    "Feedback" (GitHub Classroom's), else on the commit. Never raises: a comment that could not
    be posted is an outcome with a one-line reason, so the student's job does not fail over it.

    Example, in the grading step of a workflow::

        outcome = post_feedback(render_markdown(result), "hello-mission")
        print(outcome.message)  # created the feedback comment on pull request #7
    """
    token = env.get("GITHUB_TOKEN", "")
    try:
        return _post(markdown, exercise, env, max_retries, timeout, sleep)
    except _Failure as failure:
        return CommentOutcome(False, "failed", None, scrub(str(failure), token), isinstance(failure, _RateLimited))
    except Exception as error:  # a bug of ours must not fail the student's job either
        return CommentOutcome(False, "failed", None,
                              scrub(f"could not post the feedback comment: {type(error).__name__}: {error}", token))


def _post(markdown: str, exercise: str, env: Mapping[str, str], max_retries: int, timeout: float,
          sleep: Callable[[float], None]) -> CommentOutcome:
    repository = env.get("GITHUB_REPOSITORY", "")
    if not _REPOSITORY.match(repository):
        return _skipped("not running in GitHub Actions (GITHUB_REPOSITORY is not owner/name)")
    token = env.get("GITHUB_TOKEN", "")
    if not token:
        return _skipped("no GITHUB_TOKEN: pass `env: GITHUB_TOKEN: ${{ github.token }}` to the grading step")
    logins = {BOT_LOGIN.casefold()} | ({env["GRADER_BOT_LOGIN"].casefold()} if env.get("GRADER_BOT_LOGIN") else set())
    marker = comment_marker(exercise)
    api = (env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")
    with _GitHub(api, token, timeout, max_retries, sleep) as github:
        target = _target(github, repository, env)
        if target is None:
            return _skipped("no pull request to comment on and no GITHUB_SHA for a commit comment")
        existing = next((c for c in github.pages(target.comments, f"reading the comments of {target.name}", target)
                         if _is_ours(c, marker, logins)), None)
        if existing is not None and existing.get("body") == _fit(marker, markdown, "characters"):
            # The same report again (a re-run): no write, which GitHub's content limits would count.
            url = existing.get("html_url")
            return CommentOutcome(True, "unchanged", url if isinstance(url, str) else None,
                                  f"the feedback comment on {target.name} is up to date")
        if existing is not None:
            response = _send_body(github, "PATCH", target.comment.format(id=existing["id"]), marker, markdown,
                                  f"updating the feedback comment on {target.name}", target)
            if response is not None:
                return _done(response, "updated", target)
            # deleted between listing and updating: post a new one
        response = _send_body(github, "POST", target.comments, marker, markdown,
                              f"posting the feedback comment on {target.name}", target)
        assert response is not None
        return _done(response, "created", target)


def _target(github: _GitHub, repository: str, env: Mapping[str, str]) -> _Target | None:
    event = _event(env.get("GITHUB_EVENT_PATH"))
    number, fork = _event_pull_request(env.get("GITHUB_EVENT_NAME", ""), event, repository)
    if number is None:
        number = next((pull["number"] for pull in github.pages(f"/repos/{repository}/pulls?state=open",
                                                               f"listing the open pull requests of {repository}")
                       if pull.get("title") == FEEDBACK_TITLE and _is_number(pull.get("number"))), None)
    if number is not None:
        return _Target(f"pull request #{number}", f"/repos/{repository}/issues/{number}/comments",
                       f"/repos/{repository}/issues/comments/{{id}}", fork)
    sha = env.get("GITHUB_SHA", "")
    if not _SHA.match(sha):
        return None
    return _Target(f"commit {sha[:7]}", f"/repos/{repository}/commits/{sha}/comments",
                   f"/repos/{repository}/comments/{{id}}")


def _event(path: str | None) -> dict:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError):
        return {}
    return event if isinstance(event, dict) else {}


def _event_pull_request(name: str, event: dict, repository: str) -> tuple[int | None, bool]:
    """The PR of a pull_request* event, or of an issue_comment on a PR; and whether it comes from a fork."""
    pull = event.get("pull_request")
    if name.startswith("pull_request") and isinstance(pull, dict) and _is_number(pull.get("number")):
        head = pull.get("head")
        origin = head.get("repo") if isinstance(head, dict) else None
        full_name = origin.get("full_name") if isinstance(origin, dict) else None
        return pull["number"], isinstance(full_name, str) and full_name.casefold() != repository.casefold()
    issue = event.get("issue")
    if name == "issue_comment" and isinstance(issue, dict) and issue.get("pull_request") \
            and _is_number(issue.get("number")):
        return issue["number"], False
    return None, False


def _is_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_ours(comment: dict, marker: str, logins: set[str]) -> bool:
    user = comment.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    body = comment.get("body")
    return (isinstance(login, str) and login.casefold() in logins and isinstance(body, str) and marker in body
            and _is_number(comment.get("id")))


def _send_body(github: _GitHub, method: str, path: str, marker: str, report: str, doing: str,
               target: _Target) -> requests.Response | None:
    """Send marker + report, trimmed to GitHub's limit; None if the comment to PATCH is gone (404).

    On "body is too long" once more, trimmed in bytes: some servers count bytes, not characters,
    and fitting the bytes fits either count.
    """
    response = github.send(method, path, doing, {"body": _fit(marker, report, "characters")})
    if response.status_code == 422 and "too long" in response.text.lower():
        response = github.send(method, path, doing, {"body": _fit(marker, report, "bytes")})
    if method == "PATCH" and response.status_code == 404:
        return None
    if response.status_code >= 400:
        raise _Failure(_refusal(response, doing, target))
    return response


def _fit(marker: str, report: str, unit: Literal["characters", "bytes"]) -> str:
    return marker + "\n" + trim_markdown(report, MAX_BODY - _measure(unit)(marker + "\n"), unit=unit)


def _done(response: requests.Response, action: Action, target: _Target) -> CommentOutcome:
    try:
        url = response.json().get("html_url")
    except (ValueError, AttributeError):
        url = None
    return CommentOutcome(True, action, url if isinstance(url, str) else None,
                          f"{action} the feedback comment on {target.name}")


def _skipped(reason: str) -> CommentOutcome:
    return CommentOutcome(False, "skipped", None, f"feedback comment skipped: {reason}")


def _refusal(response: requests.Response, doing: str, target: _Target | None) -> str:
    try:  # the standard phrase: servers (and HTTP/2) differ in what they send
        status = f"{response.status_code} {HTTPStatus(response.status_code).phrase}"
    except ValueError:
        status = str(response.status_code)
    said = f"GitHub said {status} when {doing}"
    if response.status_code == 401:
        return f"{said}: GITHUB_TOKEN was refused (expired, or not this repository's)"
    if response.status_code == 403:
        fork = " (a pull request from a fork only ever gets a read-only token)" if target and target.fork else ""
        return (f"{said}: the workflow's GITHUB_TOKEN may not write comments: add `permissions: pull-requests: write` "
                f"(and `issues: write`, `contents: write` for commit comments) to the job{fork}")
    if response.status_code == 404:
        return f"{said}: the repository or pull request was not found, or the token cannot see it"
    try:
        detail = response.json().get("message")
    except (ValueError, AttributeError):
        detail = None
    return f"{said}: {' '.join(detail.split())[:200]}" if isinstance(detail, str) and detail.strip() else said


class _GitHub:
    """GitHub's REST API with the workflow's token: rate limits waited out, a bounded number of times in all."""

    def __init__(self, api: str, token: str, timeout: float, max_retries: int, sleep: Callable[[float], None]) -> None:
        self.api, self.timeout, self.max_retries, self.sleep = api, timeout, max_retries, sleep
        self.retries_left = max_retries
        self.session = requests.Session()
        # As `auth`, not a header: requests would otherwise let a ~/.netrc entry replace it.
        self.session.auth = BearerAuth(token)
        self.session.headers.update({"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION})

    def __enter__(self) -> _GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()

    def send(self, method: str, path_or_url: str, doing: str, payload: dict | None = None) -> requests.Response:
        """The response, whatever its status, once no rate limit stands in the way; _Failure if one still does."""
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.api + path_or_url
        while True:
            try:
                response = self.session.request(method, url, json=payload, timeout=self.timeout)
            except requests.Timeout:
                raise _Failure(f"the GitHub API at {self.api} did not answer within {self.timeout:g} s "
                               f"when {doing}") from None
            except requests.RequestException as error:
                raise _Failure(f"cannot reach the GitHub API at {self.api} when {doing} "
                               f"({type(error).__name__}); check GITHUB_API_URL and the network") from None
            wait = _rate_limit_wait(response)
            if wait is None:
                return response
            if self.retries_left <= 0:
                raise _RateLimited(f"GitHub kept refusing with a rate limit when {doing}, "
                               f"after {self.max_retries} retries; the report is in the job summary")
            if wait > MAX_WAIT:
                raise _RateLimited(f"GitHub's rate limit allows the next request in {wait:.0f} s, longer than the "
                               f"{MAX_WAIT:g} s the grader waits, when {doing}; the report is in the job summary")
            self.retries_left -= 1
            self.sleep(wait)

    def pages(self, path: str, doing: str, target: _Target | None = None) -> Iterator[dict]:
        """Every item of a listing, following its Link header, only ever to the API's own host."""
        url: str | None = path + ("&" if "?" in path else "?") + "per_page=100"
        for _ in range(MAX_PAGES):
            response = self.send("GET", url, doing)
            if response.status_code != 200:
                raise _Failure(_refusal(response, doing, target))
            try:
                items = response.json()
            except ValueError:
                items = None
            if not isinstance(items, list):
                raise _Failure(f"GitHub API at {self.api} answered something that is not a list when {doing}")
            yield from (item for item in items if isinstance(item, dict))
            url = response.links.get("next", {}).get("url")
            if url is None:
                return
            if _origin(url) != _origin(self.api):  # the token goes with every page
                raise _Failure(f"GitHub API at {self.api} sent the next page to another host when {doing}")
        raise _Failure(f"GitHub API at {self.api} listed over {MAX_PAGES} pages when {doing}")


def _rate_limit_wait(response: requests.Response) -> float | None:
    """Seconds to wait before trying again if `response` is a rate limit (429, or 403 saying so), else None."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    retry_after = _seconds(headers.get("retry-after"))
    exhausted = headers.get("x-ratelimit-remaining") == "0"
    if not (response.status_code == 429 or exhausted or retry_after is not None
            or "rate limit" in response.text.lower()):
        return None  # a 403 about permissions
    if retry_after is not None:
        return retry_after
    reset = _seconds(headers.get("x-ratelimit-reset"))
    if exhausted and reset is not None:
        return max(1.0, reset - time.time())
    return MAX_WAIT  # GitHub: without a header, wait at least a minute


def _seconds(value: str | None) -> float | None:
    """A header's number (seconds, or an epoch for x-ratelimit-reset); an HTTP date as seconds from now."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def _measure(unit: Literal["characters", "bytes"]) -> Callable[[str], int]:
    return len if unit == "characters" else (lambda text: len(text.encode()))


def _prefix(text: str, size: int, unit: Literal["characters", "bytes"]) -> str:
    return text[:size] if unit == "characters" else text.encode()[:size].decode(errors="ignore")


def _closers(kept: str) -> str:
    """Close what a cut left open — a code fence, <pre>, <details> — so the note is not swallowed by it."""
    closers = ""
    if sum(1 for line in kept.splitlines() if line.lstrip().startswith("```")) % 2:
        closers += "\n```"
    closers += "\n</pre>" * max(0, kept.count("<pre") - kept.count("</pre>"))
    closers += "\n</details>" * max(0, kept.count("<details") - kept.count("</details>"))
    return closers
