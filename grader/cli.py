"""The `grader` command line: check one app, validate exercises."""

from __future__ import annotations

import gc
import os
import sys
import traceback
from collections import Counter
from pathlib import Path
from typing import NoReturn

import click

from grader import __version__
from grader.errors import GraderError
from grader.exercise import all_exercises, find_exercise
from grader.report import FORMATS
from grader.sandbox import SANDBOXES

# Everything else is imported in the command that needs it: `grader check` starts its test
# process first, and the rest of its imports (pydantic, rich, the writers) overlap that start.


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader")
def cli() -> None:
    """Grade Flask apps against an exercise's rubric and tests."""


@cli.command()
@click.argument("exercise")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "github"]),
              help="text for people, markdown for a comment, json for machines, gradescope (results.json), "
                   "junit (XML), github for Actions [default: github when GITHUB_ACTIONS=true, else text]")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="write the report to this file instead of stdout")
@click.option("--sandbox", type=click.Choice(SANDBOXES), default="process", show_default=True,
              help="where the student's app runs: inprocess (fastest, no protection), process, docker")
@click.option("--watch", is_flag=True,
              help="grade again on every change of PATH's files, from a warm grader, until Ctrl-C")
def check(exercise: str, path: Path, fmt: str, output: Path | None, sandbox: str, watch: bool) -> None:
    """Grade the Flask app at PATH (default: .) against EXERCISE (a slug or an exercise folder).

    Exits 0 when the app was graded, whatever its score (an app that does not start scores 0);
    1 when the grader itself failed (the report says "not graded"); 2 on bad input.
    """
    if watch:
        if fmt not in (None, "text") or output is not None:
            raise GraderError("--watch shows the text report as it changes; drop --format and --output")
        from grader.watch import watch as watch_and_grade

        watch_and_grade(find_exercise(exercise), path, sandbox)
        return
    fmt = fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    if fmt == "github" and output is not None:
        raise GraderError("--output does not apply to --format github (it writes the step summary and outputs)")
    found = find_exercise(exercise)
    from grader.session import TestProcess

    # Docker's test process needs the image checked first (grade() does that); the others start now.
    process = None
    if sandbox != "docker":
        process = TestProcess.claim(found, sandbox) or TestProcess.fork(found, sandbox)
    try:
        from grader.grade import grade
        from grader.report import render, writer
        from grader.result import _number

        if fmt != "github":
            writer(fmt)  # imported now, while the tests run, not after them
    except BaseException:
        if process is not None:
            process.kill()
        raise
    result = grade(found, path, sandbox, process)
    if result.status == "ungradable" and fmt == "gradescope":
        # Gradescope scores a results.json without a score as 0: write none, so that it reports a
        # failed autograder (which staff can regrade), never a 0 the student did not earn.
        raise GraderError(f"not graded: the grader failed, not the submission ({result.errors[0]}); no results.json "
                          "written, so Gradescope reports a failed autograder; fix the cause and regrade", 1)
    if fmt == "github":
        _github_feedback(result, path)
    elif output is None:
        click.echo(render(result, fmt, color=fmt == "text" and sys.stdout.isatty()), nl=False)
    else:
        try:
            output.write_text(render(result, fmt), encoding="utf-8")
        except OSError as exc:
            raise GraderError(f"{output}: cannot write the report ({exc.strerror})") from None
        score = "not graded" if result.score is None else f"{_number(result.score)} / {result.max_score}"
        click.echo(f"{result.exercise}: {score} → {output}", err=True)
    if result.status == "ungradable":
        raise GraderError(f"not graded: the grader failed, not the submission ({result.errors[0]}); "
                          "fix the cause and run it again", 1)


def _github_feedback(result, path: Path) -> None:
    """Step summary, outputs, annotations, the text report in the log, and one sticky comment."""
    from grader.github.actions import log_lines, submission_in_workspace, write_outputs
    from grader.github.comment import post_feedback
    from grader.report.markdown import render_markdown

    try:
        write_outputs(result)
    except OSError as exc:
        click.echo(f"grader: warning: could not write the step summary or outputs ({exc.strerror})", err=True)
    for line in log_lines(result, submission_in_workspace(path)):
        click.echo(line)
    # Never fails the job: a comment that can't be posted is a warning, the grade stands.
    outcome = post_feedback(render_markdown(result), result.exercise)
    click.echo(f"grader: feedback comment {outcome.action}: {outcome.message}", err=True)


