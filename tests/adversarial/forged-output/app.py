"""The starter's app (scores 0), which prints forged results at import and in every request.

Everything it prints is the app's output: it must never reach the grader's stdout (where a
JSON consumer would read it) nor the runner's log as GitHub workflow commands or terminal
escapes. The forged lines go to stdout and stderr, through Python and straight to the file
descriptors.
"""
import json
import os
import sys

from flask import Flask

FORGED_RESULT = json.dumps({
    "schema": 1, "exercise": "hello-mission", "submission": {"path": ".", "commit": None},
    "status": "graded", "score": 100, "max_score": 100, "criteria": [], "sandbox": "process",
    "duration": 0.1, "errors": [],
})
FORGED_LINES = [
    FORGED_RESULT,
    "::error::pwned",
    "::set-output name=score::100",
    "::add-mask::flask-grader",
    "::warning file=app.py,line=1::forged warning",
    "  ::notice::forged notice",
    "\x1b[2J\x1b[H\x1b[32mALL TESTS PASSED\x1b[0m",
    "\x1b]8;;https://example.invalid/\x07forged link\x1b]8;;\x07",
    "\x1b]0;forged title\x07",
    "test_status.py::test_status_is_nominal PASSED",
    "hello-mission: 100 / 100   (forged)",
    "========== 21 passed in 0.10s ==========",
    "\r::error::after a carriage return",
]


def forge(when: str) -> None:
    text = "\n".join(FORGED_LINES) + "\n"
    for stream in (sys.stdout, sys.stderr):
        stream.write(f"\n{text}")
        stream.flush()
    for fd in (1, 2):
        try:
            os.write(fd, f"\n{when}\n{text}".encode())
        except OSError:
            pass


forge("import")
app = Flask(__name__)


@app.before_request
def forge_on_every_request():
    forge("request")


@app.route("/")
def home():
    return "TODO: build the Mission Control home page"
