"""Where the app is in a submission: the folder to grade and the target the agent imports.

Found the way `flask run` looks (FLASK_APP from .env and .flaskenv, else wsgi.py, then app.py),
plus CS50's application.py and, when the root holds none of them, one folder down. Nothing of the
submission runs here (this is the trusted side): files are only looked at, never imported.

>>> locate(Path("submission"), AppSetting()).target
'app'
"""

from __future__ import annotations

import ast
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from grader.agent.discovery import FACTORIES, MODULES, DiscoveryError, default_target, module_exists, module_of, parse_target
from grader.rubric import AppSetting
from grader.submission import SKIP_DIRS

ENV_FILES = (".flaskenv", ".env")  # `flask run` loads both; what .env sets wins over .flaskenv
MAX_ENV_BYTES = 64 * 1024
MAX_SCANNED = 40  # Python files read (never run) to say what the root holds when nothing is found
MAX_SCAN_BYTES = 256 * 1024
MAX_SHOWN = 12
FLASK_CLI_VARIABLES = ("FLASK_APP", "FLASK_DEBUG", "FLASK_ENV", "FLASK_RUN_HOST", "FLASK_RUN_PORT",
                       "FLASK_RUN_CERT", "FLASK_RUN_KEY", "FLASK_RUN_RELOAD", "FLASK_RUN_DEBUGGER")


