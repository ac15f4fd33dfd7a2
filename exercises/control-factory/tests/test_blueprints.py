"""Criterion `blueprints`: the pages and api blueprints, the api one under the /api prefix."""
import re

import pytest

from factory_helpers import cap, create, main_app

pytestmark = pytest.mark.criterion("blueprints")

PAGES = {"/": {"GET"}, "/probes": {"GET"}}
API = {"/api/status": {"GET"}, "/api/probes": {"GET", "POST"}, "/api/probes/<int:…>": {"GET"}}


def rule_key(rule):
    """'/api/probes/<int:probe_id>' -> '/api/probes/<int:…>': the variable's name is the student's choice."""
    return re.sub(r"<int:\w+>", "<int:…>", rule)


def listing(routes):
    shown = ", ".join(f"{r.rule} ({r.endpoint})" for r in sorted(routes, key=lambda r: r.rule))
    return shown or "no routes at all"


def check_blueprint(made, rules, blueprint):
    routes = made.handle.routes
    for rule, methods in rules.items():
        matching = [r for r in routes if rule_key(r.rule) == rule]
        got = set().union(*(r.methods for r in matching)) if matching else set()
        assert methods <= got, (
            f"{cap(made.label)} has no route {rule} for {', '.join(sorted(methods - got))}, expected "
            f"{'/'.join(sorted(methods))} {rule} in the {blueprint!r} blueprint. Its routes: {listing(routes)}"
        )
        outside = [r for r in matching if not r.endpoint.startswith(f"{blueprint}.")]
        assert not outside, (
            f"In {made.label}, the route {rule} has endpoint {outside[0].endpoint!r}, expected an endpoint of the "
            f"{blueprint!r} blueprint ({blueprint}.<view name>): the route is not defined in that blueprint"
        )


def check_every_route_in_a_blueprint(made):
    routes = made.handle.routes
    for r in routes:
        if r.endpoint == "static":
            continue
        assert r.endpoint.startswith(("pages.", "api.")), (
            f"In {made.label}, the route {r.rule} has endpoint {r.endpoint!r}, expected every route to belong to "
            f"the 'pages' or the 'api' blueprint (endpoint pages.<view> or api.<view>). Its routes: {listing(routes)}"
        )
        if r.endpoint.startswith("api."):
            assert r.rule.startswith("/api/"), (
                f"In {made.label}, the api route {r.endpoint!r} has the URL {r.rule}, expected a URL under /api/"
            )
        else:
            assert not r.rule.startswith("/api/"), (
                f"In {made.label}, the pages route {r.endpoint!r} has the URL {r.rule}, expected /api/ to hold "
                "only the api blueprint's routes"
            )


def test_pages_routes_are_in_the_pages_blueprint(app):
    check_blueprint(main_app(app), PAGES, "pages")


def test_api_routes_are_in_the_api_blueprint_under_api(app):
    check_blueprint(main_app(app), API, "api")


def test_every_route_belongs_to_a_blueprint(app):
    check_every_route_in_a_blueprint(main_app(app))


@pytest.mark.hidden
def test_created_app_has_both_blueprints(app):
    made = create(app, "production")
    check_blueprint(made, PAGES, "pages")
    check_blueprint(made, API, "api")
    check_every_route_in_a_blueprint(made)
