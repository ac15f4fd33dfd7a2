from flask import Flask, abort, jsonify, render_template_string

app = Flask(__name__)

PAGE = """<!doctype html>
<title>{{ title }} | Mission Control</title>
{% block body %}{% endblock %}"""


def show(title, body, **values):
    return render_template_string(PAGE.replace("{% block body %}{% endblock %}", body), title=title, **values)


@app.route("/")
def index():
    return show("Home", '<h1>Mission Control HQ</h1><a href="/status">status</a>')


@app.route("/status")
def status():
    return jsonify({"status": "nominal"})


@app.route("/probes/<int:number>")
def probe(number):
    if number == 0:
        abort(404)
    return show("Probe", "<h2>Probe {{ number }}</h2>", number=number)


@app.route("/greet/<name>")
def greet(name):
    return show("Hello", '<p class="greeting">Hello, {{ name }}!</p>', name=name)


@app.errorhandler(404)
def lost(error):
    return show("Lost", "<h1>Lost in space</h1>"), 404


if __name__ == "__main__":
    app.run(debug=True)