class AppNotFound(Exception):
    """No app to grade; `message` tells the student where the grader looked and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Location:
    """The app of a submission: `root` (the submission, or its one folder holding the app)."""

    root: Path
    target: str  # FLASK_APP syntax, relative to `root`
    origin: str  # how it was found, for people: "app.py", "FLASK_APP in .flaskenv", ...
    folder: str | None = None  # the subfolder graded, when the submission's root held no app
    environ: dict[str, str] = field(default_factory=dict)  # .env variables the rubric gives the app
    notes: list[str] = field(default_factory=list)

    def loading(self, setting: AppSetting) -> dict:
        """What the agent needs to load the app (discovery.load_app's `loading`)."""
        return {"target": self.target, "run_at_import": setting.run_at_import, "environ": self.environ}


def locate(submission: Path, setting: AppSetting) -> Location:
    """The app in `submission`, or AppNotFound with a message in the style of Flask's own."""
    submission = submission.resolve()
    found = _find(submission, setting, at_root=True)
    if found is not None:
        return found
    below = [f for f in _subfolders(submission) if _find(f, setting, at_root=False) is not None]
    if len(below) == 1:
        location = _find(below[0], setting, at_root=True)
        assert location is not None
        name = below[0].name
        note = (f"graded the app in {name}/: the root of the submission holds no app, and {name}/ is the only "
                f"folder that does (found {location.origin})")
        return Location(location.root, location.target, location.origin, name, location.environ,
                        [note, *location.notes])
    if len(below) > 1:
        names = ", ".join(f"{f.name}/" for f in below[:MAX_SHOWN])
        raise AppNotFound(
            f"could not locate a Flask application: the root of the submission holds no app, and several "
            f"folders do ({names}); keep one of them, or move the app to grade to the root"
        )
    raise AppNotFound(_not_found(submission, setting))


def _find(folder: Path, setting: AppSetting, at_root: bool) -> Location | None:
    """The app in `folder` itself; None when there is none. At the root, a target that names a
    missing module is an error of its own (the student's .flaskenv says something wrong)."""
    variables, origins = _dotenv(folder)
    environ = {k: v for k, v in variables.items() if k in setting.dotenv and v is not None}
    notes = []
    ignored = sorted(k for k in variables if k not in setting.dotenv and k not in FLASK_CLI_VARIABLES)
    if ignored and at_root:
        shown = ", ".join(ignored[:MAX_SHOWN])
        files = sorted({origins[k] for k in ignored}, key=ENV_FILES.index)
        notes.append(f"{' and '.join(files)}: {shown} not given to the app (the grader sets its environment)")
    if setting.target:
        target, origin = setting.target, f"{setting.target}, which this exercise loads"
    elif variables.get("FLASK_APP"):
        target = variables["FLASK_APP"].strip()
        origin = f"FLASK_APP={target} in {origins['FLASK_APP']}"
    else:
        target = default_target(folder)
        if target is None:
            return None
        origin = f"{target}.py" if (folder / f"{target}.py").is_file() else f"the package {target}/"
    try:
        module, where = module_of(folder, parse_target(target).path)
    except DiscoveryError as exc:
        if not at_root:
            return Location(folder, target, origin)
        raise AppNotFound(f"could not locate a Flask application: {origin}: {exc.message}") from None
    if not module_exists(where, module):
        if setting.target or not at_root:
            return None  # the exercise's own convention, not met here: looked for one folder down
        raise AppNotFound(
            f"could not locate a Flask application: {origin}, but the submission has no module {module} "
            f"({module.replace('.', '/')}.py); fix FLASK_APP, or remove it to have app.py found"
        )
    return Location(folder, target, origin, environ=environ, notes=notes)


def _dotenv(folder: Path) -> tuple[dict[str, str | None], dict[str, str]]:
    """The variables of .flaskenv, then .env over them, as `flask run` reads them (no ${...}
    expansion: the grader's own environment must never leak into a value), and the file each
    came from."""
    values: dict[str, str | None] = {}
    origins: dict[str, str] = {}
    for name in ENV_FILES:
        found = _dotenv_file(folder / name)
        values.update(found)
        origins.update(dict.fromkeys(found, name))
    return values, origins


def _dotenv_file(path: Path) -> dict[str, str | None]:
    if not path.is_file() or path.is_symlink():
        return {}
    with path.open("rb") as handle:
        text = handle.read(MAX_ENV_BYTES).decode("utf-8-sig", errors="replace")
    return dict(dotenv_values(stream=io.StringIO(text), interpolate=False))


def _subfolders(folder: Path) -> list[Path]:
    """Folders one level down where an app could be: not hidden, not a cache or a virtualenv."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    return [Path(e.path) for e in entries
            if e.is_dir(follow_symlinks=False) and not e.name.startswith((".", "__")) and e.name not in SKIP_DIRS
            and not (Path(e.path) / "pyvenv.cfg").exists()]


def _not_found(root: Path, setting: AppSetting) -> str:
    if setting.target:
        looked = f"this exercise loads {setting.target}, which is not at the root of the submission or one folder down"
        fix = f"put {parse_target(setting.target).path} at the root"
    else:
        names = ", ".join(f"{n}.py" for n in MODULES)
        looked = f"no FLASK_APP in .flaskenv or .env, and no {names[: names.rindex(',')]} or {MODULES[-1]}.py at the root of the submission or one folder down"
        fix = None
    shown, apps = _what_is_there(root)
    if not setting.target:
        if apps:
            file, what = apps[0]
            fix = f"rename {file} to app.py, or add a file .flaskenv with the line FLASK_APP={file}"
        else:
            fix = "create app.py with `app = Flask(__name__)` or a `create_app()` factory"
    there = f" The submission holds: {', '.join(shown)}." if shown else " The submission is empty."
    return f"could not locate a Flask application: {looked}.{there} Fix: {fix}."


def _what_is_there(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """What the root holds, for the message: its entries, and the Python files that make a Flask
    app (read as text, never run), each described ("main.py (a Flask app `server`)")."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: (not e.name.endswith(".py"), e.name))
    except OSError:
        return [], []
    shown: list[str] = []
    apps: list[tuple[str, str]] = []
    scanned = 0
    for entry in entries:
        if entry.name.startswith(".") or entry.name in SKIP_DIRS:
            continue
        if entry.is_dir(follow_symlinks=False):
            shown.append(f"{entry.name}/")
            continue
        label = entry.name
        if entry.name.endswith(".py") and entry.is_file(follow_symlinks=False) and scanned < MAX_SCANNED:
            scanned += 1
            what = _flask_in(Path(entry.path))
            if what:
                apps.append((entry.name, what))
                label = f"{entry.name} ({what})"
        shown.append(label)
    if len(shown) > MAX_SHOWN:
        shown = [*shown[:MAX_SHOWN], f"and {len(shown) - MAX_SHOWN} more"]
    return shown, apps


def _flask_in(path: Path) -> str | None:
    """'a Flask app `server`' or 'a factory create_app()' when the file's text makes one."""
    try:
        with path.open("rb") as handle:
            source = handle.read(MAX_SCAN_BYTES)
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in ("Flask", *FACTORIES) and isinstance(node.targets[0], ast.Name):
                return f"a Flask app `{node.targets[0].id}`"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in FACTORIES:
            return f"a factory {node.name}()"
    return None
