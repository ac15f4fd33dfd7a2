"""Telemetry API -- starter code for the telemetry-api exercise.

Run it locally with:   flask --app app run --debug
Grade it locally with: grader check telemetry-api .

Read the exercise README for the exact requirements: every route, status code
and JSON shape the grader checks.
"""
from flask import Flask, jsonify

app = Flask(__name__)

# The probes, kept in memory: id -> {"id": ..., "name": ..., "altitude_km": ...}.
probes = {}


# TODO (list): answer {"items": [...], "total": N, "limit": L, "offset": O},
# with the probes sorted by id and paginated by the `limit` (1-100, default 10)
# and `offset` (>= 0, default 0) query parameters. Bad values are a 400 with
# {"errors": {"limit": "..."}}.
@app.get("/api/probes")
def list_probes():
    return jsonify(items=list(probes.values()))


# TODO (create, validation): POST /api/probes with a JSON body
# {"name": ..., "altitude_km": ...}: check both fields, store the probe with a
# new id, and answer 201 with the probe and a Location header. Invalid fields
# are a 400 with {"errors": {...}}; a body that is not JSON is a 415 or 400.


# TODO (create): GET /api/probes/<id> answers the probe, or 404.


# TODO (update): PATCH /api/probes/<id> changes the fields it is sent.


# TODO (delete): DELETE /api/probes/<id> answers 204 with an empty body.


# TODO (errors): 404, 405 and the other errors must be JSON {"error": "..."}
# too, not Flask's HTML pages.
