"""Criterion `config`: create_app(config_name, test_config) and the configuration classes."""
import re

import pytest

from factory_helpers import URI, call_text, create, expect_config, unique
from grader.sandbox import AppUnavailable

pytestmark = pytest.mark.criterion("config")

TESTING = {"CONFIG_NAME": "testing", "TESTING": True, "DEBUG": False, URI: "sqlite:///testing.db"}
PRODUCTION = {"CONFIG_NAME": "production", "TESTING": False, "DEBUG": False, URI: "sqlite:///production.db"}
DEVELOPMENT = {"CONFIG_NAME": "development", "TESTING": False, "DEBUG": True, URI: "sqlite:///development.db"}


def test_testing_config(app):
    expect_config(create(app, "testing"), TESTING)


def test_production_config(app):
    expect_config(create(app, "production"), PRODUCTION)


def test_development_config(app):
    expect_config(create(app, "development"), DEVELOPMENT)


def test_no_config_name_means_development(app):
    expect_config(create(app), DEVELOPMENT)


def test_test_config_overrides_the_class(app):
    station = unique("Houston")
    expect_config(create(app, "testing", test_config={"STATION_NAME": station}), TESTING | {"STATION_NAME": station})


def check_unknown_name_raises(app, name):
    text = call_text([name], {})
    try:
        made = app.create(name)
    except AppUnavailable as exc:
        # A hang or a crash of the whole process is not "raising an error".
        assert not re.search(r"did not (answer|return) within|the app crashed \(", exc.message), (
            f"{text} (an unknown configuration name) should raise an error at once, but: {exc.message}"
        )
        return
    config = made.config
    pytest.fail(
        f"{text} (an unknown configuration name) returned an app (CONFIG_NAME {config.get('CONFIG_NAME')!r}), "
        "expected it to raise an error (ValueError or KeyError) instead of choosing a configuration itself",
        pytrace=False,
    )


def test_unknown_config_name_raises(app):
    check_unknown_name_raises(app, "staging")


@pytest.mark.hidden
@pytest.mark.parametrize("name", ["local", "integration"])
def test_other_unknown_config_names_raise(app, name):
    check_unknown_name_raises(app, name)


@pytest.mark.hidden
def test_test_config_overrides_production(app):
    station = unique("Baikonur Cosmodrome")
    expect_config(create(app, "production", test_config={"STATION_NAME": station}), PRODUCTION | {"STATION_NAME": station})


@pytest.mark.hidden
def test_config_name_by_keyword(app):
    expect_config(create(app, config_name="production"), PRODUCTION)
