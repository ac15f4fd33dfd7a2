"""Class outputs under OUT: gradebook CSVs, summary.json, per-student reports and the dashboard.

A class of 31 students built from real Result objects: full marks, partial credit, a hidden
criterion, late penalties, apps that could not start, missing and unreachable repositories, and
hostile names, messages and app output. The dashboard is also opened in a real headless
Chromium (Debian's `chromium`), skipped when it is not installed unless GRADER_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import struct
import subprocess
import zlib
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup

from grader.errors import GraderError
from grader.report.dashboard import render_dashboard
from grader.report.gradebook import (
    write_gradebook,
    write_lms_gradebook,
    write_student_reports,
    write_summary,
)
from grader.report.html import render_html
from grader.report.sanitize import APP_OUTPUT_SHOWN
from grader.result import CriterionResult, LateInfo, Result, StudentResult, SubmissionInfo
from grader.result import TestOutcome as Outcome  # aliased: pytest would try to collect Test*

XSS = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
FORMULA = '=HYPERLINK("http://evil.example","click")'
CRITERIA = [  # id, title, points, visibility
    ("home", "Home page", 20, "visible"),
    ("status", "JSON status endpoint", 20, "visible"),
    ("probes", "Probe pages", 20, "visible"),
    ("greet", "Greetings", 20, "visible"),
    ("secret", "Custom 404 page", 20, "hidden"),
]
CRITERIA_IDS = [c[0] for c in CRITERIA]
HIDDEN_MESSAGE = "assert page.title == 'the secret expected title'"
GENERATED_AT = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)

# Graded students: one letter per criterion (P pass 20, H partial 10, F fail 0) and the late penalty.
GRADED = [
    ("alice", "PPPPP", 0), ("bob", "PPPPP", 0), ("carol", "PPPPF", 0), ("dave", "PPPFP", 0),
    ("erin", "PPPHP", 0), ("frank", "PPHFF", 0), ("grace", "PPPPP", 10), ("heidi", "PFFFF", 0),
    ("ivan", "FFFFF", 0), ("judy", "PPPPH", 0), (XSS, "PPFFF", 0), (FORMULA, "PPPFF", 0),
    ("../../etc", "PHPHP", 0), ("José Ñúñez", "PPPPP", 30), ("张伟", "PPPHF", 0), ("mallory", "PPPPP", 0),
    ("niaj", "HHHHH", 0), ("olivia", "PPPPF", 0), ("peggy", "PPFPP", 0), ("rupert", "PFPFP", 0),
    ("sybil", "PPPPP", 0), ("trent", "PPPFH", 0), ("victor", "PPHPP", 0), ("walter", "FPPPP", 0),
]
ERRORS = ["xavier", "yvonne", "@zara"]  # apps that could not start: graded, status error, score 0
MISSING = ["+missing", "quinn"]
UNREACHABLE = {"-rm -rf", "ursula"}
DURATIONS = {"mallory": 30.5, "xavier": 12.0, "niaj": 9.25}  # everyone else: 1.0 + 0.01 * position


def criterion(cid: str, title: str, max_points: int, visibility: str, letter: str, student: str) -> CriterionResult:
    status = {"P": "pass", "H": "partial", "F": "fail"}[letter]
    outcomes = {"P": ("passed", "passed"), "H": ("passed", "failed"), "F": ("failed", "failed")}[letter]
    tests = []
    for n, outcome in enumerate(outcomes, 1):
        if visibility == "hidden":
            tests.append(Outcome(id=f"hidden test {n}", outcome=outcome))
        else:
            message = None if outcome == "passed" else f"GET /{cid} returned {IMG} for {student}"
            tests.append(Outcome(id=f"test_{cid}.py::test_{cid}_{n}", outcome=outcome, message=message, duration=0.01))
    return CriterionResult(
        id=cid, title=title, points={"P": max_points, "H": max_points / 2, "F": 0}[letter], max_points=max_points,
        status=status, visibility=visibility, tests=tests,
        feedback=None if status == "pass" else f"Hint for {title}: use <p class=\"greeting\">",
    )


def result_for(student: str, letters: str, *, status: str = "graded", duration: float = 1.0) -> Result:
    criteria = [criterion(*spec, letter, student) for spec, letter in zip(CRITERIA, letters)]
    errors = [f"the app could not start: ImportError in app.py line 3 {XSS}"] if status == "error" else []
    return Result(
        exercise="hello-mission", submission=SubmissionInfo(path=f"/tmp/{student}", commit="3f2a9c1d0e" * 4),
        status=status, score=sum(c.points for c in criteria), max_score=100, criteria=criteria,
        sandbox="process", duration=duration, errors=errors,
    )


def make_class() -> list[StudentResult]:
    entries = []
    for position, (student, letters, penalty) in enumerate(GRADED):
        result = result_for(student, letters, duration=DURATIONS.get(student, 1.0 + 0.01 * position))
        if student == "mallory":
            result.app_output = f"{XSS}\n</pre><h1>forged</h1>\n::error::pwned\n" + "x" * 20_000
            result.app_output_bytes = len(result.app_output)
        entries.append(StudentResult(
            student=student, status="graded", score=result.score - penalty, max_score=100,
            commit=result.submission.commit, commit_time="2026-12-01T22:10:00+01:00",
            late=LateInfo(days=penalty / 10, penalty=penalty), result=result,
            extra={"email": f"{position}@example.edu", "section": "A" if position % 2 else f"{FORMULA}"},
        ))
    for student in ERRORS:
        result = result_for(student, "FFFFF", status="error", duration=DURATIONS.get(student, 2.0))
        entries.append(StudentResult(student=student, status="error", score=0, max_score=100,
                                     commit=result.submission.commit, result=result, extra={"identifier": f"id-{student}"}))
    for student in MISSING:
        entries.append(StudentResult(student=student, status="missing", max_score=100, extra={"identifier": "x"}))
    for student in sorted(UNREACHABLE):
        entries.append(StudentResult(student=student, status="unreachable", max_score=100,
                                     reason=f"git clone failed: repository is empty {IMG}"))
    return entries


def by_name(entries: list[StudentResult], student: str) -> StudentResult:
    return next(e for e in entries if e.student == student)


@pytest.fixture
def klass() -> list[StudentResult]:
    return make_class()


@pytest.fixture
def out(tmp_path: Path, klass: list[StudentResult]) -> Path:
    """OUT as `grader run` leaves it: index.html, gradebook.csv, summary.json, reports/."""
    write_gradebook(klass, tmp_path / "gradebook.csv", CRITERIA_IDS)
    write_summary(klass, tmp_path / "summary.json", "hello-mission", "fp-123")
    write_student_reports(klass, tmp_path / "reports", "Hello, mission")
    (tmp_path / "index.html").write_text(
        render_dashboard(klass, "hello-mission", "Hello, mission", GENERATED_AT), encoding="utf-8")
    return tmp_path


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def assert_inert(html: str) -> None:
    """No element or attribute that runs code or loads anything, whatever the data held."""
    soup = soup_of(html)
    assert soup.find_all(["script", "img", "iframe", "link", "object", "embed"]) == []
    assert not [tag for tag in soup.find_all(True) if any(a.startswith("on") for a in tag.attrs)]
    assert not [tag for tag in soup.find_all(True) if any(str(tag.get(a, "")).startswith(("http", "//", "javascript:"))
                                                          for a in ("href", "src", "action"))]


# --- the student's report page --------------------------------------------------------------


def test_report_page_shows_hostile_strings_as_text(klass):
    entry = by_name(klass, XSS)
    page = render_html(entry, "Hello, mission")

    assert_inert(page)
    text = soup_of(page).get_text()
    assert XSS in text
    assert f"GET /probes returned {IMG} for {XSS}" in text


def test_report_page_lists_criteria_hints_and_failing_tests(klass):
    soup = soup_of(render_html(by_name(klass, "frank"), "Hello, mission"))

    rows = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in soup.find("tbody").find_all("tr")]
    assert rows == [
        ["✔ pass", "Home page", "20 / 20"], ["✔ pass", "JSON status endpoint", "20 / 20"],
        ["◐ partial", "Probe pages", "10 / 20"], ["✘ fail", "Greetings", "0 / 20"],
        ["✘ fail", "Custom 404 page hidden", "0 / 20"],
    ]
    sections = {s.h3.get_text(" ", strip=True): s for s in soup.find_all("section", class_="criterion")}
    assert list(sections) == ["◐ partial Probe pages — 10 / 20", "✘ fail Greetings — 0 / 20", "✘ fail Custom 404 page — 0 / 20"]
    probes = sections["◐ partial Probe pages — 10 / 20"]
    assert "Hint for Probe pages" in probes.get_text()
    assert [li.code.get_text() for li in probes.find_all("li")] == ["test_probes.py::test_probes_2"]


def test_report_page_shows_hidden_tests_only_by_number():
    result = result_for("eve", "PPPPF")
    # Even if a message slipped into a hidden criterion, the page must not show it.
    result.criteria[4].tests[1].message = HIDDEN_MESSAGE
    entry = StudentResult(student="eve", status="graded", score=80, max_score=100, result=result)

    page = render_html(entry, "Hello, mission")

    hidden = soup_of(page).find_all("section", class_="criterion")[-1]
    assert [li.get_text(" ", strip=True) for li in hidden.find_all("li")] == ["hidden test 1 : failed", "hidden test 2 : failed"]
    assert HIDDEN_MESSAGE not in page and "secret expected" not in page


def test_report_page_shows_app_output_escaped_and_capped(klass):
    page = render_html(by_name(klass, "mallory"), "Hello, mission")

    assert_inert(page)
    soup = soup_of(page)
    assert soup.find_all("h1") == [soup.h1] and soup.h1.get_text() == "mallory"  # no forged heading
    assert soup.find("h2", id="app-output").get_text() == "App output (20063 bytes, first 4000 characters shown)"
    shown = soup.find("pre", class_="output").get_text()
    assert shown.startswith(f"{XSS}\n</pre><h1>forged</h1>\n: :error::pwned\n") and len(shown) == APP_OUTPUT_SHOWN


def test_report_page_shows_late_penalty_commit_and_time(klass):
    text = soup_of(render_html(by_name(klass, "José Ñúñez"), "Hello, mission")).get_text(" ", strip=True)

    assert "70 / 100" in text
    assert "Late by 3 days: −30 points (before the penalty: 100)" in text
    assert "3f2a9c1d0e3f2a9c1d0e3f2a9c1d0e3f2a9c1d0e" in text and "2026-12-01T22:10:00+01:00" in text


def test_report_page_says_when_a_late_commit_costs_nothing():
    result = result_for("late-lou", "PPPPP")
    entry = StudentResult(student="late-lou", status="graded", score=100, max_score=100, result=result,
                          late=LateInfo(days=2, penalty=0))

    late = soup_of(render_html(entry, "Hello, mission")).find("p", class_="late").get_text(" ", strip=True)

    assert late == "Late by 2 days: no penalty"


@pytest.mark.parametrize("student, heading", [("quinn", "No submission."), ("ursula", "The repository could not be fetched.")])
def test_report_page_without_result_shows_the_reason(klass, student, heading):
    page = render_html(by_name(klass, student), "Hello, mission")

    assert_inert(page)
    notice = soup_of(page).find("div", class_="notice").get_text(" ", strip=True)
    assert notice.startswith(heading)
    if student == "ursula":
        assert notice.endswith(f"git clone failed: repository is empty {IMG}")


def test_report_page_of_an_app_that_could_not_start_shows_its_error(klass):
    soup = soup_of(render_html(by_name(klass, "xavier"), "Hello, mission"))

    notice = soup.find("div", class_="notice").get_text(" ", strip=True)
    assert notice == f"The app did not start. ImportError in app.py line 3 {XSS}"


# --- the dashboard --------------------------------------------------------------------------


def test_dashboard_histogram_counts_every_graded_score_in_its_bin(out):
    svg = soup_of((out / "index.html").read_text()).find("svg", id="histogram")

    bars = svg.find_all("rect", class_="bar")
    assert [int(b["data-count"]) for b in bars] == [4, 0, 1, 0, 1, 2, 2, 3, 6, 8]
    assert [(b["data-low"], b["data-high"]) for b in bars][::3] == [("0", "10"), ("30", "40"), ("60", "70"), ("90", "100")]
    assert [t.get_text() for t in svg.find_all("text", class_="count")] == ["4", "0", "1", "0", "1", "2", "2", "3", "6", "8"]
    assert svg.title.get_text() == "Histogram of scores out of 100, 10 bins"
    assert bars[9].find_previous_sibling("title").get_text() == "8 students scored in [90, 100]"
    heights = [float(b["height"]) for b in bars]
    assert heights[1] == 0 and heights[9] == max(heights) and heights[8] == pytest.approx(heights[9] * 6 / 8)


def test_dashboard_shows_pass_rate_per_criterion(out):
    table = soup_of((out / "index.html").read_text()).find("table", id="pass-rates")

    rates = {tr["data-criterion"]: (tr.find_all("td")[-1].get_text(strip=True), tr.find(class_="counts").get_text(strip=True))
             for tr in table.tbody.find_all("tr")}
    assert rates == {
        "home": ("78 %", "✔ 21 pass · ◐ 1 partial · ✘ 5 fail"),
        "status": ("70 %", "✔ 19 pass · ◐ 2 partial · ✘ 6 fail"),
        "probes": ("63 %", "✔ 17 pass · ◐ 3 partial · ✘ 7 fail"),
        "greet": ("44 %", "✔ 12 pass · ◐ 4 partial · ✘ 11 fail"),
        "secret": ("48 %", "✔ 13 pass · ◐ 3 partial · ✘ 11 fail"),
    }


def test_dashboard_summary_cards(out):
    cards = {c.find(class_="label").get_text(): c.find(class_="value").get_text()
             for c in soup_of((out / "index.html").read_text()).find_all("div", class_="card")}

    assert cards == {"Students": "31", "Submissions": "29", "✔ Graded": "24", "⚠ Errors": "3", "⏳ Not graded": "0",
                     "∅ Missing": "2", "✘ Unreachable": "2", "Mean / 100": "64.07", "Median / 100": "80"}


def test_dashboard_lists_erroring_and_slowest_submissions(out):
    soup = soup_of((out / "index.html").read_text())

    problems = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in soup.find("table", id="problems").tbody("tr")]
    assert [row[:2] for row in problems] == [["xavier", "⚠ error"], ["yvonne", "⚠ error"], ["@zara", "⚠ error"],
                                             ["-rm -rf", "✘ unreachable"], ["ursula", "✘ unreachable"]]
    assert problems[4][2] == f"git clone failed: repository is empty {IMG}"
    slowest = [tr.td.get_text(strip=True) for tr in soup.find("table", id="slowest").tbody("tr")]
    assert slowest == ["mallory", "xavier", "niaj", "yvonne", "@zara", "walter", "victor", "trent", "sybil", "rupert"]


def test_dashboard_links_every_student_to_a_report_that_exists(out, klass):
    page = (out / "index.html").read_text()
    assert_inert(page)

    rows = soup_of(page).find("table", id="students").tbody("tr")
    assert sorted(tr.a.get_text() for tr in rows) == sorted(e.student for e in klass)
    for tr in rows:
        href = tr.a["href"]
        assert href.startswith("reports/") and "/" not in href[len("reports/"):] and ".." not in unquote(href).split("/")
        assert (out / unquote(href)).is_file(), href
    assert {XSS, FORMULA, "../../etc", "José Ñúñez", "张伟"} <= {tr.a.get_text() for tr in rows}


def test_dashboard_of_a_class_with_no_graded_submission():
    entries = [StudentResult(student="quinn", status="missing", max_score=100)]

    soup = soup_of(render_dashboard(entries, "hello-mission", "Hello, mission", GENERATED_AT))

    assert [r["data-count"] for r in soup.find("svg", id="histogram").find_all("rect")] == ["0"] * 10
    cards = {c.find(class_="label").get_text(): c.find(class_="value").get_text() for c in soup.find_all("div", class_="card")}
    assert cards["Mean / 100"] == cards["Median / 100"] == "—" and cards["Submissions"] == "0"
    assert "No submission was graded." in soup.get_text()


# --- gradebook.csv --------------------------------------------------------------------------


def test_gradebook_has_a_row_per_student_and_a_column_per_criterion(out, klass):
    rows = read_csv(out / "gradebook.csv")

    assert rows[0] == ["student", "score", "max_score", "status", "reason", "commit", "commit_time", "late_days", "penalty",
                       "home_points", "status_points", "probes_points", "greet_points", "secret_points",
                       "email", "section", "identifier"]
    assert len(rows) == 1 + len(klass)
    grace = next(r for r in rows if r[0] == "grace")
    assert grace == ["grace", "90", "100", "graded", "", "3f2a9c1d0e" * 4, "2026-12-01T22:10:00+01:00", "1", "10",
                     "20", "20", "20", "20", "20", "6@example.edu", "'" + FORMULA, ""]
    niaj = next(r for r in rows if r[0] == "niaj")
    assert niaj[1:4] == ["50", "100", "graded"] and niaj[9:14] == ["10"] * 5
    assert next(r for r in rows if r[0] == "quinn") == ["quinn", "0", "100", "missing", "", "", "", "0", "0",
                                                        "", "", "", "", "", "", "", "x"]


def test_gradebook_cells_never_start_a_spreadsheet_formula(out):
    rows = read_csv(out / "gradebook.csv")

    students = [r[0] for r in rows[1:]]
    assert "'" + FORMULA in students and "'@zara" in students and "'+missing" in students and "'-rm -rf" in students
    assert XSS in students and "José Ñúñez" in students
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_gradebook_leaves_points_empty_without_a_result(tmp_path):
    entries = [StudentResult(student="ursula", status="unreachable", max_score=100, reason="empty")]

    write_gradebook(entries, tmp_path / "gradebook.csv", ["home"])

    assert read_csv(tmp_path / "gradebook.csv")[1] == ["ursula", "0", "100", "unreachable", "empty", "", "", "0", "0", ""]


# --- LMS gradebooks -------------------------------------------------------------------------


def roster_class() -> list[StudentResult]:
    """Two rosters mixed: GitHub Classroom's export and Classroom 50's students.csv."""
    return [
        StudentResult(student="alice", status="graded", score=85, max_score=100, result=result_for("alice", "PPPPH"),
                      extra={"identifier": "S1001", "github_username": "alice", "github_id": "101", "name": "Alice Liddell"}),
        StudentResult(student="bob", status="missing", max_score=100,
                      extra={"username": "bob", "first_name": "Bob", "last_name": "Builder", "email": "bob@uni.edu",
                             "section": "Lab 2", "github_id": "102"}),
        StudentResult(student="mallory", status="graded", score=40, max_score=100, result=result_for("mallory", "PPFFF"),
                      extra={"identifier": "=1+1", "name": "@SUM(A1)"}),
    ]


def test_canvas_gradebook_has_canvas_import_columns(tmp_path):
    path = tmp_path / "canvas.csv"

    write_lms_gradebook(roster_class(), path, "canvas", "Hello, mission (1234)")

    assert read_csv(path) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Hello, mission (1234)"],
        ["    Points Possible", "", "", "", "", "100"],
        ["Alice Liddell", "", "S1001", "", "", "85"],
        ["Builder, Bob", "", "", "bob@uni.edu", "Lab 2", "0"],
        ["'@SUM(A1)", "", "'=1+1", "", "", "40"],
    ]


def test_moodle_gradebook_has_moodle_import_columns(tmp_path):
    path = tmp_path / "moodle.csv"

    write_lms_gradebook(roster_class(), path, "moodle", "Hello mission")

    assert read_csv(path) == [
        ["First name", "Last name", "ID number", "Email address", "Hello mission"],
        ["Alice Liddell", "", "S1001", "", "85"],
        ["Bob", "Builder", "", "bob@uni.edu", "0"],
        ["'@SUM(A1)", "", "'=1+1", "", "40"],
    ]


@pytest.mark.parametrize("fmt, needed", [("canvas", "'Student' name or 'SIS User ID'"),
                                         ("moodle", "'Email address' or 'ID number'")])
def test_lms_gradebook_without_the_roster_column_writes_nothing_and_says_what_is_missing(tmp_path, klass, fmt, needed):
    path = tmp_path / f"{fmt}.csv"
    entries = roster_class() + [StudentResult(student="carol", status="missing", max_score=100),
                                StudentResult(student="dave", status="missing", max_score=100, extra={"section": "B"})]

    with pytest.raises(GraderError) as caught:
        write_lms_gradebook(entries, path, fmt, "Hello mission")

    message = str(caught.value)
    assert caught.value.exit_code == 2 and "\n" not in message
    assert message.startswith(f"{fmt} gradebook: 2 of 5 students have no {needed}")
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_moodle_gradebook_of_the_whole_class_names_how_many_lack_an_identifier(tmp_path, klass):
    with pytest.raises(GraderError, match=r"^moodle gradebook: 2 of 31 students have no 'Email address' or 'ID number'"):
        write_lms_gradebook(klass, tmp_path / "moodle.csv", "moodle", "Hello mission")


# --- summary.json ---------------------------------------------------------------------------


def test_summary_json_has_exact_class_numbers(out):
    summary = json.loads((out / "summary.json").read_text())

    generated = datetime.fromisoformat(summary.pop("generated_at"))
    assert generated.tzinfo is not None and abs((datetime.now(timezone.utc) - generated).total_seconds()) < 120
    criteria = summary.pop("criteria")
    assert summary == {
        "exercise": "hello-mission", "fingerprint": "fp-123", "students": 31,
        "counts": {"graded": 24, "error": 3, "ungradable": 0, "missing": 2, "unreachable": 2},
        "ungradable": [],
        "scored": 27, "max_score": 100,
        "score": {"mean": 64.07, "median": 80, "min": 0, "max": 100},
        "histogram": [4, 0, 1, 0, 1, 2, 2, 3, 6, 8],
    }
    assert [(c["id"], c["pass"], c["partial"], c["fail"], c["total"], c["pass_rate"]) for c in criteria] == [
        ("home", 21, 1, 5, 27, 0.7778), ("status", 19, 2, 6, 27, 0.7037), ("probes", 17, 3, 7, 27, 0.6296),
        ("greet", 12, 4, 11, 27, 0.4444), ("secret", 13, 3, 11, 27, 0.4815),
    ]
    assert criteria[4]["visibility"] == "hidden" and criteria[0]["title"] == "Home page"


# --- reports/ -------------------------------------------------------------------------------


def test_student_reports_are_written_inside_reports_for_every_name(out, klass):
    files = sorted(p.name for p in (out / "reports").iterdir())

    assert len(files) == 3 * len(klass)
    assert all(p.parent == out / "reports" for p in (out / "reports").rglob("*"))
    assert not (out.parent / "etc.html").exists() and "alice.json" in files and "张伟.html" in files


def test_student_report_json_is_the_student_result_without_app_output(out, klass):
    name = next(p for p in (out / "reports").glob("*.json") if p.name.startswith("mallory"))
    document = json.loads(name.read_text())

    assert StudentResult.model_validate(document) == by_name(klass, "mallory").model_copy(
        update={"result": by_name(klass, "mallory").result.model_copy(update={"app_output": "", "app_output_bytes": 0})})
    assert document["result"]["schema"] == 1 and "app_output" not in document["result"] and "forged" not in name.read_text()


def test_student_report_markdown_escapes_and_notes_late_penalty_and_missing(out):
    reports = out / "reports"
    jose = (reports / next(p.name for p in reports.glob("Jos*.md"))).read_text()
    assert "**Late by 3 days:** −30 points, final score 70 / 100." in jose
    xss = next(p for p in reports.glob("*.md") if p.name.startswith("_script_")).read_text()
    assert "<script>" not in xss and "&lt;script&gt;" in xss
    assert (reports / "quinn.md").read_text() == "## quinn: missing\n\nno repository\n"
    assert "&lt;img src\\=x onerror\\=\\\"alert\\(2\\)\\\"&gt;" in (reports / "ursula.md").read_text()


# --- in a real browser ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("GRADER_REQUIRE_BROWSER") == "1":
            pytest.fail("GRADER_REQUIRE_BROWSER=1 but `chromium` is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium; GRADER_REQUIRE_BROWSER=1 makes this a failure)")
    return path


def run_chromium(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"  # its own profile: parallel runs do not share a lock
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=90, env={**os.environ, "HOME": str(tmp_path)},
    )


def png_pixels(path: Path, rows: int) -> tuple[int, int, list[bytes]]:
    """Width, height and the first `rows` unfiltered pixel rows of an 8-bit RGB or RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), f"unexpected PNG format: depth {depth}, colour type {colour}"
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    raw, pixel = zlib.decompress(idat), 3 if colour == 2 else 4
    stride, previous, out = width * pixel, bytearray(width * pixel), []
    for y in range(min(rows, height)):
        kind, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = row[i - pixel] if i >= pixel else 0
            up, up_left = previous[i], previous[i - pixel] if i >= pixel else 0
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                row[i] = (row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        out.append(bytes(row))
        previous = row
    colours = [bytes(r[i:i + 3]) for r in out for i in range(0, stride, pixel)]
    return width, height, colours


@pytest.mark.browser
def test_dashboard_screenshot_in_headless_chromium_shows_the_page(out, chromium, tmp_path):
    screenshot = tmp_path / "dashboard.png"

    process = run_chromium(chromium, tmp_path, f"--screenshot={screenshot}", "--window-size=1280,2000",
                           (out / "index.html").as_uri())

    assert screenshot.is_file() and screenshot.stat().st_size > 20_000, process.stderr[-2000:]
    width, height, colours = png_pixels(screenshot, rows=900)
    assert (width, height) == (1280, 2000)
    assert len(set(colours)) > 50  # text, cards and charts, not a blank page
    assert bytes.fromhex("0072b2") in set(colours)  # the histogram's bars are drawn in the pass colour


@pytest.mark.browser
def test_dashboard_dom_in_headless_chromium_has_histogram_and_students(out, chromium, tmp_path):
    process = run_chromium(chromium, tmp_path, "--dump-dom", (out / "index.html").as_uri())

    assert process.returncode == 0, process.stderr[-2000:]
    dom = soup_of(process.stdout)
    svg = dom.find("svg", id="histogram")
    assert svg is not None and len(svg.find_all("rect", class_="bar")) == 10
    assert [int(r["data-count"]) for r in svg.find_all("rect", class_="bar")] == [4, 0, 1, 0, 1, 2, 2, 3, 6, 8]
    rows = dom.find("table", id="students").tbody.find_all("tr")
    assert len(rows) == 31 and XSS in {tr.a.get_text() for tr in rows}
    assert dom.find_all("script") == []
