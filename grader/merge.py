"""`grader merge`: the OUT folders of several shards (or sections) → one gradebook, reports and dashboard.

Each shard's grader.db says what its last run graded against and which stored result is
each of its rows (grader/store.py). The merge checks that the shards belong together, copies
every result into OUT/grader.db (history included, so `grader history` works there), records
the merged run and writes the outputs a whole-class `grader run` would have written.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.result import StudentResult
from grader.run import writable_folder
from grader.store import RunRecord, Store, finished_run

SHOWN = 3  # students named in an overlap message


@dataclass
class Part:
    """One input folder: its last run and that run's rows (uid, entry)."""

    folder: Path
    record: RunRecord
    rows: list[tuple[str, StudentResult]]


@dataclass
class MergeReport:
    entries: list[StudentResult]
    record: RunRecord
    parts: list[Part]


def read_part(folder: Path) -> Part:
    """The last run of `folder`'s grader.db, which must have finished."""
    return Part(folder, *finished_run(folder, "`grader run --shard K/N`"))


def check_parts(parts: list[Part]) -> None:
    """Refuse parts that are not slices of one grading of one exercise, or that share students."""
    first = parts[0]
    for part in parts[1:]:
        if part.record.exercise != first.record.exercise:
            raise GraderError(f"{part.folder} graded {part.record.exercise} but {first.folder} graded "
                              f"{first.record.exercise}: merge the shards of one exercise")
        if part.record.exercise_fingerprint != first.record.exercise_fingerprint:
            raise GraderError(
                f"{part.folder} and {first.folder} were graded with different tests or rubric of "
                f"{first.record.exercise} (fingerprints {part.record.exercise_fingerprint[:12]} and "
                f"{first.record.exercise_fingerprint[:12]}); grade every shard at the same commit of the course")
        if part.record.sandbox != first.record.sandbox:
            raise GraderError(f"{part.folder} was graded in the {part.record.sandbox} sandbox but {first.folder} "
                              f"in the {first.record.sandbox} one: grade every shard in the same sandbox")
    _check_shards(parts)
    seen: dict[str, Path] = {}
    overlap: list[tuple[str, Path, Path]] = []
    for part in parts:
        for _, entry in part.rows:
            key = entry.student.casefold()
            if key in seen:
                overlap.append((entry.student, seen[key], part.folder))
            else:
                seen[key] = part.folder
    if overlap:
        named = "; ".join(f"{student} is in {a} and {b}" for student, a, b in overlap[:SHOWN])
        more = f" (and {len(overlap) - SHOWN} more)" if len(overlap) > SHOWN else ""
        raise GraderError(f"the same students are in more than one folder: {named}{more}; "
                          "merge each shard once, from runs with the same N")


def _check_shards(parts: list[Part]) -> None:
    sharded = [p for p in parts if p.record.shard]
    if not sharded:
        return  # whole classes (sections graded apart): only the overlap check applies
    if len(sharded) != len(parts):
        whole = next(p for p in parts if not p.record.shard)
        raise GraderError(f"{whole.folder} graded a whole class but {sharded[0].folder} is shard "
                          f"{sharded[0].record.shard}: merge shards of one sharded run")
    counts = {p.record.shard.split("/")[1] for p in parts}
    if len(counts) > 1:
        raise GraderError(f"the folders are shards of different splits ({', '.join(p.record.shard for p in parts)}): "
                          "grade every shard with the same N")
    by_index: dict[str, list[Path]] = defaultdict(list)
    for part in parts:
        by_index[part.record.shard].append(part.folder)
    for shard, folders in by_index.items():
        if len(folders) > 1:
            raise GraderError(f"{folders[0]} and {folders[1]} are both shard {shard}: give each shard once")
    count = int(counts.pop())
    missing = [f"{k}/{count}" for k in range(1, count + 1) if f"{k}/{count}" not in by_index]
    if missing:
        raise GraderError(f"shard {', '.join(missing)} missing: give all {count} shard folders "
                          "(grade a missing one with the same `grader run --shard K/N`)")


def merge(folders: list[Path], out: Path) -> MergeReport:
    """Check and combine the parts; OUT/grader.db gets their results and the merged run."""
    if not folders:
        raise GraderError("give the OUT folders of the shards to merge, e.g. grader merge shard-1 shard-2 --out results")
    resolved = {}
    for folder in folders:
        key = os.path.realpath(folder)
        if key in resolved:
            raise GraderError(f"{folder} is given twice: give each shard folder once")
        if key == os.path.realpath(out):
            raise GraderError(f"--out {out} is also one of the folders to merge: write the merge to a folder of its own")
        resolved[key] = folder
    parts = [read_part(folder) for folder in folders]
    check_parts(parts)
    first = parts[0].record
    fingerprints = {p.record.fingerprint for p in parts}
    record = RunRecord(
        exercise=first.exercise,
        # On docker the image is part of it, and each machine builds its own: then name the tests only.
        fingerprint=fingerprints.pop() if len(fingerprints) == 1 else first.exercise_fingerprint,
        exercise_fingerprint=first.exercise_fingerprint, sandbox=first.sandbox, title=first.title,
        criteria=first.criteria, merged_from=[p.record.shard or str(p.folder) for p in parts],
    )
    rows = sorted((row for part in parts for row in part.rows), key=lambda row: row[1].student.casefold())
    store = Store(writable_folder(out) / "grader.db")
    try:
        for part in parts:
            store.import_results(part.folder / "grader.db")
        store.begin_run(record)
        store.finish_run(record, store.ids([uid for uid, _ in rows]))
    finally:
        store.close()
    return MergeReport(entries=[entry for _, entry in rows], record=record, parts=parts)
