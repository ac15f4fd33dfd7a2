"""Mission Control -- starter code for the hello-mission exercise.

Run it locally with:   flask --app app run --debug
Grade it locally with: grader check hello-mission .

Read the exercise README for the exact requirements of each page.
"""
from flask import Flask

app = Flask(__name__)


# TODO (home): GET / must return an HTML page whose <title> contains
# "Mission Control", with exactly one <h1> reading "Mission Control HQ"
# and a link to "/status". POST / must be refused with 405.
@app.route("/")
def home():
    return "TODO: build the Mission Control home page"


# TODO (status): GET /status must return JSON like {"status": "nominal"}.


# TODO (probe): GET /probes/<n> for a positive integer n must return an HTML
# page with an <h2> reading "Probe <n>". /probes/abc must be a 404.


# TODO (greet): GET /greet/<name> must return an HTML page with
# <p class="greeting">Hello, <name>!</p>. Never trust user input:
# the name must be escaped, not interpreted as HTML.


# TODO (not-found): any unknown URL must return status 404 and an HTML page
# whose <h1> reads "Lost in space".
