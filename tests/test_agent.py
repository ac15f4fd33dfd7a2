"""The sandbox agent as a real subprocess, started the way the process sandbox starts it.

Each test copies the agent bundle into tmp_path, writes a tiny Flask app, runs
`python -I -u -B agent.py` in the app folder and speaks the framed protocol over its pipes.
"""

from __future__ import annotations

import hashlib
import json
import select
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader.agent import protocol
from grader.sandbox.base import TEST_CONFIG
from grader.sandbox.process import bundle_into

REPLY_TIMEOUT = 20  # generous: a loaded CI machine imports Flask slowly

APP = '''\
import os
import sys

from flask import Flask, jsonify, render_template, request

app = Flask(__name__)
app.config["DATABASE"] = os.environ.get("TEST_DATABASE", "data.db")
app.config["NUMBER"] = 42
app.config["NESTED"] = {"a": [1, 2, "x"]}
app.config["NOT_JSON"] = object()
app.config["A_SET"] = {1, 2}


@app.route("/")
def home():
    return "hello from the app"


@app.route("/echo", methods=["POST"])
def echo():
    return jsonify(
        body=request.get_data(as_text=True),
        cookie=request.cookies.get("flavour"),
        content_type=request.content_type,
        query=request.args.get("q"),
    ), 201, {"X-Custom": "yes"}


@app.route("/page")
def page():
    return render_template("page.html", title="T", items=[1, 2])


@app.route("/exit")
def leave():
    sys.exit(3)


@app.route("/boom")
def boom():
    raise ValueError("kaboom")


@app.route("/noisy")
def noisy():
    print("plain print from the app")
    fake = PROTOCOL_FRAME
    sys.stdout.buffer.write(fake)
    sys.stdout.flush()
    os.write(1, b"\\x00\\x00\\x00\\x05\\x00\\x00\\x00\\x00garbage written to fd 1\\n")
    print("to stderr", file=sys.stderr)
    return "quiet answer"
'''


def write_app(folder: Path, database: Path | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fake_frame = protocol.encode({"status": "200 OK", "headers": [], "templates": []}, b"FAKE")
    source = APP.replace("PROTOCOL_FRAME", repr(fake_frame))
    if database is not None:
        source = source.replace('os.environ.get("TEST_DATABASE", "data.db")', repr(str(database)))
    (folder / "app.py").write_text(source)
    (folder / "templates").mkdir(exist_ok=True)
    (folder / "templates" / "page.html").write_text("<h1>{{ title }}</h1>{% for i in items %}{{ i }}{% endfor %}")
    return folder


class AgentProcess:
    """One agent subprocess; `call` sends a frame and waits (with a deadline) for one reply."""

    def __init__(self, tmp_path: Path, app: Path) -> None:
        agent = bundle_into(tmp_path / "bundle")
        self.stderr_path = tmp_path / "agent-stderr.txt"
        self._stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-u", "-B", str(agent)], cwd=app,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tmp_path)},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
        )
        self._frames = protocol.FrameBuffer()

    def call(self, header: dict, body: bytes = b"") -> tuple[dict, bytes]:
        self.process.stdin.write(protocol.encode(header, body))
        self.process.stdin.flush()
        deadline = time.monotonic() + REPLY_TIMEOUT
        fd = self.process.stdout.fileno()
        while (frame := self._frames.next_frame()) is None:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the agent did not answer {header.get('op')!r} in {REPLY_TIMEOUT} s"
            readable, _, _ = select.select([fd], [], [], remaining)
            if readable:
                chunk = self.process.stdout.raw.read(65536)
                assert chunk, f"the agent ended (exit {self.process.wait()}): {self.stderr()}"
                self._frames.feed(chunk)
        return frame

    def read_exact(self, size: int) -> bytes:
        """Exactly `size` raw bytes of the agent's stdout, with a deadline (for frames we may reject)."""
        deadline = time.monotonic() + REPLY_TIMEOUT
        data = bytearray()
        fd = self.process.stdout.fileno()
        while len(data) < size:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the agent sent {len(data)} of {size} bytes in {REPLY_TIMEOUT} s"
            if select.select([fd], [], [], remaining)[0]:
                chunk = self.process.stdout.raw.read(size - len(data))
                assert chunk, f"the agent ended (exit {self.process.wait()}): {self.stderr()}"
                data += chunk
        return bytes(data)

    def start(self, config: dict | None = None) -> dict:
        reply, _ = self.call({"op": "start", "config": TEST_CONFIG if config is None else config})
        return reply

    def request(self, method: str, path: str, body: bytes = b"", **extra: str) -> tuple[dict, bytes]:
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SCRIPT_NAME": "",
            "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "localhost", "CONTENT_LENGTH": str(len(body)), "wsgi.url_scheme": "http",
        }
        environ.update(extra)
        return self.call({"op": "request", "environ": environ}, body)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def close(self) -> int:
        if not self.process.stdin.closed:
            self.process.stdin.close()  # end of stream: the agent exits cleanly
        self.process.stdout.close()  # a reply we did not read fails the agent's write instead of blocking it
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        if not self._stderr.closed:
            self._stderr.close()
        return code


