"""The `grader` command line: check one app, validate exercises."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader import __version__
from grader.errors import GraderError
from grader.exercise import all_exercises, find_exercise
from grader.grade import grade
from grader.report import FORMATS, render
from grader.result import _number
from grader.sandbox import SANDBOXES


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader")
def cli() -> None:
    """Grade Flask apps against an exercise's rubric and tests."""


@cli.command()
@click.argument("exercise")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people, markdown for a comment, json for machines")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="write the report to this file instead of stdout")
@click.option("--sandbox", type=click.Choice(SANDBOXES), default="process", show_default=True,
              help="where the student's app runs: inprocess (fastest, no protection), process, docker")
def check(exercise: str, path: Path, fmt: str, output: Path | None, sandbox: str) -> None:
    """Grade the Flask app at PATH (default: .) against EXERCISE (a slug or an exercise folder).

    Exits 0 when the app was graded, whatever its score; 2 on bad input.
    """
    result = grade(find_exercise(exercise), path, sandbox)
    if output is None:
        click.echo(render(result, fmt, color=fmt == "text" and sys.stdout.isatty()), nl=False)
        return
    try:
        output.write_text(render(result, fmt), encoding="utf-8")
    except OSError as exc:
        raise GraderError(f"{output}: cannot write the report ({exc.strerror})") from None
    click.echo(f"{result.exercise}: {_number(result.score)} / {result.max_score} → {output}", err=True)


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
    table = Table(title="Exercise validation", show_edge=False)
    for column in ("Exercise", "Submission", "What it is", "Expected", "Score", ""):
        table.add_column(column, justify="right" if column in ("Expected", "Score") else "left")
    for c in checks:
        score = "—" if c.score is None else str(_number(c.score))
        mark = Text("✔ ok", style="green") if c.ok else Text(f"✘ {c.note or 'wrong score'}", style="red")
        table.add_row(c.exercise, c.submission, Text(c.about), c.expectation, score, mark)
    # Piped output (CI logs) is not bound to 80 columns; a terminal keeps its own width.
    Console(highlight=False, width=None if sys.stdout.isatty() else 140).print(table)
    failed = [c for c in checks if not c.ok]
    click.echo(f"{len(checks) - len(failed)} of {len(checks)} checks passed", err=bool(failed))
    if failed:
        sys.exit(1)


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


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr with their exit code, never a traceback."""
    try:
        cli.main(args=argv, prog_name="grader", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("grader: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        hint = f" (see 'grader {exc.ctx.info_name} --help')" if getattr(exc, "ctx", None) and exc.ctx.parent else ""
        click.echo(f"grader: error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    except GraderError as exc:
        click.echo(f"grader: error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except Exception:  # noqa: BLE001 - our bug: say so, keep the traceback for the report
        traceback.print_exc()
        click.echo("grader: internal error (a bug in flask-grader; please report it with the traceback above)", err=True)
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
