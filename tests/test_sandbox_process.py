"""The process sandbox with real subprocesses: deadlines, crashes, restarts, output, cleanup, jail.

As root the sandbox jails the app (namespaces, chroot, another uid); the tests that check the
jail are skipped for other users. Requests go through werkzeug's test Client, as in grading.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from werkzeug.test import Client

from conftest import FILL_ROUTES
from grader.rubric import Limits
from grader.sandbox.base import AppStartError, AppUnavailable
from grader.sandbox.process import ProcessSandbox, ProcessTransport, _mounts_under
from grader.sandbox.remote import OUTPUT_LIMIT, AgentConnection

START_TIMEOUT = 2
LIMITS = Limits(request_timeout=1, start_timeout=START_TIMEOUT)
IS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not IS_ROOT, reason="the process sandbox jails the app only when run as root")

BASE_APP = """\
import os
import sys
import time

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/")
def home():
    return "home"
"""


def write_app(folder: Path, extra: str = "", base: str = BASE_APP, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(base + textwrap.dedent(extra))
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def boxes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sandbox folders are made under this folder (so tests can see them come and go)."""
    folder = tmp_path / "boxes"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def start(tmp_path: Path, boxes: Path):
    """start(extra_source, **limits) -> connection; every connection is closed at teardown."""
    connections = []

    def start(extra: str = "", *, sandbox: ProcessSandbox | None = None, base: str = BASE_APP,
              files: dict[str, str] | None = None, **limits):
        app = write_app(tmp_path / f"app{len(connections)}", extra, base, files)
        values = {"request_timeout": 1, "start_timeout": START_TIMEOUT, **limits}
        connection = (sandbox or ProcessSandbox()).start(app, Limits(**values))
        connections.append(connection)
        return connection

    yield start
    for connection in connections:
        connection.close()


def test_normal_request(start):
    connection = start("""
        @app.route("/hello/<name>", methods=["GET", "POST"])
        def hello(name):
            from flask import request
            return jsonify(name=name, method=request.method, form=dict(request.form)), 201
    """)
    client = Client(connection)
    assert client.get("/").text == "home"
    response = client.post("/hello/ada", data={"x": "1"})
    assert response.status_code == 201
    assert response.json == {"name": "ada", "method": "POST", "form": {"x": "1"}}
    assert client.get("/missing").status_code == 404
    assert connection.restarts == 0


def test_routes_config_and_templates(start, tmp_path: Path):
    connection = start("""
        from flask import render_template_string
        app.config["COLOUR"] = "teal"

        @app.route("/t")
        def t():
            return render_template_string("{{ a }}", a=1)
    """)
    assert "/t" in {route.rule for route in connection.routes()}
    assert connection.config()["COLOUR"] == "teal"
    assert Client(connection).get("/t").text == "1"
    [template] = connection.rendered_templates()
    assert "a" in template.context


@pytest.mark.parametrize("body", ["time.sleep(30)", "while True: pass"], ids=["sleep", "busy-loop"])
def test_request_timeout_fails_that_request_and_the_next_one_works(start, body: str):
    connection = start(f"""
        @app.route("/slow")
        def slow():
            {body}
    """)
    client = Client(connection)
    began = time.monotonic()
    with pytest.raises(AppUnavailable, match=r"^GET /slow did not answer within 1 s$"):
        client.get("/slow")
    assert time.monotonic() - began < 3
    assert connection.restarts == 0
    assert client.get("/").text == "home"
    assert connection.restarts == 1


def test_crash_fails_that_request_and_the_next_one_works(start):
    connection = start("""
        @app.route("/die")
        def die():
            os._exit(3)
    """)
    client = Client(connection)
    with pytest.raises(AppUnavailable, match=r"GET /die crashed the app \(exit code 3\)"):
        client.get("/die")
    assert client.get("/").text == "home"
    assert connection.restarts == 1
    with pytest.raises(AppUnavailable, match=r"crashed the app \(exit code 3\)"):
        client.get("/die")
    assert client.get("/").text == "home"
    assert connection.restarts == 2


