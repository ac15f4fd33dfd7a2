"""The terminal report: a table of criteria, then what to fix."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from grader.report.sanitize import APP_OUTPUT_SHOWN, app_output_title, clean, defuse_workflow_commands
from grader.result import UNGRADABLE_NOTE, CriterionResult, Result, _number

MARKS = {"pass": ("✔", "green"), "partial": ("◐", "yellow"), "fail": ("✘", "red")}


def render_text(result: Result, *, color: bool = False, width: int = 100) -> str:
    """Render for a terminal; untrusted strings go through `clean` and are never parsed as markup."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, no_color=not color, highlight=False)
    console.print(_heading(result))
    errors = result.errors
    if result.status == "ungradable":
        console.print(Text(f"Not graded: {clean(errors[0])}", style="bold yellow"))
        console.print(Text(UNGRADABLE_NOTE))
        errors = errors[1:]
    else:
        console.print(_table(result))
    if result.status == "error":  # every test failed for this one reason: said once, not per test
        console.print(Text(clean(errors[0][:1].upper() + errors[0][1:]), style="bold red"))
        errors = errors[1:]
    elif result.status == "graded":
        for criterion in result.criteria:
            if criterion.status != "pass" and criterion.visibility != "hidden":  # hidden: the table says it all
                console.print(_details(criterion))
    if errors:
        console.print(Text("Problems", style="bold red"))
        for error in errors:
            console.print(Text(f"  • {clean(error)}"))
    if result.app_output:
        console.print(Text(app_output_title(result), style="bold"))
        # Every line behind a gutter: the app cannot print a line that looks like our own report.
        shown = clean(result.app_output, APP_OUTPUT_SHOWN).splitlines()
        console.print(Text("\n".join(f"  │ {line}" for line in shown)), style="dim")
    return defuse_workflow_commands(buffer.getvalue())


def _heading(result: Result) -> Text:
    if result.status == "ungradable":
        text = Text(f"{result.exercise}: not graded (the grader failed, not the submission)", style="bold yellow")
    else:
        style = "bold red" if result.status == "error" else "bold"
        text = Text(f"{result.exercise}: {_number(result.score)} / {result.max_score}", style=style)
    if result.status == "error":
        text.append("  (the app did not start)", style="red")
    text.append(f"   {result.submission.path}", style="dim")
    if result.submission.commit:
        text.append(f" @ {result.submission.commit[:10]}", style="dim")
    return text


def _table(result: Result) -> Table:
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("", width=1)
    table.add_column("Criterion")
    table.add_column("Points", justify="right")
    for criterion in result.criteria:
        mark, style = MARKS[criterion.status]
        title = Text(clean(criterion.title, 80))
        if criterion.visibility == "hidden":
            title.append(" (hidden)", style="dim")
        table.add_row(Text(mark, style=style), title, f"{_number(criterion.points)} / {criterion.max_points}")
    table.add_row("", Text("Total", style="bold"), Text(f"{_number(result.score)} / {result.max_score}", style="bold"))
    return table


def _details(criterion: CriterionResult) -> Group:
    mark, style = MARKS[criterion.status]
    lines = [Text(f"{mark} {clean(criterion.title, 80)} — {_number(criterion.points)} / {criterion.max_points}", style=style)]
    if criterion.feedback:
        lines.append(Text(f"  Hint: {clean(criterion.feedback)}"))
    for test in criterion.tests:
        if test.outcome == "passed":
            continue
        line = f"  • {test.id}: {test.outcome}"
        if test.message:
            line += f" — {clean(test.message)}"
        lines.append(Text(line))
    return Group(*lines)
