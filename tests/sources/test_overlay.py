"""Overlaying a proposed change on the live estate (pure function on snapshot dicts)."""
from __future__ import annotations

import copy
import json

from s3audit.sources.iac import load_iac
from s3audit.sources.overlay import overlay

from .conftest import bucket, pointer_of, role, valid, where
from .test_terraform_dir import line_of

P = "fixtures/terraform-plans"
LIVE = "fixtures/overlay/live-pci.json"


def live() -> dict:
    with open(LIVE, encoding="utf-8") as fh:
        return json.load(fh)


def test_overlay_scenario_external_trust_on_a_role_that_reaches_the_pci_bucket():
    """The issue's overlay case: the plan changes only the role's trust policy; its permissions to the PCI
    bucket are live. The merged snapshot has both, and the trust policy's statements point at their lines."""
    base = live()
    snap, locations = load_iac(terraform_plans=[f"{P}/external-trust-role.json"], live=base,
                               terraform_dir=f"{P}/external-trust-role")
    valid(snap)
    assert base == live()  # pure: the live snapshot is not modified
    r = role(snap, "etl")
    principals = [s["Principal"] for s in r["AssumeRolePolicyDocument"]["Statement"]]
    assert {"AWS": "arn:aws:iam::999999999999:root"} in principals
    # the live permissions stay: the path external account -> etl -> PCI bucket exists in the result
    assert r["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"] == [
        "arn:aws:s3:::payments-cardholder-data", "arn:aws:s3:::payments-cardholder-data/*"]
    assert r["RoleId"] == "AROAEXAMPLEETL000001"
    assert bucket(snap, "payments-cardholder-data")["Tags"] == {"data-class": "pci"}
    f = f"{P}/external-trust-role/main.tf"
    p = pointer_of(snap, "roles", "etl", "AssumeRolePolicyDocument", "Statement", 1)
    assert where(snap, p) == (f, line_of(f, 'Principal = { AWS = "arn:aws:iam::999999999999:root" }') - 2)
    assert where(snap, pointer_of(snap, "roles", "etl")) == (f, 2)
    assert snap["locations"] is locations
    assert snap["source"]["kind"] == "terraform" and "over collector" in snap["source"]["detail"]


def test_new_role_attaching_a_policy_defined_only_in_the_live_estate():
    snap, _ = load_iac(terraform_plans=[f"{P}/new-role-attach-live-policy.json"], live=live(),
                       terraform_dir=f"{P}/new-role-attach-live-policy")
    valid(snap)
    r = role(snap, "vendor-access")
    assert r["AttachedManagedPolicies"][0]["PolicyArn"] == "arn:aws:iam::222222222222:policy/cardholder-read"
    # the policy's document is live, so it is no longer unknown (what stays unknown is the compute the live
    # snapshot did not collect: docs/snapshot-format.md, "Compute")
    errors = snap["accounts"][0].get("errors") or {}
    assert not any(k.startswith("iam:") for k in errors)
    assert set(errors.values()) <= {"Unknown: not collected in the live snapshot"}
    assert role(snap, "etl")["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "glue.amazonaws.com"}


def test_bucket_keys_replace_live_ones_and_the_rest_stays():
    snap, _ = load_iac(terraform_plans=[f"{P}/v3-inline-update.json"], live=live(),
                       terraform_dir=f"{P}/v3-inline-update")
    b = bucket(snap, "acme-downloads")
    owner = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    # the canned ACL's owner is the live owner, not the placeholder
    assert b["Acl"]["Owner"]["ID"] == owner and b["Acl"]["Grants"][0]["Grantee"]["ID"] == owner
    assert b["Versioning"]["Status"] == "Enabled"
    assert b["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}  # live, untouched
    assert b["Errors"] == {"GetBucketLogging": "AccessDenied"}  # still unknown: the change does not set it
    assert "PublicAccessBlock" not in b  # an existing bucket gets no creation defaults


def test_new_bucket_gets_creation_defaults_existing_does_not():
    proposed = {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-25T00:00:00Z",
                "accounts": [{"id": "222222222222", "iam": {}, "s3": {"buckets": [
                    {"Name": "brand-new", "Policy": {"Version": "2012-10-17", "Statement": []}},
                    {"Name": "acme-downloads", "Errors": {"GetBucketPolicy": "Unknown: known after apply"}}]}}],
                "locations": {"/accounts/0/s3/buckets/0": {"file": "x.tf", "line": 3, "column": 1}}}
    merged = overlay(live(), proposed)
    valid(merged)
    new = bucket(merged, "brand-new")
    assert new["PublicAccessBlock"]["BlockPublicPolicy"] is True
    existing = bucket(merged, "acme-downloads")
    assert existing["Errors"] == {"GetBucketLogging": "AccessDenied", "GetBucketPolicy": "Unknown: known after apply"}
    # the proposal's pointer /accounts/0/s3/buckets/0 is /accounts/0/s3/buckets/2 in the result
    assert merged["locations"] == {"/accounts/0/s3/buckets/2": {"file": "x.tf", "line": 3, "column": 1}}


def test_unknown_trust_policy_removes_the_live_one():
    proposed = {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-25T00:00:00Z",
                "accounts": [{"id": "222222222222", "iam": {"RoleDetailList": [
                    {"RoleName": "etl", "Arn": "arn:aws:iam::222222222222:role/etl"}]}, "s3": {},
                    "errors": {"iam:Role/etl/AssumeRolePolicyDocument": "Unknown: var.trusted has no value"}}]}
    merged = overlay(live(), proposed)
    assert "AssumeRolePolicyDocument" not in role(merged, "etl")
    assert merged["accounts"][0]["errors"]["iam:Role/etl/AssumeRolePolicyDocument"].startswith("Unknown")


def test_a_proposal_for_another_account_adds_the_account():
    snap, _ = load_iac(terraform=["fixtures/terraform/v4-public-policy"], live=live(), account_id="333333333333")
    valid(snap)
    assert [a["id"] for a in snap["accounts"]] == ["222222222222", "333333333333"]
    assert snap["accounts"][1]["s3"]["buckets"][0]["Name"] == "acme-public-assets"
    assert any(p.startswith("/accounts/1/s3/buckets/0") for p in snap["locations"])


def test_overlay_is_idempotent_and_does_not_touch_its_inputs():
    snap, _ = load_iac(terraform=["fixtures/terraform/iam-role-cross-account"], account_id="222222222222")
    base, prop = live(), copy.deepcopy(snap)
    once = overlay(base, prop)
    assert prop == snap and base == live()
    twice = overlay(once, prop)
    assert twice["accounts"] == once["accounts"] and twice["locations"] == once["locations"]


def test_combining_two_inputs_and_overlaying_them():
    snap, locs = load_iac(terraform_plans=[f"{P}/external-trust-role.json"],
                          cloudformation=["fixtures/cloudformation/public-policy.yaml"],
                          terraform_dir=f"{P}/external-trust-role", live=live())
    valid(snap)
    files = {v["file"] for v in locs.values()}
    assert files == {f"{P}/external-trust-role/main.tf", "fixtures/cloudformation/public-policy.yaml"}
    assert bucket(snap, "acme-static-assets")["Policy"]["Statement"][0]["Principal"] == "*"
    assert bucket(snap, "acme-static-assets")["OwnershipControls"]  # created: defaults
