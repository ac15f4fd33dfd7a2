"""Helpers shared by the control-factory tests (not collected: only test_*.py files are).

The main app (the one wsgi.py makes) runs once for the whole grading session and keeps its
data; the tests also make more apps with `app.create(...)`, which calls the student's
create_app() again. Every test uses names of its own (`unique`) and checks facts about them.
Databases the tests ask for are relative SQLite files: they land in the instance folder.
"""
import json
import uuid
from dataclasses import dataclass

import pytest

from grader.sandbox import AppUnavailable
from grader.testing import AppHandle, excerpt, soup

DEFAULT_STATION = "Mission Control"
URI = "SQLALCHEMY_DATABASE_URI"
MISSING = "(not set)"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def fresh_uri(prefix="probes"):
    """A database nobody has used yet: instance/<prefix>-<random>.db."""
    return f"sqlite:///{unique(prefix)}.db"


def show(data):
    return excerpt(json.dumps(data, ensure_ascii=False))


def cap(text):
    """The text with a capital first letter, to start a message with an app's label."""
    return text[:1].upper() + text[1:]


def call_text(args, kwargs):
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"create_app({', '.join(shown)})"


@dataclass
class Made:
    """An app and the words that name it in a failure message."""

    handle: AppHandle
    label: str

    def client(self):
        return self.handle.client()


def main_app(app):
    return Made(app, "the app of wsgi.py")


def create(app, *args, **kwargs):
    """Call the student's create_app(*args, **kwargs) again; a clear failure if it raises."""
    text = call_text(args, kwargs)
    try:
        handle = app.create(*args, **kwargs)
    except AppUnavailable as exc:
        pytest.fail(f"{text} should return a new Flask app, but it failed: {exc.message}", pytrace=False)
    return Made(handle, f"the app from {text}")


def expect_config(made, expected):
    """The app's config has exactly these values for these keys."""
    config = made.handle.config
    got = {key: config.get(key, MISSING) for key in expected}
    wrong = {key: got[key] for key in expected if got[key] != expected[key] or type(got[key]) is not type(expected[key])}
    assert not wrong, (
        f"In {made.label}, app.config has {show(got)}, expected {show(expected)} "
        f"(wrong: {', '.join(sorted(wrong))})"
    )


def send(made, method, path, expected, payload=None):
    """One request to `made`; a crash of the app (a created app propagates its exceptions) fails clearly."""
    try:
        return made.client().open(path, method=method, json=payload)
    except AppUnavailable as exc:
        message = exc.message.removeprefix(f"{method} {path} ")  # "crashed the app: <file, line, error>"
        pytest.fail(f"{method} {path} on {made.label} (expected {expected}) {message}", pytrace=False)


def request(made, method, path, status, payload=None):
    """Send one request to `made`; check its status; a 2xx answer must be JSON, returned parsed."""
    r = send(made, method, path, f"status {status}", payload)
    what = f"{method} {path}" + ("" if payload is None else f" with JSON {json.dumps(payload, ensure_ascii=False)}")
    assert r.status_code == status, (
        f"{what} on {made.label} returned status {r.status_code}, expected {status}. Body: {excerpt(r.text)!r}"
    )
    if status >= 300:
        return None
    assert r.mimetype == "application/json", (
        f"{what} on {made.label} returned mimetype {r.mimetype!r}, expected 'application/json'. "
        f"Body: {excerpt(r.text)!r}"
    )
    return json.loads(r.text)


def probe_part(data):
    """The keys of a probe the tests check (a probe may have more)."""
    return {k: data.get(k) for k in ("id", "name")} if isinstance(data, dict) else data


def post_probe(made, name):
    """POST a probe; returns its {"id": ..., "name": ...}."""
    data = request(made, "POST", "/api/probes", 201, {"name": name})
    ok = isinstance(data, dict) and type(data.get("id")) is int and data.get("name") == name
    assert ok, (
        f"POST /api/probes with name {name!r} on {made.label} returned {show(data)!r}, expected an object "
        f'{{"id": <integer>, "name": {json.dumps(name, ensure_ascii=False)}}}'
    )
    return probe_part(data)


def listed_probes(made):
    data = request(made, "GET", "/api/probes", 200)
    assert isinstance(data, list) and all(isinstance(p, dict) for p in data), (
        f"GET /api/probes on {made.label} returned {show(data)!r}, expected a JSON list of probes"
    )
    return data


def listed_names(made):
    return [p.get("name") for p in listed_probes(made)]


def get_page(made, path):
    """GET an HTML page: status 200, mimetype text/html; returns (response, parsed soup)."""
    r = send(made, "GET", path, "status 200 with an HTML page")
    assert r.status_code == 200, (
        f"GET {path} on {made.label} returned status {r.status_code}, expected 200. Body: {excerpt(r.text)!r}"
    )
    assert r.mimetype == "text/html", (
        f"GET {path} on {made.label} returned mimetype {r.mimetype!r}, expected 'text/html'. Body: {excerpt(r.text)!r}"
    )
    return r, soup(r)


def page_probe_names(made):
    """The texts of the <li> items of <ul id="probes"> on GET /probes."""
    r, page = get_page(made, "/probes")
    ul = page.find("ul", id="probes")
    assert ul is not None, (
        f'GET /probes on {made.label} has no <ul id="probes">, expected the list of probes in it. '
        f"Body: {excerpt(r.text)!r}"
    )
    return [li.get_text(" ", strip=True) for li in ul.find_all("li")]


def sql(made, query, *params):
    """A read-only query on the database file of `made`; a clear failure if there is none."""
    shown = query + (f" with {list(params)!r}" if params else "")
    try:
        return made.handle.sql(query, *params)
    except AppUnavailable as exc:
        reason = exc.message.split("): ", 1)[-1]  # "querying the database (QUERY): reason" -> reason
        uri = made.handle.config.get(URI, MISSING)
        pytest.fail(
            f"The query {shown} on the database file of {made.label} failed: {reason}. Expected the file its "
            f"SQLALCHEMY_DATABASE_URI names ({uri!r}, in the instance folder) to exist and hold the table probe.",
            pytrace=False,
        )
