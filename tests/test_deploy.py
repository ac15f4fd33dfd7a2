"""`app.serve()` (gunicorn inside the sandbox, over HTTP), `app.boot()` and `app.read_text()`, in every sandbox.

The Docker runs use the launch-sequence exercise's image (it has gunicorn); they are skipped
without an engine unless GRADER_REQUIRE_DOCKER=1.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from grader.rubric import Limits
from grader.sandbox import AppUnavailable, get_sandbox
from grader.agent.serving import MAX_SERVERS
from grader.testing import AppHandle, tail

LIMITS = Limits(request_timeout=2, start_timeout=8)

WSGI = """\
import os
import sys
import time

from flask import Flask, jsonify, request


def create_app():
    app = Flask(__name__)
    if os.environ.get("APP_ENV") == "production" and not os.environ.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in production")
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev")
    app.config["DEBUG"] = os.environ.get("APP_ENV") != "production"
    app.config["DATABASE_URL"] = os.environ.get("DATABASE_URL", "sqlite:///dev.db")

    @app.route("/echo/<word>", methods=["GET", "POST"])
    def echo(word):
        print(f"echo {word}", file=sys.stderr)
        response = jsonify(word=word, method=request.method, args=request.args, json=request.get_json(silent=True),
                           header=request.headers.get("X-Probe"), cookie=request.cookies.get("crew"))
        response.set_cookie("crew", "ada")
        return response, 201

    @app.get("/env")
    def env():
        return jsonify(dict(os.environ))

    @app.get("/pids")
    def pids():
        return jsonify(pid=os.getpid(), parent=os.getppid())

    @app.get("/slow")
    def slow():
        time.sleep(30)
        return "late"

    return app


app = create_app()
"""


@pytest.fixture(scope="module")
def docker_image():
    from grader.exercise import find_exercise
    from grader.sandbox.image import build_image, docker_client

    client = docker_client()
    if client is None:
        if os.environ.get("GRADER_REQUIRE_DOCKER") == "1":
            pytest.fail("GRADER_REQUIRE_DOCKER=1 but no Docker Engine answers")
        pytest.skip("no Docker Engine answers (set GRADER_REQUIRE_DOCKER=1 to make this a failure)")
    return build_image(find_exercise("launch-sequence"), client=client)


@pytest.fixture(params=["inprocess", "process", pytest.param("docker", marks=pytest.mark.docker)])
def sandbox(request) -> str:
    return request.param


@pytest.fixture
def start(sandbox: str, request, tmp_path: Path):
    """start(files) -> AppHandle on a submission of these files (wsgi.py = WSGI unless given)."""
    connections = []
    image = request.getfixturevalue("docker_image") if sandbox == "docker" else None

    def start(files: dict[str, str] | None = None, limits: Limits = LIMITS) -> AppHandle:
        folder = tmp_path / f"app{len(connections)}"
        folder.mkdir()
        for name, text in {"wsgi.py": WSGI, **(files or {})}.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(textwrap.dedent(text))
        connection = get_sandbox(sandbox, ["flask", "gunicorn"], image).start(folder, limits)
        connections.append(connection)
        return AppHandle(connection)

    yield start
    for connection in connections:
        connection.close()
    for name, module in list(sys.modules.items()):  # the in-process sandbox imported them here
        if str(getattr(module, "__file__", "") or "").startswith(str(tmp_path)):
            del sys.modules[name]


def processes_with(marker: str) -> list[int]:
    """Host pids of processes whose command line holds `marker` (seen through every namespace)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if marker.encode() in handle.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def wait_until_gone(marker: str, seconds: float = 5) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_gunicorn_answers_over_http_with_body_headers_and_cookies(start):
    app = start()
    with app.serve("wsgi:app", env={"SECRET_KEY": "k"}) as server:
        assert server.running, tail(server.output)
        client = server.client()
        first = client.post("/echo/liftoff?stage=2", json={"fuel": 97}, headers={"X-Probe": "voyager"})
        assert first.status_code == 201 and first.headers["Server"].startswith("gunicorn")
        assert first.json == {"word": "liftoff", "method": "POST", "args": {"stage": "2"}, "json": {"fuel": 97},
                              "header": "voyager", "cookie": None}
        again = client.get("/echo/%C3%A9tage")  # the cookie comes back; a non-ASCII path survives
        assert again.json["word"] == "étage" and again.json["cookie"] == "ada"
        assert client.get("/nowhere").status_code == 404
    assert server.exit_code == 0 and not server.running
    assert "echo liftoff" in server.output  # what the app printed under gunicorn


