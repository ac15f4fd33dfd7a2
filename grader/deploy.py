"""What deployment tests get from the `app` fixture: the app under gunicorn, over HTTP, inside the sandbox.

    from grader.testing import tail

    def test_serves_under_gunicorn(app):
        with app.serve("wsgi:app", env={"APP_ENV": "production", "SECRET_KEY": "k"}) as server:
            assert server.running, f"gunicorn wsgi:app exited ({server.exit_code}): {tail(server.output)}"
            assert server.client().get("/healthz").status_code == 200

Every reply comes from the sandbox and is checked here before a test sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.test import Client, TestResponse

from grader.sandbox.base import AppUnavailable, Connection
from grader.sandbox.remote import wsgi_answer, wsgi_request

OUTPUT_LIMIT = 64 * 1024
_SLACK = 5.0  # seconds the trusted side waits beyond the sandbox's own deadline


def _text(value: object, limit: int = OUTPUT_LIMIT) -> str:
    return value[:limit] if isinstance(value, str) else ""


@dataclass(frozen=True)
class Boot:
    """The app started in a fresh process with only the given environment, as production would start it.

    `ok` is False when it could not start; then `reason` says why (file, line, exception), as the
    student would see it. `config` holds its JSON-safe config values when it started.
    """

    ok: bool
    config: dict
    debug: bool | None
    reason: str
    output: str

    @classmethod
    def from_reply(cls, reply: dict) -> Boot:
        ok = reply.get("ok") is True
        config = reply.get("config") if ok and isinstance(reply.get("config"), dict) else {}
        debug = reply.get("debug") if isinstance(reply.get("debug"), bool) else None
        reason = "" if ok else (_text(reply.get("reason"), 1000) or "the app could not start")
        return cls(ok, config, debug, reason, _text(reply.get("output")))


class Server:
    """gunicorn serving the submission inside the sandbox. A WSGI app: each request goes over HTTP to it.

    `ready` says whether it answered HTTP at start; `running` is False when gunicorn has exited:
    then `exit_code` and `output` (what gunicorn and the app printed, capped, without colours,
    paths relative to the submission) say why.
    """

    def __init__(self, connection: Connection, target: str, reply: dict, request_timeout: float) -> None:
        self._connection = connection
        self.target = target
        self._timeout = request_timeout
        number = reply.get("server")
        if not isinstance(number, int):
            raise AppUnavailable(f"gunicorn {target}: malformed reply from the sandbox")
        self._number = number
        self._stopped = False
        self._update(reply)

    def _update(self, reply: dict) -> None:
        self.running = reply.get("running") is True
        self.ready = reply.get("ready") is True
        code = reply.get("exit_code")
        self.exit_code = code if isinstance(code, int) and not isinstance(code, bool) else None
        self.output = _text(reply.get("output"))

    def __call__(self, environ: dict, start_response):
        what, forwarded, body = wsgi_request(environ)
        what = f"{what} (to gunicorn {self.target})"
        if self._stopped:
            raise AppUnavailable(f"{what}: the server was stopped")
        header = {"op": "server_request", "server": self._number, "environ": forwarded, "timeout": self._timeout}
        reply, content = self._connection.sandbox_call(header, body, self._timeout + _SLACK, what)
        if reply.get("timeout") is True:
            raise AppUnavailable(f"{what} did not answer within {self._timeout:g} s")
        return wsgi_answer(reply, content, what, start_response)

    def client(self) -> Client:
        """A werkzeug test client whose requests go over HTTP to this gunicorn."""
        return Client(self, response_wrapper=TestResponse)

    def refresh(self) -> Server:
        """Read `running`, `exit_code` and `output` again (e.g. after a request that should have stopped it)."""
        if not self._stopped:
            reply, _ = self._connection.sandbox_call({"op": "server_status", "server": self._number}, what="gunicorn")
            self._update(reply)
        return self

    def stop(self) -> Server:
        """Stop gunicorn (SIGTERM, then SIGKILL); `exit_code` and `output` are then final."""
        if not self._stopped:
            self._stopped = True
            reply, _ = self._connection.sandbox_call({"op": "server_stop", "server": self._number},
                                                     timeout=self._timeout + _SLACK, what="stopping gunicorn")
            self._update(reply)
        return self

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def serve(connection: Connection, target: str, env: dict[str, str] | None, options: list[str] | tuple[str, ...],
          ready: str, start_timeout: float, request_timeout: float) -> Server:
    """Start gunicorn on `target` ('wsgi:app') in the sandbox; return once it answers HTTP or has exited."""
    header = {"op": "serve", "target": target, "options": list(options), "env": dict(env or {}),
              "ready": ready, "timeout": start_timeout}
    reply, _ = connection.sandbox_call(header, timeout=start_timeout + _SLACK, what=f"gunicorn {target}")
    return Server(connection, target, reply, request_timeout)


def boot(connection: Connection, env: dict[str, str] | None, start_timeout: float) -> Boot:
    """Start the app in a fresh process with only `env` (and PATH, HOME, ...), report its config."""
    header = {"op": "boot", "env": dict(env or {}), "timeout": start_timeout}
    reply, _ = connection.sandbox_call(header, timeout=start_timeout + _SLACK, what="starting the app")
    return Boot.from_reply(reply)


def temp_dir(connection: Connection) -> str:
    """The sandbox's own temporary folder, as the app sees it: removed with the sandbox."""
    path = connection.sandbox_call({"op": "temp_dir"}, what="finding the temporary folder")[0].get("path")
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 4096:
        raise AppUnavailable("finding the temporary folder: malformed reply")
    return path


def read_text(connection: Connection, path: str) -> str | None:
    """A text file of the submission (at most 256 KiB), or None when there is no such file."""
    reply, _ = connection.sandbox_call({"op": "read_text", "path": path}, what=f"reading {path}")
    if reply.get("exists") is not True:
        return None
    return _text(reply.get("text"), 256 * 1024)
