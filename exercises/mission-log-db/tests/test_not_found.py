"""Criterion `not-found`: 404 for a mission that does not exist, 200 for one that does."""
import json
import uuid

import pytest

from grader.testing import excerpt

pytestmark = pytest.mark.criterion("not-found")


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def show(data):
    return excerpt(json.dumps(data, ensure_ascii=False))


def request(client, method, path, status, payload=None):
    """Send one request and check its status; a 2xx answer must be JSON, returned parsed."""
    r = client.open(path, method=method, json=payload)
    what = f"{method} {path}" + ("" if payload is None else f" with JSON {json.dumps(payload, ensure_ascii=False)}")
    assert r.status_code == status, (
        f"{what} returned status {r.status_code}, expected {status}. Body: {excerpt(r.text)!r}"
    )
    if status >= 300:
        return None
    assert r.mimetype == "application/json", (
        f"{what} returned mimetype {r.mimetype!r}, expected 'application/json'. Body: {excerpt(r.text)!r}"
    )
    return json.loads(r.text)


def create_mission(client, name):
    data = request(client, "POST", "/missions", 201, {"name": name})
    assert isinstance(data, dict) and isinstance(data.get("id"), int) and data.get("name") == name, (
        f"POST /missions with name {name!r} returned {show(data)!r}, expected an object "
        f'{{"id": <integer>, "name": {json.dumps(name, ensure_ascii=False)}}}'
    )
    return data


def missing_id(client, offset=1_000_000):
    """The id of a mission that does not exist: far beyond one that was just created."""
    mission = create_mission(client, unique("luna"))
    request(client, "GET", f"/missions/{mission['id']}", 200)  # the route exists and finds real missions
    return mission["id"] + offset


def test_show_missing_mission_is_404(client):
    request(client, "GET", f"/missions/{missing_id(client)}", 404)


def test_log_of_missing_mission_is_404(client):
    request(client, "GET", f"/missions/{missing_id(client)}/log", 404)


def test_add_entry_to_missing_mission_is_404(client):
    request(client, "POST", f"/missions/{missing_id(client)}/log", 404, {"text": "Hello?"})


@pytest.mark.hidden
def test_other_missing_missions_are_404(client):
    mission_id = missing_id(client, offset=4_242_424)
    request(client, "GET", f"/missions/{mission_id}", 404)
    request(client, "GET", f"/missions/{mission_id}/log?contains=x", 404)
    request(client, "POST", f"/missions/{mission_id}/log", 404, {"text": "Anyone there?"})
