"""Mission Control HQ -- starter code for the mission-control-hq exercise.

Run it locally with:   flask --app app run --debug
Grade it locally with: grader check mission-control-hq .

Read the exercise README for the exact requirements of each page.
"""
import os

from flask import Flask

from .extensions import db, login_manager


def create_app(test_config=None):
    app = Flask(__name__)
    app.config.from_mapping(
        # Never commit a real key: read it from the environment (the fallback is for development).
        SECRET_KEY=os.environ.get("SECRET_KEY", "dev-only-not-secret"),
        # Keep this URI as it is: the database file is instance/mission_control.db.
        SQLALCHEMY_DATABASE_URI="sqlite:///mission_control.db",
        # TODO (login): the session cookie's attributes (HttpOnly, SameSite=Lax).
    )
    if test_config is not None:  # the grader passes its own config here
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)  # SQLite cannot create the folder itself

    db.init_app(app)
    login_manager.init_app(app)
    # TODO (csrf): protect every POST of the app against CSRF (see extensions.py).

    from . import api, auth, missions, models  # models: db.create_all() creates their tables

    app.register_blueprint(auth.bp)
    app.register_blueprint(missions.bp)
    app.register_blueprint(api.bp)

    with app.app_context():
        db.create_all()  # creates the tables that do not exist yet
    return app
