from app import app  # noqa: F401 - what `flask run` serves
