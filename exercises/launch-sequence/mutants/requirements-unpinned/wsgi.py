"""The entry point gunicorn serves: `gunicorn wsgi:app`."""
from app import create_app

app = create_app()

if __name__ == "__main__":  # `python wsgi.py`: the development server, never in production
    app.run()
