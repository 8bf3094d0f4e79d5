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
    pairing = pair_data(snapshot, principals, data, engine)
    out.nodes = pairing.order
    # Decide principal by principal, each with the data nodes it was paired with, in the input's order.
    pairs: dict[str, list[str]] = defaultdict(list)
    for arn, found in pairing.candidates:
        for c in found:
            pairs[c].append(arn)
    planner = AccessPlanner(snapshot, engine, principals, pairing.nodes, pairing.grantees, out.edges)
    for c in sorted(pairs):
        if principals.g.nodes[c]["kind"] == PROVIDER:
            continue
        planner.start(c)
        for d in pairs[c]:
            planner.edges(c, d)
    return out


@dataclass
class Pairing:
    """The data stage's first step: each data node's attributes, who its policies and ACL name, and the
    principals it is paired with (those that may be allowed on it), by data node in the input's order."""

    order: list[tuple[str, dict]] = field(default_factory=list)  # (id, attributes) in the input's order
    nodes: dict[str, dict] = field(default_factory=dict)
    grantees: dict[str, Grantees] = field(default_factory=dict)
    candidates: list[tuple[str, set[str]]] = field(default_factory=list)  # (id, principals) in the input's order


def pair_data(snapshot: Snapshot, principals: PrincipalGraph, data: Sequence[Bucket | AccessPoint],
              engine: Engine) -> Pairing:
    """Data nodes and their candidate principals, without deciding anything (cheap: the grant index)."""
    out = Pairing()
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
        out.nodes[x.arn] = attrs
        out.grantees[x.arn] = gr
        out.order.append((x.arn, attrs))
    for x in data:
        family = "s3" if isinstance(x, Bucket) else "ap"
        out.candidates.append((x.arn, principals.candidates(family, x.arn, out.grantees[x.arn], x.account,
                                                            children=True)))
    return out
