"""Mutant of the launch-forms solution: Keeps the mission and crew after an error, but not the chosen vehicle (no selected option)."""
import re

from flask import Flask, flash, redirect, render_template, request, url_for

app = Flask(__name__)
# flash() keeps its messages in the session cookie, which Flask signs with the
# secret key. Any string will do for this exercise (the grader uses its own);
# a real deployment reads it from the environment instead.
app.secret_key = "dev-only-not-secret"

VEHICLES = ["falcon", "soyuz", "starliner"]
MISSION_MIN, MISSION_MAX = 3, 40
CREW_MIN, CREW_MAX = 1, 7

# Scheduled launches, kept in memory: shared by every visitor, lost on restart.
launches = []


def validate(form):
    """Check the submitted form; return (launch, errors).

    `launch` holds the cleaned values; `errors` maps each invalid field's name
    to a message for the user (it is empty when everything is valid).
    """
    errors = {}

    mission = form.get("mission", "").strip()
    if not mission:
        errors["mission"] = "Please give the mission a name."
    elif not MISSION_MIN <= len(mission) <= MISSION_MAX:
        errors["mission"] = (
            f"The mission name must be {MISSION_MIN} to {MISSION_MAX} characters long "
            f"(it has {len(mission)})."
        )

    crew_text = form.get("crew", "").strip()
    crew = int(crew_text) if re.fullmatch(r"[0-9]+", crew_text) else None
    if not crew_text:
        errors["crew"] = "Please enter the size of the crew."
    elif crew is None or not CREW_MIN <= crew <= CREW_MAX:
        errors["crew"] = f"The crew must be a whole number from {CREW_MIN} to {CREW_MAX}."

    vehicle = form.get("vehicle", "")
    if vehicle not in VEHICLES:
        errors["vehicle"] = "Please choose one of the listed vehicles."

    return {"mission": mission, "crew": crew, "vehicle": vehicle}, errors


@app.get("/launch")
def launch_form():
    return render_template("launch.html", form={}, errors={}, vehicles=VEHICLES)


@app.post("/launch")
def schedule_launch():
    launch, errors = validate(request.form)
    if errors:
        # Show the form again with the user's input (the template escapes it)
        # and a message next to each invalid field: 400 Bad Request.
        return render_template(
            "launch.html", form=request.form, errors=errors, vehicles=VEHICLES
        ), 400
    launches.append(launch)
    flash(f"Launch of {launch['mission']} scheduled")
    # POST-redirect-GET: reloading the next page must not submit the form again.
    # 303 See Other tells the browser to follow with a GET.
    return redirect(url_for("list_launches"), code=303)


@app.get("/launches")
def list_launches():
    return render_template("launches.html", launches=launches)
