from flask import Flask, abort, jsonify, render_template_string

app = Flask(__name__)

BASE = "<!doctype html><title>Mission Control</title>"


@app.route("/")
def home():
    return BASE + '<h1>Mission Control HQ</h1><a href="/status">Status</a>'


@app.route("/status")
def status():
    return jsonify(status="nominal")


@app.route("/probes/<int:n>")
def probe(n):
    if n < 1:
        abort(404)
    return render_template_string(BASE + "<h2>Probe {{ n }}</h2>", n=n)


@app.route("/greet/<name>")
def greet(name):
    return render_template_string(BASE + '<p class="greeting">Hello, {{ name }}!</p>', name=name)


@app.errorhandler(404)
def lost(error):
    return BASE + "<h1>Lost in space</h1>", 404


if __name__ == "__main__":
    app.run(debug=True)
