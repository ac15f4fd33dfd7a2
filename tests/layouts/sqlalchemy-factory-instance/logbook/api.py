from flask import Blueprint, jsonify, request

from logbook.extensions import db
from logbook.models import LogEntry, Mission

api = Blueprint("api", __name__)


def text_field(key):
    body = request.get_json(silent=True) or {}
    value = body.get(key) if isinstance(body, dict) else None
    return value.strip() if isinstance(value, str) else None


@api.app_errorhandler(404)
def not_found(error):
    return jsonify(error="not found"), 404


@api.route("/missions", methods=["POST"])
def new_mission():
    name = text_field("name")
    if not name:
        return jsonify(error="a name is required"), 400
    if Mission.query.filter_by(name=name).first():
        return jsonify(error="that name is taken"), 409
    mission = Mission(name=name)
    db.session.add(mission)
    db.session.commit()
    return jsonify(mission.as_dict()), 201


@api.route("/missions")
def missions():
    return jsonify([m.as_dict() for m in Mission.query.order_by(Mission.name).all()])


@api.route("/missions/<int:mission_id>")
def mission(mission_id):
    found = db.get_or_404(Mission, mission_id)
    return jsonify({**found.as_dict(), "entry_count": found.entries.count()})


@api.route("/missions/<int:mission_id>/log", methods=["POST"])
def new_entry(mission_id):
    found = db.get_or_404(Mission, mission_id)
    text = text_field("text")
    if not text:
        return jsonify(error="a text is required"), 400
    entry = LogEntry(mission_id=found.id, text=text)
    db.session.add(entry)
    db.session.commit()
    return jsonify(entry.as_dict()), 201


@api.route("/missions/<int:mission_id>/log")
def entries(mission_id):
    found = db.get_or_404(Mission, mission_id)
    query = found.entries.order_by(LogEntry.id)
    word = request.args.get("contains")
    if word:
        query = query.filter(LogEntry.text.icontains(word, autoescape=True))
    return jsonify([e.as_dict() for e in query])
