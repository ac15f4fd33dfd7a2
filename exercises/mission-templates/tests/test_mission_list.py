"""Criterion `mission-list`: GET /missions lists every mission with a loop and the launch_date filter."""
import pytest

from grader.testing import excerpt, soup
from helpers import BY_SLUG, MISSIONS, check_launch, describe, get_html, list_item, passed, rendered, text_of

pytestmark = pytest.mark.criterion("mission-list")


def get_list(client):
    r = get_html(client, "/missions")
    return r, soup(r)


def get_item(client, slug):
    """The <li id="mission-<slug>"> of GET /missions."""
    r, page = get_list(client)
    return list_item(page, slug)


def test_list_renders_missions_template(client, app):
    get_list(client)
    templates = rendered(app)
    assert "missions.html" in templates, (
        f"GET /missions rendered {describe(templates)}, expected 'missions.html' (from the "
        "templates/ folder, with render_template)"
    )
    assert "missions" in templates["missions.html"], (
        "GET /missions rendered missions.html without a variable named 'missions'; "
        "expected the MISSIONS list to be passed as `missions`. Variables passed: "
        f"{passed(templates['missions.html'])!r}"
    )


def test_list_has_one_item_per_mission_in_order(client):
    r, page = get_list(client)
    lists = page.select("ul#missions")
    assert len(lists) == 1, (
        f"GET /missions returned {len(lists)} <ul id=\"missions\"> element(s), expected "
        f"exactly one holding every mission. Body: {excerpt(r.text)!r}"
    )
    found = [li.get("id") for li in lists[0].find_all("li", class_="mission")]
    expected = [f"mission-{m.slug}" for m in MISSIONS]
    assert found == expected, (
        f"GET /missions: <ul id=\"missions\"> holds {len(found)} <li class=\"mission\"> "
        f"with ids {found!r}, expected {len(expected)}, in the order of MISSIONS: {expected!r}"
    )


def check_item(client, slug):
    name, launch = BY_SLUG[slug].name, BY_SLUG[slug].launch
    item = get_item(client, slug)
    link = item.find("a", class_="mission-link")
    assert link is not None, (
        f"GET /missions: <li id=\"mission-{slug}\"> has no <a class=\"mission-link\">. "
        f"It reads {excerpt(str(item))!r}"
    )
    assert text_of(link) == name, (
        f"GET /missions: the link of <li id=\"mission-{slug}\"> reads {text_of(link)!r}, "
        f"expected the mission's name {name!r}"
    )
    check_launch("/missions", f"<li id=\"mission-{slug}\">", item, launch)


def test_first_mission_item(client):
    check_item(client, "lunar-lantern")


@pytest.mark.hidden
@pytest.mark.parametrize("slug", ["red-dust-rover", "comet-chaser", "io-sounder", "solar-sail-1"])
def test_other_mission_items(client, slug):
    check_item(client, slug)
