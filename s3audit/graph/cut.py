"""The smallest cut: the fewest grants whose removal leaves no route from a set of principals to a bucket.

**The network.** Each edge of a route (``assume``, ``act-as``, the final ``access`` hop with the access
asked for) rests on grants (``grants.py``): a formula of statements, ACL grants, memberships and
associations. The formula becomes a small series-parallel gadget between the edge's ends — an OR is
parallel branches, an AND a chain — in which every grant is one node split in two (in -> out) with a
finite capacity; all other arcs are uncuttable. One grant that several edges rest on is one node, so it is
counted once. A super-source feeds the start principals, the bucket and its access points drain into a
super-sink, and networkx's maximum-flow minimum cut (``networkx.minimum_cut``) finds the cheapest set of
grant nodes separating them: every grant has capacity 1, so the cut has the fewest grants; among equally
small cuts it takes the one nearest the start principals (the first hop into the estate: a trust statement,
a bucket grant to an outsider), which leaves the estate's own principals their access where it can.

**The proof.** The grants are removed from a copy of the snapshot document (``snapshot/patch.py``), the
snapshot read again, the graph rebuilt by the engine and the query asked again. Where the engine's reasons
had left an alternative out (a conditional statement beside a definite one), routes survive: their grants
are cut in a further round, until no route is left or nothing removable remains. Then each grant of the
union is put back in turn, and kept out only if the routes come back without it, so that the cut is
minimal (no proper subset cuts every route) even where the gadgets overlap. The network over-approximates
routes (a grant shared by edges with other ends joins their branches), so a cut of it cuts every real
route; minimum label cuts are NP-hard in general, and on the estates we met the flow's cut was already
minimal.

**What it costs.** The rebuilt graph is compared with the first one: every (principal, bucket, level)
reachable before and not after, other than what the cut was for, is the collateral; access the removal
opens (a bucket policy that is no longer public lets Block Public Access's RestrictPublicBuckets stop
ignoring its cross-account statements) is listed as gained.

Routes that rest on nothing removable (the bucket's own account root, a policy the snapshot could not
read) cannot be cut; their principals are named and the cut is computed for the others, ``verified``
staying false.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from itertools import count
from typing import Any, Iterable

from ..errors import InputError
from ..snapshot import patch
from ..snapshot.model import Snapshot
from .build import AccessGraph, build_graph
from .grants import FALSE, TRUE, Grant, GrantModel
from .kinds import CAN_ACCESS, CAN_ACT_AS, CAN_ASSUME
from .paths import ACCESS_CHOICES, select_principals
from .routes import LEVELS, _ancestors, reach

MAX_ROUNDS = 8
_SRC, _SNK = ("source",), ("sink",)


@dataclass
class CutResult:
    bucket: str
    access: str
    start: list[str]  # the start principals (node ids) that had a route
    cut: list[Grant]
    locations: dict[str, str | None] = field(default_factory=dict)  # pointer -> file:line:col (IaC) or None
    collateral: list[tuple[str, str, str]] = field(default_factory=list)  # (principal, bucket, level) lost
    gained: list[tuple[str, str, str]] = field(default_factory=list)  # what the removal opens
    verified: bool = False
    uncuttable: list[str] = field(default_factory=list)  # start principals whose routes rest on no grant
    patch: list[dict] = field(default_factory=list)  # RFC 6902 operations that remove the cut
    rebuilds: int = 0
    rounds: int = 0
    graph_after: Any = field(default=None, repr=False)

    def to_json(self) -> dict:
        return {"cut": [g.to_json(self.locations.get(g.pointer)) for g in self.cut],
                "collateral": [{"principal": p, "bucket": b, "access": a} for p, b, a in self.collateral],
                "verified": self.verified}


def levels_of(access: str | tuple[str, ...]) -> tuple[str, ...]:
    """The access levels an ``access`` (a level, ``any``, or several levels) stands for."""
    if isinstance(access, tuple):
        return LEVELS if "any" in access else access
    return LEVELS if access == "any" else (access,)


def _wants(attrs: dict, levels: tuple[str, ...]) -> bool:
    """Whether a ``can-access`` edge grants one of the levels."""
    return attrs["kind"] == CAN_ACCESS and any(lv in attrs["levels"] for lv in levels)


def smallest_cut(document: Any, snapshot: Snapshot, bucket: str, access: str | tuple[str, ...] = "any",
                 start_spec: str | None = None,
                 *, graph: AccessGraph | None = None, start: Iterable[str] | None = None,
                 first_hop: str | None = None) -> CutResult:
    """The smallest set of grants of ``document`` (the snapshot's JSON) whose removal leaves no route from the
    start principals (``start_spec`` as ``--from`` takes it, or node ids in ``start``; default: every
    principal) to ``bucket`` with ``access`` (a level, ``any``, or a tuple of levels: a route with any of
    them), proved by rebuilding. ``first_hop`` (``act-as``) cuts only
    routes whose first hop is of that kind."""
    for a in (access if isinstance(access, tuple) else (access,)):
        if a not in ACCESS_CHOICES:
            raise InputError(f"unknown access level `{a}` (expected one of {', '.join(ACCESS_CHOICES)})")
    graph = graph or build_graph(snapshot)
    if not graph.data_nodes_of(bucket):
        raise InputError(f"bucket `{bucket}` is not in the snapshot")
    if start is not None:
        starts = {n for n in start if n in graph.g}
    elif start_spec:
        starts = select_principals(graph, start_spec)
    else:
        starts = set(graph.principals())
    levels = levels_of(access)
    reaching = sorted(_reaching(graph, bucket, levels, starts, first_hop))
    result = CutResult(bucket, access if isinstance(access, str) else ", ".join(access), reaching, [])
    if not reaching:
        result.verified = True
        result.graph_after = graph
        return result
    weights = _weights(graph)
    removed: set[Grant] = set()
    current, left = graph, set(reaching)
    uncuttable: set[str] = set()
    verified = False
    rebuilds = 0
    for _ in range(MAX_ROUNDS):
        result.rounds += 1
        found, stuck = _min_cut(current, GrantModel(current), bucket, levels, left, first_hop)
        uncuttable |= stuck
        found = {_remap(g, removed) for g in found}
        if not found:
            break
        removed |= found
        current = _rebuild(document, snapshot, removed, bucket)
        rebuilds += 1
        left = _reaching(current, bucket, levels, starts - uncuttable, first_hop)
        if not left:
            verified = not uncuttable
            break
    if removed and not left:
        # minimal: put each grant back (the heaviest first) and keep it out only if routes return
        for g in sorted(removed, key=lambda g: (-weights.get(g.pointer, 1), g.pointer)):
            trial = removed - {g}
            if not trial:
                continue  # the routes were there before anything was removed
            rebuilt = _rebuild(document, snapshot, trial, bucket)
            rebuilds += 1
            if not _reaching(rebuilt, bucket, levels, starts - uncuttable, first_hop):
                removed = trial
                current = rebuilt
    result.cut = sorted(removed, key=lambda g: g.pointer)
    result.verified = verified and not _reaching(current, bucket, levels, starts - uncuttable, first_hop)
    result.uncuttable = sorted(uncuttable)
    result.rebuilds = rebuilds
    result.patch = patch.removal(document, [g.pointer for g in result.cut])
    result.locations = {g.pointer: _location(snapshot, g.pointer) for g in result.cut}
    if result.cut:
        current = _rebuild(document, snapshot, set(result.cut))  # the whole estate, for the collateral
        rebuilds += 1
        result.rebuilds = rebuilds
    result.graph_after = current
    if result.cut:
        before, after = reach(graph), reach(current)
        intended = {(p, bucket, lv) for p in starts for lv in levels}
        result.collateral = sorted(k for k in before if k not in after and k not in intended)
        result.gained = sorted(k for k in after if k not in before)
    return result


# ---- routes left ----

def _reaching(graph: AccessGraph, bucket: str, levels: tuple[str, ...], starts: set[str],
              first_hop: str | None) -> set[str]:
    """The start principals that still have a route to the bucket with one of the levels."""
    accessors = set()
    for d in graph.data_nodes_of(bucket):
        for a in graph.g.predecessors(d):
            if any(_wants(e, levels) for e in graph.g[a][d].values()):
                accessors.add(a)
    if not accessors:
        return set()
    ancestors = _ancestors(graph, accessors)
    if first_hop is None:
        return {n for n in starts if n in ancestors}
    out = set()
    for n in starts:
        if n not in graph.g:
            continue
        for v, keyed in graph.g[n].items():
            if v in ancestors and v != n and any(_hop_kind(e) == first_hop for e in keyed.values()):
                out.add(n)
                break
    return out


def _hop_kind(attrs: dict) -> str:
    return {CAN_ASSUME: "assume", CAN_ACT_AS: "act-as"}.get(attrs["kind"], attrs["kind"])


# ---- the flow network ----

def _weights(graph: AccessGraph) -> Counter:
    """How many edges of the whole graph name each grant's pointer in their reasons."""
    c: Counter = Counter()
    for _u, _v, _k, a in graph.edges():
        for r in a.get("reasons", ()):
            if r.pointer:
                c[r.pointer] += 1
    return c


def _min_cut(graph: AccessGraph, model: GrantModel, bucket: str, levels: tuple[str, ...], starts: set[str],
             first_hop: str | None) -> tuple[set[Grant], set[str]]:
    """(the grants of a minimum cut of the network, the start principals no cut separates)."""
    import networkx as nx
    h = nx.DiGraph()
    grants: dict[str, Grant] = {}
    fresh = count()

    def gadget(src, dst, f) -> None:
        if f == FALSE:
            return
        if f == TRUE:
            h.add_edge(src, dst)
            return
        if isinstance(f, Grant):
            gin, gout = ("in", f.pointer), ("out", f.pointer)
            if f.pointer not in grants:
                grants[f.pointer] = f
                h.add_edge(gin, gout, capacity=1)
            h.add_edge(src, gin)
            h.add_edge(gout, dst)
            return
        op, parts = f
        if op == "any":
            for p in parts:
                gadget(src, dst, p)
            return
        cur = src
        for i, p in enumerate(parts):
            nxt = dst if i == len(parts) - 1 else ("and", next(fresh))
            gadget(cur, nxt, p)
            cur = nxt

    data = graph.data_nodes_of(bucket)
    accessors: set[str] = set()
    for d in data:
        for a in graph.g.predecessors(d):
            for attrs in graph.g[a][d].values():
                if _wants(attrs, levels):
                    gadget(a, d, model.edge(a, d, attrs))
                    accessors.add(a)
        h.add_edge(d, _SNK)
    reaching = _ancestors(graph, accessors)
    for v in sorted(reaching):
        for u in sorted(graph.g.predecessors(v)):
            if u not in reaching or u == v:
                continue
            for attrs in graph.g[u][v].values():
                if attrs["kind"] in (CAN_ASSUME, CAN_ACT_AS):
                    gadget(u, v, model.edge(u, v, attrs))
    for s in sorted(starts):
        if s not in reaching:
            continue
        if first_hop is None:
            h.add_edge(_SRC, s)
            continue
        entry = ("first", s)  # the start's own first hops of the kind asked for, then routes as usual
        h.add_edge(_SRC, entry)
        for v, keyed in graph.g[s].items():
            if v in reaching and v != s:
                for attrs in keyed.values():
                    if _hop_kind(attrs) == first_hop:
                        gadget(entry, v, model.edge(s, v, attrs))
    if _SRC not in h or _SNK not in h:
        return set(), set()
    # start principals with a route of uncuttable arcs only: no removal of grants closes it
    free = _reverse_free(h, _SNK)
    stuck = {s for s in starts if (s if first_hop is None else ("first", s)) in free}
    for s in stuck:
        h.remove_edge(_SRC, s if first_hop is None else ("first", s))
    if not nx.has_path(h, _SRC, _SNK):
        return set(), stuck
    # networkx returns the minimum cut nearest the sink; on the reversed network that is the one nearest the
    # start principals: the first grants on the way in (a trust statement, a bucket grant to an outsider),
    # which leaves the organization's own principals their access where a cut as small allows
    _value, (side, _other) = nx.minimum_cut(h.reverse(copy=False), _SNK, _SRC)
    cut = {g for p, g in grants.items() if ("out", p) in side and ("in", p) not in side}
    return cut, stuck


def _reverse_free(h, target) -> set:
    """Nodes with a path of uncapacitated arcs to ``target``."""
    seen = {target}
    stack = [target]
    while stack:
        v = stack.pop()
        for u in h.predecessors(v):
            if u not in seen and "capacity" not in h[u][v]:
                seen.add(u)
                stack.append(u)
    return seen


# ---- removing grants and rebuilding ----

def _rebuild(document: Any, snapshot: Snapshot, removed: set[Grant], bucket: str | None = None) -> AccessGraph:
    """The graph of the snapshot without the grants; with ``bucket``, only that bucket's data stage (the routes
    to it need the principal stage whole, and no other bucket's edges)."""
    from ..iam.engine import Engine
    from ..snapshot.load import snapshot_from_dict
    from ..snapshot.model import Bucket
    from .build import assemble
    from .data_stage import build_data_graph, data_resources
    from .principal_stage import build_principal_graph
    changed = patch.apply(document, patch.removal(document, [g.pointer for g in removed]))
    snap = snapshot_from_dict(changed, file=snapshot.file)
    if bucket is None:
        return build_graph(snap)
    engine = Engine(snap)
    engine.compile_all()
    principals = build_principal_graph(snap, engine)
    data = [x for x in data_resources(snap) if (x.name if isinstance(x, Bucket) else x.bucket) == bucket]
    return assemble(principals, build_data_graph(snap, principals, data, engine), snap, engine)


def _remap(g: Grant, removed: set[Grant]) -> Grant:
    """A grant found in a rebuilt snapshot, with its pointer in the original document's terms (removing list
    items shifts the indices after them)."""
    if not removed:
        return g
    gone: dict[str, list[int]] = {}
    for r in removed:
        parent, _, last = r.pointer.rpartition("/")
        if last.isdigit():
            gone.setdefault(parent, []).append(int(last))
    out = ""
    for t in g.pointer[1:].split("/") if g.pointer else []:
        if t.isdigit() and out in gone:
            old = int(t)
            for r in sorted(gone[out]):
                if r <= old:
                    old += 1
            t = str(old)
        out += "/" + t
    return Grant(out, g.kind, g.source, g.statement)


def _location(snapshot: Snapshot, pointer: str) -> str | None:
    if not snapshot.locations:
        return None
    loc = snapshot.location_of(pointer)
    if not loc or not loc.get("file"):
        return None
    text = str(loc["file"])
    if loc.get("line"):
        text += f":{loc['line']}"
        if loc.get("column"):
            text += f":{loc['column']}"
    return text


# ---- output ----

def render_cut_json(result: CutResult) -> str:
    return json.dumps(result.to_json(), indent=2)


def _group(items: list[tuple[str, str, str]]) -> list[str]:
    by: dict[tuple[str, str], list[str]] = {}
    for p, b, lv in items:
        by.setdefault((p, b), []).append(lv)
    return [f"  {p}  {b}  {', '.join(sorted(lvs, key=LEVELS.index))}" for (p, b), lvs in sorted(by.items())]


def render_cut_text(result: CutResult) -> str:
    what = f"{result.bucket} ({result.access} access)"
    lines = []
    if not result.start:
        lines.append(f"no route to {what} from the start principals: nothing to cut")
        return "\n".join(lines) + "\n"
    n = len(result.cut)
    cuttable = len(result.start) - len(result.uncuttable)
    if n:
        lines.append(f"the smallest cut: {n} grant{'s' if n != 1 else ''} close{'s' if n == 1 else ''} every route "
                     f"to {what} from {cuttable} principal{'s' if cuttable != 1 else ''}")
    else:
        lines.append(f"no removal of grants closes the routes to {what}")
    for i, g in enumerate(result.cut, 1):
        lines.append(f"  {i}. [{g.kind}] {g.label()}")
        lines.append(f"       pointer: {g.pointer}")
        if result.locations.get(g.pointer):
            lines.append(f"       at: {result.locations[g.pointer]}")
    if result.uncuttable:
        lines.append("routes no removal of grants closes (they rest on the account root, or on what the snapshot "
                     "could not read):")
        lines.extend(f"  {p}" for p in result.uncuttable)
    if result.verified:
        lines.append(f"verified: rebuilt without {'it' if n == 1 else 'them'}, the engine finds no route left "
                     f"({result.rebuilds} rebuild{'s' if result.rebuilds != 1 else ''})")
    elif n:
        lines.append("not verified: routes remain after the removal")
    if result.collateral:
        lines.append(f"collateral: the removal also takes away ({len(result.collateral)})")
        lines.extend(_group(result.collateral))
    elif result.cut:
        lines.append("collateral: none (no other principal loses access to any bucket)")
    if result.gained:
        lines.append(f"the removal also opens ({len(result.gained)})")
        lines.extend(_group(result.gained))
    if result.patch:
        lines.append("as a JSON Patch (RFC 6902) of the snapshot:")
        lines.extend("  " + json.dumps(op) for op in result.patch)
    return "\n".join(lines) + "\n"
