"""Grading history in SQLite (WAL): every result kept, reused for the same fingerprint and commit."""

from __future__ import annotations

import sqlite3
import threading
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
    score       REAL NOT NULL,
    max_score   INTEGER NOT NULL,
    graded_at   TEXT NOT NULL,
    entry       TEXT NOT NULL,     -- the StudentResult as JSON
    app_output  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS results_reuse ON results (exercise, fingerprint, student, source_key);
CREATE INDEX IF NOT EXISTS results_student ON results (student, graded_at);
"""
REUSABLE = ("graded", "error")  # outcomes that depend only on the commit and the exercise


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
        except (OSError, sqlite3.Error) as exc:
            raise GraderError(f"{path}: cannot open the results database ({exc})") from None

    def save(self, exercise: str, fingerprint: str, source_key: str | None, entry: StudentResult) -> None:
        output = entry.result.app_output if entry.result else ""
        with self._lock:
            self._db.execute(
                "INSERT INTO results (exercise, fingerprint, student, source_key, status, score, max_score,"
                " graded_at, entry, app_output) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (exercise, fingerprint, entry.student, source_key, entry.status, entry.score, entry.max_score,
                 datetime.now(timezone.utc).isoformat(timespec="seconds"), entry.model_dump_json(), output),
            )

    def reusable(self, exercise: str, fingerprint: str, student: str, source_key: str | None) -> StudentResult | None:
        """The latest graded result for exactly this exercise version and commit, if any."""
        if source_key is None:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT entry, app_output FROM results WHERE exercise = ? AND fingerprint = ? AND student = ?"
                " AND source_key = ? AND status IN (?, ?) ORDER BY id DESC LIMIT 1",
                (exercise, fingerprint, student, source_key, *REUSABLE),
            ).fetchone()
        return _entry(row) if row else None

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


def _entry(row: tuple[str, str]) -> StudentResult:
    entry = StudentResult.model_validate_json(row[0])
    if entry.result is not None:
        entry.result.app_output = row[1]
    return entry
