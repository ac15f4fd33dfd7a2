from flask import Flask, abort, jsonify, render_template

from config import configs


def make_app(config_name):
    app = Flask(__name__)
    app.config.from_object(configs[config_name])

    @app.get("/")
    def index():
        return render_template("index.html")

    @app.get("/status")
    def status():
        return jsonify(status="nominal", config=config_name)

    @app.get("/probes/<int:n>")
    def probe(n):
        if n < 1:
            abort(404)
        return render_template("probe.html", n=n)

    @app.get("/greet/<name>")
    def greet(name):
        return render_template("greet.html", name=name)

    @app.errorhandler(404)
    def lost(error):
        return render_template("apology.html"), 404

    return app
