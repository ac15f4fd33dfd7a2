"""Criterion `layout`: every page shares the layout of base.html.

Flask reports only the template a view renders (missions.html, mission.html, 404.html), not
the base.html it extends, so the layout is checked by what it puts on every page: the same
header, <main> and footer, and a <title> built from the page's `title` block.
"""
import pytest

from grader.testing import excerpt, soup
from helpers import get_html, text_of

pytestmark = pytest.mark.criterion("layout")

SUFFIX = " · Mission Control"
FOOTER = "Mission Control · Phase 2"


def only_one(path, page, tag, id_):
    """The page's one <tag id="id_">, which base.html puts on every page."""
    found = page.select(f"{tag}#{id_}")
    assert len(found) == 1, (
        f"GET {path} returned {len(found)} <{tag} id=\"{id_}\"> element(s), "
        "expected exactly one, from base.html"
    )
    return found[0]


def check_layout(client, path, page_title, status):
    # The 404 status itself is the `detail` criterion's business (status None): only the layout counts.
    r = get_html(client, path, status)
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

    header = only_one(path, page, "header", "site-header")
    home = header.find("a", id="home-link")
    assert home is not None and text_of(home) == "Mission Control", (
        f"GET {path}: the <header id=\"site-header\"> should contain "
        "<a id=\"home-link\">Mission Control</a>; the header reads "
        f"{excerpt(str(header))!r}"
    )

    main = only_one(path, page, "main", "content")
    headings = [text_of(h) for h in page.find_all("h1")]
    assert len(headings) == 1, (
        f"GET {path} returned {len(headings)} <h1> element(s) {headings!r}, expected "
        f"exactly one, reading {page_title!r}"
    )
    inside = [text_of(h) for h in main.find_all("h1")]
    assert inside == [page_title], (
        f"GET {path}: <main id=\"content\"> contains <h1> texts {inside!r}, expected "
        f"[{page_title!r}]: the page's content belongs in the `content` block, inside <main>. "
        f"<h1> texts on the whole page: {headings!r}"
    )

    footer = only_one(path, page, "footer", "site-footer")
    assert text_of(footer) == FOOTER, (
        f"GET {path} returned a footer reading {text_of(footer)!r}, expected {FOOTER!r}"
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
