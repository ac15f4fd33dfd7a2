"""Fixtures shared by the launch-sequence tests: one production deployment for the whole session.

Before gunicorn starts, the app is started once in a fresh process on the same database, as a
release step would: its tables then exist before two workers start at the same moment.
"""
import pytest

from deploy_checks import TEMP, Gunicorn, production


@pytest.fixture(scope="session", autouse=True)
def sandbox_temp_dir(app):
    """Database files go in the sandbox's own temporary folder, removed with the sandbox."""
    TEMP["dir"] = app.temp_dir
    return TEMP["dir"]


@pytest.fixture(scope="session")
def production_env(sandbox_temp_dir):
    return production()


@pytest.fixture(scope="session")
def production_boot(app, production_env):
    return app.boot(production_env)


@pytest.fixture(scope="session")
def production_server(app, production_env, production_boot):
    with Gunicorn(app, production_env, "--workers", "2") as server:
        yield server


@pytest.fixture(scope="session")
def second_deployment(app):
    """Another production deployment: its own key and database (tables created by this boot).

    FLASK_DEBUG=1 in its environment must not turn debug on (a hidden production test reads it).
    """
    env = production(FLASK_DEBUG="1")
    return env, app.boot(env)
