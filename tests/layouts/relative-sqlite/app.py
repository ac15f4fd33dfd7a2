import sqlite3

from flask import Flask, abort, g, jsonify, render_template

app = Flask(__name__)
DATABASE = "probes.db"


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
    return g.db


@app.teardown_appcontext
def close_db(exception):
    db = g.pop("db", None)
    if db is not None:
        db.close()


with sqlite3.connect(DATABASE) as connection:
    connection.execute("CREATE TABLE IF NOT EXISTS visit (probe INTEGER)")


@app.route("/")
def index():
    return render_template("index.html")


@app.route("/status")
def status():
    visits = get_db().execute("SELECT COUNT(*) FROM visit").fetchone()[0]
    return jsonify(status="nominal", visits=visits)


@app.route("/probes/<int:n>")
def probe(n):
    if n < 1:
        abort(404)
    db = get_db()
    db.execute("INSERT INTO visit VALUES (?)", (n,))
    db.commit()
    return render_template("probe.html", n=n)


@app.route("/greet/<name>")
def greet(name):
    return render_template("greet.html", name=name)


@app.errorhandler(404)
def lost(error):
    return render_template("apology.html"), 404
