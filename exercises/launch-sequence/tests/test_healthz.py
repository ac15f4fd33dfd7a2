"""Criterion `healthz`: GET /healthz checks the database: 200 when it answers, 503 when it cannot."""
import pytest

from deploy_checks import UNREACHABLE_DATABASE_URL, Gunicorn, production, show, why_it_stopped

pytestmark = pytest.mark.criterion("healthz")


def test_healthz_is_ok(production_server):
    data = production_server.json("GET", "/healthz", 200)
    assert isinstance(data, dict) and data.get("status") == "ok", (
        f"GET /healthz (to {production_server.command}, database reachable) answered {show(data)}, "
        f'expected {{"status": "ok"}}'
    )


def test_healthz_reports_an_unreachable_database(app):
    env = production(DATABASE_URL=UNREACHABLE_DATABASE_URL)
    with Gunicorn(app, env, "--workers", "1") as server:
        if not server.running():
            pytest.fail(
                f"{server.describe()} exited with code {server.server.exit_code}: with a database that cannot "
                f"be opened the app must still start, and GET /healthz answer 503. It stopped with: "
                f"{why_it_stopped(server.server.output)}",
                pytrace=False,
            )
        story = f"(the database {UNREACHABLE_DATABASE_URL} cannot be opened)"
        data = server.json("GET", "/healthz", 503, story=story)
        assert isinstance(data, dict) and data.get("status") == "unavailable", (
            f"GET /healthz {story} answered 503 with {show(data)}, expected {{\"status\": \"unavailable\"}}"
        )
