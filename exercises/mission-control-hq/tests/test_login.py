"""Criterion `login`: log in with the right password only, one generic error, log out by POST."""
import pytest

from hq_checks import (
    check_form, describe, error_list, error_messages, errors_note, excerpt, fresh_login, get_page, local_target,
    logged_in, login, post_form, redirects_to, register, shared_member, soup, status, unique,
)

pytestmark = pytest.mark.criterion("login")


def refused(client, username, password, why):
    """POST /login that must fail with 401; return (response, page); check nobody is logged in."""
    r, sent = post_form(client, "login-form", {"username": username, "password": password})
    page = soup(r)
    assert r.status_code == 401, (
        f"POST /login with {describe(sent)} ({why}) returned {status(r)}, expected status 401 with the "
        f"login form shown again and an error message.{errors_note(r)}"
    )
    error = page.find(id="error-login")
    assert error is not None and error.get_text(strip=True), (
        f"POST /login with {describe(sent)} ({why}) returned status 401 without a non-empty element "
        f"id=\"error-login\"; expected e.g. <p class=\"error\" id=\"error-login\">Unknown username or wrong "
        f"password.</p>. Error messages found: {error_messages(page)}"
    )
    assert not logged_in(client, username), (
        f"After POST /login with {describe(sent)} ({why}) was refused, GET /dashboard still showed the "
        "dashboard, expected a redirect to /login: nobody may be logged in"
    )
    return r, sent, page


def test_login_form(client):
    _, page = get_page(client, "/login", " (not logged in)")
    check_form(page, "/login", "login-form", {"username": "text", "password": "password"})


def test_login_redirects_to_dashboard(client, app):
    username, _ = fresh_login(client, app)
    _, page = get_page(client, "/dashboard", f" (after logging in as {username!r})")
    current = page.find(id="current-user")
    assert current is not None and current.get_text(strip=True) == username, (
        f"GET /dashboard after logging in as {username!r} showed "
        f"{excerpt(str(current)) if current is not None else 'no element id=current-user'!r}, expected "
        f"<span id=\"current-user\">{username}</span>"
    )


def test_wrong_password_is_refused(client, app):
    username, password = shared_member(app.client(), app)
    r, sent, page = refused(client, username, password + "-wrong", "the wrong password")
    field = page.find("input", attrs={"name": "username"})
    assert field is not None and field.get("value") == username, (
        f"POST /login with {describe(sent)} showed the form again with the username field "
        f"{excerpt(str(field)) if field is not None else 'missing'!r}, expected value={username!r}"
    )
    assert sent["password"] not in r.text, (
        f"POST /login with {describe(sent)} showed the form again with the password {sent['password']!r} in "
        "the page, expected it nowhere: never send a password back to the browser"
    )


def test_unknown_user_gets_the_same_answer(client, app):
    username, password = shared_member(app.client(), app, "b")
    _, _, wrong = refused(client, username, password + "-wrong", "the wrong password")
    nobody = unique("nobody")
    _, _, unknown = refused(app.client(), nobody, password, "nobody has this username")
    assert error_list(unknown) == error_list(wrong), (
        f"POST /login with an unknown username ({nobody!r}) showed the errors {error_list(unknown)!r}, but with "
        f"a known username and a wrong password the errors {error_list(wrong)!r}; expected exactly the same "
        "message for both, so that nobody can find out which usernames exist"
    )


def test_empty_password_is_400(client, app):
    username, _ = shared_member(app.client(), app)
    r, sent = post_form(client, "login-form", {"username": username, "password": ""})
    assert r.status_code == 400, (
        f"POST /login with {describe(sent)} returned {status(r)}, expected status 400 (a required field is "
        f"empty) with the form shown again.{errors_note(r)}"
    )
    assert not logged_in(client, username), (
        f"After POST /login with {describe(sent)}, GET /dashboard showed the dashboard, expected a redirect "
        "to /login: nobody may be logged in without a password"
    )


