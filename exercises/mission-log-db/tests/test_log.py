"""Criterion `log-entries`: log entries belong to one mission (one-to-many)."""
import json

import pytest

from grader.testing import excerpt
from helpers import create_mission, post_entry, request, show, unique

pytestmark = pytest.mark.criterion("log-entries")


def add_entry(client, mission_id, text):
    expected = {"mission_id": mission_id, "text": text}

    def ok(data):
        return isinstance(data, dict) and isinstance(data.get("id"), int) and \
            {k: data.get(k) for k in expected} == expected

    return post_entry(client, mission_id, text, ok, expected=(
        f'an object {{"id": <integer>, "mission_id": {mission_id}, "text": {json.dumps(text, ensure_ascii=False)}}}'
    ))


def log_texts(client, mission_id):
    path = f"/missions/{mission_id}/log"
    data = request(client, "GET", path, 200)
    assert isinstance(data, list) and all(isinstance(e, dict) for e in data), (
        f"GET {path} returned {show(data)!r}, expected a JSON list of log entry objects"
    )
    return data


def check_log(client, mission_id, texts, story):
    entries = log_texts(client, mission_id)
    got = sorted(str(e.get("text")) for e in entries)
    assert got == sorted(texts), (
        f"GET /missions/{mission_id}/log ({story}) should list exactly the entries {excerpt(repr(texts))}, "
        f"but returned {len(entries)} entries with texts {excerpt(repr([e.get('text') for e in entries]))}"
    )
    wrong = [e for e in entries if e.get("mission_id") != mission_id]
    assert not wrong, (
        f"GET /missions/{mission_id}/log returned entries whose mission_id is not {mission_id}: {show(wrong)}"
    )


def entry_count(client, mission_id):
    path = f"/missions/{mission_id}"
    data = request(client, "GET", path, 200)
    assert isinstance(data, dict) and "entry_count" in data, (
        f"GET {path} returned {show(data)!r}, expected an object with an \"entry_count\" key"
    )
    return data["entry_count"]


def test_add_entry_returns_201_with_mission_id(client):
    mission = create_mission(client, unique("apollo"))
    add_entry(client, mission["id"], "Crew aboard")


def test_log_lists_only_this_missions_entries(client):
    a = create_mission(client, unique("artemis"))
    b = create_mission(client, unique("orion"))
    add_entry(client, a["id"], "Artemis: fuelling started")
    add_entry(client, b["id"], "Orion: hatch closed")
    add_entry(client, a["id"], "Artemis: fuelling complete")
    check_log(client, a["id"], ["Artemis: fuelling started", "Artemis: fuelling complete"],
              f"mission {a['name']!r} after adding 2 entries to it and 1 to another mission")
    check_log(client, b["id"], ["Orion: hatch closed"],
              f"mission {b['name']!r} after adding 1 entry to it and 2 to another mission")


def test_entry_count_counts_this_missions_entries(client):
    a = create_mission(client, unique("cassini"))
    b = create_mission(client, unique("huygens"))
    for text in ("Saturn in sight", "Ring crossing", "Titan flyby"):
        add_entry(client, a["id"], text)
    add_entry(client, b["id"], "Probe released")
    count = entry_count(client, a["id"])
    assert count == 3, (
        f"GET /missions/{a['id']} after adding 3 log entries to it (and 1 to another mission) returned "
        f"entry_count {count!r}, expected 3"
    )


@pytest.mark.parametrize("payload", [{}, {"text": ""}], ids=["missing", "empty"])
def test_entry_without_text_is_400(client, payload):
    mission = create_mission(client, unique("gemini"))
    request(client, "POST", f"/missions/{mission['id']}/log", 400, payload)
    check_log(client, mission["id"], [], f"mission {mission['name']!r} after a refused entry {json.dumps(payload)}")


@pytest.mark.hidden
def test_entry_with_blank_text_is_400(client):
    mission = create_mission(client, unique("skylab"))
    request(client, "POST", f"/missions/{mission['id']}/log", 400, {"text": " \t "})


@pytest.mark.hidden
def test_mission_without_entries_has_empty_log(client):
    mission = create_mission(client, unique("pioneer"))
    check_log(client, mission["id"], [], f"mission {mission['name']!r}, which has no entries")
    count = entry_count(client, mission["id"])
    assert count == 0, f"GET /missions/{mission['id']} for a mission without entries returned entry_count {count!r}, expected 0"


@pytest.mark.hidden
def test_unicode_entry_roundtrip(client):
    mission = create_mission(client, unique("Rosetta"))
    text = "Philae a atterri ✓ — comète 67P"
    add_entry(client, mission["id"], text)
    check_log(client, mission["id"], [text], f"mission {mission['name']!r} after adding one entry")
