"""Progress of `grader run`: a live bar on a terminal, one plain line per submission otherwise."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from grader.report.sanitize import clean
from grader.result import StudentResult, _number
from grader.sources import Submission


class RunProgress:
    """Context manager; `start(total, fetching)`, then `ready(submission)` as each arrives and
    `done(entry, reused)` as each is graded. While repositories are fetched, a second bar shows
    how many submissions are ready (grading has begun with the first)."""

    def __init__(self, live: bool) -> None:
        self.live = live
        self.failures = 0
        self._progress: Progress | None = None
        self._task = None
        self._fetch_task = None
        self._total = 0
        self._fetching = 0
        self._arrived = 0
        self._began = 0.0

    def __enter__(self) -> RunProgress:
        if self.live:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), TextColumn("{task.fields[failures]}"),
                console=Console(file=sys.stdout), transient=False,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def start(self, total: int, fetching: int = 0) -> None:
        self._total, self._fetching, self._began = total, fetching, time.monotonic()
        if self._progress is not None:
            if fetching:
                self._fetch_task = self._progress.add_task("fetching", total=total, rate="", failures="")
            self._task = self._progress.add_task("grading ", total=total, rate="", failures="")
        else:
            fetch = f", fetching {fetching} repositor{'ies' if fetching != 1 else 'y'} meanwhile" if fetching else ""
            print(f"grading {total} submissions{fetch}", flush=True)

    def ready(self, submission: Submission) -> None:
        """A submission arrived (fetched and exported, or known at once)."""
        self._arrived += 1
        if self._fetch_task is not None:
            self._progress.update(self._fetch_task, advance=1)  # type: ignore[union-attr]
        elif self._progress is None and self._fetching and self._arrived == self._total:
            print(f"fetched {self._fetching} repositor{'ies' if self._fetching != 1 else 'y'} in "
                  f"{time.monotonic() - self._began:.1f} s", flush=True)

    def retry(self, student: str, reason: str, attempt: int) -> None:
        """A grading the grader failed: logged, then tried again."""
        line = f"{clean(student, 60)}: the grader failed ({clean(reason, 160)}); grading again (attempt {attempt + 1})"
        if self._progress is None:
            print(line, flush=True)
        else:
            self._progress.console.print(line, markup=False, highlight=False)

    def done(self, entry: StudentResult, reused: bool) -> None:
        if entry.status != "graded":
            self.failures += 1
        name = clean(entry.student, 60)
        score = "no score" if entry.score is None else f"{_number(entry.score)} / {entry.max_score}"
        line = f"{name}: {entry.status}, {score}" + (" (unchanged)" if reused else "")
        if entry.status != "graded" and entry.reason:
            line += f" — {clean(entry.reason, 120)}"
        if self._progress is None:
            print(line, flush=True)
            return
        task = next(t for t in self._progress.tasks if t.id == self._task)
        elapsed = task.elapsed or 0
        rate = f"{(task.completed + 1) / elapsed:.1f}/s" if elapsed > 0 else ""
        failures = f"[red]{self.failures} not graded" if self.failures else ""
        self._progress.update(self._task, advance=1, rate=rate, failures=failures)
        if entry.status != "graded":
            self._progress.console.print(line, markup=False, highlight=False)
