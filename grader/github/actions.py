"""`--format github`: the step summary, annotations and Classroom-style output of one Result."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from grader.github.comment import trim_markdown
from grader.report.markdown import render_markdown
from grader.report.sanitize import clean
from grader.report.text import render_text
from grader.result import UNGRADABLE_NOTE, Result, _number

SUMMARY_LIMIT = 1024 * 1024 - 4096  # GitHub refuses step summaries over 1 MiB
MAX_ANNOTATIONS = 10  # of each kind
# "app.py, line 3: SyntaxError: ..." — how discovery and crashes name a place in the student's files
_PLACE = re.compile(r"(?P<file>[\w./-]+\.py), line (?P<line>\d+): (?P<message>.*)")


def escape_data(text: str) -> str:
    """A workflow command's message: %, CR and LF escaped as GitHub's runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: also ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(result: Result, submission_in_workspace: str = "") -> list[str]:
    """`::error` / `::warning` commands: at most MAX_ANNOTATIONS of each, hidden criteria by title only.

    A failure that names a student file and line (an import error, a crash) points there;
    `submission_in_workspace` is the submission's folder relative to the workspace ('' = root).
    """
    errors: list[str] = []
    warnings: list[str] = []
    if result.status == "ungradable":  # not the student's to fix: a warning, the reason, nothing per criterion
        return [_command("warning", "Not graded: the grader failed", f"{result.errors[0]}. {UNGRADABLE_NOTE}", "")]
    for problem in result.errors[:MAX_ANNOTATIONS]:
        errors.append(_command("error", "The app did not start" if result.status == "error" else "Problem",
                               problem, submission_in_workspace))
    if result.status == "error":  # every criterion failed for that one reason, just annotated
        return errors
    for criterion in result.criteria:
        if criterion.status == "pass":
            continue
        title = f"{criterion.title}: {_number(criterion.points)} / {criterion.max_points}"
        if criterion.visibility == "hidden":
            detail = "a hidden criterion is not met"
        else:
            messages = [t.message for t in criterion.tests if t.outcome != "passed" and t.message]
            detail = " — ".join(filter(None, [criterion.feedback, messages[0] if messages else None]))
        target = errors if criterion.status == "fail" else warnings
        target.append(_command("error" if criterion.status == "fail" else "warning", title, detail or title,
                               submission_in_workspace))
    return errors[:MAX_ANNOTATIONS] + warnings[:MAX_ANNOTATIONS]


def _command(kind: str, title: str, message: str, prefix: str) -> str:
    properties = [f"title={escape_property(clean(title, 200))}"]
    place = _PLACE.search(message)
    if place and not place.group("file").startswith(("/", "..")):
        path = f"{prefix.rstrip('/')}/{place.group('file')}" if prefix else place.group("file")
        properties = [f"file={escape_property(path)}", f"line={place.group('line')}", *properties]
    return f"::{kind} {','.join(properties)}::{escape_data(clean(message, 1000))}"


def classroom_result(result: Result) -> dict:
    """GitHub Classroom's grader output: one test per criterion, the same total as the Result."""
    status = "error" if result.status != "graded" else ("pass" if result.score == result.max_score else "fail")
    tests = []
    for criterion in result.criteria:
        hidden = criterion.visibility == "hidden"
        failing = [t.message for t in criterion.tests if t.outcome != "passed" and t.message]
        message = "" if hidden else " — ".join(filter(None, [criterion.feedback, *failing[:1]]))
        tests.append({
            "name": f"{criterion.title} ({criterion.max_points} points)",
            "status": "pass" if criterion.status == "pass" else "fail",
            "score": _number(criterion.points),
            "message": clean(message or "", 1000),
            "test_code": "",  # never the test's code: hidden or not, students read this
            "filename": "",
            "line_no": 0,
            "duration": int(sum(t.duration for t in criterion.tests) * 1000),
        })
    return {"version": 1, "status": status, "max_score": result.max_score, "tests": tests}


def write_outputs(result: Result, env: Mapping[str, str] = os.environ) -> None:
    """Step summary (capped) and `result=<base64 JSON>` output, where the runner provides the files."""
    if env.get("GITHUB_STEP_SUMMARY"):
        summary = trim_markdown(render_markdown(result), SUMMARY_LIMIT, unit="bytes", note="*… report trimmed*")
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(summary + "\n")
    if env.get("GITHUB_OUTPUT"):
        encoded = base64.b64encode(json.dumps(classroom_result(result)).encode()).decode()
        with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(f"result={encoded}\n")


def log_lines(result: Result, submission_in_workspace: str = "") -> list[str]:
    """What goes into the job's log: annotations, then the text report with commands stopped.

    Anything the app printed sits inside the report, between ::stop-commands::TOKEN and ::TOKEN::,
    so that not even a line we failed to defuse could be run as a workflow command.
    """
    token = secrets.token_hex(16)
    return [
        *annotations(result, submission_in_workspace),
        f"::stop-commands::{token}",
        render_text(result).rstrip("\n"),
        f"::{token}::",
    ]


def submission_in_workspace(path: Path, env: Mapping[str, str] = os.environ) -> str:
    """The submission's folder relative to GITHUB_WORKSPACE, for annotation file paths."""
    workspace = env.get("GITHUB_WORKSPACE")
    if not workspace:
        return ""
    try:
        relative = Path(path).resolve().relative_to(Path(workspace).resolve())
    except ValueError:
        return ""
    return "" if str(relative) == "." else relative.as_posix()

