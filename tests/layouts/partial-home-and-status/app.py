from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "<html><head><title>Mission Control</title></head><body><h1>Mission Control HQ</h1><a href='/status'>status</a></body></html>"


@app.route("/status")
def status():
    return {"status": "nominal"}


# TODO probes, greetings, 404 page
