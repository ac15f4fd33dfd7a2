"""pytest plugin for exercise tests: `client` and `app` fixtures, one outcome record per test.

Registered under the `pytest11` entry point. Inert until a submission is given, either by
`grader check` or by hand: `pytest exercises/hello-mission/tests --grader-submission PATH`.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from werkzeug.test import Client, TestResponse

from grader import child
from grader.layout import AppNotFound, locate
from grader.rubric import AppSetting, Limits, load_rubric
from grader.sandbox import AppStartError, AppUnavailable, Connection, GraderFault, get_sandbox
from grader.testing import AppHandle

MESSAGE_LIMIT = 1000
MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "flask-grader")
    group.addoption("--grader-submission", metavar="PATH", help="the student's app to run the tests against")
    group.addoption("--grader-sandbox", metavar="NAME", default="inprocess", help="where the app runs")
    group.addoption("--grader-rubric", metavar="FILE", help="rubric whose limits apply")
    group.addoption("--grader-records", metavar="FILE", help="write one JSON record per test here")
    group.addoption("--grader-image", metavar="TAG", help="Docker image for --grader-sandbox docker")
    group.addoption("--grader-run-id", metavar="ID", help="label for this run's containers")


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    # Exercise test files (and their conftest.py) may share helpers from a module beside them
    # (tests/helpers.py): importlib import mode puts nothing on sys.path, so the tests' folders
    # go there, before the conftest.py files load.
    known = early_config.known_args_namespace
    if not getattr(known, "grader_submission", None):
        return
    for argument in getattr(known, "file_or_dir", None) or []:  # the test paths, not option values
        given = Path(str(argument).split("::")[0])
        folder = given if given.is_dir() else given.parent  # a test file given alone: its folder
        if given.exists() and str(folder.resolve()) not in sys.path:
            sys.path.insert(0, str(folder.resolve()))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "criterion(id): the rubric criterion this test decides")
    config.addinivalue_line("markers", "hidden: never show this test's name, code or message to students")
    records = config.getoption("grader_records", None)
    if records:
        config.pluginmanager.register(OutcomeRecorder(Path(records)), "grader-outcomes")


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    # `grader check` hands its test process the submission at once: start the app now, in a
    # thread, so that the agent imports it (on another core) while pytest collects the tests.
    start = child.CURRENT
    if start is None or start.prepared is None or session.config.option.collectonly or not start.submission_ready():
        return
    if session.config.getoption("grader_sandbox") == "inprocess":  # it imports the app into this very process
        return
    rubric = _rubric(session.config)
    setting = rubric.app if rubric else AppSetting()
    submission = start.take_submission().resolve()  # here, once: it is ready, so this does not wait
    prepared, start.prepared = start.prepared, None
    start.early = EarlyStart(lambda notes: _start(prepared, submission, setting, notes))


def pytest_unconfigure(config: pytest.Config) -> None:
    start = child.CURRENT
    if start is not None and start.early is not None and not start.early.taken:  # no test asked for the app
        start.early.discard()


class EarlyStart:
    """The app being started in a thread; `connection()` waits for it (once) and raises what it raised."""

    def __init__(self, begin) -> None:
        self.notes: list[str] = []
        self.taken = False
        self._result: Connection | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(begin,), name="grader-early-start", daemon=True)
        self._thread.start()

    def _run(self, begin) -> None:
        try:
            self._result = begin(self.notes)
        except BaseException as exc:  # noqa: BLE001 - handed to the fixture, which reports it
            self._error = exc

    def connection(self, notes: list[str]) -> Connection:
        self.taken = True
        self._thread.join()
        notes.extend(self.notes)
        if self._error is not None:
            raise self._error
        return self._result

    def discard(self) -> None:
        self._thread.join()
        if self._result is not None:
            self._result.close()


def _rubric(config: pytest.Config):
    """The session's rubric (None without --grader-rubric), loaded once."""
    if not hasattr(config, "_grader_rubric"):
        path = config.getoption("grader_rubric")
        config._grader_rubric = load_rubric(Path(path)).rubric if path else None
    return config._grader_rubric


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    # A warm child has collected its tests ahead; it waits for its submission here, before the
    # first test starts, so that the wait counts in no test's duration.
    if child.CURRENT is not None and not session.config.option.collectonly:
        child.CURRENT.take_submission()
        child.CURRENT.tests_begin()


