"""Criterion `validation`: POST /api/probes refuses invalid probes and bodies that are not a
JSON object, says why in JSON, and creates nothing.

The app keeps its probes for the whole grading session: "creates nothing" is checked as
"total is the same before and after the request".
"""
import json

import pytest

from grader.testing import excerpt

pytestmark = pytest.mark.criterion("validation")

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


def current_total(client):
    """The list's "total", or None when the list does not give one (the `list` criterion
    reports that; here it only means "nothing was created" cannot be checked)."""
    r = client.get(API, query_string={"limit": 1})
    data = r.get_json(silent=True) if r.status_code == 200 else None
    total = data.get("total") if isinstance(data, dict) else None
    return total if type(total) is int else None


def check_nothing_created(client, request, before):
    after = current_total(client)
    if before is None or after is None:
        return
    assert after == before, (
        f"{request} was refused, but \"total\" went from {before} to {after} (GET {API}?limit=1): "
        "a refused request must not create a probe"
    )


def check_field_errors(client, body, fields):
    """POST an invalid body: 400 with {"errors": {...}} naming exactly `fields`."""
    request = f"POST {API} with JSON {show(body)}"
    before = current_total(client)
    r = client.post(API, json=body)
    check_status(r, request, 400, "Bad Request")
    data = read_json(r, request)
    errors = data.get("errors") if isinstance(data, dict) else None
    example = ", ".join(f'"{f}": "..."' for f in fields)
    assert isinstance(errors, dict), (
        f"{request} returned {excerpt(r.text)!r}, expected a JSON object "
        f"{{\"errors\": {{{example}}}}} with one message per invalid field"
    )
    for field in fields:
        message = errors.get(field)
        assert isinstance(message, str) and message.strip(), (
            f"{request} returned \"errors\": {excerpt(show(errors))!r}, expected the key "
            f"{field!r} with a message (a non-empty string) saying what is wrong with it"
        )
    assert sorted(errors) == sorted(fields), (
        f"{request} returned errors for {sorted(errors)}, expected errors for exactly "
        f"{sorted(fields)}: only the fields that are invalid are listed"
    )
    check_nothing_created(client, request, before)


def check_request_error(client, request, send, status, meaning):
    """A body that is not a JSON object: `status` with {"error": "..."}."""
    before = current_total(client)
    r = send()
    check_status(r, request, status, meaning)
    data = read_json(r, request)
    message = data.get("error") if isinstance(data, dict) else None
    assert isinstance(message, str) and message.strip(), (
        f"{request} returned {excerpt(r.text)!r}, expected a JSON object "
        '{"error": "..."} whose message (a non-empty string) says what is wrong with the body'
    )
    check_nothing_created(client, request, before)


def test_missing_fields_are_both_reported(client):
    check_field_errors(client, {}, ["name", "altitude_km"])


@pytest.mark.parametrize("body, field", [
    ({"name": "N" * 60, "altitude_km": 100}, "name"),
    ({"name": 42, "altitude_km": 100}, "name"),
    ({"altitude_km": 100}, "name"),
    ({"name": "Kepler", "altitude_km": -5}, "altitude_km"),
    ({"name": "Kepler", "altitude_km": "high"}, "altitude_km"),
], ids=["name-too-long", "name-not-a-string", "name-missing", "altitude-negative",
        "altitude-not-a-number"])
def test_invalid_field_is_reported(client, body, field):
    check_field_errors(client, body, [field])


@pytest.mark.parametrize("content_type, text", [
    ("text/plain", '{"name": "Voyager 1", "altitude_km": 408.5}'),
    ("application/x-www-form-urlencoded", "name=Voyager+1&altitude_km=408.5"),
], ids=["text-plain", "form"])
def test_body_not_sent_as_json_is_415(client, content_type, text):
    request = f"POST {API} with Content-Type: {content_type} and body {text!r}"
    check_request_error(
        client, request, lambda: client.post(API, data=text, content_type=content_type),
        415, "Unsupported Media Type",
    )


def test_malformed_json_is_400(client):
    text = '{"name": "Voyager 1", "altitude_km": '
    request = f"POST {API} with Content-Type: application/json and the broken JSON {text!r}"
    check_request_error(
        client, request, lambda: client.post(API, data=text, content_type="application/json"),
        400, "Bad Request",
    )


@pytest.mark.hidden
@pytest.mark.parametrize("body, fields", [
    ({"name": "", "altitude_km": 10}, ["name"]),
    ({"name": "N" * 51, "altitude_km": 10}, ["name"]),
    ({"name": None, "altitude_km": 10}, ["name"]),
    ({"name": "Gaia", "altitude_km": -0.1}, ["altitude_km"]),
    ({"name": "Gaia", "altitude_km": "12"}, ["altitude_km"]),
    ({"name": "Gaia", "altitude_km": True}, ["altitude_km"]),
    ({"name": "Gaia", "altitude_km": None}, ["altitude_km"]),
    ({"name": "Gaia"}, ["altitude_km"]),
    ({"name": ["Gaia"], "altitude_km": -3}, ["name", "altitude_km"]),
])
def test_other_invalid_fields_are_reported(client, body, fields):
    check_field_errors(client, body, fields)


@pytest.mark.hidden
@pytest.mark.parametrize("body", [
    {"name": "N" * 50, "altitude_km": 10},
    {"name": "G", "altitude_km": 0},
    {"name": "Gaia", "altitude_km": 0.0},
])
def test_boundary_values_are_accepted(client, body):
    request = f"POST {API} with JSON {show(body)}"
    r = client.post(API, json=body)
    assert r.status_code in (200, 201), (
        f"{request} returned status {r.status_code}, expected 201 (Created): this probe is "
        f"valid. Body: {excerpt(r.text)!r}"
    )
    probe = read_json(r, request)
    for key in ("name", "altitude_km"):
        value = probe.get(key) if isinstance(probe, dict) else None
        assert value == body[key], (
            f"{request} returned {key!r}: {value!r}, expected {body[key]!r}. "
            f"Body: {excerpt(r.text)!r}"
        )


@pytest.mark.hidden
@pytest.mark.parametrize("text", ['["Voyager 1", 408.5]', '"Voyager 1"', "null", ""])
def test_json_that_is_not_an_object_is_400(client, text):
    request = f"POST {API} with Content-Type: application/json and body {text!r}"
    check_request_error(
        client, request, lambda: client.post(API, data=text, content_type="application/json"),
        400, "Bad Request",
    )
