"""Launch Sequence -- starter code: Mission Control's launch-status service, as the prototype left it.

It works on your laptop:   flask --app app run --debug
It is not ready for a server yet. Read the exercise README, then, criterion by criterion:
  gunicorn      add wsgi.py, so that `gunicorn wsgi:app` serves the app
  config        SECRET_KEY and DATABASE_URL from the environment (development defaults only)
  production    APP_ENV=production: refuse to start without SECRET_KEY; DEBUG and TESTING off
  persistence   keep the launch events in the database, not in a Python list
  healthz       GET /healthz asks the database; the app starts even when the database is down
  requirements  pin every package in requirements.txt with ==
Grade it locally with:     grader check launch-sequence .
"""
import os

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
# TODO (config, production): a key in the code is the same key in every deployment, and anyone
# who reads the repository has it. Both settings belong in the environment.
app.config["SECRET_KEY"] = "dev"
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///launch.db"  # the file instance/launch.db
os.makedirs(app.instance_path, exist_ok=True)  # SQLite creates the file, not the folder

db = SQLAlchemy(app)


# TODO (persistence): a LaunchEvent model: an integer id, a mission and a status (both text).
# class LaunchEvent(db.Model):  # its table will be called "launch_event"
#     ...


# TODO (healthz): this fails when the database cannot be opened, and then the app does not start.
with app.app_context():
    db.create_all()

# TODO (persistence): the prototype keeps the launch events in this list. That works with
# `flask run` (one process); under gunicorn every worker process has a list of its own.
launches = []


@app.post("/launches")
def create_launch():
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    fields = {name: data.get(name) for name in ("mission", "status")}
    bad = [name for name, value in fields.items() if not isinstance(value, str) or not value.strip()]
    if bad:
        return jsonify(error=f"{' and '.join(bad)} must be non-empty strings"), 400
    event = {"id": len(launches) + 1, "mission": fields["mission"].strip(), "status": fields["status"].strip()}
    launches.append(event)
    return jsonify(event), 201


@app.get("/launches")
def list_launches():
    return jsonify(launches)  # oldest first


# TODO (healthz): GET /healthz -> 200 {"status": "ok"}, or 503 {"status": "unavailable"}.


if __name__ == "__main__":
    app.run(debug=True)  # the development server: never what production runs
