"""Helpers shared by the mission-control-hq tests (not collected: only test_*.py files are).

The app runs once for the whole grading session and keeps its data, so every test registers
crew members with names of its own (`unique`) and checks only facts about them. CSRF is on
(the rubric sets WTF_CSRF_ENABLED): every POST sends the csrf_token of the page's form, as a
browser would, unless a test leaves it out on purpose.
"""
import json
import uuid
from urllib.parse import urlsplit

from grader.testing import excerpt, soup

DB_FILE = "instance/mission_control.db"
NOT_SENT = object()  # `token=NOT_SENT`: post without any csrf_token field


class FormToken(str):
    """A csrf_token taken from one of the app's own forms (shown as such in messages)."""


def unique(prefix="crew"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_password():
    return f"Orbit-{uuid.uuid4().hex[:10]}!"


def show(data):
    return excerpt(json.dumps(data, ensure_ascii=False))


def describe(data):
    """username='ada', password='Orbit-…' (and csrf_token=<the form's token> when sent)."""
    parts = []
    for key, value in data.items():
        shown = "<the form's token>" if isinstance(value, FormToken) else repr(str(value))
        parts.append(f"{key}={shown}")
    return ", ".join(parts) if parts else "no fields"


def status(r):
    """The status for a message, with the redirect target if it is a redirect."""
    if 300 <= r.status_code < 400:
        return f"status {r.status_code} (a redirect to {r.headers.get('Location')!r})"
    return f"status {r.status_code}"


def body(r):
    """' Body: ...' (the page's <body>, trimmed) to end a message with; nothing for a redirect."""
    if 300 <= r.status_code < 400:
        return ""
    if r.mimetype == "text/html":
        page = soup(r)
        text = page.body.decode_contents() if page.body else r.text
    else:
        text = r.text
    return f" Body: {excerpt(text)!r}"


def is_redirect(r):
    return r.status_code in (301, 302, 303, 307, 308)


def local_target(location):
    """The path a Location header leads to on this site, or None if it leads elsewhere."""
    if not location:
        return None
    parts = urlsplit(location)
    if parts.netloc not in ("", "localhost") or parts.scheme not in ("", "http", "https"):
        return None
    if location.startswith(("//", "/\\")):
        return None
    return parts.path or "/"


def redirects_to(r, path):
    """Whether `r` is a redirect (302/303) to `path` on this site (a query string is allowed)."""
    return r.status_code in (302, 303) and local_target(r.headers.get("Location")) == path


def check_form(page, action, form_id, fields, shown_by=None):
    """The form `form_id` posts to `action` and has these labelled fields and a submit button.

    A form on its own page (shown_by=None) may leave out the action: it then posts to its own URL.
    """
    path = shown_by or action
    form = page.find("form", id=form_id)
    forms = [f"<form {' '.join(f'{k}={v!r}' for k, v in f.attrs.items())}>" for f in page.find_all("form")]
    assert form is not None, (
        f"GET {path} returned no <form id=\"{form_id}\">; forms found: {excerpt(' '.join(forms)) or 'none'!r}"
    )
    method = (form.get("method") or "get").strip().lower()
    got = (form.get("action") or "").strip()
    allowed = (action,) if shown_by else (action, "")
    assert method == "post" and got in allowed, (
        f"GET {path} returned <form id=\"{form_id}\" method={form.get('method')!r} action={form.get('action')!r}>, "
        f"expected method=\"post\" and action=\"{action}\"" + ("" if shown_by else " (or no action)")
    )
    for name, kind in fields.items():
        field = form.find("input", attrs={"name": name})
        assert field is not None, (
            f"GET {path} returned a <form id=\"{form_id}\"> without an <input name=\"{name}\">. "
            f"Form: {excerpt(str(form), 300)!r}"
        )
        got = (field.get("type") or "text").strip().lower()
        assert got == kind, (
            f"GET {path} returned the {name} field as <input type={got!r}>, expected type=\"{kind}\""
            + (" (the browser then hides what is typed)" if kind == "password" else "")
        )
        field_id = field.get("id")
        label = page.find("label", attrs={"for": field_id}) if field_id else None
        assert label is not None and label.get_text(strip=True), (
            f"GET {path} returned the {name} field {excerpt(str(field))!r} without a <label> whose for "
            f"attribute equals the field's id (and with some text), expected e.g. "
            f"<label for=\"{name}\">...</label> <input id=\"{name}\" name=\"{name}\" ...>"
        )
    buttons = [b for b in form.find_all("button") if (b.get("type") or "submit").strip().lower() == "submit"]
    buttons += [i for i in form.find_all("input") if (i.get("type") or "").strip().lower() == "submit"]
    assert buttons, (
        f"GET {path} returned a <form id=\"{form_id}\"> without a submit button, expected a "
        f"<button type=\"submit\"> or <input type=\"submit\">. Form: {excerpt(str(form), 300)!r}"
    )


def error_messages(page):
    """The non-empty elements with class "error" or an id starting with "error-", for a message."""
    found = [
        tag for tag in page.find_all(True)
        if ("error" in (tag.get("class") or []) or str(tag.get("id", "")).startswith("error-"))
        and tag.get_text(strip=True)
    ]
    if not found:
        return "none"
    return excerpt("; ".join(
        f"id={tag.get('id')!r}: {tag.get_text(' ', strip=True)!r}" for tag in found
    ), 300)


def errors_note(r):
    """' Error messages on the page: ...' for a page; ' Body: ...' for any other answer; '' for a redirect."""
    if is_redirect(r):
        return ""
    if r.mimetype == "text/html":
        return f" Error messages on the page: {error_messages(soup(r))}."
    return body(r)


def error_list(page):
    """[(id, text)] of the page's error messages, to compare two answers."""
    return [
        (tag.get("id"), tag.get_text(" ", strip=True)) for tag in page.find_all(True)
        if ("error" in (tag.get("class") or []) or str(tag.get("id", "")).startswith("error-"))
        and tag.get_text(strip=True)
    ]


def flashes(page):
    return [tag.get_text(" ", strip=True) for tag in page.select(".flash")]


def get_page(client, path, who="", expected=200):
    """GET an HTML page, check its status and mimetype, return (response, parsed page)."""
    r = client.get(path)
    assert r.status_code == expected, (
        f"GET {path}{who} returned {status(r)}, expected status {expected}.{body(r)}"
    )
    assert r.mimetype == "text/html", (
        f"GET {path}{who} returned mimetype {r.mimetype!r}, expected 'text/html'.{body(r)}"
    )
    return r, soup(r)


def find_form(page, form_id, field):
    """<form id=form_id>, else (more lenient, for the tests of other criteria) the form with `field`."""
    form = page.find("form", id=form_id)
    if form is None:
        tag = page.find(attrs={"name": field})
        form = tag.find_parent("form") if tag is not None else None
    return form


def csrf_of(page, form):
    """The csrf_token of `form` (or of any form on the page), or None if there is none."""
    for scope in (form, page):
        if scope is not None:
            tag = scope.find("input", attrs={"name": "csrf_token"})
            if tag is not None and tag.get("value"):
                return FormToken(tag["value"])
    return None


def token_from(client, path):
    """The csrf_token of a form on the page at `path` (None if it has none)."""
    r = client.get(path)
    return csrf_of(soup(r), None) if r.mimetype == "text/html" else None


FORMS = {  # form id: (page that shows it, a field it has, where it posts)
    "register-form": ("/register", "username", "/register"),
    "login-form": ("/login", "username", "/login"),
    "mission-form": ("/dashboard", "name", "/missions"),
    "logout-form": ("/dashboard", "csrf_token", "/logout"),
}


def post_form(client, form_id, data, token=None, query=""):
    """Open the page of `form_id`, then POST `data` where the form posts, with its csrf_token.

    token=None sends the form's own token (none if the form has none); NOT_SENT sends none;
    a string sends that string. Returns (response, the fields sent).
    """
    page_path, field, action = FORMS[form_id]
    sent = dict(data)
    if token is None:
        r = client.get(page_path)
        page = soup(r) if r.mimetype == "text/html" else None
        value = csrf_of(page, find_form(page, form_id, field)) if page is not None else None
        if value is not None:
            sent["csrf_token"] = value
    elif token is not NOT_SENT:
        sent["csrf_token"] = token
    return client.post(action + query, data=sent), sent


def register(client, username=None, password=None):
    """Register a crew member (a new, unique one by default); check the redirect to /login."""
    username = username or unique()
    password = password or new_password()
    data = {"username": username, "password": password, "confirm": password}
    r, sent = post_form(client, "register-form", data)
    assert redirects_to(r, "/login"), (
        f"POST /register with {describe(sent)} (registering a crew member for this check) returned "
        f"{status(r)}, expected a redirect (302 or 303) to /login."
        + errors_note(r)
    )
    return username, password


def login(client, username, password, query=""):
    """Log in; check the redirect to /dashboard."""
    r, sent = post_form(client, "login-form", {"username": username, "password": password}, query=query)
    assert redirects_to(r, "/dashboard"), (
        f"POST /login{query} with {describe(sent)} (a registered crew member and their password) "
        f"returned {status(r)}, expected a redirect (302 or 303) to /dashboard."
        + errors_note(r)
    )
    return r


def crew_member(client, prefix="crew"):
    """Register a new crew member and log them in on `client`; return (username, password)."""
    username, password = register(client, unique(prefix))
    login(client, username, password)
    return username, password


_SHARED = {}  # role: (username, password, the logged-in client whose session cookie is shared)
SHARED_NAMES = {"a": "armstrong", "b": "gagarin"}


def shared_member(client, app, role="a"):
    """Log `client` in as crew member `role` ("a" or "b"), shared by the tests that need *some* crew member.

    Registering and logging in cost a slow password hash each, so these two are made once per grading, on
    a client of their own; later calls copy that client's session cookie into `client`. Tests that log
    out, or need a crew member without missions, use crew_member() instead.
    """
    if role not in _SHARED:
        own = app.client()
        username, password = register(own, unique(SHARED_NAMES[role]))
        r = login(own, username, password)
        names = [header.partition("=")[0].strip() for header in r.headers.getlist("Set-Cookie")]
        _SHARED[role] = (username, password, own, names)
    username, password, own, names = _SHARED[role]
    for name in names:
        cookie = own.get_cookie(name)
        if cookie is not None:
            client.set_cookie(name, cookie.value)
    return username, password


def fresh_login(client, app, role="a"):
    """Log `client` in through POST /login as the shared crew member `role`: a session of its own."""
    username, password = shared_member(app.client(), app, role)
    login(client, username, password)
    return username, password


def logged_in(client, username):
    """Whether GET /dashboard shows the dashboard (200) of `username` (the name is on the page)."""
    r = client.get("/dashboard")
    return r.status_code == 200 and username in soup(r).get_text()


def add_mission(client, name):
    """Add a mission through the dashboard's form; check the redirect to /dashboard."""
    r, sent = post_form(client, "mission-form", {"name": name})
    assert redirects_to(r, "/dashboard"), (
        f"POST /missions with {describe(sent)} (a logged-in crew member) returned {status(r)}, "
        f"expected a redirect (302 or 303) to /dashboard."
        + errors_note(r)
    )


def dashboard_names(client, who=" (logged in)"):
    _, page = get_page(client, "/dashboard", who)
    return [tag.get_text(strip=True) for tag in page.select("#missions .mission-name")]


def api(client, path, expected=200, who=" (logged in)"):
    """GET a JSON route; check its status and mimetype; return the parsed body."""
    r = client.get(path)
    assert r.status_code == expected, f"GET {path}{who} returned {status(r)}, expected status {expected}.{body(r)}"
    assert r.mimetype == "application/json", (
        f"GET {path}{who} returned status {r.status_code} with mimetype {r.mimetype!r}, expected "
        f"'application/json'.{body(r)}"
    )
    return json.loads(r.text)


def api_names(client, who=" (logged in)"):
    data = api(client, "/api/missions", who=who)
    assert isinstance(data, list) and all(isinstance(m, dict) for m in data), (
        f"GET /api/missions{who} returned {show(data)!r}, expected a JSON list of mission objects"
    )
    return [m.get("name") for m in data]


def query(app, sql, *params):
    """Rows of a read-only query on the app's database; a failure says which query failed."""
    try:
        return app.sql(sql, *params)
    except Exception as exc:  # noqa: BLE001 - a missing table or file is the student's
        shown = sql.replace("?", "{!r}").format(*params)
        raise AssertionError(
            f"The query {shown} on the app's database ({DB_FILE}) failed: "
            f"{getattr(exc, 'message', exc)}. Check the table and column names in the README."
        ) from None


def user_row(app, username, story):
    rows = query(app, "SELECT * FROM user WHERE username = ?", username)
    assert len(rows) == 1, (
        f"{story}, the query SELECT * FROM user WHERE username = {username!r} on {DB_FILE} returned "
        f"{len(rows)} rows, expected exactly one: the crew member"
    )
    return rows[0]


def mission_rows(app, name):
    return query(app, "SELECT * FROM mission WHERE name = ?", name)
