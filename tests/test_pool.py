"""The warm pool of `grader run`: same verdicts as `grade()`, sandboxes ready ahead, nothing carried over."""

from __future__ import annotations

import os
import signal
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.exercise import Exercise, find_exercise
from grader.grade import grade
from grader.session import CANCEL, GradingCancelled
from grader.pool import WarmPool
from grader.sandbox.base import GraderFault

HELLO = find_exercise("hello-mission")

# An exercise whose one test asks the app what it can see of earlier submissions.
LEAK_TEST = '''\
import pytest


@pytest.mark.criterion("clean")
def test_nothing_left_by_others(client):
    seen = client.get("/look").get_json()
    checked = {{key: seen[key] for key in {keys!r}}}
    assert checked == {{key: ([] if key in ("tmp", "home", "parent") else None) for key in {keys!r}}}, f"saw {{seen}}"
'''
# In-process, the app shares the test process's file system: only its process state is fresh.
CHECKED = {"process": ["tmp", "home", "env", "module", "parent"], "docker": ["tmp", "home", "env", "module", "parent"],
           "inprocess": ["tmp", "home", "env", "module"]}
SANDBOXES = ["process", "inprocess", pytest.param("docker", marks=pytest.mark.docker)]


def needs_image(exercise: Exercise, sandbox: str) -> None:
    """For docker: build the exercise's image (a no-op when it exists), or skip without an engine."""
    if sandbox != "docker":
        return
    from grader.sandbox.image import build_image, docker_client

    if docker_client() is None:
        if os.environ.get("GRADER_REQUIRE_DOCKER") == "1":
            pytest.fail("GRADER_REQUIRE_DOCKER=1 but no Docker Engine answers")
        pytest.skip("no Docker Engine answers")
    build_image(exercise)

LEAK_RUBRIC = """\
exercise: leak
title: Leak
limits: {request_timeout: 5, start_timeout: 10}
criteria:
  - id: clean
    title: Nothing left by others
    points: 10
    tests: {markers: [clean]}
"""

# Leaves traces everywhere it can write, then reports the traces it finds (its own are marked).
LEAKY_APP = '''\
import os
import sys
import tempfile
import uuid
from pathlib import Path

from flask import Flask, jsonify

app = Flask(__name__)
ME = uuid.uuid4().hex
SHARED = sys.modules.setdefault("leak_shared", type(sys)("leak_shared"))
FOUND_MODULE = getattr(SHARED, "owner", None)
FOUND_ENV = os.environ.get("LEAK_OWNER")


def mine(name):
    return name.endswith(ME)


@app.get("/look")
def look():
    places = {"tmp": Path(tempfile.gettempdir()), "home": Path(os.path.expanduser("~")), "parent": Path.cwd().parent}
    seen = {key: sorted(p.name for p in folder.glob("leak-*") if not mine(p.name)) if folder.is_dir() else []
            for key, folder in places.items()}
    for folder in places.values():
        try:
            (folder / f"leak-{ME}").write_text("left behind")
        except OSError:
            pass
    seen["env"], seen["module"] = FOUND_ENV, FOUND_MODULE
    os.environ["LEAK_OWNER"] = ME
    SHARED.owner = ME
    return jsonify(seen)
'''


def leak_exercise(tmp_path: Path, keys: list[str]) -> Exercise:
    root = tmp_path / "course" / "exercises" / "leak"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_leak.py").write_text(LEAK_TEST.format(keys=keys))
    (tmp_path / "course" / "rubrics").mkdir()
    rubric = tmp_path / "course" / "rubrics" / "leak.yaml"
    rubric.write_text(LEAK_RUBRIC)
    return Exercise("leak", root, rubric)


