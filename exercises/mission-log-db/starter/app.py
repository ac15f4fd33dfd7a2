"""Mission Log -- starter code for the mission-log-db exercise.

Run it locally with:   flask --app app run --debug
Grade it locally with: grader check mission-log-db .

Read the exercise README for the exact requirements of each route.
"""
import os

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
# Flask-SQLAlchemy 3 puts a relative SQLite path in the instance folder:
# the database file is instance/mission_log.db. Keep this URI as it is.
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///mission_log.db"
os.makedirs(app.instance_path, exist_ok=True)  # SQLite cannot create the folder itself

db = SQLAlchemy(app)


# TODO (missions): a Mission has an integer id and a unique, non-empty name.
class Mission(db.Model):  # its table is called "mission"
    id = db.Column(db.Integer, primary_key=True)


# TODO (log-entries): a LogEntry has an integer id, a mission_id that is a
# foreign key to mission.id, and a non-empty text. A mission has many entries.
# class LogEntry(db.Model):  # its table will be called "log_entry"
#     ...


# Create the tables at start-up (this does nothing for tables that already exist).
with app.app_context():
    db.create_all()


# TODO (missions): POST /missions creates a mission (201; 400 on a blank name;
# 409 on a name already taken). GET /missions/<id> shows one, with entry_count.
@app.get("/missions")
def list_missions():
    # TODO (filter-order): list every mission, sorted by name.
    return jsonify([])


# TODO (log-entries): POST /missions/<id>/log adds an entry (201; 400 on blank text).
# TODO (filter-order): GET /missions/<id>/log lists the mission's entries, oldest
# first, filtered by ?contains=WORD (ignoring case) when it is given.
# TODO (not-found): every route with a mission id answers 404 when no mission has it.
