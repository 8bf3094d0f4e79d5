"""Reachable-data paths: who can reach a bucket, by which route, and what each hop rests on.

A path is a chain of principal hops (``assume``, ``act-as``) ending in one ``access`` hop to a bucket or
one of its access points. ``member-of`` edges are facts of the graph but not steps of a path: a user's own
edges are decided with its groups' policies and its own boundary and denies, whereas a group node stands
for "some member of the group" (a group is itself a start principal, and the end of a ``join-group``
escalation). Each start principal gets its shortest path, preferring a path
whose every hop is ``allow`` over any path with a ``conditional`` hop; the path's decision is ``allow``
only when every hop is. The final hop merges the principal's access edges of the requested level.

Renderers: text (every hop explained), json (the contract below), dot (Graphviz) and mermaid.

``{"paths": [{"principal", "bucket", "access": [actions], "decision", "hops": [{"from", "to", "kind",
"actions", "conditions", "reasons"}]}]}``
"""
from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass
from typing import Iterable

from ..errors import InputError
from ..iam.decision import ALLOW, CONDITIONAL, Reason, Residual
from ..iam.wildcard import glob
from ..iam.wording import clause_text, describe
from .build import AccessGraph
from .edges import dedupe as _dedupe
from .kinds import (ACCESS_POINT, ANONYMOUS, BUCKET, CAN_ACCESS, CAN_ACT_AS, CAN_ASSUME, MEMBER_OF, PRINCIPAL_KINDS,
                    SERVICE)

ACCESS_CHOICES = ("list", "read", "write", "permissions", "any")
HOP_KINDS = {MEMBER_OF: "member-of", CAN_ASSUME: "assume", CAN_ACT_AS: "act-as", CAN_ACCESS: "access"}
_KIND_ORDER = {MEMBER_OF: 0, CAN_ASSUME: 1, CAN_ACT_AS: 2}
_ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Hop:
    source: str
    target: str
    kind: str  # member-of | assume | act-as | access
    decision: str
    actions: tuple[str, ...]
    conditions: tuple[Residual, ...]
    reasons: tuple[Reason, ...]
    detail: str = ""  # technique, method or scope, for the drawings and the text

    def to_json(self, graph: AccessGraph) -> dict:
        return {"from": display(graph, self.source), "to": display(graph, self.target), "kind": self.kind,
                "actions": list(self.actions), "conditions": [c.to_json() for c in self.conditions],
                "reasons": [r.to_json() for r in self.reasons]}


@dataclass(frozen=True)
class Path:
    principal: str
    bucket: str
    access: tuple[str, ...]
    decision: str
    hops: tuple[Hop, ...]

    def to_json(self, graph: AccessGraph) -> dict:
        return {"principal": display(graph, self.principal), "bucket": self.bucket, "access": list(self.access),
                "decision": self.decision, "hops": [h.to_json(graph) for h in self.hops]}


def display(graph: AccessGraph, n: str) -> str:
    """How a node is named in output: buckets by name, everything else by its id (an ARN or a name)."""
    a = graph.node(n)
    return a["name"] if a["kind"] == BUCKET else n


# ---- choosing principals ----

def select_principals(graph: AccessGraph, spec: str) -> set[str]:
    """``--from``: a principal ARN (or account id), ``anonymous``, ``external`` or a glob pattern."""
    s = spec.strip()
    if not s:
        raise InputError("--from needs a principal ARN, `anonymous`, `external` or a pattern")
    principals = graph.principals()
    if s == "anonymous":
        return {ANONYMOUS}
    if s == "external":
        return {n for n in principals if graph.node(n)["external"] and graph.node(n)["kind"] != SERVICE}
    if "*" in s or "?" in s:
        pattern = glob(s)
        return {n for n in principals if pattern.match(n)}
    if _ACCOUNT_ID.match(s):
        s = f"arn:aws:iam::{s}:root"
    if s not in graph.g or graph.node(s)["kind"] not in PRINCIPAL_KINDS:
        from ..suggest import did_you_mean
        raise InputError(f"principal `{s}` is not in the access graph (no policy of the snapshot names it)"
                         + did_you_mean(s, principals, prefixes=False))
    return {s}


def _level_ok(attrs: dict, access: str) -> bool:
    return access == "any" or access in attrs["levels"]


