"""The access graph: principals and data as nodes, and every way one reaches the other as edges.

``build_graph(snapshot)`` returns an ``AccessGraph`` around a directed multigraph (``graph.g``, read like a
``networkx.MultiDiGraph``; ``graph.to_networkx()`` for networkx's algorithms, see ``store.py``).

Nodes (id: an ARN, a service or provider name, ``anonymous`` or ``authenticated``):

- principals — ``kind`` user | group | role | root | service | provider | session | anonymous |
  authenticated; ``name``, ``account``, ``in_organization`` (the organization's accounts, or the
  snapshot's when there is none; None for AWS services), ``external`` (outside it; services are not),
  ``in_snapshot``, ``known`` (described by the snapshot), ``tags``, ``caller`` (what the engine is asked
  as). Users, groups, roles and roots of the snapshot; AWS services and federated providers named in trust
  or resource policies; one node per external account (its root) or external principal ARN named in any
  policy; the anonymous caller; any authenticated AWS principal. A group stands for "any member".
- data — ``kind`` bucket | access-point; ``name``, ``bucket``, ``account``, ``tags`` (a bucket's, for
  ``data-class`` and the like), ``region``.

Edges, each with ``kind``, ``decision`` (allow | conditional), ``actions``, ``conditions`` (the engine's
residuals), ``reasons`` and ``assumptions``:

- ``member-of`` user -> group;
- ``can-assume`` principal -> role (``method``: sts:AssumeRole, AssumeRoleWithWebIdentity or
  AssumeRoleWithSAML; ``requests``: what the engine decided);
- ``can-act-as`` principal -> principal (privilege escalation, ``escalation.py`` and, through compute that
  already runs as a role, ``compute_routes.py``; ``technique`` and ``requests``, and ``resource`` for the
  compute it acts through);
- ``can-access`` principal -> bucket or access point, one edge per decision: ``levels`` (access level ->
  actions), ``scope`` (object-key patterns the object actions were decided on; ``*`` is any key), ``via``
  (identity-policy, bucket-policy, access-point-policy, acl, account-root), ``resources`` (the ARNs
  decided). ``access.py`` explains how few decisions this takes.

Every edge is decided by the engine, so SCPs, RCPs, permissions boundaries, Block Public Access and
explicit denies apply on every hop.

Cost grows with the grants that exist, not with principals times buckets: a (principal, bucket) pair is
considered only when some identity statement of the principal can name the bucket (``index.GrantIndex``)
or the bucket's own policy, ACL or access point names the principal, its account or everyone.

The build is two stages with plain inputs and outputs; nothing mutable passes between them but what the
second is handed (one ``Engine`` may serve both within a process: it memoises, it decides the same):

1. the **principal stage**, ``principal_stage.build_principal_graph(snapshot, engine) -> PrincipalGraph``:
   principal nodes and the ``member-of``, ``can-assume`` and ``can-act-as`` edges. A function of IAM, the
   organization and who resource-side policies and ACLs *name* (so that every principal any policy names is
   a node before any data is paired). Edges between principals (compute and other escalation routes) belong
   here.
2. the **data stage**, ``data_stage.build_data_graph(snapshot, principals, data, engine) -> DataGraph``:
   the data nodes of ``data`` (a sequence of buckets and access points) and their ``can-access`` edges. A
   function of the principal graph, which it only reads, those buckets' and access points' configurations
   and the policies that can apply to them. It can run on any partition of the data (a shard of buckets,
   with their access points); the parts' results are the whole's. Edges from a principal to data (and
   anything an access decision needs besides the bucket, such as the key that encrypts it) belong here.

``assemble(principals, data, snapshot, engine)`` merges them into the ``AccessGraph`` in one fixed order:
nodes — the principals the snapshot describes, the data nodes, the principals policies name; edges —
``member-of`` and ``can-assume``, ``can-access`` (by principal, then data order), ``can-act-as``.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from ..gcpause import no_cyclic_gc
from ..iam.engine import Engine
from ..snapshot.model import Snapshot
from .data_stage import DataGraph, build_data_graph, data_resources
from .kinds import (ACCESS_POINT, ANONYMOUS, ANONYMOUS_KIND, AUTHENTICATED, AUTHENTICATED_KIND,
                    AUTHENTICATED_PROXY, BUCKET, CAN_ACCESS, CAN_ACT_AS, CAN_ASSUME, DATA_KINDS, GROUP, MEMBER_OF,
                    PRINCIPAL_KINDS, PROVIDER, ROLE, ROOT, SERVICE, SESSION, USER)
from .principal_stage import build_principal_graph
from .principals import PrincipalGraph
from .store import MultiDigraph

# The graph's names (kinds.py) stay importable from here, beside the graph and its build.
__all__ = ["AccessGraph", "build_graph", "assemble", "ACCESS_POINT", "ANONYMOUS", "ANONYMOUS_KIND", "AUTHENTICATED",
           "AUTHENTICATED_KIND", "AUTHENTICATED_PROXY", "BUCKET", "CAN_ACCESS", "CAN_ACT_AS", "CAN_ASSUME",
           "DATA_KINDS", "GROUP", "MEMBER_OF", "PRINCIPAL_KINDS", "PROVIDER", "ROLE", "ROOT", "SERVICE", "SESSION",
           "USER"]


class AccessGraph:
    """The graph and what the queries need around it (the snapshot and the engine that decided it)."""

    def __init__(self, graph: MultiDigraph, snapshot: Snapshot, engine: Engine):
        self.g = graph
        self.snapshot = snapshot
        self.engine = engine
        self._buckets: dict[str, list[str]] = defaultdict(list)
        for n, a in graph.nodes(data=True):
            if a["kind"] == BUCKET:
                self._buckets[a["name"]].insert(0, n)
            elif a["kind"] == ACCESS_POINT:
                self._buckets[a["bucket"]].append(n)

    def node(self, n: str) -> dict:
        return self.g.nodes[n]

    def principals(self) -> list[str]:
        return [n for n, a in self.g.nodes(data=True) if a["kind"] in PRINCIPAL_KINDS]

    def buckets(self) -> list[str]:
        """Bucket names (of the snapshot and those only named by an access point)."""
        return sorted(self._buckets)

    def data_nodes_of(self, bucket: str) -> list[str]:
        """The bucket's node and its access points' nodes."""
        return list(self._buckets.get(bucket, ()))

    def edges(self, kind: str | None = None) -> Iterator[tuple[str, str, str, dict]]:
        for u, v, k, a in self.g.edges(keys=True, data=True):
            if kind is None or a["kind"] == kind:
                yield u, v, k, a

    def caller(self, n: str) -> str:
        """The principal string the engine takes for this node."""
        return self.g.nodes[n]["caller"]

    def to_networkx(self):
        """The graph as a ``networkx.MultiDiGraph``, for networkx's algorithms and exports."""
        return self.g.to_networkx()


