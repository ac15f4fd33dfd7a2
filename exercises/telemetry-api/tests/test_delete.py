"""Criterion `delete`: DELETE /api/probes/<id> answers 204 with an empty body, the probe is
gone afterwards, and its id is never handed out again."""
import json

import pytest

from grader.testing import excerpt

pytestmark = pytest.mark.criterion("delete")

API = "/api/probes"
UNKNOWN_ID = 999999


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


def create(client, name, altitude_km=100):
    body = {"name": name, "altitude_km": altitude_km}
    request = f"POST {API} with JSON {json.dumps(body)} (creating a probe to delete)"
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
    return probe


def delete(client, probe_id):
    path = f"{API}/{probe_id}"
    request = f"DELETE {path}"
    r = client.delete(path)
    check_status(r, request, 204, "No Content")
    assert r.data == b"", (
        f"{request} returned status 204 with a body of {len(r.data)} bytes "
        f"({excerpt(r.text)!r}), expected an empty body"
    )


def check_not_found(client, method, probe_id, why):
    path = f"{API}/{probe_id}"
    request = f"{method} {path} ({why})"
    kwargs = {"json": {"name": "Lazarus"}} if method == "PATCH" else {}
    r = client.open(path, method=method, **kwargs)
    check_status(r, request, 404, "Not Found")
    data = read_json(r, request)
    message = data.get("error") if isinstance(data, dict) else None
    assert isinstance(message, str) and message.strip(), (
        f"{request} returned {excerpt(r.text)!r}, expected a JSON object "
        '{"error": "..."} with a message (a non-empty string)'
    )


def current_total(client):
    request = f"GET {API}?limit=1 (counting the probes)"
    r = client.get(API, query_string={"limit": 1})
    check_status(r, request, 200, "OK")
    data = read_json(r, request)
    total = data.get("total") if isinstance(data, dict) else None
    assert type(total) is int, (
        f"{request} returned {excerpt(r.text)!r}, expected a JSON object with an integer \"total\""
    )
    return total


def test_delete_returns_204_with_empty_body(client):
    probe = create(client, "Venera 7")
    delete(client, probe["id"])


def test_deleted_probe_is_gone(client):
    probe = create(client, "Venera 8")
    delete(client, probe["id"])
    check_not_found(client, "GET", probe["id"], "the probe was just deleted")
    check_not_found(client, "DELETE", probe["id"], "the probe was already deleted")


def test_delete_lowers_total(client):
    probe = create(client, "Venera 9")
    before = current_total(client)
    delete(client, probe["id"])
    after = current_total(client)
    assert after == before - 1, (
        f"GET {API}?limit=1 returned \"total\": {after} after DELETE {API}/{probe['id']}, "
        f"expected {before - 1} (it was {before} before)"
    )


def test_ids_are_never_reused(client):
    create(client, "Mars 2")
    last = create(client, "Mars 3")
    delete(client, last["id"])
    new = create(client, "Mars 4")
    assert new["id"] > last["id"], (
        f"after DELETE {API}/{last['id']}, POST {API} gave the new probe id {new['id']}, "
        f"expected an id greater than {last['id']}: ids are never reused, not even the id "
        "of a deleted probe"
    )


def test_delete_unknown_id_is_404(client):
    check_not_found(client, "DELETE", UNKNOWN_ID, f"no probe has id {UNKNOWN_ID}")


@pytest.mark.hidden
def test_deleting_one_probe_keeps_the_others(client):
    first, middle, last = (create(client, name) for name in ("Vega 1", "Vega 2", "Vega 3"))
    delete(client, middle["id"])
    check_not_found(client, "GET", middle["id"], "the probe was just deleted")
    check_not_found(client, "PATCH", middle["id"], "the probe was just deleted")
    for probe in (first, last):
        path = f"{API}/{probe['id']}"
        request = f"GET {path} after DELETE {API}/{middle['id']}"
        r = client.get(path)
        check_status(r, request, 200, "OK: only the deleted probe is gone")
        data = read_json(r, request)
        name = data.get("name") if isinstance(data, dict) else None
        assert name == probe["name"], (
            f"{request} returned \"name\": {name!r}, expected {probe['name']!r}"
        )
