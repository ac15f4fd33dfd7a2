"""Criterion `links`: every link is built with url_for, so it follows the app wherever it is served.

An app served under a prefix (behind a proxy at https://example.org/hq/, say) gets the prefix as
the WSGI SCRIPT_NAME; url_for() puts it in front of every URL it builds, a hard-coded URL misses
it. The tests request pages both ways: `base_url="http://localhost/hq/"` sets SCRIPT_NAME to /hq.
"""
import pytest

from helpers import get_page, where

pytestmark = pytest.mark.criterion("links")


def check_href(path, prefix, what, link, expected):
    assert link is not None, f"{where(path, prefix)}: the page has no {what}, expected one"
    href = link.get("href")
    advice = " url_for() adds the prefix for you; a hard-coded URL can't." if prefix else ""
    assert href == expected, (
        f"{where(path, prefix)}: {what} has href {href!r}, expected {expected!r}.{advice}"
    )


def check_mission_link(client, slug, prefix=""):
    page = get_page(client, "/missions", prefix)
    item = page.find("li", id=f"mission-{slug}")
    assert item is not None, (
        f"{where('/missions', prefix)} returned no <li id=\"mission-{slug}\">. <li> ids "
        f"found: {[li.get('id') for li in page.find_all('li')]!r}"
    )
    link = item.find("a", class_="mission-link")
    check_href("/missions", prefix, f"the <a class=\"mission-link\"> of <li id=\"mission-{slug}\">",
               link, f"{prefix}/missions/{slug}")


def check_home_link(client, path, prefix=""):
    page = get_page(client, path, prefix)
    check_href(path, prefix, "<a id=\"home-link\">", page.find("a", id="home-link"), f"{prefix}/missions")


def check_back_link(client, slug, prefix=""):
    path = f"/missions/{slug}"
    page = get_page(client, path, prefix)
    check_href(path, prefix, "<a id=\"back-link\">", page.find("a", id="back-link"), f"{prefix}/missions")


def test_mission_link_points_to_its_page(client):
    check_mission_link(client, "lunar-lantern")


def test_home_link_points_to_mission_list(client):
    check_home_link(client, "/missions")


def test_back_link_points_to_mission_list(client):
    check_back_link(client, "lunar-lantern")


def test_mission_link_follows_the_prefix(client):
    check_mission_link(client, "lunar-lantern", prefix="/hq")


def test_home_link_follows_the_prefix(client):
    check_home_link(client, "/missions", prefix="/hq")


def test_back_link_follows_the_prefix(client):
    check_back_link(client, "lunar-lantern", prefix="/hq")


@pytest.mark.hidden
@pytest.mark.parametrize("slug", ["red-dust-rover", "night-and-day", "solar-sail-1"])
def test_other_mission_links(client, slug):
    check_mission_link(client, slug)
    check_mission_link(client, slug, prefix="/control")


@pytest.mark.hidden
def test_other_pages_follow_the_prefix(client):
    check_back_link(client, "io-sounder", prefix="/control")
    check_home_link(client, "/missions/comet-chaser", prefix="/control")