def test_killed_by_a_signal(start):
    connection = start("""
        import ctypes

        @app.route("/segv")
        def segv():
            ctypes.string_at(0)  # a real segmentation fault, as a buggy C extension would cause
    """)
    client = Client(connection)
    with pytest.raises(AppUnavailable, match=r"GET /segv crashed the app \(killed by SIGSEGV\)"):
        client.get("/segv")
    assert client.get("/").text == "home"


def test_sys_exit_in_a_route_is_a_crash_without_restart(start):
    connection = start("""
        @app.route("/exit")
        def leave():
            sys.exit(4)
    """)
    client = Client(connection)
    with pytest.raises(AppUnavailable, match=r"GET /exit crashed the app: .*SystemExit"):
        client.get("/exit")
    assert client.get("/").text == "home"
    assert connection.restarts == 0  # the agent caught it: nothing to restart


def test_import_that_never_finishes(tmp_path: Path, boxes: Path):
    app = write_app(tmp_path / "app", "while True:\n    pass\n")
    began = time.monotonic()
    with pytest.raises(AppStartError, match=r"^the app did not start within 1 s$"):
        ProcessSandbox().start(app, Limits(request_timeout=1, start_timeout=1))
    assert time.monotonic() - began < 3
    assert list(boxes.iterdir()) == [], "the sandbox folder was left behind"


def test_a_start_that_times_out_shows_the_apps_last_output(tmp_path: Path, boxes: Path):
    app = write_app(tmp_path / "app", """
        print("\\x1b[33m * Running on http://127.0.0.1:5000\\x1b[0m", flush=True)
        time.sleep(60)
    """)
    with pytest.raises(AppStartError) as caught:
        ProcessSandbox().start(app, LIMITS)
    assert caught.value.message == (
        f"the app did not start within {START_TIMEOUT} s; its last output: '* Running on http://127.0.0.1:5000'"
    )


def test_import_error_names_file_and_line(tmp_path: Path, boxes: Path):
    app = write_app(tmp_path / "app", "\nundefined_name\n")
    with pytest.raises(AppStartError, match=r"app\.py, line \d+: NameError"):
        ProcessSandbox().start(app, LIMITS)
    assert list(boxes.iterdir()) == []


def test_app_exiting_while_starting(tmp_path: Path, boxes: Path):
    app = write_app(tmp_path / "app", "os._exit(9)\n")
    with pytest.raises(AppStartError, match=r"the app exited while starting \(exit code 9\)"):
        ProcessSandbox().start(app, LIMITS)


def test_an_app_that_cannot_restart_fails_fast(start):
    connection = start("""
        from pathlib import Path

        MARKER = Path(__file__).resolve().parent / "crashed-once"
        if MARKER.exists():
            raise RuntimeError("refusing to start again")

        @app.route("/die")
        def die():
            MARKER.write_text("x")
            os._exit(1)
    """)
    client = Client(connection)
    with pytest.raises(AppUnavailable, match=r"crashed the app \(exit code 1\)"):
        client.get("/die")
    with pytest.raises(AppUnavailable, match=r"could not be restarted: .*RuntimeError: refusing to start again"):
        client.get("/")
    assert connection.restarts == 1
    for _ in range(3):
        began = time.monotonic()
        with pytest.raises(AppUnavailable, match="could not be restarted"):
            client.get("/")
        with pytest.raises(AppUnavailable, match="could not be restarted"):
            connection.routes()
        assert time.monotonic() - began < 0.5
    assert connection.restarts == 1


def wait_for_output(connection, total: int, timeout: float = 10) -> tuple[str, int]:
    """The app's output once at least `total` bytes were counted (stderr is drained by a thread)."""
    deadline = time.monotonic() + timeout
    while True:
        text, counted = connection.app_output()
        if counted >= total or time.monotonic() > deadline:
            return text, counted
        time.sleep(0.02)


def test_app_output_is_captured(start):
    connection = start("""
        print("printed while importing")

        @app.route("/talk")
        def talk():
            print("hello from a route")
            print("and from stderr", file=sys.stderr)
            return "said"
    """)
    assert Client(connection).get("/talk").text == "said"
    marker = "and from stderr"
    deadline = time.monotonic() + 10
    while marker not in connection.app_output()[0] and time.monotonic() < deadline:
        time.sleep(0.02)
    text, total = connection.app_output()
    assert "printed while importing" in text
    assert "hello from a route" in text
    assert marker in text
    assert total == len(text.encode())


