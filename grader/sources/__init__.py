"""Where submissions come from: a folder of folders, a CSV of repositories, a GitHub organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Submission:
    """One student's work as a source found it.

    `path` is a folder holding exactly the files to grade (a `git archive` of `commit` for Git
    sources), or None when the status is "missing" (a roster row without a repository) or
    "unreachable" (broken, empty or unreachable repository; `reason` says why).
    """

    student: str
    status: Literal["ok", "missing", "unreachable"]
    path: Path | None = None
    reason: str | None = None
    commit: str | None = None
    commit_time: datetime | None = None  # timezone-aware
    late_days: float = 0.0  # how far the newest commit is past the deadline, in days (0: on time)
    extra: dict[str, str] = field(default_factory=dict)  # roster / CSV columns, carried to the gradebook
    repository: str | None = None  # OWNER/NAME when it is a GitHub repository (where feedback can go)
