"""The Docker sandbox: one fresh, locked-down container per submission, the agent as its process."""

from __future__ import annotations

import io
import select
import socket
import struct
import tarfile
import time
import uuid
from pathlib import Path

import docker
import docker.errors
import requests.exceptions
from docker.types import DriverConfig, LogConfig, Mount, Ulimit

from grader.rubric import Limits
from grader.sandbox.base import AppStartError, GraderFault, Prepared, Sandbox
from grader.sandbox.process import preload_modules
from grader.sandbox.remote import AgentConnection, OutputBuffer, PreparedAgent, Transport, close_quietly

UID = 10001
RUN_LABEL = "org.flask-grader.run"  # every container of one grading run carries its id
AGENT_COMMAND = ["python3", "-I", "-u", "-B", "/opt/grader/agent/agent.py"]
# The container's first process: it only reaps orphans, and keeps the container (and so the tmpfs
# of /app, which lives as long as the container runs) up while agents come and go by `exec`.
KEEPER_COMMAND = ["python3", "-I", "-S", "-c",
                  "import os, signal\n"
                  "def reap(*_):\n"
                  "    try:\n"
                  "        while os.waitpid(-1, os.WNOHANG)[0]: pass\n"
                  "    except ChildProcessError: pass\n"
                  "signal.signal(signal.SIGCHLD, reap)\n"
                  "while True: signal.pause()\n"]
# kill(-1) as the sandbox user: every process of the container but PID 1 (the keeper) and itself.
KILL_COMMAND = ["python3", "-I", "-S", "-c", "import os, signal; os.kill(-1, signal.SIGKILL)"]
_STREAM_HEADER = struct.Struct(">BxxxI")
AGENT_COPY_MAX = 8 << 20  # a submission's tar up to this goes through the agent, a larger one through the engine
DATA_FLOOR_MB = 256  # below about 100 MiB of data, runc cannot set up the container's seccomp filter


def container_options(image: str, limits: Limits, packages: list[str], run_id: str,
                      runtime: list[Mount] | None = None) -> dict:
    """Everything `containers.create` gets: the sandbox's whole security policy in one place.

    `runtime`: read-only mounts of the image's own Python and /opt/grader, from volumes copied
    from it (grader.sandbox.image.runtime_mounts), so that imports skip a slow storage driver.
    """
    # The app's files live in RAM (tmpfs: a quota the kernel enforces, gone with the container),
    # and tmpfs pages count against the container's memory: so the limit is memory + disk.
    memory = f"{limits.memory_mb + limits.disk_mb}m"
    app_volume = DriverConfig("local", {"type": "tmpfs", "device": "tmpfs",
                                        "o": f"size={limits.app_mb}m,uid={UID},gid={UID},mode=0700"})
    # Three quarters of the memory, so that a hog's MemoryError comes before the cgroup's limit
    # (which counts the app's code and files too); never under the floor runc needs to start.
    data = max(limits.memory_mb * 3 // 4, DATA_FLOOR_MB) << 20
    return {
        "image": image,
        "command": KEEPER_COMMAND,
        "tty": False,
        "network_mode": "none",
        "mem_limit": memory,
        "memswap_limit": memory,  # swap = memory: no swap on top
        "pids_limit": limits.processes,
        "nano_cpus": int(limits.cpus * 1e9),
        "read_only": True,
        "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={limits.tmp_mb}m,mode=1777"},
        "shm_size": f"{limits.tmp_mb}m",
        # /app, where the app writes besides /tmp: an anonymous tmpfs volume of app_mb, removed
        # with the container; the agent writes the submission into it, or for a large one the
        # engine's put_archive (which a tmpfs mount would not take).
        "mounts": [Mount(target="/app", source=None, type="volume", driver_config=app_volume),
                   *(mount for mount in runtime or [] if mount["ReadOnly"])],
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "user": f"{UID}:{UID}",
        "working_dir": "/app",
        "environment": {"HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", "GRADER_PRELOAD": preload_modules(packages)},
        # data (heap and private mappings, per process): a hog gets a MemoryError at once
        # instead of thrashing the container's own code pages until the OOM killer comes,
        # which took over 5 s on a loaded machine. (Docker has no "as" ulimit.)
        "ulimits": [Ulimit(name="fsize", soft=limits.file_bytes, hard=limits.file_bytes), Ulimit(name="nofile", soft=256, hard=256),
                    Ulimit(name="core", soft=0, hard=0), Ulimit(name="data", soft=data, hard=data)],
        "labels": {RUN_LABEL: run_id},
        # The app's output reaches us over the attach stream, capped there; no log file on the
        # host that a chatty app could grow without bound.
        "log_config": LogConfig(type="none"),
        "auto_remove": False,
    }


