"""Mutant of the telemetry-api solution: The list reads offset but always slices from the first probe."""
import math
import re

from flask import Flask, abort, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

app = Flask(__name__)

NAME_MAX = 50
LIMIT_DEFAULT, LIMIT_MAX = 10, 100

# In-memory storage: id -> probe. Dicts keep insertion order, so the values are
# always sorted by id. `last_id` only ever grows: ids are never reused.
probes: dict[int, dict] = {}
last_id = 0


@app.errorhandler(HTTPException)
def http_error(exc):
    """Every error Flask raises (404, 405, 415, 400, ...) as {"error": "..."}.

    exc.get_response() keeps the headers Flask adds, such as Allow on a 405.
    """
    response = exc.get_response()
    response.set_data(jsonify(error=exc.description).get_data())
    response.content_type = "application/json"
    return response


def json_object():
    """The request body as a dict; 415 if it is not sent as JSON, 400 if it is no JSON object."""
    if not request.is_json:
        abort(415, "Send the body as JSON, with the header Content-Type: application/json.")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, 'The body must be a JSON object such as {"name": "Voyager 1", "altitude_km": 408.5}.')
    return data


def check_fields(data, partial=False):
    """Validate the probe fields in `data`: (clean values, errors by field).

    With partial=True (PATCH) missing fields are fine; fields that are present
    are checked exactly as for POST. Other keys (including "id") are ignored.
    """
    clean, errors = {}, {}
    if "name" in data:
        name = data["name"]
        if not isinstance(name, str):
            errors["name"] = "must be a string"
        elif not 1 <= len(name) <= NAME_MAX:
            errors["name"] = f"must be 1 to {NAME_MAX} characters long"
        else:
            clean["name"] = name
    elif not partial:
        errors["name"] = "is required"

    if "altitude_km" in data:
        altitude = data["altitude_km"]
        # bool is a subclass of int in Python, but true/false are not numbers.
        if isinstance(altitude, bool) or not isinstance(altitude, (int, float)):
            errors["altitude_km"] = "must be a number"
        elif not math.isfinite(altitude) or altitude < 0:
            errors["altitude_km"] = "must be a number greater than or equal to 0"
        else:
            clean["altitude_km"] = altitude
    elif not partial:
        errors["altitude_km"] = "is required"
    return clean, errors


def query_int(name, default, low, high=None):
    """An integer query parameter: (value, error message or None)."""
    raw = request.args.get(name)
    if raw is None:
        return default, None
    if not re.fullmatch(r"-?[0-9]+", raw):
        return default, "must be a whole number"
    value = int(raw)
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        return default, f"must be {bounds}"
    return value, None


def find_probe(probe_id):
    probe = probes.get(probe_id)
    if probe is None:
        abort(404, f"There is no probe with id {probe_id}.")
    return probe


@app.get("/api/probes")
def list_probes():
    limit, limit_error = query_int("limit", LIMIT_DEFAULT, 1, LIMIT_MAX)
    offset, offset_error = query_int("offset", 0, 0)
    errors = {k: v for k, v in (("limit", limit_error), ("offset", offset_error)) if v}
    if errors:
        return jsonify(errors=errors), 400
    items = list(probes.values())[:limit]
    return jsonify(items=items, total=len(probes), limit=limit, offset=offset)


@app.post("/api/probes")
def create_probe():
    global last_id
    clean, errors = check_fields(json_object())
    if errors:
        return jsonify(errors=errors), 400
    last_id += 1
    probe = {"id": last_id, **clean}
    probes[last_id] = probe
    location = url_for("get_probe", probe_id=last_id)
    return jsonify(probe), 201, {"Location": location}


@app.get("/api/probes/<int:probe_id>")
def get_probe(probe_id):
    return jsonify(find_probe(probe_id))


@app.patch("/api/probes/<int:probe_id>")
def update_probe(probe_id):
    probe = find_probe(probe_id)
    clean, errors = check_fields(json_object(), partial=True)
    if errors:
        return jsonify(errors=errors), 400  # nothing is changed
    probe.update(clean)
    return jsonify(probe)


@app.delete("/api/probes/<int:probe_id>")
def delete_probe(probe_id):
    find_probe(probe_id)
    del probes[probe_id]
    return "", 204
