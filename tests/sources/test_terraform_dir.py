"""Terraform configuration directories -> snapshots, with the file:line of what they declare.

Provider argument references: https://registry.terraform.io/providers/hashicorp/aws/latest/docs
S3 API shapes the snapshot keeps: https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
"""
from __future__ import annotations

import pytest

from s3audit.errors import InputError
from s3audit.sources.iac import load_iac
from s3audit.sources.terraform import load_terraform_dir

from .conftest import bucket, pointer_of, role, valid, where
from ..fixture_text import line_of

TF = "fixtures/terraform"


def load(name: str, **kw) -> dict:
    snap, locations = load_iac(terraform=[f"{TF}/{name}"], **kw)
    assert snap["locations"] is locations
    valid(snap)
    return snap


def test_v4_private_bucket_maps_every_split_out_resource_to_its_block():
    s = load("v4-private-bucket")
    f = f"{TF}/v4-private-bucket/main.tf"
    b = bucket(s, "payments-cardholder-data")
    assert s["source"]["kind"] == "terraform"
    assert b["Region"] == "us-east-1"
    assert b["Tags"] == {"data-class": "pci"}
    assert b["Encryption"] == {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                                          "BucketKeyEnabled": True}]}
    assert b["Versioning"] == {"Status": "Enabled"}
    assert b["Logging"] == {"LoggingEnabled": {"TargetBucket": "payments-access-logs", "TargetPrefix": "cardholder/"}}
    assert b["PublicAccessBlock"] == dict.fromkeys(
        ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True)
    assert b["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "Errors" not in b
    p = pointer_of(s, "buckets", "payments-cardholder-data")
    assert where(s, p) == (f, line_of(f, 'resource "aws_s3_bucket" "cardholder"'))
    assert where(s, p + "/Encryption") == (f, line_of(f, 'resource "aws_s3_bucket_server_side_encryption'))
    assert where(s, p + "/PublicAccessBlock") == (f, line_of(f, 'resource "aws_s3_bucket_public_access_block"'))
    assert where(s, p + "/Tags") == (f, line_of(f, "tags = {"))
    assert s["locations"][p]["column"] == 1


def test_jsonencode_bucket_policy_resolves_arn_and_locates_each_statement():
    s = load("v4-public-policy")
    f = f"{TF}/v4-public-policy/main.tf"
    pol = bucket(s, "acme-public-assets")["Policy"]
    assert pol["Statement"][0] == {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                                   "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-public-assets/*"}
    assert pol["Statement"][1]["Resource"] == ["arn:aws:s3:::acme-public-assets", "arn:aws:s3:::acme-public-assets/*"]
    assert pol["Statement"][1]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    p = pointer_of(s, "buckets", "acme-public-assets", "Policy")
    assert where(s, p) == (f, line_of(f, "policy = jsonencode"))
    assert where(s, p + "/Statement/0") == (f, line_of(f, 'Sid       = "PublicRead"') - 1)
    assert where(s, p + "/Statement/1") == (f, line_of(f, 'Sid       = "TLSOnly"') - 1)
    assert bucket(s, "acme-public-assets")["PublicAccessBlock"]["BlockPublicPolicy"] is False


def test_canned_and_explicit_acls_become_grants():
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl
    s = load("v4-public-acl")
    legacy = bucket(s, "acme-legacy-downloads")
    grants = legacy["Acl"]["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ"} in grants
    assert grants[0]["Permission"] == "FULL_CONTROL" and grants[0]["Grantee"]["ID"] == legacy["Acl"]["Owner"]["ID"]
    # a public access block resource with no arguments sets all four to false (the provider's defaults)
    assert set(legacy["PublicAccessBlock"].values()) == {False}
    assert legacy["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    partner = bucket(s, "acme-partner-drop")["Acl"]
    assert partner["Owner"] == {"ID": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
    assert partner["Grants"] == [
        {"Grantee": {"Type": "CanonicalUser", "ID": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
         "Permission": "WRITE"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
         "Permission": "READ"}]


def test_provider_v3_inline_arguments():
    s = load("v3-inline")
    f = f"{TF}/v3-inline/main.tf"
    b = bucket(s, "acme-finance-reports")
    assert b["Acl"]["Grants"] == [{"Grantee": {"Type": "CanonicalUser", "ID": b["Acl"]["Owner"]["ID"]},
                                   "Permission": "FULL_CONTROL"}]
    assert b["Policy"]["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:role/auditor"}
    assert b["Versioning"] == {"Status": "Enabled", "MFADelete": "Disabled"}
    assert b["Logging"] == {"LoggingEnabled": {"TargetBucket": "acme-logs", "TargetPrefix": "reports/"}}
    assert b["Encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"].startswith("arn:aws:kms:")
    rule = b["Lifecycle"]["Rules"][0]
    assert rule["ID"] == "archive" and rule["Status"] == "Enabled" and rule["Filter"] == {"Prefix": "old/"}
    assert rule["Transitions"] == [{"Days": 30, "StorageClass": "GLACIER"}] and rule["Expiration"] == {"Days": 365}
    assert b["Replication"]["Role"] == "arn:aws:iam::123456789012:role/replication"
    assert b["Replication"]["Rules"][0]["Destination"] == {"Bucket": "arn:aws:s3:::acme-finance-reports-dr",
                                                           "StorageClass": "STANDARD_IA"}
    assert b["ObjectLock"] == {"ObjectLockEnabled": "Enabled",
                               "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 2555}}}
    www = bucket(s, "acme-www")
    assert www["Website"] == {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}}
    assert any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in www["Acl"]["Grants"])
    # the heredoc's JSON keeps its own lines: the statement starts at the `{` before "Sid"
    p = pointer_of(s, "buckets", "acme-finance-reports", "Policy")
    assert where(s, p + "/Statement/0") == (f, line_of(f, '"Sid": "AuditorsRead"') - 1)
    assert where(s, pointer_of(s, "buckets", "acme-finance-reports", "Versioning")) == (f, line_of(f, "versioning {"))


def test_v3_grant_blocks_and_log_delivery_acl():
    s = load("v3-grants")
    grants = bucket(s, "acme-shared-exports")["Acl"]["Grants"]
    all_users = [g["Permission"] for g in grants if g["Grantee"].get("URI", "").endswith("/AllUsers")]
    assert sorted(all_users) == ["READ", "READ_ACP"]
    logs = bucket(s, "acme-shared-exports-logs")["Acl"]["Grants"]
    assert sorted(g["Permission"] for g in logs if g["Grantee"].get("URI", "").endswith("/LogDelivery")) == \
        ["READ_ACP", "WRITE"]


def test_policy_document_data_source_with_source_documents_dynamic_blocks_and_conditions():
    s = load("policy-document", account_id="210987654321")
    f = f"{TF}/policy-document/main.tf"
    st = bucket(s, "acme-data-lake")["Policy"]["Statement"]
    # source_policy_documents' statements come first, then the document's own
    assert [x["Sid"] for x in st] == ["DenyInsecureTransport", "OwnAccountAdmin", "Reader0", "Reader1"]
    assert st[0]["Principal"] == "*" and st[0]["Effect"] == "Deny"
    assert st[1]["Effect"] == "Allow"  # the provider's default effect
    assert st[1]["Principal"] == {"AWS": "arn:aws:iam::210987654321:root"}  # aws_caller_identity
    assert st[2]["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"}
    assert st[3]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5",
                                                   "s3:ExistingObjectTag/share": "yes"}}
    p = pointer_of(s, "buckets", "acme-data-lake", "Policy")
    assert where(s, p + "/Statement/0") == (f, line_of(f, "statement {", 1))
    assert where(s, p + "/Statement/1") == (f, line_of(f, "statement {", 2))
    assert where(s, p + "/Statement/3")[1] == line_of(f, "content {")


def test_cross_account_role():
    s = load("iam-role-cross-account")
    f = f"{TF}/iam-role-cross-account/main.tf"
    r = role(s, "vendor-analytics")
    assert r["Arn"] == "arn:aws:iam::123456789012:role/external/vendor-analytics"
    trust = r["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::999999999999:root"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "vendor-7731"}}
    assert sorted(p["PolicyName"] for p in r["RolePolicyList"]) == ["decrypt", "list-buckets"]
    assert {p["PolicyArn"] for p in r["AttachedManagedPolicies"]} == {
        "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/cardholder-read"}
    assert r["Tags"] == [{"Key": "owner", "Value": "vendor-management"}]
    managed = s["accounts"][0]["iam"]["Policies"][0]
    assert managed["Arn"] == "arn:aws:iam::123456789012:policy/cardholder-read"
    assert managed["PolicyVersionList"][0]["Document"]["Statement"][0]["Action"] == ["s3:GetObject", "s3:ListBucket"]
    # an AWS managed policy's document is not in the configuration: unknown, and said so
    assert "iam:Policy/arn:aws:iam::aws:policy/ReadOnlyAccess/Document" in s["accounts"][0]["errors"]
    p = pointer_of(s, "roles", "vendor-analytics")
    assert where(s, p) == (f, line_of(f, 'resource "aws_iam_role" "vendor"'))
    assert where(s, p + "/AssumeRolePolicyDocument/Statement/0") == (f, line_of(f, "statement {"))


