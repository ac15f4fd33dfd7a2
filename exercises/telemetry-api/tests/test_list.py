"""Criterion `list`: GET /api/probes lists the probes in id order, a page at a time.

The app keeps its probes for the whole grading session, so these tests never assume an empty
store: they read `total` first, create their own probes (which come last, having the largest
ids) and page through those with offset = the total before they were created.
"""
import json

import pytest

from grader.testing import excerpt

pytestmark = pytest.mark.criterion("list")

API = "/api/probes"


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


def create(client, name, altitude_km=500):
    body = {"name": name, "altitude_km": altitude_km}
    request = f"POST {API} with JSON {json.dumps(body, ensure_ascii=False)} (creating probes to list)"
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


def get_page(client, query=""):
    """GET /api/probes[?query]; check the shape of the answer and return (request, page)."""
    path = f"{API}?{query}" if query else API
    request = f"GET {path}"
    r = client.get(path)
    check_status(r, request, 200, "OK")
    page = read_json(r, request)
    assert isinstance(page, dict), (
        f"{request} returned {excerpt(r.text)!r}, expected a JSON object like "
        '{"items": [...], "total": 12, "limit": 10, "offset": 0}'
    )
    for key, kind, what, example in (("items", list, "a list", "[...]"), ("total", int, "an integer", 12),
                                     ("limit", int, "an integer", 10), ("offset", int, "an integer", 0)):
        value = page.get(key)
        assert isinstance(value, kind) and not isinstance(value, bool), (
            f"{request} returned {excerpt(r.text)!r}, expected the key {key!r} with {what} "
            f"as its value (like \"{key}\": {example})"
        )
    assert all(isinstance(item, dict) and type(item.get("id")) is int for item in page["items"]), (
        f"{request} returned items {excerpt(json.dumps(page['items']))!r}, expected a list of probe "
        "objects, each with an integer \"id\""
    )
    return request, page


def ids(items):
    return [item["id"] for item in items]


def current_total(client):
    return get_page(client, "limit=1")[1]["total"]


def check_page(request, page, expected_items, total, limit, offset, what):
    for key, value in (("total", total), ("limit", limit), ("offset", offset)):
        assert page[key] == value, (
            f"{request} returned \"{key}\": {page[key]!r}, expected {value!r}"
        )
    assert ids(page["items"]) == ids(expected_items), (
        f"{request} returned items with ids {ids(page['items'])}, expected ids "
        f"{ids(expected_items)} ({what})"
    )
    for got, want in zip(page["items"], expected_items):
        assert got.get("name") == want["name"] and got.get("altitude_km") == want["altitude_km"], (
            f"{request} returned item {excerpt(json.dumps(got, ensure_ascii=False))!r}, expected "
            f"{json.dumps(want, ensure_ascii=False)!r}"
        )


def test_list_shape_and_defaults(client):
    request, page = get_page(client)
    assert page["limit"] == 10 and page["offset"] == 0, (
        f"{request} returned \"limit\": {page['limit']!r} and \"offset\": {page['offset']!r}, "
        "expected the defaults: \"limit\": 10 and \"offset\": 0"
    )
    expected = min(10, page["total"])
    assert len(page["items"]) == expected, (
        f"{request} returned {len(page['items'])} items with \"total\": {page['total']}, "
        f"expected {expected} (the first page holds at most 10 probes)"
    )


def test_total_counts_a_new_probe(client):
    before = current_total(client)
    create(client, "Sputnik 1")
    after = current_total(client)
    assert after == before + 1, (
        f"GET {API}?limit=1 returned \"total\": {after} after creating one probe, expected "
        f"{before + 1} (it was {before} before)"
    )


def test_limit_and_offset_select_a_page(client):
    before = current_total(client)
    created = [create(client, name, altitude)
               for name, altitude in (("Luna 1", 384400), ("Luna 2", 384400.5), ("Luna 3", 0.25))]
    request, page = get_page(client, f"limit=2&offset={before + 1}")
    check_page(request, page, created[1:], before + 3, 2, before + 1,
               f"the 2nd and 3rd of the 3 probes just created; there were {before} probes before them")
    request, page = get_page(client, f"limit=1&offset={before}")
    check_page(request, page, created[:1], before + 3, 1, before,
               f"the 1st of the 3 probes just created; there were {before} probes before them")


def test_default_limit_is_ten(client):
    before = current_total(client)
    created = [create(client, f"Starlink {n}", 550 + n) for n in range(1, 12)]
    request, page = get_page(client, f"offset={before}")
    check_page(request, page, created[:10], before + 11, 10, before,
               f"the first 10 of the 11 probes just created, in id order; there were {before} "
               "probes before them")


def test_offset_past_the_end_gives_an_empty_page(client):
    create(client, "Explorer 1")
    total = current_total(client)
    request, page = get_page(client, f"offset={total}")
    assert page["items"] == [], (
        f"{request} returned {len(page['items'])} items with \"total\": {total}, expected "
        "\"items\": [] (there is nothing after the last probe)"
    )


def check_bad_query(client, query, field):
    path = f"{API}?{query}"
    request = f"GET {path}"
    r = client.get(path)
    check_status(r, request, 400, "Bad Request")
    data = read_json(r, request)
    errors = data.get("errors") if isinstance(data, dict) else None
    assert isinstance(errors, dict), (
        f"{request} returned {excerpt(r.text)!r}, expected a JSON object like "
        f'{{"errors": {{"{field}": "..."}}}}'
    )
    message = errors.get(field)
    assert isinstance(message, str) and message.strip(), (
        f"{request} returned \"errors\": {excerpt(json.dumps(errors))!r}, expected the key "
        f"{field!r} with a message (a non-empty string) saying what is wrong with it"
    )


@pytest.mark.parametrize("query, field", [
    ("limit=500", "limit"),
    ("limit=abc", "limit"),
    ("offset=abc", "offset"),
], ids=["limit=500", "limit=abc", "offset=abc"])
def test_bad_query_parameter_is_400(client, query, field):
    check_bad_query(client, query, field)


@pytest.mark.hidden
@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"),
    ("limit=101", "limit"),
    ("limit=2.5", "limit"),
    ("offset=-1", "offset"),
    ("limit=5&offset=x9", "offset"),
])
def test_other_bad_query_parameters_are_400(client, query, field):
    check_bad_query(client, query, field)


@pytest.mark.hidden
def test_limit_bounds_are_allowed(client):
    before = current_total(client)
    created = [create(client, f"Vanguard {n}", n) for n in (1, 2)]
    request, page = get_page(client, f"limit=1&offset={before + 1}")
    check_page(request, page, created[1:], before + 2, 1, before + 1,
               f"the 2nd of the 2 probes just created; there were {before} probes before them")
    request, page = get_page(client, f"limit=100&offset={before}")
    check_page(request, page, created, before + 2, 100, before,
               f"the 2 probes just created; there were {before} probes before them")


@pytest.mark.hidden
def test_offset_far_past_the_end_gives_an_empty_page(client):
    total = current_total(client)
    request, page = get_page(client, f"offset={total + 50}&limit=3")
    assert page["items"] == [] and page["offset"] == total + 50 and page["limit"] == 3, (
        f"{request} returned {excerpt(json.dumps(page))!r} with \"total\": {total}, expected "
        f"\"items\": [], \"offset\": {total + 50} and \"limit\": 3"
    )
