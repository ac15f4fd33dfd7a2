"""The package's import graph: no module of grader/ imports itself back, however far round.

Read from the source (ast), so that imports inside functions count too: a lazy import still
ties two modules together, it only hides the tie from a plain `import grader.x`. Imports under
`if TYPE_CHECKING:` do not run and are left out, as is each module's import of its own
ancestor packages (`grader`, `grader.sandbox`), which Python makes anyway, and of itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grader

PACKAGE = Path(grader.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imported_names(path: Path, here: str | None = None) -> set[str]:
    """Every module `path` (the module `here`) imports at run time, as dotted names (relative ones resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    here = here or module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names)  # `from grader import warm`
    return names


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        # itself too: grader.warm run as `-m` imports itself under its real name, which is no tie
        ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)} | {name}
        graph[name] = {target for target in imported_names(path) if target in modules} - ancestors
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "modules that import each other (directly or round a loop): " + "; ".join(
        " <-> ".join(component) for component in found)


def test_the_graph_sees_lazy_imports_and_skips_type_checking_ones(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from grader import warm\n"
        "if TYPE_CHECKING:\n    from grader.exercise import Exercise\n"
        "def later():\n    from grader.session import TestProcess\n    import grader.plugin\n    from .report import text\n"
    )
    names = imported_names(source, "grader.sample")
    assert {"grader.warm", "grader.session", "grader.plugin", "grader.report.text"} <= names
    assert "grader.exercise" not in names


def test_cycles_are_found_however_long():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# What the code inside the sandbox may import: it runs on the sandbox's Python, next to the
# student's app, where Flask (with what Flask itself needs) is all that is sure to be installed.
FLASK_AND_ITS_OWN = {"flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "blinker"}


def agent_imports_outside_the_rule() -> dict[str, set[str]]:
    import sys

    agent = PACKAGE / "agent"
    siblings = {path.stem for path in agent.glob("*.py")}
    wrong: dict[str, set[str]] = {}
    for path in agent.glob("*.py"):
        for name in imported_names(path):
            top = name.split(".")[0]
            if name == "grader.agent" or name.startswith("grader.agent."):
                continue
            if top in sys.stdlib_module_names or top in FLASK_AND_ITS_OWN or top == "__future__":
                continue
            if name in siblings:  # agent.py run from the bundle imports its siblings by bare name
                continue
            wrong.setdefault(path.name, set()).add(name)
    return wrong


def test_the_sandbox_side_imports_only_the_standard_library_and_flask():
    assert agent_imports_outside_the_rule() == {}


def test_the_trusted_side_is_never_inside_the_agent_package():
    """The other half of the rule: pytest, the plugin, the sandboxes and the verdicts stay out of grader/agent/."""
    agent = {name for name in import_graph() if name.startswith("grader.agent")}
    assert agent == {"grader.agent", "grader.agent.agent", "grader.agent.discovery", "grader.agent.protocol",
                     "grader.agent.serving"}, "a new module in grader/agent/ is copied into every sandbox: add it to BUNDLE and here"
    from grader.agent import BUNDLE

    assert sorted(path.stem for path in BUNDLE) == sorted(name.rpartition(".")[2] for name in agent - {"grader.agent"})


def test_the_rule_catches_a_trusted_import_in_the_agent(tmp_path, monkeypatch):
    fake = tmp_path / "grader"
    (fake / "agent").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "agent" / "__init__.py").write_text("")
    (fake / "agent" / "agent.py").write_text("import json\nimport flask\nimport protocol\ndef f():\n    from grader.rubric import Limits\n    import pytest\n")
    (fake / "agent" / "protocol.py").write_text("import struct\n")
    monkeypatch.setitem(globals(), "PACKAGE", fake)
    assert agent_imports_outside_the_rule() == {"agent.py": {"grader.rubric", "grader.rubric.Limits", "pytest"}}
