"""The models: a crew member (table "user") has many missions (table "mission")."""
from flask_login import UserMixin

from .extensions import db, login_manager


class User(UserMixin, db.Model):  # table "user"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(30), unique=True, nullable=False)
    # TODO (passwords): a password_hash column, and methods to set and check a password
    # with werkzeug.security's generate_password_hash and check_password_hash.


class Mission(db.Model):  # table "mission"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(60), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)  # its owner


@login_manager.user_loader
def load_user(user_id):
    return db.session.get(User, int(user_id))
