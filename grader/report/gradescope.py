"""Gradescope's results.json: one Gradescope test per rubric criterion."""

from __future__ import annotations

import json
import re

from grader.report.sanitize import clean
from grader.result import UNGRADABLE_NOTE, CriterionResult, Result, _number

# Plain text: Gradescope would render "md" or "html", and the messages come from student code.
OUTPUT_FORMAT = "text"
# Lone surrogates (a JSON message can decode to one) cannot be written as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(text: str, limit: int = 500) -> str:
    return _SURROGATE.sub("", clean(text, limit))


def render_gradescope(result: Result) -> str:
    """Render `result` as Gradescope's autograder results.json.

    For example, a passed criterion becomes ``{"score": 20, "max_score": 20, "name": "Home page",
    "number": "1", "status": "passed", "visibility": "visible", ...}``.

    The total is the model's score, never the sum recomputed. A hidden criterion becomes a test
    shown after the grades are published, with only its title and points.
    """
    document = {
        "score": _number(result.score),  # ungradable: dropped below (and `grader check` writes no file)
        "execution_time": round(result.duration, 3),
        "output": _summary(result),
        "output_format": OUTPUT_FORMAT,
        "test_output_format": OUTPUT_FORMAT,
        "visibility": "visible",
        # run_autograder's stdout is for the staff; students read only the "output" fields.
        "stdout_visibility": "hidden",
        "tests": [_test(number, criterion) for number, criterion in enumerate(result.criteria, start=1)],
    }
    if result.score is None:
        del document["score"]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _summary(result: Result) -> str:
    problems = result.errors
    if result.status == "ungradable":
        lines = [f"{_text(result.exercise, 100)}: not graded", "", f"Not graded: {_text(problems[0])}. {UNGRADABLE_NOTE}"]
        problems = problems[1:]
    else:
        lines = [f"{_text(result.exercise, 100)}: {_number(result.score)} / {result.max_score}"]
    if result.status == "error":
        first = _text(problems[0]) if problems else "no reason was recorded"
        lines += ["", f"The app did not start: {first.removeprefix('the app could not start: ')}"]
        problems = problems[1:]
    if problems:
        lines += ["", "Problems:"] + [f"- {_text(problem)}" for problem in problems]
    return "\n".join(lines)


def _test(number: int, criterion: CriterionResult) -> dict:
    hidden = criterion.visibility == "hidden"
    return {
        "score": _number(criterion.points),
        "max_score": criterion.max_points,
        "name": _text(criterion.title, 100),
        "number": str(number),
        "output": _hidden_output(criterion) if hidden else _visible_output(criterion),
        "output_format": OUTPUT_FORMAT,
        "status": "passed" if criterion.status == "pass" else "failed",
        "visibility": "after_published" if hidden else "visible",
    }


def _hidden_output(criterion: CriterionResult) -> str:
    # Title and points only, whatever the model holds: no test names, messages or hints.
    return f"{_text(criterion.title, 100)}: {_number(criterion.points)} / {criterion.max_points} (hidden criterion)"


def _visible_output(criterion: CriterionResult) -> str:
    lines = [f"{_text(criterion.title, 100)}: {_number(criterion.points)} / {criterion.max_points}"]
    if criterion.feedback:
        lines.append(f"Hint: {_text(criterion.feedback)}")
    for test in criterion.tests:
        if test.outcome != "passed":
            detail = f": {_text(test.message)}" if test.message else ""
            lines.append(f"- {_text(test.id, 120)} {test.outcome}{detail}")
    return "\n".join(lines)
