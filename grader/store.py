"""Grading history in SQLite (WAL): every result kept, reused for the same fingerprint and commit.

Each `grader run` is also recorded (`runs`, `run_results`): what it graded against and which
stored result is each row of its gradebook, so `grader merge` can rebuild a gradebook from
the stores of several shards.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from grader.errors import GraderError
from grader.result import StudentResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    id          INTEGER PRIMARY KEY,
    exercise    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    student     TEXT NOT NULL,
    source_key  TEXT,              -- commit SHA, or a hash of the files for folders without Git
    status      TEXT NOT NULL,
    score       REAL,              -- NULL: ungradable (no score)
    max_score   INTEGER NOT NULL,
    graded_at   TEXT NOT NULL,
    entry       TEXT NOT NULL,     -- the StudentResult as JSON
    app_output  TEXT NOT NULL DEFAULT '',
    uid         TEXT               -- the same result in every store it is copied to (grader merge)
);
CREATE INDEX IF NOT EXISTS results_reuse ON results (exercise, fingerprint, student, source_key);
CREATE INDEX IF NOT EXISTS results_student ON results (student, graded_at);
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    exercise    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,              -- NULL: interrupted (or still running)
    record      TEXT NOT NULL      -- the RunRecord as JSON
);
CREATE TABLE IF NOT EXISTS run_results (
    run         INTEGER NOT NULL REFERENCES runs (id),
    position    INTEGER NOT NULL,  -- the row's place in the run's gradebook
    result      INTEGER NOT NULL REFERENCES results (id),
    PRIMARY KEY (run, position)
);
"""
REUSABLE = ("graded", "error")  # outcomes that depend only on the commit and the exercise; never "ungradable"
COLUMNS = "uid, exercise, fingerprint, student, source_key, status, score, max_score, graded_at, entry, app_output"


@dataclass
class RunRecord:
    """What one run (or merge) graded against: enough to write its gradebook without the exercise."""

    exercise: str
    fingerprint: str  # results are reused under it (on docker it includes the image)
    exercise_fingerprint: str  # rubric + tests: shards must agree on it to be merged
    sandbox: str
    title: str
    criteria: list[str]
    shard: str | None = None  # "K/N"; None for a whole class
    merged_from: list[str] = field(default_factory=list)  # a merge: the shards' labels
    id: int | None = None
    started_at: str = ""
    finished_at: str | None = None

    def label(self) -> str:
        return f"shard {self.shard}" if self.shard else "the whole class"


class StoreFull(Exception):
    """A result could not be written (the disk is full, the file is read-only); what is saved stays."""


