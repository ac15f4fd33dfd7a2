"""The trusted side of the agent protocol: a Connection that forwards everything to an agent.

Every reply is untrusted: sizes are capped by the framing, shapes are checked here, and every
call has a deadline. A timeout or a crash fails that call only; the next call restarts the app.
"""

from __future__ import annotations

import abc
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from grader.rubric import Limits
from grader.sandbox.base import (
    AppStartError, AppUnavailable, Connection, GraderFault, Prepared, RenderedTemplate, Route, app_config,
)
from grader.agent.protocol import MAX_BODY, FrameBuffer, ProtocolError, encode

OUTPUT_LIMIT = 64 * 1024
# Printable Latin-1 only (PEP 3333); fullmatch, so no trailing newline slips through.
_STATUS = re.compile(r"[1-5][0-9][0-9]( [\x20-\x7e\xa0-\xff]{0,200})?")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # terminal colours, as Flask's development server prints them
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")


class OutputBuffer:
    """The app's stdout and stderr: the first OUTPUT_LIMIT bytes kept, the rest only counted."""

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self.limit = limit
        self.total = 0
        self._kept = bytearray()
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            self.total += len(data)
            room = self.limit - len(self._kept)
            if room > 0:
                self._kept += data[:room]

    def text(self) -> str:
        with self._lock:
            return self._kept.decode("utf-8", errors="replace")


class Transport(abc.ABC):
    """A byte pipe to one running agent (a subprocess, a container)."""

    @abc.abstractmethod
    def send(self, data: bytes, timeout: float) -> None:
        """Write all of `data`; TimeoutError if the agent stops reading; EOFError if it is gone."""

    @abc.abstractmethod
    def receive(self, timeout: float) -> bytes:
        """Some bytes from the agent; b'' when it is gone; TimeoutError when none came in time."""

    @abc.abstractmethod
    def kill(self) -> None:
        """Stop the agent and everything it started; safe to call twice."""

    @abc.abstractmethod
    def exit_reason(self) -> str:
        """Why the agent ended, in words: 'exit code 1', 'killed by SIGKILL (out of memory?)'."""

    def fault(self) -> str | None:
        """After a call failed: the grader's own failure behind it, if any ('the Docker engine
        stopped answering'), else None (the app is to blame). Asked of the trusted side only."""
        return None


