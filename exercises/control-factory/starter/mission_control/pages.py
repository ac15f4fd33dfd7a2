"""The HTML pages: the "pages" blueprint, registered without a prefix."""
from flask import Blueprint, render_template

pages = Blueprint("pages", __name__)


@pages.get("/")
def index():
    return render_template("index.html")


# TODO (pages): GET /probes renders probes.html with every probe, in id order.
