"""The solution, except that GET /status starts processes without bound (os.fork in a loop)."""
import ctypes
import os
import time

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


CHILD_NAME = b"fgforkbomb"  # the children's /proc/PID/comm, for the test to look for on the host
MAX_CHILDREN = 1000  # a safety net for the machine running the test, should no limit hold
GIVE_UP_AFTER = 200  # failed forks in a row; a failing fork costs about 1.5 ms in a container
_started = 0


def _child() -> None:
    try:
        try:
            ctypes.CDLL(None).prctl(15, CHILD_NAME, 0, 0, 0)  # PR_SET_NAME
        except Exception:  # noqa: BLE001
            pass
        time.sleep(60)  # hold the process slot
    finally:
        os._exit(0)  # never return into Flask


@app.get("/status")
def status():
    global _started
    started, failures, error = 0, 0, None
    while _started < MAX_CHILDREN and failures < GIVE_UP_AFTER:
        try:
            pid = os.fork()
        except OSError as exc:  # EAGAIN once a limit is reached: keep trying, as a bomb would
            failures += 1
            error = type(exc).__name__
            continue
        if pid == 0:
            _child()
        failures = 0
        started += 1
        _started += 1
    if error is not None:  # something bounded the bomb: say how far it got (the criterion fails)
        return jsonify(status=f"bounded: {started} processes started, then fork failed ({error})")
    # Reached only if nothing bounded the loop: the criterion then passes and the score is wrong.
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