def last_words(output: str, limit: int = 200) -> str:
    """'; its last output: "..."' -- the app's last printed line, for a message about its start."""
    lines = [line.strip() for line in _ANSI.sub("", output).splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[-1] if len(lines[-1]) <= limit else lines[-1][: limit - 3] + "..."
    return f"; its last output: {line!r}"


def close_quietly(*streams) -> None:
    """Close pipes or sockets of an agent that may already be gone."""
    for stream in streams:
        try:
            stream.close()
        except OSError:
            pass


class _Gone(Exception):
    """The agent ended or sent garbage during a call."""


class AgentConnection(Connection):
    """Talks to the student's app through an agent, restarting it after a crash or a timeout."""

    def __init__(self, launch: Callable[[OutputBuffer], Transport], limits: Limits, config: dict | None = None) -> None:
        self._launch = launch
        self.limits = limits
        self._config = app_config(config)
        self.loading: dict = {}  # how the agent finds the app (discovery.load_app's `loading`)
        self.warnings: list[str] = []  # what the first start warned about (e.g. app.run() at import)
        self._created: list[dict] = []  # `create` calls, made again in order after every restart
        self.output = OutputBuffer()
        self.templates: list[RenderedTemplate] = []
        self._transport: Transport | None = None
        self._broken: str | None = None
        self.restarts = 0

    # -- life cycle ---------------------------------------------------------------------------

    def launch(self) -> None:
        """Start the agent without the app: it does its imports and waits (a warm sandbox)."""
        if self._transport is None:
            self._transport = self._launch(self.output)

    def send_files(self, archive: bytes) -> None:
        """Hand the waiting agent the submission (a tar) to write into its folder, before the app
        starts. AppStartError if it does not fit (the submission's); GraderFault for anything
        else, as no code of the student's has run yet."""
        self.launch()
        try:
            reply, _ = self._call({"op": "files"}, archive, self.limits.start_timeout)
        except TimeoutError:
            raise GraderFault(f"the sandbox did not take the submission's files within {self.limits.start_timeout:g} s") from None
        except _Gone as gone:
            raise GraderFault(f"the sandbox's agent exited while taking the submission's files ({gone})") from None
        if reply.get("ok") is True:
            return
        error = str(reply.get("error") or "no reason given")[:300]
        if reply.get("full") is True:
            raise AppStartError(f"the submission does not fit the app's folder: {error}")
        raise GraderFault(f"the sandbox could not write the submission's files: {error}")

    def start(self) -> None:
        """Launch the agent (unless launched) and start the app; AppStartError with the reason if it can't."""
        limit = self.limits.start_timeout
        self.launch()
        try:
            reply, _ = self._call({"op": "start", "config": self._config, "loading": self.loading}, b"", limit)
        except TimeoutError:
            self._stop()
            raise AppStartError(f"the app did not start within {limit:g} s{last_words(self.output.text())}") from None
        except _Gone as gone:
            self._stop()
            raise AppStartError(f"the app exited while starting ({gone}){last_words(self.output.text())}") from None
        if reply.get("ok") is not True:
            self._stop()
            error = reply.get("error")
            raise AppStartError(error[:1000] if isinstance(error, str) else "the app could not start")
        warnings = reply.get("warnings")
        if not self.warnings and isinstance(warnings, list):  # untrusted: a few short strings at most
            self.warnings = [w[:500] for w in warnings[:5] if isinstance(w, str)]
        for index, header in enumerate(self._created, 1):
            try:
                reply, _ = self._call(header, b"", limit)
            except (TimeoutError, _Gone):
                reply = {"error": "the app stopped answering"}
            if reply.get("app") != index:
                self._stop()
                error = reply.get("error")
                raise AppStartError(f"app.create() failed when made again: {str(error)[:500]}")

    def _ensure_started(self) -> None:
        if self._broken:
            raise AppUnavailable(self._broken)
        if self._transport is None:
            self.restarts += 1
            try:
                self.start()
            except AppStartError as exc:
                self._broken = f"the app crashed earlier and could not be restarted: {exc.message}"
                raise AppUnavailable(self._broken) from None

    def _stop(self) -> None:
        """Kill the agent; the next call starts a new one."""
        if self._transport is not None:
            self._transport.kill()
            self._transport = None

    def close(self) -> None:
        self._stop()

    def restart(self) -> None:
        self._stop()
        try:
            self.start()
        except AppStartError as exc:
            raise AppUnavailable(f"the app did not start again: {exc.message}") from None

    # -- calls ----------------------------------------------------------------------------------

    def _call(self, header: dict, body: bytes, timeout: float) -> tuple[dict, bytes]:
        assert self._transport is not None
        transport = self._transport
        deadline = time.monotonic() + timeout
        try:
            transport.send(encode(header, body), timeout)
            frames = FrameBuffer()
            while True:
                frame = frames.next_frame()
                if frame is not None:
                    return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                chunk = transport.receive(remaining)
                if not chunk:
                    raise _Gone(transport.exit_reason())
                frames.feed(chunk)
        except TimeoutError:
            self._blame(transport)
            raise
        except (EOFError, OSError):
            reason = transport.exit_reason()
            self._blame(transport)
            raise _Gone(reason) from None
        except ProtocolError as exc:
            self._stop()
            raise _Gone(f"it sent an invalid reply: {exc}") from None
        except _Gone:
            self._blame(transport)
            raise

    def _blame(self, transport: Transport) -> None:
        """Stop the agent; raise GraderFault when the failure was the grader's, not the app's."""
        fault = transport.fault()
        self._stop()
        if fault:
            raise GraderFault(fault)

    def create(self, args: list, kwargs: dict) -> Connection:
        header = {"op": "create", "args": list(args), "kwargs": dict(kwargs)}
        reply = self._ask(header, "app.create()", self.limits.start_timeout)
        index = reply.get("app")
        if index != len(self._created) + 1:
            raise AppUnavailable("app.create(): malformed reply")
        self._created.append(header)
        return _CreatedApp(self, index)

    def _ask(self, header: dict, what: str, timeout: float | None = None, body: bytes = b"") -> dict:
        """A call that isn't a request (routes, config, sql): same deadline and restart rules."""
        return self.sandbox_call(header, body, timeout, what)[0]

    def sandbox_call(self, header: dict, body: bytes = b"", timeout: float | None = None,
                     what: str | None = None) -> tuple[dict, bytes]:
        self._ensure_started()
        what = what or str(header.get("op"))
        timeout = timeout or self.limits.request_timeout
        try:
            reply, content = self._call(header, body, timeout)
        except TimeoutError:
            raise AppUnavailable(f"{what}: the app did not answer within {timeout:g} s") from None
        except _Gone as gone:
            raise AppUnavailable(f"{what}: the app crashed ({gone})") from None
        if isinstance(reply.get("error"), str):
            raise AppUnavailable(f"{what}: {reply['error'][:500]}")
        return reply, content

    def __call__(self, environ: dict, start_response):
        return self.forward(environ, start_response, 0)

    def forward(self, environ: dict, start_response, app: int):
        """Send one WSGI request to app number `app` (0: the app; others: made by create)."""
        what, forwarded, body = wsgi_request(environ)
        self._ensure_started()
        self.templates = []
        try:
            reply, content = self._call({"op": "request", "environ": forwarded, "app": app}, body,
                                        self.limits.request_timeout)
        except TimeoutError:
            raise AppUnavailable(f"{what} did not answer within {self.limits.request_timeout:g} s") from None
        except _Gone as gone:
            raise AppUnavailable(f"{what} crashed the app ({gone})") from None
        self.templates = checked_templates(reply)
        return wsgi_answer(reply, content, what, start_response)

    def routes(self, app: int = 0) -> list[Route]:
        reply = self._ask({"op": "routes", "app": app}, "listing the routes")
        routes = reply.get("routes")
        if not isinstance(routes, list):
            raise AppUnavailable("listing the routes: malformed reply")
        out = []
        for item in routes[:10000]:
            if (isinstance(item, dict) and isinstance(item.get("rule"), str) and isinstance(item.get("endpoint"), str)
                    and isinstance(item.get("methods"), list) and all(isinstance(m, str) for m in item["methods"])):
                out.append(Route(item["rule"], item["endpoint"], frozenset(item["methods"])))
        return out

    def config(self, app: int = 0) -> dict:
        config = self._ask({"op": "config", "app": app}, "reading the config").get("config")
        if not isinstance(config, dict):
            raise AppUnavailable("reading the config: malformed reply")
        return config

    def sql(self, query: str, params: list | tuple = (), app: int = 0) -> tuple[list[str], list[list]]:
        reply = self._ask({"op": "sql", "query": query, "params": list(params), "app": app}, sql_what(query))
        columns, rows = reply.get("columns"), reply.get("rows")
        if not (isinstance(columns, list) and isinstance(rows, list) and all(isinstance(r, list) for r in rows)):
            raise AppUnavailable(f"{sql_what(query)}: malformed reply")
        return [str(c) for c in columns], rows

    def app_output(self) -> tuple[str, int]:
        return self.output.text(), self.output.total


class PreparedAgent(Prepared):
    """A sandbox whose agent runs and waits: `put_files` brings the submission in, then the app starts."""

    def __init__(self, connection: AgentConnection) -> None:
        self.connection = connection

    @abc.abstractmethod
    def put_files(self, submission: Path) -> None:
        """Copy the submission to where the agent will import it from."""

    def start(self, submission: Path, loading: dict | None = None) -> Connection:
        self.connection.loading = dict(loading or {})
        try:
            self.put_files(submission)
            self.connection.start()
        except BaseException:
            self.connection.close()
            raise
        return self.connection

    def discard(self) -> None:
        self.connection.close()


class _CreatedApp(Connection):
    """A second app made by the factory in the same agent: its own requests, config, routes, database."""

    def __init__(self, parent: AgentConnection, index: int) -> None:
        self._parent = parent
        self._index = index
        self.limits = parent.limits

    def __call__(self, environ: dict, start_response):
        return self._parent.forward(environ, start_response, self._index)

    def routes(self) -> list[Route]:
        return self._parent.routes(self._index)

    def config(self) -> dict:
        return self._parent.config(self._index)

    def sql(self, query: str, params: list | tuple = ()) -> tuple[list[str], list[list]]:
        return self._parent.sql(query, params, self._index)

    def create(self, args: list, kwargs: dict) -> Connection:
        return self._parent.create(args, kwargs)

    def restart(self) -> None:
        self._parent.restart()

    def sandbox_call(self, header: dict, body: bytes = b"", timeout: float | None = None,
                     what: str | None = None) -> tuple[dict, bytes]:
        return self._parent.sandbox_call(header, body, timeout, what)

    def rendered_templates(self) -> list[RenderedTemplate]:
        return self._parent.rendered_templates()


def sql_what(query: str) -> str:
    """'querying the database (SELECT ...)' for a message about a failed app.sql call."""
    shown = " ".join(query.split())
    return f"querying the database ({shown if len(shown) <= 80 else shown[:77] + '...'})"


def wsgi_request(environ: dict) -> tuple[str, dict, bytes]:
    """What to send of a WSGI request: ('GET /x' for messages, the string-valued environ, the body)."""
    what = f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}"
    forwarded = {k: v for k, v in environ.items() if isinstance(v, str) and (k.isupper() or k == "wsgi.url_scheme")}
    body = environ["wsgi.input"].read(MAX_BODY + 1) if "wsgi.input" in environ else b""
    if len(body) > MAX_BODY:
        raise AppUnavailable(f"{what}: the request body is over {MAX_BODY >> 20} MiB")
    return what, forwarded, body


