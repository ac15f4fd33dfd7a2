"""A CSV class list: one row per student with the Git URL or the folder of their work."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError
from grader.sources.roster import read_table

COLUMNS = ("student", "repo")

_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^[A-Za-z0-9._~-]+@[^/:]+:|::")


@dataclass(frozen=True)
class Row:
    """One student of the table: exactly one of `url` (to fetch) and `folder` (to grade as it is),
    or neither when the repo cell is empty."""

    line: int
    student: str
    url: str | None = None
    folder: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)


def read_rows(path: Path) -> list[Row]:
    """The rows of a `student,repo[,more columns]` table; extra columns go into `extra`.

    repo is a Git URL or a path (relative to the table's folder): a Git repository there is
    fetched like a remote one, through its file:// URL; a plain folder is graded as it is.

    >>> read_rows(Path("class.csv"))[0]
    Row(line=2, student='alice', url='https://github.com/cs101/hello-alice.git', folder=None, extra={'section': 'A'})
    """
    _shape, table = read_table(path, {"class list": COLUMNS})
    rows = []
    seen: dict[str, int] = {}
    for line, values in table:
        student, repo = values.pop("student"), values.pop("repo")
        if not student:
            raise GraderError(f"{path}:{line}: the student column is empty")
        if student.casefold() in seen:
            raise GraderError(f"{path}:{line}: student {student} is already on line {seen[student.casefold()]}")
        seen[student.casefold()] = line
        url, folder = locate(repo, path.parent)
        rows.append(Row(line=line, student=student, url=url, folder=folder, extra=values))
    return rows


def locate(repo: str, base: Path) -> tuple[str | None, Path | None]:
    """(url, None) for a Git URL or a local Git repository, (None, folder) for anything else.

    Anything URL-shaped is returned as a URL even if its scheme is refused: the fetch says why.
    """
    if not repo:
        return None, None
    if _URL_LIKE.search(repo):
        return repo, None
    folder = (base / Path(repo).expanduser()).resolve()
    if (folder / ".git").exists() or ((folder / "HEAD").is_file() and (folder / "objects").is_dir()):
        return folder.as_uri(), None
    return None, folder
