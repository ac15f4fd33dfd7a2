from flask import Blueprint, abort, jsonify, render_template

main = Blueprint("main", __name__)


@main.route("/")
def home():
    return render_template("home.html")


@main.route("/status")
def status():
    return jsonify(status="nominal")


@main.route("/probes/<int:n>")
def probe(n):
    if n < 1:
        abort(404)
    return render_template("probe.html", n=n)


@main.route("/greet/<name>")
def greet(name):
    return render_template("greet.html", name=name)
