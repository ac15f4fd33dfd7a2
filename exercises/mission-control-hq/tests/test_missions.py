"""Criterion `missions`: the dashboard lists the crew member's missions; adding one; the JSON API."""
import uuid

import pytest

from hq_checks import (
    add_mission, api, api_names, check_form, dashboard_names, describe, error_messages, errors_note, excerpt,
    flashes, get_page, mission_rows, post_form, query, shared_member, show, soup, status, unique,
)

pytestmark = pytest.mark.criterion("missions")


def tagged(names, tag):
    return [n for n in names if isinstance(n, str) and tag in n]


def check_rejected(client, app, name, why):
    r, sent = post_form(client, "mission-form", {"name": name})
    page = soup(r)
    assert r.status_code == 400 and r.mimetype == "text/html", (
        f"POST /missions with {describe(sent)} returned {status(r)} with mimetype {r.mimetype!r}, expected "
        f"status 400 ({why}) with the dashboard shown again.{errors_note(r)}"
    )
    error = page.find(id="error-name")
    assert error is not None and error.get_text(strip=True) and "error" in (error.get("class") or []), (
        f"POST /missions with {describe(sent)} returned status 400 without a non-empty element class=\"error\" "
        f"id=\"error-name\" ({why}). Error messages found: {error_messages(page)}"
    )
    field = page.find("input", attrs={"name": "name"})
    assert field is not None and field.get("value") in (name, name.strip()), (
        f"POST /missions with {describe(sent)} showed the form again with the name field "
        f"{excerpt(str(field)) if field is not None else 'missing'!r}, expected value={name!r} (what was typed; "
        "without its surrounding spaces if you like)"
    )
    if name.strip():
        assert not mission_rows(app, name.strip()), (
            f"After POST /missions with {describe(sent)} was refused ({why}), the mission table holds a row named "
            f"{name.strip()!r}, expected none"
        )


def test_dashboard_has_the_mission_form(client, app):
    username, _ = shared_member(client, app)
    _, page = get_page(client, "/dashboard", f" (logged in as {username!r})")
    check_form(page, "/missions", "mission-form", {"name": "text"}, shown_by="/dashboard")
    assert page.find("ul", id="missions") is not None, (
        f"GET /dashboard (logged in as {username!r}) returned no <ul id=\"missions\">, expected one with an "
        "element class=\"mission-name\" for each of the crew member's missions"
    )


def test_added_mission_is_flashed_and_listed(client, app):
    username, _ = shared_member(client, app)
    name = unique("Lunar Gateway")
    add_mission(client, name)
    _, page = get_page(client, "/dashboard", f" (after adding the mission {name!r})")
    expected = f"Mission {name} added"
    assert expected in flashes(page), (
        f"GET /dashboard after adding the mission {name!r} showed the flash messages {flashes(page)!r}, "
        f"expected an element with class=\"flash\" and the text {expected!r}"
    )
    names = [tag.get_text(strip=True) for tag in page.select("#missions .mission-name")]
    assert names.count(name) == 1, (
        f"GET /dashboard after adding the mission {name!r} listed {show(names)} in "
        f"#missions .mission-name, expected {name!r} once"
    )


def test_missions_listed_in_the_order_added(client, app):
    username, _ = shared_member(client, app)
    tag = uuid.uuid4().hex[:8]
    added = [f"Venus Express {tag}", f"Artemis II {tag}", f"Mars Sample Return {tag}"]
    for name in added:
        add_mission(client, name)
    names = tagged(dashboard_names(client), tag)
    assert names == added, (
        f"GET /dashboard after adding the missions {show(added)} (in that order) listed {show(names)}, "
        "expected exactly these, in the order they were added"
    )


