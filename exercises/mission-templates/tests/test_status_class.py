"""Criterion `status-class`: each mission shows its status, and a CSS class chosen by it."""
import pytest

from helpers import BY_SLUG, check_span, content_of, get_page, list_item

pytestmark = pytest.mark.criterion("status-class")


def check_classes(path, what, element, status):
    """`element` has class "mission" and exactly one status-… class: status-<status>."""
    classes = element.get("class") or []
    status_classes = [c for c in classes if c.startswith("status-")]
    assert "mission" in classes and status_classes == [f"status-{status}"], (
        f"GET {path}: {what} has class {' '.join(classes)!r}, expected \"mission "
        f"status-{status}\" (the class \"mission\" and exactly one status class, "
        f"status-{status}, since this mission's status is {status!r})"
    )


def check_list_item(client, slug):
    status = BY_SLUG[slug].status
    item = list_item(get_page(client, "/missions"), slug)
    what = f"<li id=\"mission-{slug}\">"
    check_classes("/missions", what, item, status)
    check_span("/missions", what, item, "status", status)


def check_detail(client, slug):
    status = BY_SLUG[slug].status
    path = f"/missions/{slug}"
    page = get_page(client, path)
    article = page.find("article", id="mission")
    assert article is not None, (
        f"GET {path} returned no <article id=\"mission\">, expected one with class "
        f"\"mission status-{status}\". Page content: {content_of(page)!r}"
    )
    what = "<article id=\"mission\">"
    check_classes(path, what, article, status)
    check_span(path, what, article, "status", status)


def test_list_item_has_status_class(client):
    check_list_item(client, "lunar-lantern")


def test_mission_page_has_status_class(client):
    check_detail(client, "lunar-lantern")


@pytest.mark.hidden
@pytest.mark.parametrize("slug", ["red-dust-rover", "comet-chaser", "io-sounder", "solar-sail-1"])
def test_other_list_items_have_status_class(client, slug):
    check_list_item(client, slug)


@pytest.mark.hidden
@pytest.mark.parametrize("slug", ["comet-chaser", "io-sounder"])
def test_other_mission_pages_have_status_class(client, slug):
    check_detail(client, slug)
