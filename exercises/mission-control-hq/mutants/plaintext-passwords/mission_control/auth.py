"""Blueprint `auth`: register, log in, log out."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .forms import LoginForm, RegisterForm
from .models import User

bp = Blueprint("auth", __name__)

LOGIN_ERROR = "Unknown username or wrong password."
_dummy_hash = None


def dummy_check(password):
    """Spend the time of a real check, so that an unknown name answers as slowly as a known one."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash("not the password of anyone")
    check_password_hash(_dummy_hash, password)


def local_path(target):
    """`target` if it is a path on this site ("/dashboard"), else None: no open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if not form.validate_on_submit():
        return render_template("register.html", form=form), 400 if request.method == "POST" else 200
    username = form.username.data
    if db.session.scalar(select(User).filter_by(username=username)) is None:
        user = User(username=username)
        user.set_password(form.password.data)
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:  # registered by a concurrent request since the check
            db.session.rollback()
        else:
            flash(f"Welcome aboard, {username}! You can log in now.")
            return redirect(url_for("auth.login"), code=303)
    form.username.errors.append("This username is already taken.")
    return render_template("register.html", form=form), 400


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), 400 if request.method == "POST" else 200
    user = db.session.scalar(select(User).filter_by(username=form.username.data))
    if user is None:
        dummy_check(form.password.data)
    if user is None or not user.check_password(form.password.data):
        # The same answer whether the name or the password is wrong: no hint for guessers.
        return render_template("login.html", form=form, login_error=LOGIN_ERROR), 401
    login_user(user)
    return redirect(local_path(request.args.get("next")) or url_for("missions.dashboard"), code=303)


@bp.post("/logout")  # POST only, protected by CSRFProtect: no other site can log a user out
def logout():
    logout_user()
    flash("You are logged out. See you on the next mission!")
    return redirect(url_for("auth.login"), code=303)
