"""Criterion `production`: no production start without SECRET_KEY; debug off in production."""
import pytest

from deploy_checks import Gunicorn, boot_failure, database_url, show_env, why_it_stopped

pytestmark = pytest.mark.criterion("production")


def check_refused(booted, env):
    if booted.ok:
        key = booted.config.get("SECRET_KEY")
        pytest.fail(
            f"Started with {show_env(env)}, the app started (with SECRET_KEY = {key!r}), expected it to "
            f"refuse to start: raise an error that names SECRET_KEY",
            pytrace=False,
        )
    assert "SECRET_KEY" in booted.reason, (
        f"Started with {show_env(env)}, the app did not start, as expected, but its error does not "
        f"name SECRET_KEY: {booted.reason}"
    )


def check_debug_off(booted, env):
    assert booted.ok, f"Started with {show_env(env)}, the app failed: {boot_failure(booted)}"
    settings = {"DEBUG": booted.config.get("DEBUG"), "TESTING": booted.config.get("TESTING"), "app.debug": booted.debug}
    wrong = {k: v for k, v in settings.items() if v is not False}
    assert not wrong, (
        f"Started with {show_env(env)}, the app has " + ", ".join(f"{k} = {v!r}" for k, v in wrong.items())
        + ", expected False in production"
    )


def test_refuses_to_start_without_secret_key(app):
    env = {"APP_ENV": "production", "DATABASE_URL": database_url()}
    check_refused(app.boot(env), env)


def test_gunicorn_exits_with_an_empty_secret_key(app):
    env = {"APP_ENV": "production", "SECRET_KEY": "", "DATABASE_URL": database_url()}
    with Gunicorn(app, env, "--workers", "1") as server:
        if server.running():
            r = server.open("GET", "/healthz")
            pytest.fail(
                f"{server.describe()} started and answered GET /healthz with {r.status_code}, "
                f"expected gunicorn to exit because the app refuses to start without a SECRET_KEY",
                pytrace=False,
            )
        assert "SECRET_KEY" in server.server.output, (
            f"{server.describe()} exited (code {server.server.exit_code}), as expected, but its output does "
            f"not name SECRET_KEY: the app did not even get to check it. It stopped with: "
            f"{why_it_stopped(server.server.output)}"
        )


def test_debug_off_in_production(production_env, production_boot):
    check_debug_off(production_boot, production_env)


@pytest.mark.hidden
def test_flask_debug_cannot_turn_debug_on_in_production(second_deployment):
    env, booted = second_deployment
    check_debug_off(booted, env)
