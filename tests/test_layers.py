"""The layout's import rules (docs/architecture.md), read from the source with ``ast``:

- every import of an ``evaluator`` module, at the top or inside a function, points down the
  layers (or stays inside its own package);
- the import graph between modules has no cycle (a circular import is a design bug, not
  something to hide with a local import);
- nothing outside ``cli/`` and the tests imports ``demo/``;
- the pure layers (tables, systems, engine, analysis, decisions) import neither the store,
  the services, the server, sanic nor tortoise.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "evaluator"
GROUND = {"errors", "canonical", "clock", "settings", "shipped", "faults"}
PURE = ("tables", "systems", "engine", "analysis", "decisions")

# layer → the layers it may import (besides itself and the ground floor)
MAY_USE: dict[str, set[str]] = {
    "ground": set(),
    "tables": set(),
    "systems": {"tables"},
    "engine": {"tables", "systems"},
    "analysis": {"tables", "systems", "engine"},
    "decisions": {"tables", "systems", "engine"},
    "evidence": {"tables", "systems", "engine"},
    "store": set(),
    "services": {"tables", "systems", "engine", "analysis", "decisions", "evidence", "store"},
    "reporting": {"tables", "systems", "engine", "analysis", "decisions", "evidence", "services"},
    "server": {
        "tables",
        "systems",
        "engine",
        "analysis",
        "decisions",
        "evidence",
        "store",
        "services",
        "reporting",
    },
    "demo": {
        "tables",
        "systems",
        "engine",
        "analysis",
        "decisions",
        "evidence",
        "store",
        "services",
        "reporting",
    },
    "cli": {
        "tables",
        "systems",
        "engine",
        "analysis",
        "decisions",
        "evidence",
        "services",
        "reporting",
        "server",
        "demo",
    },
    "main": {"cli"},
}
FORBIDDEN_IN_PURE = ("sanic", "tortoise", "asyncpg", "aiosqlite")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "ground"
    top = parts[1]
    if top in GROUND:
        return "ground"
    if top == "__main__":
        return "main"
    return top


def modules() -> dict[str, Path]:
    return {
        module_name(p): p
        for p in ROOT.rglob("*.py")
        if "migrations" not in p.relative_to(ROOT).parts
    }


def imports(path: Path, module: str, known: set[str] | None = None) -> Iterator[tuple[str, int]]:
    """Every module this file imports (absolute names), with its line."""
    known = known or set(modules())
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from evaluator.cli import calendar` imports the module evaluator.cli.calendar;
            # `from evaluator.cli import main` imports a name of the package evaluator.cli
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub if sub in known else base), node.lineno


def graph() -> dict[str, dict[str, int]]:
    known = modules()
    edges: dict[str, dict[str, int]] = {}
    for module, path in known.items():
        targets: dict[str, int] = {}
        for name, line in imports(path, module, set(known)):
            if name in known and name != module:
                targets.setdefault(name, line)
        edges[module] = targets
    return edges


def test_imports_point_down_the_layers():
    wrong = []
    for module, targets in graph().items():
        mine = layer(module)
        for target, line in targets.items():
            theirs = layer(target)
            if theirs in ("ground", mine) or theirs in MAY_USE[mine]:
                continue
            wrong.append(f"{module}:{line} imports {target} ({mine} → {theirs})")
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(wrong))


def test_the_import_graph_has_no_cycle():
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in edges.get(node, {}):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    # a package importing its own submodules (an __init__ re-export) is not a cycle between
    # modules when the submodule does not import the package back
    real = [c for c in cycles if len({m for m in c}) > 1]
    assert not real, "import cycles:\n" + "\n".join(" → ".join(c) for c in real)


def test_only_the_command_line_imports_the_demo():
    users = sorted(
        f"{module} → {target}"
        for module, targets in graph().items()
        for target in targets
        if layer(target) == "demo" and layer(module) not in ("demo", "cli")
    )
    assert not users


@pytest.mark.parametrize("package", PURE)
def test_pure_layers_import_no_framework(package):
    found = []
    for path in (ROOT / package).rglob("*.py"):
        for name, line in imports(path, module_name(path)):
            if name.split(".")[0] in FORBIDDEN_IN_PURE:
                found.append(f"{module_name(path)}:{line} imports {name}")
    assert not found
