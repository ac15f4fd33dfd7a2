"""The process sandbox: the agent as a subprocess with limits; as root, also jailed (see jail.py)."""

from __future__ import annotations

import errno
import json
import os
import random
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from packaging.requirements import Requirement

from grader.agent import BUNDLE
from grader.rubric import Limits
from grader.sandbox import jail
from grader.sandbox.base import AppStartError, GraderFault, Prepared, Sandbox
from grader.sandbox.remote import AgentConnection, OutputBuffer, PreparedAgent, Transport, close_quietly

HERE = Path(__file__).resolve().parent
JAIL = HERE / "jail.py"
SETUP_FAILED = 70  # jail.py's exit code when it could not build the sandbox


def bundle_into(folder: Path) -> Path:
    """Copy the agent bundle (grader.agent.BUNDLE) flat into `folder`; return the agent's path."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in BUNDLE:
        shutil.copyfile(source, folder / source.name)
    return folder / "agent.py"


def preload_modules(packages: list[str]) -> str:
    """Import names to warm up in the agent: Flask and (by name) the exercise's packages."""
    names = ["flask"] + [Requirement(p).name.lower().replace("-", "_") for p in packages]
    return ",".join(dict.fromkeys(names))


def resource_limits(limits: Limits, jailed: bool) -> dict[str, int]:
    """RLIMIT_* for the agent. The CPU limit is a backstop; request deadlines act first."""
    rlimits = {
        "RLIMIT_AS": limits.memory_mb * 1024 * 1024,
        "RLIMIT_CPU": int(10 * (limits.start_timeout + limits.request_timeout)) + 1,
        "RLIMIT_NOFILE": 256,
        "RLIMIT_FSIZE": limits.file_bytes,
        "RLIMIT_CORE": 0,
    }
    if jailed:  # per-uid count: only meaningful for the sandbox's own uid
        rlimits["RLIMIT_NPROC"] = limits.processes
    return rlimits


class ProcessSandbox(Sandbox):
    """Runs the agent in a subprocess: clean environment, private copy, limits, own session.

    As root, the agent is also jailed: no network, a minimal read-only root, its own uid.
    """

    name = "process"

    def __init__(self, packages: list[str] | None = None, jail: bool | None = None) -> None:
        self.packages = packages or []
        self.jail = (os.geteuid() == 0) if jail is None else jail

    def prepare(self, limits: Limits, config: dict | None = None) -> Prepared:
        box = Path(tempfile.mkdtemp(prefix="grader-box-"))
        try:
            launcher, uid = self._launcher(box, limits)
            connection = _BoxConnection(box, launcher, limits, config)
            connection.launch()
        except BaseException:
            remove_box(box)
            raise
        return _PreparedBox(connection, uid)

    def _launcher(self, box: Path, limits: Limits):
        """How to start this box's agent, and the uid it runs as (None: ours)."""
        app = box / "app"
        app.mkdir(mode=0o700)
        agent = bundle_into(box / "agent")
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "GRADER_PRELOAD": preload_modules(self.packages)}
        python = [sys.executable, "-I", "-u", "-B"]
        if self.jail:
            uid = random.randrange(200_000, 300_000)  # a uid of its own: NPROC counts per uid
            # /app is a tmpfs of app_mb, mounted here so that both the jail (which binds it) and
            # put_files see it: the kernel refuses writes past the quota (ENOSPC).
            mount_quota(app, limits.app_mb, uid)
            (box / "root").mkdir()
            env.update(HOME="/tmp", TMPDIR="/tmp")
            config = {
                "isolate": True, "root": str(box / "root"), "app": str(app), "bundle": str(agent.parent),
                "python_dirs": sorted({os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}),
                "tmp_mb": limits.tmp_mb, "uid": uid, "argv": [*python, "/opt/grader/agent/agent.py"], "env": env,
                "rlimits": resource_limits(limits, jailed=True),
            }
            cwd = box
        else:
            for name in ("home", "tmp"):
                (box / name).mkdir()
            env.update(HOME=str(box / "home"), TMPDIR=str(box / "tmp"))
            config = {"argv": [*python, str(agent)], "env": env, "rlimits": resource_limits(limits, jailed=False)}
            cwd = app
            uid = None
        # The jail signs its own error lines with a secret, so an app cannot forge them.
        config["token"] = secrets.token_hex(8)
        command = [sys.executable, "-I", str(JAIL), json.dumps(config)]
        return (lambda output: ProcessTransport(command, cwd, output, config["token"])), uid


