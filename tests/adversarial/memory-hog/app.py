"""The solution, except that GET /status allocates memory until something stops it."""
from flask import Flask, abort, jsonify, render_template_string

app = Flask(__name__)

# Every page shares this layout. Only trusted, hard-coded snippets are glued in
# between HEAD and FOOT; anything that comes from the request is passed to
# Jinja as a variable, so autoescaping protects it.
HEAD = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{{ title }}</title>
</head>
<body>
"""
FOOT = """
</body>
</html>
"""


def page(title, content, **context):
    """Render the `content` snippet inside the shared layout."""
    return render_template_string(HEAD + content + FOOT, title=title, **context)


@app.get("/")
def home():
    return page(
        "Mission Control",
        '<h1>Mission Control HQ</h1>\n<p><a href="/status">System status</a></p>',
    )


@app.get("/status")
def status():
    # The attack: grab memory in 10 MiB blocks, each written to (so it is really resident).
    # 300 blocks (3 GiB, six times the rubric's 512 MiB) is a safety net for the machine
    # running the test: if no limit stops the loop, the route answers correctly and the
    # criterion passes, which the test sees as a wrong score instead of a crashed host.
    hoard = []
    for _ in range(300):
        hoard.append(b"\x01" * (10 * 1024 * 1024))
    return jsonify(status="nominal", mission="hello-mission")


@app.get("/probes/<int:n>")
def probe(n):
    if n < 1:  # probes are numbered from 1
        abort(404)
    return page(f"Probe {n} - Mission Control", "<h2>Probe {{ n }}</h2>", n=n)


@app.get("/greet/<name>")
def greet(name):
    return page(
        "Greetings - Mission Control",
        '<p class="greeting">Hello, {{ name }}!</p>',
        name=name,
    )


@app.errorhandler(404)
def not_found(error):
    return page("Lost in space - Mission Control", "<h1>Lost in space</h1>"), 404
