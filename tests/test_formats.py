"""Gradescope results.json and JUnit XML: rendered from the Result model, hidden stays hidden."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import yaml

from conftest import HELLO
from grader.report import FORMATS, render
from grader.report.gradescope import render_gradescope
from grader.report.junit import render_junit
from grader.result import CriterionResult, Result, SubmissionInfo
from grader.result import TestOutcome as Outcome  # aliased: pytest would try to collect Test*

HOSTILE = "\x1b[31mboom\x1b[0m <script>alert(1)</script> ]]> nul\x00 bell\x07 vt\x0b esc\x1b ff\x0c \ud800 end"
# What the writers must never show: the real names, messages and hints of hidden tests.
SECRETS = ("test_secret_probe_edge_case", "SECRET-MESSAGE-42", "SECRET-HINT-7", "test_hidden_greeting_variant")
NOT_XML_1_0 = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def graded_result() -> Result:
    """Visible pass, visible partial with a hostile message and a hidden test, hidden criteria."""
    return Result(
        exercise="hello-mission",
        submission=SubmissionInfo(path="student", commit="3f2a9c0d1e"),
        status="graded",
        score=50,  # less than the criteria add up to, as after a penalty: writers take this number
        max_score=100,
        criteria=[
            CriterionResult(id="home", title="Home page", points=20, max_points=20, status="pass",
                            tests=[Outcome(id="test_home.py::test_home_returns_html", outcome="passed", duration=0.002)]),
            CriterionResult(
                id="greet", title="Greetings", points=13.33, max_points=20, status="partial",
                feedback="Escape the name.",
                tests=[
                    Outcome(id="test_greet.py::test_greet_says_hello", outcome="passed"),
                    Outcome(id="test_greet.py::test_greet_does_not_inject_html", outcome="failed", message=HOSTILE),
                    Outcome(id="hidden test 1", outcome="failed"),
                ]),
            # The model already anonymises hidden criteria; the writers must hold even if it did not.
            CriterionResult(
                id="probe", title="Probe pages", points=10, max_points=20, status="partial", visibility="hidden",
                feedback="SECRET-HINT-7",
                tests=[
                    Outcome(id="test_probe.py::test_secret_probe_edge_case", outcome="failed", message="SECRET-MESSAGE-42"),
                    Outcome(id="test_probe.py::test_hidden_greeting_variant", outcome="passed"),
                ]),
            CriterionResult(
                id="not-found", title="Custom 404 page", points=0, max_points=20, status="fail", visibility="hidden",
                feedback="SECRET-HINT-7",
                tests=[Outcome(id="hidden test 1", outcome="error"), Outcome(id="hidden test 2", outcome="skipped")]),
            CriterionResult(
                id="status", title="JSON status endpoint", points=0, max_points=20, status="fail",
                feedback="Return a dict.",
                tests=[Outcome(id="test_status.py::test_status_returns_json", outcome="skipped", message="not today"),
                       Outcome(id="test_status.py::test_status_is_nominal", outcome="error", message="KeyError: 'status'")]),
        ],
        sandbox="process",
        duration=1.23456,
        errors=["left out: big.bin (over 10 MiB)"],
    )


def error_result() -> Result:
    """The app could not start: every criterion fails with the same message."""
    why = "the app could not start: app.py, line 3: SyntaxError: invalid syntax"
    criteria = [
        CriterionResult(id=cid, title=title, points=0, max_points=50, status="fail", visibility=visibility,
                        feedback=f"The app could not start: {why}",
                        tests=[Outcome(id=test_id, outcome="error", message=why)])
        for cid, title, visibility, test_id in [("home", "Home page", "visible", "test_home.py::test_home"),
                                                ("probe", "Probe pages", "hidden", "hidden test 1")]
    ]
    return Result(exercise="hello-mission", submission=SubmissionInfo(path="student"), status="error", score=0,
                  max_score=100, criteria=criteria, sandbox="process", duration=0.5, errors=[why])


def all_strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in all_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in all_strings(v)]
    return [value] if isinstance(value, str) else []


def test_both_formats_are_offered_next_to_the_existing_ones():
    assert {"text", "json", "markdown", "gradescope", "junit"} <= set(FORMATS)
    result = graded_result()
    assert render(result, "gradescope") == render_gradescope(result)
    assert render(result, "junit") == render_junit(result)


# --- Gradescope -----------------------------------------------------------------------------


def test_gradescope_has_one_test_per_criterion_with_the_models_points():
    result = graded_result()
    doc = json.loads(render_gradescope(result))
    assert [t["name"] for t in doc["tests"]] == [c.title for c in result.criteria]
    assert [t["number"] for t in doc["tests"]] == ["1", "2", "3", "4", "5"]
    assert [(t["score"], t["max_score"]) for t in doc["tests"]] == [(20, 20), (13.33, 20), (10, 20), (0, 20), (0, 20)]
    assert [t["status"] for t in doc["tests"]] == ["passed", "failed", "failed", "failed", "failed"]
    assert doc["execution_time"] == 1.235
    assert doc["visibility"] == "visible" and doc["stdout_visibility"] == "hidden"


def test_gradescope_total_is_the_models_score_not_a_recomputed_sum():
    result = graded_result()
    doc = json.loads(render_gradescope(result))
    assert doc["score"] == result.score == 50
    assert sum(t["score"] for t in doc["tests"]) != 50


def test_gradescope_hidden_criteria_show_after_publishing_with_title_and_points_only():
    doc = json.loads(render_gradescope(graded_result()))
    hidden = {t["name"]: t for t in doc["tests"] if t["visibility"] == "after_published"}
    assert set(hidden) == {"Probe pages", "Custom 404 page"}
    assert hidden["Probe pages"]["output"] == "Probe pages: 10 / 20 (hidden criterion)"
    assert "hidden test" not in hidden["Custom 404 page"]["output"]
    assert {t["visibility"] for t in doc["tests"] if t["name"] not in hidden} == {"visible"}


def test_gradescope_never_contains_hidden_test_names_messages_or_hints():
    text = render_gradescope(graded_result())
    for secret in SECRETS:
        assert secret not in text


def test_gradescope_visible_output_has_hint_and_failing_messages_cleaned():
    doc = json.loads(render_gradescope(graded_result()))
    greet = doc["tests"][1]["output"]
    assert "Hint: Escape the name." in greet
    assert "test_greet.py::test_greet_does_not_inject_html failed: boom <script>alert(1)</script> ]]>" in greet
    assert "hidden test 1 failed" in greet  # only that it failed
    assert "test_greet_says_hello" not in greet  # passed tests are not listed
    status = doc["tests"][4]["output"]
    assert "test_status.py::test_status_is_nominal error: KeyError: 'status'" in status
    for value in all_strings(doc):
        assert not NOT_XML_1_0.search(value) and "\x1b" not in value and "\x7f" not in value


def test_gradescope_output_is_plain_text_so_student_html_is_never_rendered():
    doc = json.loads(render_gradescope(graded_result()))
    assert doc["output_format"] == doc["test_output_format"] == "text"
    assert {t["output_format"] for t in doc["tests"]} == {"text"}


def test_gradescope_summary_says_the_app_could_not_start():
    doc = json.loads(render_gradescope(error_result()))
    assert doc["score"] == 0
    assert doc["output"].splitlines()[0] == "hello-mission: 0 / 100"
    assert "The app did not start: app.py, line 3: SyntaxError" in doc["output"]
    assert doc["tests"][1]["output"] == "Probe pages: 0 / 50 (hidden criterion)"


def test_gradescope_summary_lists_other_problems():
    doc = json.loads(render_gradescope(graded_result()))
    assert doc["output"] == "hello-mission: 50 / 100\n\nProblems:\n- left out: big.bin (over 10 MiB)"


# --- JUnit ----------------------------------------------------------------------------------


def parse_junit(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text.encode("utf-8"))


def test_junit_has_one_testcase_per_test_grouped_by_criterion():
    root = parse_junit(render_junit(graded_result()))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "hello-mission"
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == ["home", "greet", "greet", "greet", "probe", "probe",
                                                   "not-found", "not-found", "status", "status"]
    assert cases[0].get("name") == "test_home.py::test_home_returns_html"
    assert cases[0].get("time") == "0.002"
    assert suite.get("time") == root.get("time") == "1.235"


def test_junit_counts_match_the_outcomes():
    root = parse_junit(render_junit(graded_result()))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    counts = {tag: sum(c.find(tag) is not None for c in cases) for tag in ("failure", "error", "skipped")}
    assert counts == {"failure": 3, "error": 2, "skipped": 2}
    for element in (root, suite):
        assert (element.get("tests"), element.get("failures"), element.get("errors"), element.get("skipped")) == \
            ("10", "3", "2", "2")


def test_junit_properties_carry_the_models_score():
    suite = parse_junit(render_junit(graded_result())).find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert (props["score"], props["max_score"], props["status"], props["commit"]) == ("50", "100", "graded", "3f2a9c0d1e")
    assert props["criterion.greet"] == "Greetings: 13.33 / 20"
    assert props["criterion.probe"] == "Probe pages: 10 / 20"


def test_junit_hidden_tests_are_anonymous_without_messages():
    text = render_junit(graded_result())
    for secret in SECRETS:
        assert secret not in text
    suite = parse_junit(text).find("testsuite")
    hidden = [c for c in suite.findall("testcase") if c.get("classname") in ("probe", "not-found")]
    assert [c.get("name") for c in hidden] == ["hidden test 1", "hidden test 2", "hidden test 1", "hidden test 2"]
    failure = hidden[0].find("failure")
    assert failure.get("message") == "failed" and not failure.text
    assert hidden[2].find("error").get("message") == "error"
    assert hidden[3].find("skipped").attrib == {}


def test_junit_failure_carries_cleaned_message_and_hint():
    text = render_junit(graded_result())
    assert "<script" not in text  # escaped, never markup
    case = next(c for c in parse_junit(text).iter("testcase") if c.get("name").endswith("does_not_inject_html"))
    failure = case.find("failure")
    assert failure.get("type") == "failed"
    assert failure.get("message").startswith("boom <script>alert(1)</script> ]]> nul bell vt esc")
    assert failure.text.startswith(failure.get("message"))
    assert failure.text.endswith("\n\nEscape the name.")


def test_junit_strips_characters_xml_1_0_forbids_from_all_text():
    hostile = graded_result().model_copy(update={"exercise": "hello\x01-mission\x1b"})
    hostile.criteria[0].title = "Home\x02 page"
    hostile.criteria[0].tests[0].id = "test_home.py::test\x00_home"
    text = render_junit(hostile)
    assert not NOT_XML_1_0.search(text)
    assert "\x7f" not in text and "\x1b" not in text
    root = parse_junit(text)
    assert root.find("testsuite").get("name") == "hello-mission"
    assert root.find("testsuite/testcase").get("name") == "test_home.py::test_home"


def test_junit_error_status_reports_errors():
    suite = parse_junit(render_junit(error_result())).find("testsuite")
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("2", "2", "0")
    visible, hidden = suite.findall("testcase")
    assert "SyntaxError" in visible.find("error").get("message")
    assert hidden.find("error").get("message") == "error" and not hidden.find("error").text
    assert "SyntaxError" in suite.find("system-err").text
    assert {p.get("name"): p.get("value") for p in suite.find("properties")}["status"] == "error"


# --- Through the CLI ------------------------------------------------------------------------

TWO_H1 = HELLO / "mutants" / "two-h1"


def test_cli_check_prints_gradescope_results_json(grader):
    run = grader("check", "hello-mission", TWO_H1, "--format", "gradescope")
    assert run.returncode == 0, run
    doc = json.loads(run.stdout)  # stdout holds only the document
    expected = yaml.safe_load((TWO_H1 / "mutant.yaml").read_text())["expected_score"]
    assert doc["score"] == expected
    assert sum(t["max_score"] for t in doc["tests"]) == 100
    home = next(t for t in doc["tests"] if t["name"] == "Home page")
    assert (home["status"], home["score"]) == ("failed", 0)
    assert "expected exactly one" in home["output"]


def test_cli_check_prints_junit_xml(grader):
    run = grader("check", "hello-mission", TWO_H1, "--format", "junit")
    assert run.returncode == 0, run
    root = parse_junit(run.stdout)
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert suite.get("tests") == str(len(cases)) and len(cases) > 5
    assert suite.get("failures") == "1"
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("classname") for c in failed] == ["home"]
    assert "expected exactly one" in failed[0].find("failure").get("message")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert (props["score"], props["max_score"]) == ("80", "100")
