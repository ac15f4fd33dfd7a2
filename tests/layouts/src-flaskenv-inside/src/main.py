from flask import Flask

from controllers import register_controllers


def create_app():
    app = Flask(__name__)
    register_controllers(app)
    return app
