"""Mission Control: the application factory."""
import os

from flask import Flask

from .config import config_by_name
from .extensions import db


def create_app(config_name=None, test_config=None):
    """A new, independent app configured by name ("development" when None), then by test_config."""
    if config_name is None:
        config_name = "development"
    if config_name not in config_by_name:
        raise ValueError(f"unknown config {config_name!r}: use one of {', '.join(config_by_name)}")

    app = Flask(__name__)
    app.config.from_object(config_by_name[config_name])  # copies the values: the class stays as it is
    if test_config is not None:
        app.config.update(test_config)

    # Relative SQLite paths live in the instance folder, which SQLite does not create.
    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)  # after the config is complete: the engine is made from it now
    from . import models  # noqa: F401 - the models must be known before create_all

    with app.app_context():
        db.create_all()

    from .api import api
    from .pages import pages

    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api")
    return app
