"""`github:ORG/PREFIX`: the repositories of an organisation named PREFIX-<username>, via the REST API."""

from __future__ import annotations

import os
import re
from http import HTTPStatus
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from grader.errors import GraderError

DEFAULT_API = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT = 30.0
MAX_PAGES = 1000  # 100 000 repositories: far past any organisation, short of a server that loops

_SOURCE = re.compile(r"^github:(?P<org>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/(?P<prefix>[A-Za-z0-9._-]+)$")


@dataclass(frozen=True)
class Repository:
    """One student's repository as the API lists it; `size_kib` is GitHub's own estimate."""

    student: str
    name: str
    clone_url: str
    size_kib: int


def parse_source(source: str) -> tuple[str, str]:
    """("ORG", "PREFIX") from "github:ORG/PREFIX"; GraderError if it is not that shape.

    >>> parse_source("github:cs101/hello-mission")
    ('cs101', 'hello-mission')
    """
    match = _SOURCE.match(source)
    if not match:
        raise GraderError(f"{source}: expected github:ORG/PREFIX, e.g. github:cs101/hello-mission")
    return match["org"], match["prefix"]


class BearerAuth(AuthBase):
    """`Authorization: Bearer TOKEN` as requests auth, so that no ~/.netrc entry can replace it."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def api_url() -> str:
    """The REST API root: $GITHUB_API_URL (as GitHub Actions and Enterprise set it) or github.com's."""
    return (os.environ.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")


def list_repositories(org: str, prefix: str, token: str | None) -> list[Repository]:
    """Every repository of `org` named `PREFIX-<username>` (case-insensitive), sorted by student.

    Follows the API's pagination; 401/403, an unknown organisation, a network failure or an
    answer that is not a list of repositories raise GraderError (one line).
    """
    api = api_url()
    url: str | None = f"{api}/orgs/{org}/repos?per_page=100&type=all"
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    found: dict[str, Repository] = {}
    pages = 0
    with requests.Session() as session:
        session.headers.update(headers)
        if token:
            session.auth = BearerAuth(token)
        while url is not None:
            pages += 1
            if pages > MAX_PAGES:
                raise GraderError(f"GitHub API at {api} listed over {MAX_PAGES} pages of repositories for {org}")
            response = _get(session, url, api, org)
            for repository in _repositories(response, org):
                name = repository.get("name")
                if not isinstance(name, str) or not name.lower().startswith(prefix.lower() + "-"):
                    continue
                student = name[len(prefix) + 1:]
                clone_url, size = repository.get("clone_url"), repository.get("size", 0)
                if not student or not isinstance(clone_url, str) or not isinstance(size, int):
                    continue
                found[student.casefold()] = Repository(student=student, name=name, clone_url=clone_url, size_kib=size)
            url = response.links.get("next", {}).get("url")
            if url is not None and _origin(url) != _origin(api):
                # The token goes with every page: never to a host other than the API's own.
                raise GraderError(f"GitHub API at {api} sent the next page of {org} to another host: {_origin(url)}")
    return sorted(found.values(), key=lambda r: r.student.casefold())


def _get(session: requests.Session, url: str, api: str, org: str) -> requests.Response:
    try:
        response = session.get(url, timeout=TIMEOUT, allow_redirects=False)
    except requests.Timeout:
        raise GraderError(f"GitHub API at {api} did not answer within {TIMEOUT:g} s") from None
    except requests.RequestException as error:
        detail = type(error).__name__ if isinstance(error, requests.ConnectionError) else str(error).splitlines()[0]
        raise GraderError(f"cannot reach the GitHub API at {api} ({detail}); check GITHUB_API_URL and the network") from None
    try:  # the standard phrase: servers (and HTTP/2) differ in what they send
        status = f"{response.status_code} {HTTPStatus(response.status_code).phrase}"
    except ValueError:
        status = str(response.status_code)
    if response.status_code in (401, 403):
        raise GraderError(f"GitHub said {status} for {org}: check GITHUB_TOKEN or --token")
    if response.status_code == 404:
        raise GraderError(f"GitHub said 404 Not Found for {org}: no such organisation, or the token cannot see it")
    if response.status_code != 200:
        raise GraderError(f"GitHub said {status} for {org} at {api}; try again later")
    return response


def _repositories(response: requests.Response, org: str) -> list[dict]:
    try:
        page = response.json()
    except ValueError:
        page = None
    if not isinstance(page, list) or not all(isinstance(item, dict) for item in page):
        raise GraderError(f"GitHub API answered something that is not a list of repositories for {org}")
    return page


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"