def app_folder(folder: Path, source: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(textwrap.dedent(source))
    return folder


def trusted_processes_under(path: Path) -> list[int]:
    """Host pids whose command line mentions `path` (the pool's children and sandboxes do)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if str(path).encode() in handle.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_pool_gives_the_verdicts_grade_gives(sandbox):
    needs_image(HELLO, sandbox)
    folders = [HELLO.solution_dir, HELLO.starter_dir, HELLO.mutants_dir / "unescaped-greeting", HELLO.mutants_dir / "default-404"]
    with WarmPool(HELLO, sandbox, jobs=2) as pool, ThreadPoolExecutor(2) as threads:
        pooled = list(threads.map(pool.grade, folders))
    for folder, result in zip(folders, pooled):
        alone = grade(HELLO, folder, sandbox)
        assert result.score == alone.score, folder.name
        assert [(c.id, c.status, [t.outcome for t in c.tests]) for c in result.criteria] == \
            [(c.id, c.status, [t.outcome for t in c.tests]) for c in alone.criteria], folder.name
        assert result.sandbox == sandbox and result.errors == alone.errors


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_no_submission_sees_anything_of_the_one_before(sandbox, tmp_path: Path):
    folders = [app_folder(tmp_path / f"student{i}", LEAKY_APP) for i in range(4)]
    exercise = leak_exercise(tmp_path, CHECKED[sandbox])
    needs_image(exercise, sandbox)
    with WarmPool(exercise, sandbox, jobs=1) as pool:  # one after another, through one server
        results = [pool.grade(folder) for folder in folders]
    for result in results:
        messages = [t.message for c in result.criteria for t in c.tests]
        assert result.score == 10, messages


def test_the_next_sandbox_is_started_before_its_submission_arrives():
    with WarmPool(HELLO, "process", jobs=1) as pool:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
            b"jail.py" in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in trusted_processes_under(pool.scratch)
        ):
            time.sleep(0.05)
        waiting = [pid for pid in trusted_processes_under(pool.scratch)
                   if b"jail.py" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert waiting, "no sandbox was started ahead of the first submission"
        assert pool.grade(HELLO.solution_dir).score == 100
        assert all(not Path(f"/proc/{pid}").exists() or b"jail.py" not in Path(f"/proc/{pid}/cmdline").read_bytes()
                   for pid in waiting), "the sandbox that graded a submission is still there"


def test_closing_the_pool_leaves_no_process_and_no_folder():
    pool = WarmPool(HELLO, "process", jobs=2)
    pool.grade(HELLO.solution_dir)
    scratch = pool.scratch
    assert trusted_processes_under(scratch)  # the server and its spare children wait
    pool.close()
    deadline = time.monotonic() + 5
    while trusted_processes_under(scratch) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not trusted_processes_under(scratch) and not scratch.exists()


SLOW_APP = """\
import time
from flask import Flask

app = Flask(__name__)


@app.route("/")
@app.route("/<path:anything>")
def slow(anything=""):
    time.sleep(4)
    return "late"
"""


def test_cancel_stops_a_grading_at_once(tmp_path: Path):
    folder = app_folder(tmp_path / "slow", SLOW_APP)
    with WarmPool(HELLO, "process", jobs=1) as pool:
        timer = threading.Timer(1.0, CANCEL.set)
        timer.start()
        started = time.monotonic()
        try:
            with pytest.raises(GradingCancelled):
                pool.grade(folder)
        finally:
            CANCEL.clear()
            timer.cancel()
        assert time.monotonic() - started < 5
        assert pool.grade(HELLO.solution_dir).score == 100  # the pool goes on


def test_a_server_that_dies_is_a_grader_fault_and_the_next_grading_gets_a_new_server(tmp_path: Path):
    folder = app_folder(tmp_path / "slow", SLOW_APP)
    with WarmPool(HELLO, "process", jobs=1) as pool:
        threading.Timer(1.0, lambda: os.killpg(pool.server_pid, signal.SIGKILL)).start()
        with pytest.raises(GraderFault, match="the warm grading server stopped"):
            pool.grade(folder)
        assert pool.grade(HELLO.solution_dir).score == 100
        assert pool.servers_started == 2


@pytest.mark.docker
def test_docker_pool_removes_every_container_it_made():
    needs_image(HELLO, "docker")
    from grader.sandbox.docker import RUN_LABEL
    from grader.sandbox.image import docker_client

    engine = docker_client()
    with WarmPool(HELLO, "docker", jobs=2) as pool:
        assert pool.grade(HELLO.solution_dir).score == 100
        label = {"label": f"{RUN_LABEL}={pool.run_id}"}
        deadline = time.monotonic() + 30
        while len(engine.containers.list(filters=label)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(engine.containers.list(filters=label)) >= 2  # spares: running before their submission
    assert engine.containers.list(all=True, filters=label) == []


def test_waiting_for_a_submission_counts_in_no_tests_duration():
    with WarmPool(HELLO, "process", jobs=1) as pool:
        time.sleep(4)  # the spare child has collected its tests and waits this long for its submission
        result = pool.grade(HELLO.solution_dir)
    assert result.score == 100
    assert max(t.duration for c in result.criteria for t in c.tests) < 3, "a test's duration holds the wait"
