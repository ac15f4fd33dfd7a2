"""Criterion `api`: the JSON API of the api blueprint, on the app of wsgi.py."""
import pytest

from factory_helpers import DEFAULT_STATION, listed_probes, main_app, post_probe, probe_part, request, show, unique

pytestmark = pytest.mark.criterion("api")


def test_status(app):
    made = main_app(app)
    data = request(made, "GET", "/api/status", 200)
    expected = {"station": DEFAULT_STATION, "config": "development"}
    got = {k: data.get(k) for k in expected} if isinstance(data, dict) else data
    assert got == expected, f"GET /api/status on {made.label} returned {show(data)!r}, expected {show(expected)}"


def test_create_probe_returns_201(app):
    post_probe(main_app(app), unique("voyager"))


def check_roundtrip(made, name):
    probe = post_probe(made, name)
    path = f"/api/probes/{probe['id']}"
    data = request(made, "GET", path, 200)
    assert probe_part(data) == probe, f"GET {path} on {made.label} (a probe just created) returned {show(data)!r}, expected {show(probe)}"


def test_get_probe(app):
    check_roundtrip(main_app(app), unique("pioneer"))


def test_list_probes_in_id_order(app):
    made = main_app(app)
    created = [post_probe(made, unique(prefix)) for prefix in ("rosetta", "giotto", "dawn")]
    probes = listed_probes(made)
    mine = [probe_part(p) for p in probes if p.get("id") in {c["id"] for c in created}]
    assert mine == created, (
        f"GET /api/probes on {made.label}, after creating {show(created)}, listed {show(mine)!r} for their ids, "
        "expected each of them exactly once, in id order"
    )
    ids = [p.get("id") for p in probes]
    assert ids == sorted(ids), f"GET /api/probes on {made.label} listed the ids {show(ids)}, expected them in increasing order"


@pytest.mark.parametrize("payload", [{}, {"name": ""}], ids=["missing", "empty"])
def test_create_probe_without_name_is_400(app, payload):
    request(main_app(app), "POST", "/api/probes", 400, payload)


def test_missing_probe_is_404(app):
    made = main_app(app)
    probe = post_probe(made, unique("mariner"))
    request(made, "GET", f"/api/probes/{probe['id'] + 100000}", 404)


@pytest.mark.hidden
@pytest.mark.parametrize("payload", [{"name": "   "}, {"name": 42}, {"name": None}], ids=["blank", "number", "null"])
def test_create_probe_with_invalid_name_is_400(app, payload):
    request(main_app(app), "POST", "/api/probes", 400, payload)


@pytest.mark.hidden
@pytest.mark.parametrize("prefix", ["Tianwen 天问", "Zoë Ωmega"])
def test_unicode_probe_roundtrip(app, prefix):
    check_roundtrip(main_app(app), unique(prefix))


@pytest.mark.hidden
def test_other_missing_probe_is_404(app):
    made = main_app(app)
    probe = post_probe(made, unique("ranger"))
    request(made, "GET", f"/api/probes/{probe['id'] + 7919}", 404)
