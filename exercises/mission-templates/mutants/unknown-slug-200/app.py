"""Mutant of the mission-templates solution (mission_detail() below):
Unknown slugs render 404.html without the 404 status, so they answer 200.
"""
from datetime import date

from flask import Flask, render_template

app = Flask(__name__)

# The missions Mission Control follows. Copied exactly from the README: the tests
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


@app.template_filter("launch_date")
def launch_date(day: date) -> str:
    """14 MAR 2025: two-digit day, English month abbreviation in capitals, four-digit year."""
    return day.strftime("%d %b %Y").upper()


@app.get("/missions")
def mission_list():
    return render_template("missions.html", missions=MISSIONS)


@app.get("/missions/<slug>")
def mission_detail(slug):
    mission = next((m for m in MISSIONS if m["slug"] == slug), None)
    if mission is None:
        return render_template("404.html")
    return render_template("mission.html", mission=mission)


@app.errorhandler(404)
def not_found(error):
    return render_template("404.html"), 404
