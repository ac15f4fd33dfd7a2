"""Fetch student repositories into a cache of bare mirrors, safely, and export one commit's files.

Nothing a student controls runs on the grading machine: no hooks, no filters, no submodules,
no transport other than https, ssh and file. Every setting travels in the git process's
environment, so nothing (least of all the token) is written into the mirror's config.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import git

ALLOWED_SCHEMES = ("https", "ssh", "file")
FETCH_TIMEOUT = 600.0  # seconds for one git command that talks to a remote
POLL_SECONDS = 0.2  # how often a running fetch is checked against the size cap and the timeout
MiB = 2**20

# $GIT_DIR/info/attributes outranks the repository's own .gitattributes: `git archive` then
# applies no filter driver (it would run a command), no export-subst and no end-of-line
# conversion, so the export holds the committed bytes exactly.
NEUTRAL_ATTRIBUTES = "* -filter -ident -text -eol -export-subst -export-ignore -working-tree-encoding\n"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._~-]+@[A-Za-z0-9][A-Za-z0-9.-]*:(?!//)")


class FetchError(Exception):
    """One repository could not be fetched or exported; the message is one line, token-free."""


class SizeCapError(FetchError):
    """The repository is bigger than the cap: its mirror is removed, never kept half-fetched."""


def check_url(url: str) -> None:
    """Refuse any URL git should not be given: other transports, embedded passwords, option-like hosts.

    >>> check_url("https://github.com/cs101/hello-alice.git")  # fine
    >>> check_url("ext::sh -c evil")  # raises FetchError
    """
    if not url or url != url.strip() or any(c in url for c in "\0\r\n"):
        raise FetchError("not a Git URL (expected https://, ssh://, file:// or user@host:path)")
    match = _SCHEME.match(url)
    if match:
        scheme = match.group(1).lower()
        if scheme not in ALLOWED_SCHEMES:
            raise FetchError(f"{scheme}:// URLs are not allowed (only https://, ssh:// and file://)")
        parts = urlsplit(url)
        if parts.password is not None:
            raise FetchError("the URL carries a password; give the token with --token or GITHUB_TOKEN instead")
        if scheme != "file" and (not parts.hostname or parts.hostname.startswith("-")):
            raise FetchError(f"{scheme}:// URL without a valid host")
        return
    if "::" in url:
        raise FetchError(f"{url.split('::')[0]}:: transport URLs are not allowed (only https://, ssh:// and file://)")
    if not _SCP_LIKE.match(url):
        raise FetchError("not a Git URL (expected https://, ssh://, file:// or user@host:path)")


def mirror_path(cache: Path, url: str) -> Path:
    """Where the bare mirror of `url` lives: a readable label plus a hash of the exact URL."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    tail = re.split(r"[/:]+", url.rstrip("/"))[-2:]
    label = re.sub(r"\.git$", "", "-".join(tail))
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._-")[:60]
    return cache / f"{label or 'repo'}-{digest}.git"


def git_environment(token: str | None, url: str, hooks: Path) -> dict[str, str]:
    """Environment for every git process: config passed as GIT_CONFIG_* variables, never stored.

    The token, if any, goes only to https remotes, as an HTTP header (the form GitHub accepts
    for app and personal tokens alike).
    """
    config = [
        ("protocol.allow", "never"),
        ("protocol.https.allow", "always"),
        ("protocol.ssh.allow", "always"),
        ("protocol.file.allow", "always"),
        ("core.hooksPath", str(hooks)),
        ("fetch.recurseSubmodules", "false"),
        ("submodule.recurse", "false"),
        ("core.askPass", ""),
        ("credential.interactive", "false"),
    ]
    if token and url.lower().startswith("https://"):
        credentials = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        config.append(("http.extraHeader", ""))  # an empty value drops headers set elsewhere
        config.append(("http.extraHeader", f"Authorization: Basic {credentials}"))
    env = {
        "GIT_CONFIG_COUNT": str(len(config)),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GCM_INTERACTIVE": "never",
        "GIT_LFS_SKIP_SMUDGE": "1",
        # This variable, when set, would override protocol.allow: pin it to the same list.
        "GIT_ALLOW_PROTOCOL": ":".join(ALLOWED_SCHEMES),
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_TRACE": "0",
        "GIT_TRACE_PACKET": "0",
        "GIT_TRACE_CURL": "0",
        "GIT_CURL_VERBOSE": "0",
        "GIT_TRACE_REDACT": "1",
    }
    for index, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def scrub(text: str, token: str | None) -> str:
    """`text` with every form of `token` (plain, URL-quoted, inside the Basic header) replaced."""
    if token:
        header = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        for secret in (header, token, quote(token, safe="")):
            text = text.replace(secret, "***")
    return text


