"""What a class run leaves under OUT: gradebook CSVs, summary.json and each student's reports."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import statistics
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from grader.errors import GraderError
from grader.report.html import render_html
from grader.report.markdown import render_markdown
from grader.report.sanitize import clean, markdown_text
from grader.result import StudentResult, _number

HISTOGRAM_BINS = 10
REASON_SHOWN = 300  # characters of a reason in a gradebook cell
# `reason`: why a row has no score of the app's (ungradable: the grader failed) or a 0 it did not test
# (error, missing, unreachable); empty for a graded row.
COLUMNS = ["student", "score", "max_score", "status", "reason", "commit", "commit_time", "late_days", "penalty"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_IN_NAME = re.compile(r"[^\w.-]|^[.-]+")  # and no leading dot (hidden) or dash (an option)


def spreadsheet_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading = + - @ tab or CR gets a quote before it.

    >>> spreadsheet_cell('=HYPERLINK("http://evil")')
    '\\'=HYPERLINK("http://evil")'
    """
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(_number(value))
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_gradebook(entries: list[StudentResult], path: Path, criteria_ids: list[str]) -> None:
    """gradebook.csv: one row per student, the points of each criterion, then the carried columns.

    A criterion's column is `<id>_points` (a criterion may well be called `status`); a carried
    column whose name is taken already is written as `extra_<name>`.

    >>> write_gradebook(entries, out / "gradebook.csv", ["home", "status", "greet"])
    """
    header = COLUMNS + [f"{cid}_points" for cid in criteria_ids]
    extra = list(dict.fromkeys(k for e in entries for k in e.extra))
    rows = [header + [f"extra_{name}" if name in header else name for name in extra]]
    for entry in entries:
        earned = {c.id: c.points for c in entry.result.criteria} if entry.result else {}
        rows.append([
            entry.student, entry.score, entry.max_score, entry.status, _reason(entry), entry.commit, entry.commit_time,
            entry.late.days, entry.late.penalty,
            *(earned.get(cid) for cid in criteria_ids),
            *(entry.extra.get(name) for name in extra),
        ])
    _write_csv(path, rows)


def _reason(entry: StudentResult) -> str | None:
    if entry.status == "graded":
        return None
    return clean(entry.reason, REASON_SHOWN) if entry.reason else None


# --- LMS gradebooks -------------------------------------------------------------------------

# Roster columns (GitHub Classroom: identifier, name; Classroom 50: email, first_name, last_name,
# section) → the fields LMS imports match students on.
def _roster(entry: StudentResult) -> dict[str, str]:
    columns = {key.strip().lower(): value.strip() for key, value in entry.extra.items() if value and value.strip()}
    first, last = columns.get("first_name", ""), columns.get("last_name", "")
    return {
        "name": columns.get("name") or " ".join(part for part in (first, last) if part),
        "sortable_name": f"{last}, {first}" if first and last else columns.get("name") or first or last,
        "first_name": first or columns.get("name", ""),
        "last_name": last,
        "identifier": columns.get("identifier", ""),
        "email": columns.get("email", ""),
        "section": columns.get("section", ""),
    }


# What an LMS import matches a student on: any one of these roster fields, per format.
LMS_MATCH = {
    "canvas": (("sortable_name", "identifier"),
               "'Student' name or 'SIS User ID' (roster column name, first_name/last_name or identifier)"),
    "moodle": (("email", "identifier"), "'Email address' or 'ID number' (roster column email or identifier)"),
}


def write_lms_gradebook(entries: list[StudentResult], path: Path, fmt: Literal["canvas", "moodle"], assignment: str) -> None:
    """The CSV that Canvas's or Moodle's gradebook import reads, one row per student.

    Canvas matches a row by the student's name or SIS User ID (roster `name` or
    `first_name`/`last_name`, `identifier`); Moodle by email address or ID number (`email`,
    `identifier`). When some students lack both, nothing is written and a GraderError says so.

    >>> write_lms_gradebook(entries, out / "canvas.csv", "canvas", "Hello, mission")
    """
    if fmt not in LMS_MATCH:
        raise GraderError(f"unknown gradebook format {fmt!r}: use canvas or moodle")
    rosters = [_roster(entry) for entry in entries]
    keys, needed = LMS_MATCH[fmt]
    lacking = sum(not any(r[key] for key in keys) for r in rosters)
    if lacking:
        raise GraderError(f"{fmt} gradebook: {lacking} of {len(entries)} students have no {needed}; "
                          "add it to the --roster file, or import gradebook.csv by hand")
    if fmt == "canvas":
        rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment],
                ["    Points Possible", "", "", "", "", max((e.max_score for e in entries), default=0)]]
        rows += [[r["sortable_name"], "", r["identifier"], r["email"], r["section"], e.score] for e, r in zip(entries, rosters)]
    else:
        rows = [["First name", "Last name", "ID number", "Email address", assignment]]
        rows += [[r["first_name"], r["last_name"], r["identifier"], r["email"], e.score] for e, r in zip(entries, rosters)]
    _write_csv(path, rows)


