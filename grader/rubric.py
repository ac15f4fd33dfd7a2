"""Rubric YAML → validated `Rubric` model; every error names file, line and key."""

from __future__ import annotations

import fnmatch
import math
import re
import typing
from pathlib import Path
from typing import Literal

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from grader.errors import GraderError

SLUG = r"^[a-z0-9][a-z0-9_-]*$"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where PyYAML was built with it


class _Model(BaseModel):
    # strict: a rubric saying `points: "20"` is a typo worth reporting, not coercing.
    # defer_build: schemas are built at the first validation, not at import (half the import time).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class Limits(_Model):
    """Resource limits for one submission; the sandboxes enforce them."""

    request_timeout: float = Field(5.0, gt=0, le=600, description="seconds one request may take")
    start_timeout: float = Field(10.0, gt=0, le=600, description="seconds the app may take to start")
    memory_mb: int = Field(512, ge=32, le=65536, description="memory for the app, MiB")
    processes: int = Field(128, ge=1, le=4096, description="processes and threads the app may have")
    cpus: float = Field(1.0, gt=0, le=64, description="CPU cores the app may use (docker)")
    disk_mb: int = Field(256, ge=16, le=65536,
                         description="space the app may write, MiB: /app, /tmp and /dev/shm together (docker; process as root)")

    @property
    def tmp_mb(self) -> int:
        """Size of /tmp, and of /dev/shm: a quarter of the disk each, at most 64 MiB."""
        return min(64, self.disk_mb // 4)

    @property
    def app_mb(self) -> int:
        """Size of /app, which holds the submission and what the app writes beside it."""
        return self.disk_mb - 2 * self.tmp_mb

    @property
    def file_bytes(self) -> int:
        """Largest file the app may write (RLIMIT_FSIZE): 64 MiB, or the whole disk when smaller."""
        return min(64, self.disk_mb) << 20


class LatePolicy(_Model):
    """Points off for work past the deadline: a share of the maximum per started day, capped.

    With a late policy, `grader run --deadline` grades each student's newest commit and takes the
    penalty off; without one, it grades the newest commit made before the deadline.
    """

    penalty_per_day: float = Field(ge=0, le=100, description="percent of the maximum score per started day")
    max_penalty: float = Field(100, ge=0, le=100, description="percent of the maximum score at most")

    def penalty(self, late_days: float, max_score: float) -> float:
        """Points to take off for work `late_days` days late."""
        if late_days <= 0:
            return 0.0
        started_days = math.ceil(late_days - 1e-9)
        return round(min(self.max_penalty, self.penalty_per_day * started_days) / 100 * max_score, 2)


class TestSelector(_Model):
    """Which tests decide a criterion: by marker id and/or node-id pattern."""

    markers: list[str] = []
    nodeids: list[str] = Field([], description="fnmatch patterns on node ids, e.g. 'test_home.py::*'")

    @model_validator(mode="after")
    def _not_empty(self) -> TestSelector:
        if not self.markers and not self.nodeids:
            raise ValueError("names no tests: give `markers` or `nodeids`")
        return self

    def matches(self, nodeid: str, markers: typing.Iterable[str]) -> bool:
        """True when a collected test belongs to this selector."""
        return bool(set(self.markers) & set(markers)) or any(
            fnmatch.fnmatchcase(nodeid, pattern) for pattern in self.nodeids
        )


# Variables a submission's .env may never set, whatever the rubric says: the sandbox's own.
RESERVED_ENV = re.compile(r"^(PATH|HOME|TMPDIR|PWD|SHELL|USER|LANG|LC_.*|TZ|PYTHON.*|LD_.*|GRADER_.*)$")


class AppSetting(_Model):
    """How the student's app is found and loaded; `app: "application.py"` is short for `app: {target: ...}`."""

    target: str | None = Field(None, description=(
        "the app as FLASK_APP names it, e.g. application.py or 'mission:create_app(\"testing\")'; "
        "default: FLASK_APP from the submission's .env/.flaskenv, else wsgi.py, app.py, application.py"))
    run_at_import: Literal["warn", "fail"] = Field("warn", description=(
        "app.run() called while the app is imported: skipped with a warning, or the app does not start"))
    dotenv: list[str] = Field([], description="variables of the submission's .env/.flaskenv given to the app")

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: object) -> object:
        return {"target": value} if isinstance(value, str) else value

    @field_validator("target")
    @classmethod
    def _target(cls, value: str | None) -> str | None:
        if value is not None:
            from grader.agent.discovery import DiscoveryError, parse_target  # Flask's import only when needed

            try:
                parse_target(value)
            except DiscoveryError as exc:
                raise ValueError(exc.message) from None
        return value

    @field_validator("dotenv")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"{name!r} is not an environment variable name")
            if RESERVED_ENV.match(name):
                raise ValueError(f"{name} is the sandbox's own variable; a submission may not set it")
        return value


class Criterion(_Model):
    """One graded requirement, decided by one or more tests."""

    id: str = Field(pattern=SLUG)
    title: str = Field(min_length=1)
    points: int = Field(gt=0)
    credit: Literal["all", "proportional"] = "all"
    visibility: Literal["visible", "hidden"] = "visible"
    hint: str | None = None
    tests: TestSelector


