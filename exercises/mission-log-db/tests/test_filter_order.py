"""Criterion `filter-order`: missions by name, log entries oldest first, ?contains= filter."""
import json
import uuid

import pytest

from grader.testing import excerpt
from helpers import create_mission, post_entry, request, show

pytestmark = pytest.mark.criterion("filter-order")


def add_entry(client, mission_id, text):
    return post_entry(client, mission_id, text, ok=lambda data: isinstance(data, dict) and data.get("text") == text,
                      expected=f'an object with "text": {json.dumps(text, ensure_ascii=False)}')


def log_story(client, words):
    """A new mission with one entry per word, in that order; every text carries a unique tag."""
    tag = uuid.uuid4().hex[:8]
    mission = create_mission(client, f"log-{tag}")
    texts = [f"{w} (#{tag})" for w in words]
    for text in texts:
        add_entry(client, mission["id"], text)
    return mission["id"], tag, texts


def fetch_texts(client, mission_id, tag, contains=None):
    """Texts of this test's entries (those carrying `tag`) as GET .../log lists them."""
    path = f"/missions/{mission_id}/log"
    shown = path if contains is None else f"{path}?contains={contains}"
    r = client.get(path, query_string=None if contains is None else {"contains": contains})
    assert r.status_code == 200 and r.mimetype == "application/json", (
        f"GET {shown} returned status {r.status_code} ({r.mimetype}), expected 200 with JSON. "
        f"Body: {excerpt(r.text)!r}"
    )
    data = json.loads(r.text)
    assert isinstance(data, list) and all(isinstance(e, dict) for e in data), (
        f"GET {shown} returned {show(data)!r}, expected a JSON list of log entry objects"
    )
    return shown, [e.get("text") for e in data if tag in str(e.get("text"))]


def check_filter(client, words, contains, expected_words):
    mission_id, tag, texts = log_story(client, words)
    expected = [t for w, t in zip(words, texts) if w in expected_words]
    shown, got = fetch_texts(client, mission_id, tag, contains)
    assert got == expected, (
        f"GET {shown} on a mission with entries {excerpt(repr(texts))} returned {excerpt(repr(got))}, "
        f"expected {excerpt(repr(expected))}: the entries whose text contains {contains!r} "
        "(ignoring case), oldest first"
    )


def check_mission_order(client, names):
    for name in names:
        create_mission(client, name)
    data = request(client, "GET", "/missions", 200)
    assert isinstance(data, list), f"GET /missions returned {show(data)!r}, expected a JSON list"
    got = [m.get("name") for m in data if isinstance(m, dict) and m.get("name") in names]
    assert got == sorted(names), (
        f"GET /missions after creating missions {names!r} (in that order) listed them as {got!r}, "
        f"expected them sorted by name: {sorted(names)!r}"
    )


def test_missions_are_listed_by_name(client):
    tag = uuid.uuid4().hex[:8]
    check_mission_order(client, [f"cassini-{tag}", f"apollo-{tag}", f"bepicolombo-{tag}"])


def test_log_is_oldest_first(client):
    words = ["Countdown started", "Main engine start", "Liftoff", "Tower cleared"]
    mission_id, tag, texts = log_story(client, words)
    shown, got = fetch_texts(client, mission_id, tag)
    assert got == texts, (
        f"GET {shown} after adding entries {excerpt(repr(texts))} (in that order) returned "
        f"{excerpt(repr(got))}, expected them oldest first: {excerpt(repr(texts))}"
    )


def test_contains_filter_ignores_case(client):
    check_filter(client, ["Main ENGINE start", "Liftoff", "engine cutoff", "Stage separation"],
                 "engine", {"Main ENGINE start", "engine cutoff"})


@pytest.mark.hidden
def test_contains_filter_uppercase_word(client):
    check_filter(client, ["Orbit insertion burn", "Solar panels deployed", "Insertion confirmed", "Antenna up"],
                 "INSERTION", {"Orbit insertion burn", "Insertion confirmed"})


@pytest.mark.hidden
def test_contains_filter_without_match(client):
    check_filter(client, ["Docking", "Hatch open"], "Splashdown", set())


@pytest.mark.hidden
def test_missions_are_listed_by_name_other_names(client):
    tag = uuid.uuid4().hex[:8]
    check_mission_order(client, [f"{tag}-venus", f"{tag}-mars", f"{tag}-jupiter", f"{tag}-mercury"])
