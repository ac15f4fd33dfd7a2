"""Helpers shared by the mission-log-db tests (not collected: only test_*.py files are).

The app runs once for the whole grading session and keeps its data, so every test creates
missions with names of its own (`unique`) and checks only facts about them.
"""
import json
import uuid

from grader.testing import excerpt


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


def post_entry(client, mission_id, text, ok, expected):
    """POST a log entry (201 with JSON); `ok(data)` judges the answer, `expected` words it for the student."""
    path = f"/missions/{mission_id}/log"
    data = request(client, "POST", path, 201, {"text": text})
    assert ok(data), f"POST {path} with text {text!r} returned {show(data)!r}, expected {expected}"
    return data
