"""Every route: all distinct simple routes from each principal to a bucket, and who reaches what.

``paths.py`` gives each principal its one best path. An auditor who wants to close access needs them all:
a direct bucket grant *and* a role the same account may assume with an external ID are two routes, and
removing one leaves the other. A route is a path as ``paths.py`` defines it (principal hops ``assume`` and
``act-as``, then one ``access`` hop to the bucket or one of its access points; never through ``member-of``),
and two routes are distinct when their nodes differ (the bucket and each of its access points are
different ends). Between two principals, a hop takes the best of their parallel edges (an ``allow`` edge
before a ``conditional`` one), as ``paths.py`` does.

``routes_to`` lists, for each start principal, its routes shortest first (at most ``limit``), with networkx's
``shortest_simple_paths`` (Yen's algorithm) on the sub-graph of principals that can reach the bucket:
routes come out by length without enumerating every simple path of the graph.

``reach`` answers "who can reach which bucket with which access level, by any route" for every bucket at
once (the collateral of a cut is the difference of two such maps): each principal's ancestors are found
once, not once per bucket.
"""
from __future__ import annotations

from collections import defaultdict, deque
from typing import Iterable

from ..iam.decision import ALLOW
from .build import AccessGraph
from .kinds import ACCESS_POINT, BUCKET, CAN_ACCESS, PRINCIPAL_KINDS
from .paths import Hop, Path, _access_hop, _best_edge, _check, _hop, _path

LEVELS = ("list", "read", "write", "permissions")  # the access levels of paths (ACCESS_CHOICES but "any")
_SINK = ("sink",)  # the one node every route ends in (a tuple: no graph node is one)


def _principal_hop(graph: AccessGraph, u: str, v: str) -> Hop | None:
    best = _best_edge(graph, u, v, allow_only=False)
    return None if best is None else _hop(graph, u, v, *best)


def _ancestors(graph: AccessGraph, targets: Iterable[str], allow_only: bool = False) -> set[str]:
    """Principals with a chain of principal hops (only ``allow`` ones if asked) to any of ``targets``
    (themselves included)."""
    seen = set(targets)
    queue = deque(seen)
    while queue:
        v = queue.popleft()
        for u in graph.g.predecessors(v):
            if u not in seen and _best_edge(graph, u, v, allow_only=allow_only) is not None:
                seen.add(u)
                queue.append(u)
    return seen


def _route_key(p: Path) -> tuple:
    return (len(p.hops), p.decision != ALLOW, tuple(h.target for h in p.hops))


def _k_shortest(h, source, sink, limit: int, max_hops: int | None, make) -> list[Path]:
    """The ``limit`` shortest simple routes source -> sink of the DiGraph ``h``: Yen's order by length, ties
    broken by decision (all-allow first) and names, so that the choice among equally long routes is stable."""
    import networkx as nx
    found: list[Path] = []
    try:
        for nodes in nx.shortest_simple_paths(h, source, sink):
            hops = len(nodes) - 2  # the last node is the sink
            if max_hops is not None and hops > max_hops:
                break
            if len(found) >= limit and hops > len(found[limit - 1].hops):
                break
            found.append(make(nodes[:-1]))
            found.sort(key=_route_key)
            if len(found) >= 4 * limit:  # many ties: enough to choose from
                break
    except nx.NetworkXNoPath:
        return []
    return found[:limit]


