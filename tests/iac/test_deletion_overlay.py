"""``overlay(live, proposed, removals)``: what a change destroys is taken out of the live estate first.

Each case names the behaviour that decides it: the AWS API the provider's delete calls, or IAM/S3's rule.
"""
from __future__ import annotations

import copy
import datetime
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3audit.sources.locations import Sel, to_pointer
from s3audit.sources.overlay import overlay
from s3audit.sources.removals import SSE_S3, Removal, RemovalLocator

from .plans import DEMO, PERIMETER

pytestmark = pytest.mark.usefixtures("at_root")
EMPTY = {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-25T00:00:00Z", "accounts": []}
PAB_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def bucket(doc: dict, name: str) -> dict | None:
    return next((b for a in doc["accounts"] for b in a["s3"].get("buckets") or [] if b["Name"] == name), None)


def entity(doc: dict, account: str, list_key: str, name_key: str, name: str) -> dict | None:
    acct = next(a for a in doc["accounts"] if a["id"] == account)
    return next((e for e in acct["iam"].get(list_key) or [] if e[name_key] == name), None)


def test_bucket_settings_go_as_their_delete_apis_leave_them():
    live = load(DEMO)
    before = copy.deepcopy(live)
    rm = [Removal("bucket-setting", "payments-cardholder-data", "222222222222", detail=k)
          for k in ("Policy", "PublicAccessBlock", "Encryption", "Versioning", "Logging", "ObjectLock")]
    got = overlay(live, EMPTY, rm)
    assert live == before  # pure
    b = bucket(got, "payments-cardholder-data")
    # DeleteBucketPolicy / DeletePublicAccessBlock / DeleteBucketLogging: not configured any more
    assert "Policy" not in b and "PublicAccessBlock" not in b and "Logging" not in b
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketEncryption.html: "resets the default
    # encryption for the bucket as server-side encryption with Amazon S3 managed keys (SSE-S3)"
    assert b["Encryption"] == SSE_S3
    # aws_s3_bucket_versioning's delete suspends versioning (a versioned bucket can never be unversioned:
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html)
    assert b["Versioning"]["Status"] == "Suspended"
    # Object Lock cannot be turned off; the provider's delete puts a configuration without the default rule
    assert b["ObjectLock"] == {"ObjectLockEnabled": "Enabled"}
    # the rest of the bucket is as live
    assert b["Tags"] == bucket(live, "payments-cardholder-data")["Tags"]


def test_removing_what_is_not_live_is_a_no_op():
    live = load(DEMO)
    rm = [Removal("bucket", "no-such-bucket", "222222222222"),
          Removal("bucket-setting", "sandbox-scratch", "444444444444", detail="Policy"),  # has none
          Removal("bucket-setting", "sandbox-scratch", "444444444444", detail="Versioning"),  # never versioned
          Removal("entity", "ghost", "111111111111", entity="role"),
          Removal("inline-policy", "alice", "111111111111", entity="user", detail="none"),
          Removal("attachment", "ghost", "999999999999", entity="role", detail="arn:x"),
          Removal("membership", "carol", "111111111111", detail="platform-admins"),
          Removal("org-attachment", "p-FullAWSAccess", None, detail="ou-nowhere"),
          Removal("org-policy", "p-none", None),
          Removal("managed-policy", "arn:aws:iam::111111111111:policy/none", "111111111111"),
          Removal("account-public-access-block", "", "999999999999"),
          Removal("access-point", "ap", "222222222222")]
    got = overlay(live, EMPTY, rm)
    got.pop("source", None)
    assert got["accounts"] == live["accounts"] and got["organization"] == live["organization"]