class Store:
    """One SQLite file; safe to use from several threads; each save is its own transaction.

    >>> store = Store(Path("results/grader.db")); store.save(...); store.history("ada")
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a commit survives a killed process
            self._db.executescript(SCHEMA)
            _upgrade(self._db)
        except (OSError, sqlite3.Error) as exc:
            raise GraderError(f"{path}: cannot open the results database ({exc})") from None

    def save(self, exercise: str, fingerprint: str, source_key: str | None, entry: StudentResult) -> int:
        """Keep one result; returns its row id (for `finish_run`)."""
        output = entry.result.app_output if entry.result else ""
        with self._lock, _writing(self.path):
            cursor = self._db.execute(
                f"INSERT INTO results ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (uuid.uuid4().hex, exercise, fingerprint, entry.student, source_key, entry.status, entry.score,
                 entry.max_score, _now(), entry.model_dump_json(), output),
            )
            return cursor.lastrowid

    def reusable(self, exercise: str, fingerprint: str, student: str,
                 source_key: str | None) -> tuple[int, StudentResult] | None:
        """The latest graded result (row id, entry) for exactly this exercise version and commit, if any."""
        if source_key is None:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT id, entry, app_output FROM results WHERE exercise = ? AND fingerprint = ? AND student = ?"
                " AND source_key = ? AND status IN (?, ?) ORDER BY id DESC LIMIT 1",
                (exercise, fingerprint, student, source_key, *REUSABLE),
            ).fetchone()
        return (row[0], _entry(row[1:])) if row else None

    # --- runs ---------------------------------------------------------------------------------

    def begin_run(self, record: RunRecord) -> int:
        record.started_at = _now()
        try:
            with self._lock, _writing(self.path):
                cursor = self._db.execute("INSERT INTO runs (exercise, started_at, record) VALUES (?, ?, ?)",
                                          (record.exercise, record.started_at, _record_json(record)))
        except StoreFull as exc:
            raise GraderError(f"{exc}; free some space (or choose another --out) and run again", 1) from None
        record.id = cursor.lastrowid
        return record.id

    def finish_run(self, record: RunRecord, results: list[int]) -> None:
        """The run's gradebook is these stored results, in this order; the run is complete."""
        record.finished_at = _now()
        with self._lock, _writing(self.path):
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT INTO run_results (run, position, result) VALUES (?, ?, ?)",
                                     [(record.id, i, result) for i, result in enumerate(results)])
                self._db.execute("UPDATE runs SET finished_at = ?, record = ? WHERE id = ?",
                                 (record.finished_at, _record_json(record), record.id))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def last_run(self) -> RunRecord | None:
        """The latest run begun here, finished or not."""
        with self._lock:
            row = self._db.execute("SELECT id, record, started_at, finished_at FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        record = RunRecord(**json.loads(row[1]))
        record.id, record.started_at, record.finished_at = row[0], row[2], row[3]
        return record

    def run_entries(self, run: int) -> list[tuple[str, StudentResult]]:
        """(uid, entry) of each row of a finished run's gradebook, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT r.uid, r.entry, r.app_output FROM run_results rr JOIN results r ON r.id = rr.result"
                " WHERE rr.run = ? ORDER BY rr.position", (run,)).fetchall()
        return [(uid, _entry((entry, output))) for uid, entry, output in rows]

    def import_results(self, other: Path) -> None:
        """Copy every result of the store at `other` that is not here yet (its history included)."""
        with self._lock:
            self._db.execute("ATTACH DATABASE ? AS part", (str(other),))
            try:
                self._db.execute(f"INSERT INTO results ({COLUMNS}) SELECT {COLUMNS} FROM part.results"
                                 " WHERE uid NOT IN (SELECT uid FROM main.results) ORDER BY id")
            finally:
                self._db.execute("DETACH DATABASE part")

    def ids(self, uids: list[str]) -> list[int]:
        """The row ids here of results known by their uid (all of them must be here)."""
        with self._lock:
            found = dict(self._db.execute(
                "SELECT uid, id FROM results WHERE uid IN (SELECT value FROM json_each(?))", (json.dumps(uids),)))
        return [found[uid] for uid in uids]

    def history(self, student: str, exercise: str | None = None) -> list[tuple[str, str, StudentResult]]:
        """(graded_at, exercise, entry) for one student, oldest first."""
        query = "SELECT graded_at, exercise, entry, app_output FROM results WHERE student = ?"
        params: list = [student]
        if exercise:
            query += " AND exercise = ?"
            params.append(exercise)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [(graded_at, name, _entry((entry, output))) for graded_at, name, entry, output in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def finished_run(folder: Path, of: str) -> tuple[RunRecord, list[tuple[str, StudentResult]]]:
    """The last run recorded in `folder`/grader.db and its rows (uid, entry); it must have finished.

    Anything else is one GraderError line; `of` names the command whose --out folder is wanted.
    """
    database = folder / "grader.db"
    if not database.is_file():
        raise GraderError(f"{folder}: no grader.db here; give the --out folder of {of}")
    store = Store(database)
    try:
        record = store.last_run()
        if record is None:
            raise GraderError(f"{folder}: grader.db records no run (it was written by an older grader); "
                              "run `grader run` for it again")
        if record.finished_at is None:
            raise GraderError(f"{folder}: its last run did not finish (interrupted?); run the same "
                              "`grader run` again first")
        return record, store.run_entries(record.id)
    except (sqlite3.Error, TypeError, ValueError) as exc:  # ValueError covers pydantic's ValidationError
        raise GraderError(f"{database}: not a results database this grader can read "
                          f"({type(exc).__name__}: {str(exc)[:120]})") from None
    finally:
        store.close()


@contextlib.contextmanager
def _writing(path: Path):
    """SQLite's 'database or disk is full' (and any other failed write) as StoreFull, naming the file."""
    try:
        yield
    except (sqlite3.OperationalError, sqlite3.DatabaseError, OSError) as exc:
        raise StoreFull(f"{path}: cannot save ({exc})") from None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _record_json(record: RunRecord) -> str:
    document = asdict(record)
    for key in ("id", "started_at", "finished_at"):  # columns of their own
        document.pop(key)
    return json.dumps(document)


def _upgrade(db: sqlite3.Connection) -> None:
    """Stores of older graders: every row gets a uid; `score` may be NULL (ungradable)."""
    columns = {row[1]: row for row in db.execute("PRAGMA table_info(results)")}
    if "uid" not in columns:
        db.execute("ALTER TABLE results ADD COLUMN uid TEXT")
    if columns["score"][3]:  # NOT NULL: SQLite cannot drop a constraint, so copy into a new table
        create = SCHEMA.split("CREATE TABLE IF NOT EXISTS results", 1)[1].split(";", 1)[0]
        db.executescript(
            f"BEGIN; CREATE TABLE results_upgraded {create};"
            f" INSERT INTO results_upgraded (id, {COLUMNS}) SELECT id, {COLUMNS} FROM results;"
            " DROP TABLE results; ALTER TABLE results_upgraded RENAME TO results;"
            " CREATE INDEX results_reuse ON results (exercise, fingerprint, student, source_key);"
            " CREATE INDEX results_student ON results (student, graded_at); COMMIT;"
        )
    db.execute("UPDATE results SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL")
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS results_uid ON results (uid)")


def _entry(row: tuple[str, str]) -> StudentResult:
    entry = StudentResult.model_validate_json(row[0])
    if entry.result is not None:
        entry.result.app_output = row[1]
    return entry
