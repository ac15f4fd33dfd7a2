"""flask-grader installed the plain way (`pip install -e .`, no dev.py): a machine that lacks an
exercise's packages must say so and name the fix, never grade a student 0 for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import REPO

LOG_DB = REPO / "exercises" / "mission-log-db"


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """A fresh virtualenv with only `pip install -e REPO` in it: Flask, but no Flask-SQLAlchemy."""
    root = tmp_path / "venv"
    venv.create(root, with_pip=True)
    python = root / "bin" / "python"
    installed = subprocess.run([python, "-m", "pip", "install", "-v", "--disable-pip-version-check", "-e", str(REPO)],
                               check=True, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    # Installing is quiet: no deprecation warning from the build backend (-v shows its output), as
    # setuptools gave three times for `project.license` as a table.
    warnings = [line for line in (installed.stdout + installed.stderr).splitlines() if "DeprecationWarning" in line]
    assert not warnings, "\n".join(warnings)
    return root


def _grader(root: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([root / "bin" / "grader", *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, env={"PATH": f"{root / 'bin'}:/usr/bin:/bin"})


def test_without_the_exercise_packages_every_command_refuses_and_the_named_fix_works(plain: Path, tmp_path: Path) -> None:
    # One test, in this order: the last step installs into the virtualenv the first steps need bare.
    run = _grader(plain, "check", "mission-log-db", LOG_DB / "solution", "--sandbox", "process")
    assert run.returncode == 2, run
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr  # one line, no traceback, and no report blaming the student
    assert "flask-sqlalchemy>=3.1 (not installed)" in lines[0]
    assert f"grader packages mission-log-db | {plain / 'bin' / 'python'} -m pip install -r /dev/stdin" in lines[0]
    assert run.stdout == ""

    run = _grader(plain, "validate", "mission-log-db", "--sandbox", "process")
    assert run.returncode == 2, run
    assert "flask-sqlalchemy>=3.1 (not installed)" in run.stderr and "Traceback" not in run.stderr
    assert "checks passed" not in run.stdout + run.stderr  # refused before grading anything

    submissions = tmp_path / "class"
    (submissions / "ada").mkdir(parents=True)
    (submissions / "ada" / "app.py").write_text((LOG_DB / "solution" / "app.py").read_text())
    out = tmp_path / "out"
    run = _grader(plain, "run", "mission-log-db", "--from", submissions, "--out", out, "--sandbox", "process")
    assert run.returncode == 2, run
    assert "flask-sqlalchemy>=3.1 (not installed)" in run.stderr
    assert not (out / "gradebook.csv").exists()

    # An exercise whose packages the plain install has grades at once...
    hello = _grader(plain, "check", "hello-mission", REPO / "exercises" / "hello-mission" / "solution",
                    "--sandbox", "process", "--format", "json")
    assert hello.returncode == 0, hello
    assert '"score": 100' in hello.stdout
    # ...and the command the error names, run as printed, is all mission-log-db needs.
    first = _grader(plain, "check", "mission-log-db", LOG_DB / "solution", "--sandbox", "process")
    fix = first.stderr.split("install them with: ", 1)[1].split(" (or grade", 1)[0]
    installed = subprocess.run(["bash", "-c", f"set -o pipefail; {fix}"], cwd=REPO, capture_output=True, text=True,
                               timeout=600, env={"PATH": f"{plain / 'bin'}:/usr/bin:/bin"})
    assert installed.returncode == 0, installed.stderr
    graded = _grader(plain, "check", "mission-log-db", LOG_DB / "solution", "--sandbox", "process", "--format", "json")
    assert graded.returncode == 0, graded
    assert '"status": "graded"' in graded.stdout and '"score": 100' in graded.stdout


def test_a_version_the_specifier_refuses_is_named_with_the_version_found() -> None:
    from grader.environment import missing_packages

    flask = subprocess.run([sys.executable, "-c", "import flask, importlib.metadata as m; print(m.version('flask'))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert missing_packages(["flask>=3.0"]) == []
    assert missing_packages(["flask<2"]) == [f"flask<2 ({flask} installed)"]
    assert missing_packages(['gunicorn-nowhere>=1; python_version < "3"']) == []  # a marker that excludes it


def test_the_package_answer_is_cached_until_a_folder_the_probe_searched_changes(tmp_path: Path, monkeypatch) -> None:
    from grader import environment

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    probes = []
    real_run = environment.subprocess.run
    monkeypatch.setattr(environment.subprocess, "run", lambda *a, **k: probes.append(a) or real_run(*a, **k))
    flask = environment.installed_versions(("flask",))["flask"]
    assert flask and len(probes) == 1
    assert environment.installed_versions(("flask",)) == {"flask": flask}
    assert len(probes) == 1  # answered from the cache, no interpreter started
    cached = json.loads((tmp_path / "cache" / "flask-grader" / "packages.json").read_text())
    searched = cached[sys.executable]["stamp"]
    site = next(p for p in searched if p.endswith("site-packages"))
    assert cached[sys.executable]["versions"] == {"flask": flask}

    # A name not asked before is asked (with the others), then cached too.
    assert environment.installed_versions(("flask", "no-such-package-here")) == {"flask": flask, "no-such-package-here": None}
    assert len(probes) == 2
    assert environment.installed_versions(("no-such-package-here",)) == {"no-such-package-here": None}
    assert len(probes) == 2

    # pip changes site-packages when it installs or removes anything: the next call asks again.
    stat = os.stat(site)
    os.utime(site, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    try:
        assert environment.installed_versions(("flask",)) == {"flask": flask}
        assert len(probes) == 3
    finally:
        os.utime(site, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_damaged_or_unwritable_cache_only_costs_the_question(tmp_path: Path, monkeypatch) -> None:
    from grader import environment

    cache = tmp_path / "cache" / "flask-grader" / "packages.json"
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert environment.installed_versions(("flask",))["flask"]
    assert sys.executable in json.loads(cache.read_text())  # rewritten whole

    cache.write_text(json.dumps({sys.executable: {"stamp": "garbage", "versions": {"flask": "0.1"}}}))
    assert environment.installed_versions(("flask",))["flask"] != "0.1"  # a malformed entry is not believed

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    (tmp_path / "file").write_text("a file where the folder would go")
    assert environment.installed_versions(("flask",))["flask"]
