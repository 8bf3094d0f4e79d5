"""Terraform plan JSON (`terraform show -json`) -> snapshots.

The plan fixtures are hand-written in the documented JSON output format (no terraform binary here):
https://developer.hashicorp.com/terraform/internals/json-format
"""
from __future__ import annotations

import json
import shutil

import pytest

from s3audit.errors import InputError
from s3audit.sources.iac import classify, load_iac
from s3audit.sources.terraform import load_terraform_plan

from .conftest import bucket, pointer_of, role, valid, where
from .test_terraform_dir import line_of

P = "fixtures/terraform-plans"
CONFIG = {"modules": "fixtures/terraform/modules", "unknown-after-apply": "fixtures/terraform/unknown-values",
          "iam-users-groups": "fixtures/terraform/iam-users-groups",
          "policy-document": "fixtures/terraform/policy-document",
          "access-point-account-pab": "fixtures/terraform/account-pab-access-point",
          "organizations": "fixtures/terraform/organizations", "count-for-each": "fixtures/terraform/count-for-each"}


def plan(name: str, **kw):
    part = load_terraform_plan(f"{P}/{name}.json", terraform_dir=CONFIG.get(name, f"{P}/{name}"), **kw)
    valid(part.snapshot)
    return part


def test_unknown_bucket_reference_is_resolved_from_the_configuration():
    part = plan("new-public-bucket")
    s = part.snapshot
    f = f"{P}/new-public-bucket/main.tf"
    b = bucket(s, "acme-marketing-site")
    assert part.created_buckets == {"acme-marketing-site"}
    # the plan leaves `bucket` and `policy` unknown; the configuration tells both
    assert b["Policy"]["Statement"][0]["Resource"] == "arn:aws:s3:::acme-marketing-site/*"
    assert b["PublicAccessBlock"]["BlockPublicPolicy"] is False
    p = pointer_of(s, "buckets", "acme-marketing-site")
    assert where(s, p) == (f, line_of(f, 'resource "aws_s3_bucket" "site"'))
    assert where(s, p + "/Policy/Statement/0") == (f, line_of(f, 'Sid       = "PublicRead"') - 1)