# --- summary.json ---------------------------------------------------------------------------


def summarize(entries: list[StudentResult]) -> dict:
    """Class numbers: students per status, score statistics and each criterion's pass rate.

    Scores and pass rates are over the submissions that have a score (graded, or graded as
    an app that could not start); missing and unreachable ones are only counted, and the
    ungradable ones (the grader failed) are counted and listed with their reason.
    """
    counts = {status: 0 for status in ("graded", "error", "ungradable", "missing", "unreachable")}
    for entry in entries:
        counts[entry.status] += 1
    with_result = [e for e in entries if e.result is not None and e.score is not None]
    scores = [e.score for e in with_result]
    criteria: dict[str, dict] = {}
    for entry in with_result:
        for c in entry.result.criteria:
            row = criteria.setdefault(c.id, {"id": c.id, "title": c.title, "max_points": c.max_points,
                                             "visibility": c.visibility, "pass": 0, "partial": 0, "fail": 0})
            row[c.status] += 1
    for row in criteria.values():
        row["total"] = row["pass"] + row["partial"] + row["fail"]
        row["pass_rate"] = round(row["pass"] / row["total"], 4)
    return {
        "students": len(entries),
        "counts": counts,
        "scored": len(scores),
        "max_score": max((e.max_score for e in entries), default=0),
        "score": {
            "mean": _number(statistics.fmean(scores)) if scores else None,
            "median": _number(statistics.median(scores)) if scores else None,
            "min": _number(min(scores)) if scores else None,
            "max": _number(max(scores)) if scores else None,
        },
        "histogram": score_histogram(scores, max((e.max_score for e in entries), default=0)),
        "criteria": list(criteria.values()),
        "ungradable": [{"student": e.student, "reason": e.reason} for e in entries if e.status == "ungradable"],
    }


def score_histogram(scores: list[float], max_score: int, bins: int = HISTOGRAM_BINS) -> list[int]:
    """How many scores fall in each of `bins` equal bins over 0..max_score (the last one holds max_score).

    >>> score_histogram([0, 15, 100, 95], 100)
    [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    """
    counts = [0] * bins
    for score in scores:
        # Multiply first: 30 * 10 / 100 is exactly 3, where 30 / 100 * 10 is not.
        counts[min(max(int(score * bins / max_score), 0), bins - 1) if max_score > 0 else 0] += 1
    return counts


def write_summary(entries: list[StudentResult], path: Path, exercise: str, fingerprint: str,
                  shard: str | None = None, merged_from: list[str] | None = None) -> None:
    """summary.json: `summarize` plus the exercise, its fingerprint and when it was written
    (and which shard it is, or which shards it was merged from)."""
    document = {
        "exercise": exercise,
        "fingerprint": fingerprint,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **({"shard": shard} if shard else {}),
        **({"merged_from": merged_from} if merged_from else {}),
        **summarize(entries),
    }
    _write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# --- reports/ -------------------------------------------------------------------------------


def report_stem(student: str) -> str:
    """The file name (without suffix) of a student's reports: safe on every file system.

    Names that had to change get a short hash, so two students never share a file.

    >>> report_stem("octocat"), report_stem("../../etc")
    ('octocat', '__.._etc-74ccf3c5')
    """
    stem = _UNSAFE_IN_NAME.sub("_", student)[:80]
    if stem == student and stem:
        return stem
    stem = stem or "student"
    return f"{stem}-{hashlib.sha256(student.encode()).hexdigest()[:8]}"


def write_student_reports(entries: list[StudentResult], folder: Path, exercise_title: str) -> None:
    """reports/<stem>.json, .md and .html for every student (see `report_stem`).

    The JSON is the StudentResult (without the app's output, which the model keeps out of JSON).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        stem = folder / report_stem(entry.student)
        _write_text(stem.with_name(stem.name + ".json"), entry.model_dump_json(by_alias=True, indent=2) + "\n")
        _write_text(stem.with_name(stem.name + ".md"), student_markdown(entry))
        _write_text(stem.with_name(stem.name + ".html"), render_html(entry, exercise_title))


def student_markdown(entry: StudentResult) -> str:
    """A student's report in Markdown (reports/<stem>.md): the Result, and the late penalty if any."""
    if entry.result is None:
        why = markdown_text(entry.reason) if entry.reason else "no repository" if entry.status == "missing" else "no reason given"
        return f"## {markdown_text(entry.student, 200)}: {entry.status}\n\n{why}\n"
    text = render_markdown(entry.result)
    if entry.late.penalty:
        text += (f"\n**Late by {_number(entry.late.days)} days:** −{_number(entry.late.penalty)} points, "
                 f"final score {_number(entry.score)} / {entry.max_score}.\n")
    return text


def _write_csv(path: Path, rows: list[list]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    _write_text(path, buffer.getvalue())


def _write_text(path: Path, text: str) -> None:
    # Write beside, then rename: an interrupted run never leaves half a file for an LMS to import.
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8", newline="")
    os.replace(partial, path)
