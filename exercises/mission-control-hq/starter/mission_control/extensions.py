"""The extensions, created once and bound to each app by create_app() with init_app()."""
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
login_manager = LoginManager()
login_manager.login_view = "auth.login"  # where @login_required sends anonymous visitors

# TODO (csrf): Flask-WTF's CSRFProtect checks the csrf_token of every POST request:
# from flask_wtf.csrf import CSRFProtect
# csrf = CSRFProtect()
