"""The interface every sandbox offers: start a submission, get a connection to its app."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from grader.rubric import Limits

# Applied to every student app, module-level or factory-made. PROPAGATE_EXCEPTIONS off makes a
# crashing route answer 500 as it would in production, in every sandbox alike.
TEST_CONFIG = {
    "TESTING": True,
    "PROPAGATE_EXCEPTIONS": False,
    "SECRET_KEY": "grader-test-secret",
    "WTF_CSRF_ENABLED": False,
}


def app_config(config: dict | None) -> dict:
    """The config every sandbox applies to the student's app: TEST_CONFIG, then the rubric's."""
    return {**TEST_CONFIG, **(config or {})}


@dataclass(frozen=True)
class Route:
    """One URL rule of the student's app."""

    rule: str
    endpoint: str
    methods: frozenset[str]


@dataclass(frozen=True)
class RenderedTemplate:
    """A template a request rendered: its name and the names of its context variables."""

    name: str
    context: list[str]


class AppStartError(Exception):
    """The app could not be started; `message` names file, line and exception."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GraderFault(Exception):
    """The grading machine failed, not the submission (the Docker engine stopped answering, a
    sandbox could not be set up, the host ran out of disk): the run is `ungradable`, never a 0.

    Raised on the trusted side only, from what the grader itself sees; nothing a student's app
    sends can raise it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AppUnavailable(Exception):
    """One request could not be answered (timeout, crash); fails that test only."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Connection(abc.ABC):
    """A started submission. Callable as a WSGI app; also answers questions about the app."""

    templates: list[RenderedTemplate] = []
    limits: Limits = Limits()
    warnings: list[str] = []  # what loading the app warned about (app.run() at import), for the report

    @abc.abstractmethod
    def __call__(self, environ: dict, start_response):  # WSGI
        ...

    @abc.abstractmethod
    def routes(self) -> list[Route]:
        ...

    @abc.abstractmethod
    def config(self) -> dict:
        ...

    @abc.abstractmethod
    def sql(self, query: str, params: list | tuple = ()) -> tuple[list[str], list[list]]:
        """Run a read-only query on the app's SQLite database: (columns, rows)."""

    @abc.abstractmethod
    def restart(self) -> None:
        """Stop the app and start it again on the same files (its database file included)."""

    @abc.abstractmethod
    def create(self, args: list, kwargs: dict) -> Connection:
        """Call the app's factory again with these (JSON) arguments: a second app, in the same sandbox."""

    @abc.abstractmethod
    def sandbox_call(self, header: dict, body: bytes = b"", timeout: float | None = None,
                     what: str | None = None) -> tuple[dict, bytes]:
        """One call to the sandbox's serving side (serving.OPS: serve, boot, read_text, ...).

        The reply is untrusted; an `error` in it, a timeout or a crash raise AppUnavailable naming `what`.
        """

    def rendered_templates(self) -> list[RenderedTemplate]:
        """The templates the most recent request rendered."""
        return list(self.templates)

    def app_output(self) -> tuple[str, int]:
        """What the app printed: (the first bytes kept, as text; the total number of bytes)."""
        return "", 0

    def close(self) -> None:
        """Stop the app and clean up; safe to call twice."""


class Prepared(abc.ABC):
    """A sandbox made ready before its submission is known (agent started, imports done). Single use."""

    @abc.abstractmethod
    def start(self, submission: Path, loading: dict | None = None) -> Connection:
        """Put the submission's files in and start its app; AppStartError if it can't start.

        `loading` says how the app is found (discovery.load_app: target, run_at_import, environ)."""

    @abc.abstractmethod
    def discard(self) -> None:
        """Destroy the sandbox unused."""


class Sandbox(abc.ABC):
    """Starts submissions. Subclasses differ only in how far the app is kept from the tests."""

    name: ClassVar[str]

    @abc.abstractmethod
    def prepare(self, limits: Limits, config: dict | None = None) -> Prepared:
        """A fresh sandbox for one submission, started as far as it can be without its files.

        The app will get TEST_CONFIG, then `config` (the rubric's) on top.
        """

    def start(self, submission: Path, limits: Limits, config: dict | None = None,
              loading: dict | None = None) -> Connection:
        """Start the app in `submission` (a private copy); raise AppStartError if it can't start."""
        return self.prepare(limits, config).start(submission, loading)
