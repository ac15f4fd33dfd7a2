from flask import Flask, abort, jsonify, render_template

mission = Flask(__name__)


@mission.get("/")
def index():
    return render_template("index.html")


@mission.get("/status")
def status():
    return jsonify(status="nominal")


@mission.get("/probes/<int:n>")
def probe(n):
    if not n:
        abort(404)
    return render_template("probe.html", n=n)


@mission.get("/greet/<name>")
def greet(name):
    return render_template("greet.html", name=name)


@mission.errorhandler(404)
def missing(error):
    return render_template("apology.html"), 404
