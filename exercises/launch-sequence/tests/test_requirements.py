"""Criterion `requirements`: requirements.txt pins flask, flask-sqlalchemy and gunicorn with ==."""
import re

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

pytestmark = pytest.mark.criterion("requirements")

REQUIRED = {"flask": "3.0", "flask-sqlalchemy": "3.1", "gunicorn": "23.0"}  # package: oldest version allowed
_HASH = re.compile(r"\s--hash[=\s]\S+")


def requirements(app):
    """[(line number, text, Requirement)] of requirements.txt; a line that is no requirement fails the test."""
    text = app.read_text("requirements.txt")
    assert text is not None, (
        "There is no requirements.txt at the root of the repository: expected one listing "
        "flask, flask-sqlalchemy and gunicorn, each pinned with =="
    )
    if "\x00" in text:  # UTF-16 (PowerShell's `pip freeze > requirements.txt`), which pip reads too
        text = text.replace("\x00", "").replace("\ufffd", "")
    text = text.lstrip("\ufeff")
    found, pending, start = [], "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = _HASH.sub("", " " + pending + line).strip(), ""
        if not line:
            continue
        try:
            found.append((start, line, Requirement(line)))
        except InvalidRequirement:
            pytest.fail(
                f"requirements.txt line {start}: {line!r} is not a requirement, expected one package per line "
                f"as name==version (no -r, -e or pip options)",
                pytrace=False,
            )
    return found


def pin_problem(line, requirement):
    """Why `requirement` is not pinned to one exact version ('' when it is)."""
    specs = list(requirement.specifier)
    if len(specs) > 1:
        return f"{line!r} has {len(specs)} version conditions, not one =="
    if requirement.url or not specs or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
        return f"{line!r} is not pinned to one exact version"
    return ""


def required(app):
    found = {canonicalize_name(r.name): (n, line, r) for n, line, r in requirements(app)}
    missing = [name for name in REQUIRED if name not in found]
    assert not missing, (
        f"requirements.txt does not list {', '.join(missing)}: expected flask, flask-sqlalchemy and gunicorn "
        f"(it lists {', '.join(sorted(found)) or 'nothing'})"
    )
    return found


def test_requirements_list_the_packages(app):
    required(app)


def test_packages_are_pinned(app):
    found = required(app)
    for name, oldest in REQUIRED.items():
        number, line, requirement = found[name]
        problem = pin_problem(line, requirement)
        assert not problem, (
            f"requirements.txt line {number}: {problem}, expected {name}==<the version you tested with> "
            f"(`pip freeze` shows it)"
        )
        version = list(requirement.specifier)[0].version
        try:
            too_old = Version(version) < Version(oldest)
        except InvalidVersion:
            too_old = True
        assert not too_old, (
            f"requirements.txt line {number}: {line!r} pins {name} {version}, expected version {oldest} or newer"
        )


@pytest.mark.hidden
def test_every_requirement_is_pinned(app):
    for number, line, requirement in requirements(app):
        problem = pin_problem(line, requirement)
        assert not problem, f"requirements.txt line {number}: {problem}, expected name==version"
