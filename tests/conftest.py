"""Shared fixtures: run the real `grader` CLI, and build throwaway courses in tmp_path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parent.parent
HELLO = REPO / "exercises" / "hello-mission"


class LocalServer:
    """A WSGI app served on 127.0.0.1 by a thread of its own: the stand-in for GitHub's API.

    >>> server = LocalServer(app); requests.get(server.url + "/orgs/cs101/repos"); server.close()
    """

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join()


class GraderRun:
    """A finished `grader` command: exit code, stdout, stderr, and the JSON document if any."""

    def __init__(self, process: subprocess.CompletedProcess) -> None:
        self.returncode = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr

    def json(self) -> dict:
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"<grader exit {self.returncode}\nstdout: {self.stdout[-2000:]}\nstderr: {self.stderr[-2000:]}>"


def exercise_image(exercise: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sandbox image of `exercise` (a slug or a path), built once across xdist workers (a no-op
    when it exists); skipped without a Docker Engine, a failure with GRADER_REQUIRE_DOCKER=1."""
    import fcntl

    from grader.exercise import find_exercise
    from grader.sandbox.image import build_image, docker_client

    if docker_client() is None:
        if os.environ.get("GRADER_REQUIRE_DOCKER") == "1":
            pytest.fail("GRADER_REQUIRE_DOCKER=1 but no Docker Engine answers")
        pytest.skip("no Docker Engine answers (set GRADER_REQUIRE_DOCKER=1 to make this a failure)")
    # xdist workers share the parent of their base temp: one lock, so only one of them builds.
    lock = tmp_path_factory.getbasetemp().parent / "docker-image.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        return build_image(find_exercise(exercise))


def run_grader(*args: str | Path, cwd: Path | None = None, env: dict | None = None, timeout: float = 120) -> GraderRun:
    """Run `python -m grader.cli ARGS` as a user would run `grader ARGS`."""
    full_env = {k: v for k, v in os.environ.items() if k != "GRADER_COURSE"}
    full_env.update(env or {})
    process = subprocess.run(
        [sys.executable, "-m", "grader.cli", *map(str, args)],
        cwd=cwd or REPO, env=full_env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )
    return GraderRun(process)


@pytest.fixture
def grader():
    return run_grader


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A copy of the bundled course holding only hello-mission, free to break."""
    root = tmp_path / "course"
    shutil.copytree(HELLO, root / "exercises" / "hello-mission", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "rubrics").mkdir()
    shutil.copy(REPO / "rubrics" / "hello-mission.yaml", root / "rubrics")
    return root


# Routes that write 1 MiB files into /app, /tmp or /dev/shm until a write fails (say how far they
# got and why), and one 40 MiB file: for the sandboxes' disk quota tests.
FILL_ROUTES = """
    import errno

    def fill(folder, size=1 << 20):
        written = 0
        try:
            for n in range(100000):
                with open(os.path.join(folder, f"fill-{n}"), "wb") as handle:
                    handle.write(b"x" * size)
                written += size
        except OSError as exc:
            return jsonify(written=written, error=errno.errorcode.get(exc.errno, str(exc.errno)))
        return jsonify(written=written, error=None)

    @app.route("/fill/app")
    def fill_app():
        return fill(".")

    @app.route("/fill/tmp")
    def fill_tmp():
        return fill("/tmp")

    @app.route("/fill/shm")
    def fill_shm():
        return fill("/dev/shm")

    @app.route("/big")
    def big():
        try:
            with open("big.bin", "wb") as handle:
                handle.write(b"x" * (40 << 20))
        except OSError as exc:
            return errno.errorcode.get(exc.errno, str(exc.errno))
        return "written"
"""
