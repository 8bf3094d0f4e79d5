"""Every escalation technique of the public catalogue (catalogue.py cites the sources and each API's page): a
user holding exactly a technique's permissions reaches the vault only through that escalation, and its
negative twins — a permission missing, the wrong resource, an explicit deny, a permissions boundary, a grant
that expired before the snapshot, and the estate states that defeat a technique (a user with or without a
password, a policy version that grants no more, an instance SSM does not manage, a stack without a service
role, a boundary that cannot be taken away) — reach nothing.

Each case is its own estate (catalogue.snapshot_document); the whole catalogue is also one estate, and one
Terraform directory checked through ``s3audit paths --terraform``.
"""
from __future__ import annotations

import json

import pytest

from s3audit.graph.build import CAN_ACCESS, CAN_ACT_AS, build_graph
from s3audit.graph.paths import paths_to
from s3audit.snapshot.load import snapshot_from_dict

from .catalogue import CASES, VAULT, Attacker, attackers, iam, snapshot_document, twins

ALL_TWINS = [(c.name, t) for c in CASES for t in twins(c)]


def graph_of(*who: Attacker):
    return build_graph(snapshot_from_dict(snapshot_document(list(who)), file="<catalogue>"))


def reach(graph, attacker: Attacker) -> list:
    return paths_to(graph, VAULT, "read", {iam(f"user/{attacker.user}")})


def technique_edge(graph, attacker: Attacker) -> dict | None:
    u, case = iam(f"user/{attacker.user}"), attacker.case
    if not graph.g.has_edge(u, case.target):
        return None
    for key, attrs in graph.g[u][case.target].items():
        if attrs["kind"] == CAN_ACT_AS and attrs["technique"] == case.technique:
            return attrs
    return None


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_technique_reaches_the_vault_only_through_its_escalation(case):
    x = Attacker(case)
    g = graph_of(x)
    u = iam(f"user/{x.user}")
    assert not any(a["kind"] == CAN_ACCESS for _, v, a in g.g.out_edges(u, data=True)), "no access of its own"
    edge = technique_edge(g, x)
    assert edge is not None, f"no {case.technique} edge to {case.target}"
    assert edge["decision"] == case.decision
    # the edge names the actions it rests on (each one the case grants, or the resource's own)
    assert {a for a, _ in case.grants} & set(edge["actions"]) or case.technique.startswith("modify-and-become")
    [path] = reach(g, x)
    assert path.hops[0].kind == "act-as" and path.hops[0].target == case.target
    assert path.hops[-1].kind == "access" and path.decision == case.decision


@pytest.mark.parametrize("name, twin", ALL_TWINS, ids=[f"{n}--{t}" for n, t in ALL_TWINS])
def test_a_negative_twin_reaches_nothing(name, twin):
    x = Attacker(next(c for c in CASES if c.name == name), twin)
    g = graph_of(x)
    assert reach(g, x) == [], [h.detail for p in reach(g, x) for h in p.hops]
    assert technique_edge(g, x) is None


def test_compute_edges_name_the_resource_they_act_on():
    x = Attacker(next(c for c in CASES if c.name == "lambda-update-function-code"))
    edge = technique_edge(graph_of(x), x)
    assert edge["resource"] == "arn:aws:lambda:us-east-1:111122223333:function:privileged-fn"
    assert ("lambda:UpdateFunctionCode", edge["resource"], ()) in edge["requests"]


def test_the_catalogue_as_one_estate():
    """Every attacker side by side over the shared roles and compute: positives reach, twins do not."""
    everyone = attackers()
    g = graph_of(*everyone)
    found = {x.user for x in everyone if reach(g, x)}
    assert found == {x.user for x in everyone if x.twin is None}


def test_an_unlisted_inventory_gives_conditional_edges_naming_the_assumption():
    """A snapshot of the account without its Lambda functions: a user that may update any function gets a
    conditional edge to every role Lambda can assume (docs/snapshot-format.md, "Absent means not collected")."""
    x = Attacker(next(c for c in CASES if c.name == "lambda-update-function-code"))
    doc = snapshot_document([x])
    del doc["accounts"][0]["lambda"]
    user = next(u for u in doc["accounts"][0]["iam"]["UserDetailList"] if u["UserName"] == x.user)
    user["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"] = "*"
    g = build_graph(snapshot_from_dict(doc))
    edges = {v: a for _, v, a in g.g.out_edges(iam(f"user/{x.user}"), data=True) if a["kind"] == CAN_ACT_AS}
    assert set(edges) == {iam("role/privileged"), iam("role/decoy")}
    notes = [c.conditions[0]["note"] for c in edges[iam("role/privileged")]["conditions"]]
    assert edges[iam("role/privileged")]["decision"] == "conditional"
    assert notes == ["the account's Lambda functions were not collected; a Lambda function there may run as this "
                     "role"]


def test_a_role_that_could_not_be_read_may_be_any_the_service_assumes():
    x = Attacker(next(c for c in CASES if c.name == "sagemaker-presigned-url"))
    doc = snapshot_document([x])
    nb = doc["accounts"][0]["sagemaker"]["notebook_instances"][0]
    del nb["RoleArn"]
    nb["Errors"] = {"DescribeNotebookInstance": "ThrottlingException"}
    g = build_graph(snapshot_from_dict(doc))
    [path] = reach(g, x)
    assert path.decision == "conditional"
    assert "may be this one" in json.dumps([c.to_json() for c in path.hops[0].conditions])