@cli.command()
@click.argument("exercises", nargs=-1)
@click.option("--sandbox", type=click.Choice(SANDBOXES), default="process", show_default=True)
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="submissions graded at once [default: cores]")
def validate(exercises: tuple[str, ...], sandbox: str, jobs: int | None) -> None:
    """Check that each EXERCISE (default: all) is sound.

    The rubric is valid, the solution scores full marks, the starter at most 10 %, and each
    mutant exactly the score its mutant.yaml declares. Exits 1 if any check fails.
    """
    from grader.validate import validate as run_validation

    found = [find_exercise(name) for name in exercises] if exercises else all_exercises()
    checks = run_validation(found, sandbox, jobs)
    from rich.table import Table
    from rich.text import Text

    from grader.result import _number

    table = Table(title="Exercise validation", show_edge=False)
    for column in ("Exercise", "Submission", "What it is", "Expected", "Score", ""):
        table.add_column(column, justify="right" if column in ("Expected", "Score") else "left")
    for c in checks:
        score = "—" if c.score is None else str(_number(c.score))
        mark = Text("✔ ok", style="green") if c.ok else Text(f"✘ {c.note or 'wrong score'}", style="red")
        table.add_row(c.exercise, c.submission, Text(c.about), c.expectation, score, mark)
    # Piped output (CI logs) is not bound to 80 columns; a terminal keeps its own width.
    _print_table(table)
    failed = [c for c in checks if not c.ok]
    click.echo(f"{len(checks) - len(failed)} of {len(checks)} checks passed", err=bool(failed))
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("exercise")
@click.option("--from", "source", required=True, metavar="SOURCE",
              help="a folder of submissions, a CSV (student,repo), or github:ORG/PREFIX")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="where the gradebook, reports, dashboard and history go")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="submissions graded at once [default: cores]")
@click.option("--deadline", metavar="ISO-8601", help="e.g. 2026-12-01T23:59:00+01:00 (with a time zone)")
@click.option("--sandbox", type=click.Choice(SANDBOXES),
              help="[default: docker when a Docker engine answers, else process]")
@click.option("--force", is_flag=True, help="grade again even what was graded at the same commit")
@click.option("--token", envvar="GITHUB_TOKEN", show_envvar=True, help="GitHub token for github: sources")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path),
              help="GitHub Classroom roster export or Classroom 50 students.csv")
@click.option("--late-penalty", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="per started day late (overrides the rubric; 0 = no late policy)")
@click.option("--late-cap", type=click.FloatRange(0, 100), default=100, metavar="PERCENT", show_default=True)
@click.option("--gradebook-format", type=click.Choice(["canvas", "moodle"]), help="also write an LMS import CSV")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), help="Git mirrors [default: OUT/.repos]")
@click.option("--shard", "shard_spec", metavar="K/N",
              help="grade only the K-th of N slices of the class (by a hash of each student's name); "
                   "combine the N OUT folders with `grader merge`")
def run(exercise: str, source: str, out: Path, jobs: int | None, deadline: str | None, sandbox: str | None,
        force: bool, token: str | None, roster: Path | None, late_penalty: float | None, late_cap: float,
        gradebook_format: str | None, cache: Path | None, shard_spec: str | None) -> None:
    """Grade a whole class: fetch every submission of SOURCE, grade them in parallel, write OUT.

    Results are kept in OUT/grader.db: a re-run grades only what changed (new commits, a new
    rubric or tests); --force grades everything again.
    """
    from grader.rubric import LatePolicy
    from grader.run import RunOptions, run_class, write_outputs
    from grader.run_progress import RunProgress
    from grader.shard import Shard

    shard = Shard.parse(shard_spec) if shard_spec is not None else None  # a bad spec stops us first
    found = find_exercise(exercise)
    found.load_rubric()  # an invalid rubric stops us before anything is fetched
    if roster is not None and not roster.is_file():
        raise GraderError(f"--roster {roster}: no such file")
    options = RunOptions(
        source=source, out=out, jobs=jobs or os.cpu_count() or 2, sandbox=sandbox or _default_run_sandbox(),
        deadline=_parse_deadline(deadline), force=force, token=token, roster=roster, cache=cache,
        late_from_rubric=late_penalty is None,
        late=LatePolicy(penalty_per_day=late_penalty, max_penalty=late_cap) if late_penalty else None,
        gradebook_format=gradebook_format, shard=shard,
    )
    with RunProgress(sys.stdout.isatty()) as progress:
        report = run_class(found, options, progress.start, progress.done, progress.retry, progress.ready)
    if report.interrupted:
        click.echo(f"grader: interrupted; {len(report.entries)} results are saved in {out / 'grader.db'} "
                   "— run the same command again to grade the rest", err=True)
        sys.exit(130)
    try:
        written = write_outputs(out, report.entries, report.record, gradebook_format)
    except OSError as exc:
        raise GraderError(f"--out {out}: cannot write the gradebook and reports ({exc.strerror}); the results "
                          f"graded so far are kept in {out / 'grader.db'}: free some space and run the same "
                          "command again", 1) from None
    where = f" in shard {shard}" if shard else ""
    click.echo(f"{len(report.entries)} submissions{where}: {report.graded} newly graded, {report.reused} unchanged "
               f"since the last run — {_statuses(report.entries)}; wrote {', '.join(str(p) for p in written)}")
    if report.unsaved:
        click.echo(f"grader: warning: some results could not be kept ({report.unsaved}); they are graded again "
                   "by the next run", err=True)
    if report.ungradable:
        _exit_ungradable(report.ungradable)


