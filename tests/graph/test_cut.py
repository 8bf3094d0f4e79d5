"""The smallest cut (`paths --to BUCKET --from ... --cut`): the fewest grants whose removal leaves no route,
where each lives, the proof by rebuilding, and the collateral.

AWS pages: same-account and cross-account evaluation
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html),
trust policies naming an account or a role
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html),
groups (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html), access points' two sides
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html), ACL grantees
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html).
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from s3audit.cli import main
from s3audit.graph.build import build_graph
from s3audit.graph.cut import smallest_cut
from s3audit.graph.paths import paths_to, select_principals
from s3audit.snapshot import patch
from s3audit.snapshot.load import snapshot_from_dict

from .estates import (account, allow, bucket, deny, grant, group, organization, role, scp, trust, user)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "s3audit" / "demo" / "estate.json"
LEVELS = ("list", "read", "write", "permissions")
A, B, M, X, Y = "222222222222", "333333333333", "111111111111", "999999999999", "888888888888"
READ = ["s3:GetObject", "s3:ListBucket"]
VAULT = ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"]


def document(*accounts, org=True) -> dict:
    d = {"format": "s3audit.snapshot/v1", "taken_at": "2026-01-01T00:00:00Z", "accounts": list(accounts)}
    if org:
        ids = [a["id"] for a in accounts]
        d["organization"] = organization(ids, ids[0], [scp("FullAWSAccess", allow("*"))])
    return d


def cut_of(doc, bucket="vault", access="any", start="external"):
    return smallest_cut(doc, snapshot_from_dict(doc), bucket, access, start)


def everything_reachable(graph) -> set[tuple[str, str, str]]:
    """Brute force: for every principal, bucket and level, ask `paths_to` about that one principal."""
    out = set()
    for p in graph.principals():
        for b in graph.buckets():
            for level in LEVELS:
                if paths_to(graph, b, level, {p}):
                    out.add((p, b, level))
    return out


def after(doc, result):
    return build_graph(snapshot_from_dict(patch.apply(doc, result.patch)))


# ---- the demo estate (the "Done means") ----

@pytest.fixture(scope="module")
def demo():
    doc = json.loads(DEMO.read_text())
    return doc, smallest_cut(doc, snapshot_from_dict(doc), "payments-cardholder-data", "any", "external")


def test_demo_cut_names_the_smallest_set_with_pointers(demo):
    doc, result = demo
    assert [(g.kind, g.source, g.statement, g.pointer) for g in result.cut] == [
        ("statement", "trust policy of arn:aws:iam::333333333333:role/partner-integration", "#0",
         "/accounts/2/iam/RoleDetailList/0/AssumeRolePolicyDocument/Statement/0")]
    # the pointer names the statement object itself
    assert patch.get(doc, result.cut[0].pointer)["Principal"] == {"AWS": "arn:aws:iam::999999999999:root"}
    assert result.verified and result.locations == {result.cut[0].pointer: None}


def test_demo_rebuilt_estate_has_no_external_route(demo):
    doc, result = demo
    g = after(doc, result)
    assert paths_to(g, "payments-cardholder-data", "any", select_principals(g, "external")) == []
    # while before there was one (the planted chain)
    g0 = build_graph(snapshot_from_dict(doc))
    assert paths_to(g0, "payments-cardholder-data", "any", select_principals(g0, "external"))


def test_demo_collateral_is_exact_by_brute_force(demo):
    doc, result = demo
    g0 = build_graph(snapshot_from_dict(doc))
    g1 = after(doc, result)
    before, later = everything_reachable(g0), everything_reachable(g1)
    external = select_principals(g0, "external")
    intended = {(p, "payments-cardholder-data", lv) for p in external for lv in LEVELS}
    assert set(result.collateral) == (before - later) - intended
    assert later - before == set(result.gained) == set()
    assert result.collateral  # the estate's one outside reader loses analytics-ml-features too
    assert {p for p, _, _ in result.collateral} == {"arn:aws:iam::999999999999:root"}


def test_demo_no_smaller_set_exists(demo):
    doc, result = demo
    g = build_graph(snapshot_from_dict(doc))
    assert paths_to(g, "payments-cardholder-data", "any", select_principals(g, "external"))  # the empty set is no cut


def test_demo_cli_json_is_exactly_the_contract(capsys):
    code = main(["paths", str(DEMO), "--to", "payments-cardholder-data", "--from", "external", "--cut", "--format",
                 "json"])
    out = capsys.readouterr().out
    assert code == 0
    d = json.loads(out)
    assert set(d) == {"cut", "collateral", "verified"}
    assert d["verified"] is True
    assert [set(c) for c in d["cut"]] == [{"kind", "source", "statement", "pointer", "location"}]
    assert d["cut"][0]["location"] is None
    assert all(set(c) == {"principal", "bucket", "access"} for c in d["collateral"])
    assert {c["access"] for c in d["collateral"]} == set(LEVELS)


def test_cli_text_and_usage(capsys):
    code = main(["paths", str(DEMO), "--to", "payments-cardholder-data", "--from", "external", "--cut"])
    out = capsys.readouterr().out
    assert code == 0
    assert "the smallest cut: 1 grant closes every route" in out and "verified:" in out
    assert '{"op": "remove", "path": "/accounts/2/iam/RoleDetailList/0/AssumeRolePolicyDocument/Statement/0"}' in out
    for argv, message in ((["--from", "external", "--cut"], "--cut needs --to"),
                          (["--to", "payments-cardholder-data", "--cut", "--all"], "either --cut or --all"),
                          (["--to", "payments-cardholder-data", "--cut", "--format", "dot"], "text or json")):
        code = main(["paths", str(DEMO), *argv])
        err = capsys.readouterr().err
        assert code == 2 and message in err


# ---- how grants combine ----

def test_one_bucket_statement_shared_by_outsiders_counts_once():
    """Three outside accounts, one bucket statement naming them all: cutting it (1) beats cutting the three
    accounts' own policies, which the snapshot does not even hold."""
    vault = bucket("vault", grant({"AWS": [f"arn:aws:iam::{a}:root" for a in (X, Y, "777777777777")]}, READ, VAULT))
    doc = document(account(A, buckets=[vault]))
    result = cut_of(doc)
    assert [g.pointer for g in result.cut] == ["/accounts/0/s3/buckets/0/Policy/Statement/0"]
    assert result.verified and result.collateral == []


