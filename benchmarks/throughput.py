"""Grade a class: the naive loop teachers write against `grader run` in each sandbox, on one machine.

    .venv/bin/python benchmarks/throughput.py [-n 200] [--exercise hello-mission] [-j CORES]
                                              [--skip naive|process|docker|rerun ...]
    .venv/bin/python benchmarks/throughput.py --growth 50 200 800     # cost growth, process sandbox
    .venv/bin/python benchmarks/throughput.py --clone [-n 200]        # cloning overlapped with grading

Builds a class of N submissions (copies of the exercise's solution, starter and mutants, in
turn) under a scratch folder, then times, one after the other:

  a) naive:   one `python -m pytest` process per submission, one after another, the app
              imported into the test process (no sandbox), as a teacher's shell loop would;
  b) process: `grader run -j CORES --sandbox process` (jailed when run as root);
  c) docker:  `grader run -j CORES --sandbox docker` (needs the exercise's image);
  d) rerun:   b) again on the same output folder, nothing changed.

It prints each wall time, the ratios b/a, c/a, d/a, each way's cost per submission beyond the
time its tests themselves took (core-seconds per submission minus the tests' own duration),
and the grader's peak memory (the trusted side's processes: the CLI, the fork server and its
children, not the sandboxes; summed PSS, sampled every 50 ms). With --growth, it grades classes
of each size given with `grader run --sandbox process` only and prints, per size, the wall
time, the time per submission and the peak memory: both should stay flat as the class grows.
With --clone, each submission is also made a Git repository with a bare remote (file:// URL)
listed in a class.csv; it times the fetch alone (collect(), no grading), `grader run --from
class/` and `grader run --from class.csv` (fresh cache: every repository cloned while the
first ones are graded), and prints the ratio csv / folders (target 1.15 at most).
Nothing is asserted: numbers go in the README, with the machine they came from.
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
import threading
import time
from pathlib import Path

from grader.exercise import find_exercise
from grader.child import EXERCISE_INI

REPO = Path(__file__).resolve().parent.parent
SANDBOX_MARKERS = (b"agent.py", b"jail.py", b"gunicorn")  # processes of the untrusted side


def build_class(exercise, count: int, folder: Path) -> list[str]:
    """`count` student folders, cycling over solution, starter and mutants; returns the kinds."""
    kinds = [exercise.solution_dir, exercise.starter_dir, *sorted(p for p in exercise.mutants_dir.iterdir() if p.is_dir())]
    names = []
    for index in range(count):
        source = kinds[index % len(kinds)]
        shutil.copytree(source, folder / f"student-{index:04d}", ignore=shutil.ignore_patterns("mutant.yaml"))
        names.append(source.name)
    return names


class MemorySampler:
    """Peak summed PSS of the trusted-side processes under one root process, sampled in a thread."""

    def __init__(self, root_pid: int) -> None:
        self.root = root_pid
        self.peak_kib = 0
        self.peak_single_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as handle:
                        parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(parent, []).append(int(entry))
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        return tree

    @staticmethod
    def _pss_kib(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if any(marker in handle.read() for marker in SANDBOX_MARKERS):
                    return 0
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = [self._pss_kib(pid) for pid in self._tree()]
            self.peak_kib = max(self.peak_kib, sum(sizes))
            self.peak_single_kib = max(self.peak_single_kib, max(sizes, default=0))
            self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def timed(command: list[str], env: dict | None = None) -> tuple[float, MemorySampler, int]:
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = MemorySampler(process.pid)
    _, stderr = process.communicate()
    sampler.stop()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command[:4])}... failed ({process.returncode}): {stderr.decode(errors='replace')[-500:]}")
    return time.perf_counter() - started, sampler, process.returncode


def naive_loop(exercise, klass: Path, scratch: Path) -> tuple[float, list[float]]:
    """One pytest per submission, in turn; returns wall time and each run's test time (from JUnit XML)."""
    import xml.etree.ElementTree as ElementTree

    tests = str(exercise.tests_dir)
    started = time.perf_counter()
    test_times = []
    for index, folder in enumerate(sorted(klass.iterdir())):
        report = scratch / f"naive-{index}.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", tests, "-c", str(EXERCISE_INI), "--rootdir", tests, "-q",
             "-p", "no:cacheprovider", "--import-mode=importlib", "--grader-submission", str(folder),
             "--grader-sandbox", "inprocess", "--grader-rubric", str(exercise.rubric_path), f"--junitxml={report}"],
            cwd=scratch, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
        test_times.append(sum(float(case.get("time", 0)) for case in ElementTree.parse(report).iter("testcase")))
    return time.perf_counter() - started, test_times


