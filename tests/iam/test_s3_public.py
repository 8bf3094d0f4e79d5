"""S3's meaning of "public", Block Public Access and Object Ownership (s3audit.iam.s3).

The cases live in cases/s3_public.yaml, each citing the AWS page it comes from; the cross-check against
AWS's own PolicyStatus verdicts reads cases/s3_public_policy_status.json (and any snapshot under
fixtures/ that records PolicyStatus).
"""
from __future__ import annotations

import copy
import ipaddress
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from s3audit.iam import s3
from s3audit.iam.logic import Tri
from s3audit.iam.policy import compile_policy
from s3audit.snapshot.load import load_snapshot, snapshot_from_dict
from s3audit.snapshot.model import UNKNOWN, Acl, Grant, PolicyDocument, PublicAccessBlock

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
CASES = yaml.safe_load((HERE / "cases" / "s3_public.yaml").read_text())
BPA_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"


def compile_doc(statements, kind="bucket", version="2012-10-17"):
    owner = "arn:aws:s3:::b" if kind == "bucket" else "arn:aws:s3:us-west-2:123456789012:accesspoint/ap"
    doc = {"Version": version, "Statement": statements}
    return compile_policy(PolicyDocument(doc, "/Policy", kind, owner, "b"))


def tri3(value):
    return {True: True, False: False, None: None, "unknown": None}[value]


def test_every_case_cites_an_aws_page():
    for group in ("policies", "acls", "blocks", "buckets"):
        for case in CASES[group]:
            assert case["doc"].startswith("https://docs.aws.amazon.com/AmazonS3/"), case["name"]
    assert CASES["acl_actions"]["doc"].startswith("https://docs.aws.amazon.com/AmazonS3/")


# ---------------------------------------------------------------------------------- policy_public

@pytest.mark.parametrize("case", CASES["policies"], ids=lambda c: c["name"])
def test_policy_public(case):
    policy = compile_doc(case["statements"], case.get("kind", "bucket"))
    verdict = s3.policy_public(policy, "111122223333")
    assert verdict.public is case["public"], verdict.reasons
    if "flagged" in case:
        assert [st.label for st in verdict.statements] == case["flagged"]
    elif case["public"] is False:
        assert verdict.statements == ()
    else:
        assert verdict.statements, "a public verdict names its statements"
    if "reason" in case:
        assert any(case["reason"] in r for r in verdict.reasons), verdict.reasons
    assert verdict.reasons and all(r and not r.endswith(".") for r in verdict.reasons)


def test_policy_public_absent_and_unknown():
    assert s3.policy_public(None, "111122223333").public is False
    unknown = s3.policy_public(UNKNOWN, "111122223333")
    assert unknown.public is None and "could not be read" in unknown.reasons[0]


def test_documented_reason_wording():
    policy = compile_doc([{"Sid": "AllowRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": "arn:aws:s3:::b/*"}])
    assert s3.policy_public(policy, "111122223333").reasons == (
        "statement `AllowRead` grants s3:GetObject to `*` with no fixed-value condition",)


def test_policy_variables_are_literal_before_2012():
    # ${...} is a variable only in Version 2012-10-17 policies; in a 2008 policy it is literal text,
    # and AWS does not say how its public check reads it.
    st = [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
           "Condition": {"StringEquals": {"aws:SourceVpce": "${aws:username}"}}}]
    assert s3.policy_public(compile_doc(st), "1").public is True
    assert s3.policy_public(compile_doc(st, version="2008-10-17"), "1").public is None


