"""One app, one student: `grader check` side by side with check50 running the same 21 checks.

    .venv/bin/python benchmarks/check_latency.py [-n 11] [--check50 PATH] [--sandbox process ...]

Copies the hello-mission solution to a scratch folder, then times, as wall clock of the whole
command, started cold each time:

  a) `grader check hello-mission APP --sandbox SANDBOX` (once per --sandbox given; default process);
  b) `check50 --dev benchmarks/check50/hello-mission --no-install-dependencies`, run from APP:
     check50 3.5.0 with a check set that mirrors the exercise's pytest tests one check per test
     (21, same requests and assertions), its checks run in parallel the way check50 runs them.

One warm-up of each, then N rounds that alternate them (a, b, a, b...) so that load on the
machine falls on both alike. Each run writes a JSON report that is read afterwards to make sure
all 21 checks ran and passed. It prints each command's median, min and max wall time, the ratio
of medians grader/check50, and for the grader the duration its report gives (sandbox start to
last test) and the tests' own summed durations. Without --check50, check50==3.5.0 and Flask are
pip-installed once into a venv under ~/.cache/flask-grader-bench/. Nothing is asserted: numbers
go in the README, with the machine they came from.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXERCISE = "hello-mission"
CHECKS = REPO / "benchmarks" / "check50" / EXERCISE
EXPECTED = 21  # tests in exercises/hello-mission/tests, one per parameter


def default_check50() -> Path:
    """check50 from a cached venv, created (with `pip install check50==3.5.0 flask`) if missing."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = cache / "flask-grader-bench" / "check50-venv"
    executable = venv / "bin" / "check50"
    if not executable.exists():
        print(f"installing check50 3.5.0 into {venv}...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "check50==3.5.0", "flask"],
                       check=True)
    return executable


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    process = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}): {process.stderr.decode(errors='replace')[-500:]}")
    return wall


def grader_report(path: Path) -> tuple[float, float]:
    """(the report's duration, the tests' summed durations); exits unless 21 tests ran and passed."""
    report = json.loads(path.read_text())
    tests = [t for c in report["criteria"] for t in c["tests"]]
    passed = sum(t["outcome"] == "passed" for t in tests)
    if len(tests) != EXPECTED or passed != EXPECTED:
        sys.exit(f"grader check: {passed} of {len(tests)} tests passed, expected {EXPECTED} of {EXPECTED}")
    return report["duration"], sum(t["duration"] or 0 for t in tests)


def check50_report(path: Path) -> None:
    """Exits unless check50 ran 21 checks and all passed."""
    results = json.loads(path.read_text())["results"]
    passed = sum(r["passed"] is True for r in results)
    if len(results) != EXPECTED or passed != EXPECTED:
        sys.exit(f"check50: {passed} of {len(results)} checks passed, expected {EXPECTED} of {EXPECTED}")


def summary(name: str, walls: list[float], extra: str = "") -> str:
    return (f"{name:<34} median {statistics.median(walls):6.3f} s   min {min(walls):6.3f}   max {max(walls):6.3f}"
            f"{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=11, help="timed runs of each command [11]")
    parser.add_argument("--check50", type=Path, help="a check50 3.5.0 executable [a cached venv's]")
    parser.add_argument("--sandbox", action="append", choices=["inprocess", "process", "docker"],
                        help="grader sandbox to time; repeat for several [process]")
    args = parser.parse_args()
    sandboxes = args.sandbox or ["process"]
    check50 = args.check50.resolve() if args.check50 else default_check50()
    version = subprocess.run([str(check50), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}, uid {os.geteuid()}; {version}")
    with tempfile.TemporaryDirectory(prefix="grader-latency-") as tmp:
        scratch = Path(tmp)
        app = scratch / "app"
        shutil.copytree(REPO / "exercises" / EXERCISE / "solution", app)
        grader_json, check50_json = scratch / "grader.json", scratch / "check50.json"  # outside APP: check50 copies APP
        commands: dict[str, tuple[list[str], Path]] = {
            f"grader check --sandbox {sandbox}": (
                [str(REPO / ".venv" / "bin" / "grader"), "check", EXERCISE, str(app), "--sandbox", sandbox,
                 "--format", "json", "-o", str(grader_json)], REPO)
            for sandbox in sandboxes
        }
        commands["check50 --dev"] = ([str(check50), "--dev", str(CHECKS), "--no-install-dependencies",
                                      "-o", "json", "--output-file", str(check50_json)], app)
        print("commands (cwd: command):")
        for command, cwd in commands.values():
            print(f"  {cwd}: {' '.join(command)}")
        walls: dict[str, list[float]] = {name: [] for name in commands}
        durations: dict[str, list[tuple[float, float]]] = {name: [] for name in commands if name != "check50 --dev"}
        for round_ in range(args.n + 1):  # round 0 is the warm-up
            for name, (command, cwd) in commands.items():
                grader_json.unlink(missing_ok=True)
                check50_json.unlink(missing_ok=True)
                wall = timed(command, cwd)
                if name in durations:
                    report = grader_report(grader_json)
                    if round_:
                        durations[name].append(report)
                else:
                    check50_report(check50_json)
                if round_:
                    walls[name].append(wall)
    print(f"\n{EXERCISE} solution, {EXPECTED} checks passed in every run; {args.n} runs each, alternating, "
          f"after one warm-up")
    reference = statistics.median(walls["check50 --dev"])
    for name, values in walls.items():
        extra = ""
        if name in durations:
            graded = statistics.median(d for d, _ in durations[name])
            own = statistics.median(t for _, t in durations[name])
            ratio = statistics.median(values) / reference
            extra = f"   report duration {graded:.3f} s, tests' own {own:.3f} s   grader/check50 {ratio:.2f}"
        print(summary(name, values, extra))


if __name__ == "__main__":
    main()
