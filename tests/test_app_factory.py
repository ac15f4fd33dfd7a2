"""`app.create()` (a second app from the student's factory) and a rubric's `config`, in every local sandbox."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from grader.rubric import Limits
from grader.sandbox import AppUnavailable, get_sandbox
from grader.testing import AppHandle

LIMITS = Limits(request_timeout=2, start_timeout=5)

FACTORY_APP = """\
from flask import Flask, jsonify, request

SHARED = []  # module-level state: what a factory must not hide data in


class Config:
    GREETING = "hello"


class TestingConfig(Config):
    TESTING = True
    GREETING = "testing"


CONFIGS = {"development": Config, "testing": TestingConfig}


def create_app(config_name="development", test_config=None):
    app = Flask(__name__)
    app.config.from_object(CONFIGS[config_name])
    if test_config:
        app.config.update(test_config)
    items = []

    @app.post("/items")
    def add():
        items.append(request.get_json()["name"])
        if request.args.get("shared"):
            SHARED.append(request.get_json()["name"])
        return jsonify(items), 201

    @app.get("/items")
    def listing():
        return jsonify(items=items, shared=SHARED, greeting=app.config["GREETING"])

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    return app
"""


@pytest.fixture(params=["inprocess", "process"])
def start(request, tmp_path: Path):
    """start(source, config=None, files=None) -> AppHandle; closed and forgotten at teardown."""
    connections = []

    def start(source: str, config: dict | None = None, files: dict[str, str] | None = None) -> AppHandle:
        folder = tmp_path / f"app{len(connections)}"
        folder.mkdir()
        (folder / "app.py").write_text(textwrap.dedent(source))
        for name, text in (files or {}).items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(textwrap.dedent(text))
        connection = get_sandbox(request.param).start(folder, LIMITS, config)
        connections.append(connection)
        return AppHandle(connection)

    yield start
    for connection in connections:
        connection.close()
    for name, module in list(sys.modules.items()):  # the in-process sandbox imported them here
        if str(getattr(module, "__file__", "") or "").startswith(str(tmp_path)):
            del sys.modules[name]


def test_created_app_has_its_own_config_and_state(start):
    app = start(FACTORY_APP)
    other = app.create("testing", test_config={"EXTRA": 7})
    assert app.config["GREETING"] == "hello" and other.config["GREETING"] == "testing"
    assert other.config["EXTRA"] == 7 and other.config["TESTING"] is True
    app.client().post("/items", json={"name": "apollo"})
    assert other.client().get("/items").json["items"] == []
    assert app.client().get("/items").json["items"] == ["apollo"]


def test_module_level_state_is_shared_between_created_apps(start):
    # What a control-factory test relies on: two apps of one process see a module's globals alike.
    app = start(FACTORY_APP)
    first, second = app.create("testing"), app.create("testing")
    first.client().post("/items?shared=1", json={"name": "gemini"})
    assert second.client().get("/items").json["shared"] == ["gemini"]


def test_created_app_gets_no_test_config(start):
    app = start(FACTORY_APP)
    other = app.create()
    assert app.config["SECRET_KEY"] == "grader-test-secret"
    assert other.config.get("SECRET_KEY") is None and other.config.get("TESTING") is False


def test_routes_of_a_created_app(start):
    other = start(FACTORY_APP).create("testing")
    methods = set().union(*(r.methods for r in other.routes if r.rule == "/items"))
    assert methods >= {"GET", "POST"} and other.route("/boom").endpoint == "boom"


def test_factory_error_names_the_file_and_line(start):
    app = start(FACTORY_APP)
    with pytest.raises(AppUnavailable) as caught:
        app.create("staging")
    assert "create_app('staging')" in caught.value.message
    assert "app.py, line" in caught.value.message and "KeyError" in caught.value.message


def test_created_app_crash_is_a_500_or_a_crash_message(start):
    other = start(FACTORY_APP).create("testing")
    # TESTING=True propagates exceptions: the test sees the crash, named, instead of a 500 page.
    with pytest.raises(AppUnavailable, match="GET /boom crashed the app.*RuntimeError: kaboom"):
        other.client().get("/boom")


def test_created_apps_are_made_again_after_a_restart(start):
    app = start(FACTORY_APP)
    other = app.create("testing")
    other.client().post("/items", json={"name": "soyuz"})
    app.restart()
    assert other.client().get("/items").json == {"items": [], "shared": [], "greeting": "testing"}


def test_without_a_factory_the_message_says_what_to_define(start):
    app = start("from flask import Flask\napp = Flask(__name__)\n")
    with pytest.raises(AppUnavailable, match=r"no create_app\(\) factory"):
        app.create()


def test_factory_imported_into_wsgi_py_is_found(start):
    app = start(FACTORY_APP, files={"wsgi.py": "from app import create_app\napp = create_app()\n"})
    assert app.create("testing").config["GREETING"] == "testing"


def test_rubric_config_is_set_over_the_test_config(start):
    app = start(FACTORY_APP, config={"WTF_CSRF_ENABLED": True, "GREETING": "from the rubric"})
    assert app.config["WTF_CSRF_ENABLED"] is True and app.config["GREETING"] == "from the rubric"
    assert app.config["TESTING"] is True  # the rest of the test config stays
    app.restart()
    assert app.config["WTF_CSRF_ENABLED"] is True


ONCE_APP = """\
import os
from flask import Flask


FLAG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "made-once")


def create_app(name="main"):
    if name == "once":
        if os.path.exists(FLAG):
            raise RuntimeError("this factory works only once")
        open(FLAG, "w").close()
    return Flask(__name__)
"""


def test_a_created_app_that_cannot_be_made_again_fails_the_restart(start):
    app = start(ONCE_APP)
    app.create("once")
    with pytest.raises(AppUnavailable, match="this factory works only once"):
        app.restart()


def test_factory_reached_through_an_imported_package_is_found(start):
    app = start("from flask import Flask\n", files={"fleet/__init__.py": FACTORY_APP,
                                                     "wsgi.py": "import fleet\napp = fleet.create_app()\n"})
    assert app.create("testing").config["GREETING"] == "testing"


def test_at_most_fifty_apps_per_submission(start):
    from grader.agent.agent import MAX_APPS

    app = start(FACTORY_APP)
    for _ in range(MAX_APPS - 1):
        app.create("testing")
    with pytest.raises(AppUnavailable, match=f"at most {MAX_APPS} apps"):
        app.create("testing")