def submission_tar(folder: Path) -> bytes:
    """The submission as a tar owned by the sandbox user; no links, no special files, no setuid bits."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                continue
            info = tar.gettarinfo(str(path), arcname=str(path.relative_to(folder)))
            info.uid = info.gid = UID
            info.uname = info.gname = ""
            info.mode &= 0o755 if path.is_dir() else 0o644
            info.mode |= 0o700 if path.is_dir() else 0o600
            if path.is_file():
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    return buffer.getvalue()


def remove_run_containers(client: docker.DockerClient, run_id: str) -> int | None:
    """Remove every container of one grading run, whatever state it is in; how many (None: no engine)."""
    removed = 0
    try:
        containers = client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        return None
    for container in containers:
        try:
            container.remove(force=True, v=True)
            removed += 1
        except docker.errors.NotFound:
            pass
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
            return None
    return removed


class DockerSandbox(Sandbox):
    name = "docker"

    def __init__(self, image: str | None, packages: list[str] | None = None, run_id: str | None = None,
                 client: docker.DockerClient | None = None) -> None:
        if not image:
            raise ValueError("the docker sandbox needs an image (grader image build EXERCISE)")
        self.image = image
        self.packages = packages or []
        self.run_id = run_id or uuid.uuid4().hex
        self._client = client

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            from grader.sandbox.image import docker_client

            self._client = docker_client()
            if self._client is None:
                raise GraderFault("no Docker engine answers (is the daemon running?)")
        return self._client

    def prepare(self, limits: Limits, config: dict | None = None) -> Prepared:
        from grader.sandbox.image import runtime_mounts

        runtime = runtime_mounts(self.client, self.image)
        try:
            container = self.client.containers.create(**container_options(self.image, limits, self.packages, self.run_id,
                                                                           runtime))
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            raise GraderFault(f"the Docker engine could not create a container: {engine_error(exc)}") from None
        try:
            container.start()
            connection = _ContainerConnection(container, limits, config)
            connection.launch()  # an agent exec'd in the container imports Flask and waits
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            _remove_quietly(container)
            raise GraderFault(f"the Docker engine could not start a container: {engine_error(exc)}") from None
        except BaseException:
            _remove_quietly(container)
            raise
        return _PreparedContainer(connection)


def engine_error(exc: BaseException) -> str:
    """An engine error in one line: the daemon's own explanation when it gave one."""
    explanation = getattr(exc, "explanation", None)
    text = explanation.decode(errors="replace") if isinstance(explanation, bytes) else str(explanation or exc)
    return " ".join(text.split())[:300] or type(exc).__name__


def engine_fault() -> str | None:
    """'the Docker engine stopped answering' when it no longer answers a ping, else None."""
    from grader.sandbox.image import docker_client

    return None if docker_client() is not None else "the Docker engine stopped answering"


def _remove_quietly(container) -> None:
    try:
        container.remove(force=True, v=True)
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        pass  # the engine is gone; remove_run_containers cleans up after the run


class _PreparedContainer(PreparedAgent):
    """A running container whose agent waits; the submission is copied into its /app volume at start."""

    def put_files(self, submission: Path) -> None:
        archive = submission_tar(submission)
        if len(archive) <= AGENT_COPY_MAX:
            # Through the waiting agent, which writes the files itself: the engine's put_archive
            # (an extraction process of the daemon's per call) costs 65 ms of CPU per submission.
            self.connection.send_files(archive)
            return
        try:
            copied = self.connection.container.put_archive("/app", archive)
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            # The engine refuses an archive that does not fit /app's quota: that is the submission's.
            if engine_fault() is None and "no space" in engine_error(exc).lower():
                raise AppStartError(f"the submission does not fit the app's folder: {engine_error(exc)}") from None
            raise GraderFault(engine_fault() or f"could not copy the submission into the container: {engine_error(exc)}") from None
        if not copied:
            raise GraderFault("the Docker engine did not copy the submission into the container")


class _ContainerConnection(AgentConnection):
    """An agent connection whose agent is a container's main process; removes it when closed."""

    def __init__(self, container, limits: Limits, config: dict | None) -> None:
        super().__init__(lambda output: DockerTransport(container, output), limits, config)
        self.container = container

    def close(self) -> None:
        # No kill exec first: removing the container kills every process in it at once, and an
        # exec (runc, a process in the container) costs more than the whole removal saves.
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.detach()
        try:
            self.container.remove(force=True, v=True)
        except docker.errors.APIError:
            pass


