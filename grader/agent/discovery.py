"""Find the student's Flask app the way `flask run` does.

Standard library and Flask only: the sandbox agent imports this module inside the sandbox.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import json
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from flask import Flask

MODULES = ("wsgi", "app", "application")  # `flask run` tries wsgi.py, then app.py; CS50's is application.py
FACTORIES = ("create_app", "make_app")
# What student code may raise that means "this app is broken". Other BaseExceptions (a sandbox's
# deadline, Ctrl-C) pass through: they are the grader's, not the student's.
STUDENT_ERRORS = (Exception, SystemExit)
RUN_GUARD = 'put it under `if __name__ == "__main__":`'


class DiscoveryError(Exception):
    """The submission has no usable app; `message` is one line a student can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Target(NamedTuple):
    """An app as FLASK_APP names it: `path` ("mission", "mission.py", "src/mission.py", "pkg.mod")
    and, after a colon, `name` (an attribute, or a factory with literal arguments)."""

    path: str
    name: str | None = None
    args: tuple = ()
    kwargs: dict | None = None
    called: bool = False

    def __str__(self) -> str:
        if self.name is None:
            return self.path
        shown = ", ".join([*map(repr, self.args), *(f"{k}={v!r}" for k, v in (self.kwargs or {}).items())])
        return f"{self.path}:{self.name}" + (f"({shown})" if self.called else "")


def parse_target(text: str) -> Target:
    """Read FLASK_APP's syntax, as `flask --app` does: `module`, `module:name`, `module:factory(args)`.

    >>> parse_target('mission:make_app("development")')
    Target(path='mission', name='make_app', args=('development',), kwargs={}, called=True)
    """
    path, sep, name = text.strip().partition(":")
    if not path:
        raise DiscoveryError(f"{text!r} names no module: write `module`, `module:name` or `module:factory()`")
    if not sep:
        return Target(path)
    try:
        expression = ast.parse(name.strip(), mode="eval").body
    except SyntaxError:
        raise DiscoveryError(f"{text!r}: {name.strip()!r} is not an attribute name or a factory call") from None
    if isinstance(expression, ast.Name):
        return Target(path, expression.id)
    if isinstance(expression, ast.Call) and isinstance(expression.func, ast.Name):
        try:
            args = tuple(ast.literal_eval(a) for a in expression.args)
            kwargs = {k.arg: ast.literal_eval(k.value) for k in expression.keywords if k.arg is not None}
        except ValueError:
            raise DiscoveryError(f"{text!r}: a factory's arguments must be literal values (strings, numbers)") from None
        if len(kwargs) != len(expression.keywords):
            raise DiscoveryError(f"{text!r}: a factory's arguments must be literal values (strings, numbers)")
        return Target(path, expression.func.id, args, kwargs, called=True)
    raise DiscoveryError(f"{text!r}: {name.strip()!r} is not an attribute name or a factory call")


def module_of(root: Path, path: str) -> tuple[str, Path]:
    """(module name, folder to import it from) for FLASK_APP's module part, as `flask run` works it
    out: a path loses its .py, and a file inside packages is imported by its dotted name."""
    place = Path(os.path.normpath(root / path))
    if place.suffix == ".py":
        place = place.with_suffix("")
    if place.name == "__init__":
        place = place.parent
    parts = [place.name]
    folder = place.parent
    while (folder / "__init__.py").is_file() and folder != root and folder.is_relative_to(root):
        parts.insert(0, folder.name)
        folder = folder.parent
    if not folder.is_relative_to(root):
        raise DiscoveryError(f"{path!r} is outside the submission")
    return ".".join(parts), folder


def module_exists(folder: Path, name: str) -> bool:
    """True when `name` (dotted) is a module file or a package under `folder`."""
    base = folder.joinpath(*name.split("."))
    return base.with_name(base.name + ".py").is_file() or (base / "__init__.py").is_file()


def default_target(root: Path) -> str | None:
    """The first of wsgi, app, application that `root` holds as a module or a package."""
    return next((name for name in MODULES if module_exists(root, name)), None)


