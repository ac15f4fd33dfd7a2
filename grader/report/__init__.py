"""Report writers: each renders a Result, none recomputes a score."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.result import Result

FORMATS = ("text", "json", "markdown", "gradescope", "junit")


# Each writer is imported when first used: the CLI lists FORMATS before any result exists.
_WRITERS = {
    "text": ("grader.report.text", "render_text"),
    "markdown": ("grader.report.markdown", "render_markdown"),
    "gradescope": ("grader.report.gradescope", "render_gradescope"),
    "junit": ("grader.report.junit", "render_junit"),
}


def writer(fmt: str):
    """The function that renders a Result in format `fmt` (json: Result.to_json, plus a newline)."""
    if fmt == "json":
        return lambda result, **_: result.to_json() + "\n"
    module, name = _WRITERS[fmt]
    function = getattr(importlib.import_module(module), name)
    return function if fmt == "text" else (lambda result, **_: function(result))  # only text takes options


def render(result: Result, fmt: str, *, color: bool = False, width: int = 100) -> str:
    """The report for `result` in format `fmt` (one of FORMATS)."""
    return writer(fmt)(result, color=color, width=width)


__all__ = ["FORMATS", "render", "writer"]
