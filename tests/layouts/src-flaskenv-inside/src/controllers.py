from flask import abort, jsonify
from markupsafe import escape

PAGE = "<!doctype html><title>Mission Control</title>{}"


def register_controllers(app):
    @app.get("/")
    def home():
        return PAGE.format('<h1>Mission Control HQ</h1><a href="/status">status</a>')

    @app.get("/status")
    def status():
        return jsonify(status="nominal")

    @app.get("/probes/<int:n>")
    def probe(n):
        if n < 1:
            abort(404)
        return PAGE.format(f"<h2>Probe {n}</h2>")

    @app.get("/greet/<name>")
    def greet(name):
        return PAGE.format(f'<p class="greeting">Hello, {escape(name)}!</p>')

    @app.errorhandler(404)
    def lost(error):
        return PAGE.format("<h1>Lost in space</h1>"), 404
