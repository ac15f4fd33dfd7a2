"""The entry point gunicorn serves: `gunicorn wsgi:app`."""
from app import create_app

if __name__ == "__main__":
    app = create_app()
    app.run()
