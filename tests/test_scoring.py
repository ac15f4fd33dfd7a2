"""score() and tests_by_criterion(): credit, partial credit, app errors, and what stays hidden."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.records import CollectedTest, Outcome, RunRecords
from grader.report.markdown import render_markdown
from grader.report.text import render_text
from grader.rubric import LoadedRubric, load_rubric
from grader.result import SubmissionInfo
from grader import scoring  # not `from ... import tests_by_criterion`: pytest would collect it
from grader.scoring import score

HEADER = "exercise: demo\ntitle: Demo exercise\ncriteria:\n"  # lines 1-3


def make_rubric(tmp_path: Path, criteria: str) -> LoadedRubric:
    path = tmp_path / "demo.yaml"
    path.write_text(HEADER + criteria, encoding="utf-8")
    return load_rubric(path)


def criterion(cid: str, points: int, *, credit: str = "all", visibility: str = "visible",
              hint: str | None = None, markers: str | None = None, nodeids: str | None = None) -> str:
    lines = [
        f"  - id: {cid}",
        f"    title: {cid.capitalize()} title",
        f"    points: {points}",
        f"    credit: {credit}",
        f"    visibility: {visibility}",
    ]
    if hint:
        lines.append(f"    hint: {json.dumps(hint)}")
    lines.append("    tests:")
    if markers:
        lines.append(f"      markers: [{markers}]")
    if nodeids:
        lines.append(f"      nodeids: [{json.dumps(nodeids)}]")
    return "\n".join(lines) + "\n"


def passed(duration: float = 0.01) -> Outcome:
    return Outcome("passed", None, duration)


def failed(message: str, duration: float = 0.01) -> Outcome:
    return Outcome("failed", message, duration)


def run(loaded: LoadedRubric, records: RunRecords, errors: list[str] | None = None):
    return score(
        loaded,
        records,
        submission=SubmissionInfo(path="/submissions/alice", commit="0123456789abcdef0123"),
        sandbox="inprocess",
        duration=1.23456,
        errors=errors,
    )


def marked(nodeid: str, *criteria: str, hidden: bool = False) -> CollectedTest:
    return CollectedTest(nodeid, tuple(criteria), hidden)


# --- credit ---------------------------------------------------------------------------------


def test_all_or_nothing_criterion_scores_zero_when_one_test_fails(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 20, hint="Check GET /", markers="home"))
    records = RunRecords(
        collected=[marked("test_home.py::test_a", "home"), marked("test_home.py::test_b", "home"),
                   marked("test_home.py::test_c", "home")],
        outcomes={"test_home.py::test_a": passed(), "test_home.py::test_b": passed(),
                  "test_home.py::test_c": failed("assert 'Hi' == 'Hello'")},
    )

    result = run(loaded, records)

    [home] = result.criteria
    assert home.points == 0
    assert home.max_points == 20
    assert home.status == "fail"
    assert home.feedback == "Check GET /"
    assert result.score == 0
    assert result.max_score == 20
    assert result.status == "graded"


def test_proportional_criterion_gets_its_share_rounded_to_cents(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 20, credit="proportional", hint="Look at /", markers="home"))
    records = RunRecords(
        collected=[marked(f"test_home.py::test_{n}", "home") for n in "abc"],
        outcomes={"test_home.py::test_a": passed(), "test_home.py::test_b": failed("nope"),
                  "test_home.py::test_c": passed()},
    )

    result = run(loaded, records)

    [home] = result.criteria
    assert home.points == 13.33
    assert home.status == "partial"
    assert home.feedback == "Look at /"
    assert result.score == 13.33


def test_proportional_criterion_with_no_passing_test_fails(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 20, credit="proportional", markers="home"))
    records = RunRecords(
        collected=[marked("test_home.py::test_a", "home"), marked("test_home.py::test_b", "home")],
        outcomes={"test_home.py::test_a": failed("x"), "test_home.py::test_b": failed("y")},
    )

    [home] = run(loaded, records).criteria

    assert (home.points, home.status) == (0, "fail")


def test_all_tests_passing_gives_full_points_and_no_feedback(tmp_path):
    loaded = make_rubric(
        tmp_path,
        criterion("home", 20, hint="unused hint", markers="home")
        + criterion("status", 30, credit="proportional", hint="also unused", nodeids="test_status.py::*"),
    )
    records = RunRecords(
        collected=[marked("test_home.py::test_a", "home"), marked("test_status.py::test_json"),
                   marked("test_status.py::test_value")],
        outcomes={"test_home.py::test_a": passed(), "test_status.py::test_json": passed(),
                  "test_status.py::test_value": passed()},
    )

    result = run(loaded, records)

    assert [(c.id, c.points, c.status, c.feedback) for c in result.criteria] == [
        ("home", 20, "pass", None),
        ("status", 30, "pass", None),
    ]
    assert result.score == 50
    assert result.max_score == 50
    assert result.errors == []


def test_visible_tests_keep_their_nodeid_message_and_duration(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 10, markers="home"))
    records = RunRecords(
        collected=[marked("test_home.py::test_a", "home"), marked("test_home.py::test_b", "home")],
        outcomes={"test_home.py::test_a": passed(0.5), "test_home.py::test_b": failed("assert 1 == 2", 0.25)},
    )

    [home] = run(loaded, records).criteria

    assert [(t.id, t.outcome, t.message, t.duration) for t in home.tests] == [
        ("test_home.py::test_a", "passed", None, 0.5),
        ("test_home.py::test_b", "failed", "assert 1 == 2", 0.25),
    ]


def test_result_carries_submission_sandbox_and_duration(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 10, markers="home"))
    records = RunRecords(collected=[marked("test_home.py::test_a", "home")],
                         outcomes={"test_home.py::test_a": passed()})

    result = run(loaded, records, errors=["app.py: 1 file left out"])

    assert result.exercise == "demo"
    assert result.submission.path == "/submissions/alice"
    assert result.submission.commit == "0123456789abcdef0123"
    assert result.sandbox == "inprocess"
    assert result.errors == ["app.py: 1 file left out"]


def test_collected_test_without_outcome_counts_as_failed_with_a_message(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 10, markers="home"))
    records = RunRecords(
        collected=[marked("test_home.py::test_a", "home"), marked("test_home.py::test_crashed", "home")],
        outcomes={"test_home.py::test_a": passed()},
    )

    [home] = run(loaded, records).criteria

    assert home.status == "fail"
    assert home.points == 0
    crashed = home.tests[1]
    assert crashed.id == "test_home.py::test_crashed"
    assert crashed.outcome == "failed"
    assert crashed.message == "this test did not finish: the test run ended before it reported"


def test_skipped_test_does_not_count_as_passed(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 10, markers="home"))
    records = RunRecords(collected=[marked("test_home.py::test_a", "home")],
                         outcomes={"test_home.py::test_a": Outcome("skipped", "no network", 0.0)})

    [home] = run(loaded, records).criteria

    assert (home.status, home.points) == ("fail", 0)


# --- what stays hidden ----------------------------------------------------------------------

SECRET_NODEID = "test_secret.py::test_admin_password_is_hunter2"
SECRET_MESSAGE = "AssertionError: expected swordfish-7731 in the admin page"


def assert_nowhere(result, *secrets: str) -> None:
    outputs = {
        "json": result.to_json(),
        "markdown": render_markdown(result),
        "text": render_text(result),
        "text-wide": render_text(result, width=400),
    }
    for name, output in outputs.items():
        for secret in secrets:
            assert secret not in output, f"{secret!r} leaks into the {name} report"


def test_hidden_criterion_never_shows_test_names_or_assertions(tmp_path):
    loaded = make_rubric(
        tmp_path,
        criterion("home", 10, markers="home")
        + criterion("admin", 15, visibility="hidden", hint="Protect the admin page", nodeids="test_secret.py::*"),
    )
    records = RunRecords(
        collected=[marked("test_home.py::test_a", "home"), marked("test_secret.py::test_login_needed"),
                   marked(SECRET_NODEID)],
        outcomes={"test_home.py::test_a": passed(), "test_secret.py::test_login_needed": passed(0.1),
                  SECRET_NODEID: failed(SECRET_MESSAGE, 0.2)},
    )

    result = run(loaded, records)

    admin = result.criteria[1]
    assert admin.visibility == "hidden"
    assert admin.title == "Admin title"
    assert (admin.points, admin.max_points, admin.status) == (0, 15, "fail")
    assert admin.feedback is None  # hidden: title and points only, not even the hint
    assert [(t.id, t.outcome, t.message, t.duration) for t in admin.tests] == [
        ("hidden test 1", "passed", None, 0.1),
        ("hidden test 2", "failed", None, 0.2),
    ]
    assert_nowhere(result, SECRET_NODEID, "test_admin_password", "hunter2", SECRET_MESSAGE, "swordfish",
                   "test_login_needed", "test_secret.py")
    assert "Admin title" in render_markdown(result)
    assert "Admin title" in render_text(result)
    assert '"max_points": 15' in result.to_json()


def test_hidden_marked_test_inside_visible_criterion_is_anonymous(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 10, markers="home"))
    records = RunRecords(
        collected=[marked("test_home.py::test_title", "home"),
                   marked("test_home.py::test_secret_hunter2", "home", hidden=True)],
        outcomes={"test_home.py::test_title": failed("title is wrong"),
                  "test_home.py::test_secret_hunter2": failed(SECRET_MESSAGE)},
    )

    result = run(loaded, records)

    [home] = result.criteria
    assert home.visibility == "visible"
    assert [(t.id, t.message) for t in home.tests] == [
        ("test_home.py::test_title", "title is wrong"),
        ("hidden test 1", None),
    ]
    assert home.tests[1].outcome == "failed"
    assert_nowhere(result, "test_secret_hunter2", "hunter2", SECRET_MESSAGE, "swordfish")
    assert "title is wrong" in render_markdown(result)


def test_hidden_test_that_never_reported_shows_no_message(tmp_path):
    loaded = make_rubric(tmp_path, criterion("admin", 10, visibility="hidden", markers="admin"))
    records = RunRecords(collected=[marked("test_admin.py::test_hunter2", "admin")], outcomes={})

    result = run(loaded, records)

    assert [(t.id, t.outcome, t.message) for t in result.criteria[0].tests] == [("hidden test 1", "failed", None)]
    assert_nowhere(result, "test_hunter2", "hunter2")


# --- an app that could not start ------------------------------------------------------------


def test_app_error_scores_zero_and_says_the_error_once_not_on_every_criterion(tmp_path):
    loaded = make_rubric(
        tmp_path,
        criterion("home", 10, hint="home hint", markers="home")
        + criterion("status", 20, credit="proportional", markers="status"),
    )
    app_error = "ModuleNotFoundError: No module named 'flask_sqlalchemy'"
    records = RunRecords(
        collected=[marked("test_home.py::test_a", "home"), marked("test_status.py::test_b", "status")],
        outcomes={"test_home.py::test_a": passed(), "test_status.py::test_b": passed()},
        app_error=app_error,
    )

    result = run(loaded, records, errors=["big.bin: left out"])

    assert result.status == "error"
    assert result.score == 0
    assert result.max_score == 30
    assert result.errors == [f"the app could not start: {app_error}", "big.bin: left out"]
    for c in result.criteria:
        assert (c.points, c.status) == (0, "fail")
        assert c.feedback is None and all(t.message is None for t in c.tests)
    document = result.to_json()
    assert json.loads(document)["score"] == 0
    assert document.count("flask_sqlalchemy") == 1


# --- tests and criteria that don't fit together ---------------------------------------------


def test_tests_by_criterion_groups_by_marker_and_by_nodeid_pattern(tmp_path):
    loaded = make_rubric(
        tmp_path,
        criterion("home", 10, markers="home") + criterion("status", 10, nodeids="test_status.py::*"),
    )
    a = marked("test_home.py::test_a", "home")
    b = marked("test_status.py::test_b")
    c = marked("test_misc.py::test_c", "home")

    grouped = scoring.tests_by_criterion(loaded, [a, b, c])

    assert grouped == {"home": [a, c], "status": [b]}


def test_test_belonging_to_no_criterion_is_a_rubric_error(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 10, markers="home"))
    stray = marked("test_extra.py::test_stray")

    with pytest.raises(GraderError) as info:
        scoring.tests_by_criterion(loaded, [marked("test_home.py::test_a", "home"), stray])

    assert info.value.exit_code == 2
    message = str(info.value)
    assert message.startswith(f"{loaded.path}: test test_extra.py::test_stray belongs to no criterion")
    assert "\n" not in message


def test_marker_for_unknown_criterion_is_a_rubric_error(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 10, markers="home"))

    with pytest.raises(GraderError) as info:
        scoring.tests_by_criterion(loaded, [marked("test_home.py::test_a", "home"), marked("test_home.py::test_b", "ghost")])

    assert info.value.exit_code == 2
    message = str(info.value)
    assert message.startswith(f"{loaded.path}: test test_home.py::test_b is marked criterion('ghost')")
    assert "\n" not in message


def test_unknown_marker_is_an_error_even_when_a_pattern_claims_the_test(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 10, nodeids="test_home.py::*"))

    with pytest.raises(GraderError, match=r"criterion\('homepage'\)"):
        scoring.tests_by_criterion(loaded, [marked("test_home.py::test_a", "homepage")])


def test_criterion_selecting_no_test_names_its_tests_line(tmp_path):
    loaded = make_rubric(
        tmp_path,
        criterion("home", 10, markers="home") + criterion("status", 10, nodeids="test_status.py::*"),
    )
    # home: lines 4-10 (tests: on 9); status starts on line 11, its tests: key is on line 16.

    with pytest.raises(GraderError) as info:
        scoring.tests_by_criterion(loaded, [marked("test_home.py::test_a", "home")])

    assert info.value.exit_code == 2
    message = str(info.value)
    assert message.startswith(f"{loaded.path}:16: criteria (status).tests: selects no test")
    assert "\n" not in message


def test_score_raises_on_mapping_errors_too(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 10, markers="home"))
    records = RunRecords(collected=[marked("test_x.py::test_orphan")], outcomes={"test_x.py::test_orphan": passed()})

    with pytest.raises(GraderError, match="test_x.py::test_orphan belongs to no criterion"):
        run(loaded, records)


# --- JSON -----------------------------------------------------------------------------------


def test_whole_number_score_serializes_as_integer(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 80, markers="home") + criterion("status", 20, markers="status"))
    records = RunRecords(
        collected=[marked("test_home.py::test_a", "home"), marked("test_status.py::test_b", "status")],
        outcomes={"test_home.py::test_a": passed(), "test_status.py::test_b": failed("no")},
    )

    result = run(loaded, records)
    text = result.to_json()
    data = json.loads(text)

    assert '"score": 80,' in text
    assert data["score"] == 80 and isinstance(data["score"], int)
    assert [c["points"] for c in data["criteria"]] == [80, 0]
    assert all(isinstance(c["points"], int) for c in data["criteria"])


def test_fractional_score_keeps_two_decimals(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 100, credit="proportional", markers="home"))
    records = RunRecords(
        collected=[marked(f"test_home.py::test_{n}", "home") for n in "abc"],
        outcomes={"test_home.py::test_a": passed(), "test_home.py::test_b": passed(),
                  "test_home.py::test_c": failed("no")},
    )

    data = json.loads(run(loaded, records).to_json())

    assert data["score"] == 66.67
    assert data["criteria"][0]["points"] == 66.67
    assert data["criteria"][0]["status"] == "partial"


def test_json_has_schema_version_and_rounded_duration(tmp_path):
    loaded = make_rubric(tmp_path, criterion("home", 10, markers="home"))
    records = RunRecords(collected=[marked("test_home.py::test_a", "home")],
                         outcomes={"test_home.py::test_a": passed()})

    data = json.loads(run(loaded, records).to_json())

    assert data["schema"] == 1
    assert "schema_version" not in data
    assert data["duration"] == 1.235
    assert data["status"] == "graded"
    assert data["exercise"] == "demo"
    assert data["submission"] == {"path": "/submissions/alice", "commit": "0123456789abcdef0123"}
