"""The models: a crew member (table "user") has many missions (table "mission")."""
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db, login_manager


class User(UserMixin, db.Model):  # table "user"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(30), unique=True, nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    missions = db.relationship("Mission", back_populates="owner", order_by="Mission.id")

    def set_password(self, password):
        # A salted, slow hash (scrypt): never the password itself.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)


class Mission(db.Model):  # table "mission"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(60), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False)
    owner = db.relationship("User", back_populates="missions")


@login_manager.user_loader
def load_user(user_id):
    return db.session.get(User, int(user_id))
