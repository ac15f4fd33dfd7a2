"""Criterion `csrf`: every form carries a CSRF token; a POST without the right one changes nothing."""
import pytest

from hq_checks import (
    FORMS, NOT_SENT, body, describe, excerpt, fresh_login, get_page, logged_in, mission_rows, new_password,
    post_form, query, shared_member, status, token_from, unique,
)

pytestmark = pytest.mark.criterion("csrf")

FORGED = "forged-token-from-another-site"


def check_form_token(client, form_id, who):
    path = FORMS[form_id][0]
    _, page = get_page(client, path, who)
    form = page.find("form", id=form_id)
    assert form is not None, f"GET {path}{who} returned no <form id=\"{form_id}\"> (see the README)"
    field = form.find("input", attrs={"name": "csrf_token"})
    assert field is not None and (field.get("type") or "").lower() == "hidden" and field.get("value"), (
        f"GET {path}{who} returned a <form id=\"{form_id}\"> without a hidden csrf_token field with a value: "
        f"{excerpt(str(field)) if field is not None else 'no <input name=csrf_token>'!r}; expected "
        "<input type=\"hidden\" name=\"csrf_token\" value=\"...\"> inside the form "
        "({{ form.hidden_tag() }} or {{ csrf_token() }} in the template)"
    )


def check_refused(r, sent, what):
    assert r.status_code == 400, (
        f"POST {what} with {describe(sent) if sent else 'no fields'} returned {status(r)}, expected status 400: "
        f"a POST that does not carry the CSRF token of the visitor's own form may come from another site's page "
        f"and must be refused.{body(r)}"
    )


def register_data():
    password = new_password()
    return {"username": unique("forged"), "password": password, "confirm": password}


@pytest.mark.parametrize("form_id", ["register-form", "login-form"])
def test_anonymous_forms_have_a_token(client, form_id):
    check_form_token(client, form_id, " (not logged in)")


@pytest.mark.parametrize("form_id", ["mission-form", "logout-form"])
def test_dashboard_forms_have_a_token(client, app, form_id):
    username, _ = shared_member(client, app)
    check_form_token(client, form_id, f" (logged in as {username!r})")


def test_register_without_token_is_refused(client, app):
    r, sent = post_form(client, "register-form", register_data(), token=NOT_SENT)
    check_refused(r, sent, "/register")
    rows = query(app, "SELECT id FROM user WHERE username = ?", sent["username"])
    assert not rows, (
        f"After POST /register with {describe(sent)} (no csrf_token) was refused, the user table holds "
        f"{sent['username']!r}, expected no such crew member"
    )


def test_login_without_token_is_refused(client, app):
    username, password = shared_member(app.client(), app)
    r, sent = post_form(client, "login-form", {"username": username, "password": password}, token=NOT_SENT)
    check_refused(r, sent, "/login")
    assert not logged_in(client, username), (
        f"After POST /login with {describe(sent)} (no csrf_token), GET /dashboard showed the dashboard, "
        "expected a redirect to /login: the refused login must not log anybody in"
    )


def test_mission_without_token_is_refused(client, app):
    username, _ = shared_member(client, app)
    r, sent = post_form(client, "mission-form", {"name": unique("Forged mission")}, token=NOT_SENT)
    check_refused(r, sent, f"/missions (logged in as {username!r})")
    assert not mission_rows(app, sent["name"]), (
        f"After POST /missions with {describe(sent)} (no csrf_token) was refused, the mission table holds a "
        f"row named {sent['name']!r}, expected none"
    )


def test_mission_with_forged_token_is_refused(client, app):
    username, _ = shared_member(client, app)
    r, sent = post_form(client, "mission-form", {"name": unique("Forged mission")}, token=FORGED)
    check_refused(r, sent, f"/missions (logged in as {username!r})")
    assert not mission_rows(app, sent["name"]), (
        f"After POST /missions with name={sent['name']!r} and csrf_token={FORGED!r} was refused, the mission "
        f"table holds a row named {sent['name']!r}, expected none"
    )


def test_logout_without_token_is_refused(client, app):
    username, _ = fresh_login(client, app)
    r, sent = post_form(client, "logout-form", {}, token=NOT_SENT)
    check_refused(r, sent, f"/logout (logged in as {username!r})")
    assert logged_in(client, username), (
        f"After POST /logout without a csrf_token was refused, GET /dashboard no longer showed the dashboard "
        f"of {username!r}, expected the crew member still logged in: another site's page must not be able to log "
        "users out"
    )


def test_get_logout_does_not_log_out(client, app):
    username, _ = fresh_login(client, app)
    r = client.get("/logout")
    assert logged_in(client, username), (
        f"GET /logout (logged in as {username!r}) returned {status(r)}, and afterwards GET /dashboard no longer "
        "showed the dashboard; expected the crew member still logged in: logging out changes state, so only a "
        "POST with the CSRF token may do it (a route with methods=[\"POST\"] answers GET with 405)"
    )


@pytest.mark.hidden
def test_register_with_forged_token_is_refused(client, app):
    r, sent = post_form(client, "register-form", register_data(), token=FORGED)
    check_refused(r, sent, "/register")
    assert not query(app, "SELECT id FROM user WHERE username = ?", sent["username"]), (
        f"After POST /register with a forged csrf_token was refused, the user table holds {sent['username']!r}, "
        "expected no such crew member"
    )


@pytest.mark.hidden
def test_token_of_another_visitor_is_refused(client, app):
    username, _ = shared_member(client, app)
    stolen = token_from(app.client(), "/login")  # a valid token, but of another visitor's session
    r, sent = post_form(client, "mission-form", {"name": unique("Planted mission")}, token=stolen or FORGED)
    check_refused(r, sent, f"/missions (logged in as {username!r}, with another visitor's token)")
    assert not mission_rows(app, sent["name"]), (
        f"After POST /missions with another visitor's csrf_token was refused, the mission table holds a row "
        f"named {sent['name']!r}, expected none: a token belongs to one session"
    )


@pytest.mark.hidden
def test_logout_with_forged_token_is_refused(client, app):
    username, _ = fresh_login(client, app)
    r, sent = post_form(client, "logout-form", {}, token=FORGED)
    check_refused(r, sent, f"/logout (logged in as {username!r})")
    assert logged_in(client, username), (
        f"After POST /logout with a forged csrf_token, GET /dashboard no longer showed the dashboard of {username!r}, "
        "expected the crew member still logged in"
    )
