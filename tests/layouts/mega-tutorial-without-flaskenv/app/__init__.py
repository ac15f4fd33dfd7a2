from flask import Flask

from config import Config

app = Flask(__name__)
app.config.from_object(Config)

from app import routes, errors  # noqa: E402,F401 - the routes need `app` first
