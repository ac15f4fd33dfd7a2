"""The `grader` command's entry point: `grader check` starts its test process before the CLI loads.

Importing click and defining the commands takes 40 ms; the test process, forked at once, spends
them importing pytest instead. This module reads only what it needs for that from the command
line (the exercise, the sandbox); the CLI then parses everything and claims the early process
only if it is the one it would start (`TestProcess.claim`); one it does not claim is killed.
Any other command, or a check this guess gets wrong, just runs the CLI as it would have run.
"""

from __future__ import annotations

import sys

VALUED = ("--format", "--output", "-o", "--sandbox")  # grader check's options that take a value
EARLY_SANDBOXES = ("process", "inprocess")  # docker checks its image first; that is grade()'s work


def main() -> None:
    argv = sys.argv[1:]
    _start_early(argv)
    try:
        from grader.cli import main as cli_main

        cli_main(argv)
    finally:
        session = sys.modules.get("grader.session")  # not imported: nothing was started early
        if session is not None:
            session.TestProcess.abandon_early()


def early_check(argv: list[str]) -> tuple[str, str] | None:
    """(exercise, sandbox) when `argv` is a plain `grader check` that grades once; else None."""
    if not argv or argv[0] != "check":
        return None
    words, positional, sandbox = argv[1:], [], "process"
    index = 0
    while index < len(words):
        word = words[index]
        if word in ("--watch", "--help", "-h", "--"):
            return None
        if word in VALUED:
            if index + 1 == len(words):
                return None
            if word == "--sandbox":
                sandbox = words[index + 1]
            index += 2
            continue
        if word.startswith("--sandbox="):
            sandbox = word.split("=", 1)[1]
        elif not word.startswith("-"):
            positional.append(word)
        index += 1
    if not positional or sandbox not in EARLY_SANDBOXES:
        return None
    return positional[0], sandbox


def _start_early(argv: list[str]) -> None:
    guess = early_check(argv)
    if guess is None:
        return
    from grader.errors import GraderError
    from grader.exercise import find_exercise

    try:
        exercise = find_exercise(guess[0])
    except GraderError:
        return  # the CLI says what is wrong with it
    from grader.session import TestProcess

    TestProcess.start_early(exercise, guess[1])


if __name__ == "__main__":
    main()
