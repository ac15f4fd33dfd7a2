"""Criterion `greet`: personal greetings at /greet/<name>."""
from urllib.parse import quote

import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("greet")

XSS_NAME = "<img src=x onerror=alert(1)>"


def get_greeting(client, name):
    """GET /greet/<name> and return (response, page, texts of p.greeting)."""
    path = f"/greet/{quote(name, safe='')}"
    r = client.get(path)
    assert r.status_code == 200, (
        f"GET {path} returned status {r.status_code}, expected 200. "
        f"Body: {excerpt(r.text)!r}"
    )
    assert r.mimetype == "text/html", (
        f"GET {path} returned mimetype {r.mimetype!r}, expected 'text/html'"
    )
    page = soup(r)
    greetings = [p.get_text(strip=True) for p in page.select("p.greeting")]
    assert greetings, (
        f"GET {path} returned a page without a <p class=\"greeting\"> element. "
        f"Body: {excerpt(r.text)!r}"
    )
    return r, page, greetings


def check_greeting(client, name):
    _, _, greetings = get_greeting(client, name)
    expected = f"Hello, {name}!"
    assert expected in greetings, (
        f"GET /greet/{quote(name, safe='')} returned greeting text(s) "
        f"{greetings!r}, expected {expected!r}"
    )


def test_greet_says_hello(client):
    check_greeting(client, "Ada")


@pytest.mark.hidden
@pytest.mark.parametrize("name", ["Grace Hopper", "Zoë", "Tom & Jerry"])
def test_greet_says_hello_to_other_names(client, name):
    check_greeting(client, name)


def test_greet_does_not_inject_html(client):
    r, page, _ = get_greeting(client, XSS_NAME)
    assert page.find("img") is None, (
        f"GET /greet/{quote(XSS_NAME, safe='')} returned a page containing an "
        "<img> element: the name was inserted as HTML instead of being "
        f"escaped. Body: {excerpt(r.text)!r}"
    )


def test_greet_shows_html_name_literally(client):
    check_greeting(client, XSS_NAME)
