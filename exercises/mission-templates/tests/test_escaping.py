"""Criterion `escaping`: autoescaping stays on, so HTML in a mission's name is shown as text."""
import pytest

from grader.testing import excerpt
from helpers import BY_SLUG, get_page, list_item, text_of

pytestmark = pytest.mark.criterion("escaping")

# The README's missions whose names contain HTML: slug -> the tag their name must not produce.
HTML_TAGS = {"bold-move": "b", "night-and-day": "i"}


def check_no_tag(path, page, slug, tag):
    name = BY_SLUG[slug].name
    found = page.find(tag)
    assert found is None, (
        f"GET {path} returned a page containing a <{tag}> element: the name {name!r} was "
        f"inserted as HTML instead of being escaped. Found in: {excerpt(str(found.parent))!r}"
    )


def check_list(client, slug):
    name, tag = BY_SLUG[slug].name, HTML_TAGS[slug]
    page = get_page(client, "/missions")
    item = list_item(page, slug)
    check_no_tag("/missions", page, slug, tag)
    link = item.find("a", class_="mission-link")
    assert link is not None and text_of(link) == name, (
        f"GET /missions: the <a class=\"mission-link\"> of <li id=\"mission-{slug}\"> reads "
        f"{text_of(link) if link is not None else None!r}, expected the name shown literally: {name!r}"
    )


def check_detail(client, slug):
    name, tag = BY_SLUG[slug].name, HTML_TAGS[slug]
    path = f"/missions/{slug}"
    page = get_page(client, path)
    check_no_tag(path, page, slug, tag)
    headings = [text_of(h) for h in page.find_all("h1")]
    assert headings == [name], (
        f"GET {path} returned <h1> text(s) {headings!r}, expected exactly one reading, "
        f"literally, {name!r}"
    )


def test_list_shows_html_name_literally(client):
    check_list(client, "bold-move")


def test_mission_page_shows_html_name_literally(client):
    check_detail(client, "bold-move")


@pytest.mark.hidden
def test_other_html_name_on_list(client):
    check_list(client, "night-and-day")


@pytest.mark.hidden
def test_other_html_name_on_mission_page(client):
    check_detail(client, "night-and-day")