class Rubric(_Model):
    """An exercise's rubric: criteria, limits and the packages its image needs."""

    exercise: str = Field(pattern=SLUG)
    title: str = Field(min_length=1)
    limits: Limits = Limits()
    app: AppSetting = AppSetting()
    packages: list[str] = []
    config: dict[str, str | int | float | bool | None] = Field(
        {}, description="Flask config set on the student's app over the grader's test config, e.g. WTF_CSRF_ENABLED: true"
    )
    late: LatePolicy | None = None
    criteria: list[Criterion] = Field(min_length=1)

    @field_validator("packages")
    @classmethod
    def _requirements(cls, value: list[str]) -> list[str]:
        for spec in value:
            try:
                Requirement(spec)
            except InvalidRequirement as exc:
                reason = str(exc).splitlines()[0]
                raise ValueError(f"{spec!r} is not a pip requirement ({reason})") from None
        return value

    @field_validator("config")
    @classmethod
    def _config_names(cls, value: dict) -> dict:
        for name in value:
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                raise ValueError(f"{name!r} is not a Flask config name (upper case, digits and _)")
        return value

    @field_validator("criteria")
    @classmethod
    def _unique_ids(cls, value: list[Criterion]) -> list[Criterion]:
        seen: set[str] = set()
        for criterion in value:
            if criterion.id in seen:
                raise ValueError(f"criterion id {criterion.id!r} is used twice")
            seen.add(criterion.id)
        return value

    @property
    def max_score(self) -> int:
        return sum(c.points for c in self.criteria)


class LoadedRubric(typing.NamedTuple):
    """A rubric plus where it came from, so later errors can point into the file."""

    rubric: Rubric
    path: Path
    lines: dict[tuple, int]

    def where(self, *loc: str | int) -> str:
        """'file:line' of the deepest part of `loc` that exists in the file."""
        return f"{self.path}:{_line_of(self.lines, loc)}"

    def criterion_where(self, criterion_id: str) -> str:
        index = next(i for i, c in enumerate(self.rubric.criteria) if c.id == criterion_id)
        return self.where("criteria", index, "tests")


def load_rubric(path: Path) -> LoadedRubric:
    """Read and validate a rubric file; raise GraderError (exit 2) with one line on any problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GraderError(f"{path}: cannot read the rubric ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GraderError(
            f"{path}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}); save the file as UTF-8"
        ) from None
    try:
        loader = _LOADER(text)  # parsed once: the nodes (for line numbers), then the data from them
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise GraderError(f"{where}: invalid YAML: {problem}") from None
    lines: dict[tuple, int] = {}
    if node is not None:
        _record_lines(node, (), lines, path)
    if not isinstance(data, dict):
        raise GraderError(f"{path}:1: a rubric must be a mapping with keys exercise, title, criteria")
    _check_unique_ids(data, path, lines)
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        raise GraderError(_describe(exc, path, lines, data)) from None
    if rubric.exercise != path.stem:
        raise GraderError(
            f"{path}:{_line_of(lines, ('exercise',))}: exercise: {rubric.exercise!r} does not match "
            f"the file name; rename the file to {rubric.exercise}.yaml or fix the key"
        )
    return LoadedRubric(rubric, path, lines)


def _check_unique_ids(data: dict, path: Path, lines: dict[tuple, int]) -> None:
    # Checked here, not only by the model, to point at the repeated entry rather than the list.
    criteria = data.get("criteria")
    seen: set[str] = set()
    for index, entry in enumerate(criteria if isinstance(criteria, list) else []):
        ident = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(ident, str) and ident in seen:
            raise GraderError(
                f"{path}:{_line_of(lines, ('criteria', index, 'id'))}: criteria[{index}].id: "
                f"criterion id {ident!r} is used twice; give each criterion its own id"
            )
        seen.add(ident)


def _record_lines(node: yaml.Node, loc: tuple, lines: dict[tuple, int], path: Path) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise GraderError(f"{path}:{key_node.start_mark.line + 1}: key {key!r} appears twice")
            seen.add(key)
            lines[loc + (key,)] = key_node.start_mark.line + 1
            _record_lines(value_node, loc + (key,), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, loc + (index,), lines, path)


def _line_of(lines: dict[tuple, int], loc: tuple) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _describe(exc: ValidationError, path: Path, lines: dict[tuple, int], data: dict) -> str:
    # A misspelt key shows up as an unknown key *and* a missing one: name the typo first.
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = tuple(first["loc"])
    kind = first["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(_fields_at(loc[:-1]))
        what = f"{_dotted(loc[:-1], data) or 'top level'}: unknown key {loc[-1]!r} (allowed: {allowed})"
    elif kind == "missing":
        what = f"{_dotted(loc[:-1], data) or 'top level'}: missing key {loc[-1]!r}"
    else:
        message = " ".join(first["msg"].removeprefix("Value error, ").split())
        got = "" if kind == "value_error" else f" (got {_short(first.get('input'))})"
        what = f"{_dotted(loc, data) or 'top level'}: {message}{got}"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{path}:{_line_of(lines, loc)}: {what}{more}"


def _dotted(loc: tuple, data: object) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            data = data[part] if isinstance(data, list) and part < len(data) else None
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                out += f" ({data['id']})"
        else:
            out += f".{part}" if out else str(part)
            data = data.get(part) if isinstance(data, dict) else None
    return out


def _fields_at(loc: tuple) -> list[str]:
    """The keys a rubric allows at `loc`, found by walking the model types."""
    model: type = Rubric
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[str(part)].annotation
        args = typing.get_args(annotation) or (annotation,)
        model = next(a for a in args if isinstance(a, type) and issubclass(a, BaseModel))
    return list(model.model_fields)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
