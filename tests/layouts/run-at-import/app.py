import flask
from flask import request
from markupsafe import escape

app = flask.Flask(__name__)
app.config["DEBUG"] = True


@app.route("/", methods=["GET"])
def home():
    return """<html><head><title>Mission Control</title></head>
<body><h1>Mission Control HQ</h1><p><a href="/status">Status</a></p></body></html>"""


@app.route("/status", methods=["GET"])
def status():
    return flask.jsonify(status="nominal", checked=request.path)


@app.route("/probes/<int:id>", methods=["GET"])
def probe(id):
    if id < 1:
        flask.abort(404)
    return "<html><head><title>Probe</title></head><body><h2>Probe %d</h2></body></html>" % id


@app.route("/greet/<name>", methods=["GET"])
def greet(name):
    return f'<html><head><title>Hi</title></head><body><p class="greeting">Hello, {escape(name)}!</p></body></html>'


@app.errorhandler(404)
def page_not_found(e):
    return "<html><head><title>404</title></head><body><h1>Lost in space</h1></body></html>", 404


app.run(debug=True)