class _PreparedBox(PreparedAgent):
    """A box whose agent runs (jailed, as root) and waits; the files come in at start."""

    def __init__(self, connection: _BoxConnection, uid: int | None) -> None:
        super().__init__(connection)
        self.uid = uid

    def put_files(self, submission: Path) -> None:
        app = self.connection.box / "app"
        # The jail's /app is a bind of this folder: files copied in now appear there.
        try:
            shutil.copytree(submission, app, symlinks=True, ignore=_special_files, dirs_exist_ok=True)
        except shutil.Error as exc:
            if any("No space left" in str(reason) for *_, reason in exc.args[0]):
                raise AppStartError("the submission does not fit the app's folder (its disk quota)") from None
            raise
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise AppStartError("the submission does not fit the app's folder (its disk quota)") from None
            raise
        if self.uid is not None:
            for path in (app, *app.rglob("*")):
                os.lchown(path, self.uid, self.uid)


def _special_files(folder: str, names: list[str]) -> list[str]:
    """Pipes, sockets and devices: never copied into a sandbox."""
    return [n for n in names if not (os.path.islink(p := os.path.join(folder, n)) or os.path.isfile(p) or os.path.isdir(p))]


class _BoxConnection(AgentConnection):
    """An agent connection that removes its sandbox folder when closed for good."""

    def __init__(self, box: Path, launch, limits: Limits, config: dict | None) -> None:
        super().__init__(launch, limits, config)
        self.box = box

    def close(self) -> None:
        super().close()
        remove_box(self.box)


def mount_quota(folder: Path, size_mb: int, uid: int) -> None:
    """Mount a tmpfs of `size_mb` owned by `uid` on `folder` (as root); GraderFault if it cannot."""
    try:
        jail.mount_tmpfs(str(folder), f"size={size_mb}m,uid={uid},gid={uid},mode=0700")
    except OSError as exc:
        raise GraderFault(f"the sandbox could not be set up: {exc}") from None


def remove_box(box: Path) -> None:
    remove_tree(box)


def remove_tree(folder: str | Path) -> None:
    """shutil.rmtree that first detaches the quota mounts under `folder`, a killed sandbox's too."""
    for point in sorted(_mounts_under(os.path.realpath(folder)), key=len, reverse=True):
        try:
            jail.unmount(point)
        except OSError:
            pass  # not ours to unmount (not root): rmtree empties what it can
    shutil.rmtree(folder, ignore_errors=True)


def _mounts_under(root: str) -> list[str]:
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    points = []
    for line in lines:
        fields = line.split(" ")
        if len(fields) > 4:  # the 5th field is the mount point, with spaces and such as \ooo
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            if point == root or point.startswith(root + "/"):
                points.append(point)
    return points


class ProcessTransport(Transport):
    """Pipes to an agent subprocess in its own session; stderr drained into the output buffer."""

    def __init__(self, command: list[str], cwd: Path, output: OutputBuffer, token: str = "") -> None:
        self.process = subprocess.Popen(
            command, cwd=cwd, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
        self.output = output
        self._token = token
        self._killed = False
        os.set_blocking(self.process.stdin.fileno(), False)
        self._drain = threading.Thread(target=self._pump, daemon=True)
        self._drain.start()

    def _pump(self) -> None:
        fd = self.process.stderr.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.write(chunk)

    def send(self, data: bytes, timeout: float) -> None:
        fd = self.process.stdin.fileno()
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            _, writable, _ = select.select([], [fd], [], remaining)
            if writable:
                try:
                    written = os.write(fd, view)
                except BrokenPipeError:
                    raise EOFError from None
                view = view[written:]

    def receive(self, timeout: float) -> bytes:
        fd = self.process.stdout.fileno()
        readable, _, _ = select.select([fd], [], [], timeout)
        if not readable:
            raise TimeoutError
        return os.read(fd, 65536)

    def kill(self) -> None:
        if not self._killed:
            self._killed = self.process.poll() is None
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process.wait()
        self._drain.join(timeout=1)
        close_quietly(self.process.stdin, self.process.stdout, self.process.stderr)

    def fault(self) -> str | None:
        # The jail's own signed line: it could not build the sandbox (a mount, a namespace), which
        # is this machine's failure. The app cannot forge it: it does not know the token.
        if self.process.poll() != SETUP_FAILED:
            return None
        self._drain.join(timeout=1)
        prefix = f"sandbox-{self._token}: "
        lines = [line for line in self.output.text().splitlines() if self._token and line.startswith(prefix)]
        return f"the sandbox could not be set up: {lines[-1][len(prefix):]}" if lines else None

    def exit_reason(self) -> str:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        self._drain.join(timeout=1)
        prefix = f"sandbox-{self._token}: "
        lines = [line for line in self.output.text().splitlines() if self._token and line.startswith(prefix)]
        if code == SETUP_FAILED and lines:
            return f"the sandbox could not be set up: {lines[-1][len(prefix):]}"
        if code < 0:
            name = signal.Signals(-code).name
            return f"killed by {name} (out of memory?)" if name == "SIGKILL" and not self._killed else f"killed by {name}"
        return f"exit code {code}"

