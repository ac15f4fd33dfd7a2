"""grader.layout.locate: where the app of a submission is, found without running any of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.layout import AppNotFound, locate
from grader.rubric import AppSetting

APP = 'from flask import Flask\napp = Flask(__name__)\n'


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def not_found(root: Path, setting: AppSetting = AppSetting()) -> str:
    with pytest.raises(AppNotFound) as info:
        locate(root, setting)
    message = info.value.message
    assert str(root) not in message and "\n" not in message, message
    return message


@pytest.mark.parametrize(("files", "target", "origin"), [
    ({"app.py": APP}, "app", "app.py"),
    ({"app.py": APP, "wsgi.py": "from app import app\n"}, "wsgi", "wsgi.py"),
    ({"application.py": APP}, "application", "application.py"),
    ({"app/__init__.py": APP, "application.py": APP}, "app", "the package app/"),
])
def test_without_flask_app_the_first_of_wsgi_app_application_is_the_target(tmp_path, files, target, origin):
    write(tmp_path, files)

    location = locate(tmp_path, AppSetting())

    assert (location.root, location.target, location.origin, location.folder) == (tmp_path, target, origin, None)


def test_flask_app_in_flaskenv_wins_over_app_py_and_env_wins_over_flaskenv(tmp_path):
    write(tmp_path, {"app.py": APP, "mission.py": APP, "other.py": APP, ".flaskenv": "FLASK_APP=mission.py\n"})
    assert locate(tmp_path, AppSetting()).target == "mission.py"

    write(tmp_path, {".env": "FLASK_APP=other\n"})
    location = locate(tmp_path, AppSetting())

    assert (location.target, location.origin) == ("other", "FLASK_APP=other in .env")


def test_flaskenv_with_a_bom_crlf_quotes_and_comments_is_read_as_flask_run_reads_it(tmp_path):
    write(tmp_path, {"mission.py": APP,
                     ".flaskenv": b'\xef\xbb\xbf# the app\r\nexport FLASK_APP="mission:make_app(\'dev\')"\r\nFLASK_DEBUG=1\r\n'})

    assert locate(tmp_path, AppSetting()).target == "mission:make_app('dev')"


def test_flask_app_naming_a_missing_module_says_so_and_how_to_fix_it(tmp_path):
    write(tmp_path, {"app.py": APP, ".flaskenv": "FLASK_APP=mision.py\n"})

    assert not_found(tmp_path) == (
        "could not locate a Flask application: FLASK_APP=mision.py in .flaskenv, but the submission has no "
        "module mision (mision.py); fix FLASK_APP, or remove it to have app.py found"
    )


def test_only_the_variables_the_rubric_allows_reach_the_app_and_nothing_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "s3cret")
    write(tmp_path, {"app.py": APP, ".env": "APP_ENV=development\nLEAK=${GRADER_SECRET}\nSECRET_KEY=x\nFLASK_DEBUG=1\n"})

    location = locate(tmp_path, AppSetting(dotenv=["APP_ENV", "LEAK"]))

    assert location.environ == {"APP_ENV": "development", "LEAK": "${GRADER_SECRET}"}
    assert location.notes == [".env: SECRET_KEY not given to the app (the grader sets its environment)"]
    assert locate(tmp_path, AppSetting()).loading(AppSetting())["environ"] == {}


def test_the_rubric_target_is_the_only_place_looked_at(tmp_path):
    write(tmp_path, {"app.py": APP, ".flaskenv": "FLASK_APP=app.py\n"})

    assert not_found(tmp_path, AppSetting(target="application.py")).startswith(
        "could not locate a Flask application: this exercise loads application.py, which is not at the root "
        "of the submission or one folder down. The submission holds: app.py (a Flask app `app`). "
        "Fix: put application.py at the root."
    )
    write(tmp_path, {"application.py": APP})
    assert locate(tmp_path, AppSetting(target="application.py")).target == "application.py"


def test_an_app_one_folder_down_is_graded_there_with_a_note(tmp_path):
    write(tmp_path, {"README.md": "# hello", "hello-mission-main/app.py": APP,
                     "hello-mission-main/requirements.txt": "flask\n", "docs/notes.txt": "",
                     ".venv/app.py": APP, "__MACOSX/app.py": APP, "env/pyvenv.cfg": "", "env/app.py": APP})

    location = locate(tmp_path, AppSetting())

    assert (location.root, location.folder, location.target) == (tmp_path / "hello-mission-main", "hello-mission-main", "app")
    assert location.notes[0].startswith("graded the app in hello-mission-main/: the root of the submission holds no app")


def test_several_folders_with_an_app_are_listed_and_none_is_picked(tmp_path):
    write(tmp_path, {"part1/app.py": APP, "part2/application.py": APP, "notes/x.py": ""})

    assert not_found(tmp_path) == (
        "could not locate a Flask application: the root of the submission holds no app, and several folders "
        "do (part1/, part2/); keep one of them, or move the app to grade to the root"
    )


def test_nothing_found_lists_what_is_there_and_names_the_file_that_makes_an_app(tmp_path):
    write(tmp_path, {"main.py": "print('hi')\n", "server.py": "import flask\nserver = flask.Flask(__name__)\n",
                     "factory.py": "def create_app():\n    pass\n", "broken.py": "def (:\n", "templates/index.html": ""})

    assert not_found(tmp_path) == (
        "could not locate a Flask application: no FLASK_APP in .flaskenv or .env, and no wsgi.py, app.py or "
        "application.py at the root of the submission or one folder down. The submission holds: broken.py, "
        "factory.py (a factory create_app()), main.py, server.py (a Flask app `server`), templates/. "
        "Fix: rename factory.py to app.py, or add a file .flaskenv with the line FLASK_APP=factory.py."
    )


def test_nothing_found_in_an_empty_submission_says_what_to_create(tmp_path):
    assert not_found(tmp_path).endswith(
        "The submission is empty. Fix: create app.py with `app = Flask(__name__)` or a `create_app()` factory."
    )
