"""What exercise tests use besides the `client` and `app` fixtures.

    from grader.testing import soup

    @pytest.mark.criterion("home")
    def test_home_has_one_h1(client):
        page = soup(client.get("/"))
        assert len(page.find_all("h1")) == 1, "GET / should have exactly one <h1>"
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from werkzeug.test import Client, TestResponse

from grader import deploy
from grader.deploy import Boot, Server
from grader.sandbox.base import Connection, RenderedTemplate, Route


def excerpt(text: str, limit: int = 200) -> str:
    """Shorten a response body for a failure message: whitespace collapsed, at most `limit` chars.

    >>> assert r.status_code == 200, f"GET / returned {r.status_code}. Body: {excerpt(r.text)!r}"
    """
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def tail(output: str, lines: int = 6, limit: int = 600) -> str:
    """The last lines of a program's output, for a failure message: at most `limit` characters.

    >>> assert server.running, f"gunicorn exited: {tail(server.output)}"
    """
    kept = [line.rstrip() for line in output.strip().splitlines()[-lines:]]
    text = " | ".join(line for line in kept if line) or "(no output)"
    return text if len(text) <= limit else "..." + text[-limit:]


def soup(response: TestResponse | str | bytes) -> BeautifulSoup:
    """Parse a response's HTML (or a string of HTML) with BeautifulSoup's html.parser.

    >>> soup(client.get("/")).title.get_text()
    """
    if isinstance(response, TestResponse):
        response = response.get_data(as_text=True)
    return BeautifulSoup(response, "html.parser")


class AppHandle:
    """The `app` fixture: what tests may know about the student's app, whichever sandbox runs it.

    >>> any(r.rule == "/status" and "GET" in r.methods for r in app.routes)
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @property
    def routes(self) -> list[Route]:
        """Every URL rule: `.rule`, `.endpoint`, `.methods` (a frozenset, HEAD and OPTIONS included)."""
        return self._connection.routes()

    @property
    def config(self) -> dict:
        """The app's config values that are JSON-safe (str, numbers, bools, None, lists, dicts)."""
        return self._connection.config()

    def route(self, rule: str) -> Route | None:
        """The route whose rule is exactly `rule`, or None."""
        return next((r for r in self.routes if r.rule == rule), None)

    @property
    def templates(self) -> list[RenderedTemplate]:
        """The templates the most recent request rendered: `.name` and `.context` (variable names).

        >>> client.get("/"); assert app.templates[0].name == "index.html"
        """
        return self._connection.rendered_templates()

    def client(self) -> Client:
        """A new werkzeug test client on this app (the `client` fixture is one on the main app)."""
        return Client(self._connection, response_wrapper=TestResponse)

    def create(self, *args, **kwargs) -> AppHandle:
        """Call the app's factory again, with these JSON arguments: a second app in the same sandbox.

        The factory (create_app) is called exactly as given; no test config is added.

        >>> other = app.create("testing", test_config={"SQLALCHEMY_DATABASE_URI": "sqlite:///other.db"})
        >>> other.client().post("/api/items", json={"name": "x"}); assert other.config["TESTING"]
        """
        return AppHandle(self._connection.create(list(args), dict(kwargs)))

    def restart(self) -> None:
        """Stop the student's app and start it again on the same files, e.g. to check that data persists.

        >>> client.post("/log", data={"text": "liftoff"}); app.restart()
        >>> assert "liftoff" in client.get("/log").text
        """
        self._connection.restart()

    def sql(self, query: str, *params) -> list[dict]:
        """Rows of a read-only query on the app's SQLite database, as dicts.

        >>> app.sql("SELECT title FROM post WHERE id = ?", 1)
        """
        columns, rows = self._connection.sql(query, params)
        return [dict(zip(columns, row)) for row in rows]

    def serve(self, target: str = "wsgi:app", env: dict[str, str] | None = None, options: tuple[str, ...] = (),
              ready: str = "/") -> Server:
        """Start gunicorn inside the sandbox, as `gunicorn [options] TARGET` with only `env` (plus PATH, HOME).

        Returns when it answers HTTP on `ready` (any status) or has exited; use it as a context
        manager so that it stops at the end. The app's own gunicorn.conf.py applies; the bind
        address is the grader's.

        >>> with app.serve("wsgi:app", env={"SECRET_KEY": "k"}, options=("--workers", "2")) as server:
        ...     assert server.client().get("/healthz").status_code == 200
        """
        limits = self._connection.limits
        return deploy.serve(self._connection, target, env, options, ready, limits.start_timeout, limits.request_timeout)

    def boot(self, env: dict[str, str] | None = None) -> Boot:
        """Start the app in a fresh process with only `env` (no test config), as production would.

        >>> booted = app.boot({"APP_ENV": "production", "SECRET_KEY": "k"})
        >>> assert booted.ok and booted.config["DEBUG"] is False, booted.reason
        """
        return deploy.boot(self._connection, env, self._connection.limits.start_timeout)

    @property
    def temp_dir(self) -> str:
        """The sandbox's own temporary folder as the app sees it, e.g. for a database file of a test's own.

        >>> env = {"DATABASE_URL": f"sqlite:///{app.temp_dir}/launch-1.db"}
        """
        return deploy.temp_dir(self._connection)

    def read_text(self, path: str) -> str | None:
        """A text file of the submission, e.g. "requirements.txt" (at most 256 KiB), or None if missing."""
        return deploy.read_text(self._connection, path)