class DockerTransport(Transport):
    """One agent, exec'd in the running container: its stdin/stdout/stderr stream; stdout is the protocol.

    Each restart execs a new agent in the same container, so /app (a tmpfs that lives as long as
    the container) keeps what the app wrote, as a restarted server keeps its disk.
    """

    def __init__(self, container, output: OutputBuffer) -> None:
        self.container = container
        self.api = container.client.api
        self.output = output
        self._killed = False
        self._fault: str | None = None
        self._started = time.time()
        try:
            self.exec_id = self._exec()
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: the container is not running (its keeper was killed)
                raise
            container.start()  # a fresh /app: the files come in again with put_files
            self.exec_id = self._exec()
        attached = self.api.exec_start(self.exec_id, socket=True, tty=False)
        self._attached = attached
        self._socket: socket.socket = getattr(attached, "_sock", attached)
        self._pending = bytearray()  # multiplexed stream bytes not yet demultiplexed

    def _exec(self) -> str:
        return self.api.exec_create(self.container.id, AGENT_COMMAND, stdin=True, stdout=True, stderr=True,
                                    user=f"{UID}:{UID}", workdir="/app")["Id"]

    def send(self, data: bytes, timeout: float) -> None:
        self._socket.settimeout(timeout)
        try:
            self._socket.sendall(data)
        except socket.timeout:
            raise TimeoutError from None
        except OSError:
            raise EOFError from None

    def receive(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while True:
            stdout = self._demultiplex()
            if stdout:
                return stdout
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            readable, _, _ = select.select([self._socket], [], [], remaining)
            if not readable:
                raise TimeoutError
            try:
                chunk = self._socket.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                return b""
            self._pending += chunk

    def _demultiplex(self) -> bytes:
        # Docker's stream format: 8-byte header (stream id, 3 zero bytes, length), then the payload.
        stdout = bytearray()
        while len(self._pending) >= _STREAM_HEADER.size:
            stream, length = _STREAM_HEADER.unpack_from(self._pending)
            end = _STREAM_HEADER.size + length
            if len(self._pending) < end:
                break
            payload = bytes(self._pending[_STREAM_HEADER.size:end])
            del self._pending[:end]
            if stream == 1:
                stdout += payload
            else:
                self.output.write(payload)
        return bytes(stdout)

    def kill(self) -> None:
        if not self._killed and self._running():
            try:
                self.container.exec_run(KILL_COMMAND, user=f"{UID}:{UID}")
            except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
                pass  # the container or the engine is gone: nothing left to kill
        self.detach()

    def detach(self) -> None:
        """Let go of the agent's streams without stopping it (its container is about to be removed)."""
        self._killed = True
        close_quietly(self._attached, self._socket)

    def _running(self) -> bool:
        try:
            return bool(self.api.exec_inspect(self.exec_id).get("Running"))
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
            return False

    def fault(self) -> str | None:
        if self._fault is None:  # only a fault is remembered: an engine may fail later
            fault = engine_fault()
            if fault is None:
                try:
                    self.container.reload()
                except docker.errors.NotFound:
                    fault = "the app's container was removed while it was being graded"
                except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
                    fault = engine_fault()
            self._fault = fault
        return self._fault

    def exit_reason(self) -> str:
        try:
            deadline = time.monotonic() + 2
            while (state := self.api.exec_inspect(self.exec_id)).get("Running") and time.monotonic() < deadline:
                time.sleep(0.02)
        except Exception:  # noqa: BLE001 - a hung or vanished container: say so, don't crash the grader
            return "it stopped answering"
        if state.get("Running"):
            return "it stopped answering"
        code = state.get("ExitCode")
        if code == 137 and not self._killed:
            return "killed: out of memory" if self._out_of_memory() else "killed by SIGKILL"
        return f"exit code {code}"

    def _out_of_memory(self) -> bool:
        """Whether the engine saw the container's memory limit kill a process since this agent started."""
        try:
            # The engine notes an "oom" event as the kernel kills; `until` a moment ahead lets it arrive.
            events = self.api.events(since=f"{self._started - 1:.3f}", until=f"{time.time() + 0.3:.3f}", decode=True,
                                     filters={"container": self.container.id, "event": "oom"})
            return any(True for _ in events)
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
            return False