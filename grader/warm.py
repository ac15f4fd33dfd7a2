"""Warm, single-use graders: a fork server keeps pytest imported and each next sandbox started ahead.

`grader run` starts one fork server (`python -I -m grader.warm SPEC_JSON`). It imports pytest,
the grader's plugin, Flask and BeautifulSoup once, then keeps `spare` *warm children* ready. A
warm child is a fresh fork of the server that has made its scratch folder, prepared its own
sandbox (the agent started and its imports done; for Docker, the container running) and
collected the exercise's tests; it waits, inside the `grader_connection` fixture, for one
submission. It grades exactly that one and exits, and its sandbox is destroyed with it. Every
child is forked from the same clean server, never from another child, so nothing passes from
one submission to the next.

Protocol, one JSON document per line on the server's stdin and stdout:

    → {"op": "grade", "id": N, "submission": PATH}
    ← {"id": N, "returncode": CODE, "work": DIR, "expired": BOOL}
                                                    DIR holds records.jsonl and pytest.log;
                                                    expired: killed at the backstop
    → {"op": "cancel", "id": N}                     its answer carries "cancelled": true
    → {"op": "quit"} or end of input                every child killed, their folders removed

`grader check` grades one submission with the same child and no server:
`python -I -m grader.warm --once SPEC_JSON` is that child itself, started before the submission
is copied, with the job (`{"submission": PATH}`) on its stdin. Its sandbox is prepared before
pytest is even imported, so the agent's start-up runs on another core while pytest starts
and collects; its exit code is pytest's.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import math
import os
import select
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from grader import child as child_state
from grader.child import LOG, RECORDS, WarmStart, clean_environment, pytest_arguments

CHILD_FAILED = 70  # a warm child that could not run pytest at all (our bug): see its pytest.log
_PR_SET_PDEATHSIG, _PR_SET_NAME = 1, 15
PROCESS_NAME = b"grader-tests"  # a test process's name (/proc/PID/comm)


@dataclass
class Spec:
    """How the server's children grade: which exercise, in which sandbox, how many kept ready."""

    slug: str
    root: str
    rubric: str
    sandbox: str
    image: str | None
    run_id: str | None
    spare: int
    backstop: float
    scratch: str

    @classmethod
    def parse(cls, text: str) -> Spec:
        return cls(**json.loads(text))

    def dump(self) -> str:
        return json.dumps(self.__dict__)


@dataclass
class _Child:
    pid: int
    work: Path
    job_fd: int
    job: int | None = None
    deadline: float = math.inf
    cancelled: bool = False
    expired: bool = False  # killed by us at the backstop: the app hung, it is the app's verdict


def warm_imports(sandbox: str, packages: list[str]) -> None:
    """Import once in the server what every child needs: pytest and its plugins, the grader's plugin."""
    import _pytest.config

    for name in _pytest.config.default_plugins:
        try:
            importlib.import_module(f"_pytest.{name}")
        except ImportError:
            pass
    import bs4
    import werkzeug.test  # noqa: F401

    # soupsieve compiles its tokenizer's patterns at the first select(): a tenth of a second
    # each child would spend again. Compiled here once, every fork has them.
    bs4.BeautifulSoup("<p class='a'><a href='/'>x</a></p>", "html.parser").select("p.a > a[href]")

    import grader.plugin  # noqa: F401
    import grader.testing  # noqa: F401

    if sandbox == "inprocess":  # the app is imported into the child itself: warm its packages too
        from grader.sandbox.process import preload_modules

        for name in preload_modules(packages).split(","):
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a package that fails to import is the app's problem
                pass
    elif sandbox == "docker":
        import grader.sandbox.docker  # noqa: F401


