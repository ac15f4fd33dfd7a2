"""Criterion `pages`: the HTML pages of the pages blueprint, rendered from templates."""
import pytest

from factory_helpers import DEFAULT_STATION, create, get_page, main_app, page_probe_names, post_probe, unique
from grader.testing import excerpt

pytestmark = pytest.mark.criterion("pages")


def check_template(made, path, name):
    names = [t.name for t in made.handle.templates]
    assert name in names, (
        f"GET {path} on {made.label} rendered the templates {names!r}, expected {name!r} "
        "(render_template from the templates folder)"
    )


def check_home(made, station):
    r, page = get_page(made, "/")
    check_template(made, "/", "index.html")
    h1 = page.find_all("h1")
    assert len(h1) == 1 and h1[0].get_text(strip=True) == station, (
        f"GET / on {made.label} has the <h1> elements {[h.get_text(strip=True) for h in h1]!r}, expected one "
        f"<h1> with the app's STATION_NAME {station!r}. Body: {excerpt(r.text)!r}"
    )
    title = page.title.get_text(strip=True) if page.title else None
    assert title is not None and station in title, (
        f"GET / on {made.label} has the <title> {title!r}, expected a title containing {station!r}"
    )
    return r, page


def test_home_page_shows_the_station_name(app):
    made = main_app(app)
    check_home(made, made.handle.config.get("STATION_NAME", DEFAULT_STATION))


def test_home_page_links_to_the_probes(app):
    made = main_app(app)
    r, page = get_page(made, "/")
    links = [a.get("href") for a in page.find_all("a")]
    for href in ("/probes", "/api/probes"):
        assert href in links, (
            f"GET / on {made.label} has links to {links!r}, expected a link <a href=\"{href}\"> among them"
        )


def test_probes_page_lists_the_probes(app):
    made = main_app(app)
    names = [post_probe(made, unique(prefix))["name"] for prefix in ("ulysses", "galileo")]
    listed = page_probe_names(made)
    check_template(made, "/probes", "probes.html")
    mine = [n for n in listed if n in names]
    assert mine == names, (
        f"GET /probes on {made.label}, after creating the probes {names!r}, lists {mine!r} of them, "
        "expected each exactly once, in the order they were created"
    )


def test_home_page_reads_the_apps_config(app):
    station = unique("Goldstone")
    check_home(create(app, "testing", test_config={"STATION_NAME": station}), station)


@pytest.mark.hidden
def test_probe_names_are_escaped(app):
    made = main_app(app)
    name = unique("<b>Probe</b> & Co")
    post_probe(made, name)
    listed = page_probe_names(made)
    assert listed.count(name) == 1, (
        f"GET /probes on {made.label}, after creating the probe {name!r}, lists {listed[-5:]!r} (the last five), "
        "expected that name shown as text, exactly as it was given"
    )


@pytest.mark.hidden
def test_home_page_reads_a_production_apps_config(app):
    station = unique("Центр управления полётами")
    check_home(create(app, "production", test_config={"STATION_NAME": station}), station)
