"""Criterion `probe`: probe pages at /probes/<n>."""
import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("probe")


def check_probe_page(client, n):
    path = f"/probes/{n}"
    r = client.get(path)
    assert r.status_code == 200, (
        f"GET {path} returned status {r.status_code}, expected 200. "
        f"Body: {excerpt(r.text)!r}"
    )
    assert r.mimetype == "text/html", (
        f"GET {path} returned mimetype {r.mimetype!r}, expected 'text/html'"
    )
    headings = [h.get_text(strip=True) for h in soup(r).find_all("h2")]
    assert f"Probe {n}" in headings, (
        f"GET {path} returned <h2> texts {headings!r}, expected an <h2> "
        f"reading 'Probe {n}'"
    )


def test_probe_page_shows_probe_number(client):
    check_probe_page(client, 7)


@pytest.mark.hidden
@pytest.mark.parametrize("n", [1, 42, 2026])
def test_probe_page_shows_other_probe_numbers(client, n):
    check_probe_page(client, n)


def test_probe_rejects_non_integer(client):
    r = client.get("/probes/abc")
    assert r.status_code == 404, (
        f"GET /probes/abc returned status {r.status_code}, expected 404: "
        "only whole numbers are valid probe ids"
    )
