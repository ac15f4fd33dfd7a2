"""Helpers shared by the launch-sequence tests (not collected: only test_*.py files are).

Every check runs the app the way production does, inside the sandbox, with only the environment
variables the test gives: in a fresh Python process (`app.boot`) or under gunicorn (`app.serve`),
talking HTTP to it. Each server gets a database file of its own in the sandbox's temporary
folder (`app.temp_dir`, removed with the sandbox), so tests never see each other's launches
unless they mean to.
"""
import json
import re
import uuid

import pytest

from grader.sandbox import AppUnavailable
from grader.testing import excerpt, tail

# An SQLite URL that can never be opened: /dev/null is a file, not a folder, even for root.
UNREACHABLE_DATABASE_URL = "sqlite:////dev/null/launch.db"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


TEMP = {"dir": "/tmp"}  # the sandbox's temporary folder: set once per session by conftest.py


def database_url():
    return f"sqlite:///{TEMP['dir']}/launch-{uuid.uuid4().hex[:12]}.db"


def production(**extra):
    """A production environment with a fresh secret key and database of its own."""
    return {"APP_ENV": "production", "SECRET_KEY": uuid.uuid4().hex, "DATABASE_URL": database_url(), **extra}


def show(data):
    return excerpt(json.dumps(data, ensure_ascii=False))


def show_env(env):
    # The temporary folder's real path means nothing to a student: call it what the app sees.
    env = {k: v.replace(TEMP["dir"], "$TMPDIR") if TEMP["dir"] != "/tmp" else v for k, v in env.items()}
    shown = " ".join(f"{k}={v!r}" if v == "" else f"{k}={v}" for k, v in env.items())
    return shown or "no environment variables (beyond PATH and HOME)"


# The line that says why a program stopped: "RuntimeError: SECRET_KEY must be set ...".
_EXCEPTION = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Warning)(?::|$)")
_NOISE = re.compile(r"^(?:\s|Traceback |During handling |The above exception |\[\d{4}-|\^|~)")
# Where the sandbox keeps the submission (jail and Docker: /app/; else .../submission/).
_PRIVATE_PATH = re.compile(r"(?:/[\w.-]+)*/(?:submission|app)/(?=[\w.-])")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # colours (Flask's development server prints some)


def output_tail(output):
    """The last lines of a program's output, without gunicorn's [INFO] lines and the sandbox's paths."""
    output = _ANSI.sub("", output)
    kept = "\n".join(line for line in output.splitlines() if "] [INFO] " not in line)
    return _PRIVATE_PATH.sub("", tail(kept if kept.strip() else output))


def why_it_stopped(output):
    """The exception (or gunicorn's own complaint) in a program's output, then gunicorn's reason."""
    lines = [line.rstrip() for line in _ANSI.sub("", output).splitlines() if line.strip()]
    lines = [line for line in lines if "HaltServer" not in line]
    errors = [line for line in lines if _EXCEPTION.match(line)]
    plain = [line for line in lines if not _NOISE.match(line)]
    found = errors[-1] if errors else plain[-1] if plain else ""
    reasons = [line.split("Reason: ", 1)[1] for line in lines if "] Reason: " in line]
    text = " ".join(filter(None, [found, f"(gunicorn: {reasons[-1]})" if reasons else ""]))
    return excerpt(_PRIVATE_PATH.sub("", text), 400) if text else output_tail(output)


def boot_failure(booted):
    """Why app.boot() could not start the app, with its output when it printed something useful."""
    reason = booted.reason if booted.reason.endswith((".", ")")) else booted.reason + "."
    return reason + (f" Its output ended with: {output_tail(booted.output)}" if booted.output.strip() else "")


class Gunicorn:
    """`gunicorn [options] wsgi:app` in the sandbox with `env`; its failures name the command and environment.

        with Gunicorn(app, env, "--workers", "2") as server:
            launches = server.json("GET", "/launches", 200)
    """

    # Given to every gunicorn, not shown in messages: stop at once when the test is over.
    QUIET_OPTIONS = ("--graceful-timeout", "0")

    def __init__(self, app, env, *options):
        self.env = dict(env)
        self.options = options
        self.server = app.serve("wsgi:app", env=self.env, options=(*options, *self.QUIET_OPTIONS), ready="/healthz")
        self.unanswered = None  # the failure of the first request that got no answer: later ones fail at once

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.server.stop()

    @property
    def command(self):
        return " ".join(["gunicorn", *self.options, "wsgi:app"])

    def describe(self):
        return f"`{self.command}` (with {show_env(self.env)})"

    def running(self):
        return self.server.refresh().running

    def require_running(self):
        if not self.running():
            pytest.fail(
                f"{self.describe()} exited with code {self.server.exit_code} instead of serving the app: "
                f"{why_it_stopped(self.server.output)}",
                pytrace=False,
            )

    def open(self, method, path, payload=None):
        """One request over HTTP; a server that stopped or hangs fails the test with its output."""
        self.require_running()
        if self.unanswered:
            pytest.fail(f"{method} {path} was not sent: an earlier request got no answer. {self.unanswered}",
                        pytrace=False)
        try:
            return self.server.client().open(path, method=method, json=payload)
        except AppUnavailable as exc:
            self.unanswered = (
                f"{exc.message}; it was started as {self.describe()}. Its output ended with: "
                f"{output_tail(self.server.refresh().output)}"
            )
            pytest.fail(self.unanswered, pytrace=False)

    def json(self, method, path, status, payload=None, story=""):
        """The parsed JSON answer of a request that must answer `status` with mimetype application/json."""
        r = self.open(method, path, payload)
        what = f"{method} {path}" + ("" if payload is None else f" with JSON {show(payload)}")
        what += f" {story}" if story else ""
        assert r.status_code == status, (
            f"{what} (to {self.command}) answered {r.status_code}, expected {status}. Body: {excerpt(r.text)!r}"
        )
        assert r.mimetype == "application/json", (
            f"{what} (to {self.command}) answered with mimetype {r.mimetype!r}, expected 'application/json'. "
            f"Body: {excerpt(r.text)!r}"
        )
        try:
            return json.loads(r.text)
        except ValueError:
            pytest.fail(f"{what} (to {self.command}) answered a body that is not JSON: {excerpt(r.text)!r}",
                        pytrace=False)

    def create_launch(self, mission, status="go"):
        payload = {"mission": mission, "status": status}
        data = self.json("POST", "/launches", 201, payload)
        ok = isinstance(data, dict) and isinstance(data.get("id"), int) and not isinstance(data.get("id"), bool) \
            and data.get("mission") == mission and data.get("status") == status
        assert ok, (
            f"POST /launches with JSON {show(payload)} (to {self.command}) answered {show(data)}, expected "
            f'the new launch event {{"id": <integer>, "mission": {json.dumps(mission, ensure_ascii=False)}, '
            f'"status": "{status}"}}'
        )
        return data

    def launches(self, story=""):
        data = self.json("GET", "/launches", 200, story=story)
        assert isinstance(data, list), (
            f"GET /launches {story} (to {self.command}) answered {show(data)}, expected a JSON list of launch events"
        )
        return data


def listed(launches, created):
    """The events among `launches` with the (unique) missions of `created`, in the order listed,
    each shown by the keys the README names (events may have more)."""
    missions = {event["mission"] for event in created}
    return [essential(e) for e in launches if isinstance(e, dict) and e.get("mission") in missions]


def essential(event):
    """A launch event by the keys the README names."""
    return {k: event.get(k) for k in ("id", "mission", "status")}
