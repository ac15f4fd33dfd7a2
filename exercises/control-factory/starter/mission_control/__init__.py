"""Mission Control -- starter code for the control-factory exercise.

Run it locally with:   flask --app wsgi run --debug
Grade it locally with: grader check control-factory .

Read the exercise README for the exact requirements.
"""
from flask import Flask

from .config import config_by_name  # noqa: F401 - you will need it
from .extensions import db  # noqa: F401 - you will need it


def create_app(config_name=None, test_config=None):
    """Make and return a NEW app, configured by `config_name`, then by `test_config`."""
    app = Flask(__name__)

    # TODO (config): pick the configuration class by name from config_by_name
    # ("development" when config_name is None; an unknown name raises an error),
    # load it into app.config, then apply test_config (a dict) on top of it.

    # TODO (extensions): create the instance folder, attach db to this app, and
    # create the tables (inside an app context).

    # TODO (blueprints): register the api blueprint too, under the /api prefix.
    from .pages import pages

    app.register_blueprint(pages)
    return app
