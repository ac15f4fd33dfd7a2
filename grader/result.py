"""The Result model: the one thing every report format renders."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

SCHEMA_VERSION = 1


def _number(value: float | None) -> int | float | None:
    # 80.0 → 80: scores read as people write them. None (no score: ungradable) stays None.
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 2)


UNGRADABLE_NOTE = ("This is not a fault of the submission: the grader failed while grading it. "
                   "It has no score until it is graded again.")


class TestOutcome(BaseModel):
    """How one test ended. Hidden tests carry an anonymous id and no message."""

    id: str
    outcome: Literal["passed", "failed", "error", "skipped"]
    message: str | None = None
    duration: float = 0.0


TestOutcome.__test__ = False  # a model, not a test class, whatever pytest thinks of its name


class CriterionResult(BaseModel):
    id: str
    title: str
    points: float
    max_points: int
    status: Literal["pass", "partial", "fail"]
    visibility: Literal["visible", "hidden"] = "visible"
    feedback: str | None = None
    tests: list[TestOutcome] = []

    @field_serializer("points")
    def _points(self, value: float) -> int | float:
        return _number(value)


class SubmissionInfo(BaseModel):
    path: str
    commit: str | None = None


class Result(BaseModel):
    """The canonical grading result (`grader check --format json` prints exactly this).

    status: graded | error (the app did not start: 0) | ungradable (the grader failed, not the
    app: `score` is None, `criteria` is empty and `errors[0]` says what failed).
    """

    model_config = ConfigDict(populate_by_name=True)

    schema_version: int = Field(SCHEMA_VERSION, alias="schema")
    exercise: str
    submission: SubmissionInfo
    status: Literal["graded", "error", "ungradable"]
    score: float | None
    max_score: int
    criteria: list[CriterionResult]
    sandbox: str
    duration: float
    errors: list[str] = []
    # What the app printed: untrusted, so only the text and markdown reports show it (escaped,
    # trimmed); never the JSON document, whose consumers might mistake it for our own output.
    app_output: str = Field("", exclude=True)
    app_output_bytes: int = Field(0, exclude=True)

    @field_serializer("score")
    def _score(self, value: float | None) -> int | float | None:
        return _number(value)

    @field_serializer("duration")
    def _duration(self, value: float) -> float:
        return round(value, 3)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)


class LateInfo(BaseModel):
    """Lateness of a graded commit under the late policy: days late and the points taken off."""

    days: float = 0.0
    penalty: float = 0.0

    @field_serializer("penalty")
    def _penalty(self, value: float) -> int | float:
        return _number(value)


class StudentResult(BaseModel):
    """One gradebook row: a student, what was graded, the Result (if any) and the final score.

    status: graded | error (the app did not start) | ungradable (the grader failed: no score) |
    missing (no repository) | unreachable (the repository could not be fetched). `score` is
    after the late penalty; None only when ungradable.
    """

    student: str
    status: Literal["graded", "error", "ungradable", "missing", "unreachable"]
    score: float | None = 0.0
    max_score: int
    reason: str | None = None
    commit: str | None = None
    commit_time: str | None = None  # ISO 8601
    late: LateInfo = LateInfo()
    extra: dict[str, str] = {}
    repository: str | None = None  # OWNER/NAME of the student's GitHub repository, if it is one
    result: Result | None = None

    @field_serializer("score")
    def _score(self, value: float | None) -> int | float | None:
        return _number(value)
