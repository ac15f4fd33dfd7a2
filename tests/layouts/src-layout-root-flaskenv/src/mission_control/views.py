from flask import Blueprint, abort, jsonify, render_template

bp = Blueprint("views", __name__)


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/status")
def status():
    return jsonify(status="nominal")


@bp.get("/probes/<int:n>")
def probe(n):
    if n < 1:
        abort(404)
    return render_template("probe.html", n=n)


@bp.get("/greet/<name>")
def greet(name):
    return render_template("greet.html", name=name)


@bp.app_errorhandler(404)
def lost(error):
    return render_template("apology.html"), 404
