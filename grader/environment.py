"""Can this machine grade an exercise? Checked before any test runs, so that its fault is never a student's 0.

The process and inprocess sandboxes run the app with the grader's own Python: every package of
the rubric must be importable there, at a version its specifier allows. The docker sandbox runs
it in the exercise's image, which must be built from the current rubric and agent.

    >>> check_environment([find_exercise("mission-log-db")], "process")
    GraderError: exercise mission-log-db needs packages this Python lacks: flask-sqlalchemy>=3.1 (not installed); ...
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from grader.errors import GraderError
from grader.exercise import Exercise

# Run as the agent runs (`python -I`: no user site, no PYTHONPATH), so what it finds, the app finds.
# It also says where it looked: the cache below is good while none of those folders has changed.
_PROBE = """\
import json, sys
from importlib import metadata
found = {}
for name in json.loads(sys.argv[1]):
    try:
        found[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        found[name] = None
print(json.dumps({"versions": found, "path": sys.path}))
"""


def installed_versions(names: tuple[str, ...], python: str = sys.executable) -> dict[str, str | None]:
    """The installed version of each distribution `python -I` sees (None: not installed).

    Asking costs a Python start-up (40 ms of CPU, on every `grader check`), so the answer is kept
    in the user's cache with the modification times of the folders the probe searched: installing
    or removing a package changes its site-packages folder, and the next call asks again.
    """
    cache = _cache_file()
    entries = _read_cache(cache)
    entry = entries.get(python)
    if entry and set(names) <= set(entry["versions"]) and entry["stamp"] == _stamp(entry["stamp"]):
        return {name: entry["versions"][name] for name in names}
    asked = tuple(sorted(set(names) | set(entry["versions"] if entry else ())))
    try:
        process = subprocess.run([python, "-I", "-c", _PROBE, json.dumps(list(asked))], capture_output=True,
                                 text=True, stdin=subprocess.DEVNULL, timeout=60, env={"PATH": "/usr/bin:/bin"})
        answer = json.loads(process.stdout.strip().splitlines()[-1])
        found, path = dict(answer["versions"]), list(answer["path"])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError, KeyError, TypeError):
        raise GraderError(f"cannot ask {python} which packages it has; is this Python installation intact?", 1) from None
    searched = [python, *(entry for entry in path if entry and os.path.isabs(entry))]
    entries[python] = {"stamp": _stamp(dict.fromkeys(searched, None)), "versions": found}
    _write_cache(cache, entries)
    return {name: found.get(name) for name in names}


def _stamp(paths: dict[str, int | None]) -> dict[str, int | None]:
    """Each path's modification time in ns (None: it does not exist)."""
    stamp = {}
    for path in paths:
        try:
            stamp[path] = os.stat(path).st_mtime_ns
        except OSError:
            stamp[path] = None
    return stamp


def _cache_file() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "flask-grader" / "packages.json"


def _read_cache(cache: Path) -> dict:
    try:
        entries = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {python: entry for python, entry in entries.items()  # a damaged entry is asked again
            if isinstance(entry, dict) and isinstance(entry.get("stamp"), dict) and isinstance(entry.get("versions"), dict)}


def _write_cache(cache: Path, entries: dict) -> None:
    """Best effort: without a writable cache every call asks the interpreter, as it would anyway."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=cache.parent, prefix=".packages-")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(entries, file)
        os.replace(temporary, cache)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def missing_packages(packages: list[str], python: str = sys.executable) -> list[str]:
    """The requirements `python` does not satisfy, each with why: 'flask-sqlalchemy>=3.1 (not installed)'."""
    requirements = []
    for text in packages:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue  # the rubric's loader has already refused it; nothing to check here
        if requirement.marker is None or requirement.marker.evaluate():
            requirements.append(requirement)
    versions = installed_versions(tuple(sorted({r.name for r in requirements})), python)
    problems = []
    for requirement in requirements:
        version = versions.get(requirement.name)
        if version is None:
            problems.append(f"{requirement} (not installed)")
            continue
        try:
            allowed = requirement.specifier.contains(Version(version), prereleases=True)
        except InvalidVersion:
            allowed = True  # a version pip itself could not compare: let the import decide
        if not allowed:
            problems.append(f"{requirement} ({version} installed)")
    return problems


def exercise_image(exercise: Exercise):
    """(Docker client, image tag) for the exercise; GraderError when no engine answers or the image is stale."""
    from grader.sandbox.image import docker_client, ensure_image

    client = docker_client()
    if client is None:
        raise GraderError("--sandbox docker: no Docker engine answers; start the Docker daemon or use --sandbox process")
    return client, ensure_image(exercise, client)  # raises naming `grader image build SLUG`


def check_environment(exercises: list[Exercise], sandbox: str) -> None:
    """Raise GraderError (exit 2) naming what is missing and the command that installs it."""
    if sandbox == "docker":
        for exercise in exercises:
            exercise_image(exercise)
        return
    lacking: dict[str, list[str]] = {}
    for exercise in exercises:
        problems = missing_packages(list(exercise.load_rubric().rubric.packages))
        if problems:
            lacking[exercise.slug] = problems
    if not lacking:
        return
    problems = list(dict.fromkeys(p for found in lacking.values() for p in found))
    names = " ".join(shlex.quote(slug) for slug in lacking)
    which = "exercise" if len(lacking) == 1 else "exercises"
    raise GraderError(
        f"{which} {', '.join(lacking)} need{'s' if len(lacking) == 1 else ''} packages this Python "
        f"({sys.executable}) lacks: {', '.join(problems)}; install them with: "
        f"grader packages {names} | {shlex.quote(sys.executable)} -m pip install -r /dev/stdin "
        "(or grade with --sandbox docker)"
    )
