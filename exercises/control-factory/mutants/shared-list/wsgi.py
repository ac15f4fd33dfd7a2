"""The entry point: `flask run` (and the grader) find the app here."""
from mission_control import create_app

app = create_app()
