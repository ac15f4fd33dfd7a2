"""Inside the sandbox: serve the submission with gunicorn and talk HTTP to it; boot it as production would.

Standard library only: the agent bundle carries this module, and the in-process sandbox imports
it from the package. Every method takes and returns the agent protocol's JSON headers, so the
trusted side checks one reply format whichever sandbox answered.

- `serve`: `python -m gunicorn --bind fd://N [options] TARGET` on a socket bound here to
  127.0.0.1 (no port race, no network needed beyond loopback), ready when it answers HTTP.
- `server_request`: one HTTP/1.1 request to it, built from a WSGI environ.
- `server_stop`: SIGTERM, then SIGKILL for the master and its workers; exit code and output.
- `boot`: a fresh Python with the given environment imports the app (no test config) and
  reports its JSON-safe config, or why it could not start.
- `read_text`: a text file of the submission (capped), e.g. requirements.txt.
- `temp_dir`: the sandbox's own temporary folder, as the app sees it (removed with the sandbox).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

OUTPUT_LIMIT = 64 * 1024
TEXT_LIMIT = 256 * 1024
MAX_SERVERS = 8
OPS = ("serve", "server_request", "server_stop", "server_status", "boot", "read_text", "temp_dir")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "HOME", "TMPDIR")
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection"}

# Run by `boot` as `python -I -c BOOT_SCRIPT DIR LOADING`, DIR holding discovery.py: the app loaded
# with no test config as the agent loaded it (LOADING: JSON, see discovery.load_app), the result as
# JSON on the saved stdout (the app's prints go to stderr).
BOOT_SCRIPT = r"""
import json, os, sys
from pathlib import Path
import flask
out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.path.insert(0, sys.argv[1])
import discovery
sys.path.remove(sys.argv[1])
del sys.modules["discovery"]
try:
    app = discovery.load_app(Path.cwd(), {}, json.loads(sys.argv[2]))
except discovery.DiscoveryError as exc:
    result = {"ok": False, "reason": exc.message}
else:
    result = {"ok": True, "config": discovery.safe_config(app), "debug": bool(app.debug)}
sys.stdout.flush()
sys.stderr.flush()
out.write(json.dumps(result))
out.flush()
os._exit(0)
"""


def child_env(extra: object) -> dict[str, str]:
    """The sandbox's own basic environment plus the test's variables (strings only)."""
    env = {k: v for k, v in os.environ.items() if k in KEEP_ENV}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    if isinstance(extra, dict):
        env.update({k: v for k, v in extra.items() if isinstance(k, str) and isinstance(v, str) and k and "=" not in k})
    return env


class _Output:
    """A child's stdout+stderr: the first OUTPUT_LIMIT bytes kept, the rest counted."""

    def __init__(self, stream, limit: int = OUTPUT_LIMIT) -> None:
        self.limit = limit
        self.kept = bytearray()
        self.total = 0
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        while chunk := stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536):
            self.total += len(chunk)
            room = self.limit - len(self.kept)
            if room > 0:
                self.kept += chunk[:room]

    def finish(self, timeout: float = 1.0) -> None:
        self._thread.join(timeout)

    def text(self, root: Path | None = None) -> str:
        """What was kept, without terminal colours and (given `root`) with paths relative to it."""
        text = _ANSI.sub("", self.kept.decode("utf-8", errors="replace"))
        if root is not None:
            text = text.replace(str(root) + os.sep, "").replace(str(root), ".")
        return text


