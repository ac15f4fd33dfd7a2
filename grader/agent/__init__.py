"""The untrusted side: the code that runs *inside* the sandbox, next to the student's app.

Everything in this package is copied flat into every sandbox (as /opt/grader/agent/ in the
images, into the jail's own folder in the process sandbox) and run there by the sandbox's own
Python: `agent.py` imports the student's app (`discovery.py` finds it the way `flask run` does),
answers the grader's framed messages (`protocol.py`) and starts the app under gunicorn when a test
asks (`serving.py`). It never sees the tests and holds no verdict.

So these modules import only the standard library and Flask (and what Flask itself brings:
Werkzeug, Jinja2, ...): never the rest of `grader`, pytest or anything of the trusted side.
tests/test_imports.py enforces that. The trusted side imports from here what both sides must
agree on: the protocol's framing and caps, how a target is parsed.
"""

from pathlib import Path

HERE = Path(__file__).parent
# The files copied into a sandbox, flat, so that agent.py imports its siblings by their bare names.
BUNDLE = tuple(HERE / name for name in ("agent.py", "protocol.py", "serving.py", "discovery.py"))
