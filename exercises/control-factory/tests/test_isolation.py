"""Criterion `isolation`: apps made by the factory share no data and no configuration."""
import pytest

from factory_helpers import (DEFAULT_STATION, URI, cap, create, expect_config, fresh_uri, listed_names, main_app,
                             post_probe, request, show, unique)

pytestmark = pytest.mark.criterion("isolation")


def check_absent(made, name, where):
    names = listed_names(made)
    assert name not in names, (
        f"After POST /api/probes with name {name!r} on {where}, GET /api/probes on {made.label} lists it too, "
        f"expected it only in {where}: the two apps must not share their probes"
    )


def check_present(made, name):
    names = listed_names(made)
    assert names.count(name) == 1, (
        f"After POST /api/probes with name {name!r} on {made.label}, GET /api/probes on the same app lists that "
        f"name {names.count(name)} time(s), expected once"
    )


def test_probes_stay_in_the_app_that_stored_them(app):
    testing, production, main = create(app, "testing"), create(app, "production"), main_app(app)
    name = unique("cassini")
    post_probe(testing, name)
    check_present(testing, name)
    check_absent(production, name, testing.label)
    check_absent(main, name, testing.label)
    other = unique("huygens")
    post_probe(production, other)
    check_present(production, other)
    check_absent(testing, other, production.label)
    check_absent(main, other, production.label)


def check_status(made, config_name):
    data = request(made, "GET", "/api/status", 200)
    got = data.get("config") if isinstance(data, dict) else data
    assert got == config_name, (
        f"GET /api/status on {made.label}, while other apps exist, returned {show(data)!r}, "
        f'expected "config": {config_name!r}'
    )


def test_apps_keep_their_own_config(app):
    testing, production, main = create(app, "testing"), create(app, "production"), main_app(app)
    expect_config(testing, {"CONFIG_NAME": "testing", "TESTING": True})
    expect_config(production, {"CONFIG_NAME": "production", "TESTING": False})
    expect_config(main, {"CONFIG_NAME": "development", URI: "sqlite:///development.db"})
    check_status(testing, "testing")
    check_status(production, "production")
    check_status(main, "development")


def test_test_config_does_not_leak_into_the_next_app(app):
    station = unique("Jodrell Bank")
    first = create(app, "development", test_config={"STATION_NAME": station})
    expect_config(first, {"STATION_NAME": station})
    second = create(app, "development")
    config = second.handle.config
    assert config.get("STATION_NAME") == DEFAULT_STATION, (
        f"{cap(second.label)}, made after {first.label.removeprefix('the app from ')}, has STATION_NAME "
        f"{config.get('STATION_NAME')!r}, expected {DEFAULT_STATION!r}: the first app's test_config changed "
        "what the next app gets"
    )
    data = request(second, "GET", "/api/status", 200)
    got = data.get("station") if isinstance(data, dict) else data
    assert got == DEFAULT_STATION, (
        f"GET /api/status on {second.label}, made after an app with STATION_NAME {station!r}, returned "
        f"{show(data)!r}, expected \"station\": {DEFAULT_STATION!r}"
    )


@pytest.mark.hidden
def test_database_override_does_not_leak(app):
    first = create(app, "testing", test_config={URI: fresh_uri("delta")})
    expect_config(first, {"CONFIG_NAME": "testing"})
    second = create(app, "testing")
    expect_config(second, {URI: "sqlite:///testing.db"})


@pytest.mark.hidden
def test_wsgi_apps_probes_stay_in_it(app):
    main = main_app(app)
    name = unique("Magellan")
    post_probe(main, name)
    check_present(main, name)
    for config_name in ("testing", "production"):
        check_absent(create(app, config_name), name, main.label)
