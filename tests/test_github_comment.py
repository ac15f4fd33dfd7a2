"""The feedback comment: one per exercise, updated in place, on the right PR or commit; never fails the job."""

from __future__ import annotations

import itertools
import json
import socket
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask, jsonify, request

from conftest import LocalServer
from grader.github.comment import MAX_BODY, CommentOutcome, comment_marker, post_feedback, trim_markdown

TOKEN = "ghs_SeCrEt0123456789token"
REPO = "cs101/hello-mission-alice"
SHA = "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"
BOT = "github-actions[bot]"
REPORT = "## ❌ hello-mission: 80 / 100\n\n| | Criterion | Points |\n|---|---|---:|\n| ❌ | Greetings | 0 / 20 |\n"
MARKER = "<!-- grader:hello-mission -->"


class FakeGitHub(LocalServer):
    """The REST endpoints of comments and pull requests for one repository, 2 items per page.

    Every call is recorded; `fail(status, ...)` makes the next `times` calls answer that instead.
    """

    page_size = 2

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.comments: dict[int, dict] = {}  # id → {id, body, user, kind: "issue"|"commit", on: number|sha}
        self.pulls: list[dict] = []
        self.login = BOT  # who the token belongs to: the author of what it posts
        self.byte_limit: int | None = None  # answer 422 "body is too long" above this many UTF-8 bytes
        self.failures: list[tuple[int, dict, dict]] = []
        self.ids = itertools.count(1001)
        app = Flask("fake-github")

        @app.before_request
        def record():
            self.calls.append({"method": request.method, "url": request.full_path.rstrip("?"),
                               "headers": dict(request.headers), "json": request.get_json(silent=True)})
            if self.failures:
                status, headers, body = self.failures.pop(0)
                return jsonify(body), status, headers
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return jsonify(message="Bad credentials"), 401
            if not request.path.startswith(f"/repos/{REPO}/"):
                return jsonify(message="Not Found"), 404
            if request.method in ("POST", "PATCH"):
                body = request.get_json()["body"]
                if self.byte_limit is not None and len(body.encode()) > self.byte_limit:
                    return jsonify(message="Validation Failed", errors=[{
                        "resource": "IssueComment", "code": "custom", "field": "body",
                        "message": f"body is too long (maximum is {self.byte_limit} characters)"}]), 422
            return None

        @app.get(f"/repos/{REPO}/pulls")
        def pulls():
            return self.page([p for p in self.pulls if p["state"] == request.args.get("state", "open")])

        @app.route(f"/repos/{REPO}/issues/<int:number>/comments", methods=["GET", "POST"])
        def issue_comments(number: int):
            if number not in {p["number"] for p in self.pulls}:
                return jsonify(message="Not Found"), 404
            return self.collection("issue", number)

        @app.route(f"/repos/{REPO}/commits/<sha>/comments", methods=["GET", "POST"])
        def commit_comments(sha: str):
            return self.collection("commit", sha)

        @app.patch(f"/repos/{REPO}/issues/comments/<int:id>")
        def update_issue_comment(id: int):
            return self.update("issue", id)

        @app.patch(f"/repos/{REPO}/comments/<int:id>")
        def update_commit_comment(id: int):
            return self.update("commit", id)

        super().__init__(app)

    def page(self, items: list[dict]):
        page = int(request.args.get("page", 1))
        last = max(1, -(-len(items) // self.page_size))
        response = jsonify(items[(page - 1) * self.page_size: page * self.page_size])
        if page < last:
            link = f"{request.base_url}?{urlencode({**request.args, 'page': ''})}"
            response.headers["Link"] = f'<{link}{page + 1}>; rel="next", <{link}{last}>; rel="last"'
        return response

    def collection(self, kind: str, on: int | str):
        if request.method == "GET":
            return self.page([c for c in self.comments.values() if (c["kind"], c["on"]) == (kind, on)])
        return jsonify(self.add(kind, on, request.get_json()["body"], self.login)), 201

    def update(self, kind: str, id: int):
        comment = self.comments.get(id)
        if comment is None or comment["kind"] != kind:
            return jsonify(message="Not Found"), 404
        comment["body"] = request.get_json()["body"]
        return jsonify(comment)

    def add(self, kind: str, on: int | str, body: str, login: str) -> dict:
        id = next(self.ids)
        path = f"pull/{on}#issuecomment-{id}" if kind == "issue" else f"commit/{on}#commitcomment-{id}"
        self.comments[id] = {"id": id, "body": body, "user": {"login": login}, "kind": kind, "on": on,
                             "html_url": f"https://github.com/{REPO}/{path}"}
        return self.comments[id]

    def add_pull(self, number: int, title: str, state: str = "open") -> None:
        self.pulls.append({"number": number, "title": title, "state": state})

    def fail(self, status: int, body: dict | list | None = None, headers: dict | None = None, times: int = 1) -> None:
        self.failures += [(status, headers or {}, {"message": "error"} if body is None else body)] * times

    def on(self, kind: str, target: int | str) -> list[dict]:
        return [c for c in self.comments.values() if (c["kind"], c["on"]) == (kind, target)]

    def writes(self) -> list[tuple[str, str]]:
        return [(c["method"], c["url"]) for c in self.calls if c["method"] in ("POST", "PATCH")]


@pytest.fixture
def github():
    fake = FakeGitHub()
    yield fake
    fake.close()
    assert all(TOKEN not in call["url"] for call in fake.calls)


@pytest.fixture
def actions(github: FakeGitHub, tmp_path: Path):
    """Environment of a workflow run; `actions(event_name, event)` writes the event file."""

    def make(event_name: str = "push", event: dict | None = None, **extra: str) -> dict[str, str]:
        path = tmp_path / "event.json"
        path.write_text(json.dumps(event or {}))
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url, "GITHUB_REPOSITORY": REPO,
               "GITHUB_EVENT_NAME": event_name, "GITHUB_EVENT_PATH": str(path), "GITHUB_SHA": SHA}
        return {**env, **extra}

    return make


class Sleeps(list):
    """An injected sleep: records how long it was asked to wait, waits not at all."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def post(markdown: str, env: dict[str, str], **options) -> CommentOutcome:
    """post_feedback, checked for what holds in every case: one line, no token."""
    outcome = post_feedback(markdown, "hello-mission", env, **options)
    assert TOKEN not in outcome.message and "\n" not in outcome.message
    assert outcome.posted == (outcome.action in ("created", "updated", "unchanged"))
    return outcome


def pull_request_event(number: int, head_repo: str = REPO) -> dict:
    return {"action": "synchronize", "number": number,
            "pull_request": {"number": number, "head": {"repo": {"full_name": head_repo}}}}


# ── where the comment goes, and that there is only ever one ──────────────────────────────────


def test_first_run_creates_the_comment_and_the_second_updates_the_same_one(github, actions):
    github.add_pull(7, "Add greeting")
    for n in range(3):  # the bot's comment lands on the second page of the listing
        github.add("issue", 7, f"looks good {n}", "teacher")
    env = actions("pull_request", pull_request_event(7))

    first = post(REPORT, env)
    second = post(REPORT.replace("80 / 100", "100 / 100"), env)

    assert (first.posted, first.action) == (True, "created")
    assert first.message == "created the feedback comment on pull request #7"
    assert (second.action, second.message) == ("updated", "updated the feedback comment on pull request #7")
    ours = [c for c in github.on("issue", 7) if c["user"]["login"] == BOT]
    assert len(ours) == 1 and len(github.on("issue", 7)) == 4
    assert ours[0]["body"] == f"{MARKER}\n" + REPORT.replace("80 / 100", "100 / 100")
    assert first.url == second.url == ours[0]["html_url"]
    assert github.writes() == [("POST", f"/repos/{REPO}/issues/7/comments"),
                               ("PATCH", f"/repos/{REPO}/issues/comments/{ours[0]['id']}")]
    listing = [c["url"] for c in github.calls if c["method"] == "GET"]
    assert listing[-2:] == [f"/repos/{REPO}/issues/7/comments?per_page=100",
                            f"/repos/{REPO}/issues/7/comments?per_page=100&page=2"]


def test_every_request_carries_the_token_as_bearer_and_the_api_version(github, actions):
    github.add_pull(7, "Add greeting")
    post(REPORT, actions("pull_request", pull_request_event(7)))

    for call in github.calls:
        assert call["headers"]["Authorization"] == f"Bearer {TOKEN}"
        assert call["headers"]["Accept"] == "application/vnd.github+json"
        assert call["headers"]["X-Github-Api-Version"] == "2022-11-28"


def test_a_comment_by_another_user_with_the_same_marker_is_not_touched(github, actions):
    github.add_pull(7, "Add greeting")
    forged = github.add("issue", 7, f"{MARKER}\n## ✅ hello-mission: 100 / 100", "alice")

    outcome = post(REPORT, actions("pull_request", pull_request_event(7)))

    assert outcome.action == "created"
    assert forged["body"] == f"{MARKER}\n## ✅ hello-mission: 100 / 100"
    assert len(github.on("issue", 7)) == 2
    assert [method for method, _ in github.writes()] == ["POST"]


def test_another_exercise_gets_its_own_comment(github, actions):
    github.add_pull(7, "Add greeting")
    env = actions("pull_request", pull_request_event(7))
    post(REPORT, env)

    outcome = post_feedback("## templates report", "forms-and-templates", env)

    assert outcome.action == "created"
    assert sorted(c["body"].splitlines()[0] for c in github.on("issue", 7)) == [
        "<!-- grader:forms-and-templates -->", MARKER]


def test_grader_bot_login_finds_the_comments_of_an_app_token(github, actions):
    github.add_pull(7, "Add greeting")
    github.login = "classroom-grader[bot]"
    env = actions("pull_request", pull_request_event(7), GRADER_BOT_LOGIN="classroom-grader[bot]")

    post(REPORT, env)
    outcome = post(REPORT + "\nchanged\n", env)

    assert outcome.action == "updated"
    assert len(github.on("issue", 7)) == 1


@pytest.mark.parametrize("event_name, event", [
    ("pull_request", pull_request_event(7)),
    ("pull_request_target", pull_request_event(7, head_repo="bob/hello-mission-alice")),
    ("issue_comment", {"issue": {"number": 7, "pull_request": {"url": "https://api.github.com/..."}}}),
])
def test_an_event_with_a_pull_request_comments_on_that_pull_request(github, actions, event_name, event):
    github.add_pull(3, "Feedback")
    github.add_pull(7, "Add greeting")

    outcome = post(REPORT, actions(event_name, event))

    assert outcome.message == "created the feedback comment on pull request #7"
    assert len(github.on("issue", 7)) == 1 and github.on("issue", 3) == []
    assert not any("/pulls" in call["url"] for call in github.calls)


def test_an_issue_comment_on_an_issue_is_not_a_pull_request(github, actions):
    github.add_pull(4, "Feedback")

    outcome = post(REPORT, actions("issue_comment", {"issue": {"number": 9}}))

    assert outcome.message == "created the feedback comment on pull request #4"


def test_a_push_comments_on_the_open_feedback_pull_request(github, actions):
    github.add_pull(1, "Feedback", state="closed")
    github.add_pull(2, "Setup")
    github.add_pull(3, "Feedback for the teacher")
    github.add_pull(4, "Feedback")  # on the second page of open pull requests

    outcome = post(REPORT, actions("push", {"ref": "refs/heads/main", "after": SHA}))

    assert outcome.message == "created the feedback comment on pull request #4"
    assert len(github.on("issue", 4)) == 1
    assert [c["url"] for c in github.calls if "/pulls" in c["url"]] == [
        f"/repos/{REPO}/pulls?state=open&per_page=100", f"/repos/{REPO}/pulls?state=open&per_page=100&page=2"]


def test_a_push_without_a_feedback_pull_request_comments_on_the_commit_and_updates_it_next_time(github, actions):
    github.add_pull(2, "Setup")
    github.add("commit", SHA, "nice commit", "teacher")
    env = actions("push", {"ref": "refs/heads/main"})

    first = post(REPORT, env)
    second = post(REPORT.replace("80 / 100", "90 / 100"), env)

    assert (first.action, first.message) == ("created", "created the feedback comment on commit 3f2a1b0")
    assert second.action == "updated"
    ours = [c for c in github.on("commit", SHA) if c["user"]["login"] == BOT]
    assert len(ours) == 1 and second.url == ours[0]["html_url"]
    assert github.writes() == [("POST", f"/repos/{REPO}/commits/{SHA}/comments"),
                               ("PATCH", f"/repos/{REPO}/comments/{ours[0]['id']}")]


def test_the_same_report_again_writes_nothing(github, actions):
    # A re-run with nothing changed: GitHub counts every write against its content limits.
    env = actions("push", {"ref": "refs/heads/main"})
    first = post(REPORT, env)
    again = post(REPORT, env)

    assert (again.posted, again.action) == (True, "unchanged")
    assert again.message == "the feedback comment on commit 3f2a1b0 is up to date"
    assert again.url == first.url
    assert github.writes() == [("POST", f"/repos/{REPO}/commits/{SHA}/comments")]


def test_a_comment_deleted_between_listing_and_updating_is_posted_again(github, actions):
    github.add_pull(7, "Add greeting")
    env = actions("pull_request", pull_request_event(7))
    post(REPORT, env)
    github.fail(200, body=[{"id": 999_999, "body": MARKER, "user": {"login": BOT}}])  # a listing gone stale

    outcome = post(REPORT, env)

    assert outcome.action == "created"
    assert [method for method, _ in github.writes()] == ["POST", "PATCH", "POST"]


# ── when GitHub says no ──────────────────────────────────────────────────────────────────────


def test_403_is_not_posted_and_names_the_permission_the_workflow_lacks(github, actions):
    github.add_pull(7, "Add greeting")
    github.fail(403, {"message": "Resource not accessible by integration"}, times=2)
    sleeps = Sleeps()

    outcome = post(REPORT, actions("pull_request", pull_request_event(7)), sleep=sleeps)

    assert (outcome.posted, outcome.action, outcome.url) == (False, "failed", None)
    assert outcome.message.startswith("GitHub said 403 Forbidden when reading the comments of pull request #7: ")
    assert "`permissions: pull-requests: write`" in outcome.message
    assert sleeps == [] and len(github.calls) == 1  # a refusal is not retried


def test_403_on_a_pull_request_from_a_fork_says_its_token_is_read_only(github, actions):
    github.add_pull(7, "Add greeting")
    github.fail(403, {"message": "Resource not accessible by integration"})

    outcome = post(REPORT, actions("pull_request", pull_request_event(7, head_repo="bob/hello-mission-alice")))

    assert "pull-requests: write" in outcome.message and "fork" in outcome.message


def test_404_says_the_repository_or_pull_request_is_not_found(github, actions):
    env = actions("pull_request", pull_request_event(7), GITHUB_REPOSITORY="cs101/nobody")

    outcome = post(REPORT, env)

    assert (outcome.posted, outcome.action) == (False, "failed")
    assert outcome.message == ("GitHub said 404 Not Found when reading the comments of pull request #7: "
                               "the repository or pull request was not found, or the token cannot see it")


def test_401_says_the_token_was_refused(github, actions):
    outcome = post(REPORT, actions("push", GITHUB_TOKEN="ghs_expired"))

    assert outcome.action == "failed"
    assert "401 Unauthorized" in outcome.message and "GITHUB_TOKEN was refused" in outcome.message
    assert "ghs_expired" not in outcome.message


def test_422_body_too_long_trims_the_report_keeps_the_marker_and_posts(github, actions):
    github.add_pull(7, "Add greeting")
    github.byte_limit = MAX_BODY  # this server counts bytes: 40 000 "é" fit in characters, not in bytes
    report = REPORT + "".join(f"- test {n}: expected « é » {'é' * 80}\n" for n in range(450))
    assert len(report) < MAX_BODY < len(report.encode())

    outcome = post(report, actions("pull_request", pull_request_event(7)))

    assert outcome.action == "created"
    body = github.on("issue", 7)[0]["body"]
    assert len(body) <= MAX_BODY and len(body.encode()) <= MAX_BODY
    assert body.startswith(MARKER + "\n" + REPORT)
    assert body.endswith("\n\n*… report trimmed; see the job summary*")
    kept = body.removeprefix(MARKER + "\n").removesuffix("\n\n*… report trimmed; see the job summary*")
    assert report.startswith(kept + "\n")  # cut at a line boundary
    assert [method for method, _ in github.writes()] == ["POST", "POST"]  # tried once more, not more


def test_a_report_over_the_limit_is_trimmed_before_the_first_try(github, actions):
    github.add_pull(7, "Add greeting")
    report = (REPORT + "<details><summary>App output</summary>\n\n<pre>"
              + "".join(f"line {n}\n" for n in range(20_000)) + "</pre>\n</details>\n")
    assert len(report) > MAX_BODY

    outcome = post(report, actions("pull_request", pull_request_event(7)))

    body = github.on("issue", 7)[0]["body"]
    assert outcome.action == "created" and len(github.writes()) == 1
    assert len(body) <= MAX_BODY and body.startswith(MARKER + "\n")
    assert body.endswith("\n</pre>\n</details>\n\n*… report trimmed; see the job summary*")


def test_422_for_another_reason_is_reported(github, actions):
    github.add_pull(7, "Add greeting")
    github.fail(200, body=[])
    github.fail(422, {"message": "Validation Failed: issue is locked"})

    outcome = post(REPORT, actions("pull_request", pull_request_event(7)))

    assert outcome.message == ("GitHub said 422 Unprocessable Entity when posting the feedback comment on "
                               "pull request #7: Validation Failed: issue is locked")


def test_429_with_retry_after_is_retried_and_posted(github, actions):
    github.add_pull(7, "Add greeting")
    github.fail(429, {"message": "You have exceeded a secondary rate limit"}, {"Retry-After": "2"}, times=2)
    sleeps = Sleeps()

    outcome = post(REPORT, actions("pull_request", pull_request_event(7)), sleep=sleeps)

    assert outcome.action == "created"
    assert sleeps == [2.0, 2.0]
    assert len(github.on("issue", 7)) == 1


@pytest.mark.parametrize("headers, body", [
    ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "{soon}"}, {"message": "API rate limit exceeded"}),
    ({}, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}),
])
def test_403_that_is_a_rate_limit_is_waited_out_like_429(github, actions, headers, body):
    github.add_pull(7, "Add greeting")
    github.fail(403, body, {k: v.format(soon=int(time.time()) + 5) for k, v in headers.items()})
    sleeps = Sleeps()

    outcome = post(REPORT, actions("pull_request", pull_request_event(7)), sleep=sleeps)

    assert outcome.action == "created"
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 60


def test_429_forever_gives_up_after_max_retries(github, actions):
    github.add_pull(7, "Add greeting")
    github.fail(429, {"message": "rate limited"}, {"Retry-After": "1"}, times=100)
    sleeps = Sleeps()

    outcome = post(REPORT, actions("pull_request", pull_request_event(7)), max_retries=3, sleep=sleeps)

    assert (outcome.posted, outcome.action) == (False, "failed")
    assert outcome.message == ("GitHub kept refusing with a rate limit when reading the comments of pull request #7, "
                               "after 3 retries; the report is in the job summary")
    assert sleeps == [1.0, 1.0, 1.0] and len(github.calls) == 4


def test_a_rate_limit_longer_than_a_minute_is_not_waited_for(github, actions):
    github.add_pull(7, "Add greeting")
    github.fail(429, {"message": "rate limited"}, {"Retry-After": "3600"})
    sleeps = Sleeps()

    outcome = post(REPORT, actions("pull_request", pull_request_event(7)), sleep=sleeps)

    assert outcome.action == "failed" and sleeps == []
    assert "allows the next request in 3600 s, longer than the 60 s the grader waits" in outcome.message


# ── outside Actions, and when the network is not there ───────────────────────────────────────


@pytest.mark.parametrize("missing, reason", [
    ("GITHUB_TOKEN", "feedback comment skipped: no GITHUB_TOKEN"),
    ("GITHUB_REPOSITORY", "feedback comment skipped: not running in GitHub Actions"),
])
def test_without_token_or_repository_the_comment_is_skipped(github, actions, missing, reason):
    env = {k: v for k, v in actions("push").items() if k != missing}

    outcome = post(REPORT, env)

    assert (outcome.posted, outcome.action, outcome.url) == (False, "skipped", None)
    assert outcome.message.startswith(reason)
    assert github.calls == []


def test_no_pull_request_and_no_commit_is_skipped(github, actions):
    env = {k: v for k, v in actions("push").items() if k != "GITHUB_SHA"}

    outcome = post(REPORT, env)

    assert outcome.action == "skipped" and "no pull request" in outcome.message


def test_an_unreachable_api_is_a_failed_outcome_not_an_exception(actions):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    outcome = post(REPORT, actions("push", GITHUB_API_URL=f"http://127.0.0.1:{port}"), timeout=2)

    assert outcome.action == "failed"
    assert outcome.message.startswith(f"cannot reach the GitHub API at http://127.0.0.1:{port} when listing")


def test_a_broken_event_file_falls_back_to_the_feedback_pull_request(github, actions, tmp_path):
    github.add_pull(4, "Feedback")
    env = actions("pull_request")
    Path(env["GITHUB_EVENT_PATH"]).write_text("{not json")

    assert post(REPORT, env).message == "created the feedback comment on pull request #4"


def test_a_next_page_on_another_host_is_not_followed_with_the_token(github, actions):
    github.fail(200, body=[], headers={"Link": '<http://127.0.0.2:9/steal?page=2>; rel="next"'})

    outcome = post(REPORT, actions("push"))

    assert outcome.action == "failed" and "another host" in outcome.message
    assert len(github.calls) == 1


def test_the_token_is_never_in_a_message_even_when_github_echoes_it(github, actions):
    github.add_pull(7, "Add greeting")
    github.fail(200, body=[])
    github.fail(500, {"message": f"internal error for token {TOKEN}"})

    outcome = post(REPORT, actions("pull_request", pull_request_event(7)))

    assert outcome.message == ("GitHub said 500 Internal Server Error when posting the feedback comment on "
                               "pull request #7: internal error for token ***")


# ── trimming ─────────────────────────────────────────────────────────────────────────────────


def test_trim_markdown_cuts_at_a_line_and_closes_an_open_code_fence():
    text = "intro\n```\n" + "".join(f"line {n}\n" for n in range(100)) + "```\nafter\n"

    trimmed = trim_markdown(text, 200, note="(trimmed)")

    assert len(trimmed) <= 200
    assert trimmed.endswith("\n```\n\n(trimmed)")
    assert text.startswith(trimmed.removesuffix("\n```\n\n(trimmed)") + "\n")
    assert trim_markdown(text, len(text)) == text


def test_comment_marker_cannot_close_its_html_comment():
    assert comment_marker("hello-mission") == MARKER
    assert comment_marker("x --><img src=y>") == "<!-- grader:x-----img-src-y- -->"
