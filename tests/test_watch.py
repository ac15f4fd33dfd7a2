"""`grader check --watch`: a verdict after every save, from a warm grader; Ctrl-C leaves nothing."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import HELLO, REPO

from grader.exercise import find_exercise
from grader.watch import changed_names, watch, watch_filter

MUTANT = HELLO / "mutants" / "two-h1" / "app.py"  # 80 / 100: the home page has two <h1>


class Watcher:
    """`grader check hello-mission FOLDER --watch` as a student runs it, its output read line by line."""

    def __init__(self, folder: Path, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "GRADER_COURSE"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader.cli", "check", "hello-mission", str(folder), "--watch", *extra],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next_status(self, timeout: float = 60) -> str:
        """The next `watch:` line (the end of one grading); the report before it is in `output`."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"grader exited ({self.process.wait()}): {''.join(self.output)}"
            self.output.append(line)
            if line.startswith("watch:"):
                return line

    def quiet_for(self, seconds: float) -> bool:
        """True when no grading ended within `seconds`."""
        try:
            while True:
                line = self.lines.get(timeout=seconds)
                if line is None or line.startswith("watch:"):
                    return False
        except queue.Empty:
            return True

    def server_scratch(self) -> Path:
        """The scratch folder of the fork server this watcher started (its spec names it)."""
        for entry in Path("/proc").iterdir():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError):
                continue
            if parent == self.process.pid and b"grader.warm" in argv:
                return Path(json.loads(argv[-2] if argv[-1] == b"" else argv[-1])["scratch"])
        raise AssertionError("no fork server under the watcher")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        while (line := self.lines.get(timeout=10)) is not None:
            self.output.append(line)
        return code


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture
def student(tmp_path: Path) -> Path:
    folder = tmp_path / "ada"
    shutil.copytree(HELLO / "solution", folder)
    return folder


def save(path: Path, text: str) -> None:
    """Write as an editor does: the whole file at once."""
    path.write_text(text)


