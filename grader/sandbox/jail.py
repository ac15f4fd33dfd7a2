"""Launcher for the process sandbox: limits, then (as root) namespaces and a minimal root, then exec.

Run as `python -I jail.py CONFIG_JSON`. Standard library only, and single-threaded by
construction, which is why this is a program and not a preexec_fn of the multi-threaded grader.

As root it: unshares mount, network, IPC, UTS and PID namespaces (no network but its own loopback,
where a gunicorn of the sandbox can listen; when the sandbox's first process dies, every process
in it dies); builds a new root on a tmpfs holding
only read-only binds of the system and Python directories, the agent bundle at /opt/grader/agent,
the submission's private copy at /app and fresh tmpfs at /tmp; chroots there; switches to an
unprivileged uid; then applies the resource limits and execs the agent. As another user it
applies the resource limits and execs the agent, nothing more.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import resource
import signal
import socket
import struct
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x4000000, 0x8000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
SYSTEM_DIRS = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc")
DEVICES = ("null", "zero", "random", "urandom")
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data)), f"mount {target}")


def mount_tmpfs(target: str, options: str) -> None:
    """A tmpfs on `target` (no setuid files, no devices); used by the grader for /app's quota."""
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)


def unmount(target: str) -> None:
    """Detach the mount on `target` (lazily: a process still inside does not keep it busy)."""
    _check(_libc.umount2(_b(target), MNT_DETACH), f"umount {target}")


def _b(text: str | None):
    return None if text is None else text.encode()


def _bind(source: str, target: str, *, writable: bool = False, device: bool = False) -> None:
    _mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (0 if device else MS_NODEV) | (0 if writable else MS_RDONLY)
    _mount(None, target, None, flags)


def build_root(root: str, app: str, bundle: str, python_dirs: list[str], tmp_mb: int) -> None:
    """Make `root` a tmpfs holding only what the agent needs, then chroot into it."""
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
    for directory in SYSTEM_DIRS:
        if os.path.islink(directory):  # merged /usr: /bin -> usr/bin
            os.symlink(os.readlink(directory), root + directory)
        elif os.path.isdir(directory):
            os.makedirs(root + directory)
            _bind(directory, root + directory)
    # Fresh /tmp before the Python binds: a virtualenv may itself live under /tmp.
    for directory in ("/tmp", "/dev/shm"):
        os.makedirs(root + directory, exist_ok=True)
        _mount("tmpfs", root + directory, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777")
    for directory in python_dirs:  # the interpreter's prefix and the virtualenv, at their own paths
        if not os.path.isdir(root + directory) or not os.listdir(root + directory):
            os.makedirs(root + directory, exist_ok=True)
            _bind(directory, root + directory)
    os.makedirs(root + "/dev", exist_ok=True)
    for device in DEVICES:
        open(f"{root}/dev/{device}", "w").close()
        _bind(f"/dev/{device}", f"{root}/dev/{device}", writable=True, device=True)
    os.makedirs(root + "/opt/grader/agent")
    _bind(bundle, root + "/opt/grader/agent")
    os.makedirs(root + "/app")
    _bind(app, root + "/app", writable=True)
    os.chroot(root)
    os.chdir("/app")


def loopback_up() -> None:
    """Bring up `lo` of the new network namespace (it starts down): 127.0.0.1 only, nothing else."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(probe, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def apply_limits(limits: dict) -> None:
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, name), (value, value))


def isolate(config: dict) -> None:
    """As root: new namespaces, a minimal root, an unprivileged uid. Returns in the sandboxed child."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID), "unshare")
    first = os.fork()
    if first:  # outside: wait for the sandbox's first process and exit as it did
        signal.signal(signal.SIGTERM, lambda *_: os.kill(first, signal.SIGKILL))
        _mirror(first, reap_all=False)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    loopback_up()
    build_root(config["root"], config["app"], config["bundle"], config["python_dirs"], config["tmp_mb"])
    os.setgroups([])
    os.setgid(config["uid"])
    os.setuid(config["uid"])
    # PID 1 of a namespace ignores signals it has no handler for, so the agent must not be PID 1
    # (an app's os.kill(os.getpid(), SIGSEGV) should crash it). PID 1 reaps and mirrors the agent.
    agent = os.fork()
    if agent:
        _mirror(agent, reap_all=True)


def _mirror(pid: int, reap_all: bool) -> None:
    """Wait for `pid` (reaping any other child meanwhile), then end the way it ended."""
    while True:
        done, status = os.waitpid(-1 if reap_all else pid, 0)
        if done == pid:
            break
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
    number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    if reap_all:  # PID 1 of the namespace cannot end by its own signal: say 128 + n instead
        os._exit(128 + number if number else code)
    if not number and 128 < code < 128 + signal.NSIG:  # ...which the outside turns back into the signal
        number = code - 128
    if number:
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(code)


def main() -> None:
    config = json.loads(sys.argv[1])
    try:
        if config.get("isolate"):
            isolate(config)
        os.umask(0o077)
        apply_limits(config.get("rlimits", {}))
        os.execve(config["argv"][0], config["argv"], config["env"])
    except OSError as exc:
        sys.stderr.write(f"sandbox-{config.get('token', '')}: {exc}\n")
        os._exit(70)


if __name__ == "__main__":
    main()