def _rank(attrs: dict) -> tuple:
    return (attrs["decision"] != ALLOW, _KIND_ORDER.get(attrs["kind"], 9))


def _best_edge(graph: AccessGraph, u: str, v: str, allow_only: bool) -> tuple[str, dict] | None:
    best = None
    for key, attrs in graph.g[u][v].items():
        # A member's own edges are decided with its groups' policies (and its own boundary and denies);
        # a group node stands for "some member", so a path never continues from a group through membership.
        if attrs["kind"] in (CAN_ACCESS, MEMBER_OF) or (allow_only and attrs["decision"] != ALLOW):
            continue
        if best is None or (_rank(attrs), key) < (_rank(best[1]), best[0]):
            best = (key, attrs)
    return best


def _hop(graph: AccessGraph, u: str, v: str, key: str, attrs: dict) -> Hop:
    detail = attrs.get("technique") or attrs.get("method") or ""
    if attrs.get("resource"):  # escalation through compute: the resource it acts on
        detail = f"{detail} on {attrs['resource']}"
    return Hop(u, v, HOP_KINDS[attrs["kind"]], attrs["decision"], tuple(attrs["actions"]), tuple(attrs["conditions"]),
               tuple(attrs["reasons"]), detail)


def _access_hop(graph: AccessGraph, a: str, data: str, access: str) -> Hop | None:
    """The principal's access edges of the requested level to one data node, merged (allow edges win)."""
    edges = [attrs for attrs in graph.g[a][data].values() if attrs["kind"] == CAN_ACCESS and _level_ok(attrs, access)]
    if not edges:
        return None
    allowed = [e for e in edges if e["decision"] == ALLOW]
    chosen = allowed or edges
    decision = ALLOW if allowed else CONDITIONAL
    wanted = lambda e: e["levels"].items() if access == "any" else [(access, e["levels"][access])]  # noqa: E731
    actions = sorted({x for e in chosen for _, acts in wanted(e) for x in acts})
    conditions = _dedupe(c for e in chosen for c in e["conditions"])
    reasons = _dedupe(r for e in chosen for r in e["reasons"])
    scope = sorted({s for e in chosen for s in e.get("scope", ())})
    levels = sorted({lv for e in chosen for lv, _ in wanted(e)})
    detail = ", ".join(levels) + (f"; objects {', '.join(scope)}" if scope else "")
    return Hop(a, data, "access", decision, tuple(actions), conditions, reasons, detail)




def _path(graph: AccessGraph, bucket: str, hops: list[Hop]) -> Path:
    decision = ALLOW if all(h.decision == ALLOW for h in hops) else CONDITIONAL
    return Path(hops[0].source, bucket, hops[-1].actions, decision, tuple(hops))


# ---- queries ----

def paths_to(graph: AccessGraph, bucket: str, access: str = "any", start: set[str] | None = None,
             max_hops: int | None = None) -> list[Path]:
    """Every principal (or every one of ``start``) that can reach ``bucket`` with ``access``, each with its
    shortest path (an all-allow path when there is one)."""
    _check(access, max_hops)
    data_nodes = graph.data_nodes_of(bucket)
    if not data_nodes:
        from ..suggest import did_you_mean
        raise InputError(f"bucket `{bucket}` is not in the snapshot" + did_you_mean(bucket, graph.buckets()))
    # Final hops: each accessor's best access to the bucket (allow first, the bucket before its access points).
    final: dict[str, Hop] = {}
    for d in data_nodes:
        for a in graph.g.predecessors(d):
            hop = _access_hop(graph, a, d, access)
            if hop is None:
                continue
            cur = final.get(a)
            if cur is None or (cur.decision != ALLOW and hop.decision == ALLOW):
                final[a] = hop
    limit = (max_hops - 1) if max_hops is not None else None
    found: dict[str, list[Hop]] = {}
    for allow_only in (True, False):
        sources = [a for a, h in final.items() if h.decision == ALLOW or not allow_only]
        nxt = _reverse_bfs(graph, sources, allow_only, limit)
        for n in nxt:
            if n in found or graph.node(n)["kind"] not in PRINCIPAL_KINDS:
                continue
            if start is not None and n not in start:
                continue
            hops: list[Hop] = []
            cur = n
            while nxt[cur] is not None:
                v = nxt[cur]
                key, attrs = _best_edge(graph, cur, v, allow_only)
                hops.append(_hop(graph, cur, v, key, attrs))
                cur = v
            hops.append(final[cur])
            found[n] = hops
    paths = [_path(graph, bucket, hops) for hops in found.values()]
    return sorted(paths, key=lambda p: (p.decision != ALLOW, len(p.hops), p.principal))


