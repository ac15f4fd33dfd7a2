"""Sandboxes: where the student's app runs. Each one is a transport behind the `client` fixture."""

from __future__ import annotations

from grader.sandbox.base import TEST_CONFIG, AppStartError, AppUnavailable, Connection, Route, Sandbox

SANDBOXES = ("inprocess",)


def get_sandbox(name: str) -> Sandbox:
    """The sandbox called `name` (one of SANDBOXES)."""
    if name == "inprocess":
        from grader.sandbox.inprocess import InProcessSandbox

        return InProcessSandbox()
    raise ValueError(f"unknown sandbox {name!r}; choose one of {', '.join(SANDBOXES)}")


__all__ = ["SANDBOXES", "TEST_CONFIG", "AppStartError", "AppUnavailable", "Connection", "Route", "Sandbox", "get_sandbox"]
