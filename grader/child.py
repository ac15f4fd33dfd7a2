"""What a test process is, shared by the code that starts one and the code that runs in one.

A *test process* runs pytest on the exercise's tests with the grader's plugin, for one
submission. `grader check` starts it (`grader.session`), `grader run`'s fork server forks it
(`grader.warm`), and inside it the plugin (`grader.plugin`) finds the sandbox that was prepared
for it here, in `CURRENT`. This module imports nothing of theirs, so none of them imports another
to reach what they share: their file names, pytest's arguments, the environment, the hand-over.
"""

from __future__ import annotations

import gc
import json
import os
import select
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.exercise import Exercise

RECORDS, LOG = "records.jsonl", "pytest.log"  # in a test process's scratch folder
EXERCISE_INI = Path(__file__).with_name("exercise.ini")
# Environment variables the test process keeps; tokens and CI secrets never reach student code.
# DOCKER_*: where the Docker engine is (its address and TLS files, never a secret of a student's).
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT", "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")
# pytest's plugins no grading uses: each costs imports (pdb, xml.etree, doctest) and a call per hook.
UNUSED_PLUGINS = [arg for name in ("debugging", "doctest", "junitxml", "pastebin", "setuponly", "setupplan", "stepwise")
                  for arg in ("-p", f"no:{name}")]


def pytest_arguments(exercise: Exercise, submission: Path | str, records: Path, options: list[str]) -> list[str]:
    """pytest's arguments for one grading: the grader's own ini, rootdir and plugin; nothing of the submission's."""
    tests = str(exercise.tests_dir)
    return [
        tests, "-c", str(EXERCISE_INI), "--rootdir", tests, "--confcutdir", tests,
        "-p", "grader.plugin", "-p", "no:cacheprovider", *UNUSED_PLUGINS, "--import-mode=importlib",
        "-q", "--no-header",
        "--grader-submission", str(submission),
        *options,
        "--grader-rubric", str(exercise.rubric_path),
        "--grader-records", str(records),
    ]


def clean_environment(work: Path) -> dict[str, str]:
    """The environment pytest runs in: no tokens or CI secrets; HOME and TMPDIR in scratch space."""
    env = {k: v for k, v in os.environ.items() if k in KEEP_ENV}
    env.update(HOME=str(work / "home"), TMPDIR=str(work), PYTHONHASHSEED="0", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    return env


class WarmStart:
    """What a warm test process knows while pytest runs: its prepared sandbox and where its job comes from."""

    def __init__(self, job_fd: int, prepared, prepare_error: str | None) -> None:
        self._job_fd = job_fd
        self.prepared = prepared
        self.prepare_error = prepare_error
        self.submission: Path | None = None
        self.early = None  # plugin.EarlyStart: the app started while pytest collected

    def submission_ready(self) -> bool:
        """Whether the submission has been handed over already (take_submission would not wait)."""
        return self.submission is not None or bool(select.select([self._job_fd], [], [], 0)[0])

    def take_submission(self) -> Path:
        """Block until the server hands this child its submission (once); the path of its files."""
        if self.submission is None:
            data = b""
            while not data.endswith(b"\n"):
                chunk = os.read(self._job_fd, 65536)
                if not chunk:  # the server is gone: nothing to grade, nobody to tell
                    os._exit(1)
                data += chunk
            self.submission = Path(json.loads(data)["submission"])
        return self.submission

    def tests_begin(self) -> None:
        """The submission is here and the tests collected: what was imported stays for the run.

        The child imports and collects with the cycle collector off (its passes over every new
        object cost 20-30 ms of a cold `grader check`); now those objects are frozen out of its
        walks and it runs again, for the cycles the tests make (BeautifulSoup trees are ones).
        """
        gc.freeze()
        gc.enable()

    def finish(self) -> None:
        """After pytest: a child whose tests never asked for the app still belongs to one job."""
        self.take_submission()
        if self.prepared is not None:
            self.prepared.discard()
            self.prepared = None


CURRENT: WarmStart | None = None  # set in a warm test process only (grader.warm); the plugin's fixture looks here
