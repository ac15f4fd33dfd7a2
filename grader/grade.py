"""Grade one submission: run the exercise's pytest suite against it and score the records."""

from __future__ import annotations

import signal
import sys
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
from grader.session import TestProcess
from grader.submission import describe, private_copy
from grader.child import LOG, RECORDS

OUTPUT_TAIL = 4000


def grade(exercise: Exercise, path: Path, sandbox: str = "process", process: TestProcess | None = None) -> Result:
    """Grade the app at `path` against `exercise`; GraderError for bad input, never for a bad app.

    The test process starts first (`process`, when the caller started it even earlier): it
    prepares its sandbox and collects the tests while this one checks the machine and copies
    the submission. It is always killed and its folder removed before this returns.

    >>> grade(find_exercise("hello-mission"), Path("student")).score
    """
    docker = None
    try:
        loaded = exercise.load_rubric()
        info = describe(path)
        started = time.monotonic()
        if process is None:
            docker = docker_run(exercise) if sandbox == "docker" else None
            process = TestProcess.start(exercise, sandbox, docker and docker.image, docker and docker.run_id)
        if sandbox != "docker":
            check_environment([exercise], sandbox)
        warnings = private_copy(path, process.work / "submission")
        process.give(process.work / "submission")
        returncode = process.wait(backstop(loaded.rubric.limits))
        records = read_records(process.work / RECORDS)
        output = output_tail(process.work / LOG) if (process.work / LOG).exists() else ""
    finally:
        if process is not None:
            process.kill()
            remove_tree(process.work)  # with the quota mount a killed test run leaves in its sandbox's folder
        if docker:
            docker.cleanup()  # even after Ctrl-C: no container of this run outlives it
    return result_of_run(exercise, loaded, records, process.returncode if returncode is None else returncode,
                         output, info=info, sandbox=sandbox, duration=time.monotonic() - started,
                         warnings=warnings, timed_out=returncode is None)


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


def backstop(limits) -> float:
    """Seconds a whole run may take: for a hang the per-request deadlines could not stop (in C code)."""
    return limits.start_timeout + 60 * limits.request_timeout


def output_tail(log: Path) -> str:
    """The last OUTPUT_TAIL bytes of pytest's output, as text."""
    with log.open("rb") as handle:
        handle.seek(max(0, log.stat().st_size - OUTPUT_TAIL))
        return handle.read().decode("utf-8", errors="replace")


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