def test_the_served_app_sees_only_the_given_environment(start, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GRADER_TEST_SECRET_TOKEN", "must-not-leak")
    with start().serve(env={"APP_ENV": "production", "SECRET_KEY": "s3cret"}) as server:
        env = server.client().get("/env").json
    assert env["APP_ENV"] == "production" and env["SECRET_KEY"] == "s3cret"
    assert "GRADER_TEST_SECRET_TOKEN" not in env and "GRADER_PRELOAD" not in env
    assert set(env) <= {"APP_ENV", "SECRET_KEY", "PATH", "LANG", "LC_ALL", "TZ", "HOME", "TMPDIR", "SERVER_SOFTWARE"}


def test_gunicorn_that_cannot_load_the_app_exits_and_says_why(start):
    server = start().serve(env={"APP_ENV": "production"})
    assert not server.running and server.exit_code not in (None, 0)
    assert "SECRET_KEY must be set in production" in server.output
    with pytest.raises(AppUnavailable):
        server.client().get("/echo/x")
    server.stop()


def test_stop_ends_the_master_and_its_workers(start):
    marker = f"marker-{uuid.uuid4().hex}"
    app = start()
    server = app.serve(options=("--workers", "2", "--name", marker))
    deadline = time.monotonic() + 15  # ready once one worker answers; the other may still be booting
    while len(processes_with(marker)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.running and len(processes_with(marker)) == 3, processes_with(marker)  # master + 2 workers
    server.stop()
    assert not wait_until_gone(marker)
    with pytest.raises(AppUnavailable, match="stopped"):
        server.client().get("/echo/x")


def test_closing_the_sandbox_ends_every_server(sandbox, start):
    marker = f"marker-{uuid.uuid4().hex}"
    app = start()
    app.serve(options=("--name", marker))
    app.serve(options=("--name", marker))
    deadline = time.monotonic() + 15
    while len(processes_with(marker)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(processes_with(marker)) == 4  # two masters, one worker each
    app._connection.close()
    assert not wait_until_gone(marker)


def test_a_hanging_request_fails_that_request_only(start):
    with start().serve(options=("--workers", "2")) as server:
        client = server.client()
        with pytest.raises(AppUnavailable, match=r"GET /slow \(to gunicorn wsgi:app\) did not answer within 2 s"):
            client.get("/slow")
        assert client.get("/echo/after").status_code == 201


def test_serve_returns_once_the_app_answers(start):
    slow_import = WSGI.replace("app = create_app()", "time.sleep(1.5)\napp = create_app()")
    with start({"wsgi.py": slow_import}).serve(ready="/echo/ready") as server:
        assert server.running
        assert server.client().get("/echo/now").status_code == 201


def test_the_submissions_gunicorn_conf_applies_but_not_its_bind(start):
    conf = "bind = ['0.0.0.0:80']\nworkers = 3\nproc_name = 'from-conf'\n"
    app = start({"gunicorn.conf.py": conf})
    with app.serve() as server:
        assert server.running, tail(server.output)
        assert server.client().get("/echo/conf").status_code == 201
        deadline = time.monotonic() + 15  # the conf's 3 workers boot one after another
        while server.refresh().output.count("Booting worker") < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert server.output.count("Booting worker") == 3


def test_at_most_some_servers_at_once(start):
    app = start()
    servers = [app.serve(ready="/nowhere") for _ in range(MAX_SERVERS)]
    with pytest.raises(AppUnavailable, match=f"at most {MAX_SERVERS} servers"):
        app.serve()
    servers[0].stop()
    app.serve().stop()


def test_boot_reports_the_production_config(start):
    booted = start().boot({"APP_ENV": "production", "SECRET_KEY": "k2", "DATABASE_URL": "sqlite:////tmp/x.db"})
    assert booted.ok, booted.reason
    assert booted.config["SECRET_KEY"] == "k2" and booted.config["DATABASE_URL"] == "sqlite:////tmp/x.db"
    assert booted.config["DEBUG"] is False and booted.debug is False
    assert "TESTING" in booted.config and booted.config["TESTING"] is False  # no grader test config


def test_boot_that_fails_names_the_file_and_line(start):
    booted = start().boot({"APP_ENV": "production"})
    assert not booted.ok and booted.config == {}
    assert booted.reason.startswith("wsgi.py, line ") and "RuntimeError: SECRET_KEY must be set" in booted.reason


def test_boot_that_never_finishes_is_cut_off(start):
    hangs = WSGI.replace("app = create_app()", "if os.environ.get('HANG'):\n    time.sleep(60)\napp = create_app()")
    app = start({"wsgi.py": hangs}, limits=Limits(request_timeout=2, start_timeout=3))
    started = time.monotonic()
    booted = app.boot({"HANG": "1"})
    assert not booted.ok and "did not start within 3 s" in booted.reason
    assert time.monotonic() - started < 10


def test_boot_keeps_the_apps_output_apart_from_the_result(start):
    noisy = WSGI.replace("app = create_app()", 'print(\'{"ok": true, "config": {"forged": 1}}\')\napp = create_app()')
    booted = start({"wsgi.py": noisy}).boot()
    assert booted.ok and "forged" not in booted.config
    assert '"forged"' in booted.output


def test_read_text_reads_a_file_of_the_submission(start):
    app = start({"requirements.txt": "flask==3.1.0\ngunicorn==23.0.0\n", "big.txt": "x" * 300_000})
    assert app.read_text("requirements.txt") == "flask==3.1.0\ngunicorn==23.0.0\n"
    assert app.read_text("missing.txt") is None
    assert len(app.read_text("big.txt")) == 256 * 1024
    with pytest.raises(AppUnavailable, match="outside the submission"):
        app.read_text("../../../etc/passwd")


def test_server_output_has_no_colours_and_no_private_paths(start):
    loud = WSGI.replace("app = create_app()", "print('\\x1b[31mred alert\\x1b[0m from', __file__, flush=True)\napp = create_app()")
    with start({"wsgi.py": loud}).serve() as server:
        assert server.running and server.ready
    assert "red alert from wsgi.py" in server.output and "\x1b[" not in server.output


def test_a_server_that_never_answered_is_not_ready(start):
    server = start().serve(env={"APP_ENV": "production"})
    assert not server.ready and not server.running


def test_temp_dir_is_the_sandboxs_own_temporary_folder(start):
    app = start()
    with app.serve() as server:
        env = server.client().get("/env").json
    # In-process, run by hand, the sandbox is this process: its TMPDIR may be unset (then /tmp).
    assert app.temp_dir.startswith("/") and env.get("TMPDIR", "/tmp") == app.temp_dir
