"""Grade many submissions of one exercise through a fork server of warm, single-use graders.

    with WarmPool(exercise, "process", jobs=2) as pool:
        results = list(thread_pool.map(pool.grade, folders))

See grader/warm.py for what the server keeps ready. The result of each submission is the same
as `grade()` would give; only the start-up costs move off the critical path.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from grader.exercise import Exercise
from grader.grade import backstop, docker_run, output_tail, result_of_run
from grader.records import read_records
from grader.result import Result
from grader.sandbox.base import GraderFault
from grader.sandbox.process import remove_tree
from grader.session import CANCEL, GradingCancelled
from grader.submission import describe, private_copy
from grader.child import LOG, RECORDS, clean_environment
from grader.warm import Spec

SERVER_LOG = "server.log"


class _Server:
    """One fork-server process and the answers it has sent; `gone` once its output ended."""

    def __init__(self, spec: Spec, scratch: Path, log_name: str) -> None:
        self.log_path = scratch / log_name
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-m", "grader.warm", spec.dump()], cwd=scratch,
            env=clean_environment(scratch), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            start_new_session=True,  # Ctrl-C reaches the grader, which cancels; not the server directly
        )
        self.answers: dict[int, dict] = {}
        self.arrived = threading.Condition()
        self.gone = False
        self.reader = threading.Thread(target=self._read_answers, daemon=True)
        self.reader.start()

    def _read_answers(self) -> None:
        for line in self.process.stdout:
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            with self.arrived:
                self.answers[answer["id"]] = answer
                self.arrived.notify_all()
        with self.arrived:
            self.gone = True
            self.arrived.notify_all()

    def send(self, command: dict) -> None:
        try:
            self.process.stdin.write(json.dumps(command).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise GraderFault(f"the warm grading server stopped: {self.last_log_line()}") from None

    def last_log_line(self) -> str:
        self.log.flush()
        lines = [line for line in self.log_path.read_text(errors="replace").splitlines() if line.strip()]
        return lines[-1] if lines else f"exit code {self.process.poll()}"

    def stop(self) -> None:
        try:
            self.send({"op": "quit"})
            self.process.stdin.close()
        except (GraderFault, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)
        self.log.close()


class WarmPool:
    """One fork server for a run; `grade(path)` may be called from several threads at once.

    A server that dies (killed, out of memory) fails the gradings it had as GraderFault
    (ungradable, graded again by `grader run`); the next grading starts a new server.
    """

    def __init__(self, exercise: Exercise, sandbox: str, jobs: int) -> None:
        self.exercise = exercise
        self.sandbox = sandbox
        self.loaded = exercise.load_rubric()
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-pool-"))
        self._docker = docker_run(exercise) if sandbox == "docker" else None
        self.run_id = self._docker.run_id if self._docker else None
        image = self._docker.image if self._docker else None
        self._spec = Spec(exercise.slug, str(exercise.root), str(exercise.rubric_path), sandbox, image, self.run_id,
                          spare=max(1, jobs), backstop=backstop(self.loaded.rubric.limits), scratch=str(self.scratch))
        (self.scratch / "home").mkdir()
        self._lock = threading.Lock()
        self._ids = iter(range(1, 1 << 62))
        self.servers_started = 0
        self._server = self._new_server()

    def _new_server(self) -> _Server:
        self.servers_started += 1
        return _Server(self._spec, self.scratch, SERVER_LOG if self.servers_started == 1
                       else f"server-{self.servers_started}.log")

    def _current_server(self) -> _Server:
        """The live server; a new one when the last one died."""
        with self._lock:
            if self._server.gone or self._server.process.poll() is not None:
                old, self._server = self._server, self._new_server()
                old.stop()
            return self._server

    @property
    def server_pid(self) -> int:
        return self._server.process.pid

    def grade(self, path: Path) -> Result:
        """Grade the app at `path`, as grader.grade.grade does; GradingCancelled once CANCEL is set."""
        info = describe(path)
        started = time.monotonic()
        with self._lock:
            job = next(self._ids)
        folder = self.scratch / f"job-{job}"
        answer = None
        try:
            warnings = private_copy(path, folder / "submission")
            server = self._current_server()
            server.send({"op": "grade", "id": job, "submission": str(folder / "submission")})
            answer = self._wait(server, job)
            work = Path(answer["work"])
            records = read_records(work / RECORDS)
            output = output_tail(work / LOG) if (work / LOG).exists() else ""
            return result_of_run(self.exercise, self.loaded, records, answer["returncode"], output, info=info,
                                 sandbox=self.sandbox, duration=time.monotonic() - started, warnings=warnings,
                                 timed_out=bool(answer.get("expired")))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            if answer is not None:
                remove_tree(answer["work"])

    def _wait(self, server: _Server, job: int) -> dict:
        cancel_sent = False
        with server.arrived:
            while job not in server.answers:
                if server.gone:
                    raise GraderFault(f"the warm grading server stopped: {server.last_log_line()}")
                if CANCEL.is_set() and not cancel_sent:
                    server.send({"op": "cancel", "id": job})
                    cancel_sent = True
                server.arrived.wait(timeout=0.2)
            answer = server.answers.pop(job)
        if answer.get("cancelled") or cancel_sent:
            remove_tree(answer["work"])
            raise GradingCancelled()
        return answer

    def close(self) -> None:
        """Stop the server and every child; remove every folder and (docker) container of this pool."""
        self._server.stop()
        if self._docker is not None:
            self._docker.cleanup()
        remove_tree(self.scratch)

    def __enter__(self) -> WarmPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
