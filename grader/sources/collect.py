"""`--from SOURCE` → submissions on disk: fetch repositories in parallel, pick commits, export them."""

from __future__ import annotations

import os
import queue
import re
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import git

from grader.errors import GraderError
from grader.shard import Shard
from grader.sources import Submission
from grader.sources.csvsource import read_rows
from grader.sources.git import MiB, FetchError, choose_commit, export, fetch, scrub
from grader.sources.github import list_repositories, parse_source
from grader.sources.local import folder_submission, from_directory
from grader.sources.roster import read_roster

UNKNOWN_SOURCE = "unknown source {!r} (expected a folder, a .csv file or github:ORG/PREFIX)"


@dataclass(frozen=True)
class _Target:
    """What a source says about one student before anything is fetched."""

    student: str
    extra: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    folder: Path | None = None
    token: str | None = None
    reason: str | None = None  # already known to be unreachable
    repository: str | None = None  # OWNER/NAME on GitHub
    known: Submission | None = None  # a folder's, ready as it is


@dataclass(frozen=True)
class _Options:
    cache: Path
    work: Path
    deadline: datetime | None
    grade_newest: bool
    max_mb: int
    cancel: threading.Event


def collect(source: str, *, cache: Path, work: Path, deadline: datetime | None, grade_newest: bool,
            token: str | None, roster: Path | None, max_mb: int = 200, jobs: int = 4,
            shard: Shard | None = None) -> list[Submission]:
    """Every submission of SOURCE, sorted by student, ready to grade: `start_collecting`, waited for.

    >>> collect("github:cs101/hello-mission", cache=Path(".cache"), work=Path("work"), deadline=None,
    ...         grade_newest=False, token=os.environ.get("GITHUB_TOKEN"), roster=None)
    [Submission(student='alice', status='ok', path=PosixPath('work/alice'), ...), ...]
    """
    collection = start_collecting(source, cache=cache, work=work, deadline=deadline, grade_newest=grade_newest,
                                  token=token, roster=roster, max_mb=max_mb, jobs=jobs, shard=shard)
    with collection:
        return sorted(collection, key=lambda s: s.student.casefold())


def start_collecting(source: str, *, cache: Path, work: Path, deadline: datetime | None, grade_newest: bool,
                     token: str | None, roster: Path | None, max_mb: int = 200, jobs: int = 4,
                     shard: Shard | None = None) -> Collection:
    """The submissions of SOURCE as a Collection: its `total` is known at once, and iterating it
    hands over each submission as soon as it is ready, while the other repositories are still
    being fetched (with `shard`, only its students: the others are never fetched, and neither
    are their roster rows reported).

    SOURCE is a folder of folders (graded where they are), a .csv file of `student,repo` rows or
    `github:ORG/PREFIX`. Repositories are fetched into bare mirrors under `cache` (`jobs` at a
    time) and the chosen commit exported to `work/<student>/`. A repository that cannot be
    fetched is an "unreachable" submission with the reason; bad input raises GraderError here,
    before anything is fetched.
    """
    students = read_roster(roster) if roster is not None else None  # a bad roster fails before any fetch
    keep = shard.holds if shard is not None else (lambda student: True)
    path = Path(source)
    if path.is_dir():
        targets = [_Target(student=s.student, known=s) for s in from_directory(path, deadline, keep)]
    elif path.is_file() and path.suffix.lower() == ".csv":
        targets = [
            _Target(student=row.student, extra=row.extra, url=row.url, folder=row.folder,
                    token=token if row.url and _is_github(row.url) else None,
                    repository=_github_repository(row.url) if row.url else None)
            for row in read_rows(path) if keep(row.student)
        ]
    elif source.startswith("github:"):
        org, prefix = parse_source(source)
        targets = [
            _Target(student=repo.student, url=repo.clone_url, token=token, repository=f"{org}/{repo.name}",
                    reason=(f"repository is {repo.size_kib / 1024:.0f} MiB, over the {max_mb} MiB size cap"
                            if repo.size_kib > max_mb * 1024 else None))
            for repo in list_repositories(org, prefix, token) if keep(repo.student)
        ]
    elif path.suffix.lower() == ".csv":
        raise GraderError(f"{source}: no such file")
    else:
        raise GraderError(UNKNOWN_SOURCE.format(source))
    options = _Options(cache=cache, work=work, deadline=deadline, grade_newest=grade_newest, max_mb=max_mb,
                       cancel=threading.Event())
    on_roster = {name: row for name, row in students.items() if keep(name)} if students is not None else None
    return Collection(targets, options, jobs, on_roster)


