"""Blueprint `api`: the logged-in crew member's missions as JSON."""
from flask import Blueprint, jsonify

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/missions")
def list_missions():
    # TODO (access): 401 with a JSON error for a visitor who is not logged in.
    # TODO (missions): the crew member's missions, [{"id": ..., "name": ...}, ...].
    return jsonify([])


# TODO (missions): GET /api/missions/<int:mission_id> (404 if it is not one of theirs).
