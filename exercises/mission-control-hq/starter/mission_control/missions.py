"""Blueprint `missions`: the dashboard of the logged-in crew member, and adding missions."""
from flask import Blueprint, render_template

bp = Blueprint("missions", __name__)


@bp.get("/dashboard")
def dashboard():
    # TODO (access): only for logged-in crew members (flask_login.login_required).
    # TODO (missions): list the crew member's own missions, oldest first, and the mission form.
    return render_template("dashboard.html", missions=[])


# TODO (missions): POST /missions adds a mission for the logged-in crew member.
