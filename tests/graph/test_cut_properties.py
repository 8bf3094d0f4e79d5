"""Properties of the smallest cut on small generated estates (hypothesis), checked by brute force:

1. complete: once the cut is removed and the estate rebuilt, no route from the start principals remains;
2. minimal: no proper subset of the cut leaves them without a route;
3. exact collateral: what the removal takes away from every other principal, bucket and level is what a
   pair-by-pair search of both graphs finds.

The estates chain roles within and across accounts of an organization and to an outside account, with trust
policies naming roles, accounts and the outsider (some with an external ID), identity statements that read
buckets or assume roles, groups and their members, bucket policies naming accounts and roles, and public
ACL grants. No estate has a public bucket policy, so removing a grant never opens access (Block Public
Access's RestrictPublicBuckets is the one way it could) and subsets can be checked one removal at a time
as well as all at once.

AWS pages: as in test_cut.py.
"""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3audit.graph.build import build_graph
from s3audit.graph.cut import smallest_cut
from s3audit.graph.paths import paths_to
from s3audit.snapshot import patch
from s3audit.snapshot.load import snapshot_from_dict

from .estates import account, allow, bucket, grant, group, organization, role, scp, trust, user

A, B, X = "222222222222", "333333333333", "999999999999"
ROLES = [(A, "r0"), (A, "r1"), (B, "r2"), (B, "r3")]
BUCKETS = [(A, "bkt-a"), (B, "bkt-b")]
READ = ["s3:GetObject", "s3:ListBucket"]
LEVELS = ("list", "read", "write", "permissions")


def role_arn(acct, name):
    return f"arn:aws:iam::{acct}:role/{name}"


def objects(name):
    return [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]


@st.composite
def estates(draw):
    trusted_by_name = {}
    roles = {A: [], B: []}
    for acct, name in ROLES:
        who = draw(st.lists(st.sampled_from(
            [f"arn:aws:iam::{X}:root", f"arn:aws:iam::{A}:root", f"arn:aws:iam::{B}:root"]
            + [role_arn(a, n) for a, n in ROLES if n != name] + [f"arn:aws:iam::{A}:user/u0"]),
            min_size=0, max_size=2, unique=True))
        trusts = [trust({"AWS": w}, condition=draw(st.sampled_from(
            [None, None, {"StringEquals": {"sts:ExternalId": "ext-1"}}]))) for w in who]
        if not trusts:
            trusts = [trust({"Service": "ec2.amazonaws.com"})]
        stmts = []
        for _ in range(draw(st.integers(0, 2))):
            if draw(st.booleans()):
                _, bname = draw(st.sampled_from(BUCKETS))
                stmts.append(allow(READ, objects(bname)))
            else:
                ta, tn = draw(st.sampled_from(ROLES))
                stmts.append(allow("sts:AssumeRole", role_arn(ta, tn)))
        roles[acct].append(role(acct, name, trusts, *stmts))
        trusted_by_name[name] = who
    devs_reads = draw(st.booleans())
    devs = group(A, "devs", *([allow(READ, objects("bkt-a"))] if devs_reads else []),
                 allow("sts:AssumeRole", role_arn(A, "r0")))
    users = [user(A, "u0", groups=["devs"] if draw(st.booleans()) else []),
             user(A, "u1", groups=["devs"])]
    buckets = {A: [], B: []}
    for acct, name in BUCKETS:
        grants = []
        for _ in range(draw(st.integers(0, 2))):
            who = draw(st.sampled_from([f"arn:aws:iam::{X}:root", f"arn:aws:iam::{A}:root", f"arn:aws:iam::{B}:root",
                                        *[role_arn(a, n) for a, n in ROLES]]))
            grants.append(grant({"AWS": who}, READ, objects(name)))
        acl = None
        if draw(st.integers(0, 3)) == 0:
            acl = [{"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                    "Permission": "READ"}]
        b = bucket(name, *grants, acl=acl, ownership="ObjectWriter" if acl else "BucketOwnerEnforced",
                   block={"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                          "RestrictPublicBuckets": False})
        buckets[acct].append(b)
    doc = {"format": "s3audit.snapshot/v1", "taken_at": "2026-01-01T00:00:00Z",
           "accounts": [account(A, roles=roles[A], users=users, groups=[devs], buckets=buckets[A]),
                        account(B, roles=roles[B], buckets=buckets[B])],
           "organization": organization([A, B], A, [scp("FullAWSAccess", allow("*"))])}
    target = draw(st.sampled_from([n for _, n in BUCKETS]))
    start = draw(st.sampled_from(["external", "anonymous", f"arn:aws:iam::{A}:user/u0", role_arn(B, "r2")]))
    return doc, target, start


def graph_without(doc, pointers):
    return build_graph(snapshot_from_dict(patch.apply(doc, patch.removal(doc, list(pointers)))))


def starts_of(graph, spec):
    from s3audit.graph.paths import select_principals
    try:
        return select_principals(graph, spec)
    except Exception:
        return set()


def everything(graph):
    return {(p, b, lv) for p in graph.principals() for b in graph.buckets() for lv in LEVELS
            if paths_to(graph, b, lv, {p})}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(estates())
def test_cut_is_complete_minimal_and_its_collateral_exact(case):
    doc, target, spec = case
    snap = snapshot_from_dict(doc)
    g0 = build_graph(snap)
    starts = starts_of(g0, spec)
    result = smallest_cut(doc, snap, target, "any", start=starts)
    pointers = [g.pointer for g in result.cut]
    g1 = graph_without(doc, pointers)
    left = paths_to(g1, target, "any", {s for s in starts if s in g1.g} - set(result.uncuttable))
    # 1. complete (for every principal whose routes rest on some grant)
    assert left == []
    if not result.uncuttable:
        assert result.verified
    # every uncuttable principal really keeps a route with the whole cut removed
    for p in result.uncuttable:
        assert paths_to(g1, target, "any", {p})
    # 2. minimal: every proper subset leaves a route from a cuttable start
    cuttable = {s for s in starts if s not in result.uncuttable}
    for size in range(len(pointers)):
        for subset in itertools.combinations(pointers, size):
            g = graph_without(doc, subset)
            assert paths_to(g, target, "any", {s for s in cuttable if s in g.g}), subset
    # 3. exact collateral
    if pointers:
        intended = {(p, target, lv) for p in starts for lv in LEVELS}
        assert set(result.collateral) == (everything(g0) - everything(g1)) - intended