def fetch(url: str, cache: Path, token: str | None, max_mb: int, *,
          cancel: threading.Event | None = None) -> git.Repo:
    """Bring the bare mirror of `url` under `cache` up to date (clone it the first time).

    Branches are mirrored as they are on the remote (force-pushes and deletions included) and
    the mirror's HEAD follows the remote's default branch. Setting `cancel` stops a running
    fetch (Ctrl-C). Raises FetchError.

    >>> repo = fetch("https://github.com/cs101/hello-alice.git", Path("cache"), token, max_mb=200)
    """
    check_url(url)
    cache = cache.absolute()  # git resolves a relative core.hooksPath against the mirror, not here
    cache.mkdir(parents=True, exist_ok=True)
    mirror = mirror_path(cache, url)
    env = git_environment(token, url, _empty_hooks(cache))
    with _locked(mirror.with_suffix(".lock")):
        fresh = not _is_mirror(mirror)
        if fresh:
            shutil.rmtree(mirror, ignore_errors=True)
            _git(["init", "--quiet", "--bare", "--template=", str(mirror)], env, token)
        try:
            (mirror / "info").mkdir(exist_ok=True)
            (mirror / "info" / "attributes").write_text(NEUTRAL_ATTRIBUTES)
            head = _remote_head(url, env, token, cancel)
            _git(
                ["--git-dir", str(mirror), "fetch", "--quiet", "--prune", "--no-tags", "--no-recurse-submodules",
                 "--no-write-fetch-head", "--end-of-options", url, "+refs/heads/*:refs/heads/*"],
                env, token, watch=mirror / "objects", max_bytes=max_mb * MiB, cancel=cancel,
            )
            _check_size(mirror, env, token, max_mb)
            _point_head(mirror, head, env, token)
        except FetchError as error:
            if fresh or isinstance(error, SizeCapError):
                shutil.rmtree(mirror, ignore_errors=True)
            raise
    return git.Repo(mirror)


def choose_commit(repo: git.Repo, deadline: datetime | None, grade_newest: bool) -> tuple[git.Commit, float] | None:
    """The commit to grade on the default branch, and how many days its newest commit is late.

    Without a deadline: the branch's newest commit, 0 days late. With one: the newest commit of
    the branch's first-parent history (by committer date) not after the deadline, or, with
    `grade_newest`, the newest commit. Either way the days late describe the newest commit;
    None when no commit is on time and `grade_newest` is False.
    """
    try:
        tip = repo.head.commit
    except ValueError:  # HEAD names a branch with no commit: an empty repository
        return None
    if deadline is None:
        return tip, 0.0
    if deadline.tzinfo is None:
        deadline = deadline.astimezone()  # a naive deadline is in the machine's local time
    late_days = days_late(tip.committed_datetime, deadline)
    if grade_newest:
        return tip, late_days
    chosen = None
    for commit in repo.iter_commits(tip, first_parent=True):
        when = commit.committed_datetime
        if when <= deadline and (chosen is None or when > chosen.committed_datetime):
            chosen = commit
    return (chosen, late_days) if chosen is not None else None


def days_late(when: datetime, deadline: datetime) -> float:
    """How many days (fractional) `when` is past `deadline`; 0 when on time. Naive means local time."""
    return max(0.0, (when.astimezone() - deadline.astimezone()).total_seconds() / 86400)


def export(repo: git.Repo, commit: str, target: Path, max_bytes: int | None = None) -> list[str]:
    """Write the files of `commit` into the new folder `target` with `git archive` (no checkout).

    Returns one note per entry left out (a symlink leaving the folder, a special file). Over
    `max_bytes` of files, the export is removed and FetchError raised.
    """
    target.mkdir(parents=True)
    notes: list[str] = []
    total = 0

    def keep(member: tarfile.TarInfo, destination: str) -> tarfile.TarInfo | None:
        nonlocal total
        try:
            member = tarfile.data_filter(member, destination)
        except tarfile.FilterError as error:
            notes.append(f"{member.name}: {error}, left out")
            return None
        total += member.size
        if max_bytes is not None and total > max_bytes:
            raise SizeCapError(f"the files of commit {commit[:12]} are over the {max_bytes // MiB} MiB size cap")
        return member

    git_dir = Path(repo.git_dir)
    env = git_environment(None, "", _empty_hooks(git_dir.parent))
    process = _start(["--git-dir", str(git_dir), "archive", "--format=tar", "--end-of-options", commit], env)
    try:
        with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
            archive.extractall(target, filter=keep)
        _out, err = process.communicate(timeout=FETCH_TIMEOUT)
    except FetchError:
        _kill(process)
        shutil.rmtree(target, ignore_errors=True)
        raise
    except (tarfile.TarError, OSError, subprocess.TimeoutExpired) as error:
        stderr = _kill(process)
        shutil.rmtree(target, ignore_errors=True)
        raise FetchError(_reason(stderr, None) or f"git archive failed: {error}") from None
    if process.returncode:
        shutil.rmtree(target, ignore_errors=True)
        raise FetchError(_reason(err.decode(errors="replace"), None) or "git archive failed")
    return notes