def test_seconds(out: Path) -> list[float]:
    """Per submission, the summed durations of its tests, from the run's per-student JSON reports."""
    times = []
    for path in sorted((out / "reports").glob("*.json")):
        result = json.loads(path.read_text()).get("result") or {}
        times.append(sum(t.get("duration") or 0 for c in result.get("criteria", []) for t in c.get("tests", [])))
    return times


def growth(exercise, sizes: list[int], jobs: int) -> None:
    """Classes of each size through `grader run --sandbox process`: time per submission and memory."""
    print(f"\n{'submissions':>11} {'wall s':>8} {'ms per sub':>11} {'peak MiB':>9} {'largest process MiB':>20}")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
            klass = Path(tmp) / "class"
            klass.mkdir()
            build_class(exercise, size, klass)
            command = [sys.executable, "-m", "grader.cli", "run", exercise.slug, "--from", str(klass),
                       "--out", str(Path(tmp) / "out"), "--sandbox", "process", "-j", str(jobs)]
            wall, sampler, _ = timed(command)
        print(f"{size:>11} {wall:>8.1f} {1000 * wall / size:>11.0f} {sampler.peak_kib / 1024:>9.0f} "
              f"{sampler.peak_single_kib / 1024:>20.0f}", flush=True)


def git_class(klass: Path, remotes: Path) -> Path:
    """Each student folder committed and pushed to a bare repository; a class.csv of file:// URLs."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "Student", "GIT_AUTHOR_EMAIL": "student@example.edu",
           "GIT_COMMITTER_NAME": "Student", "GIT_COMMITTER_EMAIL": "student@example.edu",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    remotes.mkdir()
    rows = ["student,repo"]
    for folder in sorted(klass.iterdir()):
        bare = remotes / f"{folder.name}.git"
        for command in (["git", "init", "-q", "-b", "main", str(folder)],
                        ["git", "-C", str(folder), "add", "-A"],
                        ["git", "-C", str(folder), "commit", "-q", "-m", "my work"],
                        ["git", "init", "-q", "--bare", "-b", "main", str(bare)],
                        ["git", "-C", str(folder), "push", "-q", bare.as_uri(), "HEAD:refs/heads/main"]):
            subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        rows.append(f"{folder.name},{bare.as_uri()}")
    table = klass.parent / "class.csv"
    table.write_text("\n".join(rows) + "\n")
    return table


def clone_overlap(exercise, count: int, jobs: int) -> None:
    """A class from folders against the same class from 200 file:// remotes through a CSV."""
    from grader.sources.collect import collect

    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        scratch = Path(tmp)
        klass = scratch / "class"
        klass.mkdir()
        build_class(exercise, count, klass)
        table = git_class(klass, scratch / "remotes")
        started = time.perf_counter()
        fetched = collect(str(table), cache=scratch / "fetch-cache", work=scratch / "fetch-work", deadline=None,
                          grade_newest=False, token=None, roster=None, jobs=jobs)
        fetch_wall = time.perf_counter() - started
        assert all(s.status == "ok" for s in fetched), [s for s in fetched if s.status != "ok"][:3]
        walls = {}
        for name, source in (("folders", klass), ("csv", table)):
            out = scratch / f"out-{name}"
            command = [sys.executable, "-m", "grader.cli", "run", exercise.slug, "--from", str(source),
                       "--out", str(out), "--sandbox", "process", "-j", str(jobs)]
            walls[name], _, _ = timed(command)
            graded = [json.loads(p.read_text()).get("status") for p in (out / "reports").glob("*.json")]
            assert len(graded) == count and set(graded) == {"graded"}, (name, len(graded), set(graded))
    print(f"\n{'':<34} {'wall s':>8}")
    print(f"{'fetch alone (collect, -j ' + str(jobs) + ')':<34} {fetch_wall:>8.1f}")
    print(f"{'grader run --from class/':<34} {walls['folders']:>8.1f}")
    print(f"{'grader run --from class.csv':<34} {walls['csv']:>8.1f}")
    print(f"csv / folders: {walls['csv'] / walls['folders']:.2f}× (fetching first would be about "
          f"{(walls['folders'] + fetch_wall) / walls['folders']:.2f}×)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="submissions in the class [200]")
    parser.add_argument("--exercise", default="hello-mission")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--skip", nargs="*", default=[], choices=["naive", "process", "docker", "rerun"])
    parser.add_argument("--growth", nargs="+", type=int, metavar="N", help="only: classes of these sizes, process")
    parser.add_argument("--clone", action="store_true", help="only: the class from file:// remotes against folders")
    args = parser.parse_args()
    exercise = find_exercise(args.exercise)
    if args.clone:
        print(f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
              f"Python {platform.python_version()}, uid {os.geteuid()}; {exercise.slug}, {args.n} submissions, "
              f"-j {args.jobs}")
        clone_overlap(exercise, args.n, args.jobs)
        return
    if args.growth:
        print(f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
              f"Python {platform.python_version()}, uid {os.geteuid()}; {exercise.slug}, -j {args.jobs}")
        growth(exercise, args.growth, args.jobs)
        return
    grader = [sys.executable, "-m", "grader.cli"]
    if "docker" not in args.skip:
        from grader.sandbox.image import build_image, docker_client

        if docker_client() is None:
            print("docker: skipped, no Docker engine answers")
            args.skip.append("docker")
        else:
            build_image(exercise)
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}, uid {os.geteuid()}")
    print(f"class: {args.n} submissions of {exercise.slug} (solution, starter and mutants in turn); -j {args.jobs}")
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        scratch = Path(tmp)
        klass = scratch / "class"
        klass.mkdir()
        build_class(exercise, args.n, klass)
        rows: dict[str, tuple[float, float | None, list[float]]] = {}  # wall, peak MiB, test seconds
        if "naive" not in args.skip:
            wall, tests = naive_loop(exercise, klass, scratch)
            rows["a) naive loop"] = (wall, None, tests)
        for sandbox in ("process", "docker"):
            if sandbox in args.skip:
                continue
            out = scratch / f"out-{sandbox}"
            command = [*grader, "run", exercise.slug, "--from", str(klass), "--out", str(out), "--sandbox", sandbox,
                       "-j", str(args.jobs)]
            wall, sampler, _ = timed(command)
            rows[f"{'b' if sandbox == 'process' else 'c'}) grader run, {sandbox}"] = (
                wall, sampler.peak_kib / 1024, test_seconds(out))
            if sandbox == "process" and "rerun" not in args.skip:
                wall, sampler, _ = timed(command)
                rows["d) re-run, nothing changed"] = (wall, sampler.peak_kib / 1024, [])
    naive = rows.get("a) naive loop", (None,))[0]
    print(f"\n{'way':<28} {'wall s':>8} {'vs a':>6} {'per sub s':>10} {'tests s':>8} {'overhead s':>11} {'peak MiB':>9}")
    for name, (wall, peak, tests) in rows.items():
        cores = 1 if name.startswith("a)") else args.jobs
        per = wall * cores / args.n  # core-seconds per submission
        mean_tests = statistics.mean(tests) if tests else 0.0
        overhead = f"{per - mean_tests:>11.3f}" if tests else f"{'':>11}"
        ratio = f"{wall / naive:>5.2f}×" if naive else f"{'':>6}"
        memory = f"{peak:>9.0f}" if peak is not None else f"{'':>9}"
        print(f"{name:<28} {wall:>8.1f} {ratio} {per:>10.3f} {mean_tests:>8.3f} {overhead} {memory}")


if __name__ == "__main__":
    main()
