"""Report writers: each renders a Result, none recomputes a score."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.result import Result

FORMATS = ("text", "json", "markdown", "gradescope", "junit")


def render(result: Result, fmt: str, *, color: bool = False, width: int = 100) -> str:
    """The report for `result` in format `fmt` (one of FORMATS)."""
    # Each writer imported when used: the CLI lists FORMATS before any result exists.
    if fmt == "json":
        return result.to_json() + "\n"
    if fmt == "markdown":
        from grader.report.markdown import render_markdown

        return render_markdown(result)
    if fmt == "gradescope":
        from grader.report.gradescope import render_gradescope

        return render_gradescope(result)
    if fmt == "junit":
        from grader.report.junit import render_junit

        return render_junit(result)
    from grader.report.text import render_text

    return render_text(result, color=color, width=width)


__all__ = ["FORMATS", "render"]
