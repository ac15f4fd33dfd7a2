"""An ungradable result (the grader failed, not the app) in every report: the reason, never a score or a 0."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from grader.exercise import find_exercise
from grader.github.actions import annotations, classroom_result, log_lines, write_outputs
from grader.report import FORMATS, render
from grader.report.html import render_html
from grader.result import LateInfo, StudentResult, SubmissionInfo
from grader.scoring import ungradable

REASON = "the Docker engine stopped answering <b>now</b>"
ZERO = re.compile(r"\b0\s*/\s*100\b")


@pytest.fixture(scope="module")
def result():
    loaded = find_exercise("hello-mission").load_rubric()
    return ungradable(loaded, REASON, submission=SubmissionInfo(path="ada"), sandbox="docker", duration=1.5)


@pytest.fixture(scope="module")
def entry(result) -> StudentResult:
    return StudentResult(student="ada", status="ungradable", score=None, max_score=100, result=result,
                         reason=result.errors[0], late=LateInfo(days=0))


def test_the_model_has_no_score_no_criteria_and_the_fault_first(result):
    assert result.status == "ungradable" and result.score is None and result.criteria == []
    assert result.errors[0] == REASON


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "json"])
def test_every_format_says_not_graded_and_why_and_never_shows_a_zero(result, fmt: str):
    text = render(result, fmt)
    assert "not graded" in text.lower(), text
    assert "Docker engine stopped answering" in text
    assert not ZERO.search(text), text
    if fmt in {"markdown", "junit"}:  # where markup could render it, the reason is escaped
        assert "<b>" not in text


def test_json_has_a_null_score(result):
    document = json.loads(render(result, "json"))
    assert document["status"] == "ungradable" and document["score"] is None
    assert document["errors"] == [REASON]


def test_gradescope_has_no_score_field_to_read_as_zero(result):
    document = json.loads(render(result, "gradescope"))
    assert "score" not in document and document["tests"] == []


def test_junit_reports_an_error_not_failures(result):
    suite = ET.fromstring(render(result, "junit")).find("testsuite")
    assert suite.get("errors") == "1" and suite.get("failures") == "0"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["status"] == "ungradable" and "score" not in properties


def test_the_students_html_report_says_whose_fault_it_is(entry):
    page = render_html(entry, "Hello, Mission Control")
    assert "Not graded: the grader failed, not the submission." in page
    assert "the Docker engine stopped answering &lt;b&gt;now&lt;/b&gt;" in page
    assert not ZERO.search(page)


def test_github_actions_warns_and_reports_no_score(result, tmp_path):
    commands = annotations(result)
    assert len(commands) == 1 and commands[0].startswith("::warning ") and "Not graded" in commands[0]
    assert classroom_result(result)["status"] == "error" and classroom_result(result)["tests"] == []
    assert any("not graded" in line for line in log_lines(result))
    summary = tmp_path / "summary.md"
    write_outputs(result, {"GITHUB_STEP_SUMMARY": str(summary)})
    assert "not graded" in summary.read_text() and not ZERO.search(summary.read_text())

