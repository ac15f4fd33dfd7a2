"""Sharding a class (`grader run --shard K/N`) and merging the shards (`grader merge`)."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from conftest import HELLO
from grader.errors import GraderError
from grader.shard import MAX_SHARDS, Shard, shard_of
from grader.result import StudentResult
from grader.store import RunRecord, Store

SOURCES = [HELLO / "solution", HELLO / "starter", *sorted(p for p in (HELLO / "mutants").iterdir() if p.is_dir())]


def make_class(root: Path, size: int) -> Path:
    """`size` submissions named student-01…, cycling through the solution, the starter and every mutant."""
    for i in range(size):
        shutil.copytree(SOURCES[i % len(SOURCES)], root / f"student-{i + 1:02d}",
                        ignore=shutil.ignore_patterns("__pycache__", "mutant.yaml"))
    return root


def write_roster(path: Path, students: list[str]) -> Path:
    lines = ["identifier,github_username,github_id,name"]
    lines += [f"{i},{name},{1000 + i},Student {i}" for i, name in enumerate(students, 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def gradebook_students(out: Path) -> list[str]:
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as handle:
        return [row["student"] for row in csv.DictReader(handle)]


def summary_of(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("generated_at", "shard", "merged_from"):
        summary.pop(key, None)
    return summary


def result_rows(out: Path) -> int:
    with sqlite3.connect(out / "grader.db") as db:
        return db.execute("SELECT count(*) FROM results").fetchone()[0]


# --- which student goes where -----------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [("1/1", (1, 1)), ("2/4", (2, 4)), (" 4 / 4 ", (4, 4)),
                                             (f"{MAX_SHARDS}/{MAX_SHARDS}", (MAX_SHARDS, MAX_SHARDS))])
def test_shard_specs_parse(text, expected):
    shard = Shard.parse(text)
    assert (shard.index, shard.count) == expected
    assert str(shard) == f"{expected[0]}/{expected[1]}"


@pytest.mark.parametrize("text, says", [
    ("0/2", "K counts from 1 to N=2"), ("3/2", "K counts from 1 to N=2"), ("x/y", "write K/N"),
    ("2", "write K/N"), ("1/0", "N must be from 1"), ("-1/2", "write K/N"), ("1/257", "N must be from 1"),
])
def test_bad_shard_specs_are_refused_with_how_to_write_one(text, says):
    with pytest.raises(GraderError, match=says):
        Shard.parse(text)


def test_a_students_shard_depends_on_their_name_alone_ignoring_case():
    # Pinned: a new grader version that moved students between shards would make every shard's
    # stored results useless at once.
    assert [shard_of(name, 4) for name in ("octocat", "ada", "student-01")] == [1, 3, 2]
    assert shard_of("OctoCat", 4) == shard_of("octocat", 4)
    everyone = [f"user{i}" for i in range(200)]
    alone = {name: shard_of(name, 5) for name in everyone}
    with_others = {name: shard_of(name, 5) for name in everyone + [f"late{i}" for i in range(50)]}
    assert all(with_others[name] == shard for name, shard in alone.items())


def test_shards_split_a_class_into_disjoint_balanced_slices():
    students = [f"student-{i:04d}" for i in range(1500)]
    shards = [Shard(k, 10) for k in range(1, 11)]
    held = [[s for s in students if shard.holds(s)] for shard in shards]
    assert sorted(name for part in held for name in part) == sorted(students)  # each in exactly one
    sizes = [len(part) for part in held]
    assert max(sizes) <= 1.2 * 150 and min(sizes) >= 0.8 * 150, sizes


# --- the command line -------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["0/2", "3/2", "x/y"])
def test_run_refuses_a_bad_shard_spec_in_one_line_before_doing_anything(grader, tmp_path, spec):
    klass = make_class(tmp_path / "class", 2)
    out = tmp_path / "out"
    run = grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "process", "--shard", spec)
    assert run.returncode == 2, run
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"grader: error: --shard {spec!r}: "), run.stderr
    assert "Traceback" not in run.stderr and not out.exists()


def test_sixty_students_in_four_shards_merge_into_the_unsharded_gradebook(grader, tmp_path):
    klass = make_class(tmp_path / "class", 60)
    # The roster adds two students without a submission; they too land in exactly one shard.
    roster = write_roster(tmp_path / "roster.csv", [f"student-{i:02d}" for i in range(1, 63)])
    common = ("--from", klass, "--roster", roster, "--sandbox", "inprocess", "-j", "2")
    whole = tmp_path / "whole"
    run = grader("run", "hello-mission", *common, "--out", whole, timeout=600)
    assert run.returncode == 0, run

    shards = [tmp_path / f"shard-{k}" for k in range(1, 5)]
    for k, out in enumerate(shards, 1):
        run = grader("run", "hello-mission", *common, "--out", out, "--shard", f"{k}/4", timeout=600)
        assert run.returncode == 0, run
        assert f"in shard {k}/4" in run.stdout
        assert json.loads((out / "summary.json").read_text())["shard"] == f"{k}/4"
    sizes = [len(gradebook_students(out)) for out in shards]
    assert sum(sizes) == 62 and min(sizes) >= 8, sizes  # 15.5 each on average
    assert sorted(s for out in shards for s in gradebook_students(out)) == sorted(gradebook_students(whole))

    merged = tmp_path / "merged"
    run = grader("merge", *reversed(shards), "--out", merged, "--gradebook-format", "canvas")
    assert run.returncode == 0, run
    assert "62 submissions from 4 folders" in run.stdout
    # The same bytes: rows in the same order, scores, criteria, roster columns, missing students.
    assert (merged / "gradebook.csv").read_bytes() == (whole / "gradebook.csv").read_bytes()
    assert summary_of(merged) == summary_of(whole)
    assert json.loads((merged / "summary.json").read_text())["merged_from"] == ["4/4", "3/4", "2/4", "1/4"]
    assert sorted(p.name for p in (merged / "reports").iterdir()) == sorted(p.name for p in (whole / "reports").iterdir())
    statuses = Counter(json.loads(p.read_text())["status"] for p in (merged / "reports").glob("*.json"))
    assert statuses == {"graded": 60, "missing": 2}
    dashboard = (merged / "index.html").read_text(encoding="utf-8")
    assert all(f"student-{i:02d}" in dashboard for i in range(1, 63))
    assert (merged / "gradebook-canvas.csv").is_file()
    # Every shard's results are in the merged store, so its history is complete.
    assert result_rows(merged) == 62
    history = grader("history", "student-07", "--out", merged)
    assert history.returncode == 0 and "hello-mission" in history.stdout, history

    # Merging again (next week's re-merge into the same folder) copies nothing twice.
    run = grader("merge", *shards, "--out", merged)
    assert run.returncode == 0, run
    assert result_rows(merged) == 62
    assert (merged / "gradebook.csv").read_bytes() == (whole / "gradebook.csv").read_bytes()


# --- what merge refuses -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_shards(tmp_path_factory) -> dict[str, Path]:
    """A class of 6 graded as shards 1/2 and 2/2, and shard 1/2 once more elsewhere."""
    from conftest import run_grader

    root = tmp_path_factory.mktemp("shards")
    klass = make_class(root / "class", 6)
    outs = {"1": root / "one", "2": root / "two", "1-again": root / "one-again", "1/3": root / "third"}
    for name, out in outs.items():
        spec = name if "/" in name else f"{name.split('-')[0]}/2"
        run = run_grader("run", "hello-mission", "--from", klass, "--out", out, "--sandbox", "inprocess",
                         "--shard", spec, timeout=300)
        assert run.returncode == 0, run
    return outs


def refused(run) -> str:
    assert run.returncode == 2, run
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("grader: error: "), run.stderr
    return lines[0]


def test_merge_refuses_a_missing_shard_and_a_shard_given_twice(grader, two_shards, tmp_path):
    assert "shard 2/2 missing: give all 2 shard folders" in refused(
        grader("merge", two_shards["1"], "--out", tmp_path / "m"))
    assert "are both shard 1/2" in refused(
        grader("merge", two_shards["1"], two_shards["1-again"], two_shards["2"], "--out", tmp_path / "m"))
    assert "is given twice" in refused(
        grader("merge", two_shards["1"], two_shards["1"], "--out", tmp_path / "m"))
    assert "different splits" in refused(
        grader("merge", two_shards["1"], two_shards["1/3"], "--out", tmp_path / "m"))
    assert not (tmp_path / "m").exists()  # nothing written when refused


def test_merge_refuses_overlapping_students_naming_them(grader, tmp_path):
    a = make_class(tmp_path / "a", 3)
    b = tmp_path / "b"
    shutil.copytree(a / "student-02", b / "student-02")
    shutil.copytree(a / "student-03", b / "Student-03")  # GitHub names ignore case
    for klass in (a, b):
        run = grader("run", "hello-mission", "--from", klass, "--out", tmp_path / f"out-{klass.name}",
                     "--sandbox", "inprocess")
        assert run.returncode == 0, run
    line = refused(grader("merge", tmp_path / "out-a", tmp_path / "out-b", "--out", tmp_path / "m"))
    assert "the same students are in more than one folder" in line
    assert "Student-03 is in" in line and "student-02 is in" in line


def test_merge_refuses_shards_graded_with_other_tests(grader, course, two_shards, tmp_path):
    # The same exercise, but one hint changed in the rubric: another fingerprint.
    rubric = course / "rubrics" / "hello-mission.yaml"
    rubric.write_text(rubric.read_text(encoding="utf-8").replace('hint: "', 'hint: "(updated) ', 1), encoding="utf-8")
    other = tmp_path / "other-two"
    klass = make_class(tmp_path / "class", 6)
    run = grader("run", "hello-mission", "--from", klass, "--out", other, "--sandbox", "inprocess",
                 "--shard", "2/2", env={"GRADER_COURSE": str(course)})
    assert run.returncode == 0, run
    line = refused(grader("merge", two_shards["1"], other, "--out", tmp_path / "m"))
    assert "were graded with different tests or rubric of hello-mission" in line
    assert "same commit of the course" in line


def test_merge_refuses_folders_that_are_no_finished_run(grader, two_shards, tmp_path):
    assert "no grader.db here" in refused(grader("merge", tmp_path, two_shards["2"], "--out", tmp_path / "m"))
    interrupted = tmp_path / "interrupted"
    store = Store(interrupted / "grader.db")
    store.begin_run(RunRecord(exercise="hello-mission", fingerprint="f", exercise_fingerprint="f",
                              sandbox="inprocess", title="Hello", criteria=[], shard="2/2"))
    store.close()
    assert "its last run did not finish" in refused(
        grader("merge", two_shards["1"], interrupted, "--out", tmp_path / "m"))
    assert "is also one of the folders" in refused(
        grader("merge", two_shards["1"], two_shards["2"], "--out", two_shards["2"]))


def test_a_store_from_before_runs_were_recorded_is_upgraded_and_refused_for_merge(grader, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    with sqlite3.connect(old / "grader.db") as db:  # the schema of earlier versions
        db.execute("CREATE TABLE results (id INTEGER PRIMARY KEY, exercise TEXT NOT NULL, fingerprint TEXT NOT NULL,"
                   " student TEXT NOT NULL, source_key TEXT, status TEXT NOT NULL, score REAL NOT NULL,"
                   " max_score INTEGER NOT NULL, graded_at TEXT NOT NULL, entry TEXT NOT NULL,"
                   " app_output TEXT NOT NULL DEFAULT '')")
        for name in ("ada", "bob"):
            entry = StudentResult(student=name, status="missing", max_score=100)
            db.execute("INSERT INTO results (exercise, fingerprint, student, status, score, max_score, graded_at, entry)"
                       " VALUES ('hello-mission', 'f', ?, 'missing', 0, 100, '2026-11-01T00:00:00+00:00', ?)",
                       (name, entry.model_dump_json()))
    store = Store(old / "grader.db")
    # score was NOT NULL then: an ungradable result (no score) must still be kept.
    store.save("hello-mission", "f", "abc", StudentResult(student="cy", status="ungradable", score=None,
                                                          max_score=100, reason="the Docker engine stopped answering"))
    store.close()
    with sqlite3.connect(old / "grader.db") as db:
        uids = [row[0] for row in db.execute("SELECT uid FROM results")]
        rows = db.execute("SELECT student, status, score FROM results ORDER BY id").fetchall()
    assert len(uids) == 3 and all(uids) and len(set(uids)) == 3
    assert rows == [("ada", "missing", 0), ("bob", "missing", 0), ("cy", "ungradable", None)]
    history = grader("history", "ada", "--out", old)
    assert history.returncode == 0 and "missing" in history.stdout, history
    assert "records no run (it was written by an older grader)" in refused(
        grader("merge", old, tmp_path / "nothing", "--out", tmp_path / "m"))


def test_a_damaged_store_is_one_line_not_a_traceback(grader, two_shards, tmp_path):
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "grader.db").write_bytes(b"this is not SQLite" * 100)
    assert "cannot open the results database" in refused(
        grader("merge", garbage, two_shards["2"], "--out", tmp_path / "m"))
    foreign = tmp_path / "foreign"
    shutil.copytree(two_shards["2"], foreign)
    with sqlite3.connect(foreign / "grader.db") as db:  # a run record this grader did not write
        db.execute("UPDATE runs SET record = '{\"exercise\": \"x\", \"surprise\": 1}'")
    assert "not a results database this grader can read" in refused(
        grader("merge", two_shards["1"], foreign, "--out", tmp_path / "m"))
