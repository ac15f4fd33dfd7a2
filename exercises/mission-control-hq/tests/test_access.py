"""Criterion `access`: the dashboard and the API for logged-in crew members, each their own missions."""
import pytest

from hq_checks import (
    add_mission, api, api_names, body, crew_member, dashboard_names, local_target, mission_rows, query,
    shared_member, show, status, token_from, unique,
)

pytestmark = pytest.mark.criterion("access")


def check_sent_to_login(r, what):
    location = r.headers.get("Location")
    assert r.status_code in (302, 303) and local_target(location) == "/login", (
        f"{what} (not logged in) returned {status(r)}, expected a redirect (302 or 303) to /login "
        f"(?next=... may follow).{body(r)}"
    )


def check_401_json(client, path, what=" (not logged in)"):
    r = client.get(path)
    assert r.status_code == 401 and r.mimetype == "application/json", (
        f"GET {path}{what} returned {status(r)} with mimetype {r.mimetype!r}, expected status 401 with a JSON "
        f"error such as {{\"error\": \"log in first\"}}: an API answers scripts, it does not redirect them to an "
        f"HTML login page.{body(r)}"
    )


def mission_id(app, name):
    rows = query(app, "SELECT id FROM mission WHERE name = ?", name)
    assert len(rows) == 1, (
        f"After adding the mission {name!r}, the query SELECT id FROM mission WHERE name = {name!r} returned "
        f"{len(rows)} rows, expected one"
    )
    return rows[0]["id"]


def two_crews(client, app):
    """Crew member A (on `client`) with a mission; crew member B on a client of their own."""
    a, _ = shared_member(client, app, "a")
    secret = unique("Secret mission of A")
    add_mission(client, secret)
    other = app.client()
    b, _ = shared_member(other, app, "b")
    return a, b, secret, other


def test_dashboard_requires_login(client):
    check_sent_to_login(client.get("/dashboard"), "GET /dashboard")


def test_api_requires_login(client):
    check_401_json(client, "/api/missions")


def test_adding_a_mission_requires_login(client, app):
    name = unique("Ghost mission")
    token = token_from(client, "/login")  # a visitor's valid token, from the login form
    r = client.post("/missions", data={"name": name, **({"csrf_token": token} if token else {})})
    assert r.status_code == 401 or (r.status_code in (302, 303) and local_target(r.headers.get("Location")) == "/login"), (
        f"POST /missions with name={name!r} and a valid csrf_token (not logged in) returned {status(r)}, expected "
        f"a redirect (302 or 303) to /login, or status 401.{body(r)}"
    )
    assert not mission_rows(app, name), (
        f"After POST /missions with name={name!r} (not logged in), the mission table holds a row named {name!r}, "
        "expected none: only logged-in crew members may add missions"
    )


def test_new_crew_member_has_no_missions(client, app):
    username, _ = crew_member(client, "rookie")
    who = f" (logged in as {username!r}, who has just registered)"
    names = dashboard_names(client, who)
    listed = api_names(client, who)
    assert not names and not listed, (
        f"GET /dashboard{who} listed the missions {show(names)} and GET /api/missions {show(listed)}, expected "
        "none: a crew member sees only their own missions"
    )


def test_dashboard_shows_only_own_missions(client, app):
    a, b, secret, other = two_crews(client, app)
    names = dashboard_names(other, f" (logged in as {b!r})")
    assert secret not in names, (
        f"GET /dashboard logged in as {b!r} listed {secret!r}, a mission of another crew member ({a!r}); "
        f"expected only the missions of {b!r} (none yet). Listed: {show(names)}"
    )


def test_api_lists_only_own_missions(client, app):
    a, b, secret, other = two_crews(client, app)
    names = api_names(other, f" (logged in as {b!r})")
    assert secret not in names, (
        f"GET /api/missions logged in as {b!r} listed {secret!r}, a mission of another crew member ({a!r}); "
        f"expected only the missions of {b!r} (none yet). Listed: {show(names)}"
    )


def test_api_hides_other_crews_mission(client, app):
    a, b, secret, other = two_crews(client, app)
    path = f"/api/missions/{mission_id(app, secret)}"
    r = other.get(path)
    assert r.status_code in (403, 404), (
        f"GET {path} logged in as {b!r}, for the mission {secret!r} of {a!r}, returned {status(r)}, expected 404 "
        f"(or 403): nobody may read another crew member's mission by guessing its id.{body(r)}"
    )


@pytest.mark.hidden
def test_api_mission_requires_login(client, app):
    a, _, secret, _ = two_crews(app.client(), app)
    check_401_json(client, f"/api/missions/{mission_id(app, secret)}")


@pytest.mark.hidden
def test_other_crews_missions_stay_hidden_both_ways(client, app):
    a, b, secret, other = two_crews(client, app)
    mine = unique("Mission of B")
    add_mission(other, mine)
    for who, c, hidden_name in ((a, client, mine), (b, other, secret)):
        names = dashboard_names(c, f" (logged in as {who!r})")
        listed = api_names(c, f" (logged in as {who!r})")
        assert hidden_name not in names and hidden_name not in listed, (
            f"Logged in as {who!r}, GET /dashboard listed {show(names)} and GET /api/missions {show(listed)}, "
            f"expected neither to list {hidden_name!r}, another crew member's mission"
        )
    data = api(other, f"/api/missions/{mission_id(app, mine)}", who=f" (logged in as {b!r}, its owner)")
    assert isinstance(data, dict) and data.get("name") == mine, (
        f"GET /api/missions/<id of {mine!r}> logged in as its owner {b!r} returned {show(data)!r}, expected "
        f"the mission with \"name\": {mine!r}"
    )
