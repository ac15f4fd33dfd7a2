"""grader.agent.discovery.load_app on tiny submissions written into tmp_path."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest
from flask import Flask

from grader.agent.discovery import DiscoveryError, load_app

TEST_CONFIG = {"TESTING": True, "GRADER_MARK": "from-the-grader"}


@pytest.fixture(autouse=True)
def isolated_imports(tmp_path):
    """load_app imports `app`/`wsgi` and puts the submission on sys.path: undo both after each test."""
    saved_path = list(sys.path)
    saved_modules = dict(sys.modules)
    saved_importer_cache = dict(sys.path_importer_cache)
    yield
    roots = (str(tmp_path), str(tmp_path.resolve()))

    def from_submission(module) -> bool:
        locations = [getattr(module, "__file__", None) or "", *(getattr(module, "__path__", None) or [])]
        return any(str(location).startswith(roots) for location in locations)

    for name, module in list(sys.modules.items()):
        if from_submission(module):
            del sys.modules[name]
    for name, module in saved_modules.items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
    sys.path[:] = saved_path
    sys.path_importer_cache.clear()
    sys.path_importer_cache.update(saved_importer_cache)
    importlib.invalidate_caches()


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def load(root: Path, config: dict | None = None) -> Flask:
    return load_app(root, dict(TEST_CONFIG if config is None else config))


def discovery_error(root: Path, config: dict | None = None) -> str:
    """The one-line message load_app raises for `root`, checked to hold no absolute grader path."""
    with pytest.raises(DiscoveryError) as info:
        load(root, config)
    message = info.value.message
    assert str(info.value) == message
    for private in {str(root), str(root.resolve())}:
        assert private not in message, f"message leaks the submission's absolute path: {message!r}"
    assert "\n" not in message, f"message is not one line: {message!r}"
    return message


MODULE_APP = """\
from flask import Flask

app = Flask("module-app")


@app.route("/")
def home():
    return "home"
