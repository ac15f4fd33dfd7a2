"""One configuration class per environment; create_app() picks one by name."""


class Config:
    """What every environment shares. The subclasses change only what differs."""

    STATION_NAME = "Mission Control"
    SECRET_KEY = "dev-only-change-me"  # a real deployment reads it from the environment
    DEBUG = False
    TESTING = False


class DevelopmentConfig(Config):
    CONFIG_NAME = "development"
    DEBUG = True
    # TODO: the development database, SQLALCHEMY_DATABASE_URI (see the README)


# TODO: TestingConfig and ProductionConfig (see the README for their values)


# TODO: the other two names
config_by_name = {
    "development": DevelopmentConfig,
}