def test_iam_removals_take_their_edges_with_them():
    live = load(DEMO)
    got = overlay(live, EMPTY, [
        Removal("entity", "platform-admins", "111111111111", entity="group"),
        Removal("attachment", "bi-reader", "333333333333", entity="role",
                detail="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
        Removal("inline-policy", "dave", "111111111111", entity="user", detail="self-service-access-keys"),
        Removal("membership", "bob", "111111111111", detail="developers"),
        Removal("managed-policy", "arn:aws:iam::111111111111:policy/developer-baseline", "111111111111"),
    ])
    acct = "111111111111"
    # DeleteGroup: the group is gone and no user is in it any more
    assert entity(got, acct, "GroupDetailList", "GroupName", "platform-admins") is None
    assert entity(got, acct, "UserDetailList", "UserName", "alice")["GroupList"] == []
    bi = entity(got, "333333333333", "RoleDetailList", "RoleName", "bi-reader")
    assert bi["AttachedManagedPolicies"] == []
    assert bi["RolePolicyList"] == entity(live, "333333333333", "RoleDetailList", "RoleName", "bi-reader")["RolePolicyList"]
    assert entity(got, acct, "UserDetailList", "UserName", "dave")["UserPolicyList"] == []
    assert entity(got, acct, "UserDetailList", "UserName", "bob")["GroupList"] == []
    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html: a policy must be detached
    # from every user, group and role before it can be deleted, so none is left attached to it
    policies = [p["Arn"] for p in next(a for a in got["accounts"] if a["id"] == acct)["iam"]["Policies"]]
    assert "arn:aws:iam::111111111111:policy/developer-baseline" not in policies
    assert entity(got, acct, "GroupDetailList", "GroupName", "developers")["AttachedManagedPolicies"] == []


def test_organization_removals():
    live = load(PERIMETER)
    got = overlay(live, EMPTY, [Removal("org-attachment", "p-pciguard1", None, detail="ou-acme-prod"),
                                Removal("org-policy", "p-perimeter1", None)])
    policies = {p["Id"]: p for p in got["organization"]["policies"]}
    assert policies["p-pciguard1"]["Targets"] == []  # DetachPolicy from that target only
    assert "p-perimeter1" not in policies  # DeletePolicy
    assert policies["p-FullAWSAccess"] == next(p for p in live["organization"]["policies"] if p["Id"] == "p-FullAWSAccess")


def test_removal_makes_an_unknown_value_known():
    live = load(DEMO)
    ml = bucket(live, "analytics-ml-features")
    assert "GetBucketPolicy" in ml["Errors"]  # live: the policy could not be read
    got = bucket(overlay(live, EMPTY, [Removal("bucket-setting", "analytics-ml-features", "333333333333",
                                               detail="Policy")]), "analytics-ml-features")
    assert "Policy" not in got and "GetBucketPolicy" not in got.get("Errors", {})


def test_replacing_a_bucket_makes_it_a_new_bucket_with_s3s_creation_defaults():
    """A bucket destroyed and created again is a new bucket: S3 gives it Block Public Access, Object
    Ownership BucketOwnerEnforced and SSE-S3 unless the request says otherwise
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/create-bucket-overview.html)."""
    live = load(DEMO)
    proposed = {**EMPTY, "accounts": [{"id": "444444444444", "iam": {}, "s3": {"buckets": [
        {"Name": "sandbox-marketing-site", "Region": "us-east-1"}]}}]}
    got = bucket(overlay(live, proposed, [Removal("bucket", "sandbox-marketing-site", "444444444444")]),
                 "sandbox-marketing-site")
    assert got["PublicAccessBlock"] == PAB_ON and "Policy" not in got and "Tags" not in got
    # without the removal the same proposal only updates the live bucket
    kept = bucket(overlay(live, proposed), "sandbox-marketing-site")
    assert kept["PublicAccessBlock"]["BlockPublicPolicy"] is False and kept["Policy"]


def test_a_proposed_bucket_merges_into_the_account_that_owns_it():
    live = load(DEMO)
    proposed = {**EMPTY, "accounts": [{"id": "111111111111", "iam": {}, "s3": {"buckets": [
        {"Name": "payments-cardholder-data", "Versioning": {"Status": "Suspended"}}]}}],
        "locations": {"/accounts/0/s3/buckets/0/Versioning": {"file": "v.tf", "line": 3, "column": 1}}}
    got = overlay(live, proposed)
    assert [b["Name"] for b in got["accounts"][0]["s3"]["buckets"]] == []  # management has no buckets
    assert bucket(got, "payments-cardholder-data")["Versioning"] == {"Status": "Suspended"}
    assert bucket(got, "payments-cardholder-data")["Tags"]["data-class"] == "pci"
    pointer = to_pointer(got, ("accounts", Sel("id", "222222222222"), "s3", "buckets",
                               Sel("Name", "payments-cardholder-data"), "Versioning"))
    assert got["locations"] == {pointer: {"file": "v.tf", "line": 3, "column": 1}}


# ---- Block Public Access at both levels, with the real rules ----

def _press_kit_estate() -> dict:
    public_read = {"Version": "2012-10-17", "Statement": [{"Sid": "PressKit", "Effect": "Allow", "Principal": "*",
                                                           "Action": "s3:GetObject",
                                                           "Resource": "arn:aws:s3:::acme-press-kit/*"}]}
    return {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z", "accounts": [{
        "id": "555555555555", "iam": {}, "s3": {"public_access_block": dict(PAB_ON), "buckets": [{
            "Name": "acme-press-kit", "Region": "us-east-1", "Policy": public_read,
            "PublicAccessBlock": dict(PAB_ON), "Tags": {"owner": "marketing", "data-class": "public"},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}]}}]}


