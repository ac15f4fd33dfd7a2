"""Report writers: each renders a Result, none recomputes a score."""

from __future__ import annotations

from grader.report.gradescope import render_gradescope
from grader.report.junit import render_junit
from grader.report.markdown import render_markdown
from grader.report.text import render_text
from grader.result import Result

FORMATS = ("text", "json", "markdown", "gradescope", "junit")


def render(result: Result, fmt: str, *, color: bool = False, width: int = 100) -> str:
    """The report for `result` in format `fmt` (one of FORMATS)."""
    if fmt == "json":
        return result.to_json() + "\n"
    if fmt == "markdown":
        return render_markdown(result)
    if fmt == "gradescope":
        return render_gradescope(result)
    if fmt == "junit":
        return render_junit(result)
    return render_text(result, color=color, width=width)


__all__ = ["FORMATS", "render"]
