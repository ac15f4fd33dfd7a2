"""Mutant of the mission-log-db solution: Lists log entries newest first (order_by id descending)."""
import os

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

app = Flask(__name__)
# A relative SQLite path: Flask-SQLAlchemy 3 puts the file in the instance folder,
# which must exist before the first connection.
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///mission_log.db"
os.makedirs(app.instance_path, exist_ok=True)

db = SQLAlchemy(app)


class Mission(db.Model):  # table "mission"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), unique=True, nullable=False)
    entries = db.relationship("LogEntry", back_populates="mission", order_by="LogEntry.id")


class LogEntry(db.Model):  # table "log_entry"
    id = db.Column(db.Integer, primary_key=True)  # grows with every entry: creation order
    mission_id = db.Column(db.Integer, db.ForeignKey("mission.id"), nullable=False)
    text = db.Column(db.Text, nullable=False)
    mission = db.relationship("Mission", back_populates="entries")


with app.app_context():
    db.create_all()


def error(status, message):
    return jsonify(error=message), status


def field(name):
    """The request's JSON field `name`, stripped; "" when missing or not a string."""
    data = request.get_json(silent=True)
    value = data.get(name) if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) else ""


def mission_json(mission):
    return {"id": mission.id, "name": mission.name}


def entry_json(entry):
    return {"id": entry.id, "mission_id": entry.mission_id, "text": entry.text}


@app.errorhandler(404)
def not_found(exc):
    return error(404, "not found")


@app.post("/missions")
def create_mission():
    name = field("name")
    if not name:
        return error(400, "name must be a non-empty string")
    if db.session.scalar(select(Mission).filter_by(name=name)) is not None:
        return error(409, f"a mission named {name!r} already exists")
    mission = Mission(name=name)
    db.session.add(mission)
    try:
        db.session.commit()
    except IntegrityError:  # created by a concurrent request since the check above
        db.session.rollback()
        return error(409, f"a mission named {name!r} already exists")
    return jsonify(mission_json(mission)), 201


@app.get("/missions")
def list_missions():
    missions = db.session.scalars(select(Mission).order_by(Mission.name))
    return jsonify([mission_json(m) for m in missions])


@app.get("/missions/<int:mission_id>")
def show_mission(mission_id):
    mission = db.get_or_404(Mission, mission_id)
    count = db.session.scalar(select(func.count(LogEntry.id)).filter_by(mission_id=mission.id))
    return jsonify(mission_json(mission) | {"entry_count": count})


@app.post("/missions/<int:mission_id>/log")
def add_entry(mission_id):
    mission = db.get_or_404(Mission, mission_id)
    text = field("text")
    if not text:
        return error(400, "text must be a non-empty string")
    entry = LogEntry(mission=mission, text=text)
    db.session.add(entry)
    db.session.commit()
    return jsonify(entry_json(entry)), 201


@app.get("/missions/<int:mission_id>/log")
def list_entries(mission_id):
    mission = db.get_or_404(Mission, mission_id)
    query = select(LogEntry).filter_by(mission_id=mission.id).order_by(LogEntry.id.desc())
    word = request.args.get("contains", "")
    if word:
        # Case-insensitive substring; autoescape makes % and _ in the word literal.
        query = query.where(func.lower(LogEntry.text).contains(word.lower(), autoescape=True))
    return jsonify([entry_json(e) for e in db.session.scalars(query)])
