from logbook import create_app

app = create_app()