def test_cross_account_needs_both_sides_so_either_is_a_cut():
    """A role of account B reads `vault` in A: both B's identity statement and A's bucket statement are needed,
    so one statement cuts; the one nearest the start is B's own."""
    reader = role(B, "reader", [trust({"Service": "ec2.amazonaws.com"})], allow(READ, VAULT))
    vault = bucket("vault", grant({"AWS": f"arn:aws:iam::{B}:role/reader"}, READ, VAULT))
    doc = document(account(A, buckets=[vault]), account(B, roles=[reader]))
    result = cut_of(doc, start=f"arn:aws:iam::{B}:role/reader")
    assert [g.pointer for g in result.cut] == \
        ["/accounts/1/iam/RoleDetailList/0/RolePolicyList/0/PolicyDocument/Statement/0"]
    assert result.verified


def test_same_account_either_side_grants_so_both_must_go():
    reader = role(A, "reader", [trust({"Service": "ec2.amazonaws.com"})], allow(READ, VAULT))
    vault = bucket("vault", grant({"AWS": f"arn:aws:iam::{A}:role/reader"}, READ, VAULT))
    doc = document(account(A, roles=[reader], buckets=[vault]))
    result = cut_of(doc, start=f"arn:aws:iam::{A}:role/reader")
    assert sorted(g.pointer for g in result.cut) == [
        "/accounts/0/iam/RoleDetailList/0/RolePolicyList/0/PolicyDocument/Statement/0",
        "/accounts/0/s3/buckets/0/Policy/Statement/0"]
    assert result.verified


