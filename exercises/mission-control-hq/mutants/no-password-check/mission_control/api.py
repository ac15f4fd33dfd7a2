"""Blueprint `api`: the logged-in crew member's missions as JSON."""
from flask import Blueprint, jsonify
from flask_login import current_user
from sqlalchemy import select

from .extensions import db
from .models import Mission

bp = Blueprint("api", __name__, url_prefix="/api")


def mission_json(mission):
    return {"id": mission.id, "name": mission.name}


@bp.before_request
def require_login():
    # An API answers 401 with JSON; a redirect to an HTML login page means nothing to a script.
    if not current_user.is_authenticated:
        return jsonify(error="log in first"), 401


@bp.errorhandler(404)
def not_found(exc):
    return jsonify(error="no such mission"), 404


@bp.get("/missions")
def list_missions():
    return jsonify([mission_json(m) for m in current_user.missions])


@bp.get("/missions/<int:mission_id>")
def show_mission(mission_id):
    # Look the mission up among the user's own: another crew member's mission is "not found".
    mission = db.session.scalar(select(Mission).filter_by(id=mission_id, user_id=current_user.id))
    if mission is None:
        return not_found(None)
    return jsonify(mission_json(mission))
