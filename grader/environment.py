"""Can this machine grade an exercise? Checked before any test runs, so that its fault is never a student's 0.

The process and inprocess sandboxes run the app with the grader's own Python: every package of
the rubric must be importable there, at a version its specifier allows. The docker sandbox runs
it in the exercise's image, which must be built from the current rubric and agent.

    >>> check_environment([find_exercise("mission-log-db")], "process")
    GraderError: exercise mission-log-db needs packages this Python lacks: flask-sqlalchemy>=3.1 (not installed); ...
"""

from __future__ import annotations

import functools
import json
import shlex
import subprocess
import sys

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from grader.errors import GraderError
from grader.exercise import Exercise

# Run as the agent runs (`python -I`: no user site, no PYTHONPATH), so what it finds, the app finds.
_PROBE = """\
import json, sys
from importlib import metadata
found = {}
for name in json.loads(sys.argv[1]):
    try:
        found[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        found[name] = None
print(json.dumps(found))
"""


@functools.lru_cache(maxsize=64)
def installed_versions(names: tuple[str, ...], python: str = sys.executable) -> dict[str, str | None]:
    """The installed version of each distribution `python -I` sees (None: not installed)."""
    try:
        process = subprocess.run([python, "-I", "-c", _PROBE, json.dumps(list(names))], capture_output=True,
                                 text=True, stdin=subprocess.DEVNULL, timeout=60, env={"PATH": "/usr/bin:/bin"})
        found = json.loads(process.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        raise GraderError(f"cannot ask {python} which packages it has; is this Python installation intact?", 1) from None
    return {name: found.get(name) for name in names}


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
