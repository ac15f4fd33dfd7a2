"""Criterion `status-class`: each mission shows its status, and a CSS class chosen by it."""
import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("status-class")

# The README's MISSIONS: slug -> (name, status).
STATUS = {
    "lunar-lantern": ("Lunar Lantern", "active"),
    "red-dust-rover": ("Red Dust Rover", "planned"),
    "comet-chaser": ("Comet Chaser", "done"),
    "io-sounder": ("Io Sounder", "planned"),
    "solar-sail-1": ("Solar Sail 1", "active"),
}


def shown(r):
    """What a failure message shows of a response: its body, or where to find a crash."""
    if r.status_code == 500:
        return "The app raised an exception: its traceback is in the app's output."
    return f"Body: {excerpt(r.text)!r}"


def text_of(element):
    """The element's text with runs of whitespace collapsed, as the README defines it."""
    return " ".join(element.get_text().split())


def content_of(page):
    """The page's <main> (or whole page) as a short string, for failure messages."""
    return excerpt(str(page.find("main") or page))


def get_page(client, path):
    r = client.get(path)
    assert r.status_code == 200, (
        f"GET {path} returned status {r.status_code}, expected 200. {shown(r)}"
    )
    return soup(r)


def check_classes(path, what, element, status):
    """`element` has class "mission" and exactly one status-… class: status-<status>."""
    classes = element.get("class") or []
    status_classes = [c for c in classes if c.startswith("status-")]
    assert "mission" in classes and status_classes == [f"status-{status}"], (
        f"GET {path}: {what} has class {' '.join(classes)!r}, expected \"mission "
        f"status-{status}\" (the class \"mission\" and exactly one status class, "
        f"status-{status}, since this mission's status is {status!r})"
    )


def check_status_text(path, what, element, status):
    texts = [text_of(s) for s in element.find_all("span", class_="status")]
    assert texts == [status], (
        f"GET {path}: {what} has <span class=\"status\"> text(s) {texts!r}, expected "
        f"exactly one reading {status!r}"
    )


def check_list_item(client, slug):
    name, status = STATUS[slug]
    page = get_page(client, "/missions")
    item = page.find("li", id=f"mission-{slug}")
    assert item is not None, (
        f"GET /missions returned no <li id=\"mission-{slug}\">, expected one for the "
        f"mission {name!r}. <li> ids found: {[li.get('id') for li in page.find_all('li')]!r}"
    )
    what = f"<li id=\"mission-{slug}\">"
    check_classes("/missions", what, item, status)
    check_status_text("/missions", what, item, status)


def check_detail(client, slug):
    name, status = STATUS[slug]
    path = f"/missions/{slug}"
    page = get_page(client, path)
    article = page.find("article", id="mission")
    assert article is not None, (
        f"GET {path} returned no <article id=\"mission\">, expected one with class "
        f"\"mission status-{status}\". Page content: {content_of(page)!r}"
    )
    what = "<article id=\"mission\">"
    check_classes(path, what, article, status)
    check_status_text(path, what, article, status)


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