def test_noop_plan_ignores_computed_inline_blocks_the_configuration_does_not_set():
    s = plan("private-bucket-noop").snapshot
    b = bucket(s, "acme-key-vault")
    # the bucket's computed `grant` (owner FULL_CONTROL) is not declared, so not the change's business
    assert "Acl" not in b
    assert b["Versioning"] == {"Status": "Enabled"}
    assert b["Encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert b["Tags"] == {"data-class": "restricted"}


def test_v3_update_takes_the_planned_values():
    s = plan("v3-inline-update").snapshot
    f = f"{P}/v3-inline-update/main.tf"
    b = bucket(s, "acme-downloads")
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ"} in b["Acl"]["Grants"]
    assert b["Versioning"] == {"Status": "Enabled", "MFADelete": "Disabled"}
    assert where(s, pointer_of(s, "buckets", "acme-downloads", "Acl")) == (f, line_of(f, 'acl    = "public-read"'))


def test_child_modules():
    part = plan("modules")
    s = part.snapshot
    assert bucket(s, "acme-curated-events")["Policy"]["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::123456789012:role/analyst"}
    assert bucket(s, "acme-raw-events")["PublicAccessBlock"]["BlockPublicAcls"] is True
    mod = "fixtures/terraform/modules/modules/secure-bucket/main.tf"
    assert where(s, pointer_of(s, "buckets", "acme-raw-events"))[0] == mod


def test_values_known_only_after_apply():
    s = plan("unknown-after-apply").snapshot
    b = bucket(s, "<aws_s3_bucket.scratch>")
    assert "bucket_prefix" in b["Errors"]["ListBuckets"]
    # the key the plan creates is named by the placeholder that stands for the id drawn at apply (arns.kms_key_arn)
    assert b["Encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"].endswith(
        ":key/<aws_kms_key.k>") and "GetBucketEncryption" not in b["Errors"]
    # the plan's variables reach the configuration: the policy is fully known
    assert b["Policy"]["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::555566667777:root"}
    assert role(s, "<aws_iam_role.worker>")["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"}


def test_iam_references_left_unknown_by_the_plan_resolve_through_configuration_references():
    s = plan("iam-users-groups").snapshot
    users = {u["UserName"]: u for u in s["accounts"][0]["iam"]["UserDetailList"]}
    # policy_arn of aws_iam_user_policy_attachment.bob is unknown in the plan: aws_iam_policy.boundary.arn
    assert users["bob"]["AttachedManagedPolicies"] == [
        {"PolicyName": "s3-only-boundary", "PolicyArn": "arn:aws:iam::123456789012:policy/s3-only-boundary"}]
    assert users["alice"]["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(":policy/s3-only-boundary")
    assert users["bob"]["GroupList"] == ["analysts", "auditors"]


def test_policy_json_from_a_data_source_gets_statement_lines_from_the_configuration():
    s = plan("policy-document").snapshot
    f = "fixtures/terraform/policy-document/main.tf"
    st = bucket(s, "acme-data-lake")["Policy"]["Statement"]
    assert [x["Sid"] for x in st] == ["DenyInsecureTransport", "OwnAccountAdmin", "Reader0", "Reader1"]
    p = pointer_of(s, "buckets", "acme-data-lake", "Policy")
    assert where(s, p + "/Statement/1") == (f, line_of(f, "statement {", 2))


def test_access_points_and_account_block_public_access():
    s = plan("access-point-account-pab").snapshot
    s3 = s["accounts"][0]["s3"]
    assert s3["public_access_block"]["RestrictPublicBuckets"] is False
    aps = {a["Name"]: a for a in s3["access_points"]}
    assert aps["shared-internal"]["Bucket"] == "acme-shared-datasets"  # unknown in the plan, from configuration
    assert aps["shared-partners"]["Policy"]["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::999999999999:root"}


def test_organizations_policy_attachment_by_reference():
    s = plan("organizations").snapshot
    (pol,) = s["organization"]["policies"]
    assert pol["Name"] == "deny-s3-public" and pol["Targets"] == ["ou-ab12-prod"]


def test_count_and_for_each_addresses_map_to_their_blocks():
    s = plan("count-for-each").snapshot
    f = "fixtures/terraform/count-for-each/main.tf"
    assert where(s, pointer_of(s, "buckets", "acme-shard-1")) == (f, line_of(f, 'resource "aws_s3_bucket" "shard"'))
    assert where(s, pointer_of(s, "roles", "ml-reader")) == (f, line_of(f, 'resource "aws_iam_role" "reader"'))


def test_replaced_resources_are_created_and_deleted_ones_are_gone():
    part = plan("replace-and-delete")
    assert part.created_buckets == {"acme-tmp-v2"}
    assert [b["Name"] for b in part.snapshot["accounts"][0]["s3"]["buckets"]] == ["acme-tmp-v2"]
    assert "RoleDetailList" not in part.snapshot["accounts"][0]["iam"]


def test_account_id_comes_from_the_plans_own_arns():
    s = plan("external-trust-role").snapshot
    assert s["accounts"][0]["id"] == "222222222222"
    assert role(s, "etl")["Arn"] == "arn:aws:iam::222222222222:role/etl"


def test_configuration_directory_defaults_to_the_plans_directory(tmp_path):
    shutil.copytree(f"{P}/external-trust-role", tmp_path / "cfg")
    shutil.copy(f"{P}/external-trust-role.json", tmp_path / "cfg" / "plan.json")
    s = load_terraform_plan(str(tmp_path / "cfg" / "plan.json")).snapshot
    assert where(s, pointer_of(s, "roles", "etl"))[1] == 2


def test_plan_without_configuration_has_no_locations_but_the_same_content(tmp_path):
    shutil.copy(f"{P}/v3-inline-update.json", tmp_path / "plan.json")
    s = load_terraform_plan(str(tmp_path / "plan.json")).snapshot
    assert s["locations"] == {}
    assert bucket(s, "acme-downloads")["Versioning"]["Status"] == "Enabled"


def test_every_plan_fixture_loads_and_is_classified_as_a_plan():
    import os
    names = sorted(n[:-5] for n in os.listdir(P) if n.endswith(".json"))
    assert len(names) >= 10
    for name in names:
        assert classify(f"{P}/{name}.json") == "terraform-plan"
        plan(name)


@pytest.mark.parametrize("content, message", [
    ("{", "invalid JSON"),
    ("[]", "a Terraform plan is a JSON object"),
    ('{"planned_values": {}}', "missing `format_version`"),
    ('{"format_version": "1.2"}', "missing `planned_values`"),
    ('{"format_version": "1.2", "resource_changes": [{"address": 3}]}', "needs `address` and `change`"),
])
def test_malformed_plans_are_input_errors(tmp_path, content, message):
    f = tmp_path / "plan.json"
    f.write_text(content)
    with pytest.raises(InputError, match=message):
        load_terraform_plan(str(f))


def test_load_iac_reads_a_plan_by_content():
    snap, locations = load_iac([f"{P}/v3-inline-update.json"], terraform_dir=f"{P}/v3-inline-update")
    assert snap["source"] == {"kind": "terraform", "detail": f"plan {P}/v3-inline-update.json"}
    assert locations and all(v["file"].endswith("main.tf") for v in locations.values())
    json.dumps(snap)


def test_policies_in_a_plan_without_its_configuration(tmp_path):
    shutil.copy(f"{P}/new-role-attach-live-policy.json", tmp_path / "plan.json")
    s = load_terraform_plan(str(tmp_path / "plan.json")).snapshot
    assert role(s, "vendor-access")["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::999999999999:root"}
    assert s["locations"] == {}


def test_invalid_policy_json_in_a_plan_names_the_plan(tmp_path):
    doc = json.loads(open(f"{P}/new-role-attach-live-policy.json").read())
    doc["resource_changes"][0]["change"]["after"]["assume_role_policy"] = "{not json"
    (tmp_path / "plan.json").write_text(json.dumps(doc))
    with pytest.raises(InputError) as exc:
        load_terraform_plan(str(tmp_path / "plan.json"))
    assert "trust policy is not valid JSON" in exc.value.message
    assert exc.value.place.file == str(tmp_path / "plan.json")
