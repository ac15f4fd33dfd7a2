"""Criterion `escaping`: autoescaping stays on, so HTML in a mission's name is shown as text."""
import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("escaping")

# The README's missions whose names contain HTML: slug -> (name, the tag it must not produce).
HTML_NAMES = {
    "bold-move": ("<b>Bold</b> Move", "b"),
    "night-and-day": ("Night & Day <i>Relay</i>", "i"),
}


def shown(r):
    """What a failure message shows of a response: its body, or where to find a crash."""
    if r.status_code == 500:
        return "The app raised an exception: its traceback is in the app's output."
    return f"Body: {excerpt(r.text)!r}"


def text_of(element):
    """The element's text with runs of whitespace collapsed, as the README defines it."""
    return " ".join(element.get_text().split())


def get_page(client, path):
    r = client.get(path)
    assert r.status_code == 200, (
        f"GET {path} returned status {r.status_code}, expected 200. {shown(r)}"
    )
    return soup(r)


def check_no_tag(path, page, slug, tag):
    name = HTML_NAMES[slug][0]
    found = page.find(tag)
    assert found is None, (
        f"GET {path} returned a page containing a <{tag}> element: the name {name!r} was "
        f"inserted as HTML instead of being escaped. Found in: {excerpt(str(found.parent))!r}"
    )


def check_list(client, slug):
    name, tag = HTML_NAMES[slug]
    page = get_page(client, "/missions")
    item = page.find("li", id=f"mission-{slug}")
    assert item is not None, (
        f"GET /missions returned no <li id=\"mission-{slug}\">, expected one for the "
        f"mission {name!r}. <li> ids found: {[li.get('id') for li in page.find_all('li')]!r}"
    )
    check_no_tag("/missions", page, slug, tag)
    link = item.find("a", class_="mission-link")
    assert link is not None and text_of(link) == name, (
        f"GET /missions: the <a class=\"mission-link\"> of <li id=\"mission-{slug}\"> reads "
        f"{text_of(link) if link is not None else None!r}, expected the name shown literally: {name!r}"
    )


def check_detail(client, slug):
    name, tag = HTML_NAMES[slug]
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
