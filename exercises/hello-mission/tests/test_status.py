"""Criterion `status`: the JSON status endpoint at /status."""
import json

import pytest

from grader.testing import excerpt

pytestmark = pytest.mark.criterion("status")


def get_status(client):
    r = client.get("/status")
    assert r.status_code == 200, (
        f"GET /status returned status {r.status_code}, expected 200. "
        f"Body: {excerpt(r.text)!r}"
    )
    return r


def test_status_returns_json(client):
    r = get_status(client)
    assert r.mimetype == "application/json", (
        f"GET /status returned mimetype {r.mimetype!r}, expected "
        f"'application/json'. Body: {excerpt(r.text)!r}"
    )


def test_status_is_nominal(client):
    r = get_status(client)
    try:
        data = json.loads(r.text)
    except ValueError:
        pytest.fail(
            "GET /status returned a body that is not valid JSON, expected "
            f'{{"status": "nominal"}}. Body: {excerpt(r.text)!r}'
        )
    assert isinstance(data, dict), (
        f"GET /status returned JSON {excerpt(r.text)!r}, expected a JSON object "
        'like {"status": "nominal"}'
    )
    assert data.get("status") == "nominal", (
        f"GET /status returned \"status\": {data.get('status')!r}, expected "
        f"\"nominal\". Body: {excerpt(r.text)!r}"
    )
