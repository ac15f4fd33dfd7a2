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

from grader.errors import GraderError
from grader.exercise import Exercise
from grader.grade import (
    CANCEL, GradingCancelled, backstop, clean_environment, docker_run, output_tail, result_of_run,
)
from grader.records import read_records
from grader.result import Result
from grader.submission import describe, private_copy
from grader.warm import LOG, RECORDS, Spec

SERVER_LOG = "server.log"


class WarmPool:
    """One fork server for a run; `grade(path)` may be called from several threads at once."""

    def __init__(self, exercise: Exercise, sandbox: str, jobs: int) -> None:
        self.exercise = exercise
        self.sandbox = sandbox
        self.loaded = exercise.load_rubric()
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-pool-"))
        self._docker = docker_run(exercise) if sandbox == "docker" else None
        self.run_id = self._docker.run_id if self._docker else None
        image = self._docker.image if self._docker else None
        spec = Spec(exercise.slug, str(exercise.root), str(exercise.rubric_path), sandbox, image, self.run_id,
                    spare=max(1, jobs), backstop=backstop(self.loaded.rubric.limits), scratch=str(self.scratch))
        (self.scratch / "home").mkdir()
        self._log = (self.scratch / SERVER_LOG).open("wb")
        self._server = subprocess.Popen(
            [sys.executable, "-I", "-m", "grader.warm", spec.dump()], cwd=self.scratch,
            env=clean_environment(self.scratch), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            start_new_session=True,  # Ctrl-C reaches the grader, which cancels; not the server directly
        )
        self._lock = threading.Lock()
        self._answers: dict[int, dict] = {}
        self._arrived = threading.Condition(self._lock)
        self._ids = iter(range(1, 1 << 62))
        self._gone = False
        self._reader = threading.Thread(target=self._read_answers, daemon=True)
        self._reader.start()

    def _read_answers(self) -> None:
        for line in self._server.stdout:
            answer = json.loads(line)
            with self._arrived:
                self._answers[answer["id"]] = answer
                self._arrived.notify_all()
        with self._arrived:
            self._gone = True
            self._arrived.notify_all()

    def _send(self, command: dict) -> None:
        try:
            self._server.stdin.write(json.dumps(command).encode() + b"\n")
            self._server.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise GraderError(f"the grading server stopped: {self._last_log_line()}", exit_code=1) from None

    def _last_log_line(self) -> str:
        self._log.flush()
        lines = [line for line in (self.scratch / SERVER_LOG).read_text(errors="replace").splitlines() if line.strip()]
        return lines[-1] if lines else f"exit code {self._server.poll()}"

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
            self._send({"op": "grade", "id": job, "submission": str(folder / "submission")})
            answer = self._wait(job)
            work = Path(answer["work"])
            records = read_records(work / RECORDS)
            output = output_tail(work / LOG) if (work / LOG).exists() else ""
            return result_of_run(self.exercise, self.loaded, records, answer["returncode"], output, info=info,
                                 sandbox=self.sandbox, duration=time.monotonic() - started, warnings=warnings)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            if answer is not None:
                shutil.rmtree(answer["work"], ignore_errors=True)

    def _wait(self, job: int) -> dict:
        cancel_sent = False
        with self._arrived:
            while job not in self._answers:
                if self._gone:
                    raise GraderError(f"the grading server stopped: {self._last_log_line()}", exit_code=1)
                if CANCEL.is_set() and not cancel_sent:
                    self._send({"op": "cancel", "id": job})
                    cancel_sent = True
                self._arrived.wait(timeout=0.2)
            answer = self._answers.pop(job)
        if answer.get("cancelled") or cancel_sent:
            shutil.rmtree(answer["work"], ignore_errors=True)
            raise GradingCancelled()
        return answer

    def close(self) -> None:
        """Stop the server and every child; remove every folder and (docker) container of this pool."""
        try:
            self._send({"op": "quit"})
            self._server.stdin.close()
        except (GraderError, OSError):
            pass
        try:
            self._server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._server.kill()
            self._server.wait()
        self._reader.join(timeout=5)
        self._log.close()
        if self._docker is not None:
            self._docker.cleanup()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> WarmPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
