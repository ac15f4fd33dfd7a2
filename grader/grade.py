"""Grade one submission: run the exercise's pytest suite against it and score the records."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.environment import check_environment
from grader.errors import GraderError
from grader.exercise import Exercise
from grader.records import read_records
from grader.result import Result
from grader.sandbox.process import remove_tree
from grader.scoring import score, ungradable
from grader.submission import describe, private_copy

EXERCISE_INI = Path(__file__).with_name("exercise.ini")
OUTPUT_TAIL = 4000
# Environment variables the test process keeps; tokens and CI secrets never reach student code.
# DOCKER_*: where the Docker engine is (its address and TLS files, never a secret of a student's).
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT", "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")


def grade(exercise: Exercise, path: Path, sandbox: str = "process") -> Result:
    """Grade the app at `path` against `exercise`; GraderError for bad input, never for a bad app.

    >>> grade(find_exercise("hello-mission"), Path("student")).score
    """
    loaded = exercise.load_rubric()
    info = describe(path)
    started = time.monotonic()
    if sandbox != "docker":
        check_environment([exercise], sandbox)
    docker = docker_run(exercise) if sandbox == "docker" else None
    options = docker.options if docker else []
    work = Path(tempfile.mkdtemp(prefix="grader-"))
    try:
        warnings = private_copy(path, work / "submission")
        records_path = work / "records.jsonl"
        try:
            arguments = pytest_arguments(exercise, work / "submission", records_path,
                                         [*options, "--grader-sandbox", sandbox])
            returncode, output, timed_out = _run_pytest(arguments, work, loaded.rubric.limits)
        finally:
            if docker:
                docker.cleanup()  # even after Ctrl-C: no container of this run outlives it
        records = read_records(records_path)
    finally:  # with the quota mount a killed test run leaves in its sandbox's folder
        remove_tree(work)
    return result_of_run(exercise, loaded, records, returncode, output, info=info, sandbox=sandbox,
                         duration=time.monotonic() - started, warnings=warnings, timed_out=timed_out)


def result_of_run(exercise: Exercise, loaded, records, returncode: int, output: str, *, info, sandbox: str,
                  duration: float, warnings: list[str], timed_out: bool = False) -> Result:
    """Score one pytest run's records; GraderError when the exercise's own tests are broken.

    A run the grader itself failed (a GraderFault recorded, pytest crashed or was killed by
    someone other than us) is `ungradable`: it gets no score, whatever the records say.
    """
    fault = run_fault(records, returncode, output, timed_out)
    if fault:
        result = ungradable(loaded, fault, submission=info, sandbox=sandbox, duration=duration, errors=warnings)
        result.app_output, result.app_output_bytes = records.app_output, records.app_output_total
        return result
    if records.collect_errors:
        raise GraderError(f"{exercise.tests_dir}: the exercise tests failed to load: {records.collect_errors[0]}")
    if not records.collected:
        raise GraderError(
            f"{exercise.tests_dir}: no tests ran (pytest exit code {returncode}): {_last_line(output)}",
            exit_code=2 if returncode in (4, 5) else 1,
        )
    errors = [*warnings, *records.notes]
    missing = [t.nodeid for t in records.collected if t.nodeid not in records.outcomes]
    if missing:
        errors.append(
            f"the test run ended early (exit code {returncode}): {len(missing)} test(s) had no result "
            "and count as failed; the app may have exited the process or hung"
        )
    result = score(loaded, records, submission=info, sandbox=sandbox, duration=duration, errors=errors)
    result.app_output, result.app_output_bytes = records.app_output, records.app_output_total
    return result


PYTEST_EXIT_CODES = range(0, 6)  # pytest.ExitCode: OK .. NO_TESTS_COLLECTED
PYTEST_INTERNAL_ERROR = 3


def run_fault(records, returncode: int, output: str, timed_out: bool) -> str | None:
    """Why a test run is no verdict on the app, in words; None when it is one."""
    if records.grader_fault:
        return records.grader_fault
    if returncode == PYTEST_INTERNAL_ERROR:
        return f"pytest stopped with an internal error: {_last_line(output)}"
    if returncode < 0 and not timed_out:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else f"signal {-returncode}"
        return f"the test process was killed by {name}, not by the grader (the host out of memory?)"
    if returncode > 0 and returncode not in PYTEST_EXIT_CODES:
        return f"the test process ended with exit code {returncode}: {_last_line(output)}"
    return None


@dataclass(frozen=True)
class DockerRun:
    """One grading run's image and container label, checked before any test runs."""

    image: str
    run_id: str
    cleanup: Callable[[], object]  # removes every container carrying this run's label

    @property
    def options(self) -> list[str]:
        return ["--grader-image", self.image, "--grader-run-id", self.run_id]


def docker_run(exercise: Exercise) -> DockerRun:
    """Check the engine and the exercise's image; a fresh label for this run's containers."""
    from grader.environment import exercise_image
    from grader.sandbox.docker import RUN_LABEL, remove_run_containers

    client, image = exercise_image(exercise)
    run_id = uuid.uuid4().hex

    def cleanup() -> None:
        if remove_run_containers(client, run_id) is None:  # the engine is gone: say what is left to do
            sys.stderr.write(
                "grader: warning: this run's containers could not be removed (the Docker engine does not answer); "
                f"once it does: docker rm -f -v $(docker ps -aq --filter label={RUN_LABEL}={run_id})\n")

    return DockerRun(image, run_id, cleanup)


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


def backstop(limits) -> float:
    """Seconds a whole run may take: for a hang the per-request deadlines could not stop (in C code)."""
    return limits.start_timeout + 60 * limits.request_timeout


def output_tail(log: Path) -> str:
    """The last OUTPUT_TAIL bytes of pytest's output, as text."""
    with log.open("rb") as handle:
        handle.seek(max(0, log.stat().st_size - OUTPUT_TAIL))
        return handle.read().decode("utf-8", errors="replace")


def _run_pytest(arguments: list[str], work: Path, limits) -> tuple[int, str, bool]:
    """(pytest's exit code, the tail of its output, whether the backstop had to kill it)."""
    command = [sys.executable, "-I", "-m", "pytest", *arguments]
    (work / "home").mkdir()
    env = clean_environment(work)
    log = work / "pytest.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            returncode = _wait(process, backstop(limits))
        finally:
            _kill_group(process)
    return (process.returncode if returncode is None else returncode), output_tail(log), returncode is None


class GradingCancelled(Exception):
    """`CANCEL` was set while a submission was being graded; its partial result is dropped."""


CANCEL = threading.Event()  # set it (e.g. on Ctrl-C in `grader run`) to stop every grading in progress


def _wait(process: subprocess.Popen, backstop: float) -> int | None:
    """pytest's exit code; None when the backstop ran out (the caller kills it)."""
    deadline = time.monotonic() + backstop
    while True:
        if CANCEL.is_set():
            raise GradingCancelled()
        try:
            return process.wait(timeout=min(0.2, max(0.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                return None


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
