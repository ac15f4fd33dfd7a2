"""A submission on disk: where it is, which commit, and a private copy to grade."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from grader.errors import GraderError
from grader.result import SubmissionInfo

SKIP_DIRS = {".git", "__pycache__", ".venv", "venv", "node_modules", ".pytest_cache", ".mypy_cache"}
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 100 * 1024 * 1024


def describe(path: Path) -> SubmissionInfo:
    """Path and commit (HEAD of a Git work tree rooted at `path`, else None)."""
    if not path.is_dir():
        raise GraderError(f"{path}: no such folder; give the path of the student's app (default: .)")
    commit = None
    if (path / ".git").exists():
        import git  # only here: GitPython costs a tenth of a second to import

        try:
            commit = git.Repo(path).head.commit.hexsha
        except (git.GitError, ValueError):
            commit = None  # an empty repository, or a broken one: grade the files anyway
    return SubmissionInfo(path=str(path), commit=commit)


def private_copy(source: Path, target: Path) -> list[str]:
    """Copy a submission for grading; return one warning per thing left out.

    Symlinks are never followed out of the submission; caches, virtualenvs and .git stay behind;
    files over MAX_FILE_BYTES and anything past MAX_TOTAL_BYTES are skipped.
    """
    source = source.resolve()
    warnings: list[str] = []
    total = 0
    target.mkdir(parents=True)
    for folder, dirnames, filenames in os.walk(source):
        here = Path(folder)
        kept = []
        for name in sorted(dirnames):
            if name in SKIP_DIRS:
                continue
            if (here / name).is_symlink():
                # Linked folders are left out: following them could leave the submission or loop.
                warnings.append(f"{(here / name).relative_to(source)}: symlinked folder, left out")
                continue
            kept.append(name)
        dirnames[:] = kept
        out = target / here.relative_to(source)
        out.mkdir(exist_ok=True)
        for name in sorted(filenames):
            path = here / name
            relative = path.relative_to(source)
            if path.is_symlink():
                real = path.resolve()
                if not real.is_relative_to(source):
                    warnings.append(f"{relative}: symlink to outside the submission, left out")
                    continue
                if not real.is_file():
                    warnings.append(f"{relative}: broken symlink, left out")
                    continue
            if not path.is_file():
                warnings.append(f"{relative}: not a regular file (a pipe, socket or device), left out")
                continue
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                warnings.append(f"{relative}: {size / 2**20:.1f} MiB file, over the {MAX_FILE_BYTES / 2**20:g} MiB limit, left out")
                continue
            total += size
            if total > MAX_TOTAL_BYTES:
                warnings.append(f"{relative}: submission over {MAX_TOTAL_BYTES / 2**20:g} MiB, the rest left out")
                return warnings
            shutil.copyfile(path, out / name)
    return warnings



def content_key(path: Path) -> str:
    """A stable key for a folder without Git: a hash of its files' names and contents."""
    digest = hashlib.sha256()
    for folder, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            file = Path(folder) / name
            if file.is_file() and not file.is_symlink():
                digest.update(str(file.relative_to(path)).encode() + b"\0" + file.read_bytes() + b"\0")
    return "files:" + digest.hexdigest()[:20]
