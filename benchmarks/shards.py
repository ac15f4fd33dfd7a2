"""Sharding: how even the slices of `--shard K/N` are, and what `grader merge` costs.

    .venv/bin/python benchmarks/shards.py [--students 1500] [--classes 200] [--merge-shards 10]

a) Balance. A student's shard is a hash of their name, so slice sizes vary by chance. For
   `--classes` random classes of `--students` GitHub-like usernames, and N = 2, 4, 10, 20, 50,
   it prints the largest and the smallest slice against the mean (the wall time of a sharded
   run is that of its largest slice): the median over the classes and the worst one seen.
b) Merge. It grades one submission of each kind once (the solution, the starter, each
   mutant), builds `--merge-shards` shard folders whose stores hold a finished run over
   `--students` students (those results, under each student's name, as `grader run --shard`
   would have left them), then times `grader merge` of them: reading the stores, copying
   every result, writing the gradebook, summary, three reports per student and the dashboard.

Nothing is asserted: the numbers go in the README, with the machine they came from.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.exercise import find_exercise
from grader.grade import grade
from grader.result import StudentResult
from grader.run import fingerprint
from grader.shard import Shard, shard_of
from grader.store import RunRecord, Store


def usernames(rng: random.Random, count: int) -> list[str]:
    """Distinct names shaped like GitHub's: letters, digits and inner hyphens, 3-15 characters."""
    alphabet = string.ascii_lowercase + string.digits
    names: set[str] = set()
    while len(names) < count:
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 14)))
        if rng.random() < 0.3:
            cut = rng.randint(1, len(name) - 1)
            name = f"{name[:cut]}-{name[cut:]}"
        names.add(name)
    return sorted(names)


def balance(students: int, classes: int) -> None:
    rng = random.Random(2026)
    print(f"a) balance: {classes} random classes of {students} students")
    print(f"   {'N':>3}  {'mean':>6}  {'largest/mean (median, worst)':>30}  {'smallest/mean (median, worst)':>31}")
    rosters = [usernames(rng, students) for _ in range(classes)]
    for count in (2, 4, 10, 20, 50):
        high, low = [], []
        for names in rosters:
            sizes = [0] * count
            for name in names:
                sizes[shard_of(name, count) - 1] += 1
            mean = students / count
            high.append(max(sizes) / mean)
            low.append(min(sizes) / mean)
        print(f"   {count:>3}  {students / count:>6.1f}  {statistics.median(high):>20.3f}, {max(high):.3f}"
              f"  {statistics.median(low):>21.3f}, {min(low):.3f}")


def merge_cost(students: int, shards: int, root: Path) -> None:
    exercise = find_exercise("hello-mission")
    rubric = exercise.load_rubric().rubric
    kinds = [exercise.solution_dir, exercise.starter_dir, *sorted(p for p in exercise.mutants_dir.iterdir() if p.is_dir())]
    results = [grade(exercise, kind, "inprocess") for kind in kinds]
    names = usernames(random.Random(1), students)
    version = fingerprint(exercise, "inprocess")
    for k in range(1, shards + 1):
        shard = Shard(k, shards)
        store = Store(root / f"shard-{k}" / "grader.db")
        record = RunRecord(exercise=exercise.slug, fingerprint=version, exercise_fingerprint=exercise.fingerprint(),
                           sandbox="inprocess", title=rubric.title, criteria=[c.id for c in rubric.criteria],
                           shard=str(shard))
        store.begin_run(record)
        rows = []
        for i, name in enumerate(n for n in names if shard.holds(n)):
            result = results[i % len(results)]
            entry = StudentResult(student=name, status=result.status, score=result.score, max_score=result.max_score,
                                  commit=f"{i:040x}", result=result)
            rows.append(store.save(exercise.slug, version, f"{i:040x}", entry))
        store.finish_run(record, rows)
        store.close()
    command = [sys.executable, "-m", "grader.cli", "merge", *(str(root / f"shard-{k}") for k in range(1, shards + 1)),
               "--out", str(root / "merged")]
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"grader merge failed: {run.stderr.strip()}")
    size = sum(p.stat().st_size for p in (root / "merged").rglob("*") if p.is_file())
    print(f"b) merge: {students} students from {shards} shards in {seconds:.2f} s "
          f"(the command, start-up included); OUT holds {size / 2**20:.1f} MiB")
    print(f"   {run.stdout.strip().split('; wrote')[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=1500)
    parser.add_argument("--classes", type=int, default=200)
    parser.add_argument("--merge-shards", type=int, default=10)
    options = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    balance(options.students, options.classes)
    root = Path(tempfile.mkdtemp(prefix="grader-shards-bench-"))
    try:
        merge_cost(options.students, options.merge_shards, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