@pytest.fixture
def make_agent(tmp_path: Path):
    agents: list[AgentProcess] = []

    def make(app: Path) -> AgentProcess:
        agent = AgentProcess(tmp_path / f"agent{len(agents)}", app)
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.close()


@pytest.fixture
def agent(tmp_path: Path, make_agent) -> AgentProcess:
    started = make_agent(write_app(tmp_path / "app"))
    assert started.start() == {"ok": True}, started.stderr()
    return started


def headers_of(reply: dict) -> dict[str, str]:
    return {name.lower(): value for name, value in reply["headers"]}


def test_ping_before_start(tmp_path: Path, make_agent):
    agent = make_agent(write_app(tmp_path / "app"))
    assert agent.call({"op": "ping"}) == ({"pong": True}, b"")


def test_ops_before_start_are_refused(tmp_path: Path, make_agent):
    agent = make_agent(write_app(tmp_path / "app"))
    for op in ("request", "routes", "config", "sql"):
        reply, _ = agent.call({"op": op})
        assert reply == {"error": "the app is not started"}


def test_unknown_op(agent: AgentProcess):
    reply, _ = agent.call({"op": "format-disk"})
    assert reply == {"error": "unknown op 'format-disk'"}


def test_clean_exit_at_end_of_stdin(agent: AgentProcess):
    assert agent.close() == 0


