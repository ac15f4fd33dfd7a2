"""The starter's app (scores 0), dressed in every pytest and Python start-up file we know of."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def home():
    return "TODO"
