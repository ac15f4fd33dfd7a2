import os

from flask import Flask, jsonify, render_template

from helpers import apology

# Configure application
app = Flask(__name__)

# Ensure templates are auto-reloaded
app.config["TEMPLATES_AUTO_RELOAD"] = True


@app.after_request
def after_request(response):
    """Ensure responses aren't cached"""
    response.headers["Cache-Control"] = "no-cache, no-store, must-revalidate"
    return response


@app.route("/")
def index():
    return render_template("index.html")


@app.route("/status")
def status():
    return jsonify(status="nominal")


@app.route("/probes/<int:n>")
def probe(n):
    if n <= 0:
        return apology()
    return render_template("probe.html", n=n)


@app.route("/greet/<name>")
def greet(name):
    return render_template("greet.html", name=name)


@app.errorhandler(404)
def errorhandler(e):
    return apology()
