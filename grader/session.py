"""How the pytest session of one grading is started: its arguments, its environment, its process.

Light on purpose (the standard library only): `grader check` imports it first and starts the
test process before it imports anything else, so that both start up at once on two cores.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from grader.warm import Spec

if TYPE_CHECKING:
    from grader.exercise import Exercise

EXERCISE_INI = Path(__file__).with_name("exercise.ini")
# Environment variables the test process keeps; tokens and CI secrets never reach student code.
# DOCKER_*: where the Docker engine is (its address and TLS files, never a secret of a student's).
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT", "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")


def pytest_arguments(exercise: Exercise, submission: Path | str, records: Path, options: list[str]) -> list[str]:
    """pytest's arguments for one grading: the grader's own ini, rootdir and plugin; nothing of the submission's."""
    tests = str(exercise.tests_dir)
    return [
        tests, "-c", str(EXERCISE_INI), "--rootdir", tests, "--confcutdir", tests,
        "-p", "grader.plugin", "-p", "no:cacheprovider", "--import-mode=importlib",
        "-q", "--no-header",
        "--grader-submission", str(submission),
        *options,
        "--grader-rubric", str(exercise.rubric_path),
        "--grader-records", str(records),
    ]


def clean_environment(work: Path) -> dict[str, str]:
    """The environment pytest runs in: no tokens or CI secrets; HOME and TMPDIR in scratch space."""
    env = {k: v for k, v in os.environ.items() if k in KEEP_ENV}
    env.update(HOME=str(work / "home"), TMPDIR=str(work), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONHASHSEED="0")
    return env


class GradingCancelled(Exception):
    """`CANCEL` was set while a submission was being graded; its partial result is dropped."""


CANCEL = threading.Event()  # set it (e.g. on Ctrl-C in `grader run`) to stop every grading in progress


class TestProcess:
    """The test process of one grading, started before its submission is known.

    It is grader/warm.py's single-use child run on its own (`--once`): it prepares its sandbox
    (the agent starts and imports Flask) and collects the tests, then waits on its stdin for the
    submission. Its scratch folder `work` receives records.jsonl and pytest.log.

        process = TestProcess.start(exercise, "process")
        process.give(copy_of_the_submission)
        returncode = process.wait(backstop_seconds)   # None: the backstop killed it
    """

    def __init__(self, popen: subprocess.Popen, work: Path) -> None:
        self.popen = popen
        self.work = work

    @classmethod
    def start(cls, exercise: Exercise, sandbox: str, image: str | None = None, run_id: str | None = None) -> TestProcess:
        work = Path(tempfile.mkdtemp(prefix="grader-"))
        spec = Spec(exercise.slug, str(exercise.root), str(exercise.rubric_path), sandbox, image, run_id,
                    spare=1, backstop=0, scratch=str(work))
        try:
            popen = subprocess.Popen(
                [sys.executable, "-I", "-m", "grader.warm", "--once", spec.dump()], cwd=work,
                env=clean_environment(work), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True,
            )
        except BaseException:
            os.rmdir(work)
            raise
        return cls(popen, work)

    def give(self, submission: Path) -> None:
        """Hand the test process the (private copy of the) submission it grades."""
        try:
            self.popen.stdin.write(json.dumps({"submission": str(submission)}).encode() + b"\n")
            self.popen.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # it has died already: its exit code and log say why

    def wait(self, backstop: float) -> int | None:
        """pytest's exit code; None when the backstop ran out (then it is killed)."""
        deadline = time.monotonic() + backstop
        while True:
            if CANCEL.is_set():
                self.kill()
                raise GradingCancelled()
            try:
                return self.popen.wait(timeout=min(0.2, max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    self.kill()
                    return None

    def kill(self) -> None:
        """Kill the test process and everything it started (its session); wait for it."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        close = getattr(self.popen.stdin, "close", None)
        if close:
            try:
                close()
            except OSError:
                pass
        self.popen.wait()
