"""KMS keys and VPC endpoints in the snapshot (docs/snapshot-format.md, "accounts[].kms.keys[]" and
"accounts[].ec2.vpc_endpoints[]"): what loads, what is unknown, and which key a bucket's default encryption uses.

AWS pages: DescribeKey / ListGrants / ListAliases shapes, https://docs.aws.amazon.com/kms/latest/APIReference/;
default encryption and the key it names, https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html;
the AWS managed key aws/s3, https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key;
DescribeVpcEndpoints and the default endpoint policy,
https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html.
"""
import copy
import json

import pytest

from s3audit.errors import SnapshotError
from s3audit.snapshot.kms import DOCUMENTED, KeyIndex, default_key_reference
from s3audit.snapshot.load import snapshot_from_dict
from s3audit.snapshot.model import UNKNOWN

ACCOUNT = "222222222222"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{KEY_ID}"


def _key(**extra) -> dict:
    key = {"KeyId": KEY_ID, "Arn": KEY_ARN, "AWSAccountId": ACCOUNT, "KeyManager": "CUSTOMER", "KeyState": "Enabled",
           "Region": "eu-west-1", "Aliases": [{"AliasName": "alias/payments", "TargetKeyId": KEY_ID}],
           "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
               "Sid": "Enable IAM User Permissions", "Effect": "Allow",
               "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}]}),
           "Grants": [{"GrantId": "g1", "KeyId": KEY_ARN, "GranteePrincipal": "arn:aws:iam::333333333333:role/reader",
                       "Operations": ["Decrypt"], "IssuingAccount": f"arn:aws:iam::{ACCOUNT}:root",
                       "Constraints": {"EncryptionContextSubset": {"aws:s3:arn": "arn:aws:s3:::payments"}}}],
           "KeyRotationEnabled": True}
    key.update(extra)
    return key


def _snapshot(kms=None, ec2=None, encryption=None, kind="aws", errors=None) -> dict:
    account = {"id": ACCOUNT, "iam": {}, "s3": {"buckets": [{"Name": "payments", "Region": "eu-west-1"}]}}
    if encryption is not None:
        account["s3"]["buckets"][0]["Encryption"] = encryption
    if kms is not None:
        account["kms"] = kms
    if ec2 is not None:
        account["ec2"] = ec2
    if errors:
        account["errors"] = errors
    return {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z", "source": {"kind": kind},
            "accounts": [account]}


def _kms_encryption(key_id=None) -> dict:
    default = {"SSEAlgorithm": "aws:kms"}
    if key_id is not None:
        default["KMSMasterKeyID"] = key_id
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]}


def test_a_key_loads_with_its_policy_grants_aliases_and_rotation():
    s = snapshot_from_dict(_snapshot(kms={"keys": [_key()]}))
    key = s.accounts[0].kms_keys[0]
    assert (key.arn, key.key_id, key.account, key.region) == (KEY_ARN, KEY_ID, ACCOUNT, "eu-west-1")
    assert key.aliases == ("alias/payments",) and key.aws_managed is False and key.rotation is True
    assert key.policy.document["Statement"][0]["Sid"] == "Enable IAM User Permissions"  # JSON text decoded
    assert key.policy.pointer == "/accounts/0/kms/keys/0/Policy" and key.policy.kind == "key"
    grant = key.grants[0]
    assert grant.grantee == "arn:aws:iam::333333333333:role/reader" and grant.operations == ("Decrypt",)
    assert dict(grant.constraints["EncryptionContextSubset"]) == {"aws:s3:arn": "arn:aws:s3:::payments"}
    assert s.accounts[0].kms_gaps == {}


@pytest.mark.parametrize("errors, unknown", [
    ({"GetKeyPolicy": "AccessDenied"}, "policy"),
    ({"ListGrants": "AccessDenied"}, "grants"),
    ({"GetKeyRotationStatus": "AccessDenied"}, "rotation"),
    ({"DescribeKey": "AccessDenied"}, "manager"),
])
def test_a_failed_call_makes_its_value_unknown_never_absent(errors, unknown):
    key = _key(Errors=errors)
    for field, api in (("policy", "Policy"), ("grants", "Grants"), ("rotation", "KeyRotationEnabled")):
        if field == unknown:
            key.pop(api)
    if unknown == "manager":
        key = {"KeyId": KEY_ID, "Arn": KEY_ARN, "Region": "eu-west-1", "Errors": errors}
    loaded = snapshot_from_dict(_snapshot(kms={"keys": [key]})).accounts[0].kms_keys[0]
    assert getattr(loaded, unknown) is UNKNOWN
    if unknown == "manager":  # nothing was read but the listing: the rest is unknown too
        assert loaded.policy is UNKNOWN and loaded.grants is UNKNOWN and loaded.state is UNKNOWN


def test_a_key_without_a_recorded_policy_has_an_unknown_one():
    key = _key()
    del key["Policy"]
    assert snapshot_from_dict(_snapshot(kms={"keys": [key]})).accounts[0].kms_keys[0].policy is UNKNOWN


@pytest.mark.parametrize("snapshot, gaps", [
    (_snapshot(), {"*": "the account's KMS keys were not collected"}),
    (_snapshot(kind="terraform"), {}),  # a change declares its keys: none declared
    (_snapshot(kms={"keys": []}, errors={"kms:ListKeys": "AccessDenied"}), {"*": "`kms:ListKeys` failed: AccessDenied"}),
    (_snapshot(kms={"keys": []}, errors={"kms:ListAliases@eu-west-1": "Throttling"}),
     {"eu-west-1": "`kms:ListAliases` failed: Throttling"}),
])
def test_why_an_accounts_keys_are_not_all_known(snapshot, gaps):
    assert dict(snapshot_from_dict(snapshot).accounts[0].kms_gaps) == gaps