class OutcomeRecorder:
    """Writes the records the trusted side scores from: what was collected, how each test ended."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8")
        self._phases: dict[str, list[pytest.TestReport]] = {}

    def write(self, record: dict) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.write({
                "type": "collected",
                "nodeid": item.nodeid,
                "criteria": [str(m.args[0]) if m.args else "" for m in item.iter_markers("criterion")],
                "hidden": item.get_closest_marker("hidden") is not None,
            })

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            # One line for the course author: the exception pytest marks with "E", else the last line.
            lines = [line.strip() for line in report.longreprtext.splitlines() if line.strip()]
            marked = [line[1:].strip() for line in lines if line.startswith("E ")]
            message = (marked or lines or ["collection failed"])[-1]
            self.write({"type": "collect_error", "nodeid": report.nodeid, "message": message})

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        if call.excinfo is not None and not report.passed:
            report.user_properties.append(("grader_message", failure_message(call.excinfo.value)))
            if isinstance(call.excinfo.value, GraderFault):  # the machine failed mid-run: no verdict
                self.write({"type": "grader_fault", "message": call.excinfo.value.message})
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._phases.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        phases = self._phases.pop(nodeid, [])
        outcome, message = "passed", None
        for report in phases:
            if report.failed:
                outcome = "failed" if report.when == "call" else "error"
            elif report.skipped and outcome == "passed":
                outcome = "skipped"
            if not report.passed and message is None:
                message = dict(report.user_properties).get("grader_message")
        self.write({
            "type": "outcome",
            "nodeid": nodeid,
            "outcome": outcome,
            "message": message,
            "duration": round(sum(r.duration for r in phases), 4),
        })

    def pytest_unconfigure(self) -> None:
        self._file.close()


def failure_message(exc: BaseException) -> str:
    """What a student reads for a failed test: the assertion's own message, not the test's code."""
    if isinstance(exc, (AppUnavailable, AppStartError)):
        text = exc.message
    elif isinstance(exc, GraderFault):
        text = f"not graded: the grader failed ({exc.message})"
    elif isinstance(exc, AssertionError):
        text = str(exc)
        # pytest appends its introspection ("\nassert 404 == 200 ...") to a message; keep the message.
        head, sep, _ = text.partition("\nassert ")
        if sep and head.strip():
            # pytest indents the message's continuation lines by two spaces; undo that.
            text = "\n".join(line.removeprefix("  ") for line in head.splitlines())
        else:
            text = text.splitlines()[0] if text else "assertion failed"
    elif isinstance(exc, pytest.skip.Exception):
        text = f"skipped: {exc.msg}"
    elif isinstance(exc, pytest.fail.Exception):
        text = exc.msg
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = text.strip() or type(exc).__name__
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


@pytest.fixture(scope="session")
def grader_connection(request: pytest.FixtureRequest):
    """The started submission every `client` and `app` talks to; started once per session."""
    config = request.config
    submission = config.getoption("grader_submission")
    if not submission:
        pytest.fail(
            "no submission to grade: run `grader check EXERCISE PATH`, or pytest with --grader-submission PATH",
            pytrace=False,
        )
    rubric = _rubric(config)
    limits = rubric.limits if rubric else Limits()
    recorder = config.pluginmanager.get_plugin("grader-outcomes")
    setting = rubric.app if rubric else AppSetting()
    notes: list[str] = []
    try:
        if child.CURRENT is not None and child.CURRENT.early is not None:  # started while pytest collected
            connection = child.CURRENT.early.connection(notes)
        elif child.CURRENT is not None:  # a warm child of `grader run`: its sandbox was started ahead
            connection = _start_warm(child.CURRENT, setting, notes)
        else:
            sandbox = get_sandbox(config.getoption("grader_sandbox"), rubric.packages if rubric else [],
                                  config.getoption("grader_image"), config.getoption("grader_run_id"))
            prepared = _prepare(sandbox, limits, rubric.config if rubric else None)
            connection = _start(prepared, Path(submission).resolve(), setting, notes)
    except AppStartError as exc:
        message = explain_missing_module(exc.message, rubric.packages if rubric else [])
        if recorder is not None:
            recorder.write({"type": "app_error", "message": message})
        # Cached by pytest for the session: every test fails with this, the app is tried once.
        pytest.fail(f"the app could not start: {message}", pytrace=False)
    except GraderFault as exc:
        if recorder is not None:
            recorder.write({"type": "grader_fault", "message": exc.message})
        pytest.fail(f"not graded: the grader failed ({exc.message})", pytrace=False)
    finally:
        if recorder is not None:  # where the app was found, what loading it warned about
            for note in notes:
                recorder.write({"type": "note", "message": note})
    try:
        yield connection
    finally:
        if recorder is not None:
            text, total = connection.app_output()
            recorder.write({"type": "app_output", "text": text, "total": total})
        connection.close()


def explain_missing_module(message: str, packages: list[str]) -> str:
    """A student's import of a module nobody provides: say so, and what the exercise does provide.

    The environment check has already made sure every package of the rubric is there, so a
    module still missing is the submission's: not in its folder, not among the exercise's packages.
    """
    missing = MISSING_MODULE.search(message)
    if not missing:
        return message
    names = [_requirement_name(spec) for spec in packages]
    shown = [spec for spec, name in zip(packages, names) if name != "flask"]
    provided = ", ".join(["Flask", *shown])
    return (f"{message} (neither the submission nor the exercise provides {missing.group(1)!r}; "
            f"the exercise provides: {provided})")


def _requirement_name(spec: str) -> str:
    try:
        return canonicalize_name(Requirement(spec).name)
    except InvalidRequirement:
        return spec.strip().lower()


def _prepare(sandbox, limits: Limits, config: dict | None):
    """A fresh sandbox, before the submission is known: whatever fails here is the grader's fault."""
    try:
        return sandbox.prepare(limits, config)
    except GraderFault:
        raise
    except Exception as exc:  # noqa: BLE001 - no student code has run yet
        raise GraderFault(f"the sandbox could not be prepared: {type(exc).__name__}: {exc}") from None