def test_logout_ends_the_session(client, app):
    username, _ = fresh_login(client, app)
    r, sent = post_form(client, "logout-form", {})
    assert redirects_to(r, "/login"), (
        f"POST /logout with {describe(sent)} (logged in as {username!r}) returned {status(r)}, expected a "
        "redirect (302 or 303) to /login"
    )
    r = client.get("/dashboard")
    assert r.status_code != 200 or username not in soup(r).get_text(), (
        f"GET /dashboard after logging out returned {status(r)} with the dashboard of {username!r}, expected a "
        "redirect to /login: logging out must forget who was logged in"
    )


def test_session_cookie_is_httponly_and_samesite(client, app):
    username, password = shared_member(app.client(), app)
    r = login(client, username, password)
    cookies = r.headers.getlist("Set-Cookie")
    assert cookies, (
        f"POST /login as {username!r} answered a redirect without a Set-Cookie header, expected the session "
        "cookie that keeps the user logged in"
    )
    for cookie in cookies:
        flags = [part.strip().lower() for part in cookie.split(";")[1:]]
        assert "httponly" in flags and ("samesite=lax" in flags or "samesite=strict" in flags), (
            f"POST /login as {username!r} set the cookie {excerpt(cookie.split('=')[0], 40)!r} with the "
            f"attributes {'; '.join(flags) or 'none'!r}, expected HttpOnly and SameSite=Lax (or Strict) "
            "(SESSION_COOKIE_HTTPONLY, SESSION_COOKIE_SAMESITE)"
        )


def check_next_stays_here(client, app, target):
    username, password = shared_member(app.client(), app)
    query = f"?next={target}"
    r, sent = post_form(client, "login-form", {"username": username, "password": password}, query=query)
    location = r.headers.get("Location")
    assert r.status_code in (302, 303) and local_target(location) is not None, (
        f"POST /login{query} with {describe(sent)} returned {status(r)}, expected a redirect to a page of this "
        f"site (/dashboard): a login link must not send the user to another site (open redirect)"
    )


def test_next_does_not_leave_the_site(client, app):
    check_next_stays_here(client, app, "https://evil.example/phish")


@pytest.mark.hidden
def test_protocol_relative_next_does_not_leave_the_site(client, app):
    check_next_stays_here(client, app, "//evil.example/phish")


@pytest.mark.hidden
def test_api_after_logout_requires_login(client, app):
    username, _ = fresh_login(client, app)
    post_form(client, "logout-form", {})
    r = client.get("/api/missions")
    assert r.status_code != 200, (
        f"GET /api/missions after logging in as {username!r} and logging out returned {status(r)}, expected "
        f"it refused (status 401): logging out must forget who was logged in. Body: {excerpt(r.text)!r}"
    )


@pytest.mark.hidden
def test_unicode_password_logs_in(client):
    username, password = register(client, unique("komarov"), "Пароль-火星-Zoë-7")
    login(client, username, password)


def test_two_crew_members_logged_in_at_once(client, app):
    first, _ = fresh_login(client, app, "a")
    other = app.client()
    second, _ = fresh_login(other, app, "b")
    for who, c in ((first, client), (second, other)):
        _, page = get_page(c, "/dashboard", f" (logged in as {who!r})")
        current = page.find(id="current-user")
        assert current is not None and current.get_text(strip=True) == who, (
            f"GET /dashboard logged in as {who!r} (while another crew member is logged in elsewhere) showed "
            f"{excerpt(str(current)) if current is not None else 'no element id=current-user'!r}, expected "
            f"<span id=\"current-user\">{who}</span>"
        )


@pytest.mark.hidden
def test_password_in_capitals_is_refused(client, app):
    username, password = shared_member(app.client(), app)
    refused(client, username, password.upper(), "the password in capitals: passwords are case-sensitive")
