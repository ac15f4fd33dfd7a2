"""The solution, whose GET /status tries to read the exercise's tests and /etc/passwd.

The test grades a copy of this folder to which it adds, at test time (their targets are
machine-specific), symlinks that leave the submission:

    passwd          -> /etc/passwd
    test_status.py  -> <exercise>/tests/test_status.py
    tests           -> <exercise>/tests            (absolute)
    exercise-tests  -> ../../<exercise>/tests      (relative)

and `where.txt`, holding the absolute path of the exercise's tests folder, as if the student
knew the course's layout. The grader leaves the symlinks out of its copy (with a warning
each), so the route finds nothing; it also looks for the tests through every process's
command line in /proc. If it reads anything, GET /status answers with what it read instead
of "nominal", the status criterion fails and the score is 80 instead of the honest 100.
"""
import os
from pathlib import Path

from flask import Flask, abort, jsonify, render_template_string

HERE = Path(__file__).resolve().parent


def _tests_folders_in_proc():
    found = set()
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return found
    for pid in pids[:5000]:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                args = handle.read(1 << 16).split(b"\0")
        except OSError:
            continue
        for arg in args:
            text = arg.decode(errors="replace")
            if text.startswith("/") and os.path.basename(text.rstrip("/")) == "tests":
                found.add(text)
    return found


def read_what_we_should_not():
    """What the app managed to read of the tests and of /etc/passwd: a list of 'path: excerpt'."""
    candidates = [HERE / "passwd", HERE / "test_status.py", HERE / "tests" / "test_status.py",
                  HERE / "exercise-tests" / "test_status.py"]
    try:
        candidates.append(Path((HERE / "where.txt").read_text().strip()) / "test_status.py")
    except OSError:
        pass
    candidates += [Path(folder) / "test_status.py" for folder in sorted(_tests_folders_in_proc())]
    leaked = []
    for path in candidates:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        if "root:" in text or "def test_" in text:
            leaked.append(f"{path}: {' '.join(text.split())[:60]}")
    return leaked


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
    leaked = read_what_we_should_not()
    if leaked:
        return jsonify(status="leaked", read=leaked)
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