class Collection:
    """The submissions of one source, handed over in the order they become ready.

    Submissions known without fetching (folders, unreachable, missing) come first, then each
    fetched repository's as soon as it is exported. `total` counts them all, roster rows
    included. Use it as a context manager: leaving it (or `cancel()`, from any thread) stops
    the fetches still running.
    """

    def __init__(self, targets: list[_Target], options: _Options, jobs: int,
                 roster: dict[str, dict[str, str]] | None) -> None:
        self._options = options
        self._roster = roster
        self._by_name = {name.casefold(): name for name in roster or {}}
        names = folder_names([t.student for t in targets])
        self._ready: list[Submission] = []
        by_url: dict[str, list[_Target]] = {}  # one fetch per repository, even if students share it
        for target in targets:
            if target.known is not None:
                self._ready.append(target.known)
            elif target.reason:
                self._ready.append(_unreachable(target, target.reason))
            elif target.url:
                by_url.setdefault(target.url, []).append(target)
            elif target.folder is not None:
                self._ready.append(
                    folder_submission(target.student, target.folder, options.deadline, target.extra)
                    if target.folder.is_dir() else _unreachable(target, f"no such folder: {target.folder}")
                )
            else:
                self._ready.append(_missing(target.student, target.extra))
        found = {t.student.casefold() for t in targets}
        self._absent = [name for name in roster or {} if name.casefold() not in found]
        self.total = len(targets) + len(self._absent)
        self.fetching = len(by_url)  # repositories to fetch
        self._done: queue.SimpleQueue[list[Submission] | BaseException] = queue.SimpleQueue()
        self._pool: ThreadPoolExecutor | None = None
        if by_url:
            options.work.mkdir(parents=True, exist_ok=True)
            self._pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="fetch")
            for url, group in by_url.items():
                self._pool.submit(self._fetch, url, group, names)

    def __iter__(self) -> Iterator[Submission]:
        for submission in self._ready:
            yield self._with_roster(submission)
        for name in self._absent:
            yield _missing(name, dict(self._roster[name]))  # type: ignore[index]
        for _ in range(self.fetching):
            if self._options.cancel.is_set():
                return
            item = self._done.get()
            if isinstance(item, BaseException):
                self.cancel()
                raise item
            for submission in item:
                yield self._with_roster(submission)

    def cancel(self) -> None:
        """Stop: running fetches kill their git and return at once; queued ones never start."""
        self._options.cancel.set()
        self._done.put([])  # wakes an iteration waiting for the next repository
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _fetch(self, url: str, group: list[_Target], names: dict[str, str]) -> None:
        try:
            self._done.put(_fetch_group(url, group, names, self._options))
        except BaseException as error:  # noqa: BLE001 - handed to the iterating thread, raised there
            self._done.put(error)

    def _with_roster(self, submission: Submission) -> Submission:
        """Found students get the roster's columns (theirs win); GitHub usernames ignore case."""
        name = self._by_name.get(submission.student.casefold())
        if name is None:
            return submission
        return replace(submission, extra={**self._roster[name], **submission.extra})  # type: ignore[index]


def folder_names(students: list[str]) -> dict[str, str]:
    """A folder name for each student: only letters, digits, '.', '_' and '-', no leading dot,
    unique even on case-insensitive file systems (a suffix -2, -3, … when two collide).

    >>> folder_names(["alice", "Alice", "../.bob"])
    {'../.bob': '_.bob', 'Alice': 'Alice', 'alice': 'alice-2'}
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for student in sorted(students, key=lambda s: (s.casefold(), s)):
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", student).lstrip(".")[:100] or "_"
        name, n = base, 1
        while name.casefold() in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name.casefold())
        names[student] = name
    return names


def _fetch_group(url: str, group: list[_Target], names: dict[str, str], options: _Options) -> list[Submission]:
    token = group[0].token
    try:
        repo = fetch(url, options.cache, token, options.max_mb, cancel=options.cancel)
    except FetchError as error:
        return [_unreachable(target, str(error)) for target in group]
    with repo:
        return [_export_one(repo, target, options.work / names[target.student], options) for target in group]


def _export_one(repo: git.Repo, target: _Target, folder: Path, options: _Options) -> Submission:
    try:
        chosen = choose_commit(repo, options.deadline, options.grade_newest)
        if chosen is None:
            return _unreachable(target, "no commit before the deadline")
        commit, late_days = chosen
        if folder.is_symlink() or folder.is_file():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)
        export(repo, commit.hexsha, folder, max_bytes=options.max_mb * MiB)
    except (FetchError, git.GitError, OSError, ValueError) as error:
        # One repository's trouble is one row of the gradebook, never the end of the run.
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return _unreachable(target, scrub(first_line, target.token))
    return Submission(student=target.student, status="ok", path=folder, commit=commit.hexsha,
                      commit_time=commit.committed_datetime, late_days=late_days, extra=target.extra,
                      repository=target.repository)


def _missing(student: str, extra: dict[str, str]) -> Submission:
    return Submission(student=student, status="missing", reason="no repository", extra=extra)


def _unreachable(target: _Target, reason: str) -> Submission:
    return Submission(student=target.student, status="unreachable", reason=reason, extra=target.extra,
                      repository=target.repository)


def _github_repository(url: str) -> str | None:
    """OWNER/NAME of a repository URL on GitHub (or GITHUB_SERVER_URL's host), else None.

    >>> _github_repository("https://github.com/cs101/hello-mission-ada.git")
    'cs101/hello-mission-ada'
    """
    if not _is_github(url):
        return None
    match = re.fullmatch(r"/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?", urlsplit(url).path)
    return f"{match[1]}/{match[2]}" if match else None


def _is_github(url: str) -> bool:
    # A CSV may list repositories on any host: the GitHub token goes only to GitHub's own.
    host = (urlsplit(url).hostname or "").lower()
    server = urlsplit(os.environ.get("GITHUB_SERVER_URL") or "https://github.com").hostname or "github.com"
    return host in {"github.com", server.lower()}
