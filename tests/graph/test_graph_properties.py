"""Properties of the access graph on small generated estates (hypothesis):

1. every path that ``paths_to`` returns is valid hop by hop when each hop is decided again by the
   engine that ``s3audit explain`` uses (same requests, same answers);
2. no principal that the engine says can read (list, write) a bucket directly is missing from
   ``paths_to`` that bucket.

The estates mix what makes the graph's shortcuts risky: wildcard and prefix resources, NotAction,
bucket policies naming accounts, principals and everyone (and NotPrincipal), conditions, ACLs, explicit
denies, SCPs, cross-account trusts with external ids, unreadable bucket policies, managed policies missing
from the snapshot, and policies that differ only by the bucket they name.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3audit.graph.build import ANONYMOUS, CAN_ACCESS, build_graph
from s3audit.graph.index import s3_access_actions
from s3audit.graph.paths import paths_to
from s3audit.iam.engine import Engine, Request

from .estates import (account, bucket, doc, organization, scp, snapshot)

ACCOUNTS = ("222222222222", "333333333333")
EXTERNAL = "999999999999"
KIND_OF_HOP = {"assume": "can-assume", "act-as": "can-act-as", "access": CAN_ACCESS, "member-of": "member-of"}
S3_ACTIONS = (["s3:GetObject"], ["s3:ListBucket"], ["s3:GetObject", "s3:ListBucket"], ["s3:PutObject"], ["s3:*"],
              ["s3:Get*"], "*")
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def bucket_names():
    return [f"bkt-{a[0]}-{i}" for a in ACCOUNTS for i in range(2)]


def principals():
    out = []
    for a in ACCOUNTS:
        out += [f"arn:aws:iam::{a}:user/u{i}" for i in range(2)]
        out += [f"arn:aws:iam::{a}:role/r{i}" for i in range(2)]
    return out


@st.composite
def s3_resource(draw, names=None):
    name = draw(st.sampled_from(names or bucket_names()))
    return draw(st.sampled_from([f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*", f"arn:aws:s3:::{name}/pfx/*",
                                 f"arn:aws:s3:::{name}/k", "arn:aws:s3:::bkt-*", "*"]))


@st.composite
def condition(draw, deny=False):
    return draw(st.sampled_from([
        None, None, None,
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"StringEquals": {"aws:PrincipalAccount": ACCOUNTS[0]}},
        {"Bool": {"aws:SecureTransport": "false"}} if deny else {"StringEquals": {"aws:PrincipalOrgID": "o-example"}},
    ]))


@st.composite
def identity_statement(draw):
    effect = draw(st.sampled_from(["Allow"] * 5 + ["Deny"]))
    if draw(st.booleans()):
        key = draw(st.sampled_from(["Action", "Action", "Action", "NotAction"]))
        actions = draw(st.sampled_from(S3_ACTIONS))
        if key == "NotAction" and actions == "*":
            actions = ["s3:PutObject"]
        s = {"Effect": effect, key: actions, "Resource": draw(st.lists(s3_resource(), min_size=1, max_size=2))}
    else:
        roles = [p for p in principals() if ":role/" in p]
        s = {"Effect": effect, "Action": draw(st.sampled_from(["sts:AssumeRole", "sts:*"])),
             "Resource": draw(st.sampled_from(roles + ["*"]))}
    c = draw(condition(effect == "Deny"))
    if c:
        s["Condition"] = c
    return s


@st.composite
def principal_element(draw):
    choice = draw(st.sampled_from(["account", "arn", "star", "external", "service"]))
    if choice == "account":
        return {"AWS": draw(st.sampled_from(ACCOUNTS))}
    if choice == "arn":
        return {"AWS": draw(st.sampled_from(principals()))}
    if choice == "star":
        return "*"
    if choice == "external":
        return {"AWS": f"arn:aws:iam::{EXTERNAL}:root"}
    return {"Service": "lambda.amazonaws.com"}


@st.composite
def trust_policy(draw):
    out = []
    for _ in range(draw(st.integers(1, 2))):
        s = {"Effect": "Allow", "Principal": draw(principal_element()), "Action": "sts:AssumeRole"}
        if draw(st.integers(0, 4)) == 0:
            s["Condition"] = {"StringEquals": {"sts:ExternalId": "x-1"}}
        out.append(s)
    return doc(*out)


@st.composite
def bucket_policy(draw, name):
    out = []
    for _ in range(draw(st.integers(0, 2))):
        effect = draw(st.sampled_from(["Allow", "Allow", "Deny"]))
        who = "NotPrincipal" if draw(st.integers(0, 7)) == 0 else "Principal"
        s = {"Effect": effect, who: draw(principal_element()), "Action": draw(st.sampled_from(S3_ACTIONS)),
             "Resource": draw(st.lists(st.sampled_from([f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*",
                                                        f"arn:aws:s3:::{name}/pfx/*"]), min_size=1, max_size=2,
                                       unique=True))}
        c = draw(condition(effect == "Deny"))
        if c:
            s["Condition"] = c
        out.append(s)
    return out


@st.composite
def estates(draw):
    accounts = []
    for a in ACCOUNTS:
        users, roles, buckets = [], [], []
        for i in range(2):
            statements = draw(st.lists(identity_statement(), max_size=3))
            users.append({"UserName": f"u{i}", "Arn": f"arn:aws:iam::{a}:user/u{i}", "UserId": f"AIDA{a}{i}",
                          "Path": "/", "GroupList": ["g"] if draw(st.booleans()) else [],
                          "UserPolicyList": [{"PolicyName": f"p{j}", "PolicyDocument": doc(s)}
                                             for j, s in enumerate(statements)],
                          # now and then a managed policy the snapshot lacks: its grants are unknown
                          "AttachedManagedPolicies": [{"PolicyArn": f"arn:aws:iam::{a}:policy/missing",
                                                       "PolicyName": "missing"}]
                          if draw(st.integers(0, 9)) == 0 else []})
            statements = draw(st.lists(identity_statement(), max_size=3))
            roles.append({"RoleName": f"r{i}", "Arn": f"arn:aws:iam::{a}:role/r{i}", "RoleId": f"AROA{a}{i}",
                          "Path": "/", "AssumeRolePolicyDocument": draw(trust_policy()),
                          "RolePolicyList": [{"PolicyName": f"p{j}", "PolicyDocument": doc(s)}
                                             for j, s in enumerate(statements)],
                          "AttachedManagedPolicies": []})
        groups = [{"GroupName": "g", "Arn": f"arn:aws:iam::{a}:group/g", "GroupId": f"AGPA{a}",
                   "GroupPolicyList": [{"PolicyName": "p", "PolicyDocument": doc(s)}
                                       for s in draw(st.lists(identity_statement(), max_size=1))],
                   "AttachedManagedPolicies": []}]
        for i in range(2):
            name = f"bkt-{a[0]}-{i}"
            acl = None
            ownership = "BucketOwnerEnforced"
            if draw(st.integers(0, 5)) == 0:
                acl = [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]
                ownership = "ObjectWriter"
            b = bucket(name, *draw(bucket_policy(name)), acl=acl, ownership=ownership)
            if draw(st.integers(0, 9)) == 0:  # the policy could not be read: it may grant anyone
                b.pop("Policy", None)
                b["Errors"] = {"GetBucketPolicy": "AccessDenied"}
            buckets.append(b)
        accounts.append(account(a, users=users, roles=roles, groups=groups, buckets=buckets))
    org = None
    if draw(st.booleans()):
        management = "111111111111"
        policies = [scp("FullAWSAccess", {"Effect": "Allow", "Action": "*", "Resource": "*"},
                        targets=["r-root", *ACCOUNTS])]
        cut = draw(st.sampled_from([None, "s3:GetObject", "sts:AssumeRole", "s3:ListBucket"]))
        if cut:
            policies.append(scp("Cut", {"Effect": "Deny", "Action": cut, "Resource": "*"},
                                targets=[draw(st.sampled_from(ACCOUNTS))]))
        accounts.insert(0, account(management))
        org = organization([management, *ACCOUNTS], management, policies)
    return snapshot(*accounts, org=org)


def _edges(graph, u, v, kind, decision):
    return [a for a in graph.g[u][v].values() if a["kind"] == kind and a["decision"] == decision]


def _check_hop(graph, engine, hop):
    kind = KIND_OF_HOP[hop.kind]
    edges = _edges(graph, hop.source, hop.target, kind, hop.decision)
    assert edges, f"no {kind} edge behind {hop}"
    caller = graph.caller(hop.source)
    if hop.kind == "member-of":
        user = graph.snapshot.account(graph.node(hop.source)["account"])
        [u] = [x for x in user.users if x.arn == hop.source]
        assert hop.target.rsplit("/", 1)[-1] in u.groups
        return
    if hop.kind in ("assume", "act-as"):
        for e in edges:
            for action, resource, context in e["requests"]:
                d = engine.decide(Request(caller, action, resource, dict(context)))
                assert d.possible, (hop.source, action, resource, d)
                if hop.decision == "allow":
                    assert d.decision == "allow", (hop.source, action, resource, d)
        return
    resources = [r for e in edges for r in e["resources"]]
    data = hop.target
    for action in hop.actions:
        level = s3_access_actions()[action.lower()]
        usable = [r for r in resources if (r == data) == (level == "bucket")]
        answers = [engine.decide(Request(caller, action, r)).decision for r in usable]
        assert any(a != "deny" for a in answers), (hop.source, action, usable, answers)
        if hop.decision == "allow":
            assert "allow" in answers, (hop.source, action, usable, answers)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(estates())
def test_paths_are_valid_hop_by_hop_and_complete_for_direct_access(s):
    graph = build_graph(s)
    engine = Engine(s)  # a fresh engine, as `s3audit explain` would build
    names = [b.name for b in s.buckets]
    direct = [n for n in graph.principals() if graph.node(n)["in_snapshot"] or n == ANONYMOUS]
    for name in names:
        found = paths_to(graph, name, "any")
        for p in found:
            assert p.decision == ("allow" if all(h.decision == "allow" for h in p.hops) else "conditional")
            assert p.hops[-1].kind == "access" and p.hops[0].source == p.principal
            for a, b in zip(p.hops, p.hops[1:]):
                assert a.target == b.source
            for hop in p.hops:
                _check_hop(graph, engine, hop)
        by_level = {level: {p.principal for p in paths_to(graph, name, level)} for level in ("read", "list", "write")}
        for n in direct:
            caller = graph.caller(n)
            for level, action, resources in (
                    ("read", "s3:GetObject", [f"arn:aws:s3:::{name}/k", f"arn:aws:s3:::{name}/pfx/k",
                                              f"arn:aws:s3:::{name}/other"]),
                    ("list", "s3:ListBucket", [f"arn:aws:s3:::{name}"]),
                    ("write", "s3:PutObject", [f"arn:aws:s3:::{name}/pfx/k"])):
                if any(engine.decide(Request(caller, action, r)).possible for r in resources):
                    assert n in by_level[level], (n, action, name)
