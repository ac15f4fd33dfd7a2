"""`--from SOURCE` → submissions on disk: fetch repositories in parallel, pick commits, export them."""

from __future__ import annotations

import os
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
from grader.sources.roster import read_roster, with_roster

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
    """Every submission of SOURCE, sorted by student, ready to grade (with `shard`, only its
    students: the others are never fetched, and neither are their roster rows reported).

    SOURCE is a folder of folders (graded where they are), a .csv file of `student,repo` rows or
    `github:ORG/PREFIX`. Repositories are fetched into bare mirrors under `cache` (`jobs` at a
    time) and the chosen commit exported to `work/<student>/`. A repository that cannot be
    fetched is an "unreachable" submission with the reason; bad input raises GraderError.

    >>> collect("github:cs101/hello-mission", cache=Path(".cache"), work=Path("work"), deadline=None,
    ...         grade_newest=False, token=os.environ.get("GITHUB_TOKEN"), roster=None)
    [Submission(student='alice', status='ok', path=PosixPath('work/alice'), ...), ...]
    """
    students = read_roster(roster) if roster is not None else None  # a bad roster fails before any fetch
    keep = shard.holds if shard is not None else (lambda student: True)
    path = Path(source)
    if path.is_dir():
        submissions = from_directory(path, deadline, keep)
    elif path.is_file() and path.suffix.lower() == ".csv":
        targets = [
            _Target(student=row.student, extra=row.extra, url=row.url, folder=row.folder,
                    token=token if row.url and _is_github(row.url) else None,
                    repository=_github_repository(row.url) if row.url else None)
            for row in read_rows(path) if keep(row.student)
        ]
        submissions = _gather(targets, cache, work, deadline, grade_newest, max_mb, jobs)
    elif source.startswith("github:"):
        org, prefix = parse_source(source)
        targets = [
            _Target(student=repo.student, url=repo.clone_url, token=token, repository=f"{org}/{repo.name}",
                    reason=(f"repository is {repo.size_kib / 1024:.0f} MiB, over the {max_mb} MiB size cap"
                            if repo.size_kib > max_mb * 1024 else None))
            for repo in list_repositories(org, prefix, token) if keep(repo.student)
        ]
        submissions = _gather(targets, cache, work, deadline, grade_newest, max_mb, jobs)
    elif path.suffix.lower() == ".csv":
        raise GraderError(f"{source}: no such file")
    else:
        raise GraderError(UNKNOWN_SOURCE.format(source))
    if students is not None:
        submissions = with_roster(submissions, {name: row for name, row in students.items() if keep(name)})
    return sorted(submissions, key=lambda s: s.student.casefold())


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


def _gather(targets: list[_Target], cache: Path, work: Path, deadline: datetime | None, grade_newest: bool,
            max_mb: int, jobs: int) -> list[Submission]:
    options = _Options(cache=cache, work=work, deadline=deadline, grade_newest=grade_newest, max_mb=max_mb,
                       cancel=threading.Event())
    names = folder_names([t.student for t in targets])
    submissions: list[Submission] = []
    by_url: dict[str, list[_Target]] = {}  # one fetch per repository, even if students share it
    for target in targets:
        if target.reason:
            submissions.append(_unreachable(target, target.reason))
        elif target.url:
            by_url.setdefault(target.url, []).append(target)
        elif target.folder is not None:
            submissions.append(
                folder_submission(target.student, target.folder, deadline, target.extra) if target.folder.is_dir()
                else _unreachable(target, f"no such folder: {target.folder}")
            )
        else:
            submissions.append(Submission(student=target.student, status="missing", reason="no repository",
                                          extra=target.extra))
    if by_url:
        work.mkdir(parents=True, exist_ok=True)
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="fetch")
    try:
        futures = [pool.submit(_fetch_group, url, group, names, options) for url, group in by_url.items()]
        for future in futures:
            submissions.extend(future.result())
    except BaseException:
        options.cancel.set()  # Ctrl-C: running fetches kill their git and return at once
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return submissions


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
