"""Mission Control: the application factory."""
import os

from flask import Flask, current_app, jsonify, render_template, request
from sqlalchemy import select

from .config import config_by_name
from .extensions import db


def create_app(config_name=None, test_config=None):
    """A new, independent app configured by name ("development" when None), then by test_config."""
    if config_name is None:
        config_name = "development"
    if config_name not in config_by_name:
        raise ValueError(f"unknown config {config_name!r}: use one of {', '.join(config_by_name)}")

    app = Flask(__name__)
    app.config.from_object(config_by_name[config_name])
    if test_config is not None:
        app.config.update(test_config)

    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)
    from .models import Probe

    with app.app_context():
        db.create_all()

    @app.get("/")
    def index():
        return render_template("index.html")

    @app.get("/probes")
    def probes():
        probes = db.session.scalars(select(Probe).order_by(Probe.id)).all()
        return render_template("probes.html", probes=probes)

    @app.get("/api/status")
    def status():
        return jsonify(station=current_app.config["STATION_NAME"], config=current_app.config["CONFIG_NAME"])

    @app.get("/api/probes")
    def list_probes():
        return jsonify([p.to_json() for p in db.session.scalars(select(Probe).order_by(Probe.id))])

    @app.post("/api/probes")
    def create_probe():
        data = request.get_json(silent=True)
        name = data.get("name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name.strip():
            return jsonify(error="name must be a non-empty string"), 400
        probe = Probe(name=name.strip())
        db.session.add(probe)
        db.session.commit()
        return jsonify(probe.to_json()), 201

    @app.get("/api/probes/<int:probe_id>")
    def get_probe(probe_id):
        return jsonify(db.get_or_404(Probe, probe_id).to_json())

    return app
