from flask import Flask

app = Flask(__name__)


@app.route("/")
def home():
    return "<!doctype html><title>Mission Control</title><h1>Mission Control HQ</h1>"


if __name__ == "__main__":
    app.run(debug=True)