def _children(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc (gunicorn's workers of its master)."""
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


class Server:
    """One gunicorn serving the submission on a socket of ours."""

    def __init__(self, root: Path, target: str, options: list[str], env: dict[str, str], own_home: bool = True) -> None:
        self.root = root
        self.ready = False
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        fd = listener.fileno()
        argv = [sys.executable, "-I", "-m", "gunicorn", "--bind", f"fd://{fd}", *options, target]
        # A home of its own unless the test gave one: gunicorn keeps a control socket there.
        self.home = None if own_home is False else tempfile.mkdtemp(prefix="gunicorn-home-")
        env = {**env, "HOME": self.home} if self.home else env
        try:
            self.process = subprocess.Popen(
                argv, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, pass_fds=(fd,),
            )
        finally:
            listener.close()  # gunicorn holds its own copy
        self.output = _Output(self.process.stdout)

    def wait_ready(self, ready_path: str, timeout: float) -> None:
        """Until it answers any HTTP response on `ready_path`, exits, or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=min(1.0, timeout))
                connection.request("GET", ready_path, headers={"Host": "localhost", "Connection": "close"})
                connection.getresponse().read()
                connection.close()
                self.ready = True
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)

    def status(self) -> dict:
        code = self.process.poll()
        if code is not None:
            self.output.finish()
        return {"running": code is None, "ready": self.ready, "exit_code": code,
                "output": self.output.text(self.root.resolve()), "total": self.output.total}

    def stop(self, grace: float = 1.0) -> dict:
        if self.process.poll() is None:
            workers = _children(self.process.pid)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                pass
            for pid in [self.process.pid, *workers]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self.process.wait()
        self.output.finish()
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)
        return self.status()

    def request(self, environ: dict, body: bytes, timeout: float, max_body: int) -> tuple[dict, bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        url = quote(environ.get("PATH_INFO", "/").encode("latin-1", errors="replace"), safe=_SAFE_PATH) or "/"
        if environ.get("QUERY_STRING"):
            url += "?" + environ["QUERY_STRING"]
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.putrequest(method, url, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", environ.get("HTTP_HOST", "localhost"))
            for key, value in environ.items():
                if key.startswith("HTTP_") and key not in ("HTTP_HOST", "HTTP_CONTENT_LENGTH", "HTTP_CONNECTION"):
                    connection.putheader(key[5:].replace("_", "-").title(), value)
            if environ.get("CONTENT_TYPE"):
                connection.putheader("Content-Type", environ["CONTENT_TYPE"])
            connection.putheader("Content-Length", str(len(body)))
            connection.putheader("Connection", "close")
            connection.endheaders(body)
            response = connection.getresponse()
            content = response.read(max_body + 1)
        except TimeoutError:
            return {"timeout": True}, b""
        except (OSError, http.client.HTTPException) as exc:
            return {"error": f"the server did not answer ({type(exc).__name__}: {exc})"[:500]}, b""
        finally:
            connection.close()
        if len(content) > max_body:
            return {"error": f"the response body is over {max_body >> 20} MiB"}, b""
        headers = [[k, v] for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
        return {"status": f"{response.status} {response.reason}", "headers": headers}, content


class Serving:
    """The servers one submission has, and the calls that reach them; one per sandbox."""

    def __init__(self, root: Path, discovery_dir: Path) -> None:
        self.root = root
        self.discovery_dir = discovery_dir
        self.loading: dict = {}  # how the agent's start found the app: `boot` loads it the same way
        self.servers: list[Server | None] = []

    def handle(self, header: dict, body: bytes, max_body: int) -> tuple[dict, bytes]:
        op = header.get("op")
        if op == "serve":
            return self.serve(header), b""
        if op == "boot":
            return self.boot(header), b""
        if op == "read_text":
            return self.read_text(header), b""
        if op == "temp_dir":
            return {"path": tempfile.gettempdir()}, b""
        index = header.get("server")
        server = self.servers[index] if isinstance(index, int) and 0 <= index < len(self.servers) else None
        if server is None:
            return {"error": f"no server number {index!r}"}, b""
        if op == "server_request":
            timeout = float(header.get("timeout") or 5)
            return server.request(header.get("environ") or {}, body, timeout, max_body)
        if op == "server_stop":
            self.servers[index] = None
            return server.stop(), b""
        if op == "server_status":
            return server.status(), b""
        return {"error": f"unknown op {op!r}"}, b""

    def serve(self, header: dict) -> dict:
        target, options = header.get("target"), header.get("options") or []
        if not isinstance(target, str) or not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            return {"error": "serve: target must be a string and options a list of strings"}
        if sum(s is not None for s in self.servers) >= MAX_SERVERS:
            return {"error": f"serve: at most {MAX_SERVERS} servers at once; stop one first"}
        try:
            extra = header.get("env") if isinstance(header.get("env"), dict) else {}
            server = Server(self.root, target, options, child_env(extra), own_home="HOME" not in extra)
        except OSError as exc:
            return {"error": f"serve: could not start gunicorn ({exc.strerror or exc})"}
        server.wait_ready(str(header.get("ready") or "/"), float(header.get("timeout") or 10))
        self.servers.append(server)
        return {"server": len(self.servers) - 1, **server.status()}

    def boot(self, header: dict) -> dict:
        timeout = float(header.get("timeout") or 10)
        argv = [sys.executable, "-I", "-c", BOOT_SCRIPT, str(self.discovery_dir), json.dumps(self.loading)]
        process = subprocess.Popen(argv, cwd=self.root, env=child_env(header.get("env")), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        result, output = _Output(process.stdout, 4 << 20), _Output(process.stderr)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            output.finish()
            return {"ok": False, "reason": f"the app did not start within {timeout:g} s",
                    "output": output.text(self.root.resolve())}
        result.finish()
        output.finish()
        try:
            reply = json.loads(result.text())
        except (UnicodeDecodeError, ValueError):
            reply = None
        if not isinstance(reply, dict):
            reason = f"exit code {process.returncode}" if process.returncode >= 0 else \
                f"killed by {signal.Signals(-process.returncode).name}"
            reply = {"ok": False, "reason": f"the app ended while starting ({reason})"}
        reply["output"] = output.text(self.root.resolve())
        return reply

    def read_text(self, header: dict) -> dict:
        name = header.get("path")
        if not isinstance(name, str) or not name or "\0" in name:
            return {"error": "read_text: give a path relative to the submission"}
        root = self.root.resolve()
        path = (root / name).resolve()
        if not path.is_relative_to(root):
            return {"error": f"read_text: {name} is outside the submission"}
        if not path.is_file():
            return {"exists": False}
        with path.open("rb") as handle:
            data = handle.read(TEXT_LIMIT + 1)
        return {"exists": True, "text": data[:TEXT_LIMIT].decode("utf-8", errors="replace"),
                "truncated": len(data) > TEXT_LIMIT}

    def close(self) -> None:
        for server in self.servers:
            if server is not None:
                server.stop(grace=0.5)
        self.servers = []