@pytest.mark.parametrize("written", [KEY_ARN, KEY_ID, "alias/payments", f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/payments"])
def test_the_key_of_a_bucket_by_arn_id_alias_or_alias_arn(written):
    s = snapshot_from_dict(_snapshot(kms={"keys": [_key()]}, encryption=_kms_encryption(written)))
    use = KeyIndex(s.accounts).bucket_key(s.buckets[0])
    assert use.key is s.accounts[0].kms_keys[0] and use.reference == written and use.note is None
    assert use.by_alias == (not written.startswith("arn:"))


def test_sse_kms_without_a_key_uses_aws_s3_and_its_documented_policy_when_not_collected():
    s = snapshot_from_dict(_snapshot(encryption=_kms_encryption()))
    use = KeyIndex(s.accounts).bucket_key(s.buckets[0])
    assert use.reference == "" and use.arn == f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/aws/s3"
    assert use.key.origin == DOCUMENTED and use.key.aws_managed is True
    statement = use.key.policy.document["Statement"][0]
    assert statement["Condition"]["StringEquals"] == {"kms:CallerAccount": ACCOUNT,
                                                      "kms:ViaService": "s3.eu-west-1.amazonaws.com"}


def test_the_collected_aws_s3_key_wins_over_the_documented_one():
    aws_s3 = _key(KeyManager="AWS", Aliases=[{"AliasName": "alias/aws/s3"}])
    s = snapshot_from_dict(_snapshot(kms={"keys": [aws_s3]}, encryption=_kms_encryption("alias/aws/s3")))
    use = KeyIndex(s.accounts).bucket_key(s.buckets[0])
    assert use.key.origin is None and use.arn == KEY_ARN


def test_a_key_the_snapshot_lacks_is_unknown_with_the_reason():
    s = snapshot_from_dict(_snapshot(kms={"keys": []}, errors={"kms:ListKeys@eu-west-1": "AccessDenied"},
                                     encryption=_kms_encryption(KEY_ARN)))
    use = KeyIndex(s.accounts).bucket_key(s.buckets[0])
    assert use.key is None and use.note == (f"KMS key `{KEY_ARN}` is not in the snapshot "
                                            "(`kms:ListKeys` failed: AccessDenied (in eu-west-1))")
    other = KeyIndex(s.accounts).resolve("arn:aws:kms:eu-west-1:999999999999:key/x", ACCOUNT, "eu-west-1")
    assert "account 999999999999 is not in the snapshot" in other.note


@pytest.mark.parametrize("encryption, reference", [
    (None, None),
    ({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}, None),
    ({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": "k"}}]}, "k"),
    (UNKNOWN, UNKNOWN),
])
def test_default_key_reference(encryption, reference):
    assert default_key_reference(encryption) is reference or default_key_reference(encryption) == reference


def test_vpc_endpoints_load_with_their_policy_or_the_default():
    policy = {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                                      "Resource": "*"}]}
    ec2 = {"vpc_endpoints": [
        {"VpcEndpointId": "vpce-0a1", "VpcEndpointType": "Gateway", "VpcId": "vpc-1",
         "ServiceName": "com.amazonaws.eu-west-1.s3", "State": "available", "Region": "eu-west-1",
         "OwnerId": ACCOUNT, "PolicyDocument": json.dumps(policy)},
        {"VpcEndpointId": "vpce-0b2", "VpcEndpointType": "Interface", "VpcId": "vpc-1", "Region": "eu-west-1"}]}
    s = snapshot_from_dict(_snapshot(ec2=ec2))
    first, second = s.accounts[0].vpc_endpoints
    assert first.policy.document == policy and first.policy.kind == "vpc-endpoint" and first.vpc == "vpc-1"
    assert second.policy is None  # no document: AWS's default, full access
    assert s.vpc_endpoint("vpce-0a1") is first and s.vpc_endpoint("vpce-nope") is None
    assert first.arn == f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc-endpoint/vpce-0a1"
    assert dict(s.accounts[0].vpc_endpoint_gaps) == {}
    assert dict(snapshot_from_dict(_snapshot()).accounts[0].vpc_endpoint_gaps) == {
        "*": "the account's VPC endpoints were not collected"}


@pytest.mark.parametrize("mutate, pointer, message", [
    (lambda a: a.update(kms={"keys": [{"KeyManager": "CUSTOMER"}]}), "/accounts/0/kms/keys/0", ""),
    (lambda a: a.update(kms={"keys": [_key(KeyManager="SOMEONE")]}), "/accounts/0/kms/keys/0/KeyManager", "`AWS`"),
    (lambda a: a.update(kms={"keys": [_key(Policy="{not json")]}), "/accounts/0/kms/keys/0/Policy", "not valid JSON"),
    (lambda a: a.update(kms={"keys": [_key(Grants=[{"Operations": ["Decrypt"]}])]}),
     "/accounts/0/kms/keys/0/Grants/0", "missing required key `GranteePrincipal`"),
    (lambda a: a.update(ec2={"vpc_endpoints": [{"VpcId": "vpc-1"}]}), "/accounts/0/ec2/vpc_endpoints/0",
     "missing required key `VpcEndpointId`"),
])
def test_bad_keys_and_endpoints_name_the_pointer(mutate, pointer, message):
    doc = copy.deepcopy(_snapshot())
    mutate(doc["accounts"][0])
    with pytest.raises(SnapshotError) as e:
        snapshot_from_dict(doc, file="estate.json")
    assert str(e.value).startswith(f"estate.json: at {pointer}: ")
    assert message in e.value.message
