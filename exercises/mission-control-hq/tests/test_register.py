"""Criterion `register`: the registration form, its validation, and the redirect to /login."""
import uuid

import pytest

from grader.testing import excerpt
from hq_checks import (
    check_form, describe, error_messages, errors_note, flashes, get_page, new_password, post_form, query, register,
    soup, status, unique,
)

pytestmark = pytest.mark.criterion("register")

FIELDS = {"username": "text", "password": "password", "confirm": "password"}


def check_rejected(client, data, invalid, why):
    """POST /register with `data`; expect 400 with an error for each field in `invalid`."""
    r, sent = post_form(client, "register-form", data)
    page = soup(r)
    assert r.status_code == 400, (
        f"POST /register with {describe(sent)} returned {status(r)}, expected status 400 ({why}): "
        f"the form shown again with an error for {' and '.join(invalid)}. "
        f"{errors_note(r).strip()}"
    )
    assert r.mimetype == "text/html", (
        f"POST /register with {describe(sent)} returned mimetype {r.mimetype!r}, expected 'text/html' "
        "(the form shown again)"
    )
    for field in invalid:
        element = page.find(id=f"error-{field}")
        assert element is not None and element.get_text(strip=True) and "error" in (element.get("class") or []), (
            f"POST /register with {describe(sent)} returned status 400 but no non-empty element with "
            f"class=\"error\" and id=\"error-{field}\" ({why}); expected e.g. "
            f"<p class=\"error\" id=\"error-{field}\">...</p>. Error messages found: {error_messages(page)}"
        )
    return r, sent, page


def check_input_kept(r, sent, page):
    """The username comes back in its field; the passwords come back nowhere."""
    field = page.find("input", attrs={"name": "username"})
    assert field is not None and field.get("value") == sent["username"], (
        f"POST /register with {describe(sent)} showed the form again with the username field "
        f"{excerpt(str(field)) if field is not None else 'missing'!r}, expected value={sent['username']!r} "
        "(what the user typed)"
    )
    for name in ("password", "confirm"):
        field = page.find("input", attrs={"name": name})
        assert field is None or not field.get("value"), (
            f"POST /register with {describe(sent)} showed the form again with the {name} field "
            f"{excerpt(str(field))!r}, expected it empty: never send a password back to the browser"
        )
    for name in ("password", "confirm"):
        assert sent[name] not in r.text, (
            f"POST /register with {describe(sent)} showed the form again with the {name} "
            f"{sent[name]!r} in the page, expected it nowhere: never send a password back to the browser"
        )


def test_register_form(client):
    _, page = get_page(client, "/register", " (not logged in)")
    check_form(page, "/register", "register-form", FIELDS)


def test_valid_registration_redirects_to_login_with_flash(client):
    username, _ = register(client)
    _, page = get_page(client, "/login", f" (after registering {username!r})")
    found = flashes(page)
    assert any(username in text for text in found), (
        f"GET /login after registering {username!r} (the page the redirect leads to) showed the "
        f"flash messages {found!r}, expected an element with class=\"flash\" whose text contains the username"
    )


def test_short_username_is_rejected(client):
    password = new_password()
    check_rejected(client, {"username": "ab", "password": password, "confirm": password}, ["username"],
                   "a username of 2 characters is too short")


def test_short_password_is_rejected(client):
    check_rejected(client, {"username": unique(), "password": "Abc-123", "confirm": "Abc-123"}, ["password"],
                   "a password of 7 characters is too short")


def test_different_confirmation_is_rejected(client):
    password = new_password()
    check_rejected(client, {"username": unique(), "password": password, "confirm": password + "x"}, ["confirm"],
                   "the confirmation differs from the password")


def test_empty_form_gets_every_error(client):
    check_rejected(client, {"username": "", "password": "", "confirm": ""}, ["username", "password", "confirm"],
                   "every field is empty")


def test_username_kept_and_passwords_not_echoed(client):
    password = new_password()
    data = {"username": unique("valentina"), "password": password, "confirm": new_password()}
    check_input_kept(*check_rejected(client, data, ["confirm"], "the confirmation differs from the password"))


def test_taken_username_is_rejected(client, app):
    username, _ = register(client)
    password = new_password()
    check_rejected(client, {"username": username, "password": password, "confirm": password}, ["username"],
                   f"{username!r} has just been registered")
    rows = query(app, "SELECT id FROM user WHERE username = ?", username)
    assert len(rows) == 1, (
        f"After registering {username!r} twice (the second POST /register must be refused), the query "
        f"SELECT id FROM user WHERE username = {username!r} returned {len(rows)} rows, expected exactly one"
    )


@pytest.mark.hidden
@pytest.mark.parametrize("length", [3, 30])
def test_username_at_limits_is_accepted(client, length):
    username = ("u" + uuid.uuid4().hex * 2)[:length]
    register(client, username)


@pytest.mark.hidden
def test_long_username_is_rejected(client):
    password = new_password()
    check_rejected(client, {"username": ("u" + uuid.uuid4().hex * 2)[:31], "password": password,
                            "confirm": password}, ["username"], "a username of 31 characters is too long")


@pytest.mark.hidden
def test_blank_username_is_rejected(client):
    password = new_password()
    check_rejected(client, {"username": "     ", "password": password, "confirm": password}, ["username"],
                   "a username of only spaces is empty")


@pytest.mark.hidden
def test_password_of_eight_is_accepted(client):
    register(client, unique(), "Ab-12345")


@pytest.mark.hidden
def test_username_is_trimmed(client, app):
    username = unique("spaced")
    register(client, f"   {username}  ")
    rows = query(app, "SELECT username FROM user WHERE username = ?", username)
    assert len(rows) == 1, (
        f"After registering {'   ' + username + '  '!r}, the query SELECT username FROM user WHERE username = "
        f"{username!r} returned {len(rows)} rows, expected one: store the username without surrounding spaces"
    )
    password = new_password()
    check_rejected(client, {"username": f" {username} ", "password": password, "confirm": password}, ["username"],
                   f"{username!r} is taken")


@pytest.mark.hidden
def test_unicode_username(client):
    username = f"Zoë-火星-{uuid.uuid4().hex[:6]}"
    register(client, username)
    _, page = get_page(client, "/login", f" (after registering {username!r})")
    assert any(username in text for text in flashes(page)), (
        f"GET /login after registering {username!r} showed the flash messages {flashes(page)!r}, expected one "
        "containing the username"
    )


@pytest.mark.hidden
def test_other_input_kept_and_passwords_not_echoed(client):
    password = "Sh0rt!x"
    data = {"username": unique("tereshkova"), "password": password, "confirm": password}
    check_input_kept(*check_rejected(client, data, ["password"], "a password of 7 characters is too short"))