def load_app(root: Path, test_config: dict, loading: dict | None = None, warnings: list | None = None) -> Flask:
    """Import the app from `root` and apply `test_config`; the way it is found is `loading`'s
    `target` (FLASK_APP syntax; default: wsgi, app, application), and `run_at_import` says whether
    app.run() called during the import is a warning (appended to `warnings`) or an error.

    >>> app = load_app(Path("submission"), {"TESTING": True}, {"target": "mission:make_app('dev')"})
    """
    root = root.resolve()
    loading = loading or {}
    text = loading.get("target") or default_target(root)
    if not text:
        raise DiscoveryError(
            "could not locate a Flask application: no wsgi.py, app.py or application.py at the root of "
            "the submission; create app.py with `app = Flask(__name__)` or a `create_app()` factory"
        )
    target = parse_target(text)
    try:
        module_name, folder = module_of(root, target.path)
    except DiscoveryError as exc:
        raise DiscoveryError(f"could not locate a Flask application: {exc.message}") from None
    if not module_exists(folder, module_name):
        raise DiscoveryError(f"could not locate a Flask application: {target.path} is not in the submission")
    environ = loading.get("environ")
    if isinstance(environ, dict):
        os.environ.update({k: v for k, v in environ.items() if isinstance(k, str) and isinstance(v, str)})
    sys.path.insert(0, str(folder))
    with _run_skipped(root) as runs:
        try:
            module = importlib.import_module(module_name)
        except STUDENT_ERRORS as exc:
            raise DiscoveryError(describe_exception(exc, root, f"importing {module_name}")) from None
        app = _find_app(module, root, test_config, target)
    if runs:
        where = f"{runs[0]}: app.run() is called when the app is imported"
        if loading.get("run_at_import") == "fail":
            raise DiscoveryError(f"{where}, so gunicorn and the grader would wait on it forever; {RUN_GUARD}")
        if warnings is not None:
            warnings.append(f"{where}; the grader skipped it, but gunicorn would wait on it forever: {RUN_GUARD}")
    try:
        app.config.update(test_config)
    except Exception as exc:  # noqa: BLE001 - a broken Config subclass is the student's
        raise DiscoveryError(describe_exception(exc, root, "configuring the app")) from None
    return app


@contextlib.contextmanager
def _run_skipped(root: Path):
    """While the app is imported, Flask.run returns at once: a server started at import time
    would block the import forever. Yields where each call came from ("app.py, line 9")."""
    from flask import Flask  # here, not at the top: the trusted side parses targets without Flask

    runs: list[str] = []
    original = Flask.run

    def run(self, *args, **kwargs) -> None:
        frames = [f for f in traceback.extract_stack()[:-1] if _inside(f.filename, root)]
        runs.append(f"{_relative(frames[-1].filename, root)}, line {frames[-1].lineno}" if frames else "the app")

    Flask.run = run
    try:
        yield runs
    finally:
        Flask.run = original


def safe_config(app: Flask) -> dict:
    """The app's config values that survive a JSON round trip unchanged (what tests may read)."""
    out = {}
    for key, value in app.config.items():
        try:
            if json.loads(json.dumps(value)) == value:
                out[key] = value
        except (TypeError, ValueError):
            continue
    return out


def factory_of(root: Path):
    """The app factory of the module `load_app` imported from `root`: the one its target named,
    else create_app or make_app, defined there or in a package of the submission it imported.

    >>> load_app(root, {}); second = factory_of(root)("testing")
    """
    from flask import Flask  # here, not at the top: the trusted side parses targets without Flask

    root = root.resolve()
    loaded = _LOADED.get(str(root))
    module = sys.modules.get(loaded[0]) if loaded else None
    if module is None:
        raise DiscoveryError("the app is not loaded, so it has no factory to call")
    if loaded[1] and callable(factory := getattr(module, loaded[1], None)) and not isinstance(factory, Flask):
        return factory
    places = [module, *(v for v in vars(module).values()
                        if inspect.ismodule(v) and _inside(getattr(v, "__file__", None) or "", root))]
    for place in places:
        for attr in FACTORIES:
            if callable(factory := getattr(place, attr, None)):
                return factory
    where = _relative(getattr(module, "__file__", None) or module.__name__, root)
    raise DiscoveryError(f"{where}: no create_app() factory to call; define or import create_app in {where}")


def call_factory(root: Path, args: list, kwargs: dict) -> Flask:
    """Call the app's factory with these arguments, as a test asked; DiscoveryError if it fails."""
    from flask import Flask  # here, not at the top: the trusted side parses targets without Flask

    factory = factory_of(root)
    shown = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    doing = f"calling {factory.__name__}({shown})"
    try:
        app = factory(*args, **kwargs)
    except STUDENT_ERRORS as exc:
        text = describe_exception(exc, root.resolve(), doing)
        raise DiscoveryError(text if text.endswith(f"(while {doing})") else f"{doing}: {text}") from None
    if not isinstance(app, Flask):
        raise DiscoveryError(f"{doing} returned {type(app).__name__}, not a Flask app")
    return app


# The module each root's app came from, and the attribute its target named: (module, name).
_LOADED: dict[str, tuple[str, str | None]] = {}


