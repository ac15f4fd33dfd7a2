"""describe() and private_copy(): which commit, and a private copy that never leaves the submission."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

import grader.submission
from grader.errors import GraderError
from grader.submission import describe, private_copy

MiB = 1024 * 1024


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def make_submission(tmp_path: Path) -> Path:
    sub = tmp_path / "submission"
    (sub / "templates").mkdir(parents=True)
    (sub / "static" / "css").mkdir(parents=True)
    (sub / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (sub / "templates" / "index.html").write_text("<h1>Mission Control</h1>\n")
    (sub / "static" / "css" / "site.css").write_text("h1 { color: teal; }\n")
    return sub


# --- describe() -----------------------------------------------------------------------------


def test_describe_git_repository_gives_head_commit(tmp_path):
    repo = git.Repo.init(tmp_path / "repo")
    (tmp_path / "repo" / "app.py").write_text("print('hi')\n")
    repo.index.add(["app.py"])
    who = git.Actor("Student", "student@example.com")
    first = repo.index.commit("first", author=who, committer=who)
    (tmp_path / "repo" / "app.py").write_text("print('hello')\n")
    repo.index.add(["app.py"])
    second = repo.index.commit("second", author=who, committer=who)

    info = describe(tmp_path / "repo")

    assert info.commit == second.hexsha
    assert info.commit != first.hexsha
    assert len(info.commit) == 40
    assert info.path == str(tmp_path / "repo")


def test_describe_plain_folder_has_no_commit(tmp_path):
    sub = make_submission(tmp_path)

    info = describe(sub)

    assert info.commit is None
    assert info.path == str(sub)


def test_describe_empty_git_repository_has_no_commit(tmp_path):
    git.Repo.init(tmp_path / "fresh")

    info = describe(tmp_path / "fresh")

    assert info.commit is None
    assert info.path == str(tmp_path / "fresh")


def test_describe_missing_folder_is_a_user_error(tmp_path):
    missing = tmp_path / "no-such-app"

    with pytest.raises(GraderError) as info:
        describe(missing)

    assert info.value.exit_code == 2
    assert str(missing) in str(info.value)
    assert "no such folder" in str(info.value)


def test_describe_a_file_instead_of_a_folder_is_a_user_error(tmp_path):
    file = tmp_path / "app.py"
    file.write_text("x = 1\n")

    with pytest.raises(GraderError) as info:
        describe(file)

    assert info.value.exit_code == 2


# --- private_copy(): what is copied ---------------------------------------------------------


def test_private_copy_copies_files_and_subfolders(tmp_path):
    sub = make_submission(tmp_path)
    target = tmp_path / "work" / "copy"

    warnings = private_copy(sub, target)

    assert warnings == []
    assert files_under(target) == {"app.py", "templates/index.html", "static/css/site.css"}
    assert (target / "app.py").read_text() == "from flask import Flask\napp = Flask(__name__)\n"
    assert (target / "static" / "css" / "site.css").read_text() == "h1 { color: teal; }\n"


def test_private_copy_keeps_empty_folders(tmp_path):
    sub = make_submission(tmp_path)
    (sub / "instance").mkdir()

    private_copy(sub, tmp_path / "copy")

    assert (tmp_path / "copy" / "instance").is_dir()


def test_private_copy_leaves_out_git_caches_and_virtualenvs(tmp_path):
    sub = make_submission(tmp_path)
    for junk in (".git/config", "__pycache__/app.cpython-311.pyc", ".venv/lib/site.py", "venv/bin/python",
                 "templates/__pycache__/x.pyc", ".pytest_cache/v/cache", "node_modules/x/index.js"):
        (sub / junk).parent.mkdir(parents=True, exist_ok=True)
        (sub / junk).write_text("junk")

    warnings = private_copy(sub, tmp_path / "copy")

    assert warnings == []
    assert files_under(tmp_path / "copy") == {"app.py", "templates/index.html", "static/css/site.css"}
    assert not (tmp_path / "copy" / ".git").exists()


def test_private_copy_of_a_git_repository_leaves_history_behind(tmp_path):
    sub = make_submission(tmp_path)
    repo = git.Repo.init(sub)
    repo.index.add(["app.py"])
    who = git.Actor("Student", "student@example.com")
    repo.index.commit("first", author=who, committer=who)

    assert private_copy(sub, tmp_path / "copy") == []
    assert files_under(tmp_path / "copy") == {"app.py", "templates/index.html", "static/css/site.css"}


# --- private_copy(): symlinks ---------------------------------------------------------------


def test_symlink_to_file_outside_submission_is_left_out_with_a_warning(tmp_path):
    sub = make_submission(tmp_path)
    fake_passwd = tmp_path / "etc" / "passwd"
    fake_passwd.parent.mkdir()
    fake_passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (sub / "passwd.txt").symlink_to(fake_passwd)

    warnings = private_copy(sub, tmp_path / "copy")

    assert warnings == ["passwd.txt: symlink to outside the submission, left out"]
    assert not (tmp_path / "copy" / "passwd.txt").exists()
    assert not (tmp_path / "copy" / "passwd.txt").is_symlink()
    for copied in (tmp_path / "copy").rglob("*"):
        if copied.is_file():
            assert "root:x:0:0" not in copied.read_text()


def test_relative_symlink_escaping_submission_is_left_out(tmp_path):
    sub = make_submission(tmp_path)
    (tmp_path / "secret.txt").write_text("s3cret")
    (sub / "templates" / "leak.html").symlink_to(Path("..") / ".." / "secret.txt")

    warnings = private_copy(sub, tmp_path / "copy")

    assert warnings == ["templates/leak.html: symlink to outside the submission, left out"]
    assert not (tmp_path / "copy" / "templates" / "leak.html").exists()


def test_symlink_inside_submission_is_copied_as_a_regular_file(tmp_path):
    sub = make_submission(tmp_path)
    (sub / "static" / "logo.txt").symlink_to(Path("..") / "templates" / "index.html")

    warnings = private_copy(sub, tmp_path / "copy")

    copied = tmp_path / "copy" / "static" / "logo.txt"
    assert warnings == []
    assert copied.is_file()
    assert not copied.is_symlink()
    assert copied.read_text() == "<h1>Mission Control</h1>\n"


def test_dangling_symlink_is_left_out_with_a_warning(tmp_path):
    sub = make_submission(tmp_path)
    (sub / "gone.txt").symlink_to(sub / "never-existed.txt")

    warnings = private_copy(sub, tmp_path / "copy")

    assert len(warnings) == 1
    assert warnings[0].startswith("gone.txt: ")
    assert warnings[0].endswith("left out")
    assert not (tmp_path / "copy" / "gone.txt").exists()


def test_symlinked_folder_is_left_out_with_a_warning(tmp_path):
    sub = make_submission(tmp_path)
    outside = tmp_path / "home-dir"
    outside.mkdir()
    (outside / "id_rsa").write_text("PRIVATE KEY")
    (sub / "keys").symlink_to(outside, target_is_directory=True)
    (sub / "static" / "tpl").symlink_to(sub / "templates", target_is_directory=True)

    warnings = private_copy(sub, tmp_path / "copy")

    assert sorted(warnings) == ["keys: symlinked folder, left out", "static/tpl: symlinked folder, left out"]
    assert not (tmp_path / "copy" / "keys").exists()
    assert not (tmp_path / "copy" / "static" / "tpl").exists()
    assert files_under(tmp_path / "copy") == {"app.py", "templates/index.html", "static/css/site.css"}


def test_symlink_loop_does_not_hang(tmp_path):
    sub = make_submission(tmp_path)
    (sub / "loop").symlink_to(sub, target_is_directory=True)

    warnings = private_copy(sub, tmp_path / "copy")

    assert warnings == ["loop: symlinked folder, left out"]


def test_submission_given_through_a_symlink_is_copied(tmp_path):
    sub = make_submission(tmp_path)
    (tmp_path / "alias").symlink_to(sub, target_is_directory=True)

    warnings = private_copy(tmp_path / "alias", tmp_path / "copy")

    assert warnings == []
    assert files_under(tmp_path / "copy") == {"app.py", "templates/index.html", "static/css/site.css"}


# --- private_copy(): size limits ------------------------------------------------------------


def sparse(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)


def test_file_over_the_size_limit_is_left_out_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(grader.submission, "MAX_FILE_BYTES", 1 * MiB)
    sub = make_submission(tmp_path)
    sparse(sub / "static" / "video.bin", 3 * MiB)
    (sub / "static" / "exact.bin").write_bytes(b"x" * MiB)

    warnings = private_copy(sub, tmp_path / "copy")

    assert warnings == ["static/video.bin: 3.0 MiB file, over the 1 MiB limit, left out"]
    assert not (tmp_path / "copy" / "static" / "video.bin").exists()
    assert (tmp_path / "copy" / "static" / "exact.bin").stat().st_size == MiB
    assert (tmp_path / "copy" / "app.py").is_file()


def test_submission_over_the_total_limit_stops_copying_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(grader.submission, "MAX_TOTAL_BYTES", 1 * MiB)
    sub = tmp_path / "submission"
    (sub / "z_later").mkdir(parents=True)
    for name in ("a.bin", "b.bin", "c.bin"):
        (sub / name).write_bytes(b"\0" * (400 * 1024))
    (sub / "z_later" / "d.txt").write_text("after the cap")

    warnings = private_copy(sub, tmp_path / "copy")

    assert warnings == ["c.bin: submission over 1 MiB, the rest left out"]
    assert (tmp_path / "copy" / "a.bin").stat().st_size == 400 * 1024
    assert (tmp_path / "copy" / "b.bin").stat().st_size == 400 * 1024
    assert not (tmp_path / "copy" / "c.bin").exists()
    assert not (tmp_path / "copy" / "z_later" / "d.txt").exists()


def test_oversized_file_does_not_count_towards_the_total(tmp_path, monkeypatch):
    monkeypatch.setattr(grader.submission, "MAX_FILE_BYTES", 1 * MiB)
    monkeypatch.setattr(grader.submission, "MAX_TOTAL_BYTES", 2 * MiB)
    sub = tmp_path / "submission"
    sub.mkdir()
    sparse(sub / "a_huge.bin", 5 * MiB)
    (sub / "b.bin").write_bytes(b"\0" * (900 * 1024))
    (sub / "c.bin").write_bytes(b"\0" * (900 * 1024))

    warnings = private_copy(sub, tmp_path / "copy")

    assert warnings == ["a_huge.bin: 5.0 MiB file, over the 1 MiB limit, left out"]
    assert files_under(tmp_path / "copy") == {"b.bin", "c.bin"}


def test_private_copy_refuses_an_existing_target(tmp_path):
    sub = make_submission(tmp_path)
    (tmp_path / "copy").mkdir()

    with pytest.raises(FileExistsError):
        private_copy(sub, tmp_path / "copy")


def test_private_copy_does_not_change_the_submission(tmp_path):
    sub = make_submission(tmp_path)
    (sub / "__pycache__").mkdir()
    (sub / "__pycache__" / "x.pyc").write_bytes(b"\0")
    before = {p: p.stat().st_mtime_ns for p in sub.rglob("*")}

    private_copy(sub, tmp_path / "copy")

    assert {p: p.stat().st_mtime_ns for p in sub.rglob("*")} == before
