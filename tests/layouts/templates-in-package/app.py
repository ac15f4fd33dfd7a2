from mission import app  # noqa: F401