def test_api_lists_missions(client, app):
    username, _ = shared_member(client, app)
    tag = uuid.uuid4().hex[:8]
    added = [f"Juno {tag}", f"Europa Clipper {tag}"]
    for name in added:
        add_mission(client, name)
    data = api(client, "/api/missions")
    assert isinstance(data, list) and all(isinstance(m, dict) and isinstance(m.get("id"), int) for m in data), (
        f"GET /api/missions returned {show(data)!r}, expected a JSON list of objects with an integer \"id\" "
        "and a \"name\""
    )
    names = tagged([m.get("name") for m in data], tag)
    assert names == added, (
        f"GET /api/missions after adding the missions {show(added)} (in that order) listed {show(names)}, "
        "expected exactly these, in the order they were added"
    )
    first = next(m for m in data if m.get("name") == added[0])
    path = f"/api/missions/{first['id']}"
    one = api(client, path)
    got = {k: one.get(k) for k in ("id", "name")} if isinstance(one, dict) else one
    assert got == {"id": first["id"], "name": added[0]}, (
        f"GET {path} returned {show(one)!r}, expected {show({'id': first['id'], 'name': added[0]})}"
    )


def test_short_mission_name_is_rejected(client, app):
    shared_member(client, app)
    check_rejected(client, app, "XL", "a name of 2 characters is too short")


def test_mission_is_stored_with_its_owner(client, app):
    username, _ = shared_member(client, app)
    name = unique("Kepler")
    add_mission(client, name)
    users = query(app, "SELECT id FROM user WHERE username = ?", username)
    rows = query(app, "SELECT name, user_id FROM mission WHERE name = ?", name)
    expected = [{"name": name, "user_id": users[0]["id"] if users else "<the crew member's id>"}]
    assert rows == expected, (
        f"After {username!r} added the mission {name!r}, the query SELECT name, user_id FROM mission WHERE "
        f"name = {name!r} returned {show(rows)}, expected {show(expected)} (user_id: the id of {username!r} "
        "in the user table)"
    )


@pytest.mark.hidden
@pytest.mark.parametrize("name,why", [("     ", "a name of only spaces is empty"),
                                      ("M" * 61, "a name of 61 characters is too long")],
                         ids=["blank", "too-long"])
def test_other_bad_mission_names_are_rejected(client, app, name, why):
    shared_member(client, app)
    check_rejected(client, app, name, why)


@pytest.mark.hidden
def test_mission_names_at_limits_are_accepted(client, app):
    shared_member(client, app)
    for name in (uuid.uuid4().hex[:3], ("Long mission " + uuid.uuid4().hex * 2)[:60]):
        add_mission(client, name)
        assert name in dashboard_names(client), (
            f"GET /dashboard after adding the mission {name!r} ({len(name)} characters) did not list it"
        )


@pytest.mark.hidden
def test_mission_name_is_trimmed(client, app):
    shared_member(client, app)
    name = unique("Parker Solar Probe")
    add_mission(client, f"   {name}   ")
    names = dashboard_names(client)
    assert name in names and len(mission_rows(app, name)) == 1, (
        f"After adding the mission {'   ' + name + '   '!r}, GET /dashboard listed {show(names)} and the "
        f"mission table holds {len(mission_rows(app, name))} rows named {name!r}, expected it listed and stored "
        "once, without the surrounding spaces"
    )


@pytest.mark.hidden
def test_unicode_mission_roundtrip(client, app):
    shared_member(client, app)
    name = f"天问一号 — Zoë {uuid.uuid4().hex[:6]}"
    add_mission(client, name)
    assert name in dashboard_names(client) and name in api_names(client), (
        f"After adding the mission {name!r}, GET /dashboard listed {show(dashboard_names(client))} and "
        f"GET /api/missions {show(api_names(client))}, expected both to list it"
    )


@pytest.mark.hidden
def test_api_missing_mission_is_404(client, app):
    shared_member(client, app)
    add_mission(client, unique("Beacon"))
    ids = [m.get("id") for m in api(client, "/api/missions") if isinstance(m, dict)]
    path = f"/api/missions/{max([i for i in ids if isinstance(i, int)] or [0]) + 4_242_424}"
    r = client.get(path)
    assert r.status_code == 404 and r.mimetype == "application/json", (
        f"GET {path} (no mission has this id) returned {status(r)} with mimetype {r.mimetype!r}, expected "
        f"status 404 with a JSON error. Body: {excerpt(r.text)!r}"
    )
