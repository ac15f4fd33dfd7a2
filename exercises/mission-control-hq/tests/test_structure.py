"""Criterion `structure`: an application factory, blueprints, the auth blueprint's endpoints."""
import uuid

import pytest

from hq_checks import excerpt, show

pytestmark = pytest.mark.criterion("structure")

AUTH = {"/register": "auth.register", "/login": "auth.login", "/logout": "auth.logout"}


@pytest.mark.parametrize("rule", list(AUTH))
def test_auth_routes_in_the_auth_blueprint(app, rule):
    route = app.route(rule)
    endpoints = sorted(f"{r.rule} -> {r.endpoint}" for r in app.routes)
    assert route is not None and route.endpoint == AUTH[rule], (
        f"The app's URL rule {rule} has the endpoint {route.endpoint if route else 'none (no such rule)'!r}, "
        f"expected {AUTH[rule]!r}: a view of the blueprint named \"auth\". "
        f"Rules found: {excerpt(', '.join(endpoints), 300)!r}"
    )


def test_every_route_in_a_blueprint(app):
    outside = sorted(f"{r.rule} -> {r.endpoint}" for r in app.routes if r.endpoint != "static" and "." not in r.endpoint)
    assert not outside, (
        f"The app's URL rules {excerpt(', '.join(outside), 300)!r} are views of the app itself, expected every "
        "view in a blueprint (its endpoint is then \"blueprint.view\"), registered by create_app()"
    )


def test_factory_makes_an_independent_app(app):
    uri = f"sqlite:///second-{uuid.uuid4().hex[:8]}.db"
    config = {"TESTING": True, "SECRET_KEY": "second-app-secret", "SQLALCHEMY_DATABASE_URI": uri}
    second = app.create(test_config=config)
    got = second.config.get("SQLALCHEMY_DATABASE_URI")
    assert got == uri, (
        f"create_app(test_config={show(config)}) made an app whose SQLALCHEMY_DATABASE_URI is {got!r}, "
        f"expected {uri!r}: the factory must apply test_config (after its defaults)"
    )
    try:
        rows = second.sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    except Exception as exc:  # noqa: BLE001 - the student's
        raise AssertionError(
            f"create_app(test_config={show(config)}) made an app with no tables in {uri}: "
            f"{getattr(exc, 'message', exc)}. Apply test_config before db.init_app(app) and db.create_all(), "
            "so that the extensions use the test database"
        ) from None
    tables = sorted(row["name"] for row in rows)
    assert {"user", "mission"} <= set(tables), (
        f"create_app(test_config={show(config)}) made an app whose database {uri} has the tables {tables!r}, "
        "expected user and mission (created at start-up with db.create_all())"
    )
    count = second.sql("SELECT COUNT(*) AS n FROM user")[0]["n"]
    assert count == 0, (
        f"create_app(test_config={show(config)}) made an app whose new database {uri} already has {count} "
        "crew members, expected none: each app made by the factory uses its own database"
    )
