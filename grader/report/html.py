"""The HTML report: one standalone page per student (inline CSS, no script, no external asset)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined

from grader.report.sanitize import APP_OUTPUT_SHOWN, app_output_title, clean
from grader.result import UNGRADABLE_NOTE, CriterionResult, Result, StudentResult, _number

# Autoescape everywhere: every string from a student (names, messages, app output) is data.
TEMPLATES = Environment(
    loader=PackageLoader("grader.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters["clean"] = clean
TEMPLATES.filters["number"] = _number


def render_html(entry: StudentResult, exercise_title: str) -> str:
    """The report page of one student, for every status (missing and unreachable show the reason).

    >>> page = render_html(entry, "Hello, mission")
    >>> page.startswith("<!DOCTYPE html>")
    True
    """
    result = entry.result
    return TEMPLATES.get_template("report.html").render(
        entry=entry,
        result=result,
        exercise_title=exercise_title,
        commit=entry.commit or (result.submission.commit if result else None),
        problem=_problem(entry),
        criteria=[_criterion_view(c) for c in result.criteria] if result else [],
        errors=_other_errors(result) if result else [],
        app_output=_app_output(result) if result else None,
    )


def _problem(entry: StudentResult) -> str | None:
    """Why there is no (complete) grade: the source's reason, or the app's first error."""
    if entry.result and entry.result.status == "ungradable":
        return f"{entry.result.errors[0]}. {UNGRADABLE_NOTE}"
    if entry.reason:
        return entry.reason
    if entry.result and entry.result.status == "error" and entry.result.errors:
        return entry.result.errors[0].removeprefix("the app could not start: ")
    if entry.status in ("missing", "unreachable", "error"):
        return {"missing": "No repository was found for this student.",
                "unreachable": "The repository could not be fetched.",
                "error": "The app could not be graded."}[entry.status]
    return None


def _other_errors(result: Result) -> list[str]:
    # errors[0] of an app that did not start, or of a grader that failed, is already the problem.
    return result.errors[1:] if result.status in ("error", "ungradable") else result.errors


def _criterion_view(criterion: CriterionResult) -> dict:
    """A criterion as the page shows it: a hidden criterion's tests by number only, without message."""
    hidden = criterion.visibility == "hidden"
    failing = []
    number = 0
    for test in criterion.tests:
        anonymous = hidden or test.id.startswith("hidden test")
        number += anonymous
        if test.outcome != "passed":
            failing.append({
                "name": f"hidden test {number}" if hidden else test.id,
                "outcome": test.outcome,
                "message": None if anonymous else test.message,
            })
    return {"c": criterion, "hidden": hidden, "failing": failing}


def _app_output(result: Result) -> dict | None:
    if not result.app_output:
        return None
    return {"title": app_output_title(result), "text": clean(result.app_output, APP_OUTPUT_SHOWN)}