def _reverse_bfs(graph: AccessGraph, sources: list[str], allow_only: bool, limit: int | None) -> dict[str, str | None]:
    """Multi-source BFS against the edges: node -> the next node on its shortest way to a source."""
    nxt: dict[str, str | None] = {s: None for s in sorted(sources)}
    queue = deque((s, 0) for s in sorted(sources))
    while queue:
        v, depth = queue.popleft()
        if limit is not None and depth >= limit:
            continue
        for u in sorted(graph.g.predecessors(v)):
            if u in nxt or _best_edge(graph, u, v, allow_only) is None:
                continue
            nxt[u] = v
            queue.append((u, depth + 1))
    return nxt


def paths_from(graph: AccessGraph, principals: Iterable[str], access: str = "any",
               max_hops: int | None = None) -> list[Path]:
    """Every bucket each principal can reach with ``access``, with the shortest path to each."""
    _check(access, max_hops)
    out: list[Path] = []
    for p in sorted(principals):
        best: dict[str, list[Hop]] = {}
        for allow_only in (True, False):  # an all-allow path wins over a shorter conditional one
            parent = _forward_bfs(graph, p, allow_only, max_hops)
            for n, (depth, _) in sorted(parent.items(), key=lambda x: (x[1][0], x[0])):
                if max_hops is not None and depth + 1 > max_hops:
                    continue
                for d in sorted(graph.g.successors(n), key=lambda x: (graph.node(x)["kind"] != BUCKET, x)):
                    dn = graph.node(d)
                    if dn["kind"] not in (BUCKET, ACCESS_POINT) or dn["bucket"] in best:
                        continue
                    hop = _access_hop(graph, n, d, access)
                    if hop is None or (allow_only and hop.decision != ALLOW):
                        continue
                    best[dn["bucket"]] = _chain(graph, parent, n, allow_only) + [hop]
        out.extend(_path(graph, bucket, hops) for bucket, hops in best.items())
    return sorted(out, key=lambda x: (x.principal, x.bucket))


def _forward_bfs(graph: AccessGraph, start: str, allow_only: bool, max_hops: int | None):
    parent: dict[str, tuple[int, str | None]] = {start: (0, None)}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        depth = parent[u][0]
        if max_hops is not None and depth + 1 >= max_hops:
            continue
        for v in sorted(graph.g.successors(u)):
            if v in parent or graph.node(v)["kind"] not in PRINCIPAL_KINDS:
                continue
            if _best_edge(graph, u, v, allow_only) is None:
                continue
            parent[v] = (depth + 1, u)
            queue.append(v)
    return parent


def _chain(graph: AccessGraph, parent, n: str, allow_only: bool) -> list[Hop]:
    hops = []
    while parent[n][1] is not None:
        u = parent[n][1]
        key, attrs = _best_edge(graph, u, n, allow_only)
        hops.append(_hop(graph, u, n, key, attrs))
        n = u
    return list(reversed(hops))


def _check(access: str, max_hops: int | None) -> None:
    if access not in ACCESS_CHOICES:
        raise InputError(f"unknown access level `{access}` (expected one of {', '.join(ACCESS_CHOICES)})")
    if max_hops is not None and max_hops < 1:
        raise InputError(f"--max-hops must be at least 1, found `{max_hops}`")


# ---- renderers ----

def render_json(graph: AccessGraph, paths: list[Path]) -> str:
    return json.dumps({"paths": [p.to_json(graph) for p in paths]}, indent=2)


def _actions_text(actions: tuple[str, ...], limit: int = 8) -> str:
    if len(actions) <= limit:
        return ", ".join(actions)
    return ", ".join(actions[:limit]) + f" and {len(actions) - limit} more"