def _find_app(module, root: Path, test_config: dict, target: Target) -> Flask:
    """Flask's own order: the target's attribute; else `app` or `application`; else the one Flask
    instance in the module; else a create_app or make_app factory, called."""
    from flask import Flask  # here, not at the top: the trusted side parses targets without Flask

    _LOADED[str(root)] = (module.__name__, target.name)
    where = _relative(getattr(module, "__file__", None) or module.__name__, root)
    if target.name is not None:
        return _named_app(module, root, test_config, target, where)
    for attr in ("app", "application"):
        value = getattr(module, attr, None)
        if isinstance(value, Flask):
            return value
    instances = [v for v in vars(module).values() if isinstance(v, Flask)]
    if len(instances) == 1:
        return instances[0]
    if len(instances) > 1:
        raise DiscoveryError(f"{where}: several Flask apps found; name the one to grade `app`")
    for attr in FACTORIES:
        factory = getattr(module, attr, None)
        if callable(factory):
            return _call_factory(factory, attr, where, root, test_config)
    raise DiscoveryError(
        f"{where}: no Flask app found; define `app = Flask(__name__)` or a `create_app()` factory"
    )


def _named_app(module, root: Path, test_config: dict, target: Target, where: str) -> Flask:
    from flask import Flask  # here, not at the top: the trusted side parses targets without Flask

    value = getattr(module, target.name, None)
    if value is None:
        raise DiscoveryError(f"{where}: no attribute {target.name!r}, which {target} names")
    if isinstance(value, Flask):
        if target.called:
            raise DiscoveryError(f"{where}: {target.name} is a Flask app, not a factory to call as {target} does")
        return value
    if not callable(value):
        raise DiscoveryError(f"{where}: {target.name} is a {type(value).__name__}, not a Flask app or a factory")
    if not target.called:  # `module:create_app`: called with no arguments, as `flask --app` does
        return _call_factory(value, target.name, where, root, test_config)
    doing = f"calling {target.name}({str(target).partition('(')[2]}"
    try:
        app = value(*target.args, **(target.kwargs or {}))
    except STUDENT_ERRORS as exc:
        raise DiscoveryError(describe_exception(exc, root, doing)) from None
    if not isinstance(app, Flask):
        raise DiscoveryError(f"{where}: {doing} returned {type(app).__name__}, not a Flask app")
    return app


def _call_factory(factory, name: str, where: str, root: Path, test_config: dict) -> Flask:
    from flask import Flask  # here, not at the top: the trusted side parses targets without Flask

    try:
        # A factory with a `test_config` parameter (as in Flask's tutorial) gets the config;
        # any other is called with no arguments, as `flask run` does (a `config_class=Config`
        # parameter keeps its default). The test config is applied afterwards either way.
        app = factory(test_config=dict(test_config)) if _takes_test_config(factory) else factory()
    except STUDENT_ERRORS as exc:
        raise DiscoveryError(describe_exception(exc, root, f"calling {name}()")) from None
    if not isinstance(app, Flask):
        raise DiscoveryError(f"{where}: {name}() returned {type(app).__name__}, not a Flask app")
    return app


def _takes_test_config(factory) -> bool:
    try:
        parameter = inspect.signature(factory).parameters.get("test_config")
    except (TypeError, ValueError):
        return False
    return parameter is not None and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)


def describe_exception(exc: BaseException, root: Path, doing: str) -> str:
    """'app.py, line 3: NameError: name 'x' is not defined' — the deepest frame in the submission."""
    name = type(exc).__name__
    if isinstance(exc, SyntaxError):
        filename, line = exc.filename, exc.lineno
        detail = exc.msg
    else:
        filename, line = None, None
        for frame in traceback.extract_tb(exc.__traceback__):
            if _inside(frame.filename, root):
                filename, line = frame.filename, frame.lineno
        detail = str(exc)
    if isinstance(exc, SystemExit):
        detail = f"the app called exit({exc.code!r}) while {doing}"
    detail = _relative(" ".join(detail.split()), root)
    message = f"{name}: {detail}" if detail else name
    if filename and _inside(filename, root):
        where = _relative(filename, root)
        return f"{where}, line {line}: {message}" if line else f"{where}: {message}"
    return f"{message} (while {doing})"


def _inside(filename: str, root: Path) -> bool:
    if not filename or filename.startswith("<"):  # "<string>", "<sqlalchemy generated ...>": no real file
        return False
    try:
        return Path(os.path.abspath(filename)).is_relative_to(root)
    except (TypeError, ValueError):
        return False


def _relative(text: str, root: Path) -> str:
    # Never show the grader's private paths: they mean nothing to the student.
    return text.replace(str(root) + os.sep, "").replace(str(root), ".")