def test_users_groups_memberships_and_attachments():
    s = load("iam-users-groups")
    iam = s["accounts"][0]["iam"]
    users = {u["UserName"]: u for u in iam["UserDetailList"]}
    assert users["alice"]["GroupList"] == ["analysts"]
    assert users["bob"]["GroupList"] == ["analysts", "auditors"]
    assert users["bob"]["Arn"] == "arn:aws:iam::123456789012:user/contractors/bob"
    assert users["alice"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/s3-only-boundary"}
    # `$${aws:username}` is Terraform's escape for the IAM policy variable
    assert users["alice"]["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"] == \
        "arn:aws:s3:::acme-data-lake/home/${aws:username}/*"
    assert {p["PolicyArn"] for p in users["bob"]["AttachedManagedPolicies"]} == {
        "arn:aws:iam::123456789012:policy/s3-only-boundary"}
    groups = {g["GroupName"]: g for g in iam["GroupDetailList"]}
    assert groups["analysts"]["GroupPolicyList"][0]["PolicyName"] == "read-lake"
    assert {p["PolicyArn"] for p in groups["auditors"]["AttachedManagedPolicies"]} == {
        "arn:aws:iam::aws:policy/SecurityAudit", "arn:aws:iam::123456789012:policy/s3-only-boundary"}
    # aws_iam_policy_attachment names a role the configuration does not declare
    assert role(s, "existing-etl-role")["AttachedManagedPolicies"][0]["PolicyName"] == "s3-only-boundary"


def test_local_modules_called_twice_with_outputs():
    s = load("modules")
    raw, curated = bucket(s, "acme-raw-events"), bucket(s, "acme-curated-events")
    assert raw["Tags"] == {"data-class": "internal"} and "Policy" not in raw  # count = 0
    assert curated["Policy"]["Statement"][0]["Principal"] == {"AWS": ["arn:aws:iam::123456789012:role/analyst"]}
    assert raw["Region"] == "eu-central-1"
    etl = role(s, "etl")["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]
    assert etl["Resource"] == ["arn:aws:s3:::acme-raw-events/*", "arn:aws:s3:::acme-curated-events/*"]
    mod = f"{TF}/modules/modules/secure-bucket/main.tf"
    assert where(s, pointer_of(s, "buckets", "acme-raw-events")) == (mod, line_of(mod, 'resource "aws_s3_bucket" "this"'))


def test_unknown_values_are_unknown_never_guessed():
    s = load("unknown-values")
    name = "<aws_s3_bucket.scratch>"
    b = bucket(s, name)
    errors = b["Errors"]
    assert "bucket_prefix" in errors["ListBuckets"]
    assert "Policy" not in b and "trusted_account" in errors["GetBucketPolicy"]
    # the key's id is drawn at apply time: its ARN names the key by the placeholder that stands for that id, so
    # the encryption names the key the change declares (arns.kms_key_arn), not an unknown one
    assert b["Encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == \
        "arn:aws:kms:us-east-1:123456789012:key/<aws_kms_key.k>" and "GetBucketEncryption" not in errors
    assert s["accounts"][0]["kms"]["keys"][0]["Arn"] == "arn:aws:kms:us-east-1:123456789012:key/<aws_kms_key.k>"
    acct_errors = s["accounts"][0]["errors"]
    assert role(s, "<aws_iam_role.worker>")["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"] == \
        "arn:aws:kms:us-east-1:123456789012:key/<aws_kms_key.k>"
    assert "teams" in acct_errors["terraform:aws_iam_user.per_team"]
    assert role(s, "<aws_iam_role.worker>")["Arn"] == "arn:aws:iam::123456789012:role/<aws_iam_role.worker>"
    # a new bucket still gets S3's documented defaults for what the change does not set
    assert b["PublicAccessBlock"]["BlockPublicPolicy"] is True


def test_account_public_access_block_and_access_points():
    s = load("account-pab-access-point")
    s3 = s["accounts"][0]["s3"]
    assert s3["public_access_block"] == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                         "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
    aps = {a["Name"]: a for a in s3["access_points"]}
    assert aps["shared-internal"]["NetworkOrigin"] == "VPC"
    assert aps["shared-internal"]["VpcConfiguration"] == {"VpcId": "vpc-0a1b2c3d"}
    assert set(aps["shared-internal"]["PublicAccessBlock"].values()) == {True}  # access point default
    partners = aps["shared-partners"]
    assert partners["NetworkOrigin"] == "Internet" and partners["PublicAccessBlock"]["BlockPublicPolicy"] is False
    assert partners["Policy"]["Statement"][0]["Resource"] == \
        "arn:aws:s3:us-east-1:123456789012:accesspoint/shared-partners/object/*"


def test_organization_policies_and_attachments():
    s = load("organizations")
    pols = {p["Name"]: p for p in s["organization"]["policies"]}
    assert set(pols) == {"deny-s3-public", "data-perimeter"}  # a tag policy decides no access
    assert pols["deny-s3-public"]["Type"] == "SERVICE_CONTROL_POLICY"
    assert pols["deny-s3-public"]["Targets"] == ["ou-ab12-prod"]
    assert pols["data-perimeter"]["Type"] == "RESOURCE_CONTROL_POLICY"
    assert pols["data-perimeter"]["Targets"] == ["r-ab12"]
    assert pols["data-perimeter"]["Id"] == "<aws_organizations_policy.perimeter>"
    assert pols["data-perimeter"]["Document"]["Statement"][0]["Condition"]["StringNotEqualsIfExists"] == \
        {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}


def test_v4_object_lock_lifecycle_replication_website():
    s = load("v4-lifecycle-replication-website")
    a = bucket(s, "acme-legal-archive")
    assert a["ObjectLock"] == {"ObjectLockEnabled": "Enabled",
                               "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 7}}}
    rule = a["Lifecycle"]["Rules"][0]
    assert rule["Filter"] == {"Prefix": "docs/"} and rule["Transitions"] == [{"Days": 90, "StorageClass": "DEEP_ARCHIVE"}]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 3650}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    rep = a["Replication"]["Rules"][0]
    assert rep["Destination"] == {"Bucket": "arn:aws:s3:::acme-legal-archive-dr", "Account": "210987654321",
                                  "AccessControlTranslation": {"Owner": "Destination"}}
    assert rep["DeleteMarkerReplication"] == {"Status": "Disabled"}
    assert bucket(s, "docs.acme.example")["Website"] == {"IndexDocument": {"Suffix": "index.html"},
                                                        "ErrorDocument": {"Key": "404.html"}}


def test_tfvars_locals_for_expressions_and_default_tags():
    s = load("locals-vars-tfvars")
    inv, exp = bucket(s, "acme-prod-invoices"), bucket(s, "acme-prod-exports")
    assert inv["Tags"] == {"env": "prod", "managed-by": "terraform", "data-class": "pci", "team": "FIN"}
    assert exp["Tags"]["data-class"] == "internal"
    assert inv["Versioning"] == {"Status": "Enabled"} and "Versioning" not in exp


def test_policies_read_with_file_and_templatefile_keep_their_own_lines():
    s = load("file-policy")
    j = f"{TF}/file-policy/policies/exports.json"
    p = pointer_of(s, "buckets", "acme-exports", "Policy")
    assert bucket(s, "acme-exports")["Policy"]["Statement"][0]["Sid"] == "PartnerRead"
    assert where(s, p + "/Statement/0") == (j, line_of(j, '"Sid": "PartnerRead"') - 1)
    assert role(s, "exporter")["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "glue.amazonaws.com"}


def test_count_and_for_each_instances_and_splat():
    s = load("count-for-each")
    assert bucket(s, "acme-shard-1")["PublicAccessBlock"]["RestrictPublicBuckets"] is True
    r = role(s, "ml-reader")
    assert r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert r["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"] == [
        "arn:aws:s3:::acme-shard-0/*", "arn:aws:s3:::acme-shard-1/*"]


def test_standalone_buckets_get_creation_defaults_but_split_out_only_buckets_do_not():
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/create-bucket-overview.html
    s = load("v4-public-policy")
    b = bucket(s, "acme-public-assets")
    assert b["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert b["Encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    part = load_terraform_dir(f"{TF}/modules")  # role `etl` is only referenced: no defaults, no creation
    assert "acme-raw-events" in part.created_buckets


def test_every_configuration_fixture_loads_and_validates():
    import os
    names = sorted(d for d in os.listdir(TF) if os.path.isdir(os.path.join(TF, d)))
    assert len(names) >= 15
    for name in names:
        load(name)


@pytest.mark.parametrize("text, where_, message", [
    ('resource "aws_s3_bucket" "x" {\n  bucket = \n}\n', (2,), "invalid HCL"),
    ('resource "aws_s3_bucket" "x" {\n  bucket = "a"\n', (3,), "invalid HCL"),
    ('resource "aws_s3_bucket" "x" {\n  bucket = "a"\n  bucket = "b"\n}\n', (3,), "set twice"),
    ('resource "aws_s3_bucket" "x" {}\nresource "aws_s3_bucket" "x" {}\n', (2,), "declared twice"),
])
def test_malformed_configuration_is_an_input_error_at_its_place(tmp_path, text, where_, message):
    (tmp_path / "main.tf").write_text(text)
    with pytest.raises(InputError) as exc:
        load_terraform_dir(str(tmp_path))
    err = exc.value
    assert message in err.message
    assert err.place.file.endswith("main.tf")
    assert err.place.line == where_[0]


def test_missing_directory_is_an_input_error():
    with pytest.raises(InputError, match="no such directory"):
        load_terraform_dir("fixtures/terraform/does-not-exist")
