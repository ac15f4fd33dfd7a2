"""`--format github`: step summary, annotations, Classroom output, and student output kept inert."""

from __future__ import annotations

import base64
import json
import re
import shutil

from grader.github.actions import (
    MAX_ANNOTATIONS, annotations, classroom_result, escape_data, escape_property, log_lines, write_outputs,
)
from grader.result import CriterionResult, Result, SubmissionInfo, TestOutcome

from conftest import HELLO

WORKFLOW_COMMAND = re.compile(r"^::[a-z-]+", re.MULTILINE)


def make_result(criteria: list[CriterionResult], status: str = "graded", errors: list[str] | None = None,
                app_output: str = "") -> Result:
    result = Result(
        exercise="demo", submission=SubmissionInfo(path="."), status=status,
        score=sum(c.points for c in criteria), max_score=sum(c.max_points for c in criteria),
        criteria=criteria, sandbox="process", duration=1.0, errors=errors or [],
    )
    result.app_output = app_output
    return result


def crit(ident: str, points: float, max_points: int, status: str, *, hidden: bool = False,
         feedback: str | None = None, message: str | None = None) -> CriterionResult:
    outcome = "passed" if status == "pass" else "failed"
    test_id = "hidden test 1" if hidden else f"test_{ident}.py::test_it"
    return CriterionResult(
        id=ident, title=ident.title(), points=points, max_points=max_points, status=status,
        visibility="hidden" if hidden else "visible", feedback=feedback,
        tests=[TestOutcome(id=test_id, outcome=outcome, message=None if hidden else message, duration=0.25)],
    )


def test_escaping_follows_the_runner_rules():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_import_error_points_at_the_students_file_and_line():
    result = make_result([crit("home", 0, 20, "fail")], status="error",
                         errors=["the app could not start: app.py, line 3: SyntaxError: invalid syntax"])
    lines = annotations(result, "submission")
    assert lines[0] == ("::error file=submission/app.py,line=3,title=The app did not start::"
                        "the app could not start: app.py, line 3: SyntaxError: invalid syntax")


def test_failed_and_partial_criteria_become_errors_and_warnings_with_escaped_text():
    result = make_result([
        crit("home", 0, 20, "fail", feedback="Check: the <h1>, please", message="GET / gave 500\nBody: 100%"),
        crit("greet", 10, 20, "partial", feedback="Half"),
        crit("ok", 20, 20, "pass"),
    ])
    lines = annotations(result)
    assert lines == [
        "::error title=Home%3A 0 / 20::Check: the <h1>, please — GET / gave 500%0ABody: 100%25",
        "::warning title=Greet%3A 10 / 20::Half",
    ]


def test_at_most_ten_annotations_of_each_kind():
    result = make_result([crit(f"c{i}", 0, 1, "fail") for i in range(15)] + [crit(f"p{i}", 1, 2, "partial") for i in range(12)])
    lines = annotations(result)
    assert sum(line.startswith("::error") for line in lines) == MAX_ANNOTATIONS
    assert sum(line.startswith("::warning") for line in lines) == MAX_ANNOTATIONS


def test_hidden_criteria_are_title_and_points_only_everywhere():
    secret = "the admin password is swordfish"
    hidden = crit("admin", 0, 30, "fail", hidden=True)
    result = make_result([crit("home", 20, 20, "pass"), hidden])
    outputs = "\n".join(annotations(result)) + json.dumps(classroom_result(result)) + "\n".join(log_lines(result))
    assert secret not in outputs and "test_admin" not in outputs
    admin = classroom_result(result)["tests"][1]
    assert admin == {"name": "Admin (30 points)", "status": "fail", "score": 0, "message": "", "test_code": "",
                     "filename": "", "line_no": 0, "duration": 250}


