"""The grader pytest plugin, run for real: a student app, an exercise test file, a pytest subprocess."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

HELLO_APP = """\
from flask import Flask

app = Flask(__name__)


@app.route("/")
def home():
    return "<h1>Mission Control</h1>"
"""


def write_student(pytester: pytest.Pytester, source: str) -> Path:
    folder = pytester.path / "student"
    folder.mkdir(exist_ok=True)
    (folder / "app.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return folder


def write_rubric(pytester: pytest.Pytester, slug: str, request_timeout: int) -> Path:
    path = pytester.path / "rubrics" / f"{slug}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(f"""\
        exercise: {slug}
        title: "Timeouts"
        limits:
          request_timeout: {request_timeout}
        criteria:
          - id: pages
            title: "Pages"
            points: 10
            tests:
              markers: ["pages"]
        """), encoding="utf-8")
    return path


def run(pytester: pytest.Pytester, *args: str, submission: Path | None = None):
    """Run the exercise tests in a pytest subprocess; return its result and the JSONL records."""
    records_path = pytester.path / "records.jsonl"
    options = ["--grader-records", str(records_path), "-p", "no:cacheprovider"]
    if submission is not None:
        options += ["--grader-submission", str(submission)]
    result = pytester.runpytest_subprocess(*options, *args)
    lines = records_path.read_text(encoding="utf-8").splitlines() if records_path.exists() else []
    return result, [json.loads(line) for line in lines]


def outcomes(records: list[dict]) -> dict[str, dict]:
    """Outcome records by test name (the part of the node id after the last '::')."""
    found = {}
    for record in records:
        if record["type"] == "outcome":
            name = record["nodeid"].split("::")[-1]
            assert name not in found, f"two outcome records for {name}"
            found[name] = record
    return found


# --- the `client` fixture ------------------------------------------------------------------------


def test_client_get_returns_status_mimetype_text_json_and_headers(pytester):
    student = write_student(pytester, """\
        from flask import Flask

        app = Flask(__name__)


        @app.route("/")
        def home():
            return "<h1>Mission Control</h1>", 200, {"X-Mission": "apollo-11"}


        @app.route("/status")
        def status():
            return {"status": "nominal", "crew": 3}
        """)
    pytester.makepyfile(test_client_get="""
        def test_home(client):
            r = client.get("/")
            assert r.status_code == 200
            assert r.mimetype == "text/html"
            assert r.text == "<h1>Mission Control</h1>"
            assert r.headers["X-Mission"] == "apollo-11"

        def test_status(client):
            r = client.get("/status")
            assert r.mimetype == "application/json"
            assert r.get_json() == {"status": "nominal", "crew": 3}

        def test_unknown_page(client):
            assert client.get("/nowhere").status_code == 404
        """)

    result, records = run(pytester, submission=student)

    result.assert_outcomes(passed=3)
    assert {name: r["outcome"] for name, r in outcomes(records).items()} == {
        "test_home": "passed", "test_status": "passed", "test_unknown_page": "passed",
    }


def test_cookies_persist_between_requests_within_one_test_only(pytester):
    student = write_student(pytester, """\
        from flask import Flask, make_response, request, session

        app = Flask(__name__)


        @app.route("/login/<name>")
        def login(name):
            session["user"] = name
            response = make_response("welcome")
            response.set_cookie("flavour", "mint")
            return response


        @app.route("/me")
        def me():
            return f"{session.get('user', 'nobody')} likes {request.cookies.get('flavour', 'nothing')}"
        """)
    pytester.makepyfile(test_cookies="""
        def test_a_logged_in_client_is_remembered(client):
            assert client.get("/login/ada").text == "welcome"
            assert client.get("/me").text == "ada likes mint"

        def test_b_next_test_starts_without_cookies(client):
            assert client.get("/me").text == "nobody likes nothing"
        """)

    result, records = run(pytester, submission=student)

    result.assert_outcomes(passed=2)
    assert [r["outcome"] for r in outcomes(records).values()] == ["passed", "passed"]


def test_route_raising_answers_500_instead_of_raising_in_the_test(pytester):
    student = write_student(pytester, """\
        from flask import Flask

        app = Flask(__name__)


        @app.route("/divide")
        def divide():
            return str(1 / 0)
        """)
    pytester.makepyfile(test_crash="""
        def test_crashing_route_is_a_500(client):
            r = client.get("/divide")
            assert r.status_code == 500
        """)

    result, records = run(pytester, submission=student)

    result.assert_outcomes(passed=1)
    assert outcomes(records)["test_crashing_route_is_a_500"]["outcome"] == "passed"


def test_route_calling_sys_exit_fails_only_its_test_with_file_and_line(pytester):
    student = write_student(pytester, """\
        import sys

        from flask import Flask

        app = Flask(__name__)


        @app.route("/")
        def home():
            return "still here"


        @app.route("/abort")
        def abort_mission():
            sys.exit(1)
        """)
    pytester.makepyfile(test_exit="""
        def test_abort(client):
            client.get("/abort")

        def test_home_after_the_exit(client):
            assert client.get("/").text == "still here"
        """)

    result, records = run(pytester, submission=student)

    result.assert_outcomes(passed=1, failed=1)
    found = outcomes(records)
    assert found["test_abort"]["outcome"] == "failed"
    assert found["test_abort"]["message"] == (
        "GET /abort crashed the app: app.py, line 15: SystemExit: the app called exit(1) while GET /abort"
    )
    assert found["test_home_after_the_exit"]["outcome"] == "passed"


def test_route_that_never_answers_fails_only_its_test_with_a_timeout_message(pytester):
    student = write_student(pytester, """\
        from flask import Flask

        app = Flask(__name__)


        @app.route("/")
        def home():
            return "still here"


        @app.route("/slow")
        def slow():
            while True:
                pass
        """)
    rubric = write_rubric(pytester, "slow-mission", request_timeout=1)
    pytester.makepyfile(test_timeout="""
        import pytest

        pytestmark = pytest.mark.criterion("pages")

        def test_slow_page(client):
            client.get("/slow")

        def test_home_after_the_slow_page(client):
            assert client.get("/").text == "still here"
        """)

    result, records = run(pytester, "--grader-rubric", str(rubric), submission=student)

    result.assert_outcomes(passed=1, failed=1)
    found = outcomes(records)
    assert found["test_slow_page"]["outcome"] == "failed"
    assert found["test_slow_page"]["message"] == "GET /slow did not answer within 1 s"
    assert found["test_slow_page"]["duration"] < 10
    assert found["test_home_after_the_slow_page"]["outcome"] == "passed"


def test_client_without_grader_submission_fails_with_a_message_naming_the_option(pytester):
    pytester.makepyfile(test_no_submission="""
        def test_home(client):
            client.get("/")
        """)

    result, records = run(pytester)

    result.assert_outcomes(errors=1)
    record = outcomes(records)["test_home"]
    assert record["outcome"] == "error"
    assert "--grader-submission" in record["message"]
    result.stdout.fnmatch_lines(["*--grader-submission*"])


# --- the `app` fixture and grader.testing ---------------------------------------------------------


def test_app_handle_lists_routes_with_methods_finds_one_route_and_shows_config(pytester):
    student = write_student(pytester, """\
        from flask import Flask

        app = Flask(__name__)


        @app.route("/")
        def home():
            return "home"


        @app.route("/launchpad")
        def launchpad():
            return "pad"


        @app.route("/launch", methods=["POST"])
        def launch():
            return "launched"
        """)
    pytester.makepyfile(test_app_handle="""
        def test_routes(app):
            rules = {r.rule: r for r in app.routes}
            assert {"/", "/launch", "/static/<path:filename>"} <= set(rules)
            assert rules["/"].endpoint == "home"
            assert {"GET", "HEAD", "OPTIONS"} <= rules["/"].methods
            assert "POST" not in rules["/"].methods
            assert "POST" in rules["/launch"].methods
            assert "GET" not in rules["/launch"].methods

        def test_route_lookup(app):
            launch = app.route("/launch")
            assert launch is not None
            assert (launch.rule, launch.endpoint) == ("/launch", "launch")
            assert app.route("/missing") is None

        def test_config(app):
            assert app.config["TESTING"] is True
        """)

    result, records = run(pytester, submission=student)

    result.assert_outcomes(passed=3)
    assert {r["outcome"] for r in outcomes(records).values()} == {"passed"}


def test_soup_parses_the_html_of_a_response(pytester):
    student = write_student(pytester, """\
        from flask import Flask

        app = Flask(__name__)


        @app.route("/")
        def home():
            return '<title>HQ</title><h1 class="big">Mission Control</h1><a href="/status">status</a>'
        """)
    pytester.makepyfile(test_soup="""
        from grader.testing import soup

        def test_page_structure(client):
            page = soup(client.get("/"))
            assert page.title.get_text() == "HQ"
            assert [h.get_text() for h in page.select("h1.big")] == ["Mission Control"]
            assert [a["href"] for a in page.find_all("a")] == ["/status"]

        def test_soup_of_a_string():
            assert soup("<p>hi</p>").p.get_text() == "hi"
        """)

    result, _ = run(pytester, submission=student)

    result.assert_outcomes(passed=2)


# --- the records ---------------------------------------------------------------------------------


def test_failed_assertion_records_the_assertions_own_message(pytester):
    student = write_student(pytester, HELLO_APP)
    pytester.makepyfile(test_messages="""
        def test_wrong_status(client):
            r = client.get("/")
            assert r.status_code == 201, f"GET / gave {r.status_code}, expected 201"

        def test_bare_assert(client):
            r = client.get("/")
            assert r.status_code == 201

        def test_other_exception(client):
            {}["missing"]
        """)

    result, records = run(pytester, submission=student)

    result.assert_outcomes(failed=3)
    found = outcomes(records)
    assert found["test_wrong_status"]["outcome"] == "failed"
    assert found["test_wrong_status"]["message"] == "GET / gave 200, expected 201"
    assert found["test_bare_assert"]["message"] == "assert 200 == 201"
    assert found["test_other_exception"]["message"] == "KeyError: 'missing'"


def test_multiline_assertion_message_is_recorded_as_written(pytester):
    # pytest's rewritten assert indents a message's continuation lines by two spaces
    # ("line one\n  line two"); the record should hold the message the test author wrote.
    student = write_student(pytester, HELLO_APP)
    pytester.makepyfile(test_multiline="""
        def test_status(client):
            r = client.get("/")
            assert r.status_code == 201, f"GET / gave {r.status_code}.\\nExpected 201 Created."
        """)

    result, records = run(pytester, submission=student)

    result.assert_outcomes(failed=1)
    assert outcomes(records)["test_status"]["message"] == "GET / gave 200.\nExpected 201 Created."


def test_passing_test_records_passed_without_message_and_a_numeric_duration(pytester):
    student = write_student(pytester, HELLO_APP)
    pytester.makepyfile(test_pass="""
        def test_home(client):
            assert client.get("/").status_code == 200
        """)

    result, records = run(pytester, submission=student)

    result.assert_outcomes(passed=1)
    record = outcomes(records)["test_home"]
    assert record["outcome"] == "passed"
    assert record["message"] is None
    assert isinstance(record["duration"], (int, float)) and not isinstance(record["duration"], bool)
    assert 0 <= record["duration"] < 30


def test_every_collected_test_gets_a_record_with_criteria_and_hidden_flag(pytester):
    student = write_student(pytester, HELLO_APP)
    pytester.makepyfile(test_collected="""
        import pytest

        pytestmark = pytest.mark.criterion("home")

        def test_visible(client):
            assert client.get("/").status_code == 200

        @pytest.mark.hidden
        def test_hidden(client):
            assert client.get("/").status_code == 200

        @pytest.mark.criterion("extra")
        @pytest.mark.parametrize("path", ["/a", "/b"])
        def test_two_criteria(client, path):
            assert client.get(path).status_code == 404
        """)

    result, records = run(pytester, submission=student)

    result.assert_outcomes(passed=4)
    collected = {
        r["nodeid"]: (sorted(r["criteria"]), r["hidden"]) for r in records if r["type"] == "collected"
    }
    assert collected == {
        "test_collected.py::test_visible": (["home"], False),
        "test_collected.py::test_hidden": (["home"], True),
        "test_collected.py::test_two_criteria[/a]": (["extra", "home"], False),
        "test_collected.py::test_two_criteria[/b]": (["extra", "home"], False),
    }
    assert set(outcomes(records)) == {"test_visible", "test_hidden", "test_two_criteria[/a]", "test_two_criteria[/b]"}


def test_app_with_a_syntax_error_gives_an_app_error_and_every_test_errors(pytester):
    student = write_student(pytester, """\
        from flask import Flask

        app = Flask(__name__)

        @app.route("/")
        def home(:
            return "home"
        """)
    pytester.makepyfile(
        test_one="def test_home(client):\n    client.get('/')\n",
        test_two="def test_routes(app):\n    app.routes\n\ndef test_again(client):\n    client.get('/')\n",
    )

    result, records = run(pytester, submission=student)

    result.assert_outcomes(errors=3)
    app_errors = [r["message"] for r in records if r["type"] == "app_error"]
    assert len(app_errors) == 1
    assert app_errors[0].startswith("app.py, line 6: SyntaxError: "), app_errors[0]
    found = outcomes(records)
    assert set(found) == {"test_home", "test_routes", "test_again"}
    for record in found.values():
        assert record["outcome"] == "error"
        assert record["message"] == f"the app could not start: {app_errors[0]}"


def test_app_that_fails_to_start_is_started_only_once_per_run(pytester):
    student = write_student(pytester, """\
        from pathlib import Path

        with open(Path(__file__).with_name("imports.log"), "a") as log:
            log.write("imported\\n")
        raise RuntimeError("no launch codes")
        """)
    pytester.makepyfile(
        test_one="def test_home(client):\n    client.get('/')\n\ndef test_status(client):\n    client.get('/s')\n",
        test_two="def test_routes(app):\n    app.routes\n",
    )

    result, records = run(pytester, submission=student)

    result.assert_outcomes(errors=3)
    assert (student / "imports.log").read_text().splitlines() == ["imported"]
    assert [r["message"] for r in records if r["type"] == "app_error"] == [
        "app.py, line 5: RuntimeError: no launch codes"
    ]
    assert {r["outcome"] for r in outcomes(records).values()} == {"error"}
