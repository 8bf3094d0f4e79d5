"""The access graph's storage: a directed multigraph with keyed edges and attribute dicts.

It reads like the part of ``networkx.MultiDiGraph`` the graph uses (``g.nodes[n]``, ``g[u][v][key]``,
``has_edge``, ``successors``, ``predecessors``, ``edges`` and ``out_edges`` with ``keys``/``data``), and
``to_networkx()`` hands the same nodes and edges to networkx for analysis, drawing or export.

Why not build straight into networkx: importing networkx costs about 0.12 s (it loads every algorithm it
has and scans installed packages for backends), which is a third of a pre-merge check of one template;
building the graph uses none of its algorithms. So networkx is imported only when asked for.
"""
from __future__ import annotations

from typing import Any, Iterator


class Nodes(dict):
    """Node -> attribute dict; also callable like networkx's node view (``g.nodes(data=True)``)."""

    def __call__(self, data: bool = False) -> Iterator:
        return iter(self.items()) if data else iter(self)


class MultiDigraph:
    __slots__ = ("nodes", "_succ", "_pred")

    def __init__(self) -> None:
        self.nodes: Nodes = Nodes()
        self._succ: dict[str, dict[str, dict[str, dict]]] = {}  # u -> v -> key -> attrs
        self._pred: dict[str, dict[str, dict[str, dict]]] = {}  # v -> u -> key -> attrs (the same dicts)

    def __contains__(self, n: object) -> bool:
        return n in self.nodes

    def __iter__(self) -> Iterator[str]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, u: str) -> dict[str, dict[str, dict]]:
        """``g[u][v]``: key -> attrs of the edges u -> v."""
        return self._succ[u]

    def add_node(self, n: str, **attrs: Any) -> None:
        if n in self.nodes:
            self.nodes[n].update(attrs)
            return
        self.nodes[n] = attrs
        self._succ[n] = {}
        self._pred[n] = {}

    def add_edge(self, u: str, v: str, key: str, **attrs: Any) -> None:
        """Add (or update) the edge u -> v with this key; missing nodes are added without attributes."""
        self.adopt_edge(u, v, key, attrs)

    def adopt_edge(self, u: str, v: str, key: str, attrs: dict) -> None:
        """``add_edge`` keeping this very dict as the edge's attributes (for a build handing over what it made)."""
        for n in (u, v):
            if n not in self.nodes:
                self.add_node(n)
        keyed = self._succ[u].get(v)
        if keyed is None:
            keyed = self._succ[u][v] = self._pred[v][u] = {}
        if key in keyed:
            keyed[key].update(attrs)
        else:
            keyed[key] = attrs

    def has_edge(self, u: str, v: str, key: str | None = None) -> bool:
        keyed = self._succ.get(u, {}).get(v)
        return keyed is not None and (key is None or key in keyed)

    def successors(self, n: str) -> Iterator[str]:
        return iter(self._succ[n])

    def predecessors(self, n: str) -> Iterator[str]:
        return iter(self._pred[n])

    def out_edges(self, n: str, keys: bool = False, data: bool = False) -> Iterator[tuple]:
        for v, keyed in self._succ[n].items():
            for k, attrs in keyed.items():
                yield (n, v) + ((k,) if keys else ()) + ((attrs,) if data else ())

    def edges(self, keys: bool = False, data: bool = False) -> Iterator[tuple]:
        for u in self._succ:
            yield from self.out_edges(u, keys=keys, data=data)

    def number_of_nodes(self) -> int:
        return len(self.nodes)

    def number_of_edges(self) -> int:
        return sum(len(keyed) for targets in self._succ.values() for keyed in targets.values())

    def to_networkx(self):
        """The same graph as a ``networkx.MultiDiGraph`` (attribute dicts copied shallowly)."""
        import networkx as nx
        g = nx.MultiDiGraph()
        for n, attrs in self.nodes.items():
            g.add_node(n)
            g.nodes[n].update(attrs)
        for u, v, k, attrs in self.edges(keys=True, data=True):
            g.add_edge(u, v, key=k)
            g[u][v][k].update(attrs)
        return g
