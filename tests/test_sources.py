"""Where submissions come from: folders, CSV class lists, GitHub organisations; safe Git fetching."""

from __future__ import annotations

import base64
import http.server
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import git
import pytest
from flask import Flask, jsonify, request

from conftest import LocalServer
from grader.errors import GraderError
from grader.shard import Shard
from grader.sources import Submission
from grader.sources.collect import collect, folder_names, start_collecting
from grader.sources.git import FetchError, check_url, fetch, git_environment
from grader.sources.local import from_directory
from grader.sources.roster import read_roster

DEADLINE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=1)))
TOKEN = "ghs_SeCrEt0123456789token"


def at(days: float) -> datetime:
    """A moment `days` after the deadline (negative: before it)."""
    return DEADLINE + timedelta(days=days)


@pytest.fixture(autouse=True)
def quiet_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Git reads only a global config of the test's own, and no GitHub variable leaks in."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Test Student\n\temail = student@example.edu\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_SERVER_URL", "GIT_ALLOW_PROTOCOL", "GIT_DIR"):
        monkeypatch.delenv(name, raising=False)
    return config


class Origin:
    """A student's repository: a bare repository (its file:// URL) fed from a work tree."""

    def __init__(self, root: Path, name: str, branch: str = "main") -> None:
        self.bare = root / "remotes" / f"{name}.git"
        git.Repo.init(self.bare, bare=True, initial_branch=branch).close()
        self.work = git.Repo.init(root / "clones" / name, initial_branch=branch)
        self.url = self.bare.as_uri()
        self.branch = branch

    def commit(self, files: dict[str, str | bytes], when: datetime, message: str = "work") -> str:
        for name, content in files.items():
            path = Path(self.work.working_tree_dir) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        stamp = when.isoformat()
        self.work.git.add("-A")
        self.work.git.commit("-q", "--allow-empty", "-m", message,
                             env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
        self.push()
        return self.work.head.commit.hexsha

    def push(self) -> None:
        self.work.git.push("-q", "--force", self.url, f"HEAD:refs/heads/{self.work.active_branch.name}")


@pytest.fixture
def origin(tmp_path: Path):
    made: list[Origin] = []

    def make(name: str, branch: str = "main") -> Origin:
        repo = Origin(tmp_path, name, branch)
        made.append(repo)
        return repo

    yield make
    for repo in made:
        repo.work.close()


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    return {"cache": tmp_path / "cache", "work": tmp_path / "work"}


def class_list(tmp_path: Path, rows: list[str], header: str = "student,repo") -> Path:
    path = tmp_path / "class.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def gather(source: str | Path, dirs: dict[str, Path], **options) -> dict[str, Submission]:
    settings = {"deadline": None, "grade_newest": False, "token": None, "roster": None, **options}
    return {s.student: s for s in collect(str(source), cache=dirs["cache"], work=dirs["work"], **settings)}


def files_of(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def mirrors(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.git"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ── fetching and exporting ──────────────────────────────────────────────────────────────────


def test_repository_is_mirrored_bare_and_its_head_exported_without_git_metadata(tmp_path, origin, dirs):
    alice = origin("alice")
    sha = alice.commit({"app.py": "print('hi')\n", "templates/index.html": "<h1>Hi</h1>\n"}, at(-1))
    csv = class_list(tmp_path, [f"alice,{alice.url}"])

    found = gather(csv, dirs)["alice"]

    assert (found.status, found.commit, found.late_days) == ("ok", sha, 0.0)
    assert found.commit_time == at(-1)
    assert found.path == dirs["work"] / "alice"
    assert files_of(found.path) == {"app.py": "print('hi')\n", "templates/index.html": "<h1>Hi</h1>\n"}
    [mirror] = mirrors(dirs["cache"])
    with git.Repo(mirror) as repo:
        assert repo.bare and repo.head.commit.hexsha == sha
    assert "alice" not in (mirror / "config").read_text()  # the URL is given on the command line only


def test_deadline_grades_newest_commit_not_after_it_and_records_how_late_the_newest_is(tmp_path, origin, dirs):
    alice = origin("alice")
    alice.commit({"app.py": "v1\n"}, at(-2))
    on_time = alice.commit({"app.py": "v2\n"}, at(-1 / 24))
    alice.commit({"app.py": "v3\n"}, at(1.5))
    csv = class_list(tmp_path, [f"alice,{alice.url}"])

    found = gather(csv, dirs, deadline=DEADLINE)["alice"]

    assert (found.status, found.commit, found.commit_time) == ("ok", on_time, at(-1 / 24))
    assert found.late_days == pytest.approx(1.5)
    assert files_of(found.path) == {"app.py": "v2\n"}


def test_grade_newest_takes_the_newest_commit_with_its_lateness(tmp_path, origin, dirs):
    alice = origin("alice")
    alice.commit({"app.py": "v1\n"}, at(-2))
    newest = alice.commit({"app.py": "v2\n"}, at(0.25))
    csv = class_list(tmp_path, [f"alice,{alice.url}"])

    found = gather(csv, dirs, deadline=DEADLINE, grade_newest=True)["alice"]

    assert (found.commit, found.late_days) == (newest, pytest.approx(0.25))
    assert files_of(found.path) == {"app.py": "v2\n"}


def test_no_commit_before_the_deadline_is_unreachable_with_the_reason(tmp_path, origin, dirs):
    alice = origin("alice")
    alice.commit({"app.py": "late\n"}, at(0.1))
    csv = class_list(tmp_path, [f"alice,{alice.url}"])

    found = gather(csv, dirs, deadline=DEADLINE)["alice"]

    assert (found.status, found.reason, found.path) == ("unreachable", "no commit before the deadline", None)


def test_deadline_follows_first_parent_history_only(tmp_path, origin, dirs):
    alice = origin("alice")
    mainline = alice.commit({"app.py": "main\n"}, at(-3))
    alice.work.git.checkout("-q", "-b", "feature")
    alice.commit({"feature.py": "side\n"}, at(-1))  # before the deadline, but only merged after it
    alice.work.git.checkout("-q", "main")
    stamp = at(1).isoformat()
    alice.work.git.merge("-q", "--no-ff", "-m", "merge", "feature",
                         env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    alice.push()
    csv = class_list(tmp_path, [f"alice,{alice.url}"])

    found = gather(csv, dirs, deadline=DEADLINE)["alice"]

    assert found.commit == mainline
    assert files_of(found.path) == {"app.py": "main\n"}


def test_default_branch_is_the_remote_head(tmp_path, origin, dirs):
    alice = origin("alice", branch="trunk")
    alice.commit({"app.py": "trunk\n"}, at(-1))
    alice.work.git.checkout("-q", "-b", "main")
    alice.commit({"app.py": "not the default branch\n"}, at(-0.5))
    csv = class_list(tmp_path, [f"alice,{alice.url}"])

    found = gather(csv, dirs)["alice"]

    assert files_of(found.path) == {"app.py": "trunk\n"}


def test_no_hook_and_no_filter_of_anyone_runs_while_fetching_and_exporting(tmp_path, origin, dirs, quiet_git):
    alice = origin("alice")
    attributes = "*.py filter=evil\nversion.txt export-subst\nsecret.txt export-ignore\n"
    alice.commit({".gitattributes": attributes, "app.py": "print('hi')\n", "version.txt": "$Format:%H$\n",
                  "secret.txt": "kept\n"}, at(-1))
    marker = tmp_path / "PWNED"
    for hooks in (alice.bare / "hooks", tmp_path / "evil-hooks"):
        hooks.mkdir(exist_ok=True)
        for hook in ("post-checkout", "post-merge", "reference-transaction", "post-update", "pre-auto-gc"):
            script = hooks / hook
            script.write_text(f"#!/bin/sh\necho {hook} >> '{marker}'\n")
            script.chmod(0o755)
    # The teacher's own configuration names hooks and a filter driver: neither may run either.
    with quiet_git.open("a") as config:
        config.write(f"[core]\n\thooksPath = {tmp_path / 'evil-hooks'}\n"
                     f"[filter \"evil\"]\n\tsmudge = sh -c 'echo smudge >> {marker}; cat'\n\trequired = true\n")
    csv = class_list(tmp_path, [f"alice,{alice.url}"])

    found = gather(csv, dirs)["alice"]

    assert found.status == "ok", found.reason
    assert not marker.exists(), marker.read_text()
    assert files_of(found.path) == {".gitattributes": attributes, "app.py": "print('hi')\n",
                                    "version.txt": "$Format:%H$\n", "secret.txt": "kept\n"}


def test_submodules_are_never_fetched(tmp_path, origin, dirs):
    library = origin("library")
    library.commit({"secret.py": "SECRET = 1\n"}, at(-2))
    alice = origin("alice")
    alice.commit({"app.py": "app\n"}, at(-2))
    alice.work.git.execute(["git", "-c", "protocol.file.allow=always", "submodule", "--quiet", "add",
                            library.url, "lib"])
    alice.commit({}, at(-1), "add a submodule")
    csv = class_list(tmp_path, [f"alice,{alice.url}"])

    found = gather(csv, dirs)["alice"]

    assert found.status == "ok"
    lib = found.path / "lib"
    assert not lib.exists() or not any(lib.iterdir())
    assert len(mirrors(dirs["cache"])) == 1


def test_symlinks_leaving_the_export_are_left_out(tmp_path, origin, dirs):
    alice = origin("alice")
    clone = Path(alice.work.working_tree_dir)
    (clone / "app.py").write_text("app\n")
    (clone / "inside.py").symlink_to("app.py")
    (clone / "escape").symlink_to("/etc/passwd")
    alice.commit({}, at(-1))
    csv = class_list(tmp_path, [f"alice,{alice.url}"])

    found = gather(csv, dirs)["alice"]

    assert (found.path / "inside.py").is_symlink() and (found.path / "inside.py").read_text() == "app\n"
    assert not (found.path / "escape").exists() and not (found.path / "escape").is_symlink()


def test_empty_and_missing_repositories_are_unreachable_and_the_others_still_fetched(tmp_path, origin, dirs):
    empty = origin("empty")
    alice = origin("alice")
    alice.commit({"app.py": "app\n"}, at(-1))
    csv = class_list(tmp_path, [f"alice,{alice.url}", f"empty,{empty.url}",
                                f"ghost,{(tmp_path / 'nowhere.git').as_uri()}"])

    found = gather(csv, dirs)

    assert found["alice"].status == "ok"
    assert (found["empty"].status, found["empty"].reason) == ("unreachable", "empty repository")
    assert found["ghost"].status == "unreachable"
    assert "nowhere.git" in found["ghost"].reason and "\n" not in found["ghost"].reason
    assert len(mirrors(dirs["cache"])) == 1  # failed first fetches leave no mirror behind


@pytest.mark.parametrize("url, reason", [
    ("git://127.0.0.1/cs101/alice.git", "git:// URLs are not allowed"),
    ("http://127.0.0.1/cs101/alice.git", "http:// URLs are not allowed"),
    ("ext::sh -c touch% {marker}", "ext:: transport URLs are not allowed"),
    ("fd::3", "fd:: transport URLs are not allowed"),
    ("https://alice:hunter2@127.0.0.1/cs101/alice.git", "the URL carries a password"),
])
def test_other_transports_are_refused_before_git_runs(tmp_path, dirs, url, reason):
    marker = tmp_path / "PWNED"
    url = url.format(marker=marker)
    with pytest.raises(FetchError, match=reason):
        check_url(url)
    csv = class_list(tmp_path, [f'alice,"{url}"'])

    found = gather(csv, dirs)["alice"]

    assert found.status == "unreachable" and found.reason.startswith(reason)
    assert not marker.exists()
    assert "hunter2" not in found.reason


@pytest.mark.parametrize("url", ["-oProxyCommand=touch x", "alice@-oProxyCommand=x:repo", "ssh://-oProxyCommand=x/r",
                                 "https://", "", " https://github.com/a/b"])
def test_option_like_or_malformed_urls_are_refused(url):
    with pytest.raises(FetchError):
        check_url(url)


def test_size_cap_refuses_a_big_repository_and_removes_its_mirror(tmp_path, origin, dirs):
    big = origin("big")
    big.commit({"data.bin": os.urandom(3 * 2**20)}, at(-1))  # random: does not compress
    csv = class_list(tmp_path, [f"big,{big.url}"])

    found = gather(csv, dirs, max_mb=1)["big"]

    assert found.status == "unreachable"
    assert "over the 1 MiB size cap" in found.reason
    assert mirrors(dirs["cache"]) == []
    assert not (dirs["work"] / "big").exists()


def test_second_run_fetches_new_commits_into_the_same_mirror(tmp_path, origin, dirs):
    alice = origin("alice")
    first = alice.commit({"app.py": "v1\n"}, at(-2))
    csv = class_list(tmp_path, [f"alice,{alice.url}"])
    assert gather(csv, dirs)["alice"].commit == first
    [mirror] = mirrors(dirs["cache"])
    (mirror / "kept-by-the-test").write_text("a re-clone would lose this file")

    second = alice.commit({"app.py": "v2\n"}, at(-1))
    found = gather(csv, dirs)["alice"]

    assert mirrors(dirs["cache"]) == [mirror]
    assert (mirror / "kept-by-the-test").exists()
    assert found.commit == second
    assert files_of(found.path) == {"app.py": "v2\n"}
    with git.Repo(mirror) as repo:
        assert {c.hexsha for c in repo.iter_commits("HEAD")} == {first, second}


def test_force_pushed_history_replaces_the_mirrored_branch(tmp_path, origin, dirs):
    alice = origin("alice")
    alice.commit({"app.py": "v1\n"}, at(-2))
    csv = class_list(tmp_path, [f"alice,{alice.url}"])
    gather(csv, dirs)
    alice.work.git.reset("-q", "--hard", "HEAD")
    alice.work.git.checkout("-q", "--orphan", "fresh")
    rewritten = alice.commit({"app.py": "rewritten\n"}, at(-1))
    alice.work.git.push("-q", "--force", alice.url, "fresh:main")

    found = gather(csv, dirs)["alice"]

    assert found.commit == rewritten


def test_students_sharing_a_repository_get_one_fetch_and_each_an_export(tmp_path, origin, dirs):
    team = origin("team")
    sha = team.commit({"app.py": "team\n"}, at(-1))
    csv = class_list(tmp_path, [f"alice,{team.url}", f"bob,{team.url}"])

    found = gather(csv, dirs, jobs=2)

    assert [found[s].commit for s in ("alice", "bob")] == [sha, sha]
    assert found["alice"].path != found["bob"].path and files_of(found["bob"].path) == {"app.py": "team\n"}
    assert len(mirrors(dirs["cache"])) == 1


def test_a_shard_fetches_only_its_own_students_and_reports_only_its_missing_ones(tmp_path, origin, dirs):
    names = [f"s{i}" for i in range(8)]
    rows = []
    for name in names:
        repo = origin(name)
        repo.commit({"app.py": f"{name}\n"}, at(-1))
        rows.append(f"{name},{repo.url}")
    csv = class_list(tmp_path, rows)
    roster = tmp_path / "roster.csv"
    roster.write_text("identifier,github_username,github_id,name\n" + "".join(f"{i},{n},{i},N{i}\n" for i, n in enumerate(names + ["m1", "m2", "m3"])))
    shard = Shard(2, 2)  # s0, s1, s4 and the three missing ones

    found = gather(csv, dirs, jobs=2, shard=shard, roster=roster)

    expected = sorted(n for n in names + ["m1", "m2", "m3"] if shard.holds(n))
    assert sorted(found) == expected and 0 < len(expected) < 11
    assert {s.student for s in found.values() if s.status == "missing"} == {n for n in expected if n.startswith("m")}
    # The other shard's repositories were never fetched.
    assert len(mirrors(dirs["cache"])) == sum(1 for n in names if shard.holds(n))
    assert sorted(from_directory(dirs["work"], keep=shard.holds), key=lambda s: s.student) == sorted(
        (s for s in from_directory(dirs["work"]) if shard.holds(s.student)), key=lambda s: s.student)


def test_a_collection_hands_over_each_submission_when_ready_and_stops_hung_fetches_when_cancelled(
        tmp_path, origin, dirs):
    ada = origin("ada")
    ada.commit({"app.py": "ada\n"}, at(-1))
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        csv = class_list(tmp_path, [f"ada,{ada.url}", f"zed,https://127.0.0.1:{silent.getsockname()[1]}/zed.git",
                                    "cy,"])
        roster = tmp_path / "roster.csv"
        roster.write_text("identifier,github_username,github_id,name\n1,Ada,1,Ada L\n2,moe,2,Moe\n")
        collection = start_collecting(str(csv), cache=dirs["cache"], work=dirs["work"], deadline=None,
                                      grade_newest=False, token=None, roster=roster, jobs=2)
        with collection:
            assert (collection.total, collection.fetching) == (4, 2)  # moe is on the roster only
            arrived = iter(collection)
            first = [next(arrived), next(arrived), next(arrived)]  # cy and moe at once, ada once fetched
            assert [(s.student, s.status) for s in first] == [("cy", "missing"), ("moe", "missing"), ("ada", "ok")]
            assert first[2].extra == {"identifier": "1", "github_id": "1", "name": "Ada L"}  # matched ignoring case
            assert files_of(first[2].path) == {"app.py": "ada\n"}
            threading.Timer(0.5, collection.cancel).start()  # zed's fetch still hangs
            started = time.monotonic()
            rest = list(arrived)  # nothing more, or zed's fetch told it was interrupted
            assert time.monotonic() - started < 10
            assert all((s.student, s.status) == ("zed", "unreachable") for s in rest), rest


def test_token_travels_only_as_a_basic_header_in_the_environment(tmp_path):
    env = git_environment(TOKEN, "https://github.com/cs101/hello-alice.git", tmp_path)
    config = {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(int(env["GIT_CONFIG_COUNT"]))}

    expected = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert config["http.extraHeader"] == f"Authorization: Basic {expected}"
    assert config["protocol.allow"] == "never" and config["core.hooksPath"] == str(tmp_path)
    assert [config[f"protocol.{p}.allow"] for p in ("https", "ssh", "file")] == ["always"] * 3
    assert (env["GIT_TERMINAL_PROMPT"], env["GIT_LFS_SKIP_SMUDGE"], env["GIT_ASKPASS"]) == ("0", "1", "")
    assert TOKEN not in str(env)
    assert not any("extraHeader" in v for v in git_environment(TOKEN, "file:///srv/x.git", tmp_path).values())


def test_fetch_stops_at_once_when_cancelled(tmp_path):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        cancel = threading.Event()
        threading.Timer(0.5, cancel.set).start()
        started = time.monotonic()
        with pytest.raises(FetchError, match="interrupted"):
            fetch(f"https://127.0.0.1:{silent.getsockname()[1]}/x.git", tmp_path / "cache", None, 10, cancel=cancel)
        assert time.monotonic() - started < 5


# ── a fake GitHub: the REST API and an HTTPS Git server, both on 127.0.0.1 ──────────────────


class FakeGitHub(LocalServer):
    """GitHub's `GET /orgs/{org}/repos`: a Bearer token required, 3 repositories per page."""

    page_size = 3

    def __init__(self) -> None:
        self.orgs: dict[str, list[dict]] = {}
        self.requests: list[dict] = []
        app = Flask("fake-github")

        @app.get("/orgs/<org>/repos")
        def repos(org: str):
            self.requests.append({"args": dict(request.args), "headers": dict(request.headers)})
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return jsonify(message="Bad credentials"), 401
            if org not in self.orgs:
                return jsonify(message="Not Found"), 404
            page = int(request.args.get("page", 1))
            listing = self.orgs[org]
            last = max(1, -(-len(listing) // self.page_size))
            response = jsonify(listing[(page - 1) * self.page_size: page * self.page_size])
            if page < last:
                link = f"{request.base_url}?per_page=100&type=all&page="
                response.headers["Link"] = f'<{link}{page + 1}>; rel="next", <{link}{last}>; rel="last"'
            return response

        super().__init__(app)

    def add(self, org: str, name: str, clone_url: str, size: int = 10) -> None:
        self.orgs.setdefault(org, []).append({"name": name, "clone_url": clone_url, "size": size,
                                              "full_name": f"{org}/{name}", "private": True})


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch):
    fake = FakeGitHub()
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    yield fake
    fake.close()


@pytest.fixture
def classroom(github: FakeGitHub, origin):
    """Org cs101 with hello-mission repositories for alice, bob, zed (not on any roster), and others."""
    for student in ("alice", "bob", "zed"):
        repo = origin(f"hello-mission-{student}")
        repo.commit({"app.py": f"# {student}\n"}, at(-1))
        github.add("cs101", f"hello-mission-{student}", repo.url)
    github.add("cs101", "hello-mission", "file:///nowhere/template.git")  # the starter template itself
    github.add("cs101", "other-lab-alice", "file:///nowhere/other.git")
    github.add("cs101", "course-website", "file:///nowhere/site.git")
    github.add("cs101", "hello-missionary-x", "file:///nowhere/missionary.git")
    return github


def test_github_lists_every_page_and_keeps_only_the_assignment_repositories(classroom, dirs):
    found = gather("github:cs101/hello-mission", dirs, token=TOKEN, jobs=3)

    assert sorted(found) == ["alice", "bob", "zed"]
    assert all(s.status == "ok" and s.extra == {} for s in found.values())
    assert files_of(found["bob"].path) == {"app.py": "# bob\n"}
    assert [r["args"].get("page", "1") for r in classroom.requests] == ["1", "2", "3"]
    first = classroom.requests[0]
    assert first["args"] == {"per_page": "100", "type": "all"}
    assert first["headers"]["Accept"] == "application/vnd.github+json"
    assert first["headers"]["X-Github-Api-Version"] == "2022-11-28"


def test_github_with_a_classroom_roster_shows_students_without_a_repository_as_missing(classroom, dirs, tmp_path):
    roster = tmp_path / "classroom_roster.csv"
    roster.write_text('"identifier","github_username","github_id","name"\n'
                      '"alice@school.edu","alice","1001","Alice Liddell"\n'
                      '"bob@school.edu","Bob","1002","Bob Dylan"\n'
                      '"carol@school.edu","carol","1003","Carol Danvers"\n'
                      '"dave@school.edu","","","Dave Never-Accepted"\n')

    found = gather("github:cs101/hello-mission", dirs, token=TOKEN, roster=roster)

    assert sorted(found) == ["alice", "bob", "carol", "dave@school.edu", "zed"]
    assert found["alice"].extra == {"identifier": "alice@school.edu", "github_id": "1001", "name": "Alice Liddell"}
    assert found["bob"].status == "ok" and found["bob"].extra["name"] == "Bob Dylan"  # usernames ignore case
    assert (found["carol"].status, found["carol"].path) == ("missing", None)
    assert found["dave@school.edu"].status == "missing"
    assert (found["zed"].status, found["zed"].extra) == ("ok", {})  # not on the roster: graded all the same


def test_github_with_a_classroom50_roster(classroom, dirs, tmp_path):
    roster = tmp_path / "students.csv"
    roster.write_text("username,first_name,last_name,email,section,github_id\n"
                      "alice,Alice,Liddell,alice@school.edu,A,1001\n"
                      "erin,Erin,Brockovich,erin@school.edu,B,1005\n")

    found = gather("github:cs101/hello-mission", dirs, token=TOKEN, roster=roster)

    assert found["alice"].extra == {"first_name": "Alice", "last_name": "Liddell", "email": "alice@school.edu",
                                    "section": "A", "github_id": "1001"}
    assert (found["erin"].status, found["erin"].extra["section"]) == ("missing", "B")
    assert found["bob"].status == "ok"


def test_github_repository_over_the_size_cap_is_never_cloned(github, origin, dirs):
    huge = origin("hello-mission-alice")
    huge.commit({"app.py": "x\n"}, at(-1))
    github.add("cs101", "hello-mission-alice", huge.url, size=300 * 1024)

    found = gather("github:cs101/hello-mission", dirs, token=TOKEN, max_mb=200)["alice"]

    assert found.status == "unreachable"
    assert found.reason == "repository is 300 MiB, over the 200 MiB size cap"
    assert mirrors(dirs["cache"]) == []


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_github_401_is_one_line_exit_2(classroom, dirs, token):
    with pytest.raises(GraderError) as caught:
        gather("github:cs101/hello-mission", dirs, token=token)
    assert caught.value.exit_code == 2
    assert str(caught.value) == "GitHub said 401 Unauthorized for cs101: check GITHUB_TOKEN or --token"


def test_github_unknown_organisation_and_unreachable_api_are_one_line(classroom, dirs, monkeypatch):
    with pytest.raises(GraderError, match=r"^GitHub said 404 Not Found for cs999: no such organisation"):
        gather("github:cs999/hello-mission", dirs, token=TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(GraderError) as caught:
        gather("github:cs101/hello-mission", dirs, token=TOKEN)
    assert str(caught.value).startswith("cannot reach the GitHub API at http://127.0.0.1:")
    assert "\n" not in str(caught.value)


@pytest.fixture
def https_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An HTTPS server on 127.0.0.1 that records what git sends and answers 404; git trusts its certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    monkeypatch.setenv("GIT_SSL_CAINFO", str(cert))
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server calls)
            seen.append({"path": self.path, "headers": dict(self.headers)})
            self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    thread.join()


def test_token_is_sent_as_a_header_and_never_written_to_the_cache_or_a_reason(classroom, https_git, dirs):
    server, seen = https_git
    classroom.add("cs101", "hello-mission-mallory", f"{server}/cs101/hello-mission-mallory.git")

    found = gather("github:cs101/hello-mission", dirs, token=TOKEN)

    assert found["alice"].status == "ok"
    assert found["mallory"].status == "unreachable"
    expected = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert seen and all(r["headers"].get("Authorization") == f"Basic {expected}" for r in seen)
    assert not any(TOKEN in r["path"] for r in seen)
    assert all(TOKEN not in (s.reason or "") for s in found.values())
    for path in dirs["cache"].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert TOKEN.encode() not in data and expected.encode() not in data, path


# ── CSV class lists and rosters ─────────────────────────────────────────────────────────────


def test_csv_mixes_urls_local_repositories_and_plain_folders_with_extra_columns(tmp_path, origin, dirs):
    alice = origin("alice")
    alice_sha = alice.commit({"app.py": "alice\n"}, at(-1))
    bob = origin("bob")
    bob_sha = bob.commit({"app.py": "bob\n"}, at(-1))
    carol = tmp_path / "uploads" / "carol"
    carol.mkdir(parents=True)
    (carol / "app.py").write_text("carol\n")
    csv = class_list(tmp_path, [
        f"alice,{alice.url},A",
        "bob,clones/bob,B",  # a local Git work tree, relative to the table
        "carol,uploads/carol,A",  # a plain folder: graded as it is
        "dave,,B",
        "erin,uploads/erin,A",
    ], header="student,repo,section")

    found = gather(csv, dirs)

    assert (found["alice"].commit, found["alice"].extra) == (alice_sha, {"section": "A"})
    assert (found["bob"].commit, files_of(found["bob"].path)) == (bob_sha, {"app.py": "bob\n"})
    assert (found["carol"].status, found["carol"].path, found["carol"].commit) == ("ok", carol.resolve(), None)
    assert (found["dave"].status, found["dave"].extra) == ("missing", {"section": "B"})
    assert found["erin"].status == "unreachable" and found["erin"].reason.startswith("no such folder")


@pytest.mark.parametrize("content, message", [
    ("name,url\nalice,https://github.com/a/b\n", r":1: expected the columns of a class list \(student, repo\); found: name, url$"),
    ("student,repo\nalice,x\nAlice,y\n", r":3: student Alice is already on line 2$"),
    ("student,repo\n,https://github.com/a/b\n", r":2: the student column is empty$"),
    ("student,repo\nalice,x,extra\n", r":2: 3 values but the header has 2 columns$"),
    ("", r":1: empty file; expected the columns of a class list \(student, repo\)$"),
])
def test_bad_class_list_is_one_line_naming_file_and_line(tmp_path, dirs, content, message):
    csv = tmp_path / "class.csv"
    csv.write_text(content)
    with pytest.raises(GraderError, match=message) as caught:
        gather(csv, dirs)
    assert str(caught.value).startswith(f"{csv}:") and "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_class_list_that_is_not_utf8_names_the_line(tmp_path, dirs):
    csv = tmp_path / "class.csv"
    csv.write_bytes("student,repo\nalice,x\nJos\xe9,y\n".encode("latin-1"))
    with pytest.raises(GraderError, match=r"class\.csv:3: not UTF-8 text"):
        gather(csv, dirs)


def test_roster_formats_are_told_apart_by_their_header(tmp_path):
    classroom = tmp_path / "classroom_roster.csv"
    classroom.write_text("\ufeffidentifier,github_username,github_id,name\nalice@school.edu,alice,1001,Alice\n")
    cs50 = tmp_path / "students.csv"
    cs50.write_text("username,first_name,last_name,email,section,github_id\nbob,Bob,Dylan,bob@school.edu,B,1002\n")

    assert read_roster(classroom) == {"alice": {"identifier": "alice@school.edu", "github_id": "1001", "name": "Alice"}}
    assert read_roster(cs50) == {"bob": {"first_name": "Bob", "last_name": "Dylan", "email": "bob@school.edu",
                                         "section": "B", "github_id": "1002"}}


@pytest.mark.parametrize("content, message", [
    (b"student,repo\nalice,x\n", r":1: expected the columns of a GitHub Classroom roster \(identifier, github_username, "
                                 r"github_id, name\) or a Classroom 50 students\.csv \(username, first_name, last_name, "
                                 r"email, section, github_id\); found: student, repo$"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", r":1: not UTF-8 text"),
    (b"username,first_name,last_name,email,section,github_id\nbob,B,D,b@x,A,1\nBOB,B,D,b@x,A,1\n",
     r":3: BOB is already on line 2$"),
    (b'identifier,github_username,github_id,name\n"unterminated,x,1,y\n', r":2: not a valid CSV table"),
])
def test_bad_roster_is_one_line_naming_file_and_line(tmp_path, dirs, content, message):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(content)
    with pytest.raises(GraderError, match=message) as caught:
        gather(tmp_path, dirs, roster=roster)
    assert str(caught.value).startswith(f"{roster}:") and "\n" not in str(caught.value)


# ── local folders, names, dispatch ──────────────────────────────────────────────────────────


def test_folder_of_folders_is_graded_in_place_with_head_of_git_work_trees(tmp_path, origin):
    submissions = tmp_path / "submissions"
    (submissions / "bob").mkdir(parents=True)
    (submissions / ".DS_Store_dir").mkdir()
    (submissions / "notes.txt").write_text("not a submission")
    alice = Origin(submissions.parent, "alice")
    shutil.move(alice.work.working_tree_dir, submissions / "alice")
    alice.work = git.Repo(submissions / "alice")
    sha = alice.commit({"app.py": "alice\n"}, at(0.5))

    found = from_directory(submissions, DEADLINE)

    assert [s.student for s in found] == ["alice", "bob"]
    assert (found[0].path, found[0].commit, found[0].commit_time) == (submissions / "alice", sha, at(0.5))
    assert found[0].late_days == pytest.approx(0.5)
    assert (found[1].status, found[1].path, found[1].commit) == ("ok", submissions / "bob", None)
    alice.work.close()


def test_student_names_become_safe_unique_folder_names():
    names = folder_names(["alice", "Alice", "../../etc", ".hidden", "a/b", "a_b", "..", "ünïcode"])

    assert names == {"alice": "alice-2", "Alice": "Alice", "../../etc": "_.._etc", ".hidden": "hidden",
                     "a/b": "a_b", "a_b": "a_b-2", "..": "_", "ünïcode": "_n_code"}
    assert all("/" not in n and not n.startswith(".") for n in names.values())


def test_unknown_source_is_one_line_exit_2(tmp_path, dirs):
    for source in ("gitlab:cs101/hello", str(tmp_path / "notes.txt")):
        with pytest.raises(GraderError, match="expected a folder, a .csv file or github:ORG/PREFIX") as caught:
            gather(source, dirs)
        assert caught.value.exit_code == 2
    with pytest.raises(GraderError, match="no such file"):
        gather(tmp_path / "missing.csv", dirs)
    with pytest.raises(GraderError, match="expected github:ORG/PREFIX"):
        gather("github:cs101", dirs)