def wsgi_answer(reply: dict, content: bytes, what: str, start_response) -> list[bytes]:
    """Check an untrusted reply to a request and hand it to the WSGI caller; AppUnavailable if it is no answer."""
    if isinstance(reply.get("crash"), str):
        raise AppUnavailable(f"{what} crashed the app: {reply['crash'][:1000]}")
    if isinstance(reply.get("error"), str):
        raise AppUnavailable(f"{what}: {reply['error'][:500]}")
    status, headers = _checked_response(reply, what)
    start_response(status, headers)
    return [content]


def checked_templates(reply: dict) -> list[RenderedTemplate]:
    """The templates a request rendered, as far as the reply's list is well-formed (at most 100)."""
    templates = []
    for item in reply.get("templates") or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("context"), list):
            templates.append(RenderedTemplate(item["name"][:200], [str(k)[:200] for k in item["context"][:200]]))
    return templates[:100]


def _checked_response(reply: dict, what: str) -> tuple[str, list[tuple[str, str]]]:
    status = reply.get("status")
    headers = reply.get("headers")
    if isinstance(status, str) and status.isdigit() and len(status) == 3:
        status += " UNKNOWN"
    if not isinstance(status, str) or not _STATUS.fullmatch(status):
        raise AppUnavailable(f"{what}: the app answered with an invalid status line")
    if not isinstance(headers, list) or len(headers) > 500:
        raise AppUnavailable(f"{what}: the app answered with invalid headers")
    checked: list[tuple[str, str]] = []
    for pair in headers:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
                and _HEADER_NAME.fullmatch(pair[0]) and len(pair[1]) <= 16384 and not set(pair[1]) & {"\r", "\n", "\0"}):
            raise AppUnavailable(f"{what}: the app answered with an invalid header")
        try:
            pair[1].encode("latin-1")
        except UnicodeEncodeError:
            raise AppUnavailable(f"{what}: the app answered with a header that is not Latin-1") from None
        checked.append((pair[0], pair[1]))
    return status, checked
