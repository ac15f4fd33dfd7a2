"""Criterion `extensions`: Flask-SQLAlchemy set up in the factory, on each app's own database."""
import pytest

from factory_helpers import URI, create, expect_config, fresh_uri, main_app, post_probe, show, sql, unique

pytestmark = pytest.mark.criterion("extensions")

PROBE_TABLE = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'probe'"
PROBE_ROW = "SELECT id, name FROM probe WHERE name = ?"


def check_stored(made, probe):
    rows = sql(made, PROBE_ROW, probe["name"])
    assert rows == [probe], (
        f"After POST /api/probes on {made.label} created {show(probe)}, the query "
        f"{PROBE_ROW.replace('?', repr(probe['name']))} on that app's database file returned {show(rows)}, "
        f"expected one row {show(probe)}"
    )


def check_not_stored(made, probe, where):
    rows = sql(made, PROBE_ROW, probe["name"])
    assert rows == [], (
        f"After POST /api/probes on {where} created {show(probe)}, the database file of {made.label} has the rows "
        f"{show(rows)} for that name, expected none: each app must use the database of its own config"
    )


def test_factory_creates_the_tables_in_the_configured_database(app):
    uri = fresh_uri()
    made = create(app, "testing", test_config={URI: uri})
    expect_config(made, {URI: uri})
    rows = sql(made, PROBE_TABLE)
    assert rows == [{"name": "probe"}], (
        f"Right after {made.label.removeprefix('the app from ')} returned (before any request), the database file "
        f"{uri!r} has no table probe ({PROBE_TABLE} returned {show(rows)}), expected the factory to create it"
    )


def test_probe_is_stored_in_the_apps_database(app):
    made = create(app, "testing", test_config={URI: fresh_uri()})
    check_stored(made, post_probe(made, unique("juno")))


def test_each_app_writes_to_its_own_database(app):
    first = create(app, "testing", test_config={URI: fresh_uri("alpha")})
    second = create(app, "testing", test_config={URI: fresh_uri("beta")})
    one, two = post_probe(first, unique("lunokhod")), post_probe(second, unique("surveyor"))
    check_stored(first, one)
    check_stored(second, two)
    check_not_stored(second, one, first.label)
    check_not_stored(first, two, second.label)


def test_wsgi_app_stores_in_the_development_database(app):
    made = main_app(app)
    expect_config(made, {URI: "sqlite:///development.db"})
    check_stored(made, post_probe(made, unique("sputnik")))


@pytest.mark.hidden
def test_production_app_stores_in_the_production_database(app):
    made = create(app, "production")
    check_stored(made, post_probe(made, unique("Венера")))


@pytest.mark.hidden
def test_unicode_probe_is_stored(app):
    made = create(app, "testing", test_config={URI: fresh_uri("gamma")})
    check_stored(made, post_probe(made, unique("Hayabusa はやぶさ")))
