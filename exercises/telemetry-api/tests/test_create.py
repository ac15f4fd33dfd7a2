"""Criterion `create`: POST /api/probes creates a probe, answers 201 with a Location header,
and the new probe can be read back with GET /api/probes/<id>.

The app keeps its probes for the whole grading session, so no test assumes an empty store:
each one creates the probes it needs and only checks facts about those.
"""
import json
from urllib.parse import urlsplit

import pytest

from grader.testing import excerpt

pytestmark = pytest.mark.criterion("create")

API = "/api/probes"


def show(body):
    return json.dumps(body, ensure_ascii=False)


def check_status(r, request, expected, meaning):
    assert r.status_code == expected, (
        f"{request} returned status {r.status_code}, expected {expected} ({meaning}). "
        f"Body: {excerpt(r.text)!r}"
    )


def read_json(r, request):
    assert r.mimetype == "application/json", (
        f"{request} returned mimetype {r.mimetype!r}, expected 'application/json'. "
        f"Body: {excerpt(r.text)!r}"
    )
    data = r.get_json(silent=True)
    if data is None:
        pytest.fail(f"{request} returned a body that is not valid JSON. Body: {excerpt(r.text)!r}")
    return data


def post_probe(client, body):
    """POST the body; return (request description, response, created probe)."""
    request = f"POST {API} with JSON {show(body)}"
    r = client.post(API, json=body)
    check_status(r, request, 201, "Created")
    probe = read_json(r, request)
    assert isinstance(probe, dict), (
        f"{request} returned {excerpt(r.text)!r}, expected the created probe as a JSON object "
        'like {"id": 1, "name": "Voyager 1", "altitude_km": 408.5}'
    )
    probe_id = probe.get("id")
    assert type(probe_id) is int and probe_id >= 1, (
        f"{request} returned \"id\": {probe_id!r}, expected a whole number of at least 1. "
        f"Body: {excerpt(r.text)!r}"
    )
    return request, r, probe


def check_fields(request, r, probe, body):
    for key in ("name", "altitude_km"):
        assert key in probe and probe[key] == body[key], (
            f"{request} returned {key!r}: {probe.get(key, '(missing)')!r}, expected {body[key]!r} "
            f"(the value that was sent). Body: {excerpt(r.text)!r}"
        )


def check_location(request, r, probe):
    location = r.headers.get("Location")
    expected = f"{API}/{probe['id']}"
    assert location, (
        f"{request} returned no Location header, expected 'Location: {expected}' "
        "(the URL of the new probe)"
    )
    parts = urlsplit(location)
    assert parts.path == expected and not parts.query, (
        f"{request} returned the header Location: {location!r}, expected {expected!r} "
        f"(the URL of the probe with id {probe['id']} that it created)"
    )


def check_readable(client, probe, body):
    path = f"{API}/{probe['id']}"
    request = f"GET {path} (the probe just created)"
    r = client.get(path)
    check_status(r, request, 200, "OK")
    data = read_json(r, request)
    assert isinstance(data, dict), (
        f"{request} returned {excerpt(r.text)!r}, expected the probe as a JSON object"
    )
    expected = {"id": probe["id"], **body}
    for key, value in expected.items():
        assert key in data and data[key] == value, (
            f"{request} returned {key!r}: {data.get(key, '(missing)')!r}, expected {value!r}. "
            f"Body: {excerpt(r.text)!r}"
        )


VOYAGER = {"name": "Voyager 1", "altitude_km": 408.5}


def test_create_returns_201_and_the_probe(client):
    request, r, probe = post_probe(client, VOYAGER)
    check_fields(request, r, probe, VOYAGER)


def test_create_sets_location_header(client):
    request, r, probe = post_probe(client, VOYAGER)
    check_location(request, r, probe)


def test_created_probe_can_be_read(client):
    _, _, probe = post_probe(client, VOYAGER)
    check_readable(client, probe, VOYAGER)


def test_ids_increase(client):
    _, _, first = post_probe(client, {"name": "Pioneer 10", "altitude_km": 1200})
    request, r, second = post_probe(client, {"name": "Pioneer 11", "altitude_km": 1300})
    assert second["id"] > first["id"], (
        f"{request} returned id {second['id']}, expected an id greater than {first['id']}, "
        "the id of the probe created just before it (every new probe gets a new, larger id)"
    )


def test_create_ignores_id_in_body(client):
    _, _, existing = post_probe(client, {"name": "Juno", "altitude_km": 4200})
    body = {"id": existing["id"], "name": "Impostor", "altitude_km": 1}
    request, r, probe = post_probe(client, body)
    assert probe["id"] > existing["id"], (
        f"{request} returned id {probe['id']}, expected a new id greater than {existing['id']}: "
        "the server chooses the id, an \"id\" sent by the client is ignored"
    )
    path = f"{API}/{existing['id']}"
    r = client.get(path)
    data = r.get_json(silent=True) if r.mimetype == "application/json" else None
    name = data.get("name") if isinstance(data, dict) else None
    assert r.status_code == 200 and name == "Juno", (
        f"after {request}, GET {path} returned status {r.status_code} with {excerpt(r.text)!r}, "
        "expected status 200 and the probe named 'Juno' unchanged: a client must not be able to "
        "overwrite a probe by sending its id"
    )


@pytest.mark.hidden
@pytest.mark.parametrize("body", [
    {"name": "Mariner 2", "altitude_km": 12},
    {"name": "Hayabusa2 はやぶさ2", "altitude_km": 35786.25},
])
def test_create_other_probes(client, body):
    request, r, probe = post_probe(client, body)
    check_fields(request, r, probe, body)
    check_location(request, r, probe)
    check_readable(client, probe, body)
