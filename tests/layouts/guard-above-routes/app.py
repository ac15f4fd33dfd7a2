from flask import Flask, abort, jsonify
from markupsafe import escape

app = Flask(__name__)

if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8000)

HEAD = "<!doctype html><title>Mission Control</title>"


@app.route("/")
def home():
    return HEAD + '<h1>Mission Control HQ</h1><a href="/status">Status</a>'


@app.route("/status")
def status():
    return jsonify(status="nominal")


@app.route("/probes/<int:n>")
def probe(n):
    if n < 1:
        abort(404)
    return HEAD + f"<h2>Probe {n}</h2>"


@app.route("/greet/<name>")
def greet(name):
    return HEAD + f'<p class="greeting">Hello, {escape(name)}!</p>'


@app.errorhandler(404)
def lost(error):
    return HEAD + "<h1>Lost in space</h1>", 404
