"""Criterion `detail`: GET /missions/<slug> shows one mission; unknown slugs get the 404 page."""
import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("detail")

# The README's MISSIONS: slug -> (name, launch date as the launch_date filter shows it).
MISSIONS = {
    "lunar-lantern": ("Lunar Lantern", "14 MAR 2025"),
    "red-dust-rover": ("Red Dust Rover", "02 NOV 2027"),
    "comet-chaser": ("Comet Chaser", "30 JUN 2019"),
    "io-sounder": ("Io Sounder", "09 JAN 2029"),
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


def rendered(app):
    """{template name: variable names} of the templates the last request rendered."""
    return {t.name: t.context for t in app.templates}


def describe(templates):
    return f"the template(s) {sorted(templates)!r}" if templates else "no template"


def check_mission_page(client, app, slug):
    name, launch = MISSIONS[slug]
    path = f"/missions/{slug}"
    r = client.get(path)
    assert r.status_code == 200, (
        f"GET {path} returned status {r.status_code}, expected 200. {shown(r)}"
    )
    assert r.mimetype == "text/html", (
        f"GET {path} returned mimetype {r.mimetype!r}, expected 'text/html'"
    )
    templates = rendered(app)
    assert "mission.html" in templates, (
        f"GET {path} rendered {describe(templates)}, expected 'mission.html'. "
        f"Page content: {content_of(soup(r))!r}"
    )
    assert "mission" in templates["mission.html"], (
        f"GET {path} rendered mission.html without a variable named 'mission'; expected the "
        f"mission's dict to be passed as `mission`. Variables passed: "
        f"{[v for v in templates['mission.html'] if v not in ('g', 'request', 'session')]!r}"
    )
    page = soup(r)
    article = page.find("article", id="mission")
    assert article is not None, (
        f"GET {path} returned no <article id=\"mission\">. Page content: {content_of(page)!r}"
    )
    headings = [text_of(h) for h in article.find_all("h1")]
    assert headings == [name], (
        f"GET {path}: <article id=\"mission\"> has <h1> text(s) {headings!r}, expected "
        f"exactly one reading {name!r}"
    )
    dates = [text_of(s) for s in article.find_all("span", class_="launch")]
    assert dates == [launch], (
        f"GET {path}: <article id=\"mission\"> has <span class=\"launch\"> text(s) {dates!r}, "
        f"expected exactly one reading {launch!r} (the launch date through the launch_date filter)"
    )


def check_unknown_slug(client, app, slug):
    path = f"/missions/{slug}"
    r = client.get(path)
    assert r.status_code == 404, (
        f"GET {path} returned status {r.status_code}, expected 404: there is no mission "
        f"with the slug {slug!r}. {shown(r)}"
    )
    assert r.mimetype == "text/html", (
        f"GET {path} returned mimetype {r.mimetype!r}, expected 'text/html'"
    )
    templates = rendered(app)
    assert "404.html" in templates, (
        f"GET {path} rendered {describe(templates)}, expected '404.html' (your 404 page). "
        f"Body: {excerpt(r.text)!r}"
    )
    headings = [text_of(h) for h in soup(r).find_all("h1")]
    assert headings == ["Lost in space"], (
        f"GET {path} returned <h1> text(s) {headings!r}, expected exactly one reading "
        "'Lost in space'"
    )


def test_mission_page(client, app):
    check_mission_page(client, app, "lunar-lantern")


@pytest.mark.hidden
@pytest.mark.parametrize("slug", ["red-dust-rover", "comet-chaser", "io-sounder"])
def test_other_mission_pages(client, app, slug):
    check_mission_page(client, app, slug)


def test_unknown_slug_is_404(client, app):
    check_unknown_slug(client, app, "pluto-express")


@pytest.mark.hidden
@pytest.mark.parametrize("slug", ["titan-diver", "lunar-lantern-2"])
def test_other_unknown_slugs_are_404(client, app, slug):
    check_unknown_slug(client, app, slug)