def test_access_point_with_vpc_origin_is_never_public():
    # "An access point that has a VPC network origin is always considered non-public" (BPA_DOC, Access points)
    snap = snapshot_from_dict({"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z", "accounts": [{
        "id": "123456789012", "iam": {}, "s3": {"access_points": [
            {"Name": "vpc-ap", "Bucket": "b", "NetworkOrigin": "VPC", "VpcConfiguration": {"VpcId": "vpc-1"},
             "Policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                        "Action": "s3:GetObject", "Resource": "arn:aws:s3:us-west-2:123456789012:accesspoint/vpc-ap/object/*"}]}},
            {"Name": "net-ap", "Bucket": "b", "NetworkOrigin": "Internet",
             "Policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                        "Action": "s3:GetObject", "Resource": "arn:aws:s3:us-west-2:123456789012:accesspoint/net-ap/object/*"}]}},
        ]}}]})
    vpc_ap, net_ap = snap.accounts[0].access_points
    assert s3.access_point_public(vpc_ap, compile_policy(vpc_ap.policy)).public is False
    assert s3.access_point_public(net_ap, compile_policy(net_ap.policy)).public is True


# ------------------------------------------------------------------------------------- acl_public

def make_acl(grants):
    if grants == "unknown":
        return UNKNOWN
    return Acl("owner", tuple(Grant(g["type"], g["grantee"], g["permission"], f"/Acl/Grants/{i}")
                              for i, g in enumerate(grants)))


@pytest.mark.parametrize("case", CASES["acls"], ids=lambda c: c["name"])
def test_acl_public(case):
    enabled = UNKNOWN if case["acls_enabled"] == "unknown" else case["acls_enabled"]
    verdict = s3.acl_public(make_acl(case["grants"]), enabled)
    assert verdict.public is case["public"], verdict.reasons
    if "reason" in case:
        assert any(case["reason"] in r for r in verdict.reasons), verdict.reasons
    if case["public"] is True:
        assert verdict.grants


def test_group_uri_spellings():
    for uri in ("https://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AllUsers/"):
        assert s3.acl_public(make_acl([{"type": "Group", "grantee": uri, "permission": "READ"}]), True).public is True


@pytest.mark.parametrize("permission", ["READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"])
def test_acl_permission_actions(permission):
    expected = frozenset(CASES["acl_actions"][permission])
    assert s3.acl_permission_actions(permission) == expected
    # the bucket owner's WRITE also covers deleting any version
    with_owner = s3.acl_permission_actions(permission, grantee_is_owner=True)
    assert ("s3:deleteobjectversion" in with_owner) == (permission in ("WRITE", "FULL_CONTROL"))


def test_acl_permission_actions_are_known_actions():
    from s3audit.iam.actions import universe
    for p in ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"):
        for a in s3.acl_permission_actions(p, grantee_is_owner=True):
            assert universe().known(a), a
    with pytest.raises(ValueError):
        s3.acl_permission_actions("WRITE_EVERYTHING")


# -------------------------------------------------------------------------------- effective_block

def level(text):
    if text == "none":
        return None
    if text == "unknown":
        return UNKNOWN
    return PublicAccessBlock(*(c == "T" for c in text))


@pytest.mark.parametrize("case", CASES["blocks"], ids=lambda c: c["name"])
def test_effective_block(case):
    block = s3.effective_block(*(level(x) for x in case["levels"]))
    letters = {Tri.TRUE: "T", Tri.FALSE: "F", Tri.UNKNOWN: "U"}
    assert "".join(letters[block[name]] for name in s3.SETTINGS) == case["expect"]
    for name, where in case.get("sources", {}).items():
        assert dict(block.sources)[name] == tuple(where)
        assert getattr(block, name) is Tri.TRUE


def test_effective_block_reads_its_own_output_and_raw_configurations():
    once = s3.effective_block(UNKNOWN, {"IgnorePublicAcls": True})
    again = s3.effective_block(once, None)
    assert [again[n] for n in s3.SETTINGS] == [once[n] for n in s3.SETTINGS] == [
        Tri.UNKNOWN, Tri.TRUE, Tri.UNKNOWN, Tri.UNKNOWN]
    assert once.source("ignore_public_acls") == "bucket level"


# ---------------------------------------------------------------------------------- bucket_public

def bucket_case(case):
    raw = {"Name": "demo", **copy.deepcopy(case["bucket"])}
    account = {"id": "111122223333", "iam": {}, "s3": {"buckets": [raw]}}
    if case["account_block"] == "unknown":
        account["errors"] = {"s3control:GetPublicAccessBlock": "AccessDenied"}
    else:
        account["s3"]["public_access_block"] = case["account_block"]
    snap = snapshot_from_dict({"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z",
                               "accounts": [account]})
    acct = snap.accounts[0]
    bucket = acct.buckets[0]
    policy = compile_policy(bucket.policy) if bucket.policy not in (None, UNKNOWN) else None
    return acct, bucket, policy


@pytest.mark.parametrize("case", CASES["buckets"], ids=lambda c: c["name"])
def test_bucket_public(case):
    acct, bucket, policy = bucket_case(case)
    verdicts = s3.bucket_public(bucket, acct.public_access_block, policy)
    assert set(verdicts) == set(s3.LEVELS)
    for name, want in case["expect"].items():
        assert verdicts[name].public is tri3(want), (name, verdicts[name].reasons)
    for name, phrase in case.get("reason", {}).items():
        assert any(phrase in r for r in verdicts[name].reasons), (name, verdicts[name].reasons)
    for v in verdicts.values():
        assert v.reasons
    if "restrict_in_force" in case:
        got = s3.restrict_public_buckets_in_force(bucket, acct.public_access_block, policy)
        want = case["restrict_in_force"]
        assert got is (Tri.UNKNOWN if want == "unknown" else Tri.of(want))


def test_any_is_the_strongest_level():
    order = {False: 0, None: 1, True: 2}
    for case in CASES["buckets"]:
        acct, bucket, policy = bucket_case(case)
        v = s3.bucket_public(bucket, acct.public_access_block, policy)
        assert order[v["any"].public] == max(order[v[n].public] for n in s3.LEVELS if n != "any"), case["name"]


# ------------------------------------------------------- cross-check with AWS's own PolicyStatus

def recorded_snapshots():
    paths = [HERE / "cases" / "s3_public_policy_status.json"]
    fixtures = ROOT / "fixtures"
    if fixtures.is_dir():
        paths += sorted(p for p in fixtures.rglob("*.json*") if p.name.endswith((".json", ".json.gz")))
    out = []
    for path in paths:
        try:
            snap = load_snapshot(str(path))
        except Exception:  # fixtures that are not snapshots (or not yet valid ones) are not ours to judge
            continue
        for bucket in snap.buckets:
            expected = s3.recorded_policy_status(bucket)
            if expected is not None and bucket.policy not in (None, UNKNOWN):
                out.append(pytest.param(bucket, expected, id=f"{path.name}:{bucket.name}"))
    return out


@pytest.mark.parametrize("bucket,expected", recorded_snapshots())
def test_policy_public_agrees_with_recorded_policy_status(bucket, expected):
    verdict = s3.policy_public(compile_policy(bucket.policy), bucket.account)
    assert verdict.public is expected, verdict.reasons


def test_recorded_policy_status_shapes():
    assert s3.recorded_policy_status({"PolicyStatus": {"IsPublic": True}}) is True
    assert s3.recorded_policy_status({"IsPublic": False}) is False
    assert s3.recorded_policy_status(None) is None
    assert s3.recorded_policy_status(UNKNOWN) is None


# -------------------------------------------------------------------------------------- properties

# Fixed-value clauses from the documented list: each keeps a grant to everyone non-public (BPA_DOC).
RESTRICTING = [
    ("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d"),
    ("StringEquals", "aws:SourceVpc", "vpc-91237329"),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24"),
    ("StringEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5"),
    ("StringEquals", "aws:SourceAccount", "111122223333"),
    ("StringEquals", "aws:SourceOwner", "111122223333"),
    ("ArnEquals", "aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"),
    ("StringLike", "aws:userid", "AROAEXAMPLEID111:*"),
    ("StringEquals", "s3:DataAccessPointAccount", "111122223333"),
    ("StringEquals", "s3:DataAccessPointArn", "arn:aws:s3:us-east-1:111122223333:accesspoint/ap"),
]
OTHER_CLAUSES = [
    ("Bool", "aws:SecureTransport", "true"),
    ("StringLike", "aws:SourceVpce", "vpce-*"),
    ("StringEquals", "aws:SourceVpce", "vpce-*"),
    ("IpAddress", "aws:SourceIp", "0.0.0.0/0"),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/7"),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"),
    ("StringNotEquals", "aws:SourceVpce", "vpce-1a2b3c4d"),
    ("StringEqualsIfExists", "aws:SourceVpc", "vpc-91237329"),
    ("ForAllValues:StringEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5"),
    ("StringLike", "s3:prefix", "home/*"),
    ("Null", "aws:SourceVpce", "false"),
]
PRINCIPALS = ["*", {"AWS": "*"}, {"AWS": "arn:aws:iam::222233334444:root"}, {"Service": "cloudtrail.amazonaws.com"},
              {"Federated": "graph.facebook.com"}, {"AWS": ["111122223333", "*"]}, {"AWS": "222233334444"}]
ACTIONS = ["s3:GetObject", "s3:*", "s3:List*", "s3:PutObject", ["s3:GetObject", "s3:ListBucket"], "*"]
RESOURCES = ["arn:aws:s3:::b/*", "arn:aws:s3:::b", ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "*"]


def conditions(pool):
    return st.lists(st.sampled_from(pool), max_size=3).map(
        lambda cs: {op: {k: v} for op, k, v in cs} if cs else None)


@st.composite
def statements(draw):
    s = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    if draw(st.integers(0, 9)) == 0:
        s["NotPrincipal"] = {"AWS": "arn:aws:iam::111122223333:root"}
    else:
        s["Principal"] = draw(st.sampled_from(PRINCIPALS))
    s["NotAction" if draw(st.integers(0, 7)) == 0 else "Action"] = draw(st.sampled_from(ACTIONS))
    s["Resource"] = draw(st.sampled_from(RESOURCES))
    cond = draw(conditions(RESTRICTING + OTHER_CLAUSES))
    if cond:
        s["Condition"] = cond
    return s


policies = st.lists(statements(), min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(policies, st.data())
def test_fixed_value_conditions_make_every_public_statement_non_public(stmts, data):
    policy = compile_doc(stmts)
    verdict = s3.policy_public(policy, "111122223333")
    flagged = {st_.index for st_ in verdict.statements}
    fixed = copy.deepcopy(stmts)
    for i in flagged:
        op, key, value = data.draw(st.sampled_from(RESTRICTING))
        fixed[i].setdefault("Condition", {}).setdefault(op, {})[key] = value
    after = s3.policy_public(compile_doc(fixed), "111122223333")
    assert after.public is False, after.reasons


@settings(max_examples=150, deadline=None)
@given(policies, st.sampled_from(["*", {"AWS": "*"}]), st.sampled_from(ACTIONS), st.integers(0, 5))
def test_an_unconditional_allow_to_everyone_makes_a_policy_public(stmts, principal, action, at):
    added = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "arn:aws:s3:::b/*"}
    stmts = stmts[:at] + [added] + stmts[at:]
    verdict = s3.policy_public(compile_doc(stmts), "111122223333")
    assert verdict.public is not False
    if not any(s["Effect"] == "Deny" for s in stmts):
        # only a Deny that fences everyone outside fixed values can leave AWS's verdict open
        assert verdict.public is True


@settings(max_examples=100, deadline=None)
@given(policies, st.randoms(use_true_random=False))
def test_statement_order_never_matters(stmts, rnd):
    shuffled = list(stmts)
    rnd.shuffle(shuffled)
    a = s3.policy_public(compile_doc(stmts), "111122223333")
    b = s3.policy_public(compile_doc(shuffled), "111122223333")
    assert a.public is b.public


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(0, 32))
def test_cidr_width_rule(address, prefix):
    net = ipaddress.ip_network((address, prefix), strict=False)
    clause = s3.ClauseSpec("IpAddress", "aws:SourceIp", (str(net),))
    got = s3.clause_restricts(clause).tri
    if prefix >= 8:
        assert got is Tri.TRUE  # /8 or narrower keeps the grant non-public
    elif str(net) == "10.0.0.0/7":
        assert got is Tri.UNKNOWN
    else:
        assert got is Tri.FALSE


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["none", "unknown", "FFFF", "TTTT", "TFTF", "FTFT", "FFFT"]), max_size=3),
       st.sampled_from(["none", "unknown", "TTTT", "FTFF"]))
def test_adding_a_level_never_turns_a_setting_off(levels, extra):
    before = s3.effective_block(*(level(x) for x in levels))
    after = s3.effective_block(*(level(x) for x in levels + [extra]))
    for name in s3.SETTINGS:
        if before[name] is Tri.TRUE:
            assert after[name] is Tri.TRUE
