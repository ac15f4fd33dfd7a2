"""Criterion `missions`: create, list and show missions; validation of the name."""
import pytest

from helpers import create_mission, request, show, unique

pytestmark = pytest.mark.criterion("missions")


def check_roundtrip(client, name):
    mission = create_mission(client, name)
    path = f"/missions/{mission['id']}"
    data = request(client, "GET", path, 200)
    expected = {"id": mission["id"], "name": name, "entry_count": 0}
    got = {k: data.get(k) for k in expected} if isinstance(data, dict) else data
    assert got == expected, (
        f"GET {path} (a mission just created, with no log entries) returned {show(data)!r}, "
        f"expected an object with {show(expected)}"
    )


def test_create_mission_returns_201_with_id_and_name(client):
    create_mission(client, unique("apollo"))


def test_show_mission_returns_it(client):
    check_roundtrip(client, unique("gemini"))


def test_created_mission_is_listed(client):
    mission = create_mission(client, unique("mercury"))
    data = request(client, "GET", "/missions", 200)
    assert isinstance(data, list), f"GET /missions returned {show(data)!r}, expected a JSON list of missions"
    listed = [m for m in data if isinstance(m, dict) and m.get("id") == mission["id"]]
    assert len(listed) == 1 and listed[0].get("name") == mission["name"], (
        f"GET /missions after creating {show(mission)} listed {show(listed)!r} for id {mission['id']}, "
        f"expected exactly one mission {show(mission)}"
    )


@pytest.mark.parametrize("payload", [{}, {"name": ""}], ids=["missing", "empty"])
def test_create_mission_without_name_is_400(client, payload):
    request(client, "POST", "/missions", 400, payload)


def test_duplicate_name_is_409(client):
    name = unique("voyager")
    create_mission(client, name)
    request(client, "POST", "/missions", 409, {"name": name})
    data = request(client, "GET", "/missions", 200)
    same = [m for m in data if isinstance(m, dict) and m.get("name") == name] if isinstance(data, list) else data
    assert isinstance(same, list) and len(same) == 1, (
        f"GET /missions after creating {name!r} twice (the second POST must be refused) listed "
        f"{show(same)!r} with that name, expected exactly one"
    )


@pytest.mark.hidden
def test_create_mission_with_blank_name_is_400(client):
    request(client, "POST", "/missions", 400, {"name": "   "})


@pytest.mark.hidden
@pytest.mark.parametrize("prefix", ["Zoë Ωmega", "火星 探査"])
def test_unicode_mission_name_roundtrip(client, prefix):
    check_roundtrip(client, unique(prefix))