def test_each_save_is_graded_again_and_ctrl_c_leaves_nothing_running(student: Path):
    watcher = Watcher(student)
    try:
        first = watcher.next_status()
        assert first.startswith("watch: 100 / 100 · first grading"), watcher.output
        scratch = watcher.server_scratch()
        assert scratch.is_dir() and processes_mentioning(str(scratch))

        save(student / "app.py", MUTANT.read_text())
        broken = watcher.next_status()
        assert broken.startswith("watch: 80 / 100 · app.py changed"), watcher.output
        assert any("expected exactly one" in line for line in watcher.output)  # the failure, as check shows it

        save(student / "app.py", (HELLO / "solution" / "app.py").read_text())
        assert watcher.next_status().startswith("watch: 100 / 100 · app.py changed")
    finally:
        code = watcher.stop()
    assert code == 0 and watcher.output[-1] == "watch: stopped\n"
    deadline = time.monotonic() + 10
    while processes_mentioning(str(scratch)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes_mentioning(str(scratch)), "a grader process outlived Ctrl-C"
    assert not scratch.exists(), "the warm grader's folder was left behind"


def test_a_save_during_the_first_grading_is_graded_too(student: Path):
    watcher = Watcher(student)
    try:
        time.sleep(0.5)  # the warm grader is starting, the first grading not done
        save(student / "app.py", MUTANT.read_text())
        statuses = [watcher.next_status()]
        while not statuses[-1].startswith("watch: 80 / 100"):
            statuses.append(watcher.next_status(timeout=20))  # Empty here: the save was missed
    finally:
        watcher.stop()
    assert len(statuses) <= 2, statuses


def test_sigterm_stops_it_like_ctrl_c(student: Path):
    watcher = Watcher(student)
    try:
        watcher.next_status()
        scratch = watcher.server_scratch()
        watcher.process.send_signal(signal.SIGTERM)
        assert watcher.process.wait(timeout=30) == 0
    finally:
        watcher.stop()
    deadline = time.monotonic() + 10
    while (processes_mentioning(str(scratch)) or scratch.exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes_mentioning(str(scratch)) and not scratch.exists()


def test_files_a_grading_never_copies_do_not_start_one(student: Path):
    watcher = Watcher(student)
    try:
        watcher.next_status()
        (student / "__pycache__").mkdir(exist_ok=True)
        (student / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0" * 16)
        (student / ".venv" / "lib").mkdir(parents=True)
        (student / ".venv" / "lib" / "site.py").write_text("x = 1\n")
        (student / "missions.db-journal").write_bytes(b"\0")
        assert watcher.quiet_for(1.5), "a change to an ignored file started a grading"
        save(student / "requirements.txt", (student / "requirements.txt").read_text() + "\n")
        assert "· requirements.txt changed" in watcher.next_status()
    finally:
        watcher.stop()


@pytest.mark.parametrize("option", [["--format", "json"], ["-o", "report.txt"]])
def test_watch_refuses_other_formats_in_one_line(student: Path, option: list[str]):
    process = subprocess.run([sys.executable, "-m", "grader.cli", "check", "hello-mission", str(student), "--watch",
                              *option], cwd=student, capture_output=True, text=True, timeout=60)
    assert process.returncode == 2 and process.stdout == ""
    assert process.stderr.strip().splitlines() == [
        "grader: error: --watch shows the text report as it changes; drop --format and --output"]


def test_a_missing_folder_is_one_line_and_exit_2(tmp_path: Path):
    process = subprocess.run([sys.executable, "-m", "grader.cli", "check", "hello-mission", str(tmp_path / "nope"),
                              "--watch"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert process.returncode == 2
    assert process.stderr.strip().splitlines() == [
        f"grader: error: {tmp_path / 'nope'}: no such folder; give the path of the student's app (default: .)"]


# --- the loop and its displays, driven by a given sequence of changes -----------------------------

def test_the_loop_grades_first_then_once_per_batch_of_changes(student: Path, capsys):
    batches = [
        [("modified", str(student / "app.py"))],
        [("modified", str(student / "templates" / "index.html")), ("added", str(student / "static" / "x.css"))],
    ]

    def changes(root: Path):
        for batch in batches:
            if batch[0][1].endswith("app.py"):
                save(student / "app.py", MUTANT.read_text())
            yield batch

    watch(find_exercise("hello-mission"), student, "process", terminal=False, changes=changes)
    statuses = [line for line in capsys.readouterr().out.splitlines() if line.startswith("watch:")]
    assert [s.split(" · ")[0] for s in statuses[:3]] == ["watch: 100 / 100", "watch: 80 / 100", "watch: 80 / 100"]
    assert "app.py changed" in statuses[1]
    assert "static/x.css, templates/index.html changed" in statuses[2]
    assert statuses[3] == "watch: stopped"


def test_on_a_terminal_the_report_is_redrawn_under_a_status_line(student: Path, capsys):
    def changes(root: Path):
        save(student / "app.py", MUTANT.read_text())
        yield [("modified", str(student / "app.py"))]

    watch(find_exercise("hello-mission"), student, "process", terminal=True, changes=changes)
    out = capsys.readouterr().out
    assert "80 / 100 · app.py changed, graded in" in out
    assert "Home page — 0 / 20" in out and "stopped watching" in out


def test_a_grading_the_grader_failed_is_reported_as_ungradable_not_as_a_score(student: Path, capsys, monkeypatch):
    from grader.pool import WarmPool
    from grader.sandbox.base import GraderFault

    real = WarmPool.grade
    calls = []

    def grade(self, path):
        calls.append(path)
        if len(calls) == 2:  # the host fails during the second grading only
            raise GraderFault("the host ran out of disk while copying the submission")
        return real(self, path)

    monkeypatch.setattr(WarmPool, "grade", grade)

    def changes(root: Path):
        yield [("modified", str(student / "app.py"))]
        yield [("modified", str(student / "app.py"))]

    watch(find_exercise("hello-mission"), student, "process", terminal=False, changes=changes)
    out = capsys.readouterr().out
    statuses = [line for line in out.splitlines() if line.startswith("watch:")]
    assert [s.split(" · ")[0] for s in statuses[:3]] == ["watch: 100 / 100", "watch: not graded", "watch: 100 / 100"]
    assert "the host ran out of disk while copying the submission" in out
    assert not re.search(r"(?<![0-9])0 / 100", out), out  # the grader's failure is never the student's 0


def test_changed_names_are_relative_to_the_submission(tmp_path: Path):
    root = tmp_path.resolve()
    names = changed_names([("m", str(root / "b.py")), ("m", str(root / "pkg" / "a.py")), ("m", str(root / "b.py"))], root)
    assert names == ["b.py", "pkg/a.py"]


@pytest.mark.parametrize("path, graded", [
    ("app.py", True), ("templates/index.html", True), (".git/index", False), ("__pycache__/app.cpython-311.pyc", False),
    (".venv/bin/python", False), ("node_modules/x.js", False), ("instance/site.db-journal", False), ("app.py.swp", False),
])
def test_the_filter_ignores_what_a_grading_never_copies(tmp_path: Path, path: str, graded: bool):
    from watchfiles import Change

    assert watch_filter()(Change.modified, str(tmp_path / path)) is graded
