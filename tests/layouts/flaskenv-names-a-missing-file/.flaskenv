FLASK_APP=create_app.py
