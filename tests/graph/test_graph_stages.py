"""The build's two stages have a real boundary (``s3audit/graph/build.py``):

- the principal stage makes only principal nodes and principal -> principal edges, and the data stage only
  data nodes and ``can-access`` edges;
- the data stage reads the principal graph and never changes it;
- the data stage run on the parts of any partition of the buckets and access points makes exactly the
  whole's nodes and edges (each edge once, with the same attributes), so that a later change can run it
  per shard and merge: by principal, then by the data's order;
- ``build_graph`` is the assembly of the two.
"""
from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3audit.graph.build import assemble, build_graph
from s3audit.graph.data_stage import DataGraph, build_data_graph, data_resources
from s3audit.graph.kinds import CAN_ACCESS, DATA_KINDS, PRINCIPAL_KINDS
from s3audit.graph.principal_stage import build_principal_graph
from s3audit.iam.engine import Engine
from s3audit.snapshot.load import load_snapshot

from .test_graph_properties import estates

ROOT = Path(__file__).resolve().parents[2]


def _stages(snap):
    engine = Engine(snap)
    engine.compile_all()
    principals = build_principal_graph(snap, engine)
    return engine, principals


def _fingerprint(g) -> str:
    """Nodes, edges and adjacency, with their attributes, in order."""
    h = hashlib.sha256()
    for n, a in g.nodes.items():
        h.update(repr((n, a)).encode())
    for e in g.edges(keys=True, data=True):
        h.update(repr(e).encode())
    for n in g.nodes:
        h.update(repr((n, list(g.predecessors(n)))).encode())
    return h.hexdigest()


def _merge(parts: list[DataGraph], order: list[str]) -> DataGraph:
    """Parts of a partition merged as the whole orders them: nodes by the data's order, edges by principal
    and then the data's order (a part keeps the order of the edges of one pair)."""
    place = {arn: i for i, arn in enumerate(order)}
    out = DataGraph()
    out.nodes = sorted((x for p in parts for x in p.nodes), key=lambda x: place[x[0]])
    out.edges = sorted((e for p in parts for e in p.edges), key=lambda e: (e[0], place[e[1]]))
    return out


def _check_partition(snap, parts_of: list[int]) -> None:
    engine, principals = _stages(snap)
    data = data_resources(snap)
    before = _fingerprint(principals.g)
    whole = build_data_graph(snap, principals, data, engine)
    k = max(parts_of, default=0) + 1
    parts = [build_data_graph(snap, principals, [x for x, p in zip(data, parts_of) if p == i], engine)
             for i in range(k)]
    assert _fingerprint(principals.g) == before, "the data stage changed the principal graph"
    merged = _merge(parts, [x.arn for x in data])
    assert merged.nodes == whole.nodes
    assert merged.edges == whole.edges
    assert _fingerprint(assemble(principals, merged, snap, engine).g) == \
        _fingerprint(assemble(principals, whole, snap, engine).g)


def _synthetic():
    sys.path.insert(0, str(ROOT))
    from bench.synthetic import generate, write
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "estate.json")
        write(generate(accounts=4, roles=80, users=30, buckets=200, seed=5), path)
        return load_snapshot(path)


def test_each_stage_makes_its_own_kinds_of_node_and_edge():
    snap = load_snapshot(str(ROOT / "s3audit/demo/estate.json"))
    engine, principals = _stages(snap)
    assert {a["kind"] for a in principals.g.nodes.values()} <= PRINCIPAL_KINDS
    assert {a["kind"] for _, _, a in principals.g.edges(data=True)} == {"member-of", "can-assume", "can-act-as"}
    data = build_data_graph(snap, principals, data_resources(snap), engine)
    assert {a["kind"] for _, a in data.nodes} == DATA_KINDS
    assert {a["kind"] for _, _, _, a in data.edges} == {CAN_ACCESS}
    assert all(u in principals.g and principals.g.nodes[u]["kind"] in PRINCIPAL_KINDS for u, _, _, _ in data.edges)
    assert len(data.nodes) == sum(len(a.buckets) + len(a.access_points) for a in snap.accounts)


def test_build_graph_is_the_assembly_of_the_stages():
    snap = load_snapshot(str(ROOT / "s3audit/demo/estate.json"))
    engine, principals = _stages(snap)
    data = build_data_graph(snap, principals, data_resources(snap), engine)
    assert _fingerprint(assemble(principals, data, snap, engine).g) == _fingerprint(build_graph(snap).g)


def test_the_demo_estate_split_by_bucket_gives_the_whole():
    snap = load_snapshot(str(ROOT / "s3audit/demo/estate.json"))
    n = len(data_resources(snap))
    _check_partition(snap, list(range(n)))  # one part per bucket or access point
    _check_partition(snap, [i % 2 for i in range(n)])
    _check_partition(snap, [0] * n)


def test_a_synthetic_estate_split_in_seven_gives_the_whole():
    snap = _synthetic()
    n = len(data_resources(snap))
    _check_partition(snap, [(i * 5) % 7 for i in range(n)])
    _check_partition(snap, [0 if i < n // 3 else 1 for i in range(n)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(), st.data())
def test_any_partition_of_the_data_gives_the_whole(snap, data):
    n = len(data_resources(snap))
    parts = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    _check_partition(snap, parts)


def test_a_principal_element_naming_an_access_point_names_no_principal():
    # AWS accepts no access point as a principal ("Invalid principal in policy"); the name is a data node's,
    # so the principal stage must not take it for a principal (it did, and the data stage then failed).
    from s3audit.snapshot.load import snapshot_from_dict

    from ..iam.estate import build

    a = "111111111111"
    ap = f"arn:aws:s3:us-east-1:{a}:accesspoint/ap1"
    d = build({"accounts": {a: {"buckets": {"data-a": {"policy": {
        "Effect": "Allow", "Principal": {"AWS": ap}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-a/*"}}}}}})
    d["accounts"][0]["s3"]["access_points"] = [{"Name": "ap1", "Bucket": "data-a", "Region": "us-east-1",
                                                "NetworkOrigin": "Internet"}]
    graph = build_graph(snapshot_from_dict(d))
    assert graph.node(ap)["kind"] == "access-point"
    assert not list(graph.g.successors(ap))
