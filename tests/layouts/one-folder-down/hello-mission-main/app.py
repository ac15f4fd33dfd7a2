from flask import Flask, abort, jsonify, render_template

app = Flask(__name__)


@app.route("/")
def home():
    return render_template("index.html")


@app.route("/status")
def status():
    return jsonify(status="nominal")


@app.route("/probes/<int:n>")
def probe(n):
    return render_template("probe.html", n=n) if n > 0 else abort(404)


@app.route("/greet/<path:name>")
def greet(name):
    return render_template("greet.html", name=name)


@app.errorhandler(404)
def lost(error):
    return render_template("apology.html"), 404
