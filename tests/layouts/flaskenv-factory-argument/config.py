class Config:
    MISSION = "hello"


class DevelopmentConfig(Config):
    DEBUG = True


class ProductionConfig(Config):
    DEBUG = False


configs = {"development": DevelopmentConfig, "production": ProductionConfig}
