from flask import abort, jsonify, render_template

from app import app


@app.route("/")
@app.route("/index")
def index():
    return render_template("index.html", title="Home")


@app.route("/status")
def status():
    return jsonify({"status": "nominal"})


@app.route("/probes/<int:n>")
def probe(n):
    if n < 1:
        abort(404)
    return render_template("probe.html", title=f"Probe {n}", n=n)


@app.route("/greet/<name>")
def greet(name):
    return render_template("greet.html", title="Greetings", name=name)