def _exit_ungradable(entries) -> None:
    """Say how many submissions the grader failed on, and why (one reason per cause), then exit 1."""
    from grader.report.sanitize import clean

    reasons = Counter(entry.reason or "no reason recorded" for entry in entries)
    why = "; ".join(f"{clean(reason, 200)} ({count}×)" if count > 1 else clean(reason, 200)
                    for reason, count in reasons.most_common(3))
    more = f"; and {len(reasons) - 3} other reasons" if len(reasons) > 3 else ""
    click.echo(f"grader: {len(entries)} submission{'s' if len(entries) != 1 else ''} could not be graded "
               f"because the grader failed, not the students: {why}{more}. Their gradebook cells are empty; "
               "fix the cause and run the same command again: only they are graded again.", err=True)
    sys.exit(1)


def _statuses(entries) -> str:
    counts = Counter(entry.status for entry in entries)
    order = ("graded", "error", "ungradable", "missing", "unreachable")
    return ", ".join(f"{counts[s]} {s}" for s in order if counts[s]) or "none"


@cli.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="where the merged gradebook, reports, dashboard and history go")
@click.option("--gradebook-format", type=click.Choice(["canvas", "moodle"]), help="also write an LMS import CSV")
def merge(folders: tuple[Path, ...], out: Path, gradebook_format: str | None) -> None:
    """Combine the OUT FOLDERS of `grader run --shard K/N` into one gradebook, reports and dashboard.

    Refuses folders graded against different tests or rubric, shards of different splits, a
    missing shard, and students found in two folders. Whole-class runs (say, two sections
    graded apart) can be merged too.
    """
    from grader.merge import merge as merge_parts
    from grader.run import write_outputs

    report = merge_parts(list(folders), out)
    written = write_outputs(out, report.entries, report.record, gradebook_format)
    click.echo(f"{len(report.entries)} submissions from {len(report.parts)} folders — {_statuses(report.entries)}; "
               f"wrote {', '.join(str(p) for p in written)}")


def _default_run_sandbox() -> str:
    from grader.sandbox.image import docker_client

    if docker_client() is not None:
        return "docker"
    click.echo("grader: warning: no Docker engine answers; grading in the process sandbox, which is not "
               "a security boundary for others' code (see README, Security model)", err=True)
    return "process"


def _parse_deadline(text: str | None):
    from datetime import datetime

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise GraderError(f"--deadline {text!r}: not an ISO 8601 date and time, e.g. 2026-12-01T23:59:00+01:00") from None
    if moment.tzinfo is None:
        raise GraderError(f"--deadline {text!r}: give a time zone, e.g. {text}+01:00 or {text}Z")
    return moment


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--token", envvar="GITHUB_TOKEN", show_envvar=True,
              help="a token that may comment on the students' repositories")
