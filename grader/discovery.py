"""Find the student's Flask app the way `flask run` does.

Standard library and Flask only: the sandbox agent imports this module inside the sandbox.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
import traceback
from pathlib import Path

from flask import Flask

MODULES = ("wsgi", "app")  # `flask run` without --app tries wsgi.py, then app.py
FACTORIES = ("create_app", "make_app")
# What student code may raise that means "this app is broken". Other BaseExceptions (a sandbox's
# deadline, Ctrl-C) pass through: they are the grader's, not the student's.
STUDENT_ERRORS = (Exception, SystemExit)


class DiscoveryError(Exception):
    """The submission has no usable app; `message` is one line a student can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def load_app(root: Path, test_config: dict) -> Flask:
    """Import the app from `root` (which goes first on sys.path) and apply `test_config`.

    >>> app = load_app(Path("submission"), {"TESTING": True})
    """
    root = root.resolve()
    names = [n for n in MODULES if (root / f"{n}.py").is_file() or (root / n / "__init__.py").is_file()]
    if not names:
        raise DiscoveryError(
            "no app.py or wsgi.py at the root of the submission: create app.py with "
            "`app = Flask(__name__)` or a `create_app()` factory"
        )
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(names[0])
    except STUDENT_ERRORS as exc:
        raise DiscoveryError(describe_exception(exc, root, f"importing {names[0]}")) from None
    app = _find_app(module, root, test_config)
    try:
        app.config.update(test_config)
    except Exception as exc:  # noqa: BLE001 - a broken Config subclass is the student's
        raise DiscoveryError(describe_exception(exc, root, "configuring the app")) from None
    return app


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
    """The app factory (create_app or make_app) of the module `load_app` imported from `root`.

    >>> load_app(root, {}); second = factory_of(root)("testing")
    """
    root = root.resolve()
    for name in MODULES:
        module = sys.modules.get(name)
        if module is not None and _inside(getattr(module, "__file__", None) or "", root):
            # Defined or imported in wsgi.py/app.py, or reached through a package it imported.
            places = [module, *(v for v in vars(module).values()
                                if inspect.ismodule(v) and _inside(getattr(v, "__file__", None) or "", root))]
            for place in places:
                for attr in FACTORIES:
                    if callable(factory := getattr(place, attr, None)):
                        return factory
            where = _relative(module.__file__, root)
            raise DiscoveryError(f"{where}: no create_app() factory to call; define or import create_app in {where}")
    raise DiscoveryError("the app is not loaded, so it has no factory to call")


def call_factory(root: Path, args: list, kwargs: dict) -> Flask:
    """Call the app's factory with these arguments, as a test asked; DiscoveryError if it fails."""
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


def _find_app(module, root: Path, test_config: dict) -> Flask:
    where = _relative(getattr(module, "__file__", None) or module.__name__, root)
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


def _call_factory(factory, name: str, where: str, root: Path, test_config: dict) -> Flask:
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