class ForkServer:
    """Keeps `spare` warm children ready and hands each job to one of them."""

    def __init__(self, spec: Spec, channel_in: int, channel_out: int) -> None:
        self.spec = spec
        self.channel_in = channel_in
        self.channel_out = channel_out
        self.spares: list[_Child] = []
        self.busy: dict[int, _Child] = {}
        self.queue: list[dict] = []
        self._buffer = b""
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)
        os.set_blocking(self._wake_read, False)

    def serve(self) -> None:
        signal.set_wakeup_fd(self._wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select; children are reaped below
        try:
            while True:
                self._reap()
                self._dispatch()
                while len(self.spares) < self.spec.spare:
                    self.spares.append(self._fork())
                self._expire()
                nearest = min((c.deadline for c in self.busy.values()), default=math.inf)
                timeout = max(0.0, min(1.0, nearest - time.monotonic()))
                readable, _, _ = select.select([self.channel_in, self._wake_read], [], [], timeout)
                if self._wake_read in readable:
                    try:
                        os.read(self._wake_read, 4096)
                    except BlockingIOError:
                        pass
                if self.channel_in in readable and not self._read_commands():
                    return
        finally:
            self._stop_all()

    # -- commands from the grader ------------------------------------------------------------

    def _read_commands(self) -> bool:
        """Handle whole lines from the grader; False on quit or end of input."""
        chunk = os.read(self.channel_in, 65536)
        if not chunk:
            return False
        self._buffer += chunk
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            command = json.loads(line)
            if command.get("op") == "quit":
                return False
            if command.get("op") == "grade":
                self.queue.append(command)
            elif command.get("op") == "cancel":
                self._cancel(command.get("id"))
        return True

    def _dispatch(self) -> None:
        while self.queue:
            if not self.spares:
                self.spares.append(self._fork())
            child, command = self.spares.pop(0), self.queue.pop(0)
            child.job, child.deadline = command["id"], time.monotonic() + self.spec.backstop
            self.busy[child.pid] = child
            os.write(child.job_fd, json.dumps({"submission": command["submission"]}).encode() + b"\n")

    def _cancel(self, job) -> None:
        for child in self.busy.values():
            if child.job == job:
                child.cancelled = True
                kill_grading(child.pid)
        self.queue = [c for c in self.queue if c.get("id") != job]

    def _expire(self) -> None:
        now = time.monotonic()
        for child in self.busy.values():
            if child.deadline <= now:
                child.deadline, child.expired = math.inf, True
                kill_grading(child.pid)

    # -- children ----------------------------------------------------------------------------

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
            child = self.busy.pop(pid, None)
            if child is not None:
                os.close(child.job_fd)
                answer = {"id": child.job, "returncode": code, "work": str(child.work), "expired": child.expired}
                if child.cancelled:
                    answer["cancelled"] = True
                os.write(self.channel_out, json.dumps(answer).encode() + b"\n")
                continue
            spare = next((c for c in self.spares if c.pid == pid), None)
            if spare is not None:  # died before its job (a broken sandbox): forget it, make another
                self.spares.remove(spare)
                os.close(spare.job_fd)
                remove_tree(spare.work)

    def _fork(self) -> _Child:
        work = Path(tempfile.mkdtemp(prefix="warm-", dir=self.spec.scratch))
        job_read, job_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # a child must never return into the server's loop
            inherited = (job_write, self.channel_in, self.channel_out, self._wake_read, self._wake_write,
                         *(c.job_fd for c in [*self.spares, *self.busy.values()]))
            run_child(self.spec, work, job_read, inherited)
        os.close(job_read)
        return _Child(pid, work, job_write)

    def _stop_all(self) -> None:
        for child in [*self.spares, *self.busy.values()]:
            kill_grading(child.pid)
        for child in [*self.spares, *self.busy.values()]:
            try:
                os.waitpid(child.pid, 0)
            except ChildProcessError:
                pass
            remove_tree(child.work)


def remove_tree(folder: Path) -> None:
    """A child's scratch folder, with any sandbox quota mounted in it (a killed child leaves one)."""
    from grader.sandbox.process import remove_tree as remove

    remove(folder)


def kill_grading(pid: int) -> None:
    """SIGKILL a test process, its session, and the sandboxes it started.

    Each sandbox (the process sandbox's jail) leads a session of its own, so killing the test
    process's group alone would leave it, and an agent stuck in the app's code, running on. The
    group is stopped first, so that no new sandbox starts while its children are listed.
    """
    _signal_group(pid, signal.SIGSTOP)
    sessions = {pid}
    for child in _children(pid):
        try:
            sessions.add(os.getsid(child))
        except (ProcessLookupError, PermissionError):
            pass
    sessions.discard(os.getsid(0))  # never our own
    for session in sessions:
        _signal_group(session, signal.SIGKILL)
    try:
        os.kill(pid, signal.SIGKILL)  # should it not lead its session yet
    except (ProcessLookupError, PermissionError):
        pass


def _children(pid: int) -> list[int]:
    """The processes any thread of `pid` started (Linux's /proc/PID/task/TID/children)."""
    children = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children", encoding="ascii") as file:
                children += [int(child) for child in file.read().split()]
        except (OSError, ValueError):
            pass
    return children


def _signal_group(group: int, number: int) -> None:
    try:
        os.killpg(group, number)
    except (ProcessLookupError, PermissionError):
        pass


def run_child(spec: Spec, work: Path, job_fd: int, inherited: tuple[int, ...] = ()) -> NoReturn:
    """Be a warm child, then exit with pytest's code (CHILD_FAILED, traceback in the log, if it broke)."""
    code = CHILD_FAILED
    try:
        for fd in inherited:
            os.close(fd)
        code = _child(spec, work, job_fd)
    except BaseException:  # noqa: BLE001 - told by the exit code; the log has the traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _child(spec: Spec, work: Path, job_fd: int) -> int:
    """A warm child: own session and scratch folder, its sandbox prepared, pytest run once."""
    gc.disable()  # until the tests begin (WarmStart.tests_begin)
    if os.getsid(0) != os.getpid():  # `--once` is started in a session of its own already
        os.setsid()
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the server, whatever kills it
        libc.prctl(_PR_SET_NAME, PROCESS_NAME)  # what ps and top show for it (a fork keeps its parent's command line)
    except (OSError, AttributeError):
        pass
    log = os.open(work / LOG, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    (work / "home").mkdir()
    os.chdir(work)

    from grader.exercise import Exercise
    from grader.rubric import load_rubric
    from grader.sandbox import get_sandbox

    environment = clean_environment(work)  # before clear(): it keeps what it may of the server's
    os.environ.clear()
    os.environ.update(environment)
    tempfile.tempdir = str(work)
    rubric = load_rubric(Path(spec.rubric)).rubric
    prepared, error = None, None
    try:
        sandbox = get_sandbox(spec.sandbox, rubric.packages, spec.image, spec.run_id)
        prepared = sandbox.prepare(rubric.limits, rubric.config)
    except Exception as exc:  # noqa: BLE001 - no submission yet: the test run reports it as a grader fault
        error = getattr(exc, "message", None) or f"the sandbox could not be prepared: {type(exc).__name__}: {exc}"
    child_state.CURRENT = start = WarmStart(job_fd, prepared, error)
    exercise = Exercise(spec.slug, Path(spec.root), Path(spec.rubric))
    options = ["--grader-sandbox", spec.sandbox]
    if spec.image:
        options += ["--grader-image", spec.image, "--grader-run-id", spec.run_id or ""]
    import pytest

    code = pytest.main(pytest_arguments(exercise, "(warm)", work / RECORDS, options))
    start.finish()
    return int(code)


def main() -> None:
    if sys.argv[1] == "--once":  # grader check: this process is the single child
        spec = Spec.parse(sys.argv[2])
        run_child(spec, Path(spec.scratch), os.dup(0))
    spec = Spec.parse(sys.argv[1])
    # Keep the protocol's pipes to ourselves; stray prints go to stderr (the server's log).
    channel_in, channel_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    from grader.rubric import load_rubric

    gc.disable()
    warm_imports(spec.sandbox, list(load_rubric(Path(spec.rubric)).rubric.packages))
    gc.freeze()  # kept out of the collector's walks, in the server and in every child (and shared pages stay shared)
    gc.enable()
    ForkServer(spec, channel_in, channel_out).serve()


if __name__ == "__main__":
    # Run as the module `grader.warm`, not `__main__`, so that its globals are the ones the imports see.
    from grader.warm import main as module_main

    module_main()