def test_classroom_output_decodes_with_the_same_total(tmp_path):
    result = make_result([crit("home", 20, 20, "pass"), crit("greet", 7.5, 20, "partial"), crit("x", 0, 10, "fail")])
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    write_outputs(result, {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)})
    key, _, value = output.read_text().strip().partition("=")
    assert key == "result"
    decoded = json.loads(base64.b64decode(value))
    assert decoded["version"] == 1 and decoded["status"] == "fail" and decoded["max_score"] == 50
    assert sum(t["score"] for t in decoded["tests"]) == result.score == 27.5
    assert sum(int(t["name"].split("(")[1].split()[0]) for t in decoded["tests"]) == decoded["max_score"]
    assert summary.read_text().startswith("## ❌ demo: 27.5 / 50")


def test_step_summary_stays_under_one_mebibyte(tmp_path):
    huge = crit("home", 0, 20, "fail", feedback="x" * 400, message="y " * 2_000_000)
    result = make_result([huge] * 3)
    summary = tmp_path / "summary.md"
    write_outputs(result, {"GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.stat().st_size < 1024 * 1024


def test_app_output_is_inside_stop_commands_and_defused():
    result = make_result([crit("home", 0, 20, "fail")], app_output="::error::pwned\n::add-mask::x\n")
    lines = log_lines(result)
    start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
    token = lines[start].split("::")[2]
    assert len(token) >= 32 and lines[-1] == f"::{token}::"
    report = "\n".join(lines[start + 1:-1])
    assert "pwned" in report and not WORKFLOW_COMMAND.search(report)


def test_check_in_github_actions_writes_summary_output_and_log(grader, tmp_path):
    submission = tmp_path / "workspace" / "submission"
    shutil.copytree(HELLO / "mutants" / "two-h1", submission)
    app = submission / "app.py"
    app.write_text(app.read_text().replace('app = Flask(__name__)', 'app = Flask(__name__)\nprint("::error::forged by the student")\nprint("::set-output name=result::e30=")'))
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_WORKSPACE": str(tmp_path / "workspace")}
    run = grader("check", "hello-mission", submission, env=env)  # --format github is automatic
    assert run.returncode == 0, run
    assert run.stdout.startswith("::error title=Home page%3A 0 / 20::")
    assert "forged by the student" in run.stdout  # shown in the report, but never as a command:
    assert [line for line in run.stdout.splitlines() if "forged" in line and line.startswith("::")] == []
    assert "::set-output" not in run.stdout
    decoded = json.loads(base64.b64decode(output.read_text().strip().split("=", 1)[1]))
    assert sum(t["score"] for t in decoded["tests"]) == 80
    assert "80 / 100" in summary.read_text()
    assert "feedback comment skipped" in run.stderr  # no token in this environment


def test_two_pushes_in_actions_leave_one_comment_and_no_token_anywhere(grader, tmp_path):
    from test_github_comment import BOT, REPO, SHA, TOKEN, FakeGitHub

    api = FakeGitHub()
    try:
        submission = tmp_path / "workspace"
        shutil.copytree(HELLO / "mutants" / "two-h1", submission)
        event = tmp_path / "event.json"
        event.write_text("{}")
        env = {"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": api.url,
               "GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event),
               "GITHUB_SHA": SHA, "GITHUB_WORKSPACE": str(submission),
               "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
        first = grader("check", "hello-mission", submission, env=env)
        shutil.copy(HELLO / "solution" / "app.py", submission / "app.py")  # the student fixes it
        second = grader("check", "hello-mission", submission, env=env)
        for run in (first, second):
            assert run.returncode == 0, run
            assert TOKEN not in run.stdout + run.stderr
        assert "feedback comment created" in first.stderr and "feedback comment updated" in second.stderr
        ours = [c for c in api.on("commit", SHA) if c["user"]["login"] == BOT]
        assert len(ours) == 1
        assert "<!-- grader:hello-mission -->" in ours[0]["body"] and "100 / 100" in ours[0]["body"]
        assert TOKEN not in (tmp_path / "out").read_text() + (tmp_path / "summary").read_text()
    finally:
        api.close()
