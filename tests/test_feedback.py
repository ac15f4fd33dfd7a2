"""`grader feedback OUT`: each student's final report as one comment on their GitHub repository.

A real HTTP server on 127.0.0.1 stands in for GitHub: it lists the organisation's
repositories (whose clone URLs are bare repositories under tmp_path) and keeps comments.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask, jsonify, request

from conftest import HELLO, LocalServer
from grader.github.feedback import post_class_feedback

TOKEN = "ghp_feedbackTestToken0123456789abcdef"
LOGIN = "course-grader"  # whom the teacher's token belongs to
MARKER = "<!-- grader:hello-mission-grade -->"
MUTANT = HELLO / "mutants" / "two-h1"  # scores 80


class FakeGitHub(LocalServer):
    """Listing an organisation's repositories, their pull requests, and issue and commit comments."""

    def __init__(self) -> None:
        self.repos: dict[str, dict] = {}  # "org/name" → {"clone_url": ..., "pulls": [...]}
        self.comments: dict[int, dict] = {}
        self.refused: set[str] = set()  # repositories where writing a comment is forbidden
        self.limited: set[str] = set()  # repositories where writing hits a rate limit of an hour
        self.writes: list[tuple[str, str]] = []
        self.ids = itertools.count(1)
        app = Flask("fake-github")

        @app.before_request
        def check():
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return jsonify(message="Bad credentials"), 401
            if request.method in ("POST", "PATCH"):
                self.writes.append((request.method, request.path))
                if any(request.path.startswith(f"/repos/{name}/") for name in self.refused):
                    return jsonify(message="Resource not accessible by personal access token"), 403
                if any(request.path.startswith(f"/repos/{name}/") for name in self.limited):
                    return jsonify(message="You have exceeded a secondary rate limit"), 403, {"Retry-After": "3600"}
            return None

        @app.get("/orgs/<org>/repos")
        def listing(org: str):
            return jsonify([{"name": name.split("/")[1], "full_name": name, "clone_url": repo["clone_url"],
                             "size": 10, "private": True}
                            for name, repo in self.repos.items() if name.startswith(f"{org}/")])

        @app.get("/repos/<org>/<name>/pulls")
        def pulls(org: str, name: str):
            return jsonify([p for p in self.repos[f"{org}/{name}"]["pulls"] if p["state"] == request.args["state"]])

        @app.route("/repos/<org>/<name>/issues/<int:number>/comments", methods=["GET", "POST"])
        def issue_comments(org: str, name: str, number: int):
            return self.collection(f"{org}/{name}", "issue", number)

        @app.route("/repos/<org>/<name>/commits/<sha>/comments", methods=["GET", "POST"])
        def commit_comments(org: str, name: str, sha: str):
            return self.collection(f"{org}/{name}", "commit", sha)

        @app.patch("/repos/<org>/<name>/issues/comments/<int:id>")
        @app.patch("/repos/<org>/<name>/comments/<int:id>")
        def update(org: str, name: str, id: int):
            self.comments[id]["body"] = request.get_json()["body"]
            return jsonify(self.comments[id])

        super().__init__(app)

    def collection(self, repo: str, kind: str, on: int | str):
        if request.method == "GET":
            return jsonify([c for c in self.comments.values() if (c["repo"], c["kind"], c["on"]) == (repo, kind, on)])
        return jsonify(self.add(repo, kind, on, request.get_json()["body"], LOGIN)), 201

    def add(self, repo: str, kind: str, on: int | str, body: str, login: str) -> dict:
        id = next(self.ids)
        self.comments[id] = {"id": id, "repo": repo, "kind": kind, "on": on, "body": body,
                             "user": {"login": login}, "html_url": f"https://github.com/{repo}/c/{id}"}
        return self.comments[id]

    def on(self, repo: str) -> list[dict]:
        return [c for c in self.comments.values() if c["repo"] == repo]


@pytest.fixture
def github():
    fake = FakeGitHub()
    yield fake
    fake.close()


@pytest.fixture
def graded(grader, github, tmp_path, monkeypatch):
    """A class of three graded from github:cs101/hello-mission: ada (100), bob (80, with a Feedback
    pull request) and cy, whose repository could not be fetched."""
    from test_sources import Origin

    for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_SHA", "GRADER_BOT_LOGIN"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = T\n\temail = t@example.edu\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    commits = {}
    for student, app in (("ada", HELLO / "solution"), ("bob", MUTANT)):
        repo = Origin(tmp_path, f"hello-mission-{student}")
        commits[student] = repo.commit({"app.py": (app / "app.py").read_text()},
                                       datetime.now(timezone.utc) - timedelta(days=1))
        repo.work.close()
        github.repos[f"cs101/hello-mission-{student}"] = {"clone_url": repo.url, "pulls": []}
    github.repos["cs101/hello-mission-bob"]["pulls"].append({"number": 1, "title": "Feedback", "state": "open"})
    github.repos["cs101/hello-mission-cy"] = {"clone_url": (tmp_path / "gone.git").as_uri(), "pulls": []}
    out = tmp_path / "out"
    env = {"GITHUB_API_URL": github.url, "GITHUB_TOKEN": TOKEN, "GIT_CONFIG_GLOBAL": str(config)}
    run = grader("run", "hello-mission", "--from", "github:cs101/hello-mission", "--out", out,
                 "--sandbox", "inprocess", env=env)
    assert run.returncode == 0, run
    return {"out": out, "env": {**env, "GRADER_BOT_LOGIN": LOGIN}, "commits": commits}