"""


# --- finding the app ---------------------------------------------------------------------------


def test_module_level_app_is_the_app_returned(tmp_path):
    write(tmp_path, {"app.py": MODULE_APP})

    found = load(tmp_path)

    assert found is sys.modules["app"].app
    assert found.name == "module-app"
    assert found.test_client().get("/").text == "home"


def test_attribute_named_application_wins_over_other_instances(tmp_path):
    write(tmp_path, {"app.py": """\
        from flask import Flask

        admin = Flask("admin")
        application = Flask("the-application")
        """})

    assert load(tmp_path).name == "the-application"


def test_single_flask_instance_under_another_name_is_found(tmp_path):
    write(tmp_path, {"app.py": """\
        from flask import Flask

        GREETING = "hi"
        server = Flask("server")
        """})

    assert load(tmp_path).name == "server"


def test_two_instances_without_an_app_name_is_an_error_asking_to_name_one_app(tmp_path):
    write(tmp_path, {"app.py": """\
        from flask import Flask

        public = Flask("public")
        admin = Flask("admin")
        """})

    message = discovery_error(tmp_path)

    assert message.startswith("app.py: ")
    assert "several Flask apps" in message
    assert "`app`" in message


def test_create_app_factory_without_parameters_is_called(tmp_path):
    write(tmp_path, {"app.py": """\
        from flask import Flask


        def create_app():
            made = Flask("factory-made")
            made.config["MADE_BY"] = "create_app"
            return made
        """})

    found = load(tmp_path)

    assert found.name == "factory-made"
    assert found.config["MADE_BY"] == "create_app"


def test_create_app_with_test_config_parameter_receives_the_test_config(tmp_path):
    write(tmp_path, {"app.py": """\
        from flask import Flask


        def create_app(test_config=None):
            made = Flask("tutorial")
            made.config["GOT"] = test_config
            return made
        """})

    found = load(tmp_path, {"TESTING": True, "SECRET_KEY": "s3cret"})

    assert found.config["GOT"] == {"TESTING": True, "SECRET_KEY": "s3cret"}


def test_factory_whose_parameter_is_not_test_config_keeps_its_default(tmp_path):
    # Flask's `flask run` calls a factory with no arguments; only a `test_config` parameter
    # (Flask tutorial style) should get the grader's dict, not e.g. `config_class=Config`.
    write(tmp_path, {"app.py": """\
        from flask import Flask


        class Config:
            GREETING = "Hello from Config"


        def create_app(config_class=Config):
            made = Flask("configured")
            made.config.from_object(config_class)
            return made
        """})

    found = load(tmp_path)

    assert found.config.get("GREETING") == "Hello from Config"
    assert found.config["TESTING"] is True


def test_make_app_factory_is_called(tmp_path):
    write(tmp_path, {"app.py": """\
        from flask import Flask


        def make_app():
            return Flask("made-by-make-app")
        """})

    assert load(tmp_path).name == "made-by-make-app"


def test_app_py_importing_a_factory_from_a_package_is_found(tmp_path):
    write(tmp_path, {
        "app.py": """\
            from mission import create_app

            app = create_app()
            """,
        "mission/__init__.py": """\
            from flask import Flask


            def create_app():
                made = Flask("mission")

                @made.route("/status")
                def status():
                    return {"status": "nominal"}

                return made
            """,
    })

    found = load(tmp_path)

    assert found.name == "mission"
    assert found.test_client().get("/status").get_json() == {"status": "nominal"}


def test_app_package_without_app_py_is_found(tmp_path):
    write(tmp_path, {
        "app/__init__.py": """\
            from flask import Flask


            def create_app():
                made = Flask(__name__)
                from app import views

                views.register(made)
                return made
            """,
        "app/views.py": """\
            def register(made):
                made.add_url_rule("/", "home", lambda: "from the package")
            """,
    })

    found = load(tmp_path)

    assert found.test_client().get("/").text == "from the package"


def test_wsgi_py_is_preferred_over_app_py(tmp_path):
    write(tmp_path, {
        "app.py": 'from flask import Flask\napp = Flask("from-app-py")\n',
        "wsgi.py": 'from flask import Flask\napp = Flask("from-wsgi-py")\n',
    })

    assert load(tmp_path).name == "from-wsgi-py"


@pytest.mark.parametrize("source", [
    pytest.param(MODULE_APP, id="module-app"),
    pytest.param(
        "from flask import Flask\n\ndef create_app():\n    made = Flask('f')\n    made.config['TESTING'] = False\n"
        "    return made\n",
        id="factory",
    ),
    pytest.param(
        "from flask import Flask\n\ndef create_app(test_config=None):\n    made = Flask('f')\n"
        "    made.config['TESTING'] = False\n    return made\n",
        id="factory-with-test-config",
    ),
])
def test_test_config_is_applied_to_the_found_app(tmp_path, source):
    write(tmp_path, {"app.py": source})

    found = load(tmp_path)

    assert found.config["TESTING"] is True
    assert found.config["GRADER_MARK"] == "from-the-grader"


# --- errors a student can act on ---------------------------------------------------------------


def test_submission_without_app_py_or_wsgi_py_is_an_error_mentioning_app_py(tmp_path):
    write(tmp_path, {"main.py": 'from flask import Flask\napp = Flask("main")\n'})

    message = discovery_error(tmp_path)

    assert "app.py" in message


def test_module_without_any_app_names_the_file_and_what_to_define(tmp_path):
    write(tmp_path, {"app.py": "from flask import Flask\n\nGREETING = 'hi'\n"})

    message = discovery_error(tmp_path)

    assert message.startswith("app.py: ")
    assert "app = Flask(__name__)" in message
    assert "create_app()" in message


def test_package_without_any_app_names_its_init_file(tmp_path):
    write(tmp_path, {"app/__init__.py": "GREETING = 'hi'\n"})

    message = discovery_error(tmp_path)

    assert message.startswith("app/__init__.py: ")
    assert "no Flask app" in message


def test_syntax_error_names_file_and_line(tmp_path):
    write(tmp_path, {"app.py": """\
        from flask import Flask

        app = Flask(__name__)

        @app.route("/")
        def home(:
            return "home"
        """})

    message = discovery_error(tmp_path)

    assert message.startswith("app.py, line 6: SyntaxError: "), message
    assert len(message) > len("app.py, line 6: SyntaxError: ")


def test_import_error_names_file_line_and_missing_module(tmp_path):
    write(tmp_path, {"app.py": """\
        from flask import Flask
        import flask_nonexistent

        app = Flask(__name__)
        """})

    message = discovery_error(tmp_path)

    assert message == "app.py, line 2: ModuleNotFoundError: No module named 'flask_nonexistent'"


def test_exception_in_a_helper_module_reports_the_deepest_submission_frame(tmp_path):
    write(tmp_path, {
        "app.py": """\
            from flask import Flask
            from mission import db

            app = Flask(__name__)
            """,
        "mission/__init__.py": "",
        "mission/db.py": """\
            import json


            def connect(url):
                return json.loads(url)


            connection = connect("not json")
            """,
    })

    message = discovery_error(tmp_path)

    assert message.startswith("mission/db.py, line 5: JSONDecodeError: "), message


def test_generated_code_is_not_taken_for_a_file_of_the_submission(tmp_path, monkeypatch):
    # SQLAlchemy compiles wrappers named "<sqlalchemy generated ...>": relative names that would
    # resolve into the submission when the working directory is its root, as in the agent.
    write(tmp_path, {
        "app.py": """\
            from flask import Flask

            namespace = {}
            exec(compile("def inner():\\n    raise ValueError('deep')\\n", "<generated wrapper>", "exec"), namespace)


            def fail():
                namespace["inner"]()


            fail()
            app = Flask(__name__)
            """,
    })
    monkeypatch.chdir(tmp_path)

    message = discovery_error(tmp_path)

    assert message.startswith("app.py, line 8: ValueError: deep"), message


def test_absolute_paths_in_an_exception_message_are_made_relative(tmp_path):
    write(tmp_path, {"app.py": """\
        import os
        from flask import Flask

        app = Flask(__name__)
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "settings.json")) as f:
            app.config["SETTINGS"] = f.read()
        """})

    message = discovery_error(tmp_path)

    assert message.startswith("app.py, line 5: FileNotFoundError: "), message
    assert "'settings.json'" in message


@pytest.mark.parametrize(("source", "line"), [
    pytest.param(b'from flask import Flask\napp = Flask(__name__)\ns = "caf\xe9"\n', 3, id="latin-1-string"),
    pytest.param(b"from flask import Flask\ncaf\xe9 = 1\napp = Flask(__name__)\n", 2, id="latin-1-name"),
])
def test_file_that_is_not_utf8_is_a_syntax_error_without_private_paths(tmp_path, source, line):
    write(tmp_path, {"app.py": source})

    message = discovery_error(tmp_path)

    assert message.startswith(f"app.py, line {line}: SyntaxError: "), message


def test_sys_exit_at_import_is_a_discovery_error_not_a_system_exit(tmp_path):
    write(tmp_path, {"app.py": """\
        import sys
        from flask import Flask

        sys.exit(3)
        app = Flask(__name__)
        """})

    message = discovery_error(tmp_path)

    assert message.startswith("app.py, line 4: SystemExit: "), message
    assert "exit(3)" in message


def test_factory_returning_none_says_it_returned_nonetype(tmp_path):
    write(tmp_path, {"app.py": """\
        from flask import Flask


        def create_app():
            made = Flask(__name__)
        """})

    message = discovery_error(tmp_path)

    assert message.startswith("app.py: "), message
    assert "create_app() returned NoneType" in message


def test_factory_raising_names_file_and_line(tmp_path):
    write(tmp_path, {"app.py": """\
        from flask import Flask


        def create_app():
            made = Flask(__name__)
            raise RuntimeError("database is not configured")
        """})

    message = discovery_error(tmp_path)

    assert message == "app.py, line 6: RuntimeError: database is not configured"


def test_broken_config_update_is_a_discovery_error(tmp_path):
    write(tmp_path, {"app.py": """\
        from flask import Config, Flask


        class FrozenConfig(Config):
            def update(self, *args, **kwargs):
                raise TypeError("config is frozen")


        class FrozenFlask(Flask):
            config_class = FrozenConfig


        app = FrozenFlask(__name__)
        """})

    message = discovery_error(tmp_path)

    assert message == "app.py, line 6: TypeError: config is frozen"


# --- targets in FLASK_APP's syntax, application.py, app.run() at import --------------------------


def test_application_py_is_found_when_there_is_no_wsgi_or_app_py(tmp_path):
    write(tmp_path, {"application.py": MODULE_APP.replace('"module-app"', '"cs50"')})

    assert load(tmp_path).name == "cs50"


@pytest.mark.parametrize("target", ["mission", "mission.py", "mission:app", "mission:application"])
def test_target_names_the_module_and_optionally_the_attribute(tmp_path, target):
    write(tmp_path, {
        "app.py": MODULE_APP,  # not the target: never imported
        "mission.py": 'from flask import Flask\napp = Flask("mission")\napplication = app\n',
    })

    app = load_app(tmp_path, TEST_CONFIG, {"target": target})

    assert app.name == "mission"
    assert "app" not in sys.modules or not str(getattr(sys.modules["app"], "__file__", "")).startswith(str(tmp_path))


def test_target_file_inside_packages_is_imported_by_its_dotted_name(tmp_path):
    write(tmp_path, {
        "src/__init__.py": "",
        "src/mission/__init__.py": "",
        "src/mission/server.py": "from flask import Flask\nfrom . import helpers\napp = Flask(helpers.NAME)\n",
        "src/mission/helpers.py": "NAME = 'relative-import-works'\n",
    })

    app = load_app(tmp_path, TEST_CONFIG, {"target": "src/mission/server.py"})

    assert app.name == "relative-import-works"
    assert sys.modules["src.mission.server"].app is app


def test_factory_target_is_called_with_its_literal_arguments(tmp_path):
    write(tmp_path, {"mission.py": """\
        from flask import Flask

        def make_app(env, *, debug=False):
            app = Flask("made")
            app.config["MADE_FOR"] = [env, debug]
            return app
    """})

    app = load_app(tmp_path, TEST_CONFIG, {"target": 'mission:make_app("development", debug=True)'})

    assert app.config["MADE_FOR"] == ["development", True]
    assert app.config["GRADER_MARK"] == "from-the-grader"


def test_factory_named_without_parentheses_is_called_like_create_app(tmp_path):
    write(tmp_path, {"mission.py": """\
        from flask import Flask

        def build(test_config=None):
            app = Flask("built")
            app.config["GOT"] = test_config
            return app
    """})

    app = load_app(tmp_path, TEST_CONFIG, {"target": "mission:build"})

    assert app.config["GOT"]["GRADER_MARK"] == "from-the-grader"


@pytest.mark.parametrize(("target", "expected"), [
    ("mission:nothing", "mission.py: no attribute 'nothing', which mission:nothing names"),
    ("mission:app()", "mission.py: app is a Flask app, not a factory to call as mission:app() does"),
    ("mission:NUMBER", "mission.py: NUMBER is a int, not a Flask app or a factory"),
    ("mission:make(os.environ)", "'mission:make(os.environ)': a factory's arguments must be literal values"),
    ("../outside.py", "could not locate a Flask application: '../outside.py' is outside the submission"),
    ("absent.py", "could not locate a Flask application: absent.py is not in the submission"),
])
def test_target_that_does_not_name_an_app_says_what_it_found(tmp_path, target, expected):
    write(tmp_path, {"mission.py": 'from flask import Flask\napp = Flask("m")\nNUMBER = 3\n'})

    with pytest.raises(DiscoveryError) as info:
        load_app(tmp_path, TEST_CONFIG, {"target": target})

    assert info.value.message.startswith(expected), info.value.message


APP_RUN_AT_IMPORT = MODULE_APP + "\napp.run(debug=True)\n\n@app.route('/after')\ndef after():\n    return 'after'\n"


def test_app_run_at_import_returns_at_once_and_is_a_warning_naming_the_line(tmp_path):
    write(tmp_path, {"app.py": APP_RUN_AT_IMPORT})
    warnings: list[str] = []

    app = load_app(tmp_path, TEST_CONFIG, {}, warnings)

    assert {r.rule for r in app.url_map.iter_rules()} >= {"/", "/after"}  # the rest of the module ran
    assert warnings == [
        "app.py, line 10: app.run() is called when the app is imported; the grader skipped it, but "
        'gunicorn would wait on it forever: put it under `if __name__ == "__main__":`'
    ]
    assert Flask.run.__qualname__ == "Flask.run", "Flask.run is restored after the import"


def test_app_run_at_import_is_an_error_where_the_exercise_says_so(tmp_path):
    write(tmp_path, {"app.py": APP_RUN_AT_IMPORT})

    with pytest.raises(DiscoveryError) as info:
        load_app(tmp_path, TEST_CONFIG, {"run_at_import": "fail"})

    assert info.value.message == (
        "app.py, line 10: app.run() is called when the app is imported, so gunicorn and the grader would "
        'wait on it forever; put it under `if __name__ == "__main__":`'
    )
    assert Flask.run.__qualname__ == "Flask.run"


def test_app_run_under_the_main_guard_is_no_warning(tmp_path):
    write(tmp_path, {"app.py": MODULE_APP + '\nif __name__ == "__main__":\n    app.run()\n'})
    warnings: list[str] = []

    load_app(tmp_path, TEST_CONFIG, {}, warnings)

    assert warnings == []


def test_environ_of_the_loading_reaches_the_app_before_its_import(tmp_path, monkeypatch):
    monkeypatch.delenv("MISSION_NAME", raising=False)
    write(tmp_path, {"app.py": 'import os\nfrom flask import Flask\napp = Flask(os.environ["MISSION_NAME"])\n'})

    app = load_app(tmp_path, TEST_CONFIG, {"environ": {"MISSION_NAME": "from-dotenv"}})

    assert app.name == "from-dotenv"
