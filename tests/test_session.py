"""The test process of one grading (grader/session.py): forked from a single-threaded `grader check`,
started as a fresh interpreter from anywhere else; either way its own session, nothing inherited."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import HELLO, REPO

# Run in a process of its own: the test runner's worker has threads, and a process with threads
# never forks its test process (it starts a fresh interpreter instead).
SCRIPT = textwrap.dedent("""
    import json, os, shutil, sys, threading, time
    from pathlib import Path
    from grader.exercise import find_exercise
    from grader.session import TestProcess
    from grader.warm import RECORDS

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
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(secret), mode, str(HELLO / "solution")], cwd=REPO,
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
