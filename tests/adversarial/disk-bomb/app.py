"""The solution, which writes 1 MiB files into /app, /tmp and /dev/shm until a write fails, at import.

128 MiB per folder at most, a safety net for a machine whose sandbox has no quota. The files stay:
the sandbox's quota must stop them, and its clean-up must give the space back.
"""
import errno
import os
import sys

from flask import Flask, abort, jsonify, render_template_string

CHUNK = b"\x01" * (1 << 20)
for folder in (".", "/tmp", "/dev/shm"):
    written, stopped = 0, "the safety net"
    try:
        for n in range(128):
            with open(os.path.join(folder, f"disk-bomb-{n}"), "wb") as handle:
                handle.write(CHUNK)
            written += 1
    except OSError as exc:
        stopped = errno.errorcode.get(exc.errno, str(exc.errno))
    sys.stderr.write(f"disk-bomb: {folder} {written} MiB, stopped by {stopped}\n")
sys.stderr.flush()

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
