"""Time grading hello-mission's solution in each sandbox: median of several runs.

    .venv/bin/python benchmarks/sandboxes.py [--runs 7] [--sandbox inprocess process docker]

Measures the whole `grade()` call as `grader check` makes it (copying the submission, starting
pytest, starting the app, 21 tests, scoring), after one warm-up run per sandbox.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from grader.exercise import find_exercise
from grader.grade import grade
from grader.sandbox.image import build_image, docker_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sandbox", nargs="+", default=["inprocess", "process", "docker"])
    args = parser.parse_args()
    exercise = find_exercise("hello-mission")
    if "docker" in args.sandbox:
        if docker_client() is None:
            args.sandbox.remove("docker")
            print("docker: skipped, no Docker engine answers")
        else:
            build_image(exercise)
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"{'sandbox':<10} {'median s':>9} {'min s':>7} {'max s':>7}  vs inprocess")
    medians: dict[str, float] = {}
    for sandbox in args.sandbox:
        grade(exercise, exercise.solution_dir, sandbox)  # warm-up: page cache, image layers
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = grade(exercise, exercise.solution_dir, sandbox)
            times.append(time.perf_counter() - started)
            assert result.score == result.max_score, f"{sandbox}: solution scored {result.score}"
        medians[sandbox] = statistics.median(times)
        ratio = f"{medians[sandbox] / medians['inprocess']:.2f}×" if "inprocess" in medians else ""
        print(f"{sandbox:<10} {medians[sandbox]:>9.2f} {min(times):>7.2f} {max(times):>7.2f}  {ratio}")


if __name__ == "__main__":
    main()
