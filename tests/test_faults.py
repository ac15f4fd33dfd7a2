"""Faults of the grader's, caused from outside as they happen in real use: never a student's 0.

A grading process killed mid-grading (the host's OOM killer, an operator), the Docker engine gone
while a class is graded, a container that cannot be created, a store whose disk is full: each is
`ungradable` (no score, the reason said), `grader run` tries it again, and a run that still has
some exits 1 saying how many and why, with empty gradebook cells that the next run fills.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import docker
import docker.errors
import pytest

from conftest import HELLO, REPO, run_grader
from grader.warm import PROCESS_NAME
from test_run import gradebook, make_class, rows_in_db, saved_rows
from test_sandbox_docker import engine, image  # noqa: F401 - fixtures

MARKER = "grade-me-slowly-{}.txt"  # in the app's folder: the submission a test watches for (its own, by id)
SLOW_IMPORT = "import time\ntime.sleep(1.5)  # time for the test to find this app's grading process\n"


def slow_solution(folder: Path) -> str:
    """hello-mission's solution (100) whose import takes 1.5 s, with a marker file beside it: its name."""
    shutil.copytree(HELLO / "solution", folder, ignore=shutil.ignore_patterns("__pycache__"))
    app = folder / "app.py"
    app.write_text(SLOW_IMPORT + app.read_text())
    marker = MARKER.format(uuid.uuid4().hex)
    (folder / marker).write_text("the test kills the process grading this app\n")
    return marker


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _parent(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


class Assassin(threading.Thread):
    """SIGKILLs the grading process of the app whose folder holds `marker`, `times` times.

    The grading process is the app's agent's first ancestor whose command line holds `target`
    ("grader.warm": a warm child of `grader run`, or the single one of `grader check`), below the
    grader's own process (never the test runner's).
    """

    def __init__(self, marker: str, target: str, times: int) -> None:
        super().__init__(daemon=True)
        self.marker, self.target, self.times = marker, target, times
        self.killed: list[int] = []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set() and len(self.killed) < self.times:
            victim = self._find()
            if victim and victim not in self.killed:
                os.kill(victim, signal.SIGKILL)
                self.killed.append(victim)
            time.sleep(0.05)

    def _find(self) -> int | None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or "agent.py" not in _cmdline(int(entry.name)):
                continue
            try:
                if not (entry / "cwd" / self.marker).exists():
                    continue
            except OSError:
                continue
            pid = _parent(int(entry.name))
            while pid > 1:
                command = _cmdline(pid)
                if _comm(pid) == PROCESS_NAME.decode() or self.target in command and "jail.py" not in command:
                    return pid  # (a forked test process has the CLI's command line; the jail's names paths)
                if "grader.cli" in command:
                    break
                pid = _parent(pid)
        return None

    def __enter__(self) -> Assassin:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self.join()


@pytest.fixture(autouse=True)
def no_quota_mount_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A killed grading still gives its sandbox's /app tmpfs back (the jail mounts one as root).

    The grader's scratch folders (and so its sandboxes) are made under this test's tmp_path.
    """
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    yield
    mounts = [line.split(" ")[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    assert not [m for m in mounts if m.startswith(str(scratch))], "a sandbox's quota mount was left behind"


def test_a_grading_process_killed_once_is_graded_again_and_the_retry_logged(tmp_path: Path):
    klass = make_class(tmp_path / "class", {"bob": HELLO / "solution"})
    marker = slow_solution(klass / "ada")
    out = tmp_path / "out"
    with Assassin(marker, "grader.warm", times=1) as assassin:
        run = run_grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process", "-j", "1",
                         timeout=300)
    assert len(assassin.killed) == 1
    assert run.returncode == 0, run
    assert "ada: the grader failed (the test process was killed by SIGKILL" in run.stdout, run
    assert "grading again (attempt 2)" in run.stdout
    book = gradebook(out)
    assert {name: (row["status"], row["score"]) for name, row in book.items()} == {
        "ada": ("graded", "100"), "bob": ("graded", "100")}


def test_a_submission_the_grader_keeps_failing_is_ungradable_and_the_next_run_grades_it(tmp_path: Path):
    klass = make_class(tmp_path / "class", {"bob": HELLO / "solution"})
    marker = slow_solution(klass / "ada")
    out = tmp_path / "out"
    with Assassin(marker, "grader.warm", times=3) as assassin:
        run = run_grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process", "-j", "1",
                         timeout=300)
    assert len(assassin.killed) == 3  # the first grading and both retries
    assert run.returncode == 1, run
    assert ("grader: 1 submission could not be graded because the grader failed, not the students: "
            "the test process was killed by SIGKILL") in run.stderr, run
    assert run.stdout.count("ada: the grader failed") == 2  # two retries logged, then it stays ungradable
    book = gradebook(out)
    assert book["ada"]["status"] == "ungradable" and book["ada"]["score"] == ""  # empty, not 0
    assert "killed by SIGKILL" in book["ada"]["reason"]
    points = [column for column in book["ada"] if column.endswith("_points")]
    assert len(points) == 5 and all(book["ada"][column] == "" for column in points)
    assert (book["bob"]["status"], book["bob"]["score"], book["bob"]["reason"]) == ("graded", "100", "")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["ungradable"] == 1 and summary["counts"]["graded"] == 1
    assert [e["student"] for e in summary["ungradable"]] == ["ada"]
    # The class average is over graded students only: bob's 100, not (100 + 0) / 2.
    assert summary["scored"] == 1 and summary["score"]["mean"] == 100, summary
    report = json.loads((out / "reports" / "ada.json").read_text())
    assert report["status"] == "ungradable" and report["score"] is None
    assert "Not graded" in (out / "index.html").read_text()

    again = run_grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process", "-j", "1",
                       timeout=300)
    assert again.returncode == 0, again
    assert "1 newly graded, 1 unchanged" in again.stdout, again  # only ada is graded again
    assert {name: row["score"] for name, row in gradebook(out).items()} == {"ada": "100", "bob": "100"}


def test_check_killed_mid_grading_is_a_grader_fault_with_exit_1(tmp_path: Path):
    app = tmp_path / "ada"
    marker = slow_solution(app)
    with Assassin(marker, "grader.warm", times=1) as assassin:
        run = run_grader("check", "hello-mission", app, "--sandbox", "process", "--format", "json", timeout=120)
    assert len(assassin.killed) == 1
    assert run.returncode == 1 and run.stdout, run
    result = run.json()
    assert result["status"] == "ungradable" and result["score"] is None
    assert "killed by SIGKILL" in result["errors"][0]
    assert "not graded: the grader failed, not the submission" in run.stderr


def test_check_for_gradescope_writes_no_results_json_when_the_grader_fails(tmp_path: Path):
    """Gradescope scores a results.json without a score as 0: an ungradable run writes none."""
    app = tmp_path / "ada"
    marker = slow_solution(app)
    results = tmp_path / "results.json"
    with Assassin(marker, "grader.warm", times=1) as assassin:
        run = run_grader("check", "hello-mission", app, "--sandbox", "process", "--format", "gradescope",
                         "--output", results, timeout=120)
    assert len(assassin.killed) == 1
    assert run.returncode == 1 and not results.exists(), run
    assert "no results.json written, so Gradescope reports a failed autograder" in run.stderr, run


# --- the Docker engine --------------------------------------------------------------------------

class EngineProxy:
    """A Docker engine socket that relays to the real one until `cut()`: then it is gone, as a dead daemon's is.

    It notes the ids of the containers the grader used, so that the test can remove them after.
    """

    def __init__(self, path: Path, target: str) -> None:
        self.path, self.target = path, target
        self.containers: set[str] = set()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            engine.connect(self.target)
            with self._lock:
                self._sockets += [client, engine]
            threading.Thread(target=self._pump, args=(client, engine, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(engine, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, requests: bool) -> None:
        try:
            while data := source.recv(65536):
                if requests:
                    self.containers.update(m.decode() for m in re.findall(rb"/containers/([0-9a-f]{64})/", data))
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.listener.close()
        self.path.unlink()
        with self._lock:
            for end in self._sockets:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()


def _agent_with(marker: str) -> bool:
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and "agent.py" in _cmdline(int(entry.name)) and (entry / "cwd" / marker).exists():
                return True
        except OSError:
            continue
    return False


@pytest.mark.docker
def test_the_docker_engine_gone_mid_run_is_ungradable_never_zero(tmp_path: Path, image: str, engine):
    klass = make_class(tmp_path / "class", {"bob": HELLO / "solution", "cy": HELLO / "solution"})
    marker = slow_solution(klass / "ada")
    out = tmp_path / "out"
    target = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://")
    proxy = EngineProxy(tmp_path / "docker.sock", target)
    command = [sys.executable, "-m", "grader.cli", "run", "hello-mission", "--from", str(klass), "--out", str(out),
               "--sandbox", "docker", "-j", "1"]
    env = {**os.environ, "DOCKER_HOST": f"unix://{proxy.path}"}
    env.pop("GRADER_COURSE", None)
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not _agent_with(marker) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert _agent_with(marker), "ada's app never started in a container"
        proxy.cut()  # the engine is gone while ada's app is being tested
        stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
        for container in proxy.containers:  # what the grader could not remove without an engine
            try:
                engine.containers.get(container).remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
    assert process.returncode == 1, (stdout, stderr)
    assert "3 submissions could not be graded because the grader failed, not the students" in stderr, stderr
    assert "Docker engine" in stderr and "Traceback" not in stderr, stderr
    assert "this run's containers could not be removed" in stderr and "docker rm -f -v" in stderr, stderr
    book = gradebook(out)
    assert {name: (row["status"], row["score"]) for name, row in book.items()} == {
        name: ("ungradable", "") for name in ("ada", "bob", "cy")}
    assert all("Docker engine" in row["reason"] for row in book.values()), book

    again = run_grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "docker", "-j", "1",
                       timeout=300)  # the engine is back (the real one): the next run grades them all
    assert again.returncode == 0, again
    assert {name: row["score"] for name, row in gradebook(out).items()} == {"ada": "100", "bob": "100", "cy": "100"}


@pytest.mark.docker
def test_a_container_the_engine_cannot_create_is_a_grader_fault(tmp_path: Path, engine):
    from grader.rubric import Limits
    from grader.sandbox.base import GraderFault
    from grader.sandbox.docker import DockerSandbox

    app = tmp_path / "ada"
    slow_solution(app)
    with pytest.raises(GraderFault, match="the Docker engine could not create a container: .*no-such-image"):
        DockerSandbox("flask-grader/no-such-image:0", run_id="test-no-image").start(app, Limits())


# --- the store's disk ---------------------------------------------------------------------------

def _fill(folder: Path) -> None:
    with (folder / "filler.bin").open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs as --out takes root")
def test_results_that_cannot_be_saved_are_not_final_and_the_next_run_grades_them(tmp_path: Path):
    klass = make_class(tmp_path / "class", {"ada": HELLO / "solution", "cy": HELLO / "solution"})
    slow_solution(klass / "bob")  # graded second: time to fill the disk once ada's result is saved
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(out)], check=True)
    try:
        command = [sys.executable, "-m", "grader.cli", "run", "hello-mission", "--from", str(klass),
                   "--out", str(out), "--sandbox", "process", "-j", "1"]
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while saved_rows(out) < 1 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        _fill(out)  # the disk is full from now on: bob's and cy's results cannot be kept
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 1, (stdout, stderr)
        assert "bob: ungradable, no score — the result could not be saved" in stdout, stdout
        assert "cy: ungradable, no score — the result could not be saved" in stdout, stdout
        assert f"the results graded so far are kept in {out / 'grader.db'}" in stderr, stderr
        assert "Traceback" not in stderr
        assert [row for row in rows_in_db(out)] == [("ada", "graded")]

        (out / "filler.bin").unlink()  # space again: the same command grades only what was not kept
        again = run_grader(*command[3:], timeout=300)
        assert again.returncode == 0, again
        assert "3 submissions: 2 newly graded, 1 unchanged" in again.stdout, again
        assert {name: row["score"] for name, row in gradebook(out).items()} == {"ada": "100", "bob": "100", "cy": "100"}
    finally:
        subprocess.run(["umount", "-l", str(out)], check=False)


# --- a bug of ours --------------------------------------------------------------------------------

def test_an_exception_of_the_graders_own_is_ungradable_and_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A bug in the grader (here: the pool raising KeyError for bob, twice) is not bob's 0."""
    from grader.exercise import find_exercise
    from grader.pool import WarmPool
    from grader.run import RunOptions, run_class

    klass = make_class(tmp_path / "class", {"ada": HELLO / "solution", "bob": HELLO / "solution"})
    real, failures = WarmPool.grade, []

    def grade(self, path):
        if path.name == "bob" and len(failures) < 2:
            failures.append(path)
            raise KeyError("records")
        return real(self, path)

    monkeypatch.setattr(WarmPool, "grade", grade)
    retries = []
    report = run_class(find_exercise("hello-mission"), RunOptions(source=str(klass), out=tmp_path / "out", jobs=1),
                       on_retry=lambda student, reason, attempt: retries.append((student, reason, attempt)))
    assert [(student, attempt) for student, _, attempt in retries] == [("bob", 1), ("bob", 2)]
    assert all(reason.startswith("KeyError: 'records' (an error of flask-grader's own") for _, reason, _ in retries)
    assert {e.student: (e.status, e.score) for e in report.entries} == {"ada": ("graded", 100), "bob": ("graded", 100)}

    failures.clear()
    monkeypatch.setattr(WarmPool, "grade", lambda self, path: (_ for _ in ()).throw(KeyError("records")))
    report = run_class(find_exercise("hello-mission"), RunOptions(source=str(klass), out=tmp_path / "out2", jobs=1))
    assert [(e.status, e.score) for e in report.entries] == [("ungradable", None)] * 2
    assert all(e.reason.startswith("KeyError: 'records'") for e in report.entries)
    assert len(report.ungradable) == 2
