"""Criterion `home`: the Mission Control home page at /."""
import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("home")


def get_home(client):
    r = client.get("/")
    assert r.status_code == 200, (
        f"GET / returned status {r.status_code}, expected 200. "
        f"Body: {excerpt(r.text)!r}"
    )
    return r


def test_home_returns_html(client):
    r = get_home(client)
    assert r.mimetype == "text/html", (
        f"GET / returned mimetype {r.mimetype!r}, expected 'text/html'"
    )


def test_home_title_mentions_mission_control(client):
    r = get_home(client)
    title = soup(r).find("title")
    assert title is not None, (
        "GET / returned a page without a <title> element; expected a <title> "
        f"containing 'Mission Control'. Body: {excerpt(r.text)!r}"
    )
    text = title.get_text()
    assert "Mission Control" in text, (
        f"GET / returned <title> {text.strip()!r}, expected it to contain "
        "'Mission Control'"
    )


def test_home_has_exactly_one_h1(client):
    r = get_home(client)
    headings = [h.get_text(strip=True) for h in soup(r).find_all("h1")]
    assert len(headings) == 1, (
        f"GET / returned a page with {len(headings)} <h1> element(s) "
        f"{headings!r}, expected exactly one"
    )


def test_home_h1_reads_mission_control_hq(client):
    r = get_home(client)
    h1 = soup(r).find("h1")
    assert h1 is not None, (
        "GET / returned a page without an <h1>, expected "
        f"<h1>Mission Control HQ</h1>. Body: {excerpt(r.text)!r}"
    )
    text = h1.get_text(strip=True)
    assert text == "Mission Control HQ", (
        f"GET / returned <h1> text {text!r}, expected 'Mission Control HQ'"
    )


def test_home_links_to_status(client):
    r = get_home(client)
    hrefs = [a.get("href") for a in soup(r).find_all("a")]
    assert "/status" in hrefs, (
        "GET / returned a page without a link <a href=\"/status\">; "
        f"links found: {hrefs!r}"
    )


def test_home_rejects_post(client):
    r = client.post("/", data={"launch": "now"})
    assert r.status_code == 405, (
        f"POST / returned status {r.status_code}, expected 405 "
        "(Method Not Allowed): the home page should only accept GET"
    )
