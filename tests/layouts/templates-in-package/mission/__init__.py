from flask import Flask

app = Flask(__name__)

from mission import views  # noqa: E402,F401
