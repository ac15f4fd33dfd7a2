"""A folder of folders: every subfolder is one student's submission, graded where it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import git

from grader.errors import GraderError
from grader.sources import Submission
from grader.sources.git import days_late


def from_directory(path: Path, deadline: datetime | None = None,
                   keep: Callable[[str], bool] = lambda student: True) -> list[Submission]:
    """One submission per subfolder of `path` (sorted, hidden ones skipped), named after it;
    only the students `keep` says yes to (a shard's, say).

    >>> [s.student for s in from_directory(Path("submissions"))]
    ['alice', 'bob']
    """
    if not path.is_dir():
        raise GraderError(f"{path}: no such folder")
    folders = sorted((p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    return [folder_submission(folder.name, folder, deadline) for folder in folders if keep(folder.name)]


def folder_submission(student: str, folder: Path, deadline: datetime | None = None,
                      extra: dict[str, str] | None = None) -> Submission:
    """`folder` as it is; if it is the root of a Git work tree, its HEAD commit and commit time.

    With a deadline, `late_days` says how far that commit is past it.
    """
    commit = commit_time = None
    late_days = 0.0
    if (folder / ".git").exists():
        try:
            with git.Repo(folder) as repo:
                head = repo.head.commit
                commit, commit_time = head.hexsha, head.committed_datetime
        except (git.GitError, ValueError, OSError):
            pass  # an empty or broken repository: grade the files anyway
    if commit_time is not None and deadline is not None:
        late_days = days_late(commit_time, deadline)
    return Submission(student=student, status="ok", path=folder, commit=commit, commit_time=commit_time,
                      late_days=late_days, extra=dict(extra or {}))
