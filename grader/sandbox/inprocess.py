"""The in-process sandbox: the app runs inside the test process. Fast; no protection at all."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from flask import Flask, template_rendered

from grader.agent.discovery import STUDENT_ERRORS, DiscoveryError, call_factory, describe_exception, load_app
from grader.rubric import Limits
from grader.agent import discovery
from grader.agent.agent import MAX_APPS, MAX_TEMPLATES, describe_routes, read_only_query, safe_config, sqlite_path
from grader.agent.protocol import MAX_BODY
from grader.sandbox.remote import sql_what
from grader.agent.serving import Serving
from grader.sandbox.base import (
    AppStartError, AppUnavailable, Connection, Prepared, RenderedTemplate, Route, Sandbox, app_config,
)


class _Deadline(BaseException):
    # BaseException so that a student's `except Exception:` cannot swallow it.
    pass


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise _Deadline in the main thread after `seconds` (no-op outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expire(signum, frame):
        raise _Deadline()

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class InProcessSandbox(Sandbox):
    name = "inprocess"

    def prepare(self, limits: Limits, config: dict | None = None) -> Prepared:
        return _PreparedInProcess(limits, config)


class _PreparedInProcess(Prepared):
    """Nothing to start ahead: the app is imported into this process at start."""

    def __init__(self, limits: Limits, config: dict | None) -> None:
        self.limits = limits
        self.config = config

    def start(self, submission: Path, loading: dict | None = None) -> Connection:
        limits, config = self.limits, app_config(self.config)
        warnings: list[str] = []
        try:
            with deadline(limits.start_timeout):
                app = load_app(submission, config, loading, warnings)
        except DiscoveryError as exc:
            raise AppStartError(exc.message) from None
        except _Deadline:
            raise AppStartError(f"the app did not start within {limits.start_timeout:g} s") from None
        connection = InProcessConnection(app, submission, limits, config, loading=loading)
        connection.warnings = warnings
        return connection

    def discard(self) -> None:
        pass


class InProcessConnection(Connection):
    def __init__(self, app: Flask, root: Path, limits: Limits, config: dict, parent: InProcessConnection | None = None,
                 arguments: tuple[list, dict] = ([], {}), loading: dict | None = None) -> None:
        self.app = app
        self._loading = loading
        self.root = root
        self.limits = limits
        self._config = config
        self._parent = parent
        self._arguments = arguments
        self._created: list[InProcessConnection] = []
        self._serving = Serving(root, Path(discovery.__file__).parent) if parent is None else parent._serving
        self._serving.loading = dict(loading or {}) if parent is None else self._serving.loading
        self.templates: list[RenderedTemplate] = []
        template_rendered.connect(self._rendered, app)

    def sandbox_call(self, header: dict, body: bytes = b"", timeout: float | None = None,
                     what: str | None = None) -> tuple[dict, bytes]:
        reply, content = self._serving.handle(header, body, MAX_BODY)
        if isinstance(reply.get("error"), str):
            raise AppUnavailable(f"{what or header.get('op')}: {reply['error'][:500]}")
        return reply, content

    def close(self) -> None:
        if self._parent is None:
            self._serving.close()

    def create(self, args: list, kwargs: dict) -> Connection:
        if self._parent is not None:
            return self._parent.create(args, kwargs)
        if len(self._created) + 1 >= MAX_APPS:
            raise AppUnavailable(f"app.create(): at most {MAX_APPS} apps per submission")
        child = InProcessConnection(self._call_factory(args, kwargs), self.root, self.limits, {}, self, (args, kwargs))
        self._created.append(child)
        return child

    def _call_factory(self, args: list, kwargs: dict) -> Flask:
        try:
            with deadline(self.limits.start_timeout):
                return call_factory(self.root, list(args), dict(kwargs))
        except DiscoveryError as exc:
            raise AppUnavailable(exc.message) from None
        except _Deadline:
            raise AppUnavailable(f"app.create() did not return within {self.limits.start_timeout:g} s") from None

    def __call__(self, environ: dict, start_response):
        request = f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}"
        self.templates = []
        try:
            with deadline(self.limits.request_timeout):
                # Consume the whole body under the deadline: a streaming route can hang too.
                captured: list = []
                iterable = self.app(environ, lambda status, headers, exc_info=None: captured.append((status, headers)))
                try:
                    body = b"".join(iterable)
                finally:
                    if hasattr(iterable, "close"):
                        iterable.close()
        except _Deadline:
            raise AppUnavailable(f"{request} did not answer within {self.limits.request_timeout:g} s") from None
        except STUDENT_ERRORS as exc:  # sys.exit() in a route is a crash of that request
            raise AppUnavailable(f"{request} crashed the app: {describe_exception(exc, self.root, request)}") from None
        status, headers = captured[-1]
        start_response(status, headers)
        return [body]

    def restart(self) -> None:
        if self._parent is not None:
            self._parent.restart()
            return
        # Forget every module imported from the submission, then import the app afresh.
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", "") or "").startswith(str(self.root)):
                del sys.modules[name]
        try:
            with deadline(self.limits.start_timeout):
                self.app = load_app(self.root, self._config, self._loading)
        except DiscoveryError as exc:
            raise AppUnavailable(f"the app did not start again: {exc.message}") from None
        except _Deadline:
            raise AppUnavailable(f"the app did not start again within {self.limits.start_timeout:g} s") from None
        template_rendered.connect(self._rendered, self.app)
        for child in self._created:  # the apps app.create() made, made again from the new modules
            child.app = self._call_factory(*child._arguments)
            template_rendered.connect(child._rendered, child.app)

    def _rendered(self, sender, template, context, **extra) -> None:
        if len(self.templates) < MAX_TEMPLATES:  # the same caps as the agent's
            self.templates.append(RenderedTemplate(str(template.name)[:200], sorted(map(str, context))[:200]))

    def routes(self) -> list[Route]:
        return [Route(r["rule"], r["endpoint"], frozenset(r["methods"])) for r in describe_routes(self.app)]

    def config(self) -> dict:
        return safe_config(self.app)

    def sql(self, query: str, params: list | tuple = ()) -> tuple[list[str], list[list]]:
        path = sqlite_path(self.app)
        reply = read_only_query(path, query, list(params)) if path else {"error": "the app configures no SQLite database"}
        if "error" in reply:
            raise AppUnavailable(f"{sql_what(query)}: {reply['error']}")
        return reply["columns"], reply["rows"]
