"""Mission Control -- starter code for the launch-forms exercise.

Run it locally with:   flask --app app run --debug
Grade it locally with: grader check launch-forms .

Read the exercise README for the exact requirements of each page.
"""
# flash, redirect, request and url_for are for the TODOs below.
from flask import Flask, flash, redirect, render_template, request, url_for

app = Flask(__name__)
# flash() stores its messages in the session, and the session needs a secret
# key. Any string will do here; the grader sets its own when it tests your app.
app.secret_key = "dev-only-not-secret"

VEHICLES = ["falcon", "soyuz", "starliner"]

# Scheduled launches, kept in memory for as long as the app runs.
launches = []


@app.get("/launch")
def launch_form():
    # TODO (form): finish the form in templates/launch.html.
    return render_template("launch.html", vehicles=VEHICLES)


@app.post("/launch")
def schedule_launch():
    # TODO (validation): check mission, crew and vehicle from request.form.
    #   If anything is wrong, show the form again with status 400, an error
    #   message for each invalid field (keep-input: and what the user typed).
    # TODO (redirect, flash): otherwise store the launch in `launches`,
    #   flash "Launch of <mission> scheduled" and redirect to /launches.
    return "TODO: validate the launch, then flash a message and redirect", 501


@app.get("/launches")
def list_launches():
    # TODO (redirect): list every scheduled launch (see templates/launches.html).
    return render_template("launches.html", launches=launches)
