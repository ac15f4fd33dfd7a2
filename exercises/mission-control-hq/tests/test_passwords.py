"""Criterion `passwords`: passwords are stored as salted werkzeug hashes, never as themselves."""
import re

import pytest
from werkzeug.security import check_password_hash

from hq_checks import DB_FILE, excerpt, register, unique, user_row

pytestmark = pytest.mark.criterion("passwords")

HASH_FORMAT = re.compile(r"(scrypt|pbkdf2):")


def stored_hash(app, username, password):
    story = f"After registering {username!r} with the password {password!r}"
    row = user_row(app, username, story)
    assert "password_hash" in row, (
        f"{story}, the query SELECT * FROM user WHERE username = {username!r} on {DB_FILE} returned a row with "
        f"the columns {sorted(row)!r}, expected a column password_hash"
    )
    return story, row


def check_not_plain(app, username, password):
    story, row = stored_hash(app, username, password)
    shown = {k: excerpt(str(v), 60) for k, v in row.items()}
    assert row["password_hash"] != password, (
        f"{story}, its row in the user table holds the password itself in password_hash; expected a hash "
        f"from werkzeug.security.generate_password_hash. Row: {shown!r}"
    )
    found = [k for k, v in row.items() if password in str(v)]
    assert not found, (
        f"{story}, its row in the user table contains the password in the column(s) {found!r}; expected it "
        f"nowhere, only its hash. Row: {shown!r}"
    )


def check_werkzeug_hash(app, username, password):
    story, row = stored_hash(app, username, password)
    value = str(row["password_hash"])
    assert HASH_FORMAT.match(value), (
        f"{story}, its password_hash is {excerpt(value, 60)!r}, expected a werkzeug hash, which starts with "
        f"'scrypt:' or 'pbkdf2:' (werkzeug.security.generate_password_hash makes one)"
    )
    assert check_password_hash(value, password), (
        f"{story}, its password_hash {excerpt(value, 60)!r} does not match that password with "
        "werkzeug.security.check_password_hash; expected generate_password_hash(password) of exactly the "
        "password the user typed"
    )


def test_password_is_not_stored_in_plain_text(client, app):
    username, password = register(client)
    check_not_plain(app, username, password)


def test_password_is_a_werkzeug_hash(client, app):
    username, password = register(client)
    check_werkzeug_hash(app, username, password)


def test_same_password_gives_different_hashes(client, app):
    password = "Same-password-for-both-1"
    first, _ = register(client, unique("castor"), password)
    second, _ = register(client, unique("pollux"), password)
    a = stored_hash(app, first, password)[1]["password_hash"]
    b = stored_hash(app, second, password)[1]["password_hash"]
    assert a != b, (
        f"After registering {first!r} and {second!r} with the same password {password!r}, both rows of the "
        f"user table hold the same password_hash {excerpt(str(a), 60)!r}; expected different hashes: a salted "
        "hash mixes a random salt in, so that equal passwords cannot be spotted (or cracked all at once)"
    )


@pytest.mark.hidden
def test_unicode_password_is_hashed(client, app):
    username, password = register(client, unique("laika"), "Ünïcødé-пароль-火星-42")
    check_not_plain(app, username, password)
    check_werkzeug_hash(app, username, password)


@pytest.mark.hidden
def test_long_password_is_hashed(client, app):
    username, password = register(client, unique("gagarin"), "Vostok-1-" * 12)
    check_not_plain(app, username, password)
    check_werkzeug_hash(app, username, password)
