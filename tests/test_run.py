"""End to end: `grader run` over a class, its history, resuming after a kill, and bad input."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import git
import pytest

from conftest import HELLO, REPO

MUTANT = HELLO / "mutants" / "two-h1"  # scores 80


def make_class(root: Path, spec: dict[str, Path]) -> Path:
    """A folder of submissions: one subfolder per student, copied from `spec`."""
    for student, source in spec.items():
        shutil.copytree(source, root / student, ignore=shutil.ignore_patterns("__pycache__", "mutant.yaml"))
    return root


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def saved_rows(out: Path) -> int:
    """How many results the store holds so far (0 while it is still being created)."""
    try:
        return len(rows_in_db(out)) if (out / "grader.db").exists() else 0
    except sqlite3.OperationalError:  # the file exists, its table not yet
        return 0


def rows_in_db(out: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(out / "grader.db") as db:
        return db.execute("SELECT student, status FROM results ORDER BY id").fetchall()


def test_run_grades_a_folder_and_writes_every_output(grader, tmp_path):
    klass = make_class(tmp_path / "class", {"ada": HELLO / "solution", "bob": HELLO / "starter", "cy": MUTANT})
    out = tmp_path / "out"
    run = grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process", "-j", "2")
    assert run.returncode == 0, run
    book = gradebook(out)
    assert {name: row["score"] for name, row in book.items()} == {"ada": "100", "bob": "0", "cy": "80"}
    assert book["cy"]["home_points"] == "0" and book["cy"]["status_points"] == "20"
    assert all(row["status"] == "graded" for row in book.values())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["exercise"] == "hello-mission"
    for student in ("ada", "bob", "cy"):
        assert json.loads((out / "reports" / f"{student}.json").read_text())["student"] == student
        assert (out / "reports" / f"{student}.md").read_text().startswith("## ")
        assert "<html" in (out / "reports" / f"{student}.html").read_text()
    index = (out / "index.html").read_text()
    assert "<svg" in index and "reports/cy.html" in index and "<script" not in index
    # Plain progress lines when stdout is not a terminal, one per submission.
    assert "cy: graded, 80 / 100" in run.stdout
    assert "3 submissions: 3 newly graded, 0 unchanged since the last run — 3 graded;" in run.stdout


def test_rerun_reuses_unchanged_submissions_and_regrades_changes(grader, tmp_path):
    klass = make_class(tmp_path / "class", {"ada": HELLO / "solution", "cy": MUTANT})
    out = tmp_path / "out"
    assert grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process").returncode == 0
    started = time.monotonic()
    again = grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process")
    assert again.returncode == 0, again
    assert "2 submissions: 0 newly graded, 2 unchanged" in again.stdout
    assert time.monotonic() - started < 15
    shutil.rmtree(klass / "cy")
    shutil.copytree(HELLO / "solution", klass / "cy")  # cy fixes the bug
    third = grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process")
    assert "2 submissions: 1 newly graded, 1 unchanged" in third.stdout
    assert gradebook(out)["cy"]["score"] == "100"
    forced = grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process", "--force")
    assert "2 submissions: 2 newly graded, 0 unchanged" in forced.stdout
    assert len(rows_in_db(out)) == 2 + 1 + 2


def test_history_lists_a_students_results_over_time(grader, tmp_path):
    klass = make_class(tmp_path / "class", {"cy": MUTANT})
    out = tmp_path / "out"
    grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process")
    shutil.rmtree(klass / "cy")
    shutil.copytree(HELLO / "solution", klass / "cy")
    grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process")
    run = grader("history", "cy", "--out", out)
    assert run.returncode == 0, run
    lines = [line for line in run.stdout.splitlines() if "hello-mission" in line]
    assert len(lines) == 2
    assert "80 / 100" in lines[0] and "100 / 100" in lines[1]
    missing = grader("history", "nobody", "--out", out)
    assert missing.returncode == 2 and "no results for 'nobody'" in missing.stderr


def test_killed_run_resumes_without_losing_or_regrading(tmp_path):
    klass = make_class(tmp_path / "class", {f"s{i:02d}": HELLO / "solution" for i in range(8)})
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader.cli", "run", "hello-mission", "--from", str(klass), "--out", str(out),
               "--sandbox", "process", "-j", "1"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if saved_rows(out) >= 2:  # 0 while the database is still being created
            break
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = {student for student, _ in rows_in_db(out)}
    assert 2 <= len(finished) < 8
    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(finished)} unchanged" in resumed.stdout
    students = [student for student, _ in rows_in_db(out)]
    assert sorted(students) == sorted(set(students))  # nothing graded twice
    assert len(students) == 8
    assert all(row["score"] == "100" for row in gradebook(out).values())


def test_run_over_fifty_submissions(grader, tmp_path):
    spec = {}
    for i in range(50):
        spec[f"student-{i:02d}"] = [HELLO / "solution", MUTANT, HELLO / "starter"][i % 3]
    klass = make_class(tmp_path / "class", spec)
    out = tmp_path / "out"
    run = grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process", timeout=900)
    assert run.returncode == 0, run
    book = gradebook(out)
    assert len(book) == 50
    expected = {0: "100", 1: "80", 2: "0"}
    assert all(book[f"student-{i:02d}"]["score"] == expected[i % 3] for i in range(50))
    assert len(list((out / "reports").glob("*.html"))) == 50


# --- Git sources with a deadline and a late policy ------------------------------------------------

DEADLINE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=1)))


def commit_app(repo: git.Repo, source: Path, when: datetime, message: str) -> str:
    for item in source.iterdir():
        if item.is_file() and item.name != "mutant.yaml":
            shutil.copy(item, Path(repo.working_tree_dir) / item.name)
    repo.git.add(A=True)
    env = {"GIT_AUTHOR_DATE": when.isoformat(), "GIT_COMMITTER_DATE": when.isoformat()}
    with repo.git.custom_environment(**env):
        repo.git.commit(m=message, author="Student <s@example.com>")
    return repo.head.commit.hexsha


def bare_repo(tmp_path: Path, name: str, commits: list[tuple[Path, datetime]]) -> str:
    work = git.Repo.init(tmp_path / "work" / name, initial_branch="main")
    for source, when in commits:
        commit_app(work, source, when, f"work at {when}")
    bare = tmp_path / "remote" / f"{name}.git"
    git.Repo.clone_from(work.working_tree_dir, bare, bare=True)
    return bare.as_uri()


@pytest.fixture
def late_class(tmp_path) -> Path:
    before, after = DEADLINE - timedelta(hours=2), DEADLINE + timedelta(hours=30)
    rows = [
        ("ontime", bare_repo(tmp_path, "ontime", [(HELLO / "solution", before)])),
        # A buggy version before the deadline, the fix 30 hours late.
        ("late", bare_repo(tmp_path, "late", [(MUTANT, before), (HELLO / "solution", after)])),
        ("broken", (tmp_path / "remote" / "nope.git").as_uri()),
    ]
    table = tmp_path / "class.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "repo", "section"])
        writer.writerows([(name, url, "A") for name, url in rows])
    return table


def test_deadline_without_late_policy_grades_the_last_commit_before_it(grader, tmp_path, late_class):
    out = tmp_path / "out"
    run = grader("run", "hello-mission", "--from", late_class, "--out", out, "--sandbox", "process",
                 "--deadline", DEADLINE.isoformat())
    assert run.returncode == 0, run
    book = gradebook(out)
    assert (book["ontime"]["score"], book["ontime"]["late_days"]) == ("100", "0")
    assert book["late"]["score"] == "80"  # the buggy on-time commit
    assert float(book["late"]["late_days"]) == pytest.approx(1.25)  # the fix came 30 h late
    assert book["late"]["penalty"] == "0"
    assert book["broken"]["status"] == "unreachable"
    assert book["ontime"]["section"] == "A"  # extra CSV columns are carried


def test_deadline_with_late_policy_grades_the_newest_commit_with_a_penalty(grader, tmp_path, late_class):
    out = tmp_path / "out"
    run = grader("run", "hello-mission", "--from", late_class, "--out", out, "--sandbox", "process",
                 "--deadline", DEADLINE.isoformat(), "--late-penalty", "10", "--late-cap", "30")
    assert run.returncode == 0, run
    book = gradebook(out)
    assert (book["late"]["score"], book["late"]["penalty"]) == ("80", "20")  # 100 - 2 started days × 10 %
    assert book["ontime"]["score"] == "100"


# --- bad input: one line, exit 2 -------------------------------------------------------------------

def _one_line(run) -> str:
    assert run.returncode == 2, run
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run
    return lines[0]


def test_unknown_source_form(grader, tmp_path):
    line = _one_line(grader("run", "hello-mission", "--from", "gitlab:org/x", "--out", tmp_path / "o", "--sandbox", "process"))
    assert "unknown source" in line


def test_deadline_that_is_not_iso(grader, tmp_path):
    line = _one_line(grader("run", "hello-mission", "--from", tmp_path, "--out", tmp_path / "o", "--deadline", "next friday"))
    assert "not an ISO 8601 date" in line


def test_deadline_without_time_zone(grader, tmp_path):
    line = _one_line(grader("run", "hello-mission", "--from", tmp_path, "--out", tmp_path / "o", "--deadline", "2026-12-01T23:59"))
    assert "give a time zone" in line


def test_out_that_is_not_writable(grader, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _one_line(grader("run", "hello-mission", "--from", tmp_path, "--out", blocker / "sub", "--sandbox", "process"))
    assert "not a writable folder" in line


# --- github:ORG/PREFIX through the CLI, with a roster and the Canvas gradebook -----------------------

def test_github_source_with_roster_and_canvas_gradebook(grader, tmp_path):
    from test_sources import TOKEN, FakeGitHub, Origin

    api = FakeGitHub()
    try:
        for student, app in (("alice", HELLO / "solution"), ("bob", MUTANT)):
            repo = Origin(tmp_path, f"hello-mission-{student}")
            repo.commit({"app.py": (app / "app.py").read_text()}, DEADLINE - timedelta(days=1))
            api.add("cs101", f"hello-mission-{student}", repo.url)
        roster = tmp_path / "classroom_roster.csv"
        roster.write_text('"identifier","github_username","github_id","name"\n'
                          '"alice@school.edu","alice","1001","Alice Liddell"\n'
                          '"bob@school.edu","bob","1002","Bob Dylan"\n'
                          '"carol@school.edu","carol","1003","Carol Danvers"\n')
        out = tmp_path / "out"
        env = {"GITHUB_API_URL": api.url, "GITHUB_TOKEN": TOKEN}
        run = grader("run", "hello-mission", "--from", "github:cs101/hello-mission", "--out", out,
                     "--roster", roster, "--sandbox", "process", "--gradebook-format", "canvas", env=env)
        assert run.returncode == 0, run
        book = gradebook(out)
        assert (book["alice"]["score"], book["bob"]["score"]) == ("100", "80")
        assert (book["carol"]["status"], book["carol"]["name"]) == ("missing", "Carol Danvers")
        canvas = (out / "gradebook-canvas.csv").read_text()
        assert "Alice Liddell" in canvas and "alice@school.edu" in canvas
        assert TOKEN not in "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
        denied = grader("run", "hello-mission", "--from", "github:cs101/hello-mission", "--out", tmp_path / "o2",
                        "--sandbox", "process", env={"GITHUB_API_URL": api.url, "GITHUB_TOKEN": "wrong"})
        line = _one_line(denied)
        assert "401" in line and "wrong" not in line
    finally:
        api.close()


def test_ctrl_c_stops_the_run_cleanly_and_keeps_finished_results(tmp_path):
    klass = make_class(tmp_path / "class", {f"s{i:02d}": HELLO / "solution" for i in range(10)})
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader.cli", "run", "hello-mission", "--from", str(klass), "--out", str(out),
               "--sandbox", "process", "-j", "2"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not saved_rows(out):
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "run the same command again" in stderr and "Traceback" not in stderr
    saved = rows_in_db(out)
    assert 1 <= len(saved) < 10 and all(status == "graded" for _, status in saved)
    assert not (out / "gradebook.csv").exists()  # no gradebook from a partial run


def test_grading_starts_while_other_repositories_are_still_being_fetched(tmp_path):
    """ada's repository is fetched and graded while zed's server has not said a word yet."""
    from test_sources import Origin

    ada = Origin(tmp_path, "ada")
    ada.commit({"app.py": (HELLO / "solution" / "app.py").read_text()}, datetime(2026, 12, 1, tzinfo=timezone.utc))
    ada.work.close()
    silent = socket.socket()  # accepts connections, never answers: zed's fetch hangs until it closes
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    roster = tmp_path / "class.csv"
    roster.write_text(f"student,repo\nada,{ada.url}\nzed,https://127.0.0.1:{silent.getsockname()[1]}/zed.git\n")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader.cli", "run", "hello-mission", "--from", str(roster), "--out", str(out),
               "--sandbox", "process", "-j", "2"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    release = threading.Timer(90, silent.close)  # so a grader that waits for every fetch fails instead of hanging
    release.start()
    lines = []
    try:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("ada:"):
                silent.close()  # now zed's fetch fails: connection reset
    finally:
        release.cancel()
        silent.close()
    process.wait(timeout=60)
    stderr = process.stderr.read()
    assert process.returncode == 0, stderr
    assert lines[0] == "grading 2 submissions, fetching 2 repositories meanwhile"
    graded = [i for i, line in enumerate(lines) if line.startswith("ada: graded, 100 / 100")]
    unreachable = [i for i, line in enumerate(lines) if line.startswith("zed: unreachable")]
    assert graded and unreachable and graded[0] < unreachable[0], lines
    assert any(line.startswith("fetched 2 repositories in ") for line in lines), lines
    book = gradebook(out)
    assert list(book) == ["ada", "zed"]  # the gradebook keeps the students' order, not the arrival's
    assert (book["ada"]["score"], book["zed"]["status"]) == ("100", "unreachable")
