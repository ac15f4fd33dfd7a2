"""The Markdown report: what a student reads in a pull-request comment or step summary."""

from __future__ import annotations

import html

from grader.report.sanitize import APP_OUTPUT_SHOWN, app_output_title, clean, markdown_text
from grader.result import UNGRADABLE_NOTE, Result, _number

ICONS = {"pass": "✅", "partial": "🟡", "fail": "❌"}


def render_markdown(result: Result) -> str:
    """Render as GitHub-flavoured Markdown; every untrusted string is escaped."""
    errors = result.errors
    if result.status == "ungradable":
        out = [f"## ⏳ {markdown_text(result.exercise)}: not graded", "",
               f"**Not graded: {markdown_text(errors[0])}.** {UNGRADABLE_NOTE}", ""]
        errors = errors[1:]
    else:
        icon = "⚠️" if result.status == "error" else ICONS["pass" if result.score == result.max_score else "fail"]
        out = [f"## {icon} {markdown_text(result.exercise)}: {_number(result.score)} / {result.max_score}", ""]
    if result.status == "error":  # said once: every test failed for this one reason
        out += [f"**The app did not start:** {markdown_text(errors[0].removeprefix('the app could not start: '))}", ""]
        errors = errors[1:]
    if result.criteria:
        out += ["| | Criterion | Points |", "|---|---|---:|"]
    for c in result.criteria:
        hidden = " *(hidden)*" if c.visibility == "hidden" else ""
        out.append(f"| {ICONS[c.status]} | {markdown_text(c.title, 80)}{hidden} | {_number(c.points)} / {c.max_points} |")
    failing = [c for c in result.criteria if c.status != "pass" and c.visibility != "hidden"]
    if failing and result.status == "graded":
        out += ["", "### What to fix", ""]
        for c in failing:
            out.append(f"**{markdown_text(c.title, 80)}** ({_number(c.points)} / {c.max_points})")
            if c.feedback:
                out.append(f"> {markdown_text(c.feedback)}")
            out.append("")
            for test in c.tests:
                if test.outcome != "passed":
                    detail = f": {markdown_text(test.message)}" if test.message else ""
                    out.append(f"- {markdown_text(test.id, 120)} — {test.outcome}{detail}")
            out.append("")
    elif result.criteria:
        out.append("")
    if errors:
        out += ["### Problems", ""] + [f"- {markdown_text(e)}" for e in errors] + [""]
    if result.app_output:
        # An HTML block: Markdown inside it is not parsed, and html.escape keeps tags inert.
        shown = html.escape(clean(result.app_output, APP_OUTPUT_SHOWN)).replace("@", "&#64;")
        out += [f"<details><summary>{app_output_title(result)}</summary>", "", f"<pre>{shown}</pre>", "</details>", ""]
    commit = f" at `{result.submission.commit[:10]}`" if result.submission.commit else ""
    out += [f"<sub>flask-grader · {result.sandbox} sandbox{commit} · {result.duration:.1f} s</sub>", ""]
    return "\n".join(out)
