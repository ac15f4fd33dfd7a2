"""The agent: runs inside the sandbox, imports the student's app, answers framed messages.

Standard library and Flask only, so that it can be copied into any image together with
protocol.py, discovery.py and serving.py. It never sees the tests; the grader treats every reply as
untrusted. Run as `python -I -u agent.py` with the protocol on stdin/stdout.
"""

from __future__ import annotations

import io
import os
import sqlite3
import sys
from pathlib import Path

if __name__ == "__main__":  # in a sandbox: protocol.py, discovery.py and serving.py sit beside this file
    # `python -I` leaves the script's folder off sys.path; the bundle is all that is added.
    _BUNDLE = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, _BUNDLE)
    import discovery
    import protocol
    import serving

    # Forget where they came from: a student's own protocol.py, discovery.py or serving.py must import.
    sys.path.remove(_BUNDLE)
    del sys.modules["discovery"], sys.modules["protocol"], sys.modules["serving"]
else:  # imported from the grader package (the in-process sandbox shares helpers)
    from grader.agent import discovery, protocol, serving

MAX_ROWS = 1000
MAX_TEMPLATES = 100
MAX_APPS = 50  # app.create() calls per submission


def write_files(root: Path, archive: bytes) -> dict:
    """Write the submission under `root`, from the tar the grader made of it (folders and regular
    files only). Nothing of the student's has run yet: only a full disk (ENOSPC, or a file over
    the size limit: EFBIG) is the submission's; `full` says so."""
    import errno
    import shutil
    import tarfile

    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            for member in tar:
                parts = Path(member.name).parts
                if not parts or member.name.startswith("/") or ".." in parts:
                    return {"ok": False, "error": f"refused a path in the archive: {member.name!r}"}
                target = root.joinpath(*parts)
                if member.isdir():
                    target.mkdir(mode=0o700, parents=True, exist_ok=True)
                elif member.isfile():
                    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                    with os.fdopen(os.open(target, flags, (member.mode & 0o700) | 0o600), "wb") as handle:
                        shutil.copyfileobj(tar.extractfile(member), handle)
                else:
                    return {"ok": False, "error": f"refused a special file in the archive: {member.name!r}"}
    except OSError as exc:
        full = exc.errno in (errno.ENOSPC, errno.EFBIG)
        return {"ok": False, "full": full, "error": f"{exc.strerror or exc} ({exc.filename or 'the app folder'})"}
    except tarfile.TarError as exc:
        return {"ok": False, "error": f"not a valid archive: {exc}"}
    return {"ok": True}


def describe_routes(app) -> list[dict]:
    """The app's URL rules as JSON-safe dicts."""
    return [
        {"rule": rule.rule, "endpoint": rule.endpoint, "methods": sorted(rule.methods or ())}
        for rule in app.url_map.iter_rules()
    ]


safe_config = discovery.safe_config


def sqlite_path(app) -> Path | None:
    """Where the app keeps its SQLite database: DATABASE (Flask tutorial) or SQLALCHEMY_DATABASE_URI."""
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if isinstance(uri, str) and uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///").split("?")[0])
        return path if path.is_absolute() else Path(app.instance_path) / path
    database = app.config.get("DATABASE")
    if isinstance(database, (str, os.PathLike)):
        path = Path(database)
        return path if path.is_absolute() else Path(app.root_path) / path
    return None


def read_only_query(path: Path, query: str, params: list) -> dict:
    """Run one query on the database opened read-only; at most MAX_ROWS rows."""
    if not path.is_file():
        return {"error": f"no database file at {path.name}"}
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        connection.execute("PRAGMA query_only = ON")
        cursor = connection.execute(query, params)
        columns = [c[0] for c in cursor.description or ()]
        rows = [[_cell(v) for v in row] for row in cursor.fetchmany(MAX_ROWS)]
        return {"columns": columns, "rows": rows}
    except sqlite3.Error as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        connection.close()


def _cell(value):
    return value.hex() if isinstance(value, bytes) else value


