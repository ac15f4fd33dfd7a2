# Read by `gunicorn wsgi:app` from the folder it starts in; command-line options win.
bind = "0.0.0.0:8000"
workers = 2
accesslog = "-"  # one line per request on standard output
