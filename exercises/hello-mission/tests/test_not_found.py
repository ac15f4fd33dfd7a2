"""Criterion `not-found`: a custom 404 page for unknown URLs."""
import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("not-found")


def check_lost_in_space(client, path):
    r = client.get(path)
    assert r.status_code == 404, (
        f"GET {path} returned status {r.status_code}, expected 404. "
        f"Body: {excerpt(r.text)!r}"
    )
    assert r.mimetype == "text/html", (
        f"GET {path} returned mimetype {r.mimetype!r}, expected 'text/html'"
    )
    headings = [h.get_text(strip=True) for h in soup(r).find_all("h1")]
    assert "Lost in space" in headings, (
        f"GET {path} returned <h1> texts {headings!r}, expected an <h1> "
        "reading 'Lost in space'"
    )


def test_unknown_page_is_lost_in_space(client):
    check_lost_in_space(client, "/no/such/page")


@pytest.mark.hidden
def test_other_unknown_page_is_lost_in_space(client):
    check_lost_in_space(client, "/mars/rover/42")
