"""Criterion `gunicorn`: `gunicorn wsgi:app` serves the app over HTTP (in production, with 2 workers)."""
import pytest

from deploy_checks import unique

pytestmark = pytest.mark.criterion("gunicorn")


def test_gunicorn_serves_wsgi_app(production_server):
    production_server.require_running()


def test_lists_launches_over_http(production_server):
    production_server.launches()


def test_creates_a_launch_over_http(production_server):
    production_server.create_launch(unique("artemis"), "go")


@pytest.mark.hidden
def test_unicode_launch_over_http(production_server):
    production_server.create_launch(unique("嫦娥 Chang'e"), "hold")