def _changes(live: dict, removals: list[Removal]) -> tuple[set, set]:
    from s3audit.audit import evaluate, introduced_and_fixed
    from s3audit.profile import load_profile
    from s3audit.snapshot.load import snapshot_from_dict
    profile, today = load_profile("default"), datetime.date(2026, 11, 24)
    before = evaluate(snapshot_from_dict(copy.deepcopy(live)), profile, today=today).findings
    after = evaluate(snapshot_from_dict(overlay(live, EMPTY, removals)), profile, today=today).findings
    introduced, fixed = introduced_and_fixed(before, after)
    return {(f.rule, f.status.value) for f in introduced}, {(f.rule, f.status.value) for f in fixed}


BUCKET_BPA = Removal("bucket-setting", "acme-press-kit", "555555555555", detail="PublicAccessBlock")
ACCOUNT_BPA = Removal("account-public-access-block", "", "555555555555")


@pytest.mark.parametrize("removals, introduced", [
    ([BUCKET_BPA], {("FSBP-S3.8", "open"), ("CIS-2.1.4-bucket", "open")}),
    ([ACCOUNT_BPA], {("FSBP-S3.1", "open"), ("CIS-2.1.4-account", "open")}),
    ([BUCKET_BPA, ACCOUNT_BPA], {("FSBP-S3.8", "open"), ("CIS-2.1.4-bucket", "open"), ("FSBP-S3.1", "open"),
                                 ("CIS-2.1.4-account", "open"), ("FSBP-S3.2", "open"),
                                 ("PATH-external-read", "open")}),
])
def test_a_public_policy_is_exposed_only_when_neither_level_blocks_it(removals, introduced):
    """S3 applies the most restrictive combination of the account's and the bucket's Block Public Access
    settings (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html):
    destroying one level leaves the other blocking the public policy; destroying both exposes the bucket."""
    got, fixed = _changes(_press_kit_estate(), removals)
    assert got == introduced and fixed == set()


# ---- the locator ----

def test_the_locator_prefers_the_removal_that_shares_most_with_the_finding():
    from s3audit.findings import Finding, Severity
    live = load(DEMO)
    alice = Removal("membership", "alice", "111111111111", detail="platform-admins", location={"file": "a"})
    dave = Removal("membership", "dave", "111111111111", detail="developers", location={"file": "d"})
    scp = Removal("org-attachment", "p-prodgrd01", None, detail="ou-demo-prod0001", location={"file": "s"})
    bpa = Removal("account-public-access-block", "", "444444444444", location={"file": "b"})
    locator = RemovalLocator([dave, alice, scp, bpa], live)

    def finding(subject, *evidence):
        return Finding("R", Severity.HIGH, (), subject, "m", evidence=evidence)

    via_alice = finding("arn:aws:iam::111111111111:user/dave",
                        {"from": "arn:aws:iam::111111111111:user/dave", "to": "arn:aws:iam::111111111111:user/alice"},
                        {"pointer": "/accounts/0/iam/GroupDetailList/0/GroupPolicyList/0/PolicyDocument/Statement/0"})
    assert locator.location_for(via_alice, live) == {"file": "a"}  # alice and platform-admins, not just dave
    assert locator.location_for(finding("arn:aws:iam::111111111111:user/dave"), live) == {"file": "d"}
    # nothing named: the organization policy covering the bucket's account, the account BPA of another
    assert locator.location_for(finding("arn:aws:s3:::payments-cardholder-data"), live) == {"file": "s"}
    assert locator.location_for(finding("arn:aws:s3:::sandbox-scratch"), live) == {"file": "b"}
    assert locator.location_for(finding("444444444444"), live) == {"file": "b"}
    assert locator.location_for(finding("arn:aws:s3:::elsewhere"), live) is None


# ---- property: a replacement with identical values is no change ----

