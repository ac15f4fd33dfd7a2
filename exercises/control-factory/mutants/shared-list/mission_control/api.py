"""The JSON API; registered under the /api prefix."""
from flask import Blueprint, current_app, jsonify, request

api = Blueprint("api", __name__)

PROBES = []  # every probe created so far, as {"id": ..., "name": ...}


@api.errorhandler(404)
def not_found(exc):
    return jsonify(error="not found"), 404


@api.get("/status")
def status():
    return jsonify(station=current_app.config["STATION_NAME"], config=current_app.config["CONFIG_NAME"])


@api.get("/probes")
def list_probes():
    return jsonify(PROBES)


@api.post("/probes")
def create_probe():
    data = request.get_json(silent=True)
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name.strip():
        return jsonify(error="name must be a non-empty string"), 400
    probe = {"id": len(PROBES) + 1, "name": name.strip()}
    PROBES.append(probe)
    return jsonify(probe), 201


@api.get("/probes/<int:probe_id>")
def get_probe(probe_id):
    for probe in PROBES:
        if probe["id"] == probe_id:
            return jsonify(probe)
    return jsonify(error="not found"), 404