def test_each_student_gets_one_final_grade_comment_updated_in_place(grader, github, graded):
    # The student's own workflow already left its feedback on ada's commit: it stays as it is.
    own = github.add("cs101/hello-mission-ada", "commit", graded["commits"]["ada"],
                     "<!-- grader:hello-mission -->\npush feedback", LOGIN)

    run = grader("feedback", graded["out"], env=graded["env"])

    assert run.returncode == 0, run
    assert "3 students: 2 created, 1 skipped" in run.stderr + run.stdout
    assert "cy: feedback comment skipped: nothing was graded (unreachable)" in run.stdout
    ada = [c for c in github.on("cs101/hello-mission-ada") if MARKER in c["body"]]
    assert len(ada) == 1 and ada[0]["kind"] == "commit" and ada[0]["on"] == graded["commits"]["ada"]
    assert "**Final grade for Hello\\, Mission Control**" in ada[0]["body"] and ": 100 / 100" in ada[0]["body"]
    bob = github.on("cs101/hello-mission-bob")
    assert [(c["kind"], c["on"]) for c in bob] == [("issue", 1)]  # Classroom's Feedback pull request
    assert ": 80 / 100" in bob[0]["body"] and "What to fix" in bob[0]["body"]
    assert own["body"] == "<!-- grader:hello-mission -->\npush feedback"
    assert TOKEN not in run.stdout + run.stderr

    # Nothing changed: the second run writes nothing at all.
    writes = len(github.writes)
    again = grader("feedback", graded["out"], env=graded["env"])
    assert again.returncode == 0, again
    assert "2 unchanged, 1 skipped" in again.stderr + again.stdout
    assert len(github.writes) == writes

    # A new grade replaces the text of the same comment.
    ada[0]["body"] = ada[0]["body"].replace("100 / 100", "90 / 100")
    third = grader("feedback", graded["out"], "--student", "ADA", env=graded["env"])
    assert third.returncode == 0, third
    assert "1 students: 1 updated" in third.stderr + third.stdout
    assert github.writes[-1] == ("PATCH", f"/repos/cs101/hello-mission-ada/comments/{ada[0]['id']}")
    assert len([c for c in github.on("cs101/hello-mission-ada") if MARKER in c["body"]]) == 1


def test_a_refused_repository_fails_only_its_student_and_the_exit_code(grader, github, graded):
    github.refused.add("cs101/hello-mission-ada")

    run = grader("feedback", graded["out"], env=graded["env"])

    assert run.returncode == 1, run
    line = next(line for line in run.stdout.splitlines() if line.startswith("ada: "))
    assert "403" in line and "GitHub said" in line
    assert [c["kind"] for c in github.on("cs101/hello-mission-bob")] == ["issue"]  # bob still got his
    assert "1 created, 1 skipped, 1 failed" in run.stderr


def test_a_rate_limit_stops_the_run_and_the_next_run_posts_the_rest(grader, github, graded):
    github.limited.add("cs101/hello-mission-ada")

    run = grader("feedback", graded["out"], env=graded["env"])

    assert run.returncode == 1, run
    assert "ada: GitHub's rate limit allows the next request in 3600 s" in run.stdout
    assert "bob: feedback comment skipped: not tried: GitHub's rate limit stopped this run" in run.stdout
    assert [w for w in github.writes if "bob" in w[1]] == []  # not even tried
    github.limited.clear()
    again = grader("feedback", graded["out"], env=graded["env"])
    assert again.returncode == 0 and "2 created, 1 skipped" in again.stderr + again.stdout, again


def test_writes_are_paced_and_skips_are_not(github, graded):
    pauses: list[float] = []
    results = post_class_feedback(graded["out"], TOKEN, graded["env"], pause=1.5, sleep=pauses.append)
    assert [(p.student, p.outcome.action) for p in results] == [("ada", "created"), ("bob", "created"), ("cy", "skipped")]
    assert pauses == [1.5]  # between the two writes; none after the last or for the skip
    pauses.clear()
    post_class_feedback(graded["out"], TOKEN, graded["env"], pause=1.5, sleep=pauses.append)
    assert pauses == []  # nothing written, nothing to wait for


@pytest.mark.parametrize("args, env, says", [
    (["--student", "zed"], {}, "no such student in"),
    ([], {"GITHUB_TOKEN": ""}, "no token: pass --token or set GITHUB_TOKEN"),
])
def test_bad_input_is_one_line_and_exit_2(grader, graded, args, env, says):
    run = grader("feedback", graded["out"], *args, env={**graded["env"], **env})
    assert run.returncode == 2, run
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], run.stderr


def test_a_folder_without_results_is_refused(grader, tmp_path):
    run = grader("feedback", tmp_path, env={"GITHUB_TOKEN": TOKEN})
    assert run.returncode == 2 and "no grader.db here" in run.stderr, run
