"""Criterion `errors`: unknown probes and URLs are 404, unsupported methods are 405, and
these errors are JSON {"error": "..."} too, not Flask's HTML pages."""
import pytest

from grader.testing import excerpt

pytestmark = pytest.mark.criterion("errors")

API = "/api/probes"
UNKNOWN_ID = 999999


def check_json_error(r, request, expected, meaning):
    assert r.status_code == expected, (
        f"{request} returned status {r.status_code}, expected {expected} ({meaning}). "
        f"Body: {excerpt(r.text)!r}"
    )
    assert r.mimetype == "application/json", (
        f"{request} returned status {expected} with mimetype {r.mimetype!r}, expected "
        "'application/json': error responses are JSON too, not HTML pages. "
        f"Body: {excerpt(r.text)!r}"
    )
    data = r.get_json(silent=True)
    message = data.get("error") if isinstance(data, dict) else None
    assert isinstance(message, str) and message.strip(), (
        f"{request} returned {excerpt(r.text)!r}, expected a JSON object "
        '{"error": "..."} with a message (a non-empty string)'
    )


def a_probe_path(client):
    """The URL of an existing probe: one is created for the test. If creating fails (the
    `create` criterion reports that), any id will do: the 405 comes from the routing."""
    r = client.post(API, json={"name": "Helios 2", "altitude_km": 43000})
    data = r.get_json(silent=True) if r.status_code in (200, 201) else None
    probe_id = data.get("id") if isinstance(data, dict) else None
    return f"{API}/{probe_id if type(probe_id) is int else 1}"


def check_not_found(client, path, why):
    check_json_error(client.get(path), f"GET {path} ({why})", 404, "Not Found")


def check_not_allowed(client, method, path):
    request = f"{method} {path}"
    r = client.open(path, method=method, json={"name": "Helios 3", "altitude_km": 1})
    check_json_error(r, request, 405, "Method Not Allowed")


def test_unknown_probe_is_404(client):
    check_not_found(client, f"{API}/{UNKNOWN_ID}", f"no probe has id {UNKNOWN_ID}")


def test_non_integer_id_is_404(client):
    check_not_found(client, f"{API}/abc", "ids are whole numbers")


def test_unknown_url_is_404(client):
    check_not_found(client, "/api/rockets", "there is no such URL")


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_unsupported_method_on_collection_is_405(client, method):
    check_not_allowed(client, method, API)


def test_put_on_a_probe_is_405(client):
    check_not_allowed(client, "PUT", a_probe_path(client))


@pytest.mark.hidden
@pytest.mark.parametrize("path, why", [
    (f"{API}/0", "ids start at 1"),
    (f"{API}/2147483648", "no probe has that id"),
    (f"{API}/7/telemetry", "there is no such URL"),
])
def test_other_unknown_urls_are_404(client, path, why):
    check_not_found(client, path, why)


@pytest.mark.hidden
def test_other_unsupported_methods_are_405(client):
    check_not_allowed(client, "PATCH", API)
    check_not_allowed(client, "POST", a_probe_path(client))