def test_group_membership_is_a_grant_unless_the_group_denies():
    dev = group(A, "devs", allow(READ, VAULT))
    alice = user(A, "alice", groups=["devs"])
    bob = user(A, "bob", groups=["devs"])
    doc = document(account(A, users=[alice, bob], groups=[dev], buckets=[bucket("vault")]))
    result = cut_of(doc, start=f"arn:aws:iam::{A}:user/alice")
    [g] = result.cut
    assert (g.kind, g.pointer) == ("membership", "/accounts/0/iam/UserDetailList/0/GroupList/0")
    assert result.verified
    # bob keeps his access: the membership, not the group's statement, is cut
    assert result.collateral == []
    # a group that also denies something: leaving it would lift the deny, so its statement is cut instead
    dev_denying = group(A, "devs", allow(READ, VAULT), deny("s3:DeleteObject", "*"))
    doc = document(account(A, users=[alice, bob], groups=[dev_denying], buckets=[bucket("vault")]))
    result = cut_of(doc, start=f"arn:aws:iam::{A}:user/alice")
    [g] = result.cut
    assert (g.kind, g.pointer) == \
        ("statement", "/accounts/0/iam/GroupDetailList/0/GroupPolicyList/0/PolicyDocument/Statement/0")
    assert {(p, b) for p, b, _ in result.collateral} == {(f"arn:aws:iam::{A}:user/bob", "vault"),
                                                         (f"arn:aws:iam::{A}:group/devs", "vault")}


def test_deny_statements_are_never_cut():
    """A bucket policy with a conditional Deny and an Allow: only the Allow can be part of a cut."""
    vault = bucket("vault", grant({"AWS": f"arn:aws:iam::{X}:root"}, READ, VAULT),
                   grant("*", "s3:*", VAULT, condition={"Bool": {"aws:SecureTransport": "false"}}, effect="Deny"))
    doc = document(account(A, buckets=[vault]))
    result = cut_of(doc)
    assert [g.pointer for g in result.cut] == ["/accounts/0/s3/buckets/0/Policy/Statement/0"]
    assert all(patch.get(doc, g.pointer)["Effect"] == "Allow" for g in result.cut)