def test_start_syntax_error_names_file_and_line(tmp_path: Path, make_agent):
    app = tmp_path / "broken"
    app.mkdir()
    (app / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n\ndef oops(:\n    pass\n")
    agent = make_agent(app)
    reply = agent.start()
    assert reply["ok"] is False
    assert "app.py, line 4" in reply["error"]
    assert "SyntaxError" in reply["error"]
    assert str(tmp_path) not in reply["error"], "the grader's private path leaks into the message"
    # Still alive and answering after a failed start.
    assert agent.call({"op": "ping"})[0] == {"pong": True}


def test_start_without_app(tmp_path: Path, make_agent):
    empty = tmp_path / "empty"
    empty.mkdir()
    reply = make_agent(empty).start()
    assert reply["ok"] is False
    assert "could not locate a Flask application" in reply["error"]


def test_get(agent: AgentProcess):
    reply, body = agent.request("GET", "/")
    assert reply["status"] == "200 OK"
    assert headers_of(reply)["content-type"].startswith("text/html")
    assert body == b"hello from the app"
    assert reply["templates"] == []


def test_not_found(agent: AgentProcess):
    reply, _ = agent.request("GET", "/nowhere")
    assert reply["status"].startswith("404")


def test_post_with_body_cookie_and_query(agent: AgentProcess):
    reply, body = agent.request(
        "POST", "/echo", b"name=Ada&x=1", CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_COOKIE="flavour=oatmeal; other=1", QUERY_STRING="q=search",
    )
    assert reply["status"] == "201 CREATED"
    assert headers_of(reply)["x-custom"] == "yes"
    assert json.loads(body) == {
        "body": "name=Ada&x=1", "cookie": "oatmeal",
        "content_type": "application/x-www-form-urlencoded", "query": "search",
    }


def test_non_string_environ_values_are_dropped(agent: AgentProcess):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_X_NUMBER": 5, "HTTP_X_LIST": ["a"]}
    reply, body = agent.call({"op": "request", "environ": environ})
    assert reply["status"] == "200 OK" and body == b"hello from the app"


def test_template_name_and_context_keys(agent: AgentProcess):
    reply, body = agent.request("GET", "/page")
    assert reply["status"] == "200 OK"
    assert body == b"<h1>T</h1>12"
    [template] = reply["templates"]
    assert template["name"] == "page.html"
    assert {"title", "items"} <= set(template["context"])
    # The next request that renders nothing reports no templates.
    reply, _ = agent.request("GET", "/")
    assert reply["templates"] == []


def test_routes(agent: AgentProcess):
    reply, _ = agent.call({"op": "routes"})
    routes = {r["rule"]: r for r in reply["routes"]}
    assert {"/", "/echo", "/page", "/exit", "/boom", "/noisy", "/static/<path:filename>"} <= set(routes)
    assert routes["/echo"]["endpoint"] == "echo"
    assert "POST" in routes["/echo"]["methods"] and "GET" not in routes["/echo"]["methods"]
    assert routes["/"]["methods"] == sorted(routes["/"]["methods"])
    assert {"GET", "HEAD", "OPTIONS"} <= set(routes["/"]["methods"])


def test_config_is_json_safe_only(agent: AgentProcess):
    reply, _ = agent.call({"op": "config"})
    config = reply["config"]
    assert config["NUMBER"] == 42
    assert config["NESTED"] == {"a": [1, 2, "x"]}
    assert config["TESTING"] is True and config["SECRET_KEY"] == TEST_CONFIG["SECRET_KEY"]
    assert "NOT_JSON" not in config and "A_SET" not in config
    assert "PERMANENT_SESSION_LIFETIME" not in config  # a timedelta


def test_start_config_is_applied(tmp_path: Path, make_agent):
    agent = make_agent(write_app(tmp_path / "app"))
    assert agent.start({"TESTING": True, "EXTRA_FROM_GRADER": "yes"}) == {"ok": True}
    config = agent.call({"op": "config"})[0]["config"]
    assert config["EXTRA_FROM_GRADER"] == "yes"


def make_database(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.executescript("""
        CREATE TABLE post (id INTEGER PRIMARY KEY, title TEXT, data BLOB);
        INSERT INTO post (title, data) VALUES ('first', x'00ff'), ('second', NULL);
    """)
    connection.commit()
    connection.close()


def test_sql_reads_rows(tmp_path: Path, make_agent):
    database = tmp_path / "db" / "blog.sqlite"
    database.parent.mkdir()
    make_database(database)
    agent = make_agent(write_app(tmp_path / "app", database))
    assert agent.start() == {"ok": True}
    reply, _ = agent.call({"op": "sql", "query": "SELECT id, title, data FROM post ORDER BY id"})
    assert reply == {"columns": ["id", "title", "data"], "rows": [[1, "first", "00ff"], [2, "second", None]]}
    reply, _ = agent.call({"op": "sql", "query": "SELECT title FROM post WHERE id = ?", "params": [2]})
    assert reply["rows"] == [["second"]]


def test_sql_relative_database_path_is_under_the_app(tmp_path: Path, make_agent):
    app = write_app(tmp_path / "app")  # DATABASE = "data.db", relative to the app's root_path
    make_database(app / "data.db")
    agent = make_agent(app)
    assert agent.start() == {"ok": True}
    assert agent.call({"op": "sql", "query": "SELECT count(*) FROM post"})[0]["rows"] == [[2]]


@pytest.mark.parametrize("query", [
    "INSERT INTO post (title) VALUES ('sneaky')",
    "DELETE FROM post",
    "DROP TABLE post",
    "CREATE TABLE evil (x)",
])
def test_sql_refuses_to_write(tmp_path: Path, make_agent, query: str):
    database = tmp_path / "blog.sqlite"
    make_database(database)
    before = hashlib.sha256(database.read_bytes()).hexdigest(), database.stat().st_mtime_ns
    agent = make_agent(write_app(tmp_path / "app", database))
    assert agent.start() == {"ok": True}
    reply, _ = agent.call({"op": "sql", "query": query})
    assert "error" in reply and "rows" not in reply
    assert (hashlib.sha256(database.read_bytes()).hexdigest(), database.stat().st_mtime_ns) == before
    assert sqlite3.connect(database).execute("SELECT count(*) FROM post").fetchone() == (2,)


def test_sql_missing_database_file(tmp_path: Path, make_agent):
    agent = make_agent(write_app(tmp_path / "app", tmp_path / "absent.sqlite"))
    assert agent.start() == {"ok": True}
    reply, _ = agent.call({"op": "sql", "query": "SELECT 1"})
    assert reply == {"error": "no database file at absent.sqlite"}
    assert not (tmp_path / "absent.sqlite").exists(), "a read-only query created the database"


def test_sql_sqlalchemy_uri_is_relative_to_the_instance_folder(tmp_path: Path, make_agent):
    app = tmp_path / "orm"
    app.mkdir()
    (app / "app.py").write_text(textwrap.dedent("""
        from flask import Flask
        app = Flask(__name__)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///orm.db?timeout=5"
    """))
    (app / "instance").mkdir()
    make_database(app / "instance" / "orm.db")
    agent = make_agent(app)
    assert agent.start() == {"ok": True}
    assert agent.call({"op": "sql", "query": "SELECT title FROM post ORDER BY id"})[0]["rows"] == [["first"], ["second"]]


def test_sql_bad_query_is_an_error_not_a_crash(agent: AgentProcess, tmp_path: Path):
    make_database(tmp_path / "app" / "data.db")
    reply, _ = agent.call({"op": "sql", "query": "SELEKT nonsense"})
    assert reply["error"].startswith("OperationalError")
    assert agent.call({"op": "ping"})[0] == {"pong": True}


def test_many_rendered_templates_fit_in_one_reply(tmp_path: Path, make_agent):
    """An honest page that renders a partial per item must not produce an oversized reply."""
    app = write_app(tmp_path / "app")
    (app / "templates" / "row.html").write_text("<li>{{ item }}</li>")
    with (app / "app.py").open("a") as source:
        source.write(textwrap.dedent("""
            @app.route("/rows/<int:count>")
            def rows(count):
                return "".join(render_template("row.html", item=i) for i in range(count))
        """))
    agent = make_agent(app)
    assert agent.start() == {"ok": True}
    agent.process.stdin.write(protocol.encode({"op": "request", "environ": {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/rows/20000", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1"}}))
    agent.process.stdin.flush()
    # Read the raw prefix: the reply must respect the protocol's own limits.
    header_len, body_len = protocol.PREFIX.unpack(agent.read_exact(protocol.PREFIX.size))
    assert header_len <= protocol.MAX_HEADER, (
        f"the agent's reply header is {header_len} bytes, over the protocol's {protocol.MAX_HEADER}: "
        "the grader rejects it as an invalid reply"
    )
    reply = json.loads(agent.read_exact(header_len))
    assert agent.read_exact(body_len).startswith(b"<li>0</li><li>1</li>")
    assert reply["status"] == "200 OK"
    assert reply["templates"][0]["name"] == "row.html"


def test_route_calling_sys_exit_is_a_crash(agent: AgentProcess):
    reply, body = agent.request("GET", "/exit")
    assert "crash" in reply and "status" not in reply
    assert "SystemExit" in reply["crash"]
    assert "app.py, line" in reply["crash"]
    assert body == b""
    # The agent survives and keeps answering.
    assert agent.request("GET", "/")[1] == b"hello from the app"


def test_route_raising_answers_500(agent: AgentProcess):
    reply, _ = agent.request("GET", "/boom")
    assert reply["status"].startswith("500")
    assert "ValueError" in agent.stderr() or "kaboom" in agent.stderr()


def test_app_prints_go_to_stderr_not_the_protocol(agent: AgentProcess):
    reply, body = agent.request("GET", "/noisy")
    assert reply["status"] == "200 OK"
    assert body == b"quiet answer"
    # The next exchange is still in step: no fake frame was left in the pipe.
    assert agent.call({"op": "ping"}) == ({"pong": True}, b"")
    assert agent.request("GET", "/")[1] == b"hello from the app"
    agent.close()
    err = agent.stderr()
    assert "plain print from the app" in err
    assert "garbage written to fd 1" in err
    assert "FAKE" in err
    assert "to stderr" in err


def test_app_reading_stdin_sees_nothing(tmp_path: Path, make_agent):
    app = tmp_path / "reader"
    app.mkdir()
    (app / "app.py").write_text(textwrap.dedent("""
        import sys
        from flask import Flask
        app = Flask(__name__)

        @app.route("/")
        def read():
            return repr(sys.stdin.read())
    """))
    agent = make_agent(app)
    assert agent.start() == {"ok": True}
    reply, body = agent.request("GET", "/")
    assert reply["status"] == "200 OK" and body == b"''"
    assert agent.call({"op": "ping"})[0] == {"pong": True}
