"""The adversarial corpus: each hostile submission in tests/adversarial/ gets its honest score.

Every folder of tests/adversarial/ is one attack on the grader. Its `expected.yaml` says which
exercise it is graded against, the exact score an honest grader gives it, and the sandboxes it
applies to; each (attack, sandbox) pair is graded once through the real CLI, as a user runs it.
Beyond the score, every run must finish in bounded time, leave the submission folder as it
was, and (docker) leave no container behind. Checks specific to one attack run on the same
run (RESULT_CHECKS on its JSON result, HOST_CHECKS on this machine afterwards); two attacks
also get a text-format run of their own.

Docker cases are marked `docker`: skipped when no Docker Engine answers, unless
GRADER_REQUIRE_DOCKER=1 makes that a failure.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from conftest import HELLO, REPO, exercise_image, run_grader
from grader.rubric import Limits

ADVERSARIAL = REPO / "tests" / "adversarial"
ATTACKS = sorted(p.name for p in ADVERSARIAL.iterdir() if p.is_dir() and (p / "expected.yaml").is_file())
RUN_LABEL = "org.flask-grader.run"
FORK_BOMB_CHILD = "fgforkbomb"  # the comm name tests/adversarial/fork-bomb gives its children


def expected(attack: str) -> dict:
    return yaml.safe_load((ADVERSARIAL / attack / "expected.yaml").read_text())


def _param(attack: str, sandbox: str):
    marks = [pytest.mark.docker] if sandbox == "docker" else []
    if sandbox == "process" and expected(attack).get("jail") and os.geteuid() != 0:
        marks.append(pytest.mark.skip(reason="what this attack needs of the process sandbox, it has only as root (the jail)"))
    return pytest.param(attack, sandbox, marks=marks, id=f"{attack}-{sandbox}")


CASES = [_param(attack, sandbox) for attack in ATTACKS for sandbox in expected(attack)["sandboxes"]]


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def docker_image(tmp_path_factory: pytest.TempPathFactory) -> str:
    """hello-mission's image, built once; skip or fail without Docker."""
    return exercise_image(str(HELLO), tmp_path_factory)


class Graded:
    """One finished grading of an attack: the CLI run, its JSON result, how long it took."""

    def __init__(self, attack: str, sandbox: str, submission: Path, limits: Limits, run, elapsed: float, fmt: str) -> None:
        self.attack, self.sandbox, self.submission, self.limits = attack, sandbox, submission, limits
        self.run, self.elapsed = run, elapsed
        # json.loads rejects anything before or after the document: stdout must be exactly one.
        self.result = json.loads(run.stdout) if fmt == "json" and run.returncode == 0 else None

    def messages(self, criterion: str) -> list[str]:
        """The messages of the tests of `criterion` that did not pass."""
        found = next(c for c in self.result["criteria"] if c["id"] == criterion)
        return [t["message"] or "" for t in found["tests"] if t["outcome"] != "passed"]

    def summary(self) -> str:
        """What went wrong, for an assertion message: per criterion, status and failure messages."""
        if self.result is None:
            return repr(self.run)
        lines = [f"{self.attack} in {self.sandbox}: {self.result['status']} {self.result['score']} "
                 f"in {self.elapsed:.1f} s; errors: {self.result['errors']}"]
        for c in self.result["criteria"]:
            failed = [f"{t['id']}: {t['message']}" for t in c["tests"] if t["outcome"] != "passed"]
            lines.append(f"  {c['id']}: {c['status']} {failed[:3]}")
        return "\n".join(lines)


# Attacks whose traces on the host are looked for after the grading: graded with TMPDIR in a folder
# of their own, so that the boxes of tests running beside them on other workers are not taken for theirs.
OWN_SCRATCH = {"disk-bomb"}


