"""Mission Control -- starter code for the mission-templates exercise.

Run it locally with:   flask --app app run --debug   then open http://127.0.0.1:5000/missions
Grade it locally with: grader check mission-templates .

Read the exercise README for the exact HTML each page must produce. The HTML itself
belongs in templates/ (base.html, missions.html, mission.html, 404.html), not in this file.
"""
from datetime import date

from flask import Flask, render_template

app = Flask(__name__)

# The missions Mission Control follows. Keep this list exactly as it is: the tests
# expect these names, slugs, statuses and dates, in this order.
MISSIONS = [
    {"slug": "lunar-lantern", "name": "Lunar Lantern", "status": "active", "launch": date(2025, 3, 14)},
    {"slug": "red-dust-rover", "name": "Red Dust Rover", "status": "planned", "launch": date(2027, 11, 2)},
    {"slug": "comet-chaser", "name": "Comet Chaser", "status": "done", "launch": date(2019, 6, 30)},
    {"slug": "bold-move", "name": "<b>Bold</b> Move", "status": "active", "launch": date(2024, 12, 24)},
    {"slug": "io-sounder", "name": "Io Sounder", "status": "planned", "launch": date(2029, 1, 9)},
    {"slug": "night-and-day", "name": "Night & Day <i>Relay</i>", "status": "done", "launch": date(2021, 5, 1)},
    {"slug": "solar-sail-1", "name": "Solar Sail 1", "status": "active", "launch": date(2024, 8, 5)},
]


# TODO (mission-list): register a template filter named "launch_date" that turns a
# datetime.date into text like "14 MAR 2025", then use it in your templates.


# TODO (layout): write templates/base.html with the blocks `title` and `content`,
# and make every page's template extend it.


# TODO (mission-list, status-class, links): finish templates/missions.html: one
# <li> per mission, built with a {% for %} loop over `missions`.
@app.get("/missions")
def mission_list():
    return render_template("missions.html", missions=MISSIONS)


# TODO (detail): GET /missions/<slug> renders mission.html for the mission with that
# slug; a slug that no mission has must give the 404 page.


# TODO (detail, layout): an error handler for 404 that renders 404.html with the
# status 404.
