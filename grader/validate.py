"""`grader validate`: an exercise is sound when its solution, starter and mutants score as declared."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grader.environment import check_environment
from grader.errors import GraderError
from grader.exercise import Exercise
from grader.pool import WarmPool
from grader.result import Result

STARTER_SHARE = 0.10  # a starter may earn at most this share of the points


class Mutant(BaseModel):
    """`mutants/<name>/mutant.yaml`: the mistake a mutant makes and the score it must get."""

    model_config = ConfigDict(extra="forbid", strict=True)

    mistake: str = Field(min_length=1)
    expected_score: float = Field(ge=0)
    fails: list[str] | None = Field(None, description="ids of the criteria it must fail, if given")


@dataclass(frozen=True)
class Check:
    """One row of the validation table."""

    exercise: str
    submission: str
    expectation: str
    score: float | None
    ok: bool
    note: str = ""
    about: str = ""


def load_mutant(folder: Path) -> Mutant:
    path = folder / "mutant.yaml"
    try:
        return Mutant.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise GraderError(f"{path}: missing; write `mistake: ...` and `expected_score: N`") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise GraderError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "top level"
        raise GraderError(f"{path}: {key}: {first['msg']}") from None


@dataclass(frozen=True)
class _Plan:
    """One submission to grade, and how to judge its result ('' = as expected, else what is wrong)."""

    exercise: Exercise
    name: str
    folder: Path
    expectation: str
    about: str
    judge: Callable[[Result], str]


def _plans(exercise: Exercise) -> list[_Plan]:
    max_score = exercise.load_rubric().rubric.max_score
    limit = STARTER_SHARE * max_score
    plans = [
        _Plan(exercise, "solution", exercise.solution_dir, f"= {max_score}", "the reference solution",
              lambda r: "" if r.score == max_score else "wrong score"),
        _Plan(exercise, "starter", exercise.starter_dir, f"≤ {limit:g}", "what students start from",
              lambda r: "" if r.score <= limit else "scores too much"),
    ]
    if exercise.mutants_dir.is_dir():
        for folder in sorted(p for p in exercise.mutants_dir.iterdir() if p.is_dir()):
            mutant = load_mutant(folder)
            plans.append(_Plan(exercise, f"mutants/{folder.name}", folder, f"= {mutant.expected_score:g}",
                               mutant.mistake, lambda r, m=mutant: _judge_mutant(r, m)))
    return plans


def validate(exercises: list[Exercise], sandbox: str = "process", jobs: int | None = None) -> list[Check]:
    """Grade every exercise's solution, starter and mutants; GraderError for an invalid rubric.

    An exercise's submissions are a class: they go through one warm pool (grader/pool.py), as
    `grader run` grades them, so pytest and each next sandbox are started ahead.
    """
    plans = {exercise.slug: _plans(exercise) for exercise in exercises}
    check_environment(exercises, sandbox)  # once, up front: a missing package is no wrong score
    workers = jobs or os.cpu_count() or 2
    checks: list[Check] = []
    with ThreadPoolExecutor(max_workers=workers) as threads:
        for exercise in exercises:
            with WarmPool(exercise, sandbox, jobs=workers) as pool:
                checks.extend(threads.map(lambda plan: _check(plan, pool.grade), plans[exercise.slug]))
    return checks


def _check(plan: _Plan, grade: Callable[[Path], Result]) -> Check:
    slug = plan.exercise.slug
    if not plan.folder.is_dir():
        return Check(slug, plan.name, plan.expectation, None, False, f"{plan.folder} is missing", plan.about)
    result = grade(plan.folder)
    if result.status == "ungradable":  # no verdict on the exercise either way
        return Check(slug, plan.name, plan.expectation, None, False, result.errors[0], plan.about)
    problem = plan.judge(result)
    note = "; ".join(filter(None, [problem, *result.errors]))
    return Check(slug, plan.name, plan.expectation, result.score, not problem, note, plan.about)


def _judge_mutant(result: Result, mutant: Mutant) -> str:
    if abs(result.score - mutant.expected_score) > 1e-6:
        return "wrong score"
    failed = sorted(c.id for c in result.criteria if c.status != "pass")
    if mutant.fails is not None and failed != sorted(mutant.fails):
        return f"fails {', '.join(failed) or 'nothing'}, declared {', '.join(sorted(mutant.fails)) or 'nothing'}"
    return ""
