"""Ctrl-C during `grader check --sandbox docker`: the run stops cleanly and leaves no container."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO

docker = pytest.importorskip("docker")

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def client():
    from grader.exercise import find_exercise
    from grader.sandbox.image import build_image, docker_client

    client = docker_client()
    if client is None:
        if os.environ.get("GRADER_REQUIRE_DOCKER") == "1":
            pytest.fail("GRADER_REQUIRE_DOCKER=1 but no Docker engine answers")
        pytest.skip("no Docker engine answers (set GRADER_REQUIRE_DOCKER=1 to make this a failure)")
    build_image(find_exercise("hello-mission"), client=client)
    return client


def _run_id_of(pid: int) -> str | None:
    """The --grader-run-id that `grader check` (pid) handed to its pytest child."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"--once" in argv:  # grader check's test process: its spec names the run
            return json.loads(argv[argv.index(b"--once") + 1]).get("run_id")
    return None


def test_ctrl_c_removes_the_container_and_exits_130(client, tmp_path):
    submission = tmp_path / "slow"
    submission.mkdir()
    (submission / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef home():\n"
        "    while True:\n        pass\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "check", "hello-mission", str(submission), "--sandbox", "docker"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        containers = []
        run_id = None
        while time.monotonic() < deadline and not containers:
            run_id = run_id or _run_id_of(process.pid)
            if run_id:
                containers = client.containers.list(filters={"label": f"org.flask-grader.run={run_id}"})
            time.sleep(0.2)
        assert containers, "no container of this run appeared within 60 s"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    left = client.containers.list(all=True, filters={"label": f"org.flask-grader.run={run_id}"})
    assert left == []
