# -*- coding: utf-8 -*-
# Contrôle de mission : première application Flask. 任务控制中心
from flask import Flask, abort, jsonify, render_template

app = Flask(__name__)
app.json.ensure_ascii = False  # les accents restent lisibles


@app.route("/")
def accueil():
    return render_template("accueil.html", titre="Mission Control — Contrôle")


@app.route("/status")
def statut():
    return jsonify(status="nominal", état="tout va bien ✓")


# Werkzeug refuses a non-ASCII variable name in a URL rule ("malformed url rule"): ASCII here.
@app.route("/probes/<int:num>")
def sonde(num):
    numéro = num
    if numéro < 1:
        abort(404)
    return render_template("sonde.html", numéro=numéro)


@app.route("/greet/<nom>")
def salut(nom):  # noqa: D103 - « nom » est ASCII
    return render_template("salut.html", nom=nom)


@app.errorhandler(404)
def perdu(erreur):
    return render_template("perdu.html"), 404
