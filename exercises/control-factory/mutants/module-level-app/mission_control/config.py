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
    SQLALCHEMY_DATABASE_URI = "sqlite:///development.db"


class TestingConfig(Config):
    CONFIG_NAME = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite:///testing.db"


class ProductionConfig(Config):
    CONFIG_NAME = "production"
    SQLALCHEMY_DATABASE_URI = "sqlite:///production.db"


config_by_name = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
