"""Launch Sequence: Mission Control's launch-status service, ready for production.

Configuration comes from the environment (read when create_app() runs):

    APP_ENV       "production" or "development" (the default)
    SECRET_KEY    required in production; a development key is used otherwise
    DATABASE_URL  an SQLAlchemy URL; default sqlite:///launch.db (instance/launch.db)

Serve it with:  gunicorn wsgi:app      Develop with:  flask --app app run --debug
"""
import os

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

db = SQLAlchemy()

DEFAULT_DATABASE_URL = "sqlite:///launch.db"  # Flask-SQLAlchemy puts it in the instance folder
DEVELOPMENT_SECRET_KEY = "development-only-not-secret"


class LaunchEvent(db.Model):  # table "launch_event"
    id = db.Column(db.Integer, primary_key=True)
    mission = db.Column(db.String(200), nullable=False)
    status = db.Column(db.String(200), nullable=False)

    def to_json(self):
        return {"id": self.id, "mission": self.mission, "status": self.status}


def load_config(app):
    """Every setting from the environment; refuse to run production without a real key."""
    production = os.environ.get("APP_ENV", "development") == "production"
    secret_key = os.environ.get("SECRET_KEY", "")
    if production and not secret_key:
        raise RuntimeError(
            "SECRET_KEY must be set when APP_ENV=production: "
            "generate one with `python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    app.config.update(
        SECRET_KEY=secret_key or DEVELOPMENT_SECRET_KEY,
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
    )
    if production:
        # Whatever else the environment says (FLASK_DEBUG=1 included): never debug in production.
        app.config.update(DEBUG=False, TESTING=False)


def create_app(test_config=None):
    app = Flask(__name__)
    load_config(app)
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)  # for the default SQLite file
    db.init_app(app)  # after the configuration: the engine uses the URL set above

    with app.app_context():
        try:
            db.create_all()
        except SQLAlchemyError as exc:
            # A database that is down is an outage, not a configuration mistake: start anyway,
            # and let /healthz tell the operator.
            app.logger.error("the database is unavailable at start-up: %s", exc)

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            app.logger.error("health check failed: %s", exc)
            return jsonify(status="unavailable"), 503
        return jsonify(status="ok")

    @app.post("/launches")
    def create_launch():
        data = request.get_json(silent=True)
        data = data if isinstance(data, dict) else {}
        fields = {name: data.get(name) for name in ("mission", "status")}
        bad = [name for name, value in fields.items() if not isinstance(value, str) or not value.strip()]
        if bad:
            return jsonify(error=f"{' and '.join(bad)} must be non-empty strings"), 400
        event = LaunchEvent(mission=fields["mission"].strip(), status=fields["status"].strip())
        db.session.add(event)
        db.session.commit()
        return jsonify(event.to_json()), 201

    @app.get("/launches")
    def list_launches():
        events = db.session.scalars(select(LaunchEvent).order_by(LaunchEvent.id))
        return jsonify([event.to_json() for event in events])

    return app
