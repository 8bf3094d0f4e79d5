"""The data stage of the build: data nodes and ``can-access`` edges for a given set of buckets and access
points, as a ``DataGraph``.

``build_data_graph(snapshot, principals, data, engine)`` reads the principal stage's result (never changing
it), the configurations of the buckets and access points in ``data`` (policies, ACLs, Block Public Access,
Object Ownership), and the policies that can apply to them (the identity policies and boundaries of the
principals paired with them, SCPs, RCPs). A (principal, data node) pair is considered only when the
principal graph's grant index or the data node's own policy or ACL can name the principal (``candidates``),
and ``access.py`` decides each pair in few engine decisions.

Its result depends on nothing but those inputs: run on any partition of the data, the parts' nodes and
edges are exactly the whole's, each edge once (``test_graph_stages.py`` asserts it).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

from ..iam.engine import Engine
from ..snapshot.model import UNKNOWN, AccessPoint, Bucket, Snapshot
from .access import AccessPlanner
from .index import access_point_actions, s3_access_actions
from .kinds import ACCESS_POINT, BUCKET, PROVIDER
from .principals import Grantees, PrincipalGraph, compiled


@dataclass
class DataGraph:
    """The data stage's result: data nodes as (id, attributes) in the order of its input, and ``can-access``
    edges as (principal, data node, key, attributes) by principal (sorted), then by the input's order."""

    nodes: list[tuple[str, dict]] = field(default_factory=list)
    edges: list[tuple[str, str, str, dict]] = field(default_factory=list)


def data_resources(snapshot: Snapshot) -> list[Bucket | AccessPoint]:
    """Every bucket and access point of the snapshot in its order: per account, the buckets, then the access
    points."""
    return [x for a in snapshot.accounts for x in (*a.buckets, *a.access_points)]


def build_data_graph(snapshot: Snapshot, principals: PrincipalGraph, data: Sequence[Bucket | AccessPoint],
                     engine: Engine) -> DataGraph:
    """The data stage (see the module docstring) for the buckets and access points in ``data``."""
    out = DataGraph()
    nodes: dict[str, dict] = {}
    grantees: dict[str, Grantees] = {}
    s3_domain = frozenset(s3_access_actions())
    ap_domain = frozenset(access_point_actions())
    compile_ = engine.compile
    for x in data:
        in_org = snapshot.in_organization(x.account)
        if isinstance(x, Bucket):
            tags = dict(x.tags) if x.tags is not UNKNOWN else {}
            attrs = dict(kind=BUCKET, name=x.name, bucket=x.name, account=x.account, in_organization=in_org,
                         external=False, tags=tags, tags_known=x.tags is not UNKNOWN,
                         region=x.region if isinstance(x.region, str) else None)
            gr = principals.grantees(compiled(compile_, x.policy), s3_domain)
            principals.acl_grantees(x, gr)
        else:
            attrs = dict(kind=ACCESS_POINT, name=x.name, bucket=x.bucket, account=x.account, in_organization=in_org,
                         external=False, tags={}, tags_known=False, region=x.region)
            gr = principals.grantees(compiled(compile_, x.policy), ap_domain)
        nodes[x.arn] = attrs
        grantees[x.arn] = gr
        out.nodes.append((x.arn, attrs))

    # Pair each data node with the principals that may be allowed on it, then decide principal by principal.
    pairs: dict[str, list[str]] = defaultdict(list)
    for x in data:
        family = "s3" if isinstance(x, Bucket) else "ap"
        for c in principals.candidates(family, x.arn, grantees[x.arn], x.account, children=True):
            pairs[c].append(x.arn)
    planner = AccessPlanner(snapshot, engine, principals, nodes, grantees, out.edges)
    for c in sorted(pairs):
        if principals.g.nodes[c]["kind"] == PROVIDER:
            continue
        planner.start(c)
        for d in pairs[c]:
            planner.edges(c, d)
    return out

