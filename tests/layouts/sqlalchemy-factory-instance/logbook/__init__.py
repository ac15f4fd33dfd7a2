import os

from flask import Flask

from logbook.extensions import db


def create_app():
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(SQLALCHEMY_DATABASE_URI="sqlite:///mission_log.db")
    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)

    from logbook import models  # noqa: F401 - the tables must be known to create_all
    from logbook.api import api

    app.register_blueprint(api)
    with app.app_context():
        db.create_all()
    return app
