from flask import Flask, abort, jsonify, render_template_string

server = Flask(__name__)

BASE = "<!doctype html><title>Mission Control</title>"


@server.route("/")
def home():
    return BASE + '<h1>Mission Control HQ</h1><a href="/status">Status</a>'


@server.route("/status")
def status():
    return jsonify(status="nominal")


@server.route("/probes/<int:n>")
def probe(n):
    if n < 1:
        abort(404)
    return render_template_string(BASE + "<h2>Probe {{ n }}</h2>", n=n)


@server.route("/greet/<name>")
def greet(name):
    return render_template_string(BASE + '<p class="greeting">Hello, {{ name }}!</p>', name=name)


@server.errorhandler(404)
def lost(error):
    return BASE + "<h1>Lost in space</h1>", 404
