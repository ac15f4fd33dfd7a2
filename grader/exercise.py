"""Find an exercise by slug or path, and fingerprint what decides its verdicts."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.errors import GraderError

if TYPE_CHECKING:
    from grader.rubric import LoadedRubric


@dataclass(frozen=True)
class Exercise:
    """An exercise folder (README, starter, solution, tests, mutants) and its rubric file."""

    slug: str
    root: Path
    rubric_path: Path

    @property
    def tests_dir(self) -> Path:
        return self.root / "tests"

    @property
    def solution_dir(self) -> Path:
        return self.root / "solution"

    @property
    def starter_dir(self) -> Path:
        return self.root / "starter"

    @property
    def mutants_dir(self) -> Path:
        return self.root / "mutants"

    def load_rubric(self) -> LoadedRubric:
        from grader.rubric import load_rubric  # pydantic: not needed to find an exercise

        return load_rubric(self.rubric_path)

    def fingerprint(self) -> str:
        """Hash of the rubric and the test files: a result is reusable only for the same one."""
        digest = hashlib.sha256()
        files = [self.rubric_path, *sorted(p for p in self.tests_dir.rglob("*") if p.is_file())]
        for path in files:
            if "__pycache__" in path.parts:
                continue
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()[:16]


def course_roots() -> list[Path]:
    """Where exercises are looked up by slug, first match wins.

    GRADER_COURSE, then the working directory and its parents (a course repository holds
    `exercises/` and `rubrics/` side by side), then the course this grader was installed from.
    """
    roots: list[Path] = []
    if os.environ.get("GRADER_COURSE"):
        roots.append(Path(os.environ["GRADER_COURSE"]))
    cwd = Path.cwd()
    roots.extend(p for p in (cwd, *cwd.parents) if _is_course(p))
    bundled = Path(__file__).resolve().parent.parent
    if _is_course(bundled):
        roots.append(bundled)
    return roots


def _is_course(path: Path) -> bool:
    return (path / "exercises").is_dir() and (path / "rubrics").is_dir()


def find_exercise(name: str) -> Exercise:
    """Resolve EXERCISE as given on the command line: a path to an exercise folder, or a slug."""
    as_path = Path(name)
    if as_path.is_dir() and (as_path / "tests").is_dir():
        root = as_path.resolve()
        rubric = root.parent.parent / "rubrics" / f"{root.name}.yaml"
        if not rubric.is_file():
            raise GraderError(f"{name}: no rubric for this exercise; expected {rubric}")
        return Exercise(root.name, root, rubric)
    if "/" in name or name.startswith("."):
        raise GraderError(f"{name}: not an exercise folder (it needs a tests/ folder)")
    roots = course_roots()
    for course in roots:
        root = course / "exercises" / name
        if root.is_dir():
            rubric = course / "rubrics" / f"{name}.yaml"
            if not rubric.is_file():
                raise GraderError(f"{name}: exercise folder {root} has no rubric {rubric}")
            return Exercise(name, root.resolve(), rubric.resolve())
    known = sorted({p.name for c in roots for p in (c / "exercises").iterdir() if p.is_dir()})
    hint = f"known: {', '.join(known)}" if known else "set GRADER_COURSE to your course folder"
    raise GraderError(f"unknown exercise {name!r} ({hint})")


def all_exercises() -> list[Exercise]:
    """Every exercise of the first course found (for `grader validate` with no arguments)."""
    roots = course_roots()
    if not roots:
        raise GraderError("no course found: run inside a folder with exercises/ and rubrics/, or set GRADER_COURSE")
    course = roots[0]
    return [find_exercise(str(p)) for p in sorted((course / "exercises").iterdir()) if (p / "tests").is_dir()]
