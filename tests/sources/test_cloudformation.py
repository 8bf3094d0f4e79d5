"""CloudFormation templates (YAML short tags, JSON) -> snapshots with line and column.

Intrinsic functions: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
AWS::S3::Bucket: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-s3-bucket.html
"""
from __future__ import annotations

import os

import pytest

from s3audit.errors import InputError
from s3audit.sources.cloudformation import load_cloudformation, read_template
from s3audit.sources.iac import classify, load_iac

from .conftest import bucket, pointer_of, role, valid, where
from .test_terraform_dir import line_of

CF = "fixtures/cloudformation"


def load(name: str, **kw) -> dict:
    snap, _ = load_iac(cloudformation=[f"{CF}/{name}"], **kw)
    valid(snap)
    return snap


def col_of(path: str, text: str) -> tuple[int, int]:
    line = line_of(path, text)
    with open(path, encoding="utf-8") as fh:
        content = fh.read().splitlines()[line - 1]
    return line, content.index(text) + 1


def test_private_bucket_every_property():
    s = load("private-bucket.yaml")
    f = f"{CF}/private-bucket.yaml"
    b = bucket(s, "payments-cardholder-data-prod")
    assert s["source"]["kind"] == "cloudformation"
    assert b["Encryption"] == {"Rules": [{"ApplyServerSideEncryptionByDefault": {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/cardholder"}, "BucketKeyEnabled": True}]}
    assert b["Versioning"] == {"Status": "Enabled"}
    assert b["Logging"] == {"LoggingEnabled": {"TargetBucket": "payments-access-logs", "TargetPrefix": "cardholder/"}}
    assert set(b["PublicAccessBlock"].values()) == {True}
    assert b["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert b["Tags"] == {"data-class": "pci", "env": "prod"}
    assert b["Lifecycle"]["Rules"][0]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    # `Version: 2012-10-17` unquoted is a YAML timestamp; CloudFormation reads it as the string
    assert b["Policy"]["Version"] == "2012-10-17"
    assert b["Policy"]["Statement"][0]["Resource"] == ["arn:aws:s3:::payments-cardholder-data-prod",
                                                       "arn:aws:s3:::payments-cardholder-data-prod/*"]
    assert b["Policy"]["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": False}}
    # the region is not in a template
    assert "Region" not in b and "AWS::Region" in b["Errors"]["GetBucketLocation"]
    p = pointer_of(s, "buckets", "payments-cardholder-data-prod")
    loc = s["locations"][p]
    assert (loc["file"], loc["line"], loc["column"]) == (f, *col_of(f, "CardholderBucket:"))
    assert where(s, p + "/Encryption") == (f, line_of(f, "BucketEncryption:"))
    assert where(s, p + "/Policy/Statement/0") == (f, line_of(f, "- Sid: DenyInsecureTransport"))
    assert s["locations"][p + "/Policy/Statement/0"]["column"] == col_of(f, "Sid: DenyInsecureTransport")[1]


def test_canned_acls_map_to_grants():
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl
    s = load("public-read-acl.yaml")
    read = bucket(s, "acme-public-downloads")["Acl"]["Grants"]
    assert [g["Permission"] for g in read if g["Grantee"].get("URI", "").endswith("AllUsers")] == ["READ"]
    rw = bucket(s, "acme-public-dropbox")
    assert sorted(g["Permission"] for g in rw["Acl"]["Grants"] if g["Grantee"].get("URI", "").endswith("AllUsers")) \
        == ["READ", "WRITE"]
    # properties left out of PublicAccessBlockConfiguration are false
    assert rw["PublicAccessBlock"] == {"BlockPublicAcls": False, "IgnorePublicAcls": False,
                                       "BlockPublicPolicy": True, "RestrictPublicBuckets": False}


def test_sub_with_a_bucket_ref():
    s = load("public-policy.yaml")
    st = bucket(s, "acme-static-assets")["Policy"]["Statement"][0]
    assert st["Resource"] == "arn:aws:s3:::acme-static-assets/*" and st["Principal"] == "*"


def test_generated_names_are_placeholders_shared_by_every_reference():
    part = load_cloudformation(f"{CF}/unnamed-bucket.yaml")
    s = part.snapshot
    b = bucket(s, "<Scratch>")
    assert "generates the name" in b["Errors"]["ListBuckets"]
    st = b["Policy"]["Statement"][0]
    assert st["Resource"] == "arn:aws:s3:::<Scratch>/*"
    assert st["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/<Worker>"}
    assert role(s, "<Worker>")["Arn"] == st["Principal"]["AWS"]
    assert b["Versioning"] == {"Status": "Suspended"}
    assert part.created_buckets == {"<Scratch>"}


def test_cross_account_role_with_managed_policy_ref():
    s = load("cross-account-role.yaml")
    f = f"{CF}/cross-account-role.yaml"
    r = role(s, "vendor-analytics")
    assert r["Path"] == "/external/" and r["Arn"] == "arn:aws:iam::123456789012:role/external/vendor-analytics"
    st = r["AssumeRolePolicyDocument"]["Statement"][0]
    assert st["Principal"] == {"AWS": "arn:aws:iam::999999999999:root"}
    assert st["Condition"] == {"StringEquals": {"sts:ExternalId": "vendor-7731"}}
    assert r["AttachedManagedPolicies"] == [{"PolicyName": "cardholder-read",
                                             "PolicyArn": "arn:aws:iam::123456789012:policy/cardholder-read"}]
    assert r["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/PowerUserAccess"
    assert r["RolePolicyList"][0]["PolicyName"] == "list-buckets"
    pol = s["accounts"][0]["iam"]["Policies"][0]
    assert pol["PolicyVersionList"][0]["Document"]["Statement"][0]["Resource"][0] == "arn:aws:s3:::payments-cardholder-data"
    p = pointer_of(s, "roles", "vendor-analytics")
    assert where(s, p) == (f, line_of(f, "VendorRole:"))
    assert where(s, p + "/AssumeRolePolicyDocument/Statement/0") == (f, line_of(f, "- Effect: Allow"))


def test_users_groups_additions_and_iam_policy_resources():
    s = load("iam-users-groups.yaml")
    iam = s["accounts"][0]["iam"]
    users = {u["UserName"]: u for u in iam["UserDetailList"]}
    groups = {g["GroupName"]: g for g in iam["GroupDetailList"]}
    assert users["alice"]["GroupList"] == ["analysts"]
    assert users["bob"]["GroupList"] == ["<Auditors>"]  # an unnamed group is a placeholder too
    # `${!aws:username}` in Fn::Sub is the literal IAM policy variable
    assert users["alice"]["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"] == \
        "arn:aws:s3:::acme-data-lake/home/${aws:username}/*"
    assert users["alice"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == \
        "arn:aws:iam::123456789012:policy/s3-only-boundary"
    assert users["bob"]["AttachedManagedPolicies"][0]["PolicyArn"].endswith(":policy/s3-only-boundary")
    assert groups["<Auditors>"]["GroupPolicyList"][0]["PolicyName"] == "audit-read"
    assert role(s, "existing-audit-role")["RolePolicyList"][0]["PolicyName"] == "audit-read"
    assert groups["analysts"]["AttachedManagedPolicies"][0]["PolicyArn"] == "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def test_access_points_need_a_region_for_their_arn():
    s = load("access-point.yaml")
    aps = {a["Name"]: a for a in s["accounts"][0]["s3"]["access_points"]}
    assert aps["shared-internal"]["NetworkOrigin"] == "VPC"
    partners = aps["shared-partners"]
    assert partners["PublicAccessBlock"] == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                             "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    # the region is chosen at deploy time: only the statement that names it is unknown, not the policy (issue 12):
    # it may cover any resource, which the marker condition says and the engine evaluates as unknown
    st = partners["Policy"]["Statement"][0]
    assert (st["Effect"], st["Action"], st["Resource"]) == ("Allow", "s3:GetObject", "*")
    assert "AWS::Region" in st["Condition"]["s3audit:Unknown"]["Resource"][0]
    assert "GetAccessPointPolicy" not in partners.get("Errors", {})
    s = load("access-point.yaml", region="eu-west-1")
    partners = {a["Name"]: a for a in s["accounts"][0]["s3"]["access_points"]}["shared-partners"]
    assert partners["Policy"]["Statement"][0]["Resource"] == \
        "arn:aws:s3:eu-west-1:123456789012:accesspoint/shared-partners/object/*"
    assert bucket(s, "acme-shared-datasets")["Region"] == "eu-west-1"


def test_parameters_conditions_mappings_and_novalue():
    s = load("conditions-params.yaml")
    b = bucket(s, "acme-dev-data")
    assert b["Versioning"] == {"Status": "Suspended"}
    assert b["Lifecycle"]["Rules"][0]["Expiration"] == {"Days": 30}
    assert "ObjectLock" not in b  # AWS::NoValue removes the property
    st = b["Policy"]["Statement"]
    assert st[0]["Principal"] == {"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::777788889999:root"]}
    assert st[1]["Sid"] == "DevPublicList" and st[1]["Principal"] == "*"
    names = [x["Name"] for x in s["accounts"][0]["s3"]["buckets"]]
    assert "acme-data-dr" not in names  # its Condition is false
    s = load("conditions-params.yaml", parameters={"Env": "prod"})
    b = bucket(s, "acme-prod-data")
    assert b["ObjectLock"] == {"ObjectLockEnabled": "Enabled"}
    assert len(b["Policy"]["Statement"]) == 1
    assert "acme-data-dr" in [x["Name"] for x in s["accounts"][0]["s3"]["buckets"]]


def test_unknown_values():
    s = load("unknown-values.yaml")
    b = bucket(s, "acme-partner-exchange")
    assert "Fn::ImportValue" in b["Errors"]["GetBucketEncryption"]
    assert "AWS::Region" in b["Errors"]["GetBucketLogging"]
    # the partner's account is a parameter without default: that statement's principal is unknown, the rest of
    # the policy is known (issue 12: unknowns confined to the statement they touch)
    st = b["Policy"]["Statement"][0]
    assert "GetBucketPolicy" not in b["Errors"] and st["Principal"] == "*" and st["Action"] == "s3:GetObject"
    assert "PartnerAccount" in st["Condition"]["s3audit:Unknown"]["Principal"][0]
    # an undecidable Condition keeps the resource: it may be deployed
    assert bucket(s, "acme-prod-only")
    assert role(s, "<Uploader>")


def test_json_template_positions():
    s = load("json-template.json")
    f = f"{CF}/json-template.json"
    b = bucket(s, "acme-finance-reports")
    st = b["Policy"]["Statement"][0]
    assert st["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/auditor"}
    assert st["Resource"] == ["arn:aws:s3:::acme-finance-reports", "arn:aws:s3:::acme-finance-reports/*"]
    assert role(s, "auditor")["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::999999999999:root"}
    p = pointer_of(s, "buckets", "acme-finance-reports")
    assert (s["locations"][p]["line"], s["locations"][p]["column"]) == col_of(f, '"Reports": {')
    assert where(s, p + "/Policy/Statement/0")[1] == line_of(f, '"Sid": "Auditors"') - 1


def test_object_lock_and_replication():
    s = load("object-lock-replication.yaml")
    b = bucket(s, "acme-legal-archive")
    assert b["ObjectLock"] == {"ObjectLockEnabled": "Enabled",
                               "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 7}}}
    assert b["Replication"]["Role"] == "arn:aws:iam::123456789012:role/s3-replication"
    rule = b["Replication"]["Rules"][0]
    assert rule["Destination"]["Account"] == "210987654321" and rule["Filter"] == {"Prefix": ""}


def test_website_in_json():
    s = load("website-public.json")
    b = bucket(s, "www.acme.example")
    assert b["Website"] == {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"},
                            "RoutingRules": [{"Condition": {"KeyPrefixEquals": "old/"},
                                              "Redirect": {"ReplaceKeyPrefixWith": "new/"}}]}
    assert b["Policy"]["Statement"][0]["Resource"] == "arn:aws:s3:::www.acme.example/*"


def test_sub_with_variables_select_split_join_base64():
    s = load("sub-join-select.yaml", account_id="210987654321")
    b = bucket(s, "acme-us-events")
    assert b["Tags"] == {"encoded": "aGVsbG8="}
    st = b["Policy"]["Statement"][0]
    assert st["Resource"] == "arn:aws:s3:::acme-us-events/*"
    assert st["Condition"] == {"StringNotEquals": {"aws:PrincipalAccount": "210987654321"}}


def test_long_form_intrinsics_and_policy_as_json_text():
    s = load("long-form-intrinsics.yaml")
    b = bucket(s, "acme-ledger-123456789012")
    assert b["Policy"]["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert role(s, "ledger-writer")["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"] == \
        "arn:aws:s3:::acme-ledger-123456789012/*"


def test_log_delivery_and_logging_to_itself():
    s = load("log-delivery.yaml")
    logs = bucket(s, "acme-access-logs")["Acl"]["Grants"]
    assert sorted(g["Permission"] for g in logs if g["Grantee"].get("URI", "").endswith("LogDelivery")) == \
        ["READ_ACP", "WRITE"]
    shared = bucket(s, "acme-authenticated-share")
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-s3-bucket-loggingconfiguration.html
    assert shared["Logging"] == {"LoggingEnabled": {"TargetBucket": "acme-authenticated-share", "TargetPrefix": "shared/"}}
    assert any(g["Grantee"].get("URI", "").endswith("AuthenticatedUsers") for g in shared["Acl"]["Grants"])


def test_every_template_fixture_loads_and_is_classified():
    names = sorted(n for n in os.listdir(CF) if n.endswith((".yaml", ".json")))
    assert len(names) >= 15
    for name in names:
        assert classify(f"{CF}/{name}") == "cloudformation"
        load(name)


@pytest.mark.parametrize("name, line, column, message", [
    ("bad-indent.yaml", 4, 4, "invalid YAML"),
    ("duplicate-key.yaml", 5, 1, "duplicate key `Resources`"),  # a section twice: template-formats.html
    ("bad-json.json", 5, 40, "invalid JSON"),
    ("unknown-tag.yaml", 5, 19, "unknown tag `!Reff`"),
    ("missing-type.yaml", 2, 3, "resource `Bucket` needs a `Type`"),
    ("bad-ref.yaml", 5, 15, "`Ref` to `Nowhere`"),  # at the function, not its property
])
def test_malformed_templates_are_input_errors_at_their_place(name, line, column, message):
    with pytest.raises(InputError) as exc:
        load_cloudformation(f"{CF}/invalid/{name}")
    assert message in exc.value.message
    assert (exc.value.place.line, exc.value.place.column) == (line, column)
    assert "\n" not in str(exc.value)


def test_yaml_scalars_keep_cloudformation_meaning():
    doc = read_template("Resources:\n  A:\n    Type: X\n    Properties:\n      Account: 012345678901\n"
                        "      Date: 2012-10-17\n      Flag: true\n      N: 3\n      Att: !GetAtt B.Arn\n", "t.yaml")
    props = doc["Resources"]["A"]["Properties"]
    assert props["Account"] == "012345678901" and props["Date"] == "2012-10-17"
    assert props["Flag"] is True and props["N"] == 3
    assert props["Att"] == {"Fn::GetAtt": ["B", "Arn"]}
    assert props.key_pos["N"].line == 8


def test_empty_template_and_template_without_resources():
    with pytest.raises(InputError, match="empty"):
        read_template("", "t.yaml")
    with pytest.raises(InputError, match="Resources"):
        from s3audit.sources.cloudformation import Template
        Template(read_template("Parameters: {}\n", "t.yaml"), "t.yaml", "123456789012", None, None, None)
