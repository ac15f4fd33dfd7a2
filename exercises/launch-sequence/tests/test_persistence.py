"""Criterion `persistence`: launch events live in the database, shared by every process that serves the app.

gunicorn serves the app from several processes (workers), replaces them when it likes, and a
restart or a second server starts new ones: only what is in the database is seen by all of them.
(Consecutive requests to a quiet gunicorn often reach the same worker, which is how a list in
memory survives a quick test by hand; two gunicorns on one database show the difference every time.)
"""
import pytest

from deploy_checks import Gunicorn, essential, listed, show, unique

pytestmark = pytest.mark.criterion("persistence")


@pytest.fixture(scope="module")
def second_server(app, production_env, production_boot):
    """A second gunicorn on the production deployment's database: new processes, same data."""
    with Gunicorn(app, production_env, "--workers", "1") as server:
        yield server


def check_listed(server, created, story):
    found, created = listed(server.launches(story), created), [essential(e) for e in created]
    assert found == created, (
        f"GET /launches {story} listed " + (f"only {show(found)}" if found else "none of them")
        + f", expected all {len(created)}, oldest first: {show(created)}"
    )


def test_the_first_gunicorn_sees_launches_posted_to_the_second(production_server, second_server):
    created = [second_server.create_launch(unique("soyuz"), status) for status in ("hold", "go")]
    check_listed(production_server, created,
                 f"(to the production deployment, {production_server.command}) after POST /launches created "
                 f"2 events through a second gunicorn on the same DATABASE_URL")


def test_a_second_gunicorn_sees_launches_posted_to_the_first(production_server, second_server):
    created = [production_server.create_launch(unique("ariane"), status) for status in ("go", "scrub", "go")]
    check_listed(second_server, created,
                 f"on a second gunicorn with the same DATABASE_URL, after POST /launches created 3 events "
                 f"through the production deployment ({production_server.command})")


@pytest.mark.hidden
def test_unicode_launches_are_shared(production_server, second_server):
    created = [production_server.create_launch(unique(name), "go") for name in ("Zoë Ωmega", "天问 Tianwen")]
    check_listed(second_server, created, "on a second gunicorn with the same DATABASE_URL")
