"""The extensions, created once and bound to each app by create_app() with init_app()."""
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

db = SQLAlchemy()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"  # anonymous visitors of @login_required pages go there
login_manager.login_message = "Please log in to reach Mission Control."