# ── running git ─────────────────────────────────────────────────────────────────────────────


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    # A session of its own: no controlling terminal (ssh and credential helpers cannot prompt)
    # and one process group to kill, remote helpers included. English messages, as GitPython does.
    return subprocess.Popen(
        [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", *args],
        env={**os.environ, "LANGUAGE": "C", "LC_ALL": "C", **env},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def _git(args: list[str], env: dict[str, str], token: str | None, *, watch: Path | None = None,
         max_bytes: int | None = None, cancel: threading.Event | None = None) -> str:
    """Run git to the end; stdout on success, FetchError (scrubbed, one line) otherwise."""
    process = _start(args, env)
    give_up = time.monotonic() + FETCH_TIMEOUT
    while True:
        try:
            out, err = process.communicate(timeout=POLL_SECONDS)
            break
        except subprocess.TimeoutExpired:
            if watch is not None and max_bytes is not None and _disk_usage(watch) > max_bytes:
                _kill(process)
                raise SizeCapError(f"repository is over the {max_bytes // MiB} MiB size cap") from None
            if cancel is not None and cancel.is_set():
                _kill(process)
                raise FetchError("interrupted") from None
            if time.monotonic() > give_up:
                _kill(process)
                raise FetchError(f"git did not finish within {FETCH_TIMEOUT:g} s") from None
    if process.returncode:
        raise FetchError(_reason(err.decode(errors="replace"), token) or f"git exited with {process.returncode}")
    return out.decode(errors="replace")


def _kill(process: subprocess.Popen) -> str:
    """Kill git and its helpers; what it printed on stderr."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _out, err = process.communicate()
    return err.decode(errors="replace")


def _reason(stderr: str, token: str | None) -> str:
    # git's first "fatal:" line says what went wrong; the lines after it are generic.
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for prefix in ("fatal:", "error:"):
        found = next((line for line in lines if line.startswith(prefix)), None)
        if found:
            return scrub(found[len(prefix):].strip(), token)[:300]
    return scrub(lines[-1], token)[:300] if lines else ""


def _remote_head(url: str, env: dict[str, str], token: str | None, cancel: threading.Event | None) -> str | None:
    """The branch the remote's HEAD names (refs/heads/...), or None if it does not say."""
    listing = _git(["ls-remote", "--symref", "--end-of-options", url, "HEAD"], env, token, cancel=cancel)
    for line in listing.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            return line[len("ref: "):-len("\tHEAD")]
    return None


def _point_head(mirror: Path, head: str | None, env: dict[str, str], token: str | None) -> None:
    branches = _git(["--git-dir", str(mirror), "for-each-ref", "--format=%(refname)", "refs/heads/"],
                    env, token).split()
    if not branches:
        raise FetchError("empty repository")
    if head not in branches:  # the remote did not say (or named an unborn branch): guess as git does
        head = next((b for b in ("refs/heads/main", "refs/heads/master") if b in branches), None)
        if head is None and len(branches) == 1:
            head = branches[0]
    if head is None:
        raise FetchError("the remote does not name its default branch, and it has several")
    _git(["--git-dir", str(mirror), "symbolic-ref", "HEAD", head], env, token)


def _check_size(mirror: Path, env: dict[str, str], token: str | None, max_mb: int) -> None:
    counts = _git(["--git-dir", str(mirror), "count-objects", "-v"], env, token)
    kib = sum(int(value) for key, value in (line.split(": ", 1) for line in counts.splitlines() if ": " in line)
              if key in ("size", "size-pack", "size-garbage"))
    if kib > max_mb * 1024:
        raise SizeCapError(f"repository is over the {max_mb} MiB size cap ({kib / 1024:.0f} MiB)")


# ── the cache ───────────────────────────────────────────────────────────────────────────────


def _is_mirror(path: Path) -> bool:
    if not (path / "HEAD").is_file() or not (path / "objects").is_dir():
        return False
    try:
        with git.Repo(path) as repo:
            return repo.bare
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return False


def _empty_hooks(cache: Path) -> Path:
    hooks = cache / ".no-hooks"
    hooks.mkdir(exist_ok=True)
    if any(hooks.iterdir()):
        raise FetchError(f"{hooks} must stay empty (it stands in for every repository's hooks)")
    return hooks


@contextmanager
def _locked(lock: Path) -> Iterator[None]:
    # flock conflicts between two open() calls even in one process: threads and concurrent
    # runs sharing a cache both wait their turn for the same mirror.
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _disk_usage(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass  # a temporary file renamed or removed while we looked
    return total
