"""Helpers and expected data shared by the mission-templates tests (not collected: only test_*.py files are)."""
from typing import NamedTuple

from grader.testing import excerpt, soup


class Mission(NamedTuple):
    slug: str
    name: str
    launch: str  # the launch date as the launch_date filter shows it
    status: str


# The README's MISSIONS, in order.
MISSIONS = [
    Mission("lunar-lantern", "Lunar Lantern", "14 MAR 2025", "active"),
    Mission("red-dust-rover", "Red Dust Rover", "02 NOV 2027", "planned"),
    Mission("comet-chaser", "Comet Chaser", "30 JUN 2019", "done"),
    Mission("bold-move", "<b>Bold</b> Move", "24 DEC 2024", "active"),
    Mission("io-sounder", "Io Sounder", "09 JAN 2029", "planned"),
    Mission("night-and-day", "Night & Day <i>Relay</i>", "01 MAY 2021", "done"),
    Mission("solar-sail-1", "Solar Sail 1", "05 AUG 2024", "active"),
]
BY_SLUG = {m.slug: m for m in MISSIONS}


def shown(r):
    """What a failure message shows of a response: its body, or where to find a crash."""
    if r.status_code == 500:
        return "The app raised an exception: its traceback is in the app's output."
    return f"Body: {excerpt(r.text)!r}"


def text_of(element):
    """The element's text with runs of whitespace collapsed, as the README defines it."""
    return " ".join(element.get_text().split())


def check_span(path, what, element, css_class, expected, why=""):
    """`element` (described as `what`) holds exactly one <span class="css_class">, reading `expected`."""
    texts = [text_of(s) for s in element.find_all("span", class_=css_class)]
    assert texts == [expected], (
        f"GET {path}: {what} has <span class=\"{css_class}\"> text(s) {texts!r}, expected "
        f"exactly one reading {expected!r}{why}"
    )


def check_launch(path, what, element, launch):
    check_span(path, what, element, "launch", launch, why=" (the launch date through the launch_date filter)")


def content_of(page):
    """The page's <main> (or whole page) as a short string, for failure messages."""
    return excerpt(str(page.find("main") or page))


def rendered(app):
    """{template name: variable names} of the templates the last request rendered."""
    return {t.name: t.context for t in app.templates}


def describe(templates):
    return f"the template(s) {sorted(templates)!r}" if templates else "no template"


def passed(variables):
    """The variables a view passed to a template, without the ones Flask adds to every one."""
    return [v for v in variables if v not in ("g", "request", "session")]


def get_html(client, path, status=200, why=""):
    """GET `path`: its status must be `status` (unless None), then it must be HTML."""
    r = client.get(path)
    if status is not None:
        assert r.status_code == status, (
            f"GET {path} returned status {r.status_code}, expected {status}{why}. {shown(r)}"
        )
    assert r.mimetype == "text/html", (
        f"GET {path} returned mimetype {r.mimetype!r}, expected 'text/html'"
    )
    return r


def where(path, prefix):
    if not prefix:
        return f"GET {path}"
    return f"GET {path} served under the prefix {prefix} (SCRIPT_NAME={prefix!r}, as behind a proxy)"


def get_page(client, path, prefix=""):
    """GET `path` (served under `prefix` if one is given), which must answer 200; the page, parsed."""
    kwargs = {"base_url": f"http://localhost{prefix}/"} if prefix else {}
    r = client.get(path, **kwargs)
    assert r.status_code == 200, (
        f"{where(path, prefix)} returned status {r.status_code}, expected 200. {shown(r)}"
    )
    return soup(r)


def list_item(page, slug):
    """The <li id="mission-<slug>"> of the mission list `page`."""
    item = page.find("li", id=f"mission-{slug}")
    assert item is not None, (
        f"GET /missions returned no <li id=\"mission-{slug}\">, expected one for the "
        f"mission {BY_SLUG[slug].name!r}. <li> ids found: {[li.get('id') for li in page.find_all('li')]!r}"
    )
    return item
