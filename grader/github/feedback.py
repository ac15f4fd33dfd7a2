"""`grader feedback OUT`: each student's final report as one comment on their own repository.

The run's gradebook rows come from OUT/grader.db (a `grader run` or `grader merge` folder).
Each row graded from a GitHub repository gets its Markdown report as a comment on the
repository's "Feedback" pull request (GitHub Classroom's), else on the graded commit, through
`post_feedback`. The comment has a marker of its own (`<!-- grader:EXERCISE-grade -->`), so
it never replaces the feedback the student's own workflow posts, and the next
`grader feedback` updates it in place. An unchanged report writes nothing, which matters:
GitHub allows about 80 writes a minute and 500 an hour (its "secondary rate limits"), so the
posts are paced (`pause`) and a re-run after a rate limit skips what is already posted.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.github.comment import CommentOutcome, post_feedback
from grader.report.gradebook import student_markdown
from grader.report.sanitize import markdown_text
from grader.result import StudentResult, _number
from grader.store import finished_run

PAUSE = 1.0  # seconds between writes: GitHub asks for at least one between content-creating requests


@dataclass(frozen=True)
class Posted:
    student: str
    outcome: CommentOutcome


def final_report(entry: StudentResult, title: str) -> str:
    """The comment's text: a line saying this is the final grade, then the student's report."""
    commit = f" at commit `{entry.commit[:10]}`" if entry.commit else ""
    return (f"**Final grade for {markdown_text(title, 120)}**{commit}: {_number(entry.score)} / {entry.max_score}\n\n"
            + student_markdown(entry))


def post_class_feedback(out: Path, token: str | None, env: Mapping[str, str] = os.environ, *,
                        students: set[str] | None = None, pause: float = PAUSE,
                        sleep: Callable[[float], None] = time.sleep,
                        on_done: Callable[[Posted], None] = lambda posted: None) -> list[Posted]:
    """Post (or update) the comment of every student of OUT's last run; `students` limits it to some.

    Never stops at one student's failure: each outcome is returned (and given to `on_done`).
    """
    record, rows = finished_run(out, "`grader run` or `grader merge`")
    if not token:
        raise GraderError("no token: pass --token or set GITHUB_TOKEN to a token that may comment on the "
                          "students' repositories (see README, Grading at scale)")
    entries = [entry for _, entry in rows]
    if students is not None:
        wanted = {name.casefold() for name in students}
        entries = [e for e in entries if e.student.casefold() in wanted]
        found = {e.student.casefold() for e in entries}
        unknown = sorted(name for name in students if name.casefold() not in found)
        if unknown:
            raise GraderError(f"no such student in {out}'s gradebook: {', '.join(unknown[:5])}")
    results: list[Posted] = []
    wrote = limited = False
    for entry in entries:
        reason = "not tried: GitHub's rate limit stopped this run; run `grader feedback` again later" \
            if limited else _why_not(entry)
        if reason:
            outcome = CommentOutcome(False, "skipped", None, f"feedback comment skipped: {reason}")
        else:
            if wrote:
                sleep(pause)
            outcome = post_feedback(final_report(entry, record.title), f"{record.exercise}-grade", {
                "GITHUB_REPOSITORY": entry.repository, "GITHUB_SHA": entry.commit, "GITHUB_TOKEN": token,
                "GITHUB_EVENT_NAME": "workflow_dispatch",
                **{k: env[k] for k in ("GITHUB_API_URL", "GRADER_BOT_LOGIN") if env.get(k)},
            })
            wrote = outcome.action in ("created", "updated")
            limited = outcome.rate_limited  # hammering on would only extend the limit
        results.append(Posted(entry.student, outcome))
        on_done(results[-1])
    return results


def _why_not(entry: StudentResult) -> str | None:
    if entry.result is None:
        return f"nothing was graded ({entry.status})"
    if entry.status == "ungradable":  # no final grade to announce: the grader failed on it
        return "not graded: the grader failed on it; run `grader run` again, then `grader feedback`"
    if not entry.repository:
        return "not graded from a GitHub repository"
    if not entry.commit:
        return "no commit to comment on"
    return None


def tally(results: list[Posted]) -> str:
    """'3 created, 1 updated, 2 skipped'."""
    counts = Counter(p.outcome.action for p in results)
    return ", ".join(f"{counts[a]} {a}" for a in ("created", "updated", "unchanged", "skipped", "failed") if counts[a]) or "none"
