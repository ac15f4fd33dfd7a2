FLASK_APP=mission:make_app("development")
