"""Every route (`paths --all`): every distinct simple route per principal, shortest first, at most --limit of
them, each with its hops explained; without --all the output is what it was.

AWS pages: a bucket policy granting another account
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-walkthroughs-managing-access-example2.html),
third-party access to a role with an external ID
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html),
cross-account evaluation
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
"""
from __future__ import annotations

import json

import pytest

from s3audit.cli import main
from s3audit.graph.build import build_graph
from s3audit.graph.paths import paths_to, select_principals
from s3audit.graph.routes import reach, routes_from, routes_to

from .estates import account, allow, bucket, grant, organization, role, scp, snapshot, trust

A, M, X = "222222222222", "111111111111", "999999999999"
READ = ["s3:GetObject", "s3:ListBucket"]
VAULT = ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"]


def two_routes_document(tmp_path=None):
    """X reads `vault` directly (a bucket grant) and through role `partner` that X may assume only with an
    external ID (a conditional hop)."""
    partner = role(A, "partner", [trust({"AWS": X}, condition={"StringEquals": {"sts:ExternalId": "xyz-123"}})],
                   allow(READ, VAULT))
    vault = bucket("vault", grant({"AWS": f"arn:aws:iam::{X}:root"}, READ, VAULT))
    return snapshot(account(M), account(A, roles=[partner], buckets=[vault]),
                    org=organization([M, A], M, [scp("FullAWSAccess", allow("*"))]))


def test_both_routes_of_one_principal_are_listed():
    g = build_graph(two_routes_document())
    routes = routes_to(g, "vault", "read", select_principals(g, "external"))
    assert [(r.principal, [h.target for h in r.hops], r.decision) for r in routes] == [
        (f"arn:aws:iam::{X}:root", ["arn:aws:s3:::vault"], "allow"),
        (f"arn:aws:iam::{X}:root", [f"arn:aws:iam::{A}:role/partner", "arn:aws:s3:::vault"], "conditional"),
    ]
    # the role chain's first hop says why it is conditional
    [cond] = routes[1].hops[0].conditions
    assert cond.conditions[0]["key"] == "sts:ExternalId"
    # the best path alone (without --all) is the direct grant
    [best] = paths_to(g, "vault", "read", select_principals(g, "external"))
    assert [h.target for h in best.hops] == ["arn:aws:s3:::vault"]


def test_limit_keeps_the_shortest():
    g = build_graph(two_routes_document())
    [only] = routes_to(g, "vault", "read", {f"arn:aws:iam::{X}:root"}, limit=1)
    assert len(only.hops) == 1


def test_max_hops_bounds_routes():
    g = build_graph(two_routes_document())
    routes = routes_to(g, "vault", "read", {f"arn:aws:iam::{X}:root"}, max_hops=1)
    assert [len(r.hops) for r in routes] == [1]


def test_routes_from_a_principal():
    g = build_graph(two_routes_document())
    routes = routes_from(g, [f"arn:aws:iam::{X}:root"], "read")
    assert [(r.bucket, len(r.hops)) for r in routes] == [("vault", 1), ("vault", 2)]


def chain_of_roles(n: int):
    """A diamond of roles r0 -> (a_i | b_i) -> r_{i+1}, giving 2**n distinct routes from r0 to the bucket."""
    roles = []
    for i in range(n + 1):
        targets = [f"arn:aws:iam::{A}:role/a{i}", f"arn:aws:iam::{A}:role/b{i}"] if i < n else []
        stmts = [allow("sts:AssumeRole", targets)] if targets else [allow(READ, VAULT)]
        roles.append(role(A, f"r{i}", [trust({"AWS": f"arn:aws:iam::{A}:role/a{i - 1}"}),
                                      trust({"AWS": f"arn:aws:iam::{A}:role/b{i - 1}"})] if i else
                          [trust({"Service": "ec2.amazonaws.com"})], *stmts))
        if i < n:
            for side in "ab":
                roles.append(role(A, f"{side}{i}", [trust({"AWS": f"arn:aws:iam::{A}:role/r{i}"})],
                                  allow("sts:AssumeRole", f"arn:aws:iam::{A}:role/r{i + 1}")))
    return snapshot(account(A, roles=roles, buckets=[bucket("vault")]))


def test_routes_are_distinct_simple_and_shortest_first():
    g = build_graph(chain_of_roles(3))
    start = f"arn:aws:iam::{A}:role/r0"
    routes = routes_to(g, "vault", "read", {start}, limit=100)
    assert len(routes) == 8  # 2 * 2 * 2 ways through the diamonds
    seqs = [tuple(h.target for h in r.hops) for r in routes]
    assert len(set(seqs)) == 8
    assert all(len(set(s)) == len(s) for s in seqs)  # simple
    lengths = [len(r.hops) for r in routes]
    assert lengths == sorted(lengths)
    assert len(routes_to(g, "vault", "read", {start}, limit=3)) == 3


def test_reach_agrees_with_paths_to_pair_by_pair():
    g = build_graph(two_routes_document())
    expected = {}
    for p in g.principals():
        for b in g.buckets():
            for level in ("list", "read", "write", "permissions"):
                found = paths_to(g, b, level, {p})
                if found:
                    expected[(p, b, level)] = found[0].decision
    assert reach(g) == expected


# ---- the command ----

def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["paths", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def estate_file(tmp_path):
    from .estates import account as acc
    partner = role(A, "partner", [trust({"AWS": X}, condition={"StringEquals": {"sts:ExternalId": "xyz-123"}})],
                   allow(READ, VAULT))
    vault = bucket("vault", grant({"AWS": f"arn:aws:iam::{X}:root"}, READ, VAULT))
    d = {"format": "s3audit.snapshot/v1", "taken_at": "2026-01-01T00:00:00Z",
         "accounts": [acc(M), acc(A, roles=[partner], buckets=[vault])],
         "organization": organization([M, A], M, [scp("FullAWSAccess", allow("*"))])}
    p = tmp_path / "estate.json"
    p.write_text(json.dumps(d))
    return p


def test_cli_all_lists_both_routes_in_the_paths_contract(capsys, estate_file):
    code, out, err = run(capsys, estate_file, "--to", "vault", "--from", "external", "--access", "read", "--all",
                         "--format", "json")
    assert code == 0, err
    paths = json.loads(out)["paths"]
    assert [[h["to"] for h in p["hops"]] for p in paths] == [["vault"], [f"arn:aws:iam::{A}:role/partner", "vault"]]
    assert all(set(p) == {"principal", "bucket", "access", "decision", "hops"} for p in paths)
    assert [p["decision"] for p in paths] == ["allow", "conditional"]
    code, out, _ = run(capsys, estate_file, "--to", "vault", "--from", "external", "--access", "read", "--all")
    assert code == 0
    assert "every route, at most 10 per principal" in out
    assert "only with external ID xyz-123" in out  # each hop explained, conditions in words
    code, out, _ = run(capsys, estate_file, "--to", "vault", "--from", "external", "--access", "read", "--format",
                       "json")
    assert len(json.loads(out)["paths"]) == 1  # without --all: one path per principal, as before


def test_cli_limit_needs_all(capsys, estate_file):
    code, out, err = run(capsys, estate_file, "--to", "vault", "--limit", "2")
    assert code == 2 and out == "" and "--limit counts the routes of --all" in err
    code, out, err = run(capsys, estate_file, "--to", "vault", "--all", "--limit", "1", "--format", "json")
    assert code == 0
    per = {}
    for p in json.loads(out)["paths"]:
        per[p["principal"]] = per.get(p["principal"], 0) + 1
    assert per and set(per.values()) == {1}