def test_acl_grant_is_a_cut_element():
    acl = [{"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ"}]
    vault = bucket("vault", acl=acl, ownership="ObjectWriter",
                   block={"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                          "RestrictPublicBuckets": False})
    doc = document(account(A, buckets=[vault]))
    result = cut_of(doc, access="list", start="anonymous")
    [g] = result.cut
    assert (g.kind, g.pointer, g.source) == ("acl-grant", "/accounts/0/s3/buckets/0/Acl/Grants/0", "ACL of vault")
    assert result.verified
    assert result.to_json()["cut"] == [{"kind": "acl-grant", "source": "ACL of vault", "statement": None,
                                        "pointer": "/accounts/0/s3/buckets/0/Acl/Grants/0", "location": None}]


def test_a_trust_naming_the_account_needs_the_identity_statement_too():
    """Role `reader` trusts its own account (delegating to IAM); `ops` may assume it by its identity policy.
    Either the trust statement or ops's statement cuts; the nearest to ops is its own statement."""
    reader = role(A, "reader", [trust({"AWS": f"arn:aws:iam::{A}:root"})], allow(READ, VAULT))
    ops = role(A, "ops", [trust({"Service": "ec2.amazonaws.com"})],
               allow("sts:AssumeRole", f"arn:aws:iam::{A}:role/reader"))
    doc = document(account(A, roles=[reader, ops], buckets=[bucket("vault")]))
    result = cut_of(doc, start=f"arn:aws:iam::{A}:role/ops")
    [g] = result.cut
    assert g.pointer == "/accounts/0/iam/RoleDetailList/1/RolePolicyList/0/PolicyDocument/Statement/0"


def test_routes_resting_on_nothing_removable_are_named_and_not_verified():
    """The bucket's own account root reaches it whatever any policy says: no cut closes that route."""
    vault = bucket("vault", grant({"AWS": f"arn:aws:iam::{X}:root"}, READ, VAULT))
    doc = document(account(A, buckets=[vault]))
    result = cut_of(doc, start=None)  # every principal
    assert f"arn:aws:iam::{A}:root" in result.uncuttable
    assert not result.verified
    assert "/accounts/0/s3/buckets/0/Policy/Statement/0" in [g.pointer for g in result.cut]


def test_policy_held_as_text_is_cut_inside_the_text():
    vault = bucket("vault")
    vault["Policy"] = json.dumps({"Version": "2012-10-17", "Statement": [
        grant({"AWS": f"arn:aws:iam::{X}:root"}, READ, VAULT),
        grant({"AWS": f"arn:aws:iam::{A}:root"}, READ, VAULT)]})
    doc = document(account(A, buckets=[vault]))
    result = cut_of(doc)
    assert [g.pointer for g in result.cut] == ["/accounts/0/s3/buckets/0/Policy/Statement/0"]
    [op] = result.patch
    assert op["op"] == "replace" and op["path"] == "/accounts/0/s3/buckets/0/Policy"
    assert [s["Principal"] for s in json.loads(op["value"])["Statement"]] == [{"AWS": f"arn:aws:iam::{A}:root"}]
    assert result.verified


def test_a_bucket_policy_left_without_statements_is_deleted():
    """S3 keeps no policy without statements: the change is DeleteBucketPolicy."""
    for policy in (lambda d: d, json.dumps):
        vault = bucket("vault")
        vault["Policy"] = policy({"Version": "2012-10-17", "Statement": [
            grant({"AWS": f"arn:aws:iam::{X}:root"}, READ, VAULT)]})
        doc = document(account(A, buckets=[vault]))
        result = cut_of(doc)
        assert result.patch == [{"op": "remove", "path": "/accounts/0/s3/buckets/0/Policy"}]
        assert result.verified


def test_iac_snapshots_give_file_line_and_column():
    vault = bucket("vault", grant({"AWS": f"arn:aws:iam::{X}:root"}, READ, VAULT))
    doc = document(account(A, buckets=[vault]))
    doc["source"] = {"kind": "terraform"}
    doc["locations"] = {"/accounts/0/s3/buckets/0/Policy": {"file": "main.tf", "line": 12, "column": 3}}
    result = cut_of(doc)
    assert result.to_json()["cut"][0]["location"] == "main.tf:12:3"


def test_nothing_to_cut():
    doc = document(account(A, buckets=[bucket("vault")]))
    result = cut_of(doc)
    assert result.cut == [] and result.verified and result.to_json() == {"cut": [], "collateral": [],
                                                                         "verified": True}


def test_exhaustive_minimum_on_a_small_estate():
    """Every subset of the estate's grants smaller than the cut leaves a route (brute force)."""
    partner = role(A, "partner", [trust({"AWS": X})], allow(READ, VAULT))
    vault = bucket("vault", grant({"AWS": [f"arn:aws:iam::{X}:root", f"arn:aws:iam::{Y}:root"]}, READ, VAULT))
    doc = document(account(A, roles=[partner], buckets=[vault]))
    result = cut_of(doc)
    assert len(result.cut) == 2 and result.verified
    candidates = ["/accounts/0/iam/RoleDetailList/0/AssumeRolePolicyDocument/Statement/0",
                  "/accounts/0/iam/RoleDetailList/0/RolePolicyList/0/PolicyDocument/Statement/0",
                  "/accounts/0/s3/buckets/0/Policy/Statement/0"]
    for size in range(len(result.cut)):
        for subset in itertools.combinations(candidates, size):
            g = build_graph(snapshot_from_dict(patch.apply(doc, patch.removal(doc, list(subset)))))
            assert paths_to(g, "vault", "any", {f"arn:aws:iam::{X}:root"})
