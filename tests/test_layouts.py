"""The corpus of real-world layouts (tests/layouts/, described in tests/layouts.yaml): each is graded
to its exact score in the process and docker sandboxes, one submission at a time with `grader check`
and as a class through `grader run`'s warm pool, with the notes and start errors a student reads."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REPO, exercise_image, run_grader

LAYOUTS = REPO / "tests" / "layouts"
CORPUS: dict[str, dict] = yaml.safe_load((REPO / "tests" / "layouts.yaml").read_text(encoding="utf-8"))
SANDBOXES = ("process", "docker")


def _params() -> list:
    return [pytest.param(name, sandbox, marks=[pytest.mark.docker] if sandbox == "docker" else [],
                         id=f"{name}-{sandbox}")
            for name in CORPUS for sandbox in SANDBOXES]


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory):
    """Builds (once) the image of an exercise of the corpus, on demand."""
    return lambda exercise: exercise_image(exercise, tmp_path_factory)


def test_the_corpus_and_its_description_match() -> None:
    folders = sorted(p.name for p in LAYOUTS.iterdir() if p.is_dir())
    assert folders == sorted(CORPUS), "every folder of tests/layouts/ is described in tests/layouts.yaml"
    assert len(folders) >= 20
    for name, spec in CORPUS.items():
        assert set(spec) <= {"exercise", "score", "status", "fails", "note", "error", "shape"}, name
        assert spec.get("status", "graded") == "graded" or "error" in spec, f"{name}: say which start error"


def check_verdict(name: str, result: dict) -> None:
    """The result of layout `name` is exactly what tests/layouts.yaml says."""
    spec = CORPUS[name]
    summary = f"{name}: {result['status']} {result['score']}; errors: {result['errors']}"
    assert result["status"] == spec.get("status", "graded"), summary
    assert result["score"] == spec["score"], summary
    failing = sorted(c["id"] for c in result["criteria"] if c["status"] != "pass")
    if "fails" in spec:
        assert failing == sorted(spec["fails"]), summary
    elif spec.get("status", "graded") == "graded":
        assert failing == [], summary
    if "error" in spec:
        assert result["errors"][0].startswith("the app could not start: could not locate a Flask application")
        assert spec["error"] in result["errors"][0], summary
    if "note" in spec:
        assert any(spec["note"] in e for e in result["errors"]), summary
    else:
        assert not [e for e in result["errors"] if not e.startswith("the app could not start")], summary


@pytest.mark.parametrize(("name", "sandbox"), _params())
def test_layout_gets_its_honest_score(name: str, sandbox: str, images, tmp_path: Path) -> None:
    exercise = CORPUS[name]["exercise"]
    if sandbox == "docker":
        images(exercise)
    # A copy: the app writes beside itself (instance/, probes.db) and the corpus must stay as committed.
    submission = tmp_path / name
    shutil.copytree(LAYOUTS / name, submission)
    run = run_grader("check", exercise, submission, "--sandbox", sandbox, "--format", "json")
    assert run.returncode == 0, run
    check_verdict(name, json.loads(run.stdout))


@pytest.mark.parametrize("sandbox", [pytest.param("process"), pytest.param("docker", marks=pytest.mark.docker)])
def test_grader_run_grades_every_layout_of_a_class_through_the_warm_pool(sandbox: str, images, tmp_path: Path) -> None:
    for exercise in sorted({spec["exercise"] for spec in CORPUS.values()}):
        if sandbox == "docker":
            images(exercise)
        names = [name for name, spec in CORPUS.items() if spec["exercise"] == exercise]
        klass = tmp_path / exercise / "class"
        for name in names:
            shutil.copytree(LAYOUTS / name, klass / name)
        out = tmp_path / exercise / "out"
        run = run_grader("run", exercise, "--from", klass, "--out", out, "--sandbox", sandbox, "-j", "2", timeout=600)
        assert run.returncode == 0, run
        with (out / "gradebook.csv").open(newline="", encoding="utf-8") as handle:
            book = {row["student"]: row for row in csv.DictReader(handle)}
        assert sorted(book) == sorted(names)
        for name in names:
            assert book[name]["score"] == str(CORPUS[name]["score"]), (name, book[name])
            report = json.loads((out / "reports" / f"{name}.json").read_text())
            check_verdict(name, report["result"])


# --- a course's own convention: the rubric's `app` -----------------------------------------------

def _with_app_setting(course: Path, setting: object) -> dict:
    path = course / "rubrics" / "hello-mission.yaml"
    data = yaml.safe_load(path.read_text())
    data["app"] = setting
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return {"GRADER_COURSE": str(course)}


def _check(submission: Path, env: dict) -> dict:
    run = run_grader("check", "hello-mission", submission, "--sandbox", "process", "--format", "json", env=env)
    assert run.returncode == 0, run
    return json.loads(run.stdout)


def test_the_rubric_target_is_the_only_app_looked_for(course: Path, tmp_path: Path) -> None:
    env = _with_app_setting(course, "application.py")
    submission = tmp_path / "single-file"
    shutil.copytree(LAYOUTS / "single-file", submission)  # app.py: not this course's convention

    refused = _check(submission, env)
    assert (refused["status"], refused["score"]) == ("error", 0)
    assert refused["errors"][0].startswith(
        "the app could not start: could not locate a Flask application: this exercise loads application.py, "
        "which is not at the root of the submission or one folder down. The submission holds: app.py (a Flask app `app`)")

    (submission / "app.py").rename(submission / "application.py")
    assert _check(submission, env)["score"] == 100


def test_dotenv_variables_reach_the_app_only_where_the_rubric_names_them(course: Path, tmp_path: Path) -> None:
    submission = tmp_path / "needs-a-key"
    shutil.copytree(LAYOUTS / "single-file", submission)
    source = (submission / "app.py").read_text()
    (submission / "app.py").write_text(source.replace("app = Flask(__name__)\n",
                                                      'app = Flask(__name__)\napp.config["KEY"] = __import__("os").environ["MISSION_KEY"]\n', 1))
    (submission / ".env").write_text("MISSION_KEY=from-the-student\n")

    without = _check(submission, _with_app_setting(course, {"dotenv": []}))
    assert (without["status"], without["score"]) == ("error", 0)
    assert "KeyError: 'MISSION_KEY'" in without["errors"][0]
    assert ".env: MISSION_KEY not given to the app (the grader sets its environment)" in without["errors"]

    allowed = _check(submission, _with_app_setting(course, {"dotenv": ["MISSION_KEY"]}))
    assert (allowed["status"], allowed["score"], allowed["errors"]) == ("graded", 100, [])


def test_run_at_import_fail_stops_the_app_at_once_with_the_line(course: Path, tmp_path: Path) -> None:
    submission = tmp_path / "run-at-import"
    shutil.copytree(LAYOUTS / "run-at-import", submission)

    result = _check(submission, _with_app_setting(course, {"run_at_import": "fail"}))

    assert (result["status"], result["score"]) == ("error", 0)
    assert result["errors"][0] == (
        "the app could not start: app.py, line 37: app.run() is called when the app is imported, so gunicorn "
        'and the grader would wait on it forever; put it under `if __name__ == "__main__":`')
    assert result["duration"] < 10, "no start time-out: the call returned at once"
