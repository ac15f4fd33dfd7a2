"""End to end: `grader check` and `grader validate` as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import HELLO, REPO

MUTANTS = sorted(p for p in (HELLO / "mutants").iterdir() if p.is_dir())


def test_solution_scores_full_marks_as_json(grader):
    run = grader("check", "hello-mission", HELLO / "solution", "--format", "json")
    assert run.returncode == 0, run
    result = json.loads(run.stdout)  # stdout holds only the document
    assert result["schema"] == 1
    assert result["exercise"] == "hello-mission"
    assert (result["status"], result["score"], result["max_score"]) == ("graded", 100, 100)
    assert [c["id"] for c in result["criteria"]] == ["home", "status", "probe", "greet", "not-found"]
    assert all(c["status"] == "pass" and c["points"] == 20 for c in result["criteria"])
    assert result["sandbox"] == "process"  # the default for `grader check`
    assert result["submission"] == {"path": str(HELLO / "solution"), "commit": None}
    assert result["errors"] == []
    test = result["criteria"][0]["tests"][0]
    assert set(test) == {"id", "outcome", "message", "duration"}


def test_starter_scores_at_most_ten_percent(grader):
    result = grader("check", "hello-mission", HELLO / "starter", "--format", "json").json()
    assert result["status"] == "graded"
    assert result["score"] <= 10
    assert all(c["feedback"] for c in result["criteria"] if c["status"] == "fail")


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_each_mutant_gets_its_declared_score(grader, mutant: Path):
    declared = yaml.safe_load((mutant / "mutant.yaml").read_text())
    run = grader("check", "hello-mission", mutant, "--format", "json")
    assert run.returncode == 0, run
    result = run.json()
    assert result["score"] == declared["expected_score"]
    assert sorted(c["id"] for c in result["criteria"] if c["status"] == "fail") == sorted(declared["fails"])


def test_text_report_shows_table_hint_and_failure(grader):
    run = grader("check", "hello-mission", HELLO / "mutants" / "two-h1")
    assert run.returncode == 0, run
    assert "hello-mission: 80 / 100" in run.stdout
    assert "Home page" in run.stdout and "0 / 20" in run.stdout
    assert "Hint:" in run.stdout
    assert "expected exactly one" in run.stdout


def test_markdown_report_for_a_comment(grader):
    run = grader("check", "hello-mission", HELLO / "mutants" / "unescaped-greeting", "--format", "markdown")
    assert run.returncode == 0, run
    assert run.stdout.startswith("## ❌ hello\\-mission: 80 / 100")
    assert "| ❌ | Greetings | 0 / 20 |" in run.stdout
    assert "### What to fix" in run.stdout
    assert "<img" not in run.stdout  # the failure message quotes the injected tag, escaped


def test_hidden_tests_never_show_their_names(grader):
    result = grader("check", "hello-mission", HELLO / "mutants" / "probe-string-converter", "--format", "json").json()
    text = json.dumps(result)
    assert "test_probe_page_shows_other_numbers" not in text and "2026" not in text
    probe = next(c for c in result["criteria"] if c["id"] == "probe")
    assert any(t["id"].startswith("hidden test") and t["message"] is None for t in probe["tests"])


def test_output_file_gets_the_report(grader, tmp_path):
    target = tmp_path / "report.json"
    run = grader("check", "hello-mission", HELLO / "solution", "--format", "json", "--output", target)
    assert run.returncode == 0, run
    assert run.stdout == ""
    assert json.loads(target.read_text())["score"] == 100
    assert "100 / 100" in run.stderr


def test_path_defaults_to_the_working_directory(grader, tmp_path):
    submission = tmp_path / "me"
    shutil.copytree(HELLO / "solution", submission)
    run = grader("check", "hello-mission", "--format", "json", cwd=submission)
    assert run.returncode == 0, run
    assert run.json()["score"] == 100


def test_exercise_given_as_a_folder(grader):
    run = grader("check", HELLO, HELLO / "solution", "--format", "json")
    assert run.returncode == 0, run
    assert run.json()["score"] == 100


def test_submission_commit_is_recorded(grader, tmp_path):
    import git

    submission = tmp_path / "repo"
    shutil.copytree(HELLO / "solution", submission)
    repo = git.Repo.init(submission)
    repo.index.add(["app.py"])
    commit = repo.index.commit("solve it", author=git.Actor("S", "s@example.com"), committer=git.Actor("S", "s@example.com"))
    result = grader("check", "hello-mission", submission, "--format", "json").json()
    assert result["submission"]["commit"] == commit.hexsha


def test_config_files_in_the_submission_do_not_steer_pytest(grader):
    # conftest.py, pytest.ini, pyproject.toml, setup.cfg, tox.ini, sitecustomize.py, pytest.py, *.pth
    submission = REPO / "tests" / "adversarial" / "config-files"
    expected = yaml.safe_load((submission / "expected.yaml").read_text())
    run = grader("check", expected["exercise"], submission, "--format", "json")
    assert run.returncode == 0, run
    result = run.json()
    assert result["status"] == "graded"
    assert result["score"] == expected["score"]
    assert len([t for c in result["criteria"] for t in c["tests"]]) == 21  # every test ran and reported


# --- apps that cannot be graded: status "error", score 0, one clear message, exit 0 ---------------

def _error_result(grader, tmp_path: Path, files: dict[str, bytes]) -> dict:
    submission = tmp_path / "broken"
    submission.mkdir()
    for name, content in files.items():
        (submission / name).write_bytes(content)
    run = grader("check", "hello-mission", submission, "--format", "json")
    assert run.returncode == 0, run
    result = run.json()
    assert (result["status"], result["score"]) == ("error", 0)
    assert all(c["status"] == "fail" and c["points"] == 0 for c in result["criteria"])
    assert str(tmp_path) not in json.dumps(result["errors"])
    return result


def test_submission_without_an_app(grader, tmp_path):
    result = _error_result(grader, tmp_path, {"main.py": b"print('hi')\n"})
    assert "could not locate a Flask application" in result["errors"][0]
    # Said once, in errors: not repeated as every criterion's feedback.
    assert all(c["feedback"] is None and c["points"] == 0 for c in result["criteria"])
    assert json.dumps(result).count("could not locate a Flask application") == 1


def test_syntax_error_names_file_and_line(grader, tmp_path):
    result = _error_result(grader, tmp_path, {"app.py": b"from flask import Flask\napp = Flask(__name__\n\n"})
    assert "app.py, line 2: SyntaxError" in result["errors"][0]


def test_import_error_names_file_and_line(grader, tmp_path):
    result = _error_result(grader, tmp_path, {"app.py": b"import os\nimport flask_nonexistent_ext\n"})
    assert "app.py, line 2: ModuleNotFoundError: No module named 'flask_nonexistent_ext'" in result["errors"][0]
    # The student's fault, and said so: nobody provides that module; the exercise provides Flask only.
    assert result["status"] == "error" and result["score"] == 0
    assert "neither the submission nor the exercise provides 'flask_nonexistent_ext'" in result["errors"][0]
    assert "the exercise provides: Flask)" in result["errors"][0]


def test_app_file_that_is_not_utf8(grader, tmp_path):
    result = _error_result(grader, tmp_path, {"app.py": b"from flask import Flask\napp = Flask('\xff\xfe')\n"})
    assert "SyntaxError" in result["errors"][0]


def test_text_report_for_an_app_that_cannot_start(grader, tmp_path):
    (tmp_path / "app.py").write_text("raise RuntimeError('boom')\n")
    run = grader("check", "hello-mission", tmp_path)
    assert run.returncode == 0, run
    assert "(the app did not start)" in run.stdout
    assert run.stdout.count("app.py, line 1: RuntimeError: boom") == 1  # once, not under every test


# --- bad input: one line on stderr, exit 2, no traceback ----------------------------------------

def _one_line_error(run) -> str:
    assert run.returncode == 2, run
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run
    assert lines[0].startswith("grader: error: ")
    return lines[0]


def test_unknown_exercise(grader):
    line = _one_line_error(grader("check", "no-such-exercise", HELLO / "solution"))
    assert "unknown exercise 'no-such-exercise'" in line and "hello-mission" in line


def test_missing_submission_path(grader, tmp_path):
    line = _one_line_error(grader("check", "hello-mission", tmp_path / "nope"))
    assert f"{tmp_path / 'nope'}: no such folder" in line


def test_bad_format_flag(grader):
    line = _one_line_error(grader("check", "hello-mission", HELLO / "solution", "--format", "xml"))
    assert "'xml' is not one of" in line


def test_bad_sandbox_flag(grader):
    _one_line_error(grader("check", "hello-mission", HELLO / "solution", "--sandbox", "vm"))


def test_invalid_rubric_names_file_line_and_key(grader, course):
    rubric = course / "rubrics" / "hello-mission.yaml"
    text = rubric.read_text().replace("    points: 20\n", "    pointz: 20\n", 1)
    rubric.write_text(text)
    line_number = text.splitlines().index("    pointz: 20") + 1
    run = grader("check", "hello-mission", HELLO / "solution", env={"GRADER_COURSE": str(course)})
    line = _one_line_error(run)
    assert f"{rubric}:{line_number}: criteria[0] (home): unknown key 'pointz' (allowed: id, title, points," in line


def test_rubric_that_is_not_utf8(grader, course):
    rubric = course / "rubrics" / "hello-mission.yaml"
    rubric.write_bytes(b"\xff" + rubric.read_bytes())
    line = _one_line_error(grader("check", "hello-mission", HELLO / "solution", env={"GRADER_COURSE": str(course)}))
    assert "not UTF-8" in line


def test_test_outside_every_criterion_is_a_rubric_error(grader, course):
    tests = course / "exercises" / "hello-mission" / "tests"
    (tests / "test_extra.py").write_text("def test_orphan(client):\n    assert True\n")
    line = _one_line_error(grader("check", "hello-mission", HELLO / "solution", env={"GRADER_COURSE": str(course)}))
    assert "test_extra.py::test_orphan belongs to no criterion" in line


def test_broken_exercise_tests_are_reported(grader, course):
    tests = course / "exercises" / "hello-mission" / "tests"
    (tests / "test_broken.py").write_text("import no_such_module_here\n")
    line = _one_line_error(grader("check", "hello-mission", HELLO / "solution", env={"GRADER_COURSE": str(course)}))
    assert "failed to load" in line and "no_such_module_here" in line


# --- grader validate -----------------------------------------------------------------------------

def test_validate_passes_for_the_bundled_exercise(grader):
    run = grader("validate", "hello-mission")
    assert run.returncode == 0, run
    assert "11 of 11 checks passed" in run.stdout
    for mutant in MUTANTS:
        assert f"mutants/{mutant.name}" in run.stdout


def test_validate_fails_when_a_mutant_scores_otherwise(grader, course):
    mutant = course / "exercises" / "hello-mission" / "mutants" / "two-h1" / "mutant.yaml"
    mutant.write_text(mutant.read_text().replace("expected_score: 80", "expected_score: 60"))
    run = grader("validate", "hello-mission", env={"GRADER_COURSE": str(course)})
    assert run.returncode == 1, run
    assert "10 of 11 checks passed" in run.stderr
    assert "wrong score" in run.stdout


def test_validate_fails_when_a_mutant_fails_other_criteria(grader, course):
    mutant = course / "exercises" / "hello-mission" / "mutants" / "two-h1" / "mutant.yaml"
    mutant.write_text(mutant.read_text().replace("fails: [home]", "fails: [greet]"))
    run = grader("validate", "hello-mission", env={"GRADER_COURSE": str(course)})
    assert run.returncode == 1, run
    assert "fails home, declared greet" in run.stdout


def test_validate_fails_when_the_solution_is_wrong(grader, course):
    solution = course / "exercises" / "hello-mission" / "solution" / "app.py"
    solution.write_text(solution.read_text().replace('"nominal"', '"ok"'))
    run = grader("validate", "hello-mission", env={"GRADER_COURSE": str(course)})
    assert run.returncode == 1, run
    assert "solution" in run.stdout and "wrong score" in run.stdout


def test_validate_reports_a_malformed_mutant_file(grader, course):
    mutant = course / "exercises" / "hello-mission" / "mutants" / "two-h1" / "mutant.yaml"
    mutant.write_text("mistake: x\nexpected_score: eighty\n")
    line = _one_line_error(grader("validate", "hello-mission", env={"GRADER_COURSE": str(course)}))
    assert "two-h1/mutant.yaml: expected_score:" in line


# --- time limits ---------------------------------------------------------------------------------

def _with_limits(course: Path, **limits: float) -> None:
    rubric = course / "rubrics" / "hello-mission.yaml"
    data = yaml.safe_load(rubric.read_text())
    data["limits"].update(limits)
    rubric.write_text(yaml.safe_dump(data, sort_keys=False))


def test_app_that_never_starts_fails_once_in_bounded_time(grader, course, tmp_path):
    _with_limits(course, start_timeout=1)
    submission = tmp_path / "slow"
    submission.mkdir()
    (submission / "app.py").write_text("from flask import Flask\nwhile True:\n    pass\napp = Flask(__name__)\n")
    run = grader("check", "hello-mission", submission, "--format", "json", env={"GRADER_COURSE": str(course)})
    assert run.returncode == 0, run
    result = run.json()
    assert (result["status"], result["score"]) == ("error", 0)
    assert result["errors"][0] == "the app could not start: the app did not start within 1 s"
    assert result["duration"] < 10  # started once, not once per test


def test_request_that_hangs_fails_only_its_own_tests(grader, course, tmp_path):
    _with_limits(course, request_timeout=1)
    submission = tmp_path / "hang"
    shutil.copytree(HELLO / "solution", submission)
    app = submission / "app.py"
    app.write_text(app.read_text().replace(
        'def status():\n', 'def status():\n    while True:\n        pass\n'))
    result = grader("check", "hello-mission", submission, "--format", "json", env={"GRADER_COURSE": str(course)}).json()
    assert result["score"] == 80
    status = next(c for c in result["criteria"] if c["id"] == "status")
    assert status["status"] == "fail"
    assert status["tests"][0]["message"] == "GET /status did not answer within 1 s"


def test_exercise_tests_can_share_a_helper_module(grader, course):
    tests = course / "exercises" / "hello-mission" / "tests"
    (tests / "helpers.py").write_text("def shout(text):\n    return text.upper() + '!'\n")
    (tests / "test_shared.py").write_text(
        "import pytest\nfrom helpers import shout\n\n"
        "@pytest.mark.criterion('home')\ndef test_uses_the_helper(client):\n    assert shout('hq') == 'HQ!'\n")
    run = grader("check", "hello-mission", HELLO / "solution", "--format", "json", env={"GRADER_COURSE": str(course)})
    assert run.returncode == 0, run
    home = next(c for c in run.json()["criteria"] if c["id"] == "home")
    assert {"id": "test_shared.py::test_uses_the_helper", "outcome": "passed"}.items() <= \
        next(t for t in home["tests"] if t["id"] == "test_shared.py::test_uses_the_helper").items()
