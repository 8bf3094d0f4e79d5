"""No import cycles anywhere in the ``s3audit`` package (the project's guide: "No import cycles").

The graph is read from the source, not from running it: every ``import`` and ``from ... import`` of an
``s3audit`` module, at the top of a module or inside a function (a deferred import is still a dependency),
except those under ``if TYPE_CHECKING:`` (annotations only, never run). Relative imports are resolved against
the importing module's package; ``from package import name`` depends on the submodule ``package.name`` when
there is one, else on the package.
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import s3audit

ROOT = Path(s3audit.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = ["s3audit", *path.relative_to(ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _type_checking_only(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The s3audit modules that module ``name`` (file ``path``) imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking_only(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                out.update(a.name for a in child.names if a.name in known)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[:len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                for a in child.names:
                    sub = f"{target}.{a.name}"
                    if sub in known:
                        out.add(sub)
                    elif target in known:
                        out.add(target)
            visit(child)

    visit(ast.parse(path.read_text("utf-8"), str(path)))
    out.discard(name)
    return out


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, each as a sorted list."""
    g = nx.DiGraph()
    g.add_nodes_from(graph)
    g.add_edges_from((m, d) for m, deps in graph.items() for d in deps)
    return sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1)


def test_the_graph_is_read():
    graph = import_graph()
    assert len(graph) > 50, "the walk found too few modules to be looking at the package"
    # a few edges the package certainly has, so that a broken reader cannot pass by finding nothing
    assert "s3audit.sources.terraform.evaluate" in graph["s3audit.sources.terraform.plan"]
    assert "s3audit.sources.builder" in graph["s3audit.sources.terraform.plan"]
    assert "s3audit.sources.terraform.config" in graph["s3audit.sources.terraform"]
    assert "s3audit.errors" in graph["s3audit.sources.hcl"]
    assert "s3audit.iam.policy" in graph["s3audit.iam.engine"]  # a relative import at the top
    assert "s3audit.graph.build" in graph["s3audit.lang.evaluate"]  # imported inside a method
    assert "s3audit.graph.escalation" in graph["s3audit.graph.principal_stage"]  # from . import escalation


def test_cycles_are_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph()) == []
