"""No import cycles anywhere in the ``s3audit`` package.

The guide asks for a core whose modules depend on each other in one direction. Imports are read with
``ast`` from every module of the package — at the top, inside functions and under ``TYPE_CHECKING`` alike,
since a deferred import is still a dependency — and relative imports are resolved against the importing
module's package. ``from package import name`` counts as an import of the submodule ``package.name`` when
there is one, else of the package.
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import s3audit

PACKAGE = "s3audit"
ROOT = Path(s3audit.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    """Module name -> source file, for every module of the package (packages by their ``__init__``)."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import ...`` written in ``module``."""
    if level == 0:
        return target or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[:-(level - 1)]
    return ".".join(base + ([target] if target else []))


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that ``module`` imports, wherever in the file the import is."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def add(name: str) -> None:
        # ``import a.b.c`` also imports ``a`` and ``a.b``: but only the named module is what the code uses,
        # and a package's __init__ importing its submodules is not a cycle with them.
        if name in modules:
            found.add(name)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                add(sub if sub in modules else base)
    found.discard(module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imports(m, p, modules) for m, p in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, each as a sorted list."""
    g = nx.DiGraph()
    g.add_nodes_from(graph)
    g.add_edges_from((m, d) for m, deps in graph.items() for d in deps)
    return sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1)


def test_the_package_has_no_import_cycle():
    graph = _graph()
    assert len(graph) > 50, "the walk found too few modules to be looking at the package"
    assert _cycles(graph) == []


def test_the_walk_sees_relative_and_deferred_imports():
    graph = _graph()
    # A relative import at the top of a module, and one inside a function: both are edges.
    assert "s3audit.iam.policy" in graph["s3audit.iam.engine"]
    assert "s3audit.graph.build" in graph["s3audit.lang.evaluate"]  # imported inside a method
    assert "s3audit.graph.escalation" in graph["s3audit.graph.principal_stage"]  # from . import escalation


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