@click.option("--student", "students", multiple=True, metavar="NAME", help="only this student (repeatable)")
def feedback(out: Path, token: str | None, students: tuple[str, ...]) -> None:
    """Post each student's report from OUT (of `grader run` or `grader merge`) as a comment on their repository.

    It goes on the repository's "Feedback" pull request, else on the graded commit, and is
    updated in place by the next `grader feedback`; an unchanged report is not written again.
    Exits 1 if any comment could not be posted (run it again: what is posted is skipped).
    """
    from grader.github.feedback import post_class_feedback, tally
    from grader.report.sanitize import clean

    def show(posted) -> None:
        click.echo(f"{clean(posted.student, 60)}: {posted.outcome.message}")

    results = post_class_feedback(out, token, students=set(students) if students else None, on_done=show)
    failed = [p for p in results if p.outcome.action == "failed"]
    click.echo(f"{len(results)} students: {tally(results)}", err=bool(failed))
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("student")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("results"), show_default=True,
              help="the OUT folder of `grader run`")
@click.option("--exercise", help="only this exercise")
def history(student: str, out: Path, exercise: str | None) -> None:
    """List STUDENT's results over time, oldest first."""
    from grader.store import Store

    if not (out / "grader.db").is_file():
        raise GraderError(f"{out}: no grader.db here; give the --out folder of `grader run`")
    rows = Store(out / "grader.db").history(student, exercise)
    if not rows:
        raise GraderError(f"no results for {student!r} in {out / 'grader.db'}")
    from rich.table import Table

    from grader.result import _number

    table = Table(title=f"History of {student}", show_edge=False)
    for column in ("Graded at", "Exercise", "Commit", "Status", "Score", "Late"):
        table.add_column(column, justify="right" if column in ("Score", "Late") else "left")
    for graded_at, name, entry in rows:
        late = f"-{_number(entry.late.penalty)}" if entry.late.penalty else ""
        score = "—" if entry.score is None else f"{_number(entry.score)} / {entry.max_score}"
        table.add_row(graded_at, name, (entry.commit or "")[:10], entry.status, score, late)
    _print_table(table)


@cli.command()
@click.argument("exercises", nargs=-1)
def packages(exercises: tuple[str, ...]) -> None:
    """Print the pip requirements of each EXERCISE (default: all), one per line.

    The process sandbox runs apps with the grader's own Python: install them there with
    `pip install $(grader packages)`. Docker images get them from `grader image build`.
    """
    found = [find_exercise(name) for name in exercises] if exercises else all_exercises()
    wanted = dict.fromkeys(p for exercise in found for p in exercise.load_rubric().rubric.packages)
    for requirement in wanted:
        click.echo(requirement)


@cli.group()
def image() -> None:
    """Docker images the docker sandbox runs exercises in."""


@image.command("build")
@click.argument("exercises", nargs=-1)
@click.option("--base", default=None, help="base image with python3 [default: flask-grader-base:bookworm, "
              "built by scripts/build-base-image.sh]")
@click.option("--force", is_flag=True, help="rebuild even if the image exists")
def image_build(exercises: tuple[str, ...], base: str | None, force: bool) -> None:
    """Build the image for each EXERCISE (default: all): base + Flask + the rubric's packages + the agent."""
    from grader.sandbox.image import DEFAULT_BASE, build_image

    found = [find_exercise(name) for name in exercises] if exercises else all_exercises()
    for exercise in found:
        click.echo(f"{exercise.slug}: building…", err=True)
        tag = build_image(exercise, base or DEFAULT_BASE, force=force)
        click.echo(tag)


def _print_table(table) -> None:
    from rich.console import Console

    Console(highlight=False, width=None if sys.stdout.isatty() else 140).print(table)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr with their exit code, never a traceback."""
    try:
        cli.main(args=argv, prog_name="grader", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("grader: interrupted", err=True)
        _exit(130)
    except click.ClickException as exc:
        hint = f" (see 'grader {exc.ctx.info_name} --help')" if getattr(exc, "ctx", None) and exc.ctx.parent else ""
        click.echo(f"grader: error: {exc.format_message()}{hint}", err=True)
        _exit(exc.exit_code)
    except GraderError as exc:
        click.echo(f"grader: error: {exc.message}", err=True)
        _exit(exc.exit_code)
    except Exception:  # noqa: BLE001 - our bug: say so, keep the traceback for the report
        traceback.print_exc()
        click.echo("grader: internal error (a bug in flask-grader; please report it with the traceback above)", err=True)
        _exit(1)
    _exit(0)


def _exit(code: int) -> NoReturn:
    # At exit the interpreter's last collections walk every object that pydantic, rich and pytest
    # made (30 ms of a 0.6 s `grader check`); frozen, they are skipped. atexit handlers still run.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    main()
