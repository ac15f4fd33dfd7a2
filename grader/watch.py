"""`grader check --watch`: grade the app again on every save, from a warm grader.

A fork server (grader/warm.py, the one `grader run` uses) keeps one warm child ready: pytest
imported, the exercise's tests collected, the sandbox's agent started with Flask imported. A
change to the submission's files (seen by watchfiles, with the folders a grading never copies
ignored) sends the folder to that child, so the verdict costs only copying the files, importing
the app and running the tests. Every grading is a fresh child, exactly as in `grader check`.

On a terminal the report is redrawn in place under a status line; otherwise each grading is
printed in full, followed by one `watch:` line. Ctrl-C stops the server, its children and their
sandboxes, and removes their folders.
"""

from __future__ import annotations

import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from grader.errors import GraderError
from grader.exercise import Exercise
from grader.submission import SKIP_DIRS

# Written by the app (or by `flask run` in the student's own folder) rather than by the student.
IGNORED_FILES = (r"\.(db|sqlite3?)-journal$", r"\.log$")


def watch_filter():
    """What is a change worth grading again: watchfiles' defaults, plus what a grading never copies."""
    from watchfiles import DefaultFilter

    return DefaultFilter(
        ignore_dirs=(*DefaultFilter.ignore_dirs, *SKIP_DIRS),
        ignore_entity_patterns=(*DefaultFilter.ignore_entity_patterns, *IGNORED_FILES),
    )


def changed_names(changes: Iterable[tuple[object, str]], root: Path) -> list[str]:
    """The changed paths relative to the submission, sorted: what the status line names."""
    names = set()
    for _, path in changes:
        try:
            names.add(Path(path).resolve().relative_to(root).as_posix())
        except ValueError:
            names.add(Path(path).name)
    return sorted(names)


def watch(exercise: Exercise, path: Path, sandbox: str, *, terminal: bool | None = None,
          changes: Callable[[Path], Iterable] | None = None) -> None:
    """Grade `path` now and after every change, until Ctrl-C (or until `changes` runs out)."""
    from grader.environment import check_environment
    from grader.pool import WarmPool

    root = path.resolve()
    if not root.is_dir():
        raise GraderError(f"{path}: no such folder; give the path of the student's app (default: .)")
    if sandbox != "docker":
        check_environment([exercise], sandbox)
    display = LiveDisplay() if (sys.stdout.isatty() if terminal is None else terminal) else PlainDisplay()
    # The files are watched from now on, before the first grading: a save during it is not missed.
    watcher = FileWatcher(root) if changes is None else None
    if changes is None:
        changes = watcher.batches
    # SIGTERM (a closed terminal, `kill`) stops it the way Ctrl-C does: nothing left running.
    previous = signal.signal(signal.SIGTERM, _interrupt) if threading.current_thread() is threading.main_thread() else None
    try:
        with WarmPool(exercise, sandbox, jobs=1) as pool:
            display.grading(None)
            display.show(*_grade(pool, exercise, root, sandbox))
            for batch in changes(root):
                names = changed_names(batch, root)
                display.grading(names)
                display.show(*_grade(pool, exercise, root, sandbox), names)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if watcher is not None:
            watcher.stop()
        display.close()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


class FileWatcher:
    """watchfiles in a thread of its own, started at once; `batches()` yields what changed since
    the last batch (all the saves made during a grading come as one)."""

    def __init__(self, root: Path) -> None:
        self._batches: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(root,), name="grader-watch", daemon=True)
        self._thread.start()

    def _run(self, root: Path) -> None:
        from watchfiles import watch as watch_changes

        # step: how long a burst of writes (an editor's save) is collected before it is handed on.
        for batch in watch_changes(root, watch_filter=watch_filter(), step=30, debounce=400, stop_event=self._stop,
                                   raise_interrupt=False):
            self._batches.put(batch)

    def batches(self, root: Path):
        while True:
            try:
                batch = set(self._batches.get(timeout=0.5))  # a timeout, so that Ctrl-C is seen at once
            except queue.Empty:
                continue
            while not self._batches.empty():
                batch |= self._batches.get_nowait()
            yield batch

    def stop(self) -> None:
        self._stop.set()


def _grade(pool, exercise: Exercise, root: Path, sandbox: str):
    """(the Result, or the line that says the exercise itself is broken; seconds it took).

    A grading the grader failed (its server gone, the host out of disk) is an ungradable
    Result, reported as `grader check` reports it: no score, and not the student's fault.
    """
    from grader.result import SubmissionInfo
    from grader.sandbox.base import GraderFault
    from grader.scoring import ungradable

    started = time.monotonic()
    try:
        return pool.grade(root), time.monotonic() - started
    except GraderError as exc:
        return exc.message, time.monotonic() - started
    except GraderFault as exc:
        seconds = time.monotonic() - started
        return ungradable(exercise.load_rubric(), exc.message, submission=SubmissionInfo(path=str(root)),
                          sandbox=sandbox, duration=seconds), seconds


def _status(result, seconds: float, names: list[str] | None) -> str:
    what = "first grading" if names is None else f"{_names(names)} changed"
    score = ""
    if not isinstance(result, str):
        score = "not graded" if result.score is None else f"{_number(result.score)} / {result.max_score}"
        score = f"{score} · "
    return f"{score}{what}, graded in {seconds:.2f} s at {time.strftime('%H:%M:%S')}; watching (Ctrl-C to stop)"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _number(value: float):
    from grader.result import _number as number

    return number(value)


class PlainDisplay:
    """Not a terminal: each report in full, then one `watch:` line (easy to follow in a log)."""

    def grading(self, names: list[str] | None) -> None:
        pass

    def show(self, result, seconds: float, names: list[str] | None = None) -> None:
        from grader.report import render

        sys.stdout.write(result + "\n" if isinstance(result, str) else render(result, "text"))
        sys.stdout.write(f"watch: {_status(result, seconds, names)}\n")
        sys.stdout.flush()

    def close(self) -> None:
        sys.stdout.write("watch: stopped\n")
        sys.stdout.flush()


class LiveDisplay:
    """A terminal: the latest report redrawn in place, and a status line that says what happens."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(highlight=False)
        self.report = None
        self.live = Live(console=self.console, auto_refresh=False, vertical_overflow="visible")
        self.live.start()

    def _draw(self, status: str, style: str) -> None:
        from rich.console import Group
        from rich.text import Text

        parts = [self.report] if self.report is not None else []
        self.live.update(Group(*parts, Text(status, style=style)), refresh=True)

    def grading(self, names: list[str] | None) -> None:
        what = "starting the grader" if names is None else f"{_names(names)} changed: grading"
        self._draw(f"● {what}…", "bold cyan")

    def show(self, result, seconds: float, names: list[str] | None = None) -> None:
        from rich.text import Text

        from grader.report import render

        if isinstance(result, str):
            self.report = Text(result, style="bold red")
        else:
            self.report = Text.from_ansi(render(result, "text", color=True, width=min(self.console.width, 100)))
        self._draw(_status(result, seconds, names), "dim")

    def close(self) -> None:
        self.live.stop()
        self.console.print("stopped watching", style="dim")

