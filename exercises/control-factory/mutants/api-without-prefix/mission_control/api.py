"""The JSON API; registered under the /api prefix."""
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from .extensions import db
from .models import Probe

api = Blueprint("api", __name__)


@api.errorhandler(404)
def not_found(exc):
    return jsonify(error="not found"), 404


@api.get("/status")
def status():
    return jsonify(station=current_app.config["STATION_NAME"], config=current_app.config["CONFIG_NAME"])


@api.get("/probes")
def list_probes():
    probes = db.session.scalars(select(Probe).order_by(Probe.id))
    return jsonify([p.to_json() for p in probes])


@api.post("/probes")
def create_probe():
    data = request.get_json(silent=True)
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name.strip():
        return jsonify(error="name must be a non-empty string"), 400
    probe = Probe(name=name.strip())
    db.session.add(probe)
    db.session.commit()
    return jsonify(probe.to_json()), 201


@api.get("/probes/<int:probe_id>")
def get_probe(probe_id):
    return jsonify(db.get_or_404(Probe, probe_id).to_json())
