"""Mission Control HQ: the application factory. Mutant of the solution: create_app(test_config) ignores its argument: every app it makes uses the same database."""
import os

from flask import Flask

from .extensions import csrf, db, login_manager


def create_app(test_config=None):
    app = Flask(__name__)
    app.config.from_mapping(
        # The real key comes from the environment; the fallback is for development only.
        SECRET_KEY=os.environ.get("SECRET_KEY", "dev-only-not-secret"),
        # Relative SQLite path: the file is instance/mission_control.db.
        SQLALCHEMY_DATABASE_URI="sqlite:///mission_control.db",
        # JavaScript cannot read the session cookie; other sites' forms do not get it sent.
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    csrf.init_app(app)  # every POST needs a valid csrf_token, forms or not
    login_manager.init_app(app)

    from . import api, auth, missions, models  # models: db.create_all() creates their tables

    app.register_blueprint(auth.bp)
    app.register_blueprint(missions.bp)
    app.register_blueprint(api.bp)

    with app.app_context():
        db.create_all()
    return app
