"""Blueprint `auth`: register, log in, log out."""
from flask import Blueprint, render_template

from .forms import RegisterForm

bp = Blueprint("auth", __name__)


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    # TODO (register): on a valid POST, store the crew member (with a hashed password),
    # flash a welcome and redirect to /login; otherwise show the form again with 400.
    return render_template("register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    # TODO (login): check the username and the password; log the crew member in
    # (flask_login.login_user) and redirect to /dashboard; otherwise 401 with one generic error.
    return render_template("login.html")


@bp.post("/logout")
def logout():
    # TODO (login): forget the logged-in crew member and redirect to /login.
    return "Not yet", 501
