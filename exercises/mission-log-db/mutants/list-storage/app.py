"""Mutant of the mission-log-db solution: Defines the models but keeps the data in Python lists: nothing reaches the database file."""
import os

from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy

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


# Quick and simple... but these lists live in memory only.
missions = []  # {"id": ..., "name": ...}
entries = []   # {"id": ..., "mission_id": ..., "text": ...}


def error(status, message):
    return jsonify(error=message), status


def field(name):
    """The request's JSON field `name`, stripped; "" when missing or not a string."""
    data = request.get_json(silent=True)
    value = data.get(name) if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) else ""


def find_mission(mission_id):
    for mission in missions:
        if mission["id"] == mission_id:
            return mission
    abort(404)


@app.errorhandler(404)
def not_found(exc):
    return error(404, "not found")


@app.post("/missions")
def create_mission():
    name = field("name")
    if not name:
        return error(400, "name must be a non-empty string")
    if any(m["name"] == name for m in missions):
        return error(409, f"a mission named {name!r} already exists")
    mission = {"id": len(missions) + 1, "name": name}
    missions.append(mission)
    return jsonify(mission), 201


@app.get("/missions")
def list_missions():
    return jsonify(sorted(missions, key=lambda m: m["name"]))


@app.get("/missions/<int:mission_id>")
def show_mission(mission_id):
    mission = find_mission(mission_id)
    count = sum(1 for e in entries if e["mission_id"] == mission_id)
    return jsonify(mission | {"entry_count": count})


@app.post("/missions/<int:mission_id>/log")
def add_entry(mission_id):
    find_mission(mission_id)
    text = field("text")
    if not text:
        return error(400, "text must be a non-empty string")
    entry = {"id": len(entries) + 1, "mission_id": mission_id, "text": text}
    entries.append(entry)
    return jsonify(entry), 201


@app.get("/missions/<int:mission_id>/log")
def list_entries(mission_id):
    find_mission(mission_id)
    word = request.args.get("contains", "").lower()
    return jsonify([e for e in entries if e["mission_id"] == mission_id and word in e["text"].lower()])
