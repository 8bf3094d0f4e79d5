"""What a Terraform plan destroys becomes removals next to its snapshot, never inside it.

Terraform's JSON plan format (https://developer.hashicorp.com/terraform/internals/json-format, Change
Representation): ``actions`` is ["no-op"], ["create"], ["read"], ["update"], ["delete", "create"] or
["create", "delete"] (replace), ["delete"], and, since Terraform 1.7, ["forget"] / ["create", "forget"]
(a `removed` block with `destroy = false`: the object stays,
https://developer.hashicorp.com/terraform/language/state/remove). Callers are told to scan for "delete";
the destroyed object is the change's ``before`` value.
"""
from __future__ import annotations

import json

import pytest

from s3audit.sources.removals import Removal
from s3audit.sources.terraform import load_terraform_plan, removals_of

from .plans import P, change_at, line_of

pytestmark = pytest.mark.usefixtures("at_root")


def plan(name: str, **kw):
    return load_terraform_plan(f"{P}/{name}.json", **kw)


def test_a_deleted_public_access_block_is_a_removal_located_in_the_plan_file():
    part = plan("delete-bucket-public-access-block")
    address = "aws_s3_bucket_public_access_block.legacy_uploads"
    assert part.removals == [Removal("bucket-setting", "sandbox-legacy-uploads", "123456789012",
                                     detail="PublicAccessBlock", address=address)]
    # no configuration declares it any more: its entry in the plan file (indented here; `terraform show -json` writes one line, so the column tells)
    assert part.removals[0].location == change_at(f"{P}/delete-bucket-public-access-block.json", address)
    # the snapshot document says nothing about it (the format cannot say "gone")
    assert not part.snapshot["accounts"][0]["s3"].get("buckets")
    assert "PublicAccessBlock" not in json.dumps(part.snapshot)


def test_removed_blocks_locate_the_destroyed_role_and_its_policy():
    part = plan("delete-partner-role", terraform_dir=f"{P}/delete-partner-role")
    tf = f"{P}/delete-partner-role/main.tf"
    assert [(r.kind, r.name, r.account, r.entity, r.detail, r.address) for r in part.removals] == [
        ("entity", "partner-integration", "333333333333", "role", None, "aws_iam_role.partner_integration"),
        ("inline-policy", "partner-integration", "333333333333", "role", "assume-payments-reader",
         "aws_iam_role_policy.assume_payments_reader")]
    assert [r.location for r in part.removals] == [
        {"file": tf, "line": line_of(tf, "removed {", 1), "column": 1},
        {"file": tf, "line": line_of(tf, "removed {", 2), "column": 1}]
    assert "RoleDetailList" not in part.snapshot["accounts"][0]["iam"]


def test_an_instance_count_no_longer_produces_is_located_at_its_resource_block():
    part = plan("delete-tls-policy-count", terraform_dir=f"{P}/delete-tls-policy-count")
    tf = f"{P}/delete-tls-policy-count/main.tf"
    (r,) = part.removals
    assert (r.kind, r.name, r.detail, r.address) == ("bucket-setting", "payments-cardholder-data", "Policy",
                                                     "aws_s3_bucket_policy.cardholder_tls[0]")
    assert r.location == {"file": tf, "line": line_of(tf, 'resource "aws_s3_bucket_policy" "cardholder_tls"'),
                          "column": 1}


def test_replacement_removes_the_before_object_and_creates_the_after_one():
    part = plan("replace-cardholder-policy")
    (r,) = part.removals
    assert (r.kind, r.name, r.detail) == ("bucket-setting", "payments-cardholder-data", "Policy")
    bucket = part.snapshot["accounts"][0]["s3"]["buckets"][0]
    assert bucket["Name"] == "payments-cardholder-data"
    assert bucket["Policy"]["Statement"][0]["Sid"] == "DenyInsecureTransport"
    # the old fixture: a renamed bucket (replace) and a destroyed role
    part = plan("replace-and-delete")
    assert [(r.kind, r.name) for r in part.removals] == [("bucket", "acme-tmp"), ("entity", "legacy-uploader")]
    assert part.created_buckets == {"acme-tmp-v2"}


def test_forget_destroys_nothing():
    part = plan("forget-partner-role")
    assert part.removals == []
    assert part.snapshot["accounts"][0]["iam"] == {}


def test_memberships_attachments_and_organization_attachments():
    part = plan("remove-group-memberships")
    assert [(r.kind, r.name, r.detail, r.account) for r in part.removals] == [
        ("membership", "alice", "platform-admins", "111111111111"),
        ("membership", "dave", "developers", "111111111111")]
    part = plan("detach-role-policy")
    assert [(r.kind, r.entity, r.name, r.detail, r.account) for r in part.removals] == [
        ("attachment", "role", "platform-admin", "arn:aws:iam::aws:policy/AdministratorAccess", "222222222222")]
    # the no-op role does not configure managed_policy_arns: its state value is not a declaration
    assert "AttachedManagedPolicies" not in part.snapshot["accounts"][0]["iam"]["RoleDetailList"][0]
    part = plan("detach-scp")
    assert [(r.kind, r.name, r.detail, r.account) for r in part.removals] == [
        ("org-attachment", "p-pciguard1", "ou-acme-prod", None)]


