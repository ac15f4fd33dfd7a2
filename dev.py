#!/usr/bin/env python3
"""Set up and run flask-grader from a fresh checkout: `python3 dev.py demo` or `python3 dev.py test`.

Needs only Python 3.11+. Creates .venv/ beside this file, installs the project with its dev
extra into it (again only when pyproject.toml changed), then runs the command.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"

USAGE = """usage: python3 dev.py COMMAND [ARGS...]

  demo    grade the bundled example submissions of hello-mission (solution, starter, mutants)
  test    validate every exercise, then run the test suite (extra ARGS go to pytest)
  setup   only create .venv and install the project
"""


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"dev.py: Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists() and not (BIN / "python.exe").exists():
        print("dev.py: creating .venv", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    # Reinstall when the project or any exercise's packages (in its rubric) change.
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    for rubric in sorted((ROOT / "rubrics").glob("*.yaml")):
        digest.update(rubric.read_bytes())
    wanted = digest.hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("dev.py: installing flask-grader and its dependencies into .venv", file=sys.stderr)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True)
    # The process sandbox runs students' apps with this Python: give it every exercise's packages.
    listed = subprocess.run([str(BIN / "grader"), "packages"], cwd=ROOT, check=True, capture_output=True, text=True)
    requirements = [line.strip() for line in listed.stdout.splitlines() if line.strip()]
    if requirements:
        subprocess.run([*pip, "install", *requirements], check=True)
    STAMP.write_text(wanted)


def run(*command: str) -> int:
    return subprocess.run(command, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "setup"):
        print(USAGE, file=sys.stderr)
        return 2
    setup()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        return run(str(BIN / "grader"), "validate", "hello-mission", *rest)
    if command == "test":
        # Exercises first, so that the suite's own summary is the last thing printed.
        code = run(str(BIN / "grader"), "validate")
        return code or run(str(BIN / "python"), "-m", "pytest", "-n", "auto", *rest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
