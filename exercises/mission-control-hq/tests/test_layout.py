"""Criterion `layout`: one base layout with the navigation; user input always shown as text."""
import uuid

import pytest

from hq_checks import (
    add_mission, excerpt, flashes, get_page, login, post_form, register, shared_member, show, soup,
)

pytestmark = pytest.mark.criterion("layout")


def nav_of(page, path, who):
    nav = page.find("nav")
    assert nav is not None, (
        f"GET {path}{who} returned a page without a <nav>, expected the navigation of the base layout "
        "that every page extends"
    )
    return nav


def links(nav):
    return [a.get("href") for a in nav.find_all("a")]


def check_injection(page, what, marker):
    """No element made from the user's input: no <script> with `marker`, no <b>/<i> of just `marker`, no <img> with it."""
    scripts = [str(s) for s in page.find_all("script") if marker in s.get_text()]
    tags = [str(t) for t in page.find_all(["b", "i"]) if t.get_text(strip=True) == marker]
    tags += [str(t) for t in page.find_all("img") if any(marker in str(v) for v in t.attrs.values())]
    assert not scripts and not tags, (
        f"{what} returned a page where user input became HTML ({excerpt(' '.join(scripts + tags))!r}): "
        "show it as text ({{ value }} escapes it), never with |safe or Markup"
    )


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_anonymous_navigation(client, path):
    _, page = get_page(client, path, " (not logged in)")
    nav = nav_of(page, path, " (not logged in)")
    found = links(nav)
    assert "/login" in found and "/register" in found, (
        f"GET {path} (not logged in) returned a <nav> with the links {found!r}, expected links to /login and "
        f"/register. Nav: {excerpt(str(nav), 300)!r}"
    )
    extra = [f"id={i!r}" for i in ("current-user", "logout-form") if page.find(id=i) is not None]
    assert not extra, (
        f"GET {path} (not logged in) returned a page with the elements {', '.join(extra)}, expected them only "
        "for a logged-in crew member"
    )


def test_logged_in_navigation(client, app):
    username, _ = shared_member(client, app)
    who = f" (logged in as {username!r})"
    _, page = get_page(client, "/dashboard", who)
    nav = nav_of(page, "/dashboard", who)
    current = nav.find(id="current-user")
    assert current is not None and current.get_text(strip=True) == username, (
        f"GET /dashboard{who} returned a <nav> with "
        f"{excerpt(str(current)) if current is not None else 'no element id=current-user'!r}, expected "
        f"<span id=\"current-user\">{username}</span> in the <nav>. Nav: {excerpt(str(nav), 300)!r}"
    )
    form = nav.find("form", id="logout-form")
    method = (form.get("method") or "get").lower() if form is not None else None
    action = form.get("action") if form is not None else None
    button = form is not None and (
        any((b.get("type") or "submit").lower() == "submit" for b in form.find_all("button"))
        or any((i.get("type") or "").lower() == "submit" for i in form.find_all("input"))
    )
    assert form is not None and method == "post" and action == "/logout" and button, (
        f"GET /dashboard{who} returned a <nav> with "
        f"{excerpt(str(form), 300) if form is not None else 'no <form id=logout-form>'!r}, expected "
        "<form id=\"logout-form\" method=\"post\" action=\"/logout\"> with a submit button in the <nav>"
    )
    assert "/register" not in links(nav), (
        f"GET /dashboard{who} returned a <nav> with the links {links(nav)!r}, expected no link to /register "
        "for a logged-in crew member"
    )


def test_flash_messages_in_the_layout(client):
    username, _ = register(client)
    _, page = get_page(client, "/login", f" (after registering {username!r})")
    found = [tag for tag in page.select(".flash") if username in tag.get_text()]
    assert found, (
        f"GET /login after registering {username!r} showed the flash messages {flashes(page)!r}, expected the "
        "base layout to show each flashed message in an element with class=\"flash\""
    )
    _, again = get_page(client, "/login", f" (reloaded, after registering {username!r})")
    assert not [t for t in again.select(".flash") if username in t.get_text()], (
        f"GET /login, loaded a second time after registering {username!r}, still showed the flash messages "
        f"{flashes(again)!r}, expected each message shown once (get_flashed_messages() forgets them)"
    )


