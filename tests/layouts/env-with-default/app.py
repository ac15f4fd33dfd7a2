import os

from flask import Flask, abort, jsonify, render_template_string

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev")
MISSION = os.environ.get("MISSION_NAME", "Mission Control")
LAYOUT = "<!doctype html><title>{{ mission }}</title>"


def page(body, **values):
    return render_template_string(LAYOUT + body, mission=MISSION, **values)


@app.route("/")
def home():
    return page('<h1>Mission Control HQ</h1><a href="/status">Status</a>')


@app.route("/status")
def status():
    return jsonify(status="nominal", mission=MISSION)


@app.route("/probes/<int:n>")
def probe(n):
    if n < 1:
        abort(404)
    return page("<h2>Probe {{ n }}</h2>", n=n)


@app.route("/greet/<name>")
def greet(name):
    return page('<p class="greeting">Hello, {{ name }}!</p>', name=name)


@app.errorhandler(404)
def lost(error):
    return page("<h1>Lost in space</h1>"), 404