class Agent:
    """Dispatches one message at a time to the student's app."""

    def __init__(self) -> None:
        # apps[0] is the app as discovery found it; the others are those `create` made since.
        self.apps: list = []
        self.root = Path.cwd()
        self.templates: list[dict] = []
        self.serving = serving.Serving(self.root, Path(discovery.__file__).parent)

    def handle(self, header: dict, body: bytes) -> tuple[dict, bytes]:
        op = header.get("op")
        if op == "ping":
            return {"pong": True}, b""
        if op == "files":  # the submission, before the app starts (docker: cheaper than the engine's copy)
            if self.apps:
                return {"ok": False, "error": "the app has started already"}, b""
            return write_files(self.root, body), b""
        if op == "start":
            return self.start(header), b""
        if op in serving.OPS:
            return self.serving.handle(header, body, protocol.MAX_BODY)
        if not self.apps:
            return {"error": "the app is not started"}, b""
        if op == "create":
            return self.create(header), b""
        index = header.get("app", 0)
        if not isinstance(index, int) or not 0 <= index < len(self.apps):
            return {"error": f"no app number {index!r}"}, b""
        app = self.apps[index]
        if op == "request":
            return self.request(app, header, body)
        if op == "routes":
            return {"routes": describe_routes(app)}, b""
        if op == "config":
            return {"config": safe_config(app)}, b""
        if op == "sql":
            path = sqlite_path(app)
            if path is None:
                return {"error": "the app configures no SQLite database (DATABASE or SQLALCHEMY_DATABASE_URI)"}, b""
            return read_only_query(path, str(header.get("query", "")), list(header.get("params") or [])), b""
        return {"error": f"unknown op {op!r}"}, b""

    def start(self, header: dict) -> dict:
        loading = header.get("loading") if isinstance(header.get("loading"), dict) else {}
        self.serving.loading = loading
        warnings: list[str] = []
        try:
            app = discovery.load_app(self.root, dict(header.get("config") or {}), loading, warnings)
        except discovery.DiscoveryError as exc:
            return {"ok": False, "error": exc.message}
        self._add(app)
        return {"ok": True, "warnings": warnings} if warnings else {"ok": True}

    def create(self, header: dict) -> dict:
        """Call the app's factory again with the test's (JSON) arguments: a second, separate app."""
        args, kwargs = header.get("args") or [], header.get("kwargs") or {}
        if not isinstance(args, list) or not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
            return {"error": "create: args must be a list and kwargs a mapping"}
        if len(self.apps) >= MAX_APPS:
            return {"error": f"create: at most {MAX_APPS} apps per submission"}
        try:
            app = discovery.call_factory(self.root, args, kwargs)
        except discovery.DiscoveryError as exc:
            return {"error": exc.message}
        self._add(app)
        return {"app": len(self.apps) - 1}

    def _add(self, app) -> None:
        from flask import template_rendered

        template_rendered.connect(self._rendered, app)
        self.apps.append(app)

    def _rendered(self, sender, template, context, **extra) -> None:
        if len(self.templates) < MAX_TEMPLATES:  # a loop rendering 20 000 partials is still honest
            self.templates.append({"name": str(template.name)[:200], "context": sorted(map(str, context))[:200]})

    def request(self, app, header: dict, body: bytes) -> tuple[dict, bytes]:
        environ = {k: v for k, v in (header.get("environ") or {}).items() if isinstance(k, str) and isinstance(v, str)}
        environ.update({
            "wsgi.version": (1, 0), "wsgi.url_scheme": environ.pop("wsgi.url_scheme", "http"),
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        })
        started: list = []
        self.templates = []
        what = f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}"
        try:
            result = app(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
            try:
                chunks, size = [], 0
                for chunk in result:
                    size += len(chunk)
                    if size > protocol.MAX_BODY:
                        return {"error": f"the response body is over {protocol.MAX_BODY >> 20} MiB"}, b""
                    chunks.append(chunk)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except discovery.STUDENT_ERRORS as exc:
            return {"crash": discovery.describe_exception(exc, self.root, what)}, b""
        if not started:
            return {"error": "the app never called start_response"}, b""
        status, headers = started[-1]
        return {"status": status, "headers": [[str(k), str(v)] for k, v in headers], "templates": self.templates}, b"".join(chunks)


def main() -> None:
    # Keep the protocol's pipes to ourselves: the app's prints go to stderr (captured, capped)
    # and its reads of stdin see an empty file.
    channel_in = os.fdopen(os.dup(0), "rb", buffering=0)
    channel_out = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    for name in filter(None, os.environ.get("GRADER_PRELOAD", "flask").split(",")):
        try:  # warm imports before the student's code runs: faster start, same behaviour
            __import__(name)
        except Exception:  # noqa: BLE001 - a missing optional package is the app's problem later
            pass
    agent = Agent()
    while True:
        frame = protocol.read_frame(channel_in)
        if frame is None:
            return
        reply, body = agent.handle(*frame)
        data = protocol.encode(reply, body)
        if len(data) - len(body) > protocol.MAX_HEADER:  # e.g. a huge config value or wide rows
            data = protocol.encode({"error": f"the reply is over the {protocol.MAX_HEADER >> 20} MiB limit"})
        channel_out.write(data)


if __name__ == "__main__":
    main()
