"""The `grader` command's entry point (grader/launch.py): `grader check` forks its test process
before the CLI is imported, and an early process the CLI does not claim never outlives it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import HELLO, REPO
from grader.launch import early_check

GRADER = Path(sys.executable).with_name("grader")  # the console script, as users run it


@pytest.mark.parametrize(("argv", "expected"), [
    (["check", "hello-mission"], ("hello-mission", "process")),
    (["check", "hello-mission", "app", "--format", "json", "-o", "out.json"], ("hello-mission", "process")),
    (["check", "--sandbox", "inprocess", "hello-mission", "."], ("hello-mission", "inprocess")),
    (["check", "--format", "json", "hello-mission"], ("hello-mission", "process")),  # a value is no exercise
    (["check", "hello-mission", ".", "--sandbox=inprocess"], ("hello-mission", "inprocess")),
    (["check", "hello-mission", "--sandbox", "docker"], None),  # docker checks its image first
    (["check", "hello-mission", "--watch"], None),
    (["check", "hello-mission", "--help"], None),
    (["check", "--sandbox"], None),
    (["check"], None),
    (["run", "hello-mission", "--from", "class"], None),
    ([], None),
])
def test_only_a_plain_check_is_started_early(argv: list[str], expected) -> None:
    assert early_check(argv) == expected


def _grader(*args, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TMPDIR": str(tmp)}  # every scratch folder of the run lands here
    env.pop("GRADER_COURSE", None)
    return subprocess.run([GRADER, *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, env=env)


def test_the_console_script_grades_with_its_early_test_process_and_leaves_nothing(tmp_path: Path) -> None:
    assert GRADER.exists(), "the project is not installed in this Python's environment"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    run = _grader("check", "hello-mission", HELLO / "solution", "--format", "json", tmp=scratch)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["score"] == 100
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("args", [
    ["check", "hello-mission", ".", "--format", "bogus"],  # click refuses it after the early start
    ["check", "hello-mission", "--output", "x.json", "--format", "github"],  # the command refuses it
    ["check", "exercises/hello-mission", "--sandbox", "process", "--output"],  # no value: no early start at all
])
def test_an_early_test_process_the_cli_does_not_claim_is_killed_and_its_folder_removed(tmp_path: Path, args) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    run = _grader(*args, tmp=scratch)
    assert run.returncode == 2, run
    assert "Traceback" not in run.stderr
    assert list(scratch.iterdir()) == []
    left = [pid for pid in os.listdir("/proc") if pid.isdigit() and _scratch_of(pid, scratch)]
    assert not left, [(open(f"/proc/{p}/cmdline").read()[:200], os.readlink(f"/proc/{p}/cwd")) for p in left]


def test_an_early_process_for_another_sandbox_or_exercise_is_not_claimed_but_killed(tmp_path: Path) -> None:
    from grader.exercise import find_exercise
    from grader.session import TestProcess

    hello = find_exercise("hello-mission")
    assert TestProcess.claim(hello, "process") is None  # nothing started early
    for other in [(hello, "inprocess"), (find_exercise("telemetry-api"), "process")]:
        tempfile.tempdir = str(tmp_path)
        try:
            TestProcess.start_early(hello, "process")
        finally:
            tempfile.tempdir = None
        (work,) = tmp_path.iterdir()
        assert TestProcess.claim(*other) is None
        assert not work.exists()  # killed, its folder removed
        assert TestProcess.claim(hello, "process") is None  # and gone: claimed at most once
    tempfile.tempdir = str(tmp_path)
    try:
        TestProcess.start_early(hello, "process")
    finally:
        tempfile.tempdir = None
    process = TestProcess.claim(hello, "process")
    assert process is not None and process.work.parent == tmp_path
    process.discard()
    assert list(tmp_path.iterdir()) == []


def _scratch_of(pid: str, scratch: Path) -> bool:
    try:
        return str(scratch) in os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
