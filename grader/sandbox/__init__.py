"""Sandboxes: where the student's app runs. Each one is a transport behind the `client` fixture."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.sandbox.base import (
        TEST_CONFIG, AppStartError, AppUnavailable, Connection, GraderFault, RenderedTemplate, Route, Sandbox,
    )

SANDBOXES = ("inprocess", "process", "docker")
_FROM_BASE = {"TEST_CONFIG", "AppStartError", "AppUnavailable", "Connection", "GraderFault", "RenderedTemplate",
              "Route", "Sandbox"}


def __getattr__(name: str):
    # base.py imports the rubric's models (pydantic): loaded on first use, not when the CLI
    # only needs SANDBOXES for its options.
    if name in _FROM_BASE:
        return getattr(importlib.import_module("grader.sandbox.base"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_sandbox(
    name: str, packages: list[str] | None = None, image: str | None = None, run_id: str | None = None
) -> Sandbox:
    """The sandbox called `name` (one of SANDBOXES); `packages` are the exercise's, to preload."""
    if name == "inprocess":
        from grader.sandbox.inprocess import InProcessSandbox

        return InProcessSandbox()
    if name == "process":
        from grader.sandbox.process import ProcessSandbox

        return ProcessSandbox(packages)
    if name == "docker":
        from grader.sandbox.docker import DockerSandbox

        return DockerSandbox(image, packages, run_id)
    raise ValueError(f"unknown sandbox {name!r}; choose one of {', '.join(SANDBOXES)}")


__all__ = [
    "SANDBOXES", "TEST_CONFIG", "AppStartError", "AppUnavailable", "Connection", "GraderFault", "RenderedTemplate", "Route",
    "Sandbox", "get_sandbox",
]