def test_app_output_is_capped_and_counted(start):
    connection = start("""
        @app.route("/flood")
        def flood():
            line = "y" * 1023 + "\\n"
            for _ in range(1024):
                sys.stdout.write(line)
            return "flooded"
    """)
    assert Client(connection).get("/flood").text == "flooded"
    text, total = wait_for_output(connection, 1 << 20)
    assert total >= 1 << 20
    assert len(text.encode()) == OUTPUT_LIMIT
    assert text.startswith("y" * 1023 + "\n")


def pgrep(marker: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    return found.stdout.split()


def wait_until_gone(marker: str, timeout: float = 5) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := pgrep(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.mark.parametrize("jail", [
    pytest.param(True, marks=root_only, id="jailed"),
    pytest.param(False, id="not-jailed"),
])
def test_process_group_is_killed_on_close(start, jail: bool):
    marker = f"grader-test-child-{uuid.uuid4().hex}"
    connection = start(sandbox=ProcessSandbox(jail=jail), extra=f"""
        import subprocess

        @app.route("/spawn")
        def spawn():
            child = subprocess.Popen(["sleep", "100"], start_new_session=False)
            grandchild = subprocess.Popen(
                [sys.executable, "-c", "import time; time.sleep(100)", "{marker}"], start_new_session=False,
            )
            return "spawned"
    """)
    assert Client(connection).get("/spawn").text == "spawned"
    deadline = time.monotonic() + 5
    while not pgrep(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pgrep(marker), "the child process did not start: the test proves nothing"
    connection.close()
    assert wait_until_gone(marker) == [], "a process the app started outlived the sandbox"


def test_children_are_killed_on_restart(start):
    marker = f"grader-test-child-{uuid.uuid4().hex}"
    connection = start(f"""
        import subprocess

        @app.route("/spawn-and-hang")
        def spawn_and_hang():
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(100)", "{marker}"])
            time.sleep(30)
    """)
    client = Client(connection)
    with pytest.raises(AppUnavailable, match="did not answer"):
        client.get("/spawn-and-hang")
    assert wait_until_gone(marker) == [], "a process the timed-out app started is still running"
    assert client.get("/").text == "home"


@root_only
def test_jail_kills_children_in_a_new_session(start):
    marker = f"grader-test-child-{uuid.uuid4().hex}"
    connection = start(f"""
        import subprocess

        @app.route("/escape")
        def escape():
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(100)", "{marker}"],
                             start_new_session=True)
            return "escaped?"
    """)
    assert Client(connection).get("/escape").text == "escaped?"
    deadline = time.monotonic() + 5
    while not pgrep(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pgrep(marker), "the child process did not start: the test proves nothing"
    connection.close()
    assert wait_until_gone(marker) == [], "a process in its own session outlived the jailed sandbox"


@root_only
def test_jail_limits_processes_and_threads(start):
    connection = start("""
        import threading

        @app.route("/threads")
        def threads():
            stop = threading.Event()
            started = 0
            try:
                for _ in range(64):
                    threading.Thread(target=stop.wait, daemon=True).start()
                    started += 1
            except RuntimeError:
                pass
            finally:
                stop.set()
            return str(started)
    """, processes=8)
    client = Client(connection)
    assert int(client.get("/threads").text) < 8
    assert client.get("/").text == "home"


def test_non_ascii_path_query_and_header(start):
    connection = start("""
        from flask import request

        @app.route("/<path:where>")
        def anywhere(where):
            return jsonify(where=where, q=request.args.get("q"), name=request.headers.get("X-Name"))
    """)
    response = Client(connection).get("/caf\u00e9/\u2603", query_string={"q": "z\u00fcrich \u20ac"},
                                      headers={"X-Name": "J\u00f6rg"})
    assert response.json == {"where": "caf\u00e9/\u2603", "q": "z\u00fcrich \u20ac", "name": "J\u00f6rg"}


def test_many_rendered_templates_do_not_crash_an_honest_app(start):
    """A page rendering a partial per row (20,000 rows, about a second) is an honest app."""
    connection = start("""
        from flask import render_template

        @app.route("/rows")
        def rows():
            return "".join(render_template("row.html", item=i) for i in range(20000))
    """, files={"templates/row.html": "<li>{{ item }}</li>"}, request_timeout=15)
    response = Client(connection).get("/rows")
    assert response.status_code == 200
    assert response.data.startswith(b"<li>0</li><li>1</li>")
    assert connection.rendered_templates()[0].name == "row.html"
    assert connection.restarts == 0


def test_special_files_in_the_submission(tmp_path: Path, boxes: Path):
    """A named pipe in the submission: left out (as the docker sandbox does) or AppStartError, nothing else."""
    app = write_app(tmp_path / "with-fifo")
    os.mkfifo(app / "pipe")
    try:
        connection = ProcessSandbox().start(app, LIMITS)
    except AppStartError:
        pass
    else:
        try:
            assert Client(connection).get("/").text == "home"
        finally:
            connection.close()
    assert list(boxes.iterdir()) == []


def test_large_response_body(start):
    connection = start("""
        @app.route("/big/<int:size>")
        def big(size):
            return b"z" * size
    """)
    client = Client(connection)
    assert client.get(f"/big/{10 << 20}").data == b"z" * (10 << 20)
    with pytest.raises(AppUnavailable, match=r"GET /big/\d+: the response body is over 16 MiB"):
        client.get(f"/big/{(16 << 20) + 1}")
    assert client.get("/").text == "home"


def test_request_body_over_the_limit(start):
    connection = start("""
        from flask import request

        @app.route("/upload", methods=["POST"])
        def upload():
            return str(len(request.get_data()))
    """)
    client = Client(connection)
    assert client.post("/upload", data=b"u" * (4 << 20)).text == str(4 << 20)
    with pytest.raises(AppUnavailable, match=r"POST /upload: the request body is over 16 MiB"):
        client.post("/upload", data=b"u" * ((16 << 20) + 1))
    assert client.get("/").text == "home"


ENV_ROUTE = """
    @app.route("/env")
    def env():
        return jsonify(env=dict(os.environ), uid=os.getuid(), cwd=os.getcwd())
"""


@pytest.mark.parametrize("jail", [
    pytest.param(True, marks=root_only, id="jailed"),
    pytest.param(False, id="not-jailed"),
])
def test_environment_is_clean(start, monkeypatch: pytest.MonkeyPatch, jail: bool):
    real_home = os.path.expanduser("~")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret_token_for_the_test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "also-secret")
    connection = start(ENV_ROUTE, sandbox=ProcessSandbox(jail=jail))
    env = Client(connection).get("/env").json["env"]
    assert "GITHUB_TOKEN" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert not any("secret" in value for value in env.values())
    assert env["HOME"] != real_home and not env["HOME"].startswith(real_home + os.sep)
    assert set(env) <= {"PATH", "LANG", "HOME", "TMPDIR", "GRADER_PRELOAD", "LC_CTYPE"}, sorted(env)


@root_only
def test_jail_runs_as_another_user_without_network(start):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    try:
        connection = start(f"""
            import socket

            @app.route("/probe")
            def probe():
                try:
                    socket.create_connection(("127.0.0.1", {port}), timeout=0.5).close()
                    connected = True
                except OSError as exc:
                    connected = str(exc)
                return jsonify(uid=os.getuid(), gid=os.getgid(), groups=os.getgroups(), connected=connected)
        """)
        probe = Client(connection).get("/probe").json
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing came through
    finally:
        listener.close()
    assert probe["uid"] != 0 and probe["gid"] != 0 and probe["groups"] == []
    assert probe["connected"] is not True, "the app reached the host's loopback"


@root_only
def test_jail_hides_the_host_files(start, tmp_path: Path):
    secret = tempfile.NamedTemporaryFile(dir="/tmp", prefix="grader-host-secret-", delete=False)
    secret.close()
    written = f"/tmp/grader-from-app-{uuid.uuid4().hex}"
    submission = tmp_path / "app0"  # where `start` writes the first app
    try:
        connection = start(f"""
            @app.route("/look")
            def look():
                with open({written!r}, "w") as handle:
                    handle.write("escaped?")
                return jsonify(
                    submission=os.path.exists({str(submission)!r}),
                    tests_tmp=os.path.exists({str(tmp_path)!r}),
                    host_secret=os.path.exists({secret.name!r}),
                    own_write=open({written!r}).read(),
                    cwd=os.getcwd(),
                    app_file=os.path.exists("app.py"),
                )
        """)
        look = Client(connection).get("/look").json
        assert look == {
            "submission": False, "tests_tmp": False, "host_secret": False, "own_write": "escaped?",
            "cwd": "/app", "app_file": True,
        }
        assert not os.path.exists(written), "a write to the app's /tmp reached the host's /tmp"
    finally:
        os.unlink(secret.name)
        if os.path.exists(written):
            os.unlink(written)


@root_only
def test_jail_box_is_removed_after_close(start, boxes: Path):
    connection = start()
    assert Client(connection).get("/").text == "home"
    box = connection.box
    assert box.parent == boxes and box.is_dir()
    connection.close()
    assert not box.exists()
    assert list(boxes.iterdir()) == []
    connection.close()  # twice is fine


def test_box_is_removed_after_close_without_jail(start, boxes: Path):
    connection = start(sandbox=ProcessSandbox(jail=False))
    assert Client(connection).get("/").text == "home"
    assert connection.box.is_dir()
    connection.close()
    assert list(boxes.iterdir()) == []


def test_the_submission_folder_is_not_touched(start, tmp_path: Path):
    connection = start("""
        @app.route("/scribble")
        def scribble():
            with open("app.py", "a") as handle:
                handle.write("# scribbled")
            with open("new-file.txt", "w") as handle:
                handle.write("x")
            return "done"
    """)
    before = (tmp_path / "app0" / "app.py").read_text()
    assert Client(connection).get("/scribble").text == "done"
    assert (tmp_path / "app0" / "app.py").read_text() == before
    assert sorted(p.name for p in (tmp_path / "app0").iterdir()) == ["app.py"]


@pytest.mark.parametrize("jail", [
    pytest.param(True, marks=root_only, id="jailed"),
    pytest.param(False, id="not-jailed"),
])
def test_memory_limit_fails_that_request_only(start, jail: bool):
    connection = start("""
        @app.route("/hog")
        def hog():
            data = bytearray(2 << 30)
            return str(len(data))

        @app.route("/hog-slowly")
        def hog_slowly():
            keep = [b"x" * (1 << 20) for _ in range(2048)]
            return str(len(keep))
    """, sandbox=ProcessSandbox(jail=jail), memory_mb=256)
    client = Client(connection)
    for path in ("/hog", "/hog-slowly"):
        try:
            response = client.get(path)
        except AppUnavailable as exc:
            assert exc.message.startswith(f"GET {path}")
        else:
            assert response.status_code == 500, f"{path} allocated 2 GiB under a 256 MiB limit"
        assert client.get("/").text == "home"


# -- a fake agent that speaks the protocol badly ------------------------------------------------

FAKE_AGENT = r'''
import json, os, struct, sys, time

PREFIX = struct.Struct(">II")
START, REPLY = sys.argv[1], sys.argv[2]
channel_in, channel_out = sys.stdin.buffer, sys.stdout.buffer


def read():
    prefix = channel_in.read(8)
    if len(prefix) < 8:
        sys.exit(0)
    header_len, body_len = PREFIX.unpack(prefix)
    header = json.loads(channel_in.read(header_len))
    channel_in.read(body_len)
    return header


def raw(data):
    channel_out.write(data)
    channel_out.flush()


def send(header, body=b""):
    data = json.dumps(header).encode()
    raw(PREFIX.pack(len(data), len(body)) + data + body)


while True:
    header = read()
    exec(START if header["op"] == "start" else REPLY)
'''

OK_START = "send({'ok': True})"
BAD_REPLIES = {
    "status-four-digits": ("send({'status': '2000 OK', 'headers': []})", "invalid status line"),
    "status-words-only": ("send({'status': 'OK', 'headers': []})", "invalid status line"),
    "status-not-a-string": ("send({'status': 200, 'headers': []})", "invalid status line"),
    "status-with-newline": ("send({'status': '200 OK\\r\\nX-Evil: 1', 'headers': []})", "invalid status line"),
    "status-missing": ("send({'headers': []})", "invalid status line"),
    # `$` in a Python regex also matches before a final newline: use \Z or fullmatch.
    "status-trailing-newline": ("send({'status': '200 OK\\n', 'headers': []})", "invalid status line"),
    "header-name-trailing-newline": ("send({'status': '200 OK', 'headers': [['X-A\\n', 'b']]})", "invalid header"),
    # PEP 3333: the status is Latin-1 text without control characters, like header values.
    "status-with-nul": ("send({'status': '200 O\\x00K', 'headers': []})", "invalid status line"),
    "status-with-escape": ("send({'status': '200 \\x1b[2J\\x1b[31mOK', 'headers': []})", "invalid status line"),
    "status-not-latin1": ("send({'status': '200 \\u20ac', 'headers': []})", "invalid status line"),
    "headers-not-a-list": ("send({'status': '200 OK', 'headers': 'x'})", "invalid headers"),
    "too-many-headers": ("send({'status': '200 OK', 'headers': [['X-A', 'b']] * 501})", "invalid headers"),
    "header-with-newline": ("send({'status': '200 OK', 'headers': [['X-A', 'a\\r\\nSet-Cookie: x=1']]})",
                            "invalid header"),
    "header-name-with-space": ("send({'status': '200 OK', 'headers': [['X A', 'b']]})", "invalid header"),
    "header-name-with-colon": ("send({'status': '200 OK', 'headers': [['X:A', 'b']]})", "invalid header"),
    "header-triple": ("send({'status': '200 OK', 'headers': [['X-A', 'b', 'c']]})", "invalid header"),
    "header-not-strings": ("send({'status': '200 OK', 'headers': [['X-A', 5]]})", "invalid header"),
    "header-value-huge": ("send({'status': '200 OK', 'headers': [['X-A', 'v' * 20000]]})", "invalid header"),
    "header-not-latin1": ("send({'status': '200 OK', 'headers': [['X-A', '\\u20ac']]})", "not Latin-1"),
    "huge-header-length": ("raw(PREFIX.pack(0xFFFFFFFF, 0)); time.sleep(60)", "invalid reply: header of"),
    "huge-body-length": ("raw(PREFIX.pack(2, 0x7FFFFFFF) + b'{}'); time.sleep(60)", "invalid reply: body of"),
    "header-not-json": ("raw(PREFIX.pack(5, 0) + b'hello')", "invalid reply: header is not JSON"),
    "header-a-list": ("raw(PREFIX.pack(2, 0) + b'[]')", "invalid reply: header is not a JSON object"),
    "garbage": ("raw(b'garbage! ' * 10)", "invalid reply"),
    "half-a-frame-then-exit": ("raw(PREFIX.pack(10, 0) + b'{'); os._exit(5)", "crashed the app (exit code 5)"),
    "half-a-frame-then-hang": ("raw(PREFIX.pack(10, 0) + b'{'); time.sleep(60)", "did not answer within 1 s"),
    "no-reply-then-exit": ("os._exit(0)", "crashed the app (exit code 0)"),
    "no-reply-ever": ("time.sleep(60)", "did not answer within 1 s"),
    "closes-stdout": ("os.close(1); time.sleep(60)", "crashed the app"),
    "error-not-a-string": ("send({'error': 5})", "invalid status line"),
    "crash-huge": ("send({'crash': 'c' * 100000})", "crashed the app: ccc"),
}


@pytest.fixture
def fake(tmp_path: Path):
    """fake(reply_code, start_code=OK_START, **limits) -> an AgentConnection to the fake agent, not started."""
    script = tmp_path / "fake_agent.py"
    script.write_text(FAKE_AGENT)
    connections = []

    def make(reply: str, start: str = OK_START, **limits) -> AgentConnection:
        command = [sys.executable, "-I", "-u", str(script), start, reply]
        values = {"request_timeout": 1, "start_timeout": START_TIMEOUT, **limits}
        connection = AgentConnection(lambda output: ProcessTransport(command, tmp_path, output), Limits(**values))
        connections.append(connection)
        return connection

    yield make
    for connection in connections:
        connection.close()


@pytest.mark.parametrize("name", sorted(BAD_REPLIES))
def test_malformed_reply_is_app_unavailable(fake, name: str):
    code, message = BAD_REPLIES[name]
    connection = fake(code)
    connection.start()
    client = Client(connection)
    for attempt in range(2):  # the first on the started agent, the second after a restart
        began = time.monotonic()
        with pytest.raises(AppUnavailable) as caught:
            client.get("/x")
        assert time.monotonic() - began < 3, f"{name}: took {time.monotonic() - began:.1f} s"
        assert caught.value.message.startswith("GET /x"), caught.value.message
        assert message in caught.value.message
        assert len(caught.value.message) < 1200


def test_valid_fake_reply_goes_through(fake):
    connection = fake("send({'status': '200', 'headers': [['X-A', 'b']], "
                      "'templates': [{'name': 'i.html', 'context': ['k']}, 'junk', {'name': 5}]}, b'body')")
    connection.start()
    response = Client(connection).get("/")
    assert response.status == "200 UNKNOWN"
    assert response.headers["X-A"] == "b"
    assert response.data == b"body"
    assert [(t.name, t.context) for t in connection.rendered_templates()] == [("i.html", ["k"])]


@pytest.mark.parametrize("method, reply, message", [
    ("routes", "send({'routes': 'nope'})", "listing the routes: malformed reply"),
    ("config", "send({'config': [1, 2]})", "reading the config: malformed reply"),
    ("sql", "send({'columns': ['a'], 'rows': [1, 2]})", "querying the database (SELECT 1): malformed reply"),
    ("sql", "send({'columns': 'a', 'rows': []})", "querying the database (SELECT 1): malformed reply"),
    ("routes", "raw(PREFIX.pack(0xFFFFFFFF, 0)); time.sleep(60)", "listing the routes: the app crashed"),
    ("config", "time.sleep(60)", "reading the config: the app did not answer within 1 s"),
    ("sql", "send({'error': 'no such table: post'})", "querying the database (SELECT 1): no such table: post"),
])
def test_malformed_answers_to_questions(fake, method: str, reply: str, message: str):
    connection = fake(reply)
    connection.start()
    began = time.monotonic()
    with pytest.raises(AppUnavailable, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        if method == "sql":
            connection.sql("SELECT 1")
        else:
            getattr(connection, method)()
    assert time.monotonic() - began < 3


def test_routes_skips_malformed_items(fake):
    connection = fake("send({'routes': [{'rule': '/', 'endpoint': 'home', 'methods': ['GET']}, "
                      "{'rule': 5}, 'junk', {'rule': '/x', 'endpoint': 'x', 'methods': [1]}]})")
    connection.start()
    assert [(r.rule, r.endpoint, r.methods) for r in connection.routes()] == [("/", "home", frozenset({"GET"}))]


@pytest.mark.parametrize("start_code, message", [
    ("send({'ok': 'yes'})", "^the app could not start$"),
    ("send({'ok': False, 'error': 5})", "^the app could not start$"),
    ("send({'ok': False, 'error': 'e' * 5000})", "^e{1000}$"),
    ("raw(PREFIX.pack(0xFFFFFFFF, 0)); time.sleep(60)", r"^the app exited while starting \(it sent an invalid reply"),
    ("time.sleep(60)", r"^the app did not start within 1 s$"),
    ("os._exit(2)", r"^the app exited while starting \(exit code 2\)$"),
])
def test_malformed_start(fake, start_code: str, message: str):
    connection = fake(OK_START, start_code, start_timeout=1)
    began = time.monotonic()
    with pytest.raises(AppStartError, match=message):
        connection.start()
    assert time.monotonic() - began < 3


def test_student_modules_named_like_the_agents_own_are_imported(start):
    # The agent's bundle has protocol.py and discovery.py; the student's must win in their app.
    connection = start("""
        import protocol, discovery

        @app.route("/mine")
        def mine():
            return protocol.WHO + discovery.WHO
    """, files={"protocol.py": "WHO = 'student-protocol '\n", "discovery.py": "WHO = 'student-discovery'\n"})
    assert Client(connection).get("/mine").text == "student-protocol student-discovery"


RESTART_APP = """
    import os, sqlite3
    COUNTER = {"hits": 0}
    DB = os.path.join(os.path.dirname(__file__), "log.db")

    @app.route("/note/<text>", methods=["POST"])
    def note(text):
        with sqlite3.connect(DB) as db:
            db.execute("CREATE TABLE IF NOT EXISTS notes (text TEXT)")
            db.execute("INSERT INTO notes VALUES (?)", (text,))
        COUNTER["hits"] += 1
        return "ok"

    @app.route("/notes")
    def notes():
        with sqlite3.connect(DB) as db:
            rows = [r[0] for r in db.execute("SELECT text FROM notes")]
        return jsonify(notes=rows, hits=COUNTER["hits"])
"""


@pytest.mark.parametrize("sandbox", ["process", "inprocess"])
def test_restart_keeps_the_files_and_forgets_the_memory(start, sandbox):
    from grader.sandbox.inprocess import InProcessSandbox

    connection = start(RESTART_APP, sandbox=ProcessSandbox() if sandbox == "process" else InProcessSandbox())
    client = Client(connection)
    client.post("/note/liftoff")
    assert client.get("/notes").json == {"notes": ["liftoff"], "hits": 1}
    try:
        connection.restart()
        assert client.get("/notes").json == {"notes": ["liftoff"], "hits": 0}
    finally:  # the in-process sandbox imported the app into this process: forget it
        for name, module in list(sys.modules.items()):
            if "app" in name and str(getattr(module, "__file__", "")).startswith(str(connection_root(connection))):
                del sys.modules[name]


def connection_root(connection) -> Path:
    return getattr(connection, "root", None) or getattr(connection, "box", Path("/nonexistent"))


@root_only
def test_jail_cannot_write_more_than_its_disk_quota(start, boxes: Path):
    """disk_mb 32 in the jail: /app is a 16 MiB tmpfs, /tmp and /dev/shm 8 MiB each; ENOSPC past them."""
    connection = start(FILL_ROUTES, disk_mb=32, request_timeout=20)
    client = Client(connection)
    for where, quota in (("app", 16), ("tmp", 8), ("shm", 8)):
        answer = client.get(f"/fill/{where}").json
        assert answer["error"] == "ENOSPC", where
        assert (quota - 2) << 20 <= answer["written"] <= quota << 20, (where, answer)
    assert client.get("/big").text in {"EFBIG", "ENOSPC"}  # RLIMIT_FSIZE: min(64 MiB, disk_mb)
    assert client.get("/").text == "home"
    assert len(_mounts_under(str(boxes.resolve()))) == 1  # the box's /app
    connection.close()
    assert _mounts_under(str(boxes.resolve())) == []
    assert list(boxes.iterdir()) == []


@root_only
def test_a_submission_larger_than_the_quota_is_the_students_in_the_jail(tmp_path: Path, boxes: Path):
    app = write_app(tmp_path / "huge")
    (app / "data.bin").write_bytes(os.urandom(12 << 20))  # /app of disk_mb 16 is 8 MiB
    with pytest.raises(AppStartError, match="does not fit"):
        ProcessSandbox().start(app, Limits(start_timeout=START_TIMEOUT, disk_mb=16))
    assert _mounts_under(str(boxes.resolve())) == []
    assert list(boxes.iterdir()) == []


def test_without_the_jail_a_file_is_capped_at_the_disk_when_that_is_smaller(start):
    connection = start(FILL_ROUTES, sandbox=ProcessSandbox(jail=False), disk_mb=32, request_timeout=20)
    assert Client(connection).get("/big").text == "EFBIG"
    assert Client(connection).get("/").text == "home"