def render_text(graph: AccessGraph, paths: list[Path], *, heading: str | None = None) -> str:
    lines = []
    if heading:
        lines.append(heading)
    if not paths:
        lines.append("no paths found")
        return "\n".join(lines) + "\n"
    for p in paths:
        n = len(p.hops)
        lines.append("")
        lines.append(f"{display(graph, p.principal)} -> {p.bucket}  [{p.decision}, {n} hop{'s' if n != 1 else ''}]")
        lines.append(f"  access: {_actions_text(p.access)}")
        for i, h in enumerate(p.hops, 1):
            kind = h.kind + (f" ({h.detail})" if h.detail else "")
            flag = "" if h.decision == ALLOW else "  [conditional]"
            lines.append(f"  {i}. {display(graph, h.source)} --{kind}--> {display(graph, h.target)}{flag}")
            if h.actions:
                lines.append(f"       actions: {_actions_text(h.actions)}")
            for r in h.reasons:
                stmt = f", statement {r.statement}" if r.statement else ""
                note = f" — {r.note}" if r.note else ""
                lines.append(f"       because: [{r.effect}] {r.source}{stmt}{note}")
            for c in h.conditions:
                verb = "only if" if c.effect == "Allow" else "unless"
                conds = "; ".join(clause_text(x) for x in c.conditions)
                lines.append(f"       {verb}: {conds}  ({c.source}, statement {c.statement})")
                lines.append(f"         = {describe(c.to_json())}")
    return "\n".join(lines) + "\n"


def _drawn(paths: list[Path]):
    """Nodes in first-seen order and de-duplicated edges of a set of paths."""
    nodes: dict[str, None] = {}
    edges: dict[tuple, Hop] = {}
    for p in paths:
        for h in p.hops:
            nodes.setdefault(h.source)
            nodes.setdefault(h.target)
            edges.setdefault((h.source, h.target, h.kind, h.decision, h.detail), h)
    return list(nodes), list(edges.values())


def _edge_label(h: Hop) -> str:
    if h.kind == "access":
        return f"{h.detail}: {_actions_text(h.actions, 3)}"
    if h.kind == "member-of":
        return "member of"
    what = _actions_text(h.actions, 3)
    return f"{h.kind}: {what}" if what else h.kind


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def render_dot(graph: AccessGraph, paths: list[Path]) -> str:
    nodes, edges = _drawn(paths)
    ids = {n: f"n{i}" for i, n in enumerate(nodes)}
    out = ["digraph paths {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];',
           '  edge [fontname="Helvetica", fontsize=10];']
    for n in nodes:
        a = graph.node(n)
        shape = "cylinder" if a["kind"] in (BUCKET, ACCESS_POINT) else "box"
        style = ', style=filled, fillcolor="#fde2e2"' if a.get("external") else ""
        out.append(f'  {ids[n]} [label="{_dot_escape(display(graph, n))}", shape={shape}{style}];')
    for h in edges:
        style = "" if h.decision == ALLOW else ", style=dashed"
        label = _edge_label(h) + ("" if h.decision == ALLOW else " (conditional)")
        out.append(f'  {ids[h.source]} -> {ids[h.target]} [label="{_dot_escape(label)}"{style}];')
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


def render_mermaid(graph: AccessGraph, paths: list[Path]) -> str:
    nodes, edges = _drawn(paths)
    ids = {n: f"n{i}" for i, n in enumerate(nodes)}
    out = ["flowchart LR"]
    for n in nodes:
        a = graph.node(n)
        label = _mermaid_text(display(graph, n))
        out.append(f'  {ids[n]}[("{label}")]' if a["kind"] in (BUCKET, ACCESS_POINT) else f'  {ids[n]}["{label}"]')
    for h in edges:
        arrow = "-->" if h.decision == ALLOW else "-.->"
        label = _mermaid_text(_edge_label(h) + ("" if h.decision == ALLOW else " (conditional)"))
        out.append(f'  {ids[h.source]} {arrow}|"{label}"| {ids[h.target]}')
    externals = [ids[n] for n in nodes if graph.node(n).get("external")]
    if externals:
        out.append("  classDef external fill:#fde2e2,stroke:#c0392b")
        out.append(f"  class {','.join(externals)} external")
    return "\n".join(out) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "dot": render_dot, "mermaid": render_mermaid}