def grade_attack(attack: str, sandbox: str, tmp_path: Path, request: pytest.FixtureRequest, fmt: str = "json") -> Graded:
    """Grade one attack through the CLI: in place, or in a prepared copy; its limits via a course copy."""
    if sandbox == "docker":
        request.getfixturevalue("docker_image")
    spec = expected(attack)
    submission = ADVERSARIAL / attack
    if attack in SETUP:  # machine-specific or too big to commit: made at test time, in a copy
        submission = tmp_path / "submission"
        shutil.copytree(ADVERSARIAL / attack, submission)
        SETUP[attack](submission)
    env = {}
    scratch = None
    if attack in OWN_SCRATCH:  # its traces are looked for in its own temporary folder, not beside other tests'
        scratch = Path(tempfile.mkdtemp(prefix="adv-"))
        request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
        env["TMPDIR"] = str(scratch)
    rubric = yaml.safe_load((REPO / "rubrics" / f"{spec['exercise']}.yaml").read_text())
    limits = Limits(**{**(rubric.get("limits") or {}), **(spec.get("limits") or {})})
    if spec.get("limits"):
        assert spec["exercise"] == "hello-mission", "the `course` fixture copies hello-mission only"
        course = request.getfixturevalue("course")
        path = course / "rubrics" / "hello-mission.yaml"
        data = yaml.safe_load(path.read_text())
        data["limits"].update(spec["limits"])
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        env["GRADER_COURSE"] = str(course)
    started = time.monotonic()
    run = run_grader("check", spec["exercise"], submission, "--sandbox", sandbox, "--format", fmt,
                     env=env, timeout=time_bound(limits) + 60)
    graded = Graded(attack, sandbox, submission, limits, run, time.monotonic() - started, fmt)
    graded.scratch = scratch
    return graded


def time_bound(limits: Limits) -> float:
    """Seconds a whole grading may take: start-up twice, a few request timeouts, and slack for a
    busy two-core machine. A hang would run into the grader's backstop (start + 60 × request)."""
    return 30 + 2 * limits.start_timeout + 4 * limits.request_timeout


