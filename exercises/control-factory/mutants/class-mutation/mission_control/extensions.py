"""Extensions are created here, unbound: create_app() attaches them to each app with init_app."""
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
