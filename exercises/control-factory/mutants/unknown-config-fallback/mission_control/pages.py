"""The HTML pages."""
from flask import Blueprint, render_template
from sqlalchemy import select

from .extensions import db
from .models import Probe

pages = Blueprint("pages", __name__)


@pages.get("/")
def index():
    return render_template("index.html")


@pages.get("/probes")
def probes():
    probes = db.session.scalars(select(Probe).order_by(Probe.id)).all()
    return render_template("probes.html", probes=probes)