def _start(prepared, submission: Path, setting: AppSetting, notes: list[str]) -> Connection:
    """Find the app in the submission and start it, adding to `notes` what the report should say
    about it; the app's own failures are AppStartError, anything else is ours."""
    try:
        location = locate(submission, setting)
    except AppNotFound as exc:
        prepared.discard()
        raise AppStartError(exc.message) from None
    except Exception as exc:  # noqa: BLE001 - reading the submission's files failed on our side
        prepared.discard()
        raise GraderFault(f"the submission could not be read: {type(exc).__name__}: {exc}") from None
    notes.extend(location.notes)
    try:
        connection = prepared.start(location.root, location.loading(setting))
    except (AppStartError, GraderFault):
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. no space left on the host to copy the files in
        raise GraderFault(f"the submission could not be put in the sandbox: {type(exc).__name__}: {exc}") from None
    notes.extend(connection.warnings)
    return connection


def _start_warm(start: child.WarmStart, setting: AppSetting, notes: list[str]) -> Connection:
    """Wait for this child's submission, then start it in the sandbox prepared for it."""
    submission = start.take_submission().resolve()
    if start.prepared is None:
        raise GraderFault(start.prepare_error or "the sandbox could not be prepared")
    prepared, start.prepared = start.prepared, None  # single use: started once, closed by the fixture
    return _start(prepared, submission, setting, notes)


@pytest.fixture
def client(grader_connection: Connection) -> Client:
    """A werkzeug test client on the student's app; cookies persist within one test."""
    return Client(grader_connection, response_wrapper=TestResponse)


@pytest.fixture(scope="session")
def app(grader_connection: Connection) -> AppHandle:
    """A handle on the student's app: `.routes`, `.config`, `.route(rule)`."""
    return AppHandle(grader_connection)


