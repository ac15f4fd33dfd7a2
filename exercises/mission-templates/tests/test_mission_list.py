"""Criterion `mission-list`: GET /missions lists every mission with a loop and the launch_date filter."""
import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("mission-list")

# The README's MISSIONS, in order: slug, name, and the launch date as the launch_date filter shows it.
MISSIONS = [
    ("lunar-lantern", "Lunar Lantern", "14 MAR 2025"),
    ("red-dust-rover", "Red Dust Rover", "02 NOV 2027"),
    ("comet-chaser", "Comet Chaser", "30 JUN 2019"),
    ("bold-move", "<b>Bold</b> Move", "24 DEC 2024"),
    ("io-sounder", "Io Sounder", "09 JAN 2029"),
    ("night-and-day", "Night & Day <i>Relay</i>", "01 MAY 2021"),
    ("solar-sail-1", "Solar Sail 1", "05 AUG 2024"),
]
BY_SLUG = {slug: (name, launch) for slug, name, launch in MISSIONS}


def shown(r):
    """What a failure message shows of a response: its body, or where to find a crash."""
    if r.status_code == 500:
        return "The app raised an exception: its traceback is in the app's output."
    return f"Body: {excerpt(r.text)!r}"


def text_of(element):
    """The element's text with runs of whitespace collapsed, as the README defines it."""
    return " ".join(element.get_text().split())


def get_list(client):
    r = client.get("/missions")
    assert r.status_code == 200, (
        f"GET /missions returned status {r.status_code}, expected 200. {shown(r)}"
    )
    assert r.mimetype == "text/html", (
        f"GET /missions returned mimetype {r.mimetype!r}, expected 'text/html'"
    )
    return r, soup(r)


def get_item(client, slug):
    """The <li id="mission-<slug>"> of GET /missions."""
    r, page = get_list(client)
    item = page.find("li", id=f"mission-{slug}")
    ids = [li.get("id") for li in page.find_all("li")]
    assert item is not None, (
        f"GET /missions returned no <li id=\"mission-{slug}\">, expected one for the "
        f"mission {BY_SLUG[slug][0]!r}. <li> ids found: {ids!r}"
    )
    return item


def test_list_renders_missions_template(client, app):
    get_list(client)
    rendered = {t.name: t.context for t in app.templates}
    described = f"the template(s) {sorted(rendered)!r}" if rendered else "no template"
    assert "missions.html" in rendered, (
        f"GET /missions rendered {described}, expected 'missions.html' (from the "
        "templates/ folder, with render_template)"
    )
    assert "missions" in rendered["missions.html"], (
        "GET /missions rendered missions.html without a variable named 'missions'; "
        "expected the MISSIONS list to be passed as `missions`. Variables passed: "
        f"{[v for v in rendered['missions.html'] if v not in ('g', 'request', 'session')]!r}"
    )


def test_list_has_one_item_per_mission_in_order(client):
    r, page = get_list(client)
    lists = page.select("ul#missions")
    assert len(lists) == 1, (
        f"GET /missions returned {len(lists)} <ul id=\"missions\"> element(s), expected "
        f"exactly one holding every mission. Body: {excerpt(r.text)!r}"
    )
    found = [li.get("id") for li in lists[0].find_all("li", class_="mission")]
    expected = [f"mission-{slug}" for slug, _, _ in MISSIONS]
    assert found == expected, (
        f"GET /missions: <ul id=\"missions\"> holds {len(found)} <li class=\"mission\"> "
        f"with ids {found!r}, expected {len(expected)}, in the order of MISSIONS: {expected!r}"
    )


def check_item(client, slug):
    name, launch = BY_SLUG[slug]
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
    dates = [text_of(s) for s in item.find_all("span", class_="launch")]
    assert dates == [launch], (
        f"GET /missions: <li id=\"mission-{slug}\"> has <span class=\"launch\"> text(s) "
        f"{dates!r}, expected exactly one reading {launch!r} (the launch date through the "
        "launch_date filter)"
    )


def test_first_mission_item(client):
    check_item(client, "lunar-lantern")


@pytest.mark.hidden
@pytest.mark.parametrize("slug", ["red-dust-rover", "comet-chaser", "io-sounder", "solar-sail-1"])
def test_other_mission_items(client, slug):
    check_item(client, slug)
