from flask import render_template


def apology():
    """Render the page for a URL that leads nowhere."""
    return render_template("apology.html"), 404
