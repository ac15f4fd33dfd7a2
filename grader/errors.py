"""Exceptions for users: each carries the exit code the CLI ends with."""

from __future__ import annotations


class GraderError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback.

    >>> raise GraderError("rubrics/x.yaml:3: criteria[0].points: must be a number")
    """

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message
