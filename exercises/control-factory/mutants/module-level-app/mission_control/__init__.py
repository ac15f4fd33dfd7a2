"""Mission Control: the application factory."""
import os

from flask import Flask

from .config import DevelopmentConfig, config_by_name
from .extensions import db

app = Flask(__name__)
app.config.from_object(DevelopmentConfig)
os.makedirs(app.instance_path, exist_ok=True)
db.init_app(app)

from . import models  # noqa: E402,F401 - the models must be known before create_all
from .api import api  # noqa: E402
from .pages import pages  # noqa: E402

with app.app_context():
    db.create_all()
app.register_blueprint(pages)
app.register_blueprint(api, url_prefix="/api")


def create_app(config_name=None, test_config=None):
    """The app, configured by name ("development" when None), then by test_config."""
    if config_name is None:
        config_name = "development"
    if config_name not in config_by_name:
        raise ValueError(f"unknown config {config_name!r}: use one of {', '.join(config_by_name)}")
    app.config.from_object(config_by_name[config_name])
    if test_config is not None:
        app.config.update(test_config)
    return app
