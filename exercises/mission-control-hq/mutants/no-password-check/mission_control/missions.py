"""Blueprint `missions`: the dashboard of the logged-in crew member, and adding missions."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .extensions import db
from .forms import MissionForm
from .models import Mission

bp = Blueprint("missions", __name__)


def own_missions():
    query = select(Mission).filter_by(user_id=current_user.id).order_by(Mission.id)
    return db.session.scalars(query).all()


@bp.get("/")
def index():
    return redirect(url_for("missions.dashboard"))


@bp.get("/dashboard")
@login_required
def dashboard():
    return render_template("dashboard.html", form=MissionForm(), missions=own_missions())


@bp.post("/missions")
@login_required
def add_mission():
    form = MissionForm()
    if not form.validate_on_submit():
        return render_template("dashboard.html", form=form, missions=own_missions()), 400
    db.session.add(Mission(name=form.name.data, owner=current_user))
    db.session.commit()
    flash(f"Mission {form.name.data} added")
    return redirect(url_for("missions.dashboard"), code=303)
