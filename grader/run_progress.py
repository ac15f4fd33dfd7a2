"""Progress of `grader run`: a live bar on a terminal, one plain line per submission otherwise."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from grader.report.sanitize import clean
from grader.result import StudentResult, _number


class RunProgress:
    """Context manager; `start(total)` then `done(entry, reused)` for each submission."""

    def __init__(self, live: bool) -> None:
        self.live = live
        self.failures = 0
        self._progress: Progress | None = None
        self._task = None

    def __enter__(self) -> RunProgress:
        if self.live:
            self._progress = Progress(
                TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), TextColumn("{task.fields[failures]}"),
                console=Console(file=sys.stdout), transient=False,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def start(self, total: int) -> None:
        if self._progress is not None:
            self._task = self._progress.add_task("grading", total=total, rate="", failures="")
        else:
            print(f"grading {total} submissions", flush=True)

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
        task = self._progress.tasks[0]
        elapsed = task.elapsed or 0
        rate = f"{(task.completed + 1) / elapsed:.1f}/s" if elapsed > 0 else ""
        failures = f"[red]{self.failures} not graded" if self.failures else ""
        self._progress.update(self._task, advance=1, rate=rate, failures=failures)
        if entry.status != "graded":
            self._progress.console.print(line, markup=False, highlight=False)