def build_graph(snapshot: Snapshot, engine: Engine | None = None) -> AccessGraph:
    """Build the access graph of a snapshot (no I/O). Every edge is decided by ``engine``."""
    engine = engine or Engine(snapshot)
    with no_cyclic_gc():  # everything the build makes lives on: see gcpause.py
        engine.compile_all()
        principals = build_principal_graph(snapshot, engine)
        data = build_data_graph(snapshot, principals, data_resources(snapshot), engine)
        return assemble(principals, data, snapshot, engine)


def assemble(principals: PrincipalGraph, data: DataGraph, snapshot: Snapshot, engine: Engine) -> AccessGraph:
    """The access graph of the two stages' results, in the order the module docstring gives. The principal
    graph's nodes and edges are copied (it stays as it was); the data stage's are handed over."""
    g = MultiDigraph()
    pg = principals.g
    described = list(pg.nodes)[:principals.described]
    for n in described:
        g.add_node(n, **pg.nodes[n])
    for n, attrs in data.nodes:
        g.add_node(n, **attrs)  # (few: copied all the same)
    for n, attrs in list(pg.nodes.items())[principals.described:]:
        g.add_node(n, **attrs)
    later = []
    for u, v, key in principals.edge_order:
        attrs = pg[u][v][key]
        if attrs["kind"] == CAN_ACT_AS:
            later.append((u, v, key, attrs))
        else:
            g.add_edge(u, v, key, **attrs)
    adopt = g.adopt_edge
    for u, v, key, attrs in data.edges:
        adopt(u, v, key, attrs)
    for u, v, key, attrs in later:
        g.add_edge(u, v, key, **attrs)
    return AccessGraph(g, snapshot, engine)
