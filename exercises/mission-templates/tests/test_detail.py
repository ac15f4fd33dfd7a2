"""Criterion `detail`: GET /missions/<slug> shows one mission; unknown slugs get the 404 page."""
import pytest

from grader.testing import excerpt, soup
from helpers import BY_SLUG, check_launch, content_of, describe, get_html, passed, rendered, text_of

pytestmark = pytest.mark.criterion("detail")


def check_mission_page(client, app, slug):
    name, launch = BY_SLUG[slug].name, BY_SLUG[slug].launch
    path = f"/missions/{slug}"
    r = get_html(client, path)
    templates = rendered(app)
    assert "mission.html" in templates, (
        f"GET {path} rendered {describe(templates)}, expected 'mission.html'. "
        f"Page content: {content_of(soup(r))!r}"
    )
    assert "mission" in templates["mission.html"], (
        f"GET {path} rendered mission.html without a variable named 'mission'; expected the "
        f"mission's dict to be passed as `mission`. Variables passed: "
        f"{passed(templates['mission.html'])!r}"
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
    check_launch(path, "<article id=\"mission\">", article, launch)


def check_unknown_slug(client, app, slug):
    path = f"/missions/{slug}"
    r = get_html(client, path, 404, why=f": there is no mission with the slug {slug!r}")
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
