"""Criterion `not-found`: 404 for a mission that does not exist, 200 for one that does."""
import pytest

from helpers import create_mission, request, unique

pytestmark = pytest.mark.criterion("not-found")


def missing_id(client, offset=1_000_000):
    """The id of a mission that does not exist: far beyond one that was just created."""
    mission = create_mission(client, unique("luna"))
    request(client, "GET", f"/missions/{mission['id']}", 200)  # the route exists and finds real missions
    return mission["id"] + offset


def test_show_missing_mission_is_404(client):
    request(client, "GET", f"/missions/{missing_id(client)}", 404)


def test_log_of_missing_mission_is_404(client):
    request(client, "GET", f"/missions/{missing_id(client)}/log", 404)


def test_add_entry_to_missing_mission_is_404(client):
    request(client, "POST", f"/missions/{missing_id(client)}/log", 404, {"text": "Hello?"})


@pytest.mark.hidden
def test_other_missing_missions_are_404(client):
    mission_id = missing_id(client, offset=4_242_424)
    request(client, "GET", f"/missions/{mission_id}", 404)
    request(client, "GET", f"/missions/{mission_id}/log?contains=x", 404)
    request(client, "POST", f"/missions/{mission_id}/log", 404, {"text": "Anyone there?"})
