"""Criterion `config`: SECRET_KEY and DATABASE_URL come from the environment, with development defaults."""
import pytest

from deploy_checks import Gunicorn, boot_failure, listed, show, show_env, unique

pytestmark = pytest.mark.criterion("config")

DEFAULT_DATABASE_URL = "sqlite:///launch.db"


def require_started(booted, env):
    assert booted.ok, f"Starting the app with {show_env(env)} failed: {boot_failure(booted)}"


def check_value(booted, env, key, variable):
    require_started(booted, env)
    got = booted.config.get(key, "(not set)")
    assert got == env[variable], (
        f"Started with {show_env(env)}, the app's config has {key} = {got!r}, "
        f"expected {env[variable]!r} (the value of {variable})"
    )


def test_secret_key_from_environment(production_env, production_boot):
    check_value(production_boot, production_env, "SECRET_KEY", "SECRET_KEY")


def test_database_url_from_environment(production_env, production_boot):
    check_value(production_boot, production_env, "SQLALCHEMY_DATABASE_URI", "DATABASE_URL")


def test_development_defaults(app):
    booted = app.boot({})
    assert booted.ok, (
        f"Started with no APP_ENV, SECRET_KEY or DATABASE_URL (development), the app must start with its "
        f"defaults, but it failed: {boot_failure(booted)}"
    )
    uri = booted.config.get("SQLALCHEMY_DATABASE_URI", "(not set)")
    assert uri == DEFAULT_DATABASE_URL, (
        f"Started with no DATABASE_URL, the app's config has SQLALCHEMY_DATABASE_URI = {uri!r}, "
        f"expected the development default {DEFAULT_DATABASE_URL!r}"
    )
    key = booted.config.get("SECRET_KEY")
    assert isinstance(key, str) and key, (
        f"Started in development with no SECRET_KEY, the app's config has SECRET_KEY = {key!r}, "
        f"expected a development key (a non-empty string)"
    )


def test_launches_go_to_the_database_url(app, production_server, second_deployment):
    env, _ = second_deployment
    event = production_server.create_launch(unique("gaganyaan"), "go")
    with Gunicorn(app, env, "--workers", "1") as other:
        story = (f"on a second gunicorn with another DATABASE_URL ({env['DATABASE_URL']}), after "
                 f"POST /launches created {show(event)} through the first one "
                 f"(DATABASE_URL={production_server.env['DATABASE_URL']})")
        found = listed(other.launches(story), [event])
        assert not found, (
            f"GET /launches {story} listed {show(found)}: the two deployments share one database, "
            f"expected each to use the database its DATABASE_URL names"
        )


@pytest.mark.hidden
def test_other_secret_key_and_database_url(second_deployment):
    env, booted = second_deployment
    check_value(booted, env, "SECRET_KEY", "SECRET_KEY")
    check_value(booted, env, "SQLALCHEMY_DATABASE_URI", "DATABASE_URL")
