"""How the pytest session of one grading is started: its arguments, its environment, its process.

Light on purpose (the standard library only): `grader check` imports it first and starts the
test process before it imports anything else, so that both start up at once on two cores.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from grader.child import clean_environment
from grader.warm import CHILD_FAILED, Spec, kill_grading, run_child

if TYPE_CHECKING:
    from grader.exercise import Exercise

_EARLY: tuple[Exercise, str, TestProcess] | None = None  # TestProcess.start_early's, until claimed


class GradingCancelled(Exception):
    """`CANCEL` was set while a submission was being graded; its partial result is dropped."""


CANCEL = threading.Event()  # set it (e.g. on Ctrl-C in `grader run`) to stop every grading in progress


class TestProcess:
    """The test process of one grading, started before its submission is known.

    It is grader/warm.py's single-use child (`--once`): it prepares its sandbox (the agent starts
    and imports Flask) and collects the tests, then waits on its stdin for the submission. Its
    scratch folder `work` receives records.jsonl and pytest.log.

        process = TestProcess.fork(exercise, "process")   # or .start(): a fresh interpreter
        process.give(copy_of_the_submission)
        returncode = process.wait(backstop_seconds)   # None: the backstop killed it
    """

    def __init__(self, pid: int, stdin: int, work: Path, popen: subprocess.Popen | None = None) -> None:
        self.pid = pid
        self.work = work
        self.returncode: int | None = None
        self._stdin: int | None = stdin
        self._popen = popen  # told the exit code once reaped here, so that it never reaps (or warns) itself
        try:  # wakes the wait the moment the process ends (Linux 5.3+), where polling would lag
            self._pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self._pidfd = None

    @classmethod
    def start(cls, exercise: Exercise, sandbox: str, image: str | None = None, run_id: str | None = None) -> TestProcess:
        """The test process as a fresh interpreter (`python -I -m grader.warm --once`): safe from any caller."""
        work = Path(tempfile.mkdtemp(prefix="grader-"))
        spec = _spec(exercise, sandbox, image, run_id, work)
        try:
            popen = subprocess.Popen(
                [sys.executable, "-I", "-m", "grader.warm", "--once", spec.dump()], cwd=work,
                env=clean_environment(work), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True,
            )
        except BaseException:
            os.rmdir(work)
            raise
        stdin = os.dup(popen.stdin.fileno())
        popen.stdin.close()
        return cls(popen.pid, stdin, work, popen)

    @classmethod
    def fork(cls, exercise: Exercise, sandbox: str) -> TestProcess:
        """The test process as a fork of this one: no second interpreter to start up (about 40 ms).

        Only a single-threaded caller may fork (a lock held by another thread would stay locked in
        the child), and only one whose imports are what `python -I` would give (the `grader`
        command's are; `python -m` from a submission's folder is not); otherwise this is `start()`. The child is what `--once` runs:
        its own session, a clean environment, its files closed but its stdin's pipe.
        """
        if threading.active_count() > 1 or not hasattr(os, "fork") or not _imports_isolated():
            return cls.start(exercise, sandbox)
        work = Path(tempfile.mkdtemp(prefix="grader-"))
        spec = _spec(exercise, sandbox, None, None, work)
        read, write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except BaseException:
            os.close(read)
            os.close(write)
            os.rmdir(work)
            raise
        if pid == 0:  # the child: never returns, never runs the caller's code after the fork
            try:
                os.setsid()
                os.closerange(3, read)
                os.closerange(read + 1, _open_max())
            except BaseException:  # noqa: BLE001 - told by the exit code, like run_child's own failures
                os._exit(CHILD_FAILED)
            run_child(spec, work, read)
        os.close(read)
        return cls(pid, write, work)

    @classmethod
    def start_early(cls, exercise: Exercise, sandbox: str) -> None:
        """Fork the test process a `grader check` is about to ask for (grader/launch.py), before it asks."""
        global _EARLY
        if _EARLY is None:
            _EARLY = (exercise, sandbox, cls.fork(exercise, sandbox))

    @classmethod
    def claim(cls, exercise: Exercise, sandbox: str) -> TestProcess | None:
        """The early test process if it is for this exercise and sandbox (once); else None, and it is killed."""
        global _EARLY
        early, _EARLY = _EARLY, None
        if early is None:
            return None
        if (early[0].root, early[0].rubric_path, early[1]) == (exercise.root, exercise.rubric_path, sandbox):
            return early[2]
        early[2].discard()
        return None

    @classmethod
    def abandon_early(cls) -> None:
        """Kill an early test process nobody claimed (the command failed, or was not what it looked like)."""
        global _EARLY
        early, _EARLY = _EARLY, None
        if early is not None:
            early[2].discard()

    def discard(self) -> None:
        """Kill it and remove its folder: it never graded anything."""
        from grader.sandbox.process import remove_tree

        self.kill()
        remove_tree(self.work)

    def give(self, submission: Path) -> None:
        """Hand the test process the (private copy of the) submission it grades."""
        if self._stdin is None:
            return
        try:
            os.write(self._stdin, json.dumps({"submission": str(submission)}).encode() + b"\n")
        except OSError:
            pass  # it has died already: its exit code and log say why
        self._close_stdin()

    def wait(self, backstop: float) -> int | None:
        """pytest's exit code; None when the backstop ran out (then it is killed)."""
        deadline = time.monotonic() + backstop
        while True:
            if CANCEL.is_set():
                self.kill()
                raise GradingCancelled()
            code = self._reap(min(0.2, max(0.0, deadline - time.monotonic())))
            if code is not None:
                return code
            if time.monotonic() >= deadline:
                self.kill()
                return None

    def kill(self) -> None:
        """Kill the test process and everything it started (its session); wait for it."""
        if self.returncode is None:
            kill_grading(self.pid)
        self._close_stdin()
        self._reap(None)

    def _reap(self, timeout: float | None) -> int | None:
        """The exit code once the process has ended (waiting up to `timeout`; None: for good); else None."""
        if self.returncode is not None:
            return self.returncode
        if timeout is not None:
            if self._pidfd is not None:
                select.select([self._pidfd], [], [], timeout)
            ended, status = os.waitpid(self.pid, os.WNOHANG)
            if self._pidfd is None and not ended:  # no pidfd: poll, briefly
                end = time.monotonic() + timeout
                while not ended and time.monotonic() < end:
                    time.sleep(min(0.005, timeout))
                    ended, status = os.waitpid(self.pid, os.WNOHANG)
            if not ended:
                return None
        else:
            _, status = os.waitpid(self.pid, 0)
        self.returncode = os.waitstatus_to_exitcode(status)
        if self._popen is not None:
            self._popen.returncode = self.returncode
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        return self.returncode

    def _close_stdin(self) -> None:
        if self._stdin is not None:
            try:
                os.close(self._stdin)
            except OSError:
                pass
            self._stdin = None


def _spec(exercise: Exercise, sandbox: str, image: str | None, run_id: str | None, work: Path) -> Spec:
    return Spec(exercise.slug, str(exercise.root), str(exercise.rubric_path), sandbox, image, run_id,
                spare=1, backstop=0, scratch=str(work))


def _imports_isolated() -> bool:
    """Whether nothing on sys.path is the working directory or from PYTHONPATH, as with `python -I`:
    a submission's folder, or a `pytest.py` beside it, must never be importable in the test process."""
    if os.environ.get("PYTHONPATH"):
        return False
    cwd = os.getcwd()
    return all(entry and os.path.abspath(entry) != cwd for entry in sys.path)


def _open_max() -> int:
    try:
        return max(os.sysconf("SC_OPEN_MAX"), 256)
    except (ValueError, OSError):
        return 65536
