"""Criterion `update`: PATCH /api/probes/<id> changes the fields it is sent, validated like
POST, and leaves the others (and everything, when it refuses) unchanged."""
import json

import pytest

from grader.testing import excerpt

pytestmark = pytest.mark.criterion("update")

API = "/api/probes"
UNKNOWN_ID = 999999


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


def create(client, name, altitude_km):
    body = {"name": name, "altitude_km": altitude_km}
    request = f"POST {API} with JSON {show(body)} (creating a probe to update)"
    r = client.post(API, json=body)
    # Only a success matters here: whether it is 201 is the `create` criterion's business.
    assert r.status_code in (200, 201), (
        f"{request} returned status {r.status_code}, expected 201 (Created). "
        f"Body: {excerpt(r.text)!r}"
    )
    probe = read_json(r, request)
    assert isinstance(probe, dict) and type(probe.get("id")) is int, (
        f"{request} returned {excerpt(r.text)!r}, expected the created probe as a JSON object "
        "with an integer \"id\""
    )
    return {"id": probe["id"], **body}


def check_probe(request, r, data, expected, why=""):
    assert isinstance(data, dict), (
        f"{request} returned {excerpt(r.text)!r}, expected the probe as a JSON object"
    )
    for key, value in expected.items():
        assert key in data and data[key] == value, (
            f"{request} returned {key!r}: {data.get(key, '(missing)')!r}, expected {value!r}{why}. "
            f"Body: {excerpt(r.text)!r}"
        )


def read_back(client, expected, after, why=""):
    path = f"{API}/{expected['id']}"
    request = f"GET {path} after {after}"
    r = client.get(path)
    check_status(r, request, 200, "OK")
    check_probe(request, r, read_json(r, request), expected, why)


def check_update(client, probe, changes):
    """PATCH `changes` onto `probe`: 200, the updated probe, and GET agrees."""
    path = f"{API}/{probe['id']}"
    request = f"PATCH {path} with JSON {show(changes)} (probe was {show(probe)})"
    r = client.patch(path, json=changes)
    check_status(r, request, 200, "OK")
    expected = {**probe, **{k: v for k, v in changes.items() if k in ("name", "altitude_km")}}
    check_probe(request, r, read_json(r, request), expected)
    read_back(client, expected, f"PATCH {path} with JSON {show(changes)}")


def test_patch_changes_only_altitude(client):
    probe = create(client, "Cassini", 1200)
    check_update(client, probe, {"altitude_km": 1500.5})


def test_patch_changes_only_name(client):
    probe = create(client, "Cassini", 1200)
    check_update(client, probe, {"name": "Cassini-Huygens"})


def test_patch_changes_both_fields(client):
    probe = create(client, "Galileo", 300)
    check_update(client, probe, {"name": "Galileo Orbiter", "altitude_km": 0.5})


def check_refused(client, probe, changes, fields):
    path = f"{API}/{probe['id']}"
    request = f"PATCH {path} with JSON {show(changes)}"
    r = client.patch(path, json=changes)
    check_status(r, request, 400, "Bad Request")
    data = read_json(r, request)
    errors = data.get("errors") if isinstance(data, dict) else None
    assert isinstance(errors, dict), (
        f"{request} returned {excerpt(r.text)!r}, expected a JSON object "
        '{"errors": {...}} with one message per invalid field, as for POST'
    )
    assert sorted(errors) == sorted(fields) and all(
        isinstance(m, str) and m.strip() for m in errors.values()
    ), (
        f"{request} returned \"errors\": {excerpt(show(errors))!r}, expected a message for "
        f"exactly {sorted(fields)}: only the fields that are invalid are listed"
    )
    read_back(client, probe, f"the refused {request}",
              " (a refused PATCH must change nothing, not even its valid fields)")


def test_invalid_patch_changes_nothing(client):
    probe = create(client, "Rosetta", 800)
    check_refused(client, probe, {"name": "Philae", "altitude_km": -1}, ["altitude_km"])


def test_patch_unknown_id_is_404(client):
    path = f"{API}/{UNKNOWN_ID}"
    request = f"PATCH {path} (no probe has id {UNKNOWN_ID})"
    r = client.patch(path, json={"name": "Ghost"})
    check_status(r, request, 404, "Not Found")
    data = read_json(r, request)
    message = data.get("error") if isinstance(data, dict) else None
    assert isinstance(message, str) and message.strip(), (
        f"{request} returned {excerpt(r.text)!r}, expected a JSON object "
        '{"error": "..."} with a message (a non-empty string)'
    )


@pytest.mark.hidden
def test_empty_patch_changes_nothing(client):
    probe = create(client, "New Horizons", 7800)
    check_update(client, probe, {})


@pytest.mark.hidden
def test_patch_ignores_id_in_body(client):
    other = create(client, "Dawn", 150)
    probe = create(client, "Stardust", 250)
    check_update(client, probe, {"id": other["id"], "name": "Stardust-NExT"})
    read_back(client, other, f"PATCH {API}/{probe['id']} with an \"id\" in its body",
              " (the \"id\" in a PATCH body is ignored)")


@pytest.mark.hidden
@pytest.mark.parametrize("changes, fields", [
    ({"name": "N" * 51}, ["name"]),
    ({"name": None}, ["name"]),
    ({"altitude_km": "900"}, ["altitude_km"]),
    ({"name": "", "altitude_km": -0.1}, ["name", "altitude_km"]),
])
def test_other_invalid_patches_change_nothing(client, changes, fields):
    probe = create(client, "Ulysses", 900)
    check_refused(client, probe, changes, fields)


@pytest.mark.hidden
def test_patch_not_sent_as_json_is_415(client):
    probe = create(client, "Magellan", 250)
    path = f"{API}/{probe['id']}"
    request = f"PATCH {path} with Content-Type: text/plain"
    r = client.patch(path, data='{"name": "Venus"}', content_type="text/plain")
    check_status(r, request, 415, "Unsupported Media Type")
    read_back(client, probe, f"the refused {request}")
