"""JUnit XML: one testcase per test, grouped by criterion, for CI test reporters."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from grader.report.sanitize import clean
from grader.result import CriterionResult, Result, TestOutcome, _number

# Characters XML 1.0 forbids (C0 controls but tab, LF, CR; surrogates; U+FFFE/U+FFFF) and the C1
# controls it discourages: ElementTree escapes markup but writes these as they are.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
MESSAGE_LIMIT = 2000  # characters of a failure message kept


def render_junit(result: Result) -> str:
    """Render `result` as JUnit XML: `<testsuites><testsuite name="EXERCISE">` with one
    `<testcase classname="CRITERION-ID" name="TEST-ID">` per test.

    For example, a failed test becomes
    ``<testcase classname="home" name="test_home.py::test_title" time="0.002"><failure message="…">``;
    the tests of a hidden criterion are only ``hidden test N``, with no message. Score and
    max_score are properties of the suite, as the model gives them.
    """
    # An app that did not start: each test failed for that one reason, which the report says once.
    reason = result.errors[0] if result.status == "error" and result.errors else None
    cases = [_testcase(criterion, number, test, reason)
             for criterion in result.criteria
             for number, test in enumerate(criterion.tests, start=1)]
    if result.status == "ungradable":  # no verdict: one erroring case, so no CI reporter shows it green
        case = ET.Element("testcase", {"classname": "flask-grader", "name": "grading", "time": f"{result.duration:.3f}"})
        ET.SubElement(case, "error", {"message": _safe(f"not graded: {result.errors[0]}", MESSAGE_LIMIT),
                                      "type": "ungradable"})
        cases.append(case)
    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(case.find("failure") is not None for case in cases)),
        "errors": str(sum(case.find("error") is not None for case in cases)),
        "skipped": str(sum(case.find("skipped") is not None for case in cases)),
        "time": f"{result.duration:.3f}",
    }
    root = ET.Element("testsuites", {"name": "flask-grader", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": _safe(result.exercise, 200), **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(result):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    suite.extend(cases)
    if result.errors:
        ET.SubElement(suite, "system-err").text = "\n".join(_safe(error, MESSAGE_LIMIT) for error in result.errors)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _safe(text: str, limit: int) -> str:
    return _NOT_XML.sub("", clean(text, limit))


def _properties(result: Result) -> list[tuple[str, str]]:
    pairs = [("score", str(_number(result.score)))] if result.score is not None else []
    pairs += [
        ("max_score", str(result.max_score)),
        ("status", result.status),
        ("sandbox", _safe(result.sandbox, 100)),
    ]
    if result.submission.commit:
        pairs.append(("commit", _safe(result.submission.commit, 100)))
    for criterion in result.criteria:
        pairs.append((f"criterion.{_safe(criterion.id, 100)}",
                      f"{_safe(criterion.title, 100)}: {_number(criterion.points)} / {criterion.max_points}"))
    return pairs


def _testcase(criterion: CriterionResult, number: int, test: TestOutcome, reason: str | None = None) -> ET.Element:
    hidden = criterion.visibility == "hidden"
    # A hidden criterion shows only that its tests passed or not, whatever the model holds.
    name = f"hidden test {number}" if hidden else _safe(test.id, 200)
    case = ET.Element("testcase", {"classname": _safe(criterion.id, 100), "name": name,
                                   "time": f"{test.duration:.3f}"})
    if test.outcome == "passed":
        return case
    tag = {"failed": "failure", "error": "error", "skipped": "skipped"}[test.outcome]
    message = None if hidden or not (test.message or reason) else _safe(test.message or reason, MESSAGE_LIMIT)
    element = ET.SubElement(case, tag)
    if tag == "skipped":
        if message:
            element.set("message", message)
        return case
    first_line = next((line.strip() for line in (message or "").splitlines() if line.strip()), test.outcome)
    element.set("message", first_line)
    element.set("type", test.outcome)
    body = [message] if message else []
    if criterion.feedback and not hidden:
        body.append(_safe(criterion.feedback, MESSAGE_LIMIT))
    if body:
        element.text = "\n\n".join(body)
    return case
