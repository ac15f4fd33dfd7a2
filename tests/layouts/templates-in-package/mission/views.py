from flask import abort, jsonify, render_template

from mission import app


@app.route("/")
def index():
    return render_template("index.html")


@app.route("/status")
def status():
    return jsonify(status="nominal")


@app.route("/probes/<int:n>")
def probe(n):
    if n < 1:
        abort(404)
    return render_template("probe.html", n=n)


@app.route("/greet/<name>")
def greet(name):
    return render_template("greet.html", name=name)


@app.errorhandler(404)
def lost(error):
    return render_template("apology.html"), 404
