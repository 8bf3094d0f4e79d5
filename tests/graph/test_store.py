"""The graph's storage reads like networkx's MultiDiGraph (the subset the graph uses) and converts to it.

A property: any sequence of node and edge insertions gives the same nodes, attributes, keyed edges,
successors and predecessors, in the same order, as the same insertions into ``networkx.MultiDiGraph``.
"""
import networkx as nx
from hypothesis import given, settings, strategies as st

from s3audit.graph.store import MultiDigraph

NODES = st.sampled_from(["a", "b", "c", "d"])
OPS = st.lists(st.one_of(
    st.tuples(st.just("node"), NODES, st.dictionaries(st.sampled_from(["kind", "name"]), st.integers(0, 3))),
    st.tuples(st.just("edge"), NODES, NODES, st.sampled_from(["k1", "k2"]),
              st.dictionaries(st.sampled_from(["kind", "decision"]), st.integers(0, 3)))), max_size=30)


def _apply(ops, ours: MultiDigraph, theirs: nx.MultiDiGraph) -> None:
    for op in ops:
        if op[0] == "node":
            ours.add_node(op[1], **op[2])
            theirs.add_node(op[1], **op[2])
        else:
            _, u, v, k, attrs = op
            ours.add_edge(u, v, key=k, **attrs)
            theirs.add_edge(u, v, key=k, **attrs)


def _shape(g) -> tuple:
    nodes = [(n, dict(a)) for n, a in g.nodes(data=True)]
    edges = [(u, v, k, dict(a)) for u, v, k, a in g.edges(keys=True, data=True)]
    adjacency = [(n, list(g.successors(n)), list(g.predecessors(n)),
                  [(v, k) for _, v, k in g.out_edges(n, keys=True)]) for n in g]
    return nodes, edges, adjacency, g.number_of_nodes(), g.number_of_edges()


@settings(max_examples=200, deadline=None)
@given(OPS)
def test_store_reads_like_networkx(ops):
    ours, theirs = MultiDigraph(), nx.MultiDiGraph()
    _apply(ops, ours, theirs)
    assert _shape(ours) == _shape(theirs)
    for u in ours:
        for v in ["a", "b", "c", "d"]:
            assert ours.has_edge(u, v) == theirs.has_edge(u, v)
            assert ours.has_edge(u, v, "k1") == theirs.has_edge(u, v, "k1")
            if theirs.has_edge(u, v):
                assert dict(ours[u][v]) == {k: dict(a) for k, a in theirs[u][v].items()}


@settings(max_examples=100, deadline=None)
@given(OPS)
def test_to_networkx_is_the_same_graph(ops):
    ours, theirs = MultiDigraph(), nx.MultiDiGraph()
    _apply(ops, ours, theirs)
    exported = ours.to_networkx()
    # same nodes and keyed edges in the same order; predecessors as sets (the export adds edges source by source)
    assert _shape(exported)[:2] == _shape(theirs)[:2]
    assert {n: set(exported.predecessors(n)) for n in exported} == {n: set(theirs.predecessors(n)) for n in theirs}


def test_access_graph_exports_to_networkx():
    from s3audit.graph.build import build_graph
    from s3audit.snapshot.load import load_snapshot
    graph = build_graph(load_snapshot("fixtures/demo/estate.json"))
    exported = graph.to_networkx()
    assert isinstance(exported, nx.MultiDiGraph)
    assert exported.number_of_nodes() == graph.g.number_of_nodes() > 20
    assert exported.number_of_edges() == graph.g.number_of_edges() > 20
    u, v, k, attrs = next(graph.edges("can-access"))
    assert exported[u][v][k] == attrs
