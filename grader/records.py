"""The records the pytest plugin writes, read back (defensively) on the trusted side."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

MAX_RECORDS_BYTES = 16 * 1024 * 1024
OUTCOMES = {"passed", "failed", "error", "skipped"}


@dataclass(frozen=True)
class CollectedTest:
    nodeid: str
    criteria: tuple[str, ...]
    hidden: bool


@dataclass(frozen=True)
class Outcome:
    outcome: str
    message: str | None
    duration: float


@dataclass
class RunRecords:
    """What one pytest run reported. A collected test without an outcome counts as failed."""

    collected: list[CollectedTest] = field(default_factory=list)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    app_error: str | None = None
    grader_fault: str | None = None  # the grading machine failed (GraderFault): no verdict on the app
    collect_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # where the app was found, what loading it warned
    app_output: str = ""
    app_output_total: int = 0


def read_records(path: Path) -> RunRecords:
    """Parse a records file; malformed lines are ignored, never trusted."""
    records = RunRecords()
    if not path.exists():
        return records
    with path.open("rb") as handle:
        data = handle.read(MAX_RECORDS_BYTES)
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            _add(records, record)
    return records


def _add(records: RunRecords, record: dict) -> None:
    kind = record.get("type")
    nodeid = record.get("nodeid")
    if kind == "collected" and isinstance(nodeid, str):
        criteria = tuple(str(c) for c in record.get("criteria") or () if isinstance(c, str))
        records.collected.append(CollectedTest(nodeid, criteria, bool(record.get("hidden"))))
    elif kind == "outcome" and isinstance(nodeid, str) and record.get("outcome") in OUTCOMES:
        message = record.get("message")
        duration = record.get("duration")
        records.outcomes[nodeid] = Outcome(
            record["outcome"],
            message if isinstance(message, str) else None,
            float(duration) if isinstance(duration, (int, float)) else 0.0,
        )
    elif kind == "app_error" and isinstance(record.get("message"), str):
        records.app_error = records.app_error or record["message"]
    elif kind == "grader_fault" and isinstance(record.get("message"), str):
        records.grader_fault = records.grader_fault or record["message"][:1000]
    elif kind == "app_output" and isinstance(record.get("text"), str):
        records.app_output = record["text"][: 64 * 1024]
        total = record.get("total")
        records.app_output_total = total if isinstance(total, int) and total >= 0 else len(records.app_output)
    elif kind == "note" and isinstance(record.get("message"), str) and len(records.notes) < 10:
        records.notes.append(record["message"][:1000])
    elif kind == "collect_error":
        records.collect_errors.append(f"{nodeid}: {record.get('message')}")
