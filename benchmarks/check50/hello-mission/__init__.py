"""check50 twin of exercises/hello-mission/tests, for benchmarks/check_latency.py.

One independent check per pytest test (a parametrized test gives one check per parameter: 21),
making the same requests and the same assertions. Run from the app's folder:

    check50 --dev /path/to/benchmarks/check50/hello-mission --no-install-dependencies
"""
import json
from urllib.parse import quote

import check50
import check50.flask
from bs4 import BeautifulSoup

XSS_NAME = "<img src=x onerror=alert(1)>"


def get(path, code):
    """GET `path` from app.py, not following redirects (as the pytest client); require status `code`."""
    return check50.flask.app("app.py").get(path, follow_redirects=False).status(code)


def soup(app):
    """The response parsed as HTML whatever its mimetype (as grader.testing.soup)."""
    return BeautifulSoup(app.raw_content(), "html.parser")


def texts(page, tag):
    return [t.get_text(strip=True) for t in page.find_all(tag)]


def require(condition, rationale):
    if not condition:
        raise check50.Failure(rationale)


# --- home -------------------------------------------------------------------------------------

@check50.check()
def home_returns_html():
    """GET / returns an HTML page"""
    get("/", 200).content()  # content() fails unless the mimetype is text/html


@check50.check()
def home_title_mentions_mission_control():
    """the home page's <title> mentions Mission Control"""
    title = soup(get("/", 200)).find("title")
    require(title is not None, "expected a <title> containing 'Mission Control', found none")
    text = title.get_text()
    require("Mission Control" in text, f"<title> is {text.strip()!r}, expected it to contain 'Mission Control'")


@check50.check()
def home_has_exactly_one_h1():
    """the home page has exactly one <h1>"""
    headings = texts(soup(get("/", 200)), "h1")
    require(len(headings) == 1, f"found {len(headings)} <h1> element(s) {headings!r}, expected exactly one")


@check50.check()
def home_h1_reads_mission_control_hq():
    """the home page's <h1> reads Mission Control HQ"""
    h1 = soup(get("/", 200)).find("h1")
    require(h1 is not None, "expected <h1>Mission Control HQ</h1>, found no <h1>")
    text = h1.get_text(strip=True)
    require(text == "Mission Control HQ", f"<h1> reads {text!r}, expected 'Mission Control HQ'")


@check50.check()
def home_links_to_status():
    """the home page links to /status"""
    hrefs = [a.get("href") for a in soup(get("/", 200)).find_all("a")]
    require("/status" in hrefs, f"expected a link <a href=\"/status\">, links found: {hrefs!r}")


@check50.check()
def home_rejects_post():
    """POST / is rejected with 405"""
    check50.flask.app("app.py").post("/", data={"launch": "now"}, follow_redirects=False).status(405)


# --- status -----------------------------------------------------------------------------------

@check50.check()
def status_returns_json():
    """GET /status returns JSON"""
    mimetype = get("/status", 200).response.mimetype
    require(mimetype == "application/json", f"/status returned mimetype {mimetype!r}, expected 'application/json'")


@check50.check()
def status_is_nominal():
    """GET /status reports "status": "nominal\""""
    try:
        data = json.loads(get("/status", 200).raw_content())
    except ValueError:
        raise check50.Failure("/status did not return valid JSON")
    require(isinstance(data, dict), "expected a JSON object like {\"status\": \"nominal\"}")
    require(data.get("status") == "nominal", f"\"status\" is {data.get('status')!r}, expected \"nominal\"")


# --- probe ------------------------------------------------------------------------------------

def check_probe_page(n):
    headings = texts(get(f"/probes/{n}", 200).content(), "h2")
    require(f"Probe {n}" in headings, f"/probes/{n} has <h2> texts {headings!r}, expected 'Probe {n}'")


@check50.check()
def probe_page_shows_probe_number():
    """/probes/7 shows Probe 7"""
    check_probe_page(7)


@check50.check()
def probe_page_shows_probe_1():
    """/probes/1 shows Probe 1"""
    check_probe_page(1)


@check50.check()
def probe_page_shows_probe_42():
    """/probes/42 shows Probe 42"""
    check_probe_page(42)


@check50.check()
def probe_page_shows_probe_2026():
    """/probes/2026 shows Probe 2026"""
    check_probe_page(2026)


@check50.check()
def probe_rejects_non_integer():
    """/probes/abc is a 404"""
    get("/probes/abc", 404)


# --- greet ------------------------------------------------------------------------------------

def get_greeting(name):
    """GET /greet/<name>; return the page and the texts of its p.greeting elements."""
    app = get(f"/greet/{quote(name, safe='')}", 200)
    page = app.content()
    greetings = [p.get_text(strip=True) for p in page.select("p.greeting")]
    require(greetings, "expected a <p class=\"greeting\"> element, found none")
    return page, greetings


def check_greeting(name):
    greetings = get_greeting(name)[1]
    expected = f"Hello, {name}!"
    require(expected in greetings, f"greeting text(s) {greetings!r}, expected {expected!r}")


@check50.check()
def greet_says_hello():
    """/greet/Ada says Hello, Ada!"""
    check_greeting("Ada")


@check50.check()
def greet_says_hello_to_grace_hopper():
    """/greet/Grace Hopper says Hello, Grace Hopper!"""
    check_greeting("Grace Hopper")


@check50.check()
def greet_says_hello_to_zoe():
    """/greet/Zoë says Hello, Zoë!"""
    check_greeting("Zoë")


@check50.check()
def greet_says_hello_to_tom_and_jerry():
    """/greet/Tom & Jerry says Hello, Tom & Jerry!"""
    check_greeting("Tom & Jerry")


@check50.check()
def greet_does_not_inject_html():
    """a name containing HTML is not inserted as HTML"""
    page = get_greeting(XSS_NAME)[0]
    require(page.find("img") is None, "the page contains an <img> element: the name was inserted as HTML, not escaped")


@check50.check()
def greet_shows_html_name_literally():
    """a name containing HTML is shown literally"""
    check_greeting(XSS_NAME)


# --- not-found --------------------------------------------------------------------------------

def check_lost_in_space(path):
    headings = texts(get(path, 404).content(), "h1")
    require("Lost in space" in headings, f"{path} has <h1> texts {headings!r}, expected 'Lost in space'")


@check50.check()
def unknown_page_is_lost_in_space():
    """/no/such/page is a 404 reading Lost in space"""
    check_lost_in_space("/no/such/page")


@check50.check()
def other_unknown_page_is_lost_in_space():
    """/mars/rover/42 is a 404 reading Lost in space"""
    check_lost_in_space("/mars/rover/42")
