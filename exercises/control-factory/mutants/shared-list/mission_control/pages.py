"""The HTML pages."""
from flask import Blueprint, render_template

from .api import PROBES

pages = Blueprint("pages", __name__)


@pages.get("/")
def index():
    return render_template("index.html")


@pages.get("/probes")
def probes():
    return render_template("probes.html", probes=PROBES)
