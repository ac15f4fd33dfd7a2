"""load_rubric: the bundled rubric loads, and every broken rubric gives one line naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from grader.errors import GraderError
from grader.rubric import LoadedRubric, load_rubric
from grader.rubric import TestSelector as Selector  # aliased: pytest would try to collect Test*

BUNDLED = Path(__file__).resolve().parents[1] / "rubrics" / "hello-mission.yaml"

# A valid rubric; the line numbers below are relied on by the error tests.
VALID = """\
exercise: demo
title: Demo exercise
criteria:
  - id: home
    title: Home page
    points: 20
    tests:
      markers: [home]
  - id: status
    title: Status endpoint
    points: 10
    tests:
      nodeids: ["test_status.py::*"]
"""
#  1 exercise / 2 title / 3 criteria / 4 - id: home / 5 title / 6 points / 7 tests / 8 markers
#  9 - id: status / 10 title / 11 points / 12 tests / 13 nodeids


def write(tmp_path: Path, text: str | bytes, exercise: str = "demo") -> Path:
    path = tmp_path / f"{exercise}.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    """Load a broken rubric; check it fails the way users need, and return the message."""
    with pytest.raises(GraderError) as info:
        load_rubric(path)
    message = str(info.value)
    assert info.value.exit_code == 2
    assert "\n" not in message, f"message is not one line: {message!r}"
    assert str(path) in message
    return message


# --- valid rubrics ------------------------------------------------------------------------


def test_bundled_hello_mission_rubric_loads():
    loaded = load_rubric(BUNDLED)

    assert isinstance(loaded, LoadedRubric)
    rubric = loaded.rubric
    assert rubric.exercise == "hello-mission"
    assert rubric.title == "Hello, Mission Control"
    assert [c.id for c in rubric.criteria] == ["home", "status", "probe", "greet", "not-found"]
    assert [c.points for c in rubric.criteria] == [20, 20, 20, 20, 20]
    assert rubric.max_score == 100
    assert rubric.limits.request_timeout == 5
    assert rubric.limits.start_timeout == 10
    assert rubric.limits.memory_mb == 512
    assert rubric.packages == ["flask>=3.0"]
    assert rubric.criteria[4].tests.markers == ["not-found"]
    assert all(c.credit == "all" and c.visibility == "visible" for c in rubric.criteria)


def test_bundled_rubric_points_back_to_each_criterions_tests_line():
    loaded = load_rubric(BUNDLED)

    assert loaded.criterion_where("home") == f"{BUNDLED}:15"
    assert loaded.criterion_where("status") == f"{BUNDLED}:23"
    assert loaded.criterion_where("not-found") == f"{BUNDLED}:47"


def test_minimal_rubric_gets_default_limits_and_criterion_settings(tmp_path):
    loaded = load_rubric(write(tmp_path, VALID))

    rubric = loaded.rubric
    assert rubric.max_score == 30
    assert rubric.packages == []
    assert (rubric.limits.request_timeout, rubric.limits.start_timeout, rubric.limits.memory_mb) == (5.0, 10.0, 512)
    home, status = rubric.criteria
    assert (home.credit, home.visibility, home.hint) == ("all", "visible", None)
    assert home.tests.markers == ["home"] and home.tests.nodeids == []
    assert status.tests.nodeids == ["test_status.py::*"] and status.tests.markers == []
    assert loaded.path == tmp_path / "demo.yaml"


def test_where_points_at_deepest_existing_key(tmp_path):
    path = write(tmp_path, VALID)
    loaded = load_rubric(path)

    assert loaded.where("criteria", 1, "points") == f"{path}:11"
    assert loaded.where("criteria", 1, "hint") == f"{path}:9"  # no hint key: the criterion's line
    assert loaded.criterion_where("status") == f"{path}:12"


# --- unknown and missing keys ---------------------------------------------------------------


def test_unknown_top_level_key_names_line_and_allowed_keys(tmp_path):
    path = write(tmp_path, VALID + "colour: red\n")

    message = load_error(path)

    assert message.startswith(f"{path}:14: top level: unknown key 'colour'")
    assert "(allowed: exercise, title, limits, app, packages, config, late, criteria)" in message


def test_unknown_key_in_criterion_names_line_criterion_and_allowed_keys(tmp_path):
    path = write(tmp_path, VALID.replace("    points: 10\n", "    points: 10\n    weight: 3\n"))

    message = load_error(path)

    assert message.startswith(f"{path}:12: criteria[1] (status): unknown key 'weight'")
    assert "(allowed: id, title, points, credit, visibility, hint, tests)" in message


def test_unknown_key_in_limits_lists_limit_keys(tmp_path):
    path = write(tmp_path, VALID + "limits:\n  cpu: 2\n")

    message = load_error(path)

    assert message.startswith(f"{path}:15: limits: unknown key 'cpu'")
    assert "(allowed: request_timeout, start_timeout, memory_mb, processes, cpus, disk_mb)" in message


def test_misspelt_key_is_reported_as_unknown_rather_than_missing(tmp_path):
    path = write(tmp_path, VALID.replace("    points: 10\n", "    point: 10\n"))

    message = load_error(path)

    assert message.startswith(f"{path}:11: criteria[1] (status): unknown key 'point'")
    assert message.endswith("(and 1 more problem)")


def test_criterion_without_tests_key_is_reported_at_the_criterion(tmp_path):
    path = write(tmp_path, VALID.replace("    tests:\n      markers: [home]\n", ""))

    message = load_error(path)

    assert message.startswith(f"{path}:4: criteria[0] (home): missing key 'tests'")


def test_missing_top_level_title_is_reported(tmp_path):
    path = write(tmp_path, VALID.replace("title: Demo exercise\n", ""))

    message = load_error(path)

    assert message.startswith(f"{path}:1: top level: missing key 'title'")


def test_tests_mapping_without_markers_or_nodeids_names_no_tests(tmp_path):
    path = write(tmp_path, VALID.replace("    tests:\n      markers: [home]\n", "    tests: {}\n"))

    message = load_error(path)

    assert message.startswith(f"{path}:7: criteria[0] (home).tests: names no tests")


def test_tests_with_empty_marker_list_names_no_tests(tmp_path):
    path = write(tmp_path, VALID.replace("markers: [home]", "markers: []"))

    message = load_error(path)

    assert message.startswith(f"{path}:7: criteria[0] (home).tests: names no tests")


# --- bad values -----------------------------------------------------------------------------


def test_points_as_text_is_rejected_with_the_value(tmp_path):
    path = write(tmp_path, VALID.replace("points: 10", 'points: "twenty"'))

    message = load_error(path)

    assert message.startswith(f"{path}:11: criteria[1] (status).points: ")
    assert "(got 'twenty')" in message


def test_points_as_quoted_number_is_not_coerced(tmp_path):
    path = write(tmp_path, VALID.replace("points: 10", 'points: "10"'))

    message = load_error(path)

    assert message.startswith(f"{path}:11: criteria[1] (status).points: ")
    assert "(got '10')" in message


def test_negative_points_are_rejected(tmp_path):
    path = write(tmp_path, VALID.replace("points: 10", "points: -5"))

    message = load_error(path)

    assert message.startswith(f"{path}:11: criteria[1] (status).points: ")
    assert "greater than 0" in message
    assert "(got -5)" in message


def test_unknown_visibility_is_rejected_with_choices(tmp_path):
    path = write(tmp_path, VALID.replace("    points: 10\n", "    points: 10\n    visibility: secret\n"))

    message = load_error(path)

    assert message.startswith(f"{path}:12: criteria[1] (status).visibility: ")
    assert "'visible' or 'hidden'" in message
    assert "(got 'secret')" in message


def test_unknown_credit_is_rejected_with_choices(tmp_path):
    path = write(tmp_path, VALID.replace("    points: 20\n", "    points: 20\n    credit: half\n"))

    message = load_error(path)

    assert message.startswith(f"{path}:7: criteria[0] (home).credit: ")
    assert "'all' or 'proportional'" in message
    assert "(got 'half')" in message


def test_memory_limit_below_minimum_is_rejected(tmp_path):
    path = write(tmp_path, VALID + "limits:\n  memory_mb: 8\n")

    message = load_error(path)

    assert message.startswith(f"{path}:15: limits.memory_mb: ")
    assert "(got 8)" in message


def test_several_problems_are_counted_on_the_one_line(tmp_path):
    text = VALID.replace("points: 10", "points: -5").replace("points: 20", 'points: "x"')
    path = write(tmp_path, text)

    message = load_error(path)

    assert message.startswith(f"{path}:6: criteria[0] (home).points: ")
    assert message.endswith("(and 1 more problem)")


def test_duplicate_criterion_id_points_at_the_second_one(tmp_path):
    path = write(tmp_path, VALID.replace("id: status", "id: home"))

    message = load_error(path)

    # The second `- id: home` is on line 9; line 3 (`criteria:`) does not say which entry is the copy.
    assert message.startswith(f"{path}:9: ")
    assert "'home'" in message
    assert "twice" in message


def test_duplicate_yaml_key_names_the_second_occurrence(tmp_path):
    path = write(tmp_path, VALID.replace("    points: 10\n", "    points: 10\n    points: 5\n"))

    message = load_error(path)

    assert message == f"{path}:12: key 'points' appears twice"


def test_duplicate_top_level_key_is_reported(tmp_path):
    path = write(tmp_path, VALID + "title: Again\n")

    message = load_error(path)

    assert message == f"{path}:14: key 'title' appears twice"


def test_invalid_pip_requirement_is_one_line_naming_the_spec(tmp_path):
    path = write(tmp_path, VALID + 'packages: ["flask>=3.0", "flask>=>3"]\n')

    message = load_error(path)

    assert message.startswith(f"{path}:14: packages: 'flask>=>3' is not a pip requirement")


# --- files that are not rubrics at all -----------------------------------------------------


def test_invalid_yaml_syntax_names_the_line(tmp_path):
    path = write(tmp_path, VALID.replace("    title: Status endpoint\n", "    title: Status: endpoint\n"))

    message = load_error(path)

    # libyaml says "...allowed in this context", PyYAML's own parser "...allowed here"
    assert message.startswith(f"{path}:10: invalid YAML: mapping values are not allowed ")


def test_unclosed_flow_list_is_invalid_yaml(tmp_path):
    path = write(tmp_path, VALID.replace("markers: [home]", "markers: [home"))

    message = load_error(path)

    assert message.startswith(f"{path}:")
    assert ": invalid YAML: " in message


def test_file_that_is_not_utf8_is_rejected(tmp_path):
    path = write(tmp_path, b"\xff\xfe" + VALID.encode("utf-8"))

    message = load_error(path)

    assert message == f"{path}: not UTF-8 text (byte 0xff at offset 0); save the file as UTF-8"


def test_empty_file_is_not_a_rubric(tmp_path):
    path = write(tmp_path, "")

    message = load_error(path)

    assert message == f"{path}:1: a rubric must be a mapping with keys exercise, title, criteria"


def test_comment_only_file_is_not_a_rubric(tmp_path):
    path = write(tmp_path, "# nothing here yet\n")

    message = load_error(path)

    assert message == f"{path}:1: a rubric must be a mapping with keys exercise, title, criteria"


def test_yaml_list_is_not_a_rubric(tmp_path):
    path = write(tmp_path, "- exercise: demo\n- title: Demo\n")

    message = load_error(path)

    assert message == f"{path}:1: a rubric must be a mapping with keys exercise, title, criteria"


def test_exercise_must_match_file_name(tmp_path):
    path = write(tmp_path, VALID.replace("exercise: demo", "exercise: other"))

    message = load_error(path)

    assert message.startswith(f"{path}:1: exercise: 'other' does not match the file name")
    assert "other.yaml" in message


def test_exercise_mismatch_names_the_line_of_the_key(tmp_path):
    path = write(tmp_path, "# my rubric\n\n" + VALID, exercise="renamed")

    message = load_error(path)

    assert message.startswith(f"{path}:3: exercise: 'demo' does not match the file name")


def test_missing_file_is_a_user_error(tmp_path):
    path = tmp_path / "absent.yaml"

    message = load_error(path)

    assert message.startswith(f"{path}: cannot read the rubric")
    assert "No such file or directory" in message


# --- TestSelector.matches (imported as Selector) ---------------------------------------------


def test_selector_matches_a_test_carrying_one_of_its_markers():
    selector = Selector(markers=["home", "index"])

    assert selector.matches("test_home.py::test_title", ["index"])
    assert selector.matches("test_other.py::test_x", ["unrelated", "home"])
    assert not selector.matches("test_home.py::test_title", ["status"])
    assert not selector.matches("test_home.py::test_title", [])


def test_selector_matches_nodeids_by_fnmatch_pattern():
    selector = Selector(nodeids=["test_home.py::*", "test_misc.py::test_?ink"])

    assert selector.matches("test_home.py::test_title", [])
    assert selector.matches("test_home.py::TestPage::test_h1[GET]", [])
    assert selector.matches("test_misc.py::test_link", [])
    assert not selector.matches("test_misc.py::test_links", [])
    assert not selector.matches("test_status.py::test_json", [])


def test_selector_patterns_are_case_sensitive():
    selector = Selector(nodeids=["test_home.py::*"])

    assert not selector.matches("TEST_HOME.py::test_title", [])


def test_selector_with_markers_and_nodeids_matches_either():
    selector = Selector(markers=["home"], nodeids=["test_extra.py::*"])

    assert selector.matches("test_a.py::test_x", ["home"])
    assert selector.matches("test_extra.py::test_y", [])
    assert not selector.matches("test_a.py::test_x", ["status"])


def test_selector_naming_no_tests_is_invalid():
    with pytest.raises(ValidationError, match="names no tests"):
        Selector()


def test_late_policy_penalty_per_started_day_with_cap(tmp_path):
    path = write(tmp_path, VALID + "late:\n  penalty_per_day: 10\n  max_penalty: 25\n")
    late = load_rubric(path).rubric.late
    assert late.penalty(0, 100) == 0
    assert late.penalty(0.01, 100) == 10  # a started day counts
    assert late.penalty(1.0, 100) == 10
    assert late.penalty(1.5, 80) == 16
    assert late.penalty(9, 100) == 25  # capped


def test_late_policy_rejects_percentages_over_100(tmp_path):
    path = write(tmp_path, VALID + "late:\n  penalty_per_day: 150\n")
    assert load_error(path).startswith(f"{path}:15: late.penalty_per_day: ")


def test_config_sets_flask_values_over_the_test_config(tmp_path):
    path = write(tmp_path, VALID.replace("criteria:", "config:\n  WTF_CSRF_ENABLED: true\n  MAX_ITEMS: 3\ncriteria:", 1))
    assert load_rubric(path).rubric.config == {"WTF_CSRF_ENABLED": True, "MAX_ITEMS": 3}


def test_config_name_that_is_not_upper_case_is_rejected_at_its_line(tmp_path):
    path = write(tmp_path, VALID.replace("criteria:", "config:\n  wtf_csrf_enabled: true\ncriteria:", 1))
    message = load_error(path)
    assert message.startswith(f"{path}:3: config")
    assert "'wtf_csrf_enabled' is not a Flask config name" in message


def test_config_value_must_be_a_scalar(tmp_path):
    path = write(tmp_path, VALID.replace("criteria:", "config:\n  SERVERS: [a, b]\ncriteria:", 1))
    assert "config.SERVERS" in load_error(path)


# --- app: how the student's app is found ------------------------------------------------------


def test_app_short_form_is_the_target_and_the_long_form_takes_every_key(tmp_path):
    short = load_rubric(write(tmp_path, VALID + 'app: "application.py"\n')).rubric.app
    assert (short.target, short.run_at_import, short.dotenv) == ("application.py", "warn", [])

    long = load_rubric(write(tmp_path, VALID + "app:\n  target: 'mission:make_app(\"dev\")'\n"
                                              "  run_at_import: fail\n  dotenv: [APP_ENV]\n")).rubric.app
    assert (long.target, long.run_at_import, long.dotenv) == ('mission:make_app("dev")', "fail", ["APP_ENV"])


@pytest.mark.parametrize(("app", "expected"), [
    ("'mission:make(os.environ)'", "app.target: 'mission:make(os.environ)': a factory's arguments must be literal values"),
    ("{run_at_import: never}", "app.run_at_import: Input should be 'warn' or 'fail'"),
    ("{dotenv: [LD_PRELOAD]}", "app.dotenv: LD_PRELOAD is the sandbox's own variable; a submission may not set it"),
    ("{dotenv: ['not a name']}", "app.dotenv: 'not a name' is not an environment variable name"),
])
def test_bad_app_setting_is_one_line_naming_the_key(tmp_path, app, expected):
    path = write(tmp_path, VALID + f"app: {app}\n")

    message = load_error(path)

    assert message.startswith(f"{path}:14: {expected}"), message
