from flask import Flask


def create_app(config_class="mission_control.config.Config"):
    app = Flask(__name__)
    app.config.from_object(config_class)

    from mission_control.main.routes import main
    from mission_control.errors.handlers import errors

    app.register_blueprint(main)
    app.register_blueprint(errors)
    return app
