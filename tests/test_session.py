"""The test process of one grading (grader/session.py): forked from a single-threaded `grader check`,
started as a fresh interpreter from anywhere else; either way its own session, nothing inherited."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from conftest import HELLO, REPO

# Run in a process of its own: the test runner's worker has threads, and a process with threads
# never forks its test process (it starts a fresh interpreter instead).
SCRIPT = textwrap.dedent("""
    import json, os, shutil, sys, threading, time
    from pathlib import Path
    from grader.exercise import find_exercise
    from grader.session import TestProcess
    from grader.child import RECORDS

    if sys.argv[2] == "threaded":
        threading.Thread(target=threading.Event().wait, daemon=True).start()
    secret = os.open(sys.argv[1], os.O_RDONLY)  # a descriptor the CLI holds: the child must not have it
    process = TestProcess.fork(find_exercise("hello-mission"), "process")
    pid = process.pid
    for _ in range(1000):  # until it has named itself, which it does once its files are closed
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        if comm == "grader-tests":
            break
        time.sleep(0.01)
    opened = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    shutil.copytree(sys.argv[3], process.work / "submission")
    process.give(process.work / "submission")
    code = process.wait(120)
    records = [json.loads(line) for line in (process.work / RECORDS).read_text().splitlines()]
    process.kill()
    print(json.dumps({"opened": opened, "comm": comm, "forked": cmdline == Path("/proc/self/cmdline").read_bytes(),
                      "sid": os.getsid(0), "code": code, "passed": sum(r.get("outcome") == "passed" for r in records),
                      "alive": os.path.exists(f"/proc/{pid}")}))
""")


def _fork(tmp_path: Path, mode: str) -> dict:
    secret = tmp_path / "secret"
    secret.write_text("the CLI's own file")
    # -I: as the `grader` command, nothing of the working directory on the path (else no fork)
    run = subprocess.run([sys.executable, "-I", "-c", SCRIPT, str(secret), mode, str(HELLO / "solution")], cwd=REPO,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_a_single_threaded_caller_forks_a_test_process_that_holds_none_of_its_files(tmp_path: Path) -> None:
    seen = _fork(tmp_path, "single")
    assert seen["forked"] and seen["comm"] == "grader-tests"
    assert str(tmp_path / "secret") not in seen["opened"], seen
    assert seen["code"] == 0 and seen["passed"] == 21
    assert not seen["alive"]


def test_a_caller_with_threads_starts_a_fresh_interpreter_instead(tmp_path: Path) -> None:
    seen = _fork(tmp_path, "threaded")
    assert not seen["forked"]  # `python -I -m grader.warm --once`
    assert str(tmp_path / "secret") not in seen["opened"], seen
    assert seen["code"] == 0 and seen["passed"] == 21


def _processes_under(folder: Path) -> list[str]:
    """Live processes whose working directory is inside `folder` (a sandbox's box is there)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd").startswith(str(folder)):
                found.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120])
        except OSError:
            pass
    return found


def test_killing_a_test_process_kills_the_sandbox_it_started_even_with_the_app_stuck(tmp_path: Path) -> None:
    # The jail leads a session of its own; with the agent spinning in the app's import it would
    # read no end of its input and live on for minutes (until its CPU limit) after the kill.
    from grader.exercise import find_exercise
    from grader.session import TestProcess

    submission = tmp_path / "stuck"
    submission.mkdir()
    (submission / "app.py").write_text("while True:\n    pass\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    tempfile.tempdir = str(scratch)  # the test process's folder, and so its sandbox's box, in here
    try:
        process = TestProcess.start(find_exercise("hello-mission"), "process")
    finally:
        tempfile.tempdir = None
    shutil.copytree(submission, process.work / "submission")
    process.give(process.work / "submission")
    deadline = time.monotonic() + 30
    while not any("agent.py" in line for line in _processes_under(scratch)) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the agent is importing app.py now: it spins
    assert any("agent.py" in line for line in _processes_under(scratch)), "the sandbox never started"
    process.kill()
    deadline = time.monotonic() + 5
    while _processes_under(scratch) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _processes_under(scratch)
    process.discard()  # its folder, and the quota mount in it
    assert left == []


def test_a_caller_whose_path_holds_its_working_directory_starts_a_fresh_interpreter(tmp_path: Path) -> None:
    # `python -c` (as `python -m`) puts the working directory on sys.path: here the submission's
    # folder, whose pytest.py the test process must never import; so it is not forked.
    (tmp_path / "pytest.py").write_text("raise SystemExit('the submission was imported')\n")
    script = SCRIPT.replace('process = TestProcess.fork(', 'os.chdir(sys.argv[4]); process = TestProcess.fork(')
    secret = tmp_path / "secret"
    secret.write_text("x")
    run = subprocess.run([sys.executable, "-c", script, str(secret), "single", str(HELLO / "solution"), str(tmp_path)],
                         cwd=REPO, capture_output=True, text=True, timeout=180, env={**os.environ, "PYTHONPATH": ""})
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert not seen["forked"] and seen["code"] == 0 and seen["passed"] == 21