def routes_to(graph: AccessGraph, bucket: str, access: str = "any", start: set[str] | None = None,
              max_hops: int | None = None, limit: int = 10) -> list[Path]:
    """Every distinct simple route to ``bucket`` with ``access``, at most ``limit`` per start principal,
    shortest first; principals in the order of their best route (as ``paths_to`` orders them)."""
    import networkx as nx
    _check(access, max_hops)
    if limit < 1:
        raise ValueError("limit must be at least 1")
    data_nodes = graph.data_nodes_of(bucket)
    if not data_nodes:
        from ..errors import InputError
        raise InputError(f"bucket `{bucket}` is not in the snapshot")
    final: dict[tuple[str, str], Hop] = {}
    for d in data_nodes:
        for a in graph.g.predecessors(d):
            hop = _access_hop(graph, a, d, access)
            if hop is not None:
                final[(a, d)] = hop
    reaching = _ancestors(graph, {a for a, _ in final})
    h = nx.DiGraph()
    for v in sorted(reaching):
        for u in sorted(graph.g.predecessors(v)):
            if u in reaching and u != v and _best_edge(graph, u, v, allow_only=False) is not None:
                h.add_edge(u, v)
    for a, d in sorted(final):
        h.add_edge(a, d)
        h.add_edge(d, _SINK)

    def make(nodes: list[str]) -> Path:
        hops = [_principal_hop(graph, u, v) for u, v in zip(nodes[:-2], nodes[1:-1])]
        hops.append(final[(nodes[-2], nodes[-1])])
        return _path(graph, bucket, hops)

    starts = sorted(n for n in reaching if graph.node(n)["kind"] in PRINCIPAL_KINDS
                    and (start is None or n in start))
    per: list[list[Path]] = []
    for p in starts:
        found = _k_shortest(h, p, _SINK, limit, max_hops, make)
        if found:
            per.append(found)
    per.sort(key=lambda rs: (rs[0].decision != ALLOW, len(rs[0].hops), rs[0].principal))
    return [r for rs in per for r in rs]


def routes_from(graph: AccessGraph, principals: Iterable[str], access: str = "any", max_hops: int | None = None,
                limit: int = 10) -> list[Path]:
    """Every bucket each principal can reach with ``access``, with at most ``limit`` routes to each, shortest
    first; sorted by principal and bucket."""
    import networkx as nx
    _check(access, max_hops)
    out: list[Path] = []
    for p in sorted(principals):
        h = nx.DiGraph()
        h.add_node(p)
        seen = {p}
        queue = deque([p])
        ends: dict[str, dict[tuple[str, str], Hop]] = defaultdict(dict)
        while queue:
            u = queue.popleft()
            for v in sorted(graph.g.successors(u)):
                kind = graph.node(v)["kind"]
                if kind in (BUCKET, ACCESS_POINT):
                    hop = _access_hop(graph, u, v, access)
                    if hop is not None:
                        ends[graph.node(v)["bucket"]][(u, v)] = hop
                    continue
                if kind not in PRINCIPAL_KINDS or v == u or _best_edge(graph, u, v, allow_only=False) is None:
                    continue
                h.add_edge(u, v)
                if v not in seen:
                    seen.add(v)
                    queue.append(v)
        for bucket in sorted(ends):
            sink = ("sink", bucket)
            g2 = h.copy()
            for a, d in ends[bucket]:
                g2.add_edge(a, d)
                g2.add_edge(d, sink)

            def make(nodes: list[str], bucket=bucket) -> Path:
                hops = [_principal_hop(graph, u, v) for u, v in zip(nodes[:-2], nodes[1:-1])]
                hops.append(ends[bucket][(nodes[-2], nodes[-1])])
                return _path(graph, bucket, hops)

            out.extend(_k_shortest(g2, p, sink, limit, max_hops, make))
    return out


def reach(graph: AccessGraph) -> dict[tuple[str, str, str], str]:
    """(principal, bucket, level) -> ``allow`` or ``conditional``: every principal that can reach a bucket
    with an access level by some route, and whether some such route is allowed outright.

    Each accessor's ancestors are found once (a reverse search over principal hops), so the cost grows with
    accessors and edges, not with principals times buckets. A route is ``allow`` when every hop is; the
    answer here is ``allow`` when some route is, found by a second search over ``allow`` hops only."""
    access_edges: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)  # accessor -> (bucket, level) -> decision
    for u, v, _k, a in graph.edges(CAN_ACCESS):
        bucket = graph.node(v)["bucket"]
        for level in a.get("levels", {}):
            if level not in LEVELS:
                continue  # the levels `paths --access` names (tagging is none of them)
            cur = access_edges[u].get((bucket, level))
            if cur != ALLOW:
                access_edges[u][(bucket, level)] = a["decision"]
    out: dict[tuple[str, str, str], str] = {}
    for accessor, ends in access_edges.items():
        everyone = _ancestors(graph, [accessor])
        allowed = _ancestors(graph, [accessor], allow_only=True)
        for (bucket, level), decision in ends.items():
            for p in everyone:
                key = (p, bucket, level)
                ok = decision == ALLOW and p in allowed
                if ok:
                    out[key] = ALLOW
                else:
                    out.setdefault(key, "conditional")
    return out
