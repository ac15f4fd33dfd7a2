"""Criterion `redirect`: a valid POST redirects to GET /launches, which lists the launch."""
from urllib.parse import urlsplit

import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("redirect")


def describe(data):
    return ", ".join(f"{key}={value!r}" for key, value in data.items())


def status(r):
    """The status for a message, with the redirect target if it is a redirect."""
    if 300 <= r.status_code < 400:
        return f"status {r.status_code} (a redirect to {r.headers.get('Location')!r})"
    return f"status {r.status_code}"


def body(r):
    """The page's <body>, trimmed, to end a message with (nothing for a redirect)."""
    if 300 <= r.status_code < 400:
        return ""
    page = soup(r)
    return f" Body: {excerpt(page.body.decode_contents() if page.body else r.text)!r}"


def schedule(client, data):
    """POST a valid launch (without following the redirect) and return the response."""
    r = client.post("/launch", data=data)
    assert r.status_code < 400, (
        f"POST /launch with {describe(data)} returned {status(r)}, expected the launch to "
        f"be accepted (every field is valid).{body(r)}"
    )
    return r


def check_listed(client, data):
    schedule(client, data)
    r = client.get("/launches")
    assert r.status_code == 200, (
        f"After scheduling {data['mission']!r}, GET /launches returned {status(r)}, "
        f"expected status 200 with the list of launches.{body(r)}"
    )
    assert r.mimetype == "text/html", (
        f"GET /launches returned mimetype {r.mimetype!r}, expected 'text/html'"
    )
    page = soup(r)
    listing = page.find(id="launches")
    assert listing is not None and listing.name == "ul", (
        "GET /launches returned a page without a <ul id=\"launches\"> "
        f"({'found <' + listing.name + '>' if listing is not None else 'no element with that id'}). "
        f"Body: {excerpt(page.body.decode_contents() if page.body else r.text)!r}"
    )
    items = listing.find_all("li")
    missions = [(item.find(class_="mission") or item).get_text(" ", strip=True) for item in items]
    matches = [item for item, name in zip(items, missions) if name == data["mission"]]
    listed = f"the missions {missions[-5:]!r} (the last 5)" if missions else "no <li> at all"
    assert matches, (
        f"After scheduling {describe(data)}, the <ul id=\"launches\"> on GET /launches has "
        f"{listed}, expected an <li> with <span class=\"mission\">{data['mission']}</span> "
        "(the name shown as text, not HTML)"
    )
    item = matches[-1]
    for field in ("crew", "vehicle"):
        tag = item.find(class_=field)
        assert tag is not None, (
            f"GET /launches shows {data['mission']!r} in an <li> without an element with "
            f"class=\"{field}\": {excerpt(str(item))!r}"
        )
        text = tag.get_text(strip=True)
        assert text.lower() == data[field], (
            f"After scheduling {describe(data)}, GET /launches shows {data['mission']!r} with "
            f"{field} {text!r}, expected {data[field]!r}"
        )
    return page


def test_valid_launch_redirects_to_launches(client):
    data = {"mission": "Vostok 1", "crew": "2", "vehicle": "soyuz"}
    r = client.post("/launch", data=data)
    assert r.status_code in (302, 303), (
        f"POST /launch with {describe(data)} returned {status(r)}, expected a redirect "
        "(302 or 303) to /launches: after a successful POST, redirect instead of showing "
        f"a page (POST-redirect-GET).{body(r) if r.status_code >= 400 else ''}"
    )
    location = r.headers.get("Location", "")
    assert urlsplit(location).path == "/launches", (
        f"POST /launch with {describe(data)} redirected to {location!r}, expected /launches"
    )


def test_launches_lists_the_new_launch(client):
    check_listed(client, {"mission": "Skylab 2", "crew": "3", "vehicle": "soyuz"})


def test_launches_keeps_earlier_launches(client):
    first = {"mission": "Mir EO-1", "crew": "2", "vehicle": "soyuz"}
    second = {"mission": "Mir EO-2", "crew": "3", "vehicle": "falcon"}
    check_listed(client, first)
    page = check_listed(client, second)
    missions = [tag.get_text(strip=True) for tag in page.select("#launches .mission")]
    assert first["mission"] in missions, (
        f"After scheduling {first['mission']!r} and then {second['mission']!r}, GET /launches "
        f"lists {missions[-5:]!r} (last 5), expected both: keep every launch, not only the "
        "latest"
    )


@pytest.mark.hidden
def test_launches_lists_other_values(client):
    check_listed(client, {"mission": "Shenzhou 18", "crew": "3", "vehicle": "starliner"})


@pytest.mark.hidden
def test_launches_shows_html_as_text(client):
    data = {"mission": '<script>alert("list")</script>', "crew": "2", "vehicle": "falcon"}
    listing = check_listed(client, data).find(id="launches")
    scripts = [str(s) for s in listing.find_all("script") if "alert" in s.get_text()]
    assert not scripts, (
        f"After scheduling {describe(data)}, the list on GET /launches contains "
        f"{excerpt(' '.join(scripts))!r}: the mission name was inserted as HTML instead of "
        "being escaped"
    )


@pytest.mark.hidden
def test_redirect_is_followed_by_a_get(client):
    data = {"mission": "Soyuz TMA-1", "crew": "3", "vehicle": "soyuz"}
    r = client.post("/launch", data=data, follow_redirects=True)
    assert r.status_code == 200 and r.request.path == "/launches" and r.request.method == "GET", (
        f"POST /launch with {describe(data)}, following redirects, ended with "
        f"{r.request.method} {r.request.path} and {status(r)}, expected GET /launches with "
        f"status 200.{body(r)}"
    )