def test_the_account_a_plan_shows_wins_when_the_live_estate_has_it():
    assert plan("detach-role-policy", known_accounts=["111111111111", "222222222222"]).removals[0].account == \
        "222222222222"
    # not in the live estate: its first account, as before
    assert plan("detach-role-policy", known_accounts=["444444444444"]).removals[0].account == "444444444444"


A = "123456789012"


@pytest.mark.parametrize("rtype, before, expected", [
    ("aws_s3_bucket", {"bucket": "b", "id": "b"}, [("bucket", "b", A, None, None)]),
    ("aws_s3_bucket_policy", {"bucket": "b", "policy": "{}"}, [("bucket-setting", "b", A, "Policy", None)]),
    ("aws_s3_bucket_ownership_controls", {"bucket": "b"}, [("bucket-setting", "b", A, "OwnershipControls", None)]),
    ("aws_s3_bucket_server_side_encryption_configuration", {"bucket": "b"},
     [("bucket-setting", "b", A, "Encryption", None)]),
    ("aws_s3_bucket_versioning", {"bucket": "b"}, [("bucket-setting", "b", A, "Versioning", None)]),
    ("aws_s3_bucket_logging", {"bucket": "b"}, [("bucket-setting", "b", A, "Logging", None)]),
    ("aws_s3_bucket_lifecycle_configuration", {"bucket": "b"}, [("bucket-setting", "b", A, "Lifecycle", None)]),
    ("aws_s3_bucket_object_lock_configuration", {"bucket": "b"}, [("bucket-setting", "b", A, "ObjectLock", None)]),
    ("aws_s3_bucket_replication_configuration", {"bucket": "b"}, [("bucket-setting", "b", A, "Replication", None)]),
    ("aws_s3_bucket_website_configuration", {"bucket": "b"}, [("bucket-setting", "b", A, "Website", None)]),
    # the provider's aws_s3_bucket_acl delete is a no-op: the ACL stays as it is
    ("aws_s3_bucket_acl", {"bucket": "b", "acl": "public-read"}, []),
    ("aws_s3_account_public_access_block", {"account_id": "222222222222"},
     [("account-public-access-block", "", "222222222222", None, None)]),
    ("aws_s3_access_point", {"name": "ap", "account_id": "222222222222"},
     [("access-point", "ap", "222222222222", None, None)]),
    ("aws_s3control_access_point_policy", {"access_point_arn": "arn:aws:s3:us-east-1:123456789012:accesspoint/ap"},
     [("access-point-policy", "ap", A, None, None)]),
    ("aws_iam_user", {"name": "u"}, [("entity", "u", A, None, "user")]),
    ("aws_iam_group", {"name": "g"}, [("entity", "g", A, None, "group")]),
    ("aws_iam_group_policy", {"id": "g:read", "group": "g", "name": "read"}, [("inline-policy", "g", A, "read", "group")]),
    ("aws_iam_user_policy", {"id": "u:read", "user": "u", "name": ""}, [("inline-policy", "u", A, "read", "user")]),
    ("aws_iam_user_policy_attachment", {"user": "u", "policy_arn": "arn:aws:iam::aws:policy/X"},
     [("attachment", "u", A, "arn:aws:iam::aws:policy/X", "user")]),
    ("aws_iam_group_policy_attachment", {"group": "g", "policy_arn": "arn:aws:iam::aws:policy/X"},
     [("attachment", "g", A, "arn:aws:iam::aws:policy/X", "group")]),
    ("aws_iam_policy_attachment", {"policy_arn": "arn:p", "roles": ["r"], "users": ["u"], "groups": []},
     [("attachment", "r", A, "arn:p", "role"), ("attachment", "u", A, "arn:p", "user")]),
    ("aws_iam_policy", {"arn": "arn:aws:iam::123456789012:policy/p"},
     [("managed-policy", "arn:aws:iam::123456789012:policy/p", A, None, None)]),
    ("aws_iam_group_membership", {"group": "g", "users": ["a", "b"]},
     [("membership", "a", A, "g", None), ("membership", "b", A, "g", None)]),
    ("aws_organizations_policy", {"id": "p-1"}, [("org-policy", "p-1", None, None, None)]),
    ("aws_kms_key", {"arn": "arn:aws:kms:..."}, []),  # not mapped: nothing s3audit models goes
])
def test_each_mapped_type_removes_what_its_delete_removes(rtype, before, expected):
    got = removals_of(rtype, before, f"{rtype}.x", A, None)
    assert [(r.kind, r.name, r.account, r.detail, r.entity) for r in got] == expected
    assert all(r.address == f"{rtype}.x" for r in got)


def test_an_edge_replaced_by_the_same_edge_is_not_removed(tmp_path):
    def attachment(target):
        return {"id": f"{target}:p-guard", "policy_id": "p-guard", "target_id": target}

    def replace(before, after):
        rc = {"address": "aws_organizations_policy_attachment.guard", "mode": "managed",
              "type": "aws_organizations_policy_attachment", "name": "guard",
              "change": {"actions": ["delete", "create"], "before": before, "after": after, "after_unknown": {}}}
        path = tmp_path / "plan.json"
        path.write_text(json.dumps({"format_version": "1.2", "resource_changes": [rc]}))
        return load_terraform_plan(str(path)).removals

    assert replace(attachment("ou-prod"), attachment("ou-prod")) == []
    assert [(r.kind, r.name, r.detail) for r in replace(attachment("ou-prod"), attachment("ou-dev"))] == [
        ("org-attachment", "p-guard", "ou-prod")]