def _objects(doc: dict) -> list[tuple[Removal, dict]]:
    """Every object of ``doc`` a plan could replace, as (removal, proposal re-creating it as it is)."""
    out = []
    for acct in doc["accounts"]:
        aid = acct["id"]

        def prop(s3=None, iam=None):
            return {**EMPTY, "accounts": [{"id": aid, "iam": iam or {}, "s3": s3 or {}}]}
        for b in acct["s3"].get("buckets") or []:
            if all(k in b for k in ("PublicAccessBlock", "OwnershipControls", "Encryption")):
                # re-created, it gets S3's creation defaults only where it sets nothing: here, none
                out.append((Removal("bucket", b["Name"], aid), prop(s3={"buckets": [b]})))
            for key in ("Policy", "PublicAccessBlock", "OwnershipControls", "Encryption", "Lifecycle", "Logging",
                        "Website", "Replication"):
                if key in b and key not in (b.get("Errors") or {}):
                    out.append((Removal("bucket-setting", b["Name"], aid, detail=key),
                                prop(s3={"buckets": [{"Name": b["Name"], key: b[key]}]})))
        if acct["s3"].get("public_access_block") is not None:
            out.append((Removal("account-public-access-block", "", aid),
                        prop(s3={"public_access_block": acct["s3"]["public_access_block"]})))
        for kind, list_key, name_key, inline_key in (("role", "RoleDetailList", "RoleName", "RolePolicyList"),
                                                     ("user", "UserDetailList", "UserName", "UserPolicyList"),
                                                     ("group", "GroupDetailList", "GroupName", "GroupPolicyList")):
            for e in acct["iam"].get(list_key) or []:
                name = e[name_key]
                members = [{"UserName": u["UserName"], "GroupList": [name]} for u in acct["iam"].get("UserDetailList") or []
                           if kind == "group" and name in (u.get("GroupList") or [])]
                # a group is re-created with its memberships (they hang on the users)
                out.append((Removal("entity", name, aid, entity=kind),
                            prop(iam={list_key: [e], **({"UserDetailList": members} if members else {})})))
                for p in e.get(inline_key) or []:
                    out.append((Removal("inline-policy", name, aid, entity=kind, detail=p["PolicyName"]),
                                prop(iam={list_key: [{name_key: name, inline_key: [p]}]})))
                for p in e.get("AttachedManagedPolicies") or []:
                    out.append((Removal("attachment", name, aid, entity=kind, detail=p["PolicyArn"]),
                                prop(iam={list_key: [{name_key: name, "AttachedManagedPolicies": [p]}]})))
                for g in e.get("GroupList") or []:
                    out.append((Removal("membership", name, aid, detail=g),
                                prop(iam={list_key: [{name_key: name, "GroupList": [g]}]})))
        for pol in acct["iam"].get("Policies") or []:
            arn = pol["Arn"]
            if arn.startswith("arn:aws:iam::aws:"):
                continue  # AWS managed: no plan destroys it
            holders = {lk: [{nk: e[nk], "AttachedManagedPolicies": [a for a in e["AttachedManagedPolicies"]
                                                                    if a["PolicyArn"] == arn]}
                            for e in acct["iam"].get(lk) or []
                            if any(a["PolicyArn"] == arn for a in e.get("AttachedManagedPolicies") or [])]
                       for lk, nk in (("RoleDetailList", "RoleName"), ("UserDetailList", "UserName"),
                                      ("GroupDetailList", "GroupName"))}
            # a managed policy is re-created and attached again where it was
            out.append((Removal("managed-policy", arn, aid),
                        prop(iam={"Policies": [pol], **{k: v for k, v in holders.items() if v}})))
    for p in (doc.get("organization") or {}).get("policies") or []:
        out.append((Removal("org-policy", p["Id"], None), {**EMPTY, "organization": {"policies": [p]}}))
        for t in p["Targets"]:
            out.append((Removal("org-attachment", p["Id"], None, detail=t),
                        {**EMPTY, "organization": {"policies": [{**p, "Targets": [t]}]}}))
    return out


def _canonical(value):
    """Lists of named objects compare as sets: a re-created object is appended, not put back in place."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if k not in ("source", "locations")}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


LIVE_DOCS = {"demo": load(DEMO), "perimeter": load(PERIMETER)}
OBJECTS = {k: _objects(v) for k, v in LIVE_DOCS.items()}
CANONICAL = {k: _canonical(v) for k, v in LIVE_DOCS.items()}


@pytest.mark.parametrize("name", sorted(LIVE_DOCS))
def test_replacing_any_one_object_with_identical_values_leaves_the_estate_as_it_is(name):
    live = LIVE_DOCS[name]
    expected = _canonical(live)
    for removal, proposal in OBJECTS[name]:
        assert _canonical(overlay(live, proposal, [removal])) == expected, removal


def test_the_replaced_objects_cover_every_kind_of_removal_but_access_points():
    kinds = {r.kind for objects in OBJECTS.values() for r, _ in objects}
    assert kinds == {"bucket", "bucket-setting", "entity", "inline-policy", "attachment", "membership",
                     "org-attachment", "org-policy", "account-public-access-block", "managed-policy"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(LIVE_DOCS)).flatmap(
    lambda k: st.tuples(st.just(k), st.lists(st.sampled_from(OBJECTS[k]), min_size=1, max_size=6))))
def test_replacing_objects_with_identical_values_leaves_the_estate_as_it_is(case):
    """A replace (["delete", "create"]) whose after values equal the live object: the overlaid snapshot is
    the live one, up to the order of lists. Buckets themselves are left out: a re-created bucket is a new
    bucket with S3's creation defaults, which is a change (see the test above)."""
    name, picked = case
    live = LIVE_DOCS[name]
    result = live
    for removal, proposal in picked:
        result = overlay(result, proposal, [removal])
    assert _canonical(result) == CANONICAL[name]