def folder_state(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its content (symlinks: their target). The folders are small."""
    state = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            state[key] = b"-> " + os.fsencode(os.readlink(path))
        elif path.is_file():
            state[key] = path.read_bytes()
    return state


def assert_folder_unchanged(folder: Path, before: dict[str, bytes]) -> None:
    """`folder` as `before`; if not, put it back (the repository stays clean) and fail."""
    after = folder_state(folder)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    for key in changed:
        path = folder / key
        if key not in before:
            path.unlink()
        elif not before[key].startswith(b"-> "):
            path.write_bytes(before[key])
    assert not changed, f"the submission folder {folder} changed during grading (restored): {changed}"


def labelled_containers() -> set[str]:
    from grader.sandbox.image import docker_client

    client = docker_client()
    assert client is not None, "the Docker Engine stopped answering"
    # `docker ps -a --filter label=... -q`: the low-level list, which inspects nothing (a container
    # removed between listing and inspecting would make containers.list() raise NotFound).
    return {c["Id"] for c in client.api.containers(all=True, quiet=True, filters={"label": RUN_LABEL})}


def assert_no_container_left() -> None:
    """No grading container outlives its run.

    Other runs may be in flight at this moment (other xdist workers, other people's test runs),
    so `docker ps -a --filter label=org.flask-grader.run -q` need not be empty right now. A
    container the run left behind stays forever, though, while those of runs in flight go when
    their run ends: wait (at most 90 s) until none of the containers present now is left.
    """
    left = labelled_containers()
    deadline = time.monotonic() + 90
    while left and time.monotonic() < deadline:
        time.sleep(1)
        left &= labelled_containers()
    assert not left, f"containers labelled {RUN_LABEL} left behind: {sorted(c[:12] for c in left)}"


# --- the corpus: every attack, every sandbox it names -----------------------------------------------

@pytest.mark.parametrize(("attack", "sandbox"), CASES)
def test_attack_gets_its_honest_score(attack: str, sandbox: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    spec = expected(attack)
    before = folder_state(ADVERSARIAL / attack)
    graded = grade_attack(attack, sandbox, tmp_path, request)
    try:
        assert graded.run.returncode == 0, graded.run
        result = graded.result
        assert result["sandbox"] == sandbox
        assert result["status"] == ("error" if spec.get("error") else "graded"), graded.summary()
        assert result["score"] == spec["score"], graded.summary()
        if "fails" in spec:
            failing = sorted(c["id"] for c in result["criteria"] if c["status"] != "pass")
            assert failing == sorted(spec["fails"]), graded.summary()
        if not spec.get("error"):
            assert not [e for e in result["errors"] if e.startswith("the test run ended early")], graded.summary()
        bound = time_bound(graded.limits)
        assert graded.elapsed <= bound, f"took {graded.elapsed:.1f} s, more than {bound:g} s\n{graded.summary()}"
        if attack in RESULT_CHECKS:
            RESULT_CHECKS[attack](graded)
    finally:  # traces on the machine: every check runs (and cleans up), whatever the result was
        traces = [lambda: assert_folder_unchanged(ADVERSARIAL / attack, before)]
        if attack in HOST_CHECKS:
            traces.append(lambda: HOST_CHECKS[attack](graded))
        if sandbox == "docker":
            traces.append(assert_no_container_left)
        problems = []
        for check in traces:
            try:
                check()
            except AssertionError as exc:
                problems.append(str(exc).split("\nassert ")[0])
        assert not problems, "traces left by the attack:\n" + "\n".join(problems)


# --- set-up made at test time --------------------------------------------------------------------

def _add_big_file(folder: Path) -> None:
    chunk = b"x" * (1 << 20)
    with (folder / "big.bin").open("wb") as handle:
        for _ in range(50):
            handle.write(chunk)


SYMLINKS = ("passwd", "test_status.py", "tests", "exercise-tests")


def _add_symlinks(folder: Path) -> None:
    tests = HELLO / "tests"
    (folder / "passwd").symlink_to("/etc/passwd")
    (folder / "test_status.py").symlink_to(tests / "test_status.py")
    (folder / "tests").symlink_to(tests, target_is_directory=True)
    (folder / "exercise-tests").symlink_to(os.path.relpath(tests, folder), target_is_directory=True)
    (folder / "where.txt").write_text(f"{tests}\n")  # as if the student knew the course's layout


SETUP = {"big-file": _add_big_file, "symlinks": _add_symlinks}


# --- checks specific to one attack, on the same run ------------------------------------------------

# What tests/adversarial/forged-output prints (its path, in the result, contains "forged" itself).
FORGED = ("pwned", "set-output", "add-mask", "forged warning", "forged notice", "forged link", "forged title",
          "(forged)", "after a carriage return", "ALL TESTS PASSED", "PASSED", "example.invalid", "21 passed",
          "\x1b", "::error", "::warning", "::notice")


def _check_forged_output(graded: Graded) -> None:
    stdout, stderr = graded.run.stdout, graded.run.stderr
    assert stdout.count('"schema"') == 1, "stdout holds more than the one JSON document"
    leaked = [s for s in FORGED if s in stdout]
    assert not leaked, f"forged strings in the JSON stdout: {leaked!r}"
    assert not _workflow_commands(stderr) and "\x1b" not in stderr, f"forged output on stderr: {stderr[-2000:]!r}"


def _workflow_commands(text: str) -> list[str]:
    """Lines a GitHub Actions runner would run as a workflow command."""
    return [line for line in re.split(r"\r\n|\r|\n", text) if line.lstrip().startswith("::")]


def _escaped_files() -> list[Path]:
    """Files writes-outside would have left on this machine had it escaped its sandbox."""
    places = [Path("/work/escaped"), Path.home() / "escaped", ADVERSARIAL / "escaped", REPO / "escaped",
              HELLO / "tests" / "escaped", *Path("/tmp").glob("flask-grader-escape-*")]
    places += [Path(u.pw_dir) / "escaped" for u in pwd.getpwall() if u.pw_uid == 0 or u.pw_uid >= 1000]
    return sorted({p for p in places if p.exists() or p.is_symlink()})


def _check_no_escaped_files() -> None:
    found = _escaped_files()
    for path in found:  # leave the machine clean for the next run; the failure below says it all
        if path.is_file() and "writes-outside" in path.read_text(errors="replace"):
            path.unlink()
    assert not found, f"writes-outside wrote these files on the host: {[str(p) for p in found]}"


def _check_endless_import(graded: Graded) -> None:
    start = graded.limits.start_timeout
    assert f"did not start within {start:g} s" in graded.result["errors"][0], graded.summary()
    # Started once for the whole run, not once per test: about twice the start limit, plus overhead.
    assert graded.elapsed <= 2 * start + 15, f"took {graded.elapsed:.1f} s\n{graded.summary()}"


def _check_endless_route(graded: Graded) -> None:
    request = graded.limits.request_timeout
    messages = graded.messages("status")
    assert messages and all(m == f"GET /status did not answer within {request:g} s" for m in messages), messages


def _check_os_exit(graded: Graded) -> None:
    messages = graded.messages("status")
    assert messages and all("GET /status crashed the app" in m for m in messages), messages


def _check_memory_hog(graded: Graded) -> None:
    # Stopped by a limit: MemoryError → 500 (RLIMIT_AS), or the agent killed (cgroup OOM);
    # not a timeout, which would mean the machine was paging instead.
    messages = graded.messages("status")
    assert messages and all(("status 500" in m or "out of memory" in m) for m in messages), messages


def _check_fork_bomb(graded: Graded) -> None:
    messages = graded.messages("status")
    counts = [int(n) for m in messages for n in re.findall(r"bounded: (\d+) processes started", m)]
    # The pids limit counts the agent too: fewer children than the rubric's `processes`.
    assert counts and all(n < graded.limits.processes for n in counts), messages


def _check_no_fork_bomb_child() -> None:
    survivors = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == FORK_BOMB_CHILD:
                survivors.append(comm.parent.name)
        except OSError:
            continue
    assert not survivors, f"fork-bomb children still alive on the host: pids {survivors}"


def _check_huge_output(graded: Graded) -> None:
    assert "app_output" not in graded.result
    assert "huge-output:" not in graded.run.stdout and "xxxxxxxxxx" not in graded.run.stdout


def _left_out(graded: Graded, name: str) -> bool:
    return any(e.startswith(f"{name}:") and "left out" in e for e in graded.result["errors"])


def _check_big_file(graded: Graded) -> None:
    assert _left_out(graded, "big.bin"), graded.result["errors"]
    assert str(graded.submission) not in json.dumps(graded.result["errors"])


def _check_symlinks(graded: Graded) -> None:
    missing = [name for name in SYMLINKS if not _left_out(graded, name)]
    assert not missing, f"no 'left out' warning for {missing}: {graded.result['errors']}"
    assert str(graded.submission) not in json.dumps(graded.result["errors"])


# On the JSON result, once the score is right.
RESULT_CHECKS = {
    "forged-output": _check_forged_output,
    "endless-import": _check_endless_import,
    "endless-route": _check_endless_route,
    "os-exit-in-route": _check_os_exit,
    "memory-hog": _check_memory_hog,
    "fork-bomb": _check_fork_bomb,
    "huge-output": _check_huge_output,
    "big-file": _check_big_file,
    "symlinks": _check_symlinks,
}
def _free_space() -> dict[str, int]:
    """Free bytes where a sandbox could leave files: the temporary folder, Docker's data, /dev/shm."""
    import tempfile

    places = [tempfile.gettempdir(), "/dev/shm", "/var/lib/docker"]
    return {place: shutil.disk_usage(place).free for place in places if os.path.isdir(place)}


def _check_no_sandbox_mount(graded: Graded) -> None:
    """No quota tmpfs of this grading's sandbox box (grader-box-*) is left mounted on the host.

    Only mounts under the grading's own temporary folder count: other tests on other workers
    have their boxes mounted while they run."""
    root = f"{graded.scratch}/"
    mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    left = [line.split(" ")[4] for line in mounts
            if "grader-box-" in line and line.split(" ")[4].startswith(root)]
    assert not left, f"sandbox quota mounts left on the host: {left}"


# On this machine, after the run, whatever its result.
HOST_CHECKS = {
    "writes-outside": lambda graded: _check_no_escaped_files(),
    "disk-bomb": _check_no_sandbox_mount,
    "fork-bomb": lambda graded: _check_no_fork_bomb_child(),
}


# --- text reports: what a terminal or a CI log shows -------------------------------------------------

def _text_cases(attack: str) -> list:
    return [_param(attack, s) for s in expected(attack)["sandboxes"] if s != "inprocess"]


@pytest.mark.parametrize(("attack", "sandbox"), _text_cases("forged-output"))
def test_forged_output_is_inert_in_the_text_report(attack: str, sandbox: str, tmp_path: Path, request) -> None:
    graded = grade_attack(attack, sandbox, tmp_path, request, fmt="text")
    run = graded.run
    assert run.returncode == 0, run
    assert run.stdout.startswith("hello-mission: 0 / 100"), run.stdout[:300]
    assert not _workflow_commands(run.stdout), _workflow_commands(run.stdout)
    assert not _workflow_commands(run.stderr), _workflow_commands(run.stderr)
    assert "\x1b" not in run.stdout and "\x1b" not in run.stderr, "a terminal escape reached the report"
    if sandbox == "docker":
        assert_no_container_left()


@pytest.mark.parametrize(("attack", "sandbox"), _text_cases("huge-output"))
def test_huge_output_is_capped_in_the_text_report(attack: str, sandbox: str, tmp_path: Path, request) -> None:
    graded = grade_attack(attack, sandbox, tmp_path, request, fmt="text")
    run = graded.run
    assert run.returncode == 0, run
    assert run.stdout.startswith("hello-mission: 100 / 100"), run.stdout[:300]
    shown = run.stdout.count("x" * 1010)  # the app prints 20 480 lines of 1 KiB
    assert shown <= 4, f"the report shows {shown} KiB of the app's 20 MiB of output"
    assert len(run.stdout) < 20_000, f"the text report is {len(run.stdout)} characters long"
    assert graded.elapsed <= time_bound(graded.limits)
    if sandbox == "docker":
        assert_no_container_left()


@pytest.mark.parametrize(("attack", "sandbox"), _text_cases("disk-bomb"))
def test_disk_bomb_is_stopped_by_the_quota(attack: str, sandbox: str, tmp_path: Path, request) -> None:
    """disk_mb 32: the writes stop with ENOSPC at /app 16 MiB (less the submission), /tmp and /dev/shm 8."""
    before = _free_space()
    graded = grade_attack(attack, sandbox, tmp_path, request, fmt="text")
    run = graded.run
    assert run.returncode == 0, run
    assert run.stdout.startswith("hello-mission: 100 / 100"), run.stdout[:300]
    # The host's disks as they were (the bomb would leave up to 384 MiB without its quota); the
    # margin is for other tests running beside this one.
    lost = {place: (before[place] - free) >> 20 for place, free in _free_space().items()}
    assert all(mib < 64 for mib in lost.values()), f"MiB of free space lost: {lost}"
    stopped = dict(re.findall(r"disk-bomb: (\S+) (\d+) MiB, stopped by ENOSPC", run.stdout))
    assert sorted(stopped) == [".", "/dev/shm", "/tmp"], run.stdout[-2000:]
    tmp = graded.limits.tmp_mb
    assert graded.limits.app_mb - 2 <= int(stopped["."]) < graded.limits.app_mb
    assert int(stopped["/tmp"]) == int(stopped["/dev/shm"]) == tmp
    _check_no_sandbox_mount(graded)
    if sandbox == "docker":
        assert_no_container_left()
