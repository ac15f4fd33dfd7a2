"""Criterion `persistence`: the data is in the SQLite database file and survives a restart."""
import json
import uuid

import pytest

from grader.testing import excerpt
from helpers import create_mission, post_entry, show, unique

pytestmark = pytest.mark.criterion("persistence")


def add_entry(client, mission_id, text):
    return post_entry(client, mission_id, text, ok=lambda data: isinstance(data, dict) and isinstance(data.get("id"), int),
                      expected='an object with an integer "id"')


def check_mission_row(app, mission):
    rows = app.sql("SELECT id, name FROM mission WHERE name = ?", mission["name"])
    assert rows == [{"id": mission["id"], "name": mission["name"]}], (
        f"After POST /missions created {show(mission)}, the query "
        f"SELECT id, name FROM mission WHERE name = {mission['name']!r} on the database file returned "
        f"{show(rows)}, expected one row {show(mission)}"
    )


def test_mission_is_stored_in_database(client, app):
    check_mission_row(app, create_mission(client, unique("hubble")))


def test_log_entries_are_stored_in_database(client, app):
    mission = create_mission(client, unique("webb"))
    texts = ["Mirror unfolded", "First light"]
    for text in texts:
        add_entry(client, mission["id"], text)
    rows = app.sql("SELECT mission_id, text FROM log_entry WHERE mission_id = ? ORDER BY id", mission["id"])
    expected = [{"mission_id": mission["id"], "text": t} for t in texts]
    assert rows == expected, (
        f"After adding entries {texts!r} to mission {mission['id']}, the query "
        f"SELECT mission_id, text FROM log_entry WHERE mission_id = {mission['id']} ORDER BY id "
        f"on the database file returned {show(rows)}, expected {show(expected)}"
    )


def test_data_survives_restart(client, app):
    mission = create_mission(client, unique("galileo"))
    tag = uuid.uuid4().hex[:8]
    texts = [f"Jupiter orbit insertion (#{tag})", f"Probe entry (#{tag})"]
    for text in texts:
        add_entry(client, mission["id"], text)
    app.restart()
    story = f"after creating mission {mission['name']!r} with 2 entries and restarting the app"
    path = f"/missions/{mission['id']}"
    r = client.get(path)
    assert r.status_code == 200, (
        f"GET {path} {story} returned status {r.status_code}, expected 200: the mission is gone. "
        f"Body: {excerpt(r.text)!r}"
    )
    data = json.loads(r.text) if r.mimetype == "application/json" else r.text
    got = {k: data.get(k) for k in ("id", "name", "entry_count")} if isinstance(data, dict) else data
    expected = {"id": mission["id"], "name": mission["name"], "entry_count": 2}
    assert got == expected, f"GET {path} {story} returned {show(data)!r}, expected {show(expected)}"
    r = client.get(f"{path}/log")
    data = json.loads(r.text) if r.status_code == 200 and r.mimetype == "application/json" else None
    got = [e.get("text") for e in data if isinstance(e, dict) and tag in str(e.get("text"))] \
        if isinstance(data, list) else None
    assert got is not None and sorted(got) == sorted(texts), (
        f"GET {path}/log {story} returned status {r.status_code} with {excerpt(r.text)!r}, "
        f"expected 200 with the entries {texts!r}"
    )


@pytest.mark.hidden
def test_unicode_mission_is_stored_in_database(client, app):
    check_mission_row(app, create_mission(client, unique("Zoë Ωmega")))
