"""The JSON API: the "api" blueprint, registered under the /api prefix."""
from flask import Blueprint, current_app, jsonify

api = Blueprint("api", __name__)


@api.get("/status")  # with the prefix, its URL is /api/status
def status():
    # current_app is the app handling this request: each app shows its own config.
    return jsonify(station=current_app.config["STATION_NAME"], config=current_app.config["CONFIG_NAME"])


# TODO (api): GET /probes, POST /probes and GET /probes/<int:probe_id>, stored with db (see models.py).
