"""A student's edit-save-see loop: from saving a file to the verdict of `grader check --watch`.

    .venv/bin/python benchmarks/watch_latency.py [-n 20] [--exercise hello-mission] [--sandbox process]

Copies the exercise's solution to a scratch folder and starts `grader check EXERCISE FOLDER
--watch` on it, its output on a pipe (plain lines: the report, then one `watch:` line per
grading). After the first verdict it saves N times, every second, alternating the first mutant's
version of a changed file and the solution's, and times each save (the moment the file is
written) to the `watch:` line that ends its grading. Prints the median, min and max, and checks
that the scores alternate as they should. Nothing is asserted: numbers go in the README, with
the machine they came from.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.exercise import find_exercise

REPO = Path(__file__).resolve().parent.parent
SCORE = re.compile(r"^watch: (\S+) / ")


def mutant_file(exercise) -> tuple[Path, Path, str]:
    """(mutant folder, a file it changes, that file's path in the submission)."""
    for mutant in sorted(p for p in exercise.mutants_dir.iterdir() if p.is_dir()):
        for path in sorted(mutant.rglob("*")):
            relative = path.relative_to(mutant)
            original = exercise.solution_dir / relative
            if path.is_file() and original.is_file() and not filecmp.cmp(path, original, shallow=False):
                return mutant, path, str(relative)
    raise SystemExit(f"{exercise.slug}: no mutant changes a file of the solution")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="saves to time")
    parser.add_argument("--exercise", default="hello-mission")
    parser.add_argument("--sandbox", default="process")
    args = parser.parse_args()
    exercise = find_exercise(args.exercise)
    mutant, changed, relative = mutant_file(exercise)
    versions = [changed.read_bytes(), (exercise.solution_dir / relative).read_bytes()]
    scratch = Path(tempfile.mkdtemp(prefix="watch-latency-"))
    folder = scratch / "student"
    shutil.copytree(exercise.solution_dir, folder)
    process = subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "check", exercise.slug, str(folder), "--watch", "--sandbox", args.sandbox],
        cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={k: v for k, v in os.environ.items() if k != "GRADER_COURSE"},
    )

    def next_status() -> str:
        for line in process.stdout:
            if line.startswith("watch:"):
                return line
        raise SystemExit(f"grader exited with {process.wait()}")

    try:
        started = time.monotonic()
        first = next_status()
        print(f"first verdict {time.monotonic() - started:.2f} s after start: {first.strip()}")
        latencies, scores = [], []
        for index in range(args.n):
            time.sleep(1.0)
            saved = time.monotonic()
            (folder / relative).write_bytes(versions[index % 2])
            line = next_status()
            latencies.append(time.monotonic() - saved)
            scores.append(SCORE.match(line).group(1) if SCORE.match(line) else line.strip())
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}, uid {os.getuid()}")
    print(f"{exercise.slug}, --sandbox {args.sandbox}: {args.n} saves of {relative}, alternating "
          f"{mutant.name} and the solution; scores seen {' '.join(scores)}")
    print(f"save -> verdict: median {statistics.median(latencies):.3f} s, min {min(latencies):.3f}, "
          f"max {max(latencies):.3f}")


if __name__ == "__main__":
    main()