def test_username_is_escaped(client):
    marker = uuid.uuid4().hex[:8]
    username = f"<b>{marker}</b>"
    register(client, username)
    _, page = get_page(client, "/login", f" (after registering {username!r})")
    check_injection(page, f"GET /login after registering {username!r}", marker)
    assert any(username in text for text in flashes(page)), (
        f"GET /login after registering {username!r} showed the flash messages {flashes(page)!r}, expected one "
        "with the username as text, exactly as typed"
    )


def test_mission_name_is_escaped(client, app):
    username, _ = shared_member(client, app)
    marker = uuid.uuid4().hex[:8]
    name = f'<script>alert("{marker}")</script>'
    add_mission(client, name)
    _, page = get_page(client, "/dashboard", f" (after adding the mission {name!r})")
    check_injection(page, f"GET /dashboard after adding the mission {name!r}", marker)
    names = [tag.get_text(strip=True) for tag in page.select("#missions .mission-name")]
    assert name in names, (
        f"GET /dashboard after adding the mission {name!r} listed {show(names)}, expected the name as text, "
        "exactly as typed"
    )
    assert f"Mission {name} added" in flashes(page), (
        f"GET /dashboard after adding the mission {name!r} showed the flash messages {flashes(page)!r}, "
        f"expected {'Mission ' + name + ' added'!r} as text"
    )


@pytest.mark.hidden
def test_logged_in_username_is_escaped(client):
    marker = uuid.uuid4().hex[:8]
    username, password = register(client, f"<i>{marker}</i>")
    login(client, username, password)
    _, page = get_page(client, "/dashboard", f" (logged in as {username!r})")
    check_injection(page, f"GET /dashboard logged in as {username!r}", marker)
    current = page.find(id="current-user")
    assert current is not None and current.get_text(strip=True) == username, (
        f"GET /dashboard logged in as {username!r} showed "
        f"{excerpt(str(current)) if current is not None else 'no element id=current-user'!r}, expected the "
        "username as text, exactly as typed"
    )


@pytest.mark.hidden
@pytest.mark.parametrize("template", ['<img src=x onerror="{}">', 'Tom & Jerry\'s "Big" {} Day'])
def test_other_mission_names_are_escaped(client, app, template):
    shared_member(client, app)
    marker = uuid.uuid4().hex[:8]
    name = template.format(marker)
    add_mission(client, name)
    _, page = get_page(client, "/dashboard", f" (after adding the mission {name!r})")
    check_injection(page, f"GET /dashboard after adding the mission {name!r}", marker)
    names = [tag.get_text(strip=True) for tag in page.select("#missions .mission-name")]
    assert name in names, (
        f"GET /dashboard after adding the mission {name!r} listed {show(names)}, expected the name as text"
    )


@pytest.mark.hidden
def test_rejected_mission_name_is_escaped_in_the_form(client, app):
    shared_member(client, app)
    marker = uuid.uuid4().hex[:8]
    name = f'"><b>{marker}</b>' + "x" * 60  # too long: the form comes back with the name in it
    r, _ = post_form(client, "mission-form", {"name": name})
    page = soup(r)
    check_injection(page, f"POST /missions with name={name!r} (too long)", marker)
    field = page.find("input", attrs={"name": "name"})
    assert field is not None and field.get("value") == name, (
        f"POST /missions with name={name!r} (too long) showed the form again with "
        f"{excerpt(str(field)) if field is not None else 'no name field'!r}, expected value={name!r}: the value "
        "quoted and escaped"
    )
