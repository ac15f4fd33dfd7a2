"""Class rosters (GitHub Classroom's export, Classroom 50's students.csv) and the CSV tables they are."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from grader.errors import GraderError

MAX_TABLE_BYTES = 20 * 2**20

# format name → (its columns as exported, the column holding the GitHub username)
ROSTER_FORMATS: dict[str, tuple[tuple[str, ...], str]] = {
    "GitHub Classroom roster": (("identifier", "github_username", "github_id", "name"), "github_username"),
    "Classroom 50 students.csv": (("username", "first_name", "last_name", "email", "section", "github_id"), "username"),
}


def read_table(path: Path, shapes: Mapping[str, Sequence[str]]) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """Read a UTF-8 CSV whose header holds every column of one of `shapes` (name → columns).

    Returns the name of the shape found and the rows, each with its line number, as
    {column: stripped value}. Columns of the shape are matched case-insensitively and keyed in
    lower case; other columns keep their header's spelling. Blank lines are skipped.

    >>> read_table(Path("class.csv"), {"class list": ("student", "repo")})
    ('class list', [(2, {'student': 'alice', 'repo': 'https://…', 'section': 'A'})])
    """
    def fail(line: int, what: str) -> GraderError:
        return GraderError(f"{path}:{line}: {what}")

    expected = " or ".join(f"a {name} ({', '.join(columns)})" for name, columns in shapes.items())
    try:
        data = path.read_bytes()
    except OSError as error:
        raise GraderError(f"{path}: cannot read: {error.strerror or error}") from None
    if len(data) > MAX_TABLE_BYTES:
        raise fail(1, f"over {MAX_TABLE_BYTES // 2**20} MiB; is this a CSV table?")
    try:
        text = data.decode("utf-8-sig")  # a BOM, as spreadsheets write it, is fine
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise fail(line, "not UTF-8 text; save the table as CSV UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next((row for row in reader if row), None)
        if header is None:
            raise fail(1, f"empty file; expected the columns of {expected}")
        header_line = reader.line_num
        known = {column for columns in shapes.values() for column in columns}
        names = [cell.strip().lower() if cell.strip().lower() in known else cell.strip() for cell in header]
        shape = next((name for name, columns in shapes.items() if set(columns) <= set(names)), None)
        if shape is None:
            found = ", ".join(cell.strip() for cell in header)[:200]
            raise fail(header_line, f"expected the columns of {expected}; found: {found}")
        duplicate = next((name for name in names if name and names.count(name) > 1), None)
        if duplicate:
            raise fail(header_line, f"column {duplicate!r} appears twice")
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(names):
                raise fail(reader.line_num, f"{len(row)} values but the header has {len(names)} columns")
            values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(names) if name}
            rows.append((reader.line_num, values))
    except csv.Error as error:
        raise fail(reader.line_num, f"not a valid CSV table ({error})") from None
    return shape, rows


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """A roster's rows keyed by GitHub username, each with its other columns (as text).

    Rows of a GitHub Classroom roster whose student never linked a GitHub account are keyed by
    their identifier instead: they can have no repository, so they show up as missing.

    >>> read_roster(Path("classroom_roster.csv"))["alice"]
    {'identifier': 'alice@school.edu', 'github_id': '1001', 'name': 'Alice Liddell'}
    """
    shape, rows = read_table(path, {name: columns for name, (columns, _key) in ROSTER_FORMATS.items()})
    key = ROSTER_FORMATS[shape][1]
    students: dict[str, dict[str, str]] = {}
    seen: dict[str, int] = {}
    for line, values in rows:
        username = values.pop(key) or values.get("identifier", "")
        if not username:
            raise GraderError(f"{path}:{line}: no {key}; every row needs one")
        if username.casefold() in seen:
            raise GraderError(f"{path}:{line}: {username} is already on line {seen[username.casefold()]}")
        seen[username.casefold()] = line
        students[username] = values
    return students
