"""Criterion `layout`: every page shares the layout of base.html.

Flask reports only the template a view renders (missions.html, mission.html, 404.html), not
the base.html it extends, so the layout is checked by what it puts on every page: the same
header, <main> and footer, and a <title> built from the page's `title` block.
"""
import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("layout")

SUFFIX = " · Mission Control"
FOOTER = "Mission Control · Phase 2"


def shown(r):
    """What a failure message shows of a response: its body, or where to find a crash."""
    if r.status_code == 500:
        return "The app raised an exception: its traceback is in the app's output."
    return f"Body: {excerpt(r.text)!r}"


def text_of(element):
    """The element's text with runs of whitespace collapsed, as the README defines it."""
    return " ".join(element.get_text().split())


def check_layout(client, path, page_title, status):
    r = client.get(path)
    # The 404 status itself is the `detail` criterion's business; here only the layout counts.
    if status is not None:
        assert r.status_code == status, (
            f"GET {path} returned status {r.status_code}, expected {status}. {shown(r)}"
        )
    assert r.mimetype == "text/html", (
        f"GET {path} returned mimetype {r.mimetype!r}, expected 'text/html'"
    )
    page = soup(r)

    title = page.find("title")
    assert title is not None, (
        f"GET {path} returned a page without a <title>; expected "
        f"<title>{page_title}{SUFFIX}</title> from base.html. Body: {excerpt(r.text)!r}"
    )
    empty = " (the page's title block came out empty)" if text_of(title) == SUFFIX.strip() else ""
    assert text_of(title) == page_title + SUFFIX, (
        f"GET {path} returned <title> {text_of(title)!r}, expected "
        f"{page_title + SUFFIX!r}: the page's title block, then ' · Mission Control'{empty}"
    )

    headers = page.select("header#site-header")
    assert len(headers) == 1, (
        f"GET {path} returned {len(headers)} <header id=\"site-header\"> element(s), "
        "expected exactly one, from base.html"
    )
    home = headers[0].find("a", id="home-link")
    assert home is not None and text_of(home) == "Mission Control", (
        f"GET {path}: the <header id=\"site-header\"> should contain "
        "<a id=\"home-link\">Mission Control</a>; the header reads "
        f"{excerpt(str(headers[0]))!r}"
    )

    mains = page.select("main#content")
    assert len(mains) == 1, (
        f"GET {path} returned {len(mains)} <main id=\"content\"> element(s), expected "
        "exactly one, from base.html"
    )
    headings = [text_of(h) for h in page.find_all("h1")]
    assert len(headings) == 1, (
        f"GET {path} returned {len(headings)} <h1> element(s) {headings!r}, expected "
        f"exactly one, reading {page_title!r}"
    )
    inside = [text_of(h) for h in mains[0].find_all("h1")]
    assert inside == [page_title], (
        f"GET {path}: <main id=\"content\"> contains <h1> texts {inside!r}, expected "
        f"[{page_title!r}]: the page's content belongs in the `content` block, inside <main>. "
        f"<h1> texts on the whole page: {headings!r}"
    )

    footers = page.select("footer#site-footer")
    assert len(footers) == 1, (
        f"GET {path} returned {len(footers)} <footer id=\"site-footer\"> element(s), "
        "expected exactly one, from base.html"
    )
    assert text_of(footers[0]) == FOOTER, (
        f"GET {path} returned a footer reading {text_of(footers[0])!r}, expected {FOOTER!r}"
    )


def test_mission_list_uses_the_layout(client):
    check_layout(client, "/missions", "Missions", 200)


def test_mission_page_uses_the_layout(client):
    check_layout(client, "/missions/lunar-lantern", "Lunar Lantern", 200)


def test_not_found_page_uses_the_layout(client):
    check_layout(client, "/no/such/page", "Lost in space", None)


@pytest.mark.hidden
@pytest.mark.parametrize("slug, name", [("comet-chaser", "Comet Chaser"), ("io-sounder", "Io Sounder")])
def test_other_mission_pages_use_the_layout(client, slug, name):
    check_layout(client, f"/missions/{slug}", name, 200)


@pytest.mark.hidden
def test_other_not_found_page_uses_the_layout(client):
    check_layout(client, "/launchpad/42", "Lost in space", None)
