"""KMS keys and VPC endpoints from Terraform and CloudFormation, and overlaid on a live estate.

AWS and provider pages: the default key policy of a key created through the API,
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html; aws_kms_key (``enable_key_rotation``
false and ``is_enabled`` true by default), aws_kms_key_policy, aws_kms_alias, aws_kms_grant, aws_vpc_endpoint and
aws_vpc_endpoint_policy, https://registry.terraform.io/providers/hashicorp/aws/latest/docs; AWS::KMS::Key (``Ref``
is the key id, ``Fn::GetAtt`` ``Arn``), AWS::KMS::Alias, AWS::EC2::VPCEndpoint (``Ref`` is the endpoint id,
``VpcEndpointType`` defaults to Gateway),
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kms-key.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-vpcendpoint.html; an endpoint
without a policy has the default policy, full access,
https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from s3audit.snapshot.kms import KeyIndex
from s3audit.snapshot.load import snapshot_from_dict
from s3audit.snapshot.model import UNKNOWN
from s3audit.sources.cloudformation import load_cloudformation
from s3audit.sources.overlay import overlay
from s3audit.sources.terraform import load_terraform_dir

HERE = Path(__file__).with_name("fixtures")
ACCOUNT = "123456789012"


@pytest.fixture(scope="module", params=["terraform", "cloudformation"])
def change(request):
    if request.param == "terraform":
        part = load_terraform_dir(str(HERE / "kms-vpce-tf"))
        names = {"key": "<aws_kms_key.cardholder>", "other": "<aws_kms_key.logs>", "endpoint": "<aws_vpc_endpoint.s3>",
                 "file": str(HERE / "kms-vpce-tf" / "main.tf")}
    else:
        part = load_cloudformation(str(HERE / "kms-vpce.yaml"), region="eu-west-1")
        names = {"key": "<CardholderKey>", "other": "<DefaultPolicyKey>", "endpoint": "<Endpoint>",
                 "file": str(HERE / "kms-vpce.yaml")}
    return part.snapshot, names


def test_keys_with_their_policy_alias_grants_and_rotation(change):
    document, names = change
    model = snapshot_from_dict(document)
    keys = {k.key_id: k for k in model.accounts[0].kms_keys}
    key = keys[names["key"]]
    assert key.arn == f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{names['key']}"
    assert (key.manager, key.state, key.rotation, key.aliases) == ("CUSTOMER", "Enabled", True, ("alias/cardholder",))
    assert key.policy.document["Statement"][0]["Sid"] == "EnableIamPolicies"
    if "tf" in names["file"]:
        assert [(g.grantee, g.operations, dict(g.constraints["EncryptionContextSubset"])) for g in key.grants] == [
            ("arn:aws:iam::999999999999:role/partner", ("Decrypt",), {"aws:s3:arn": "arn:aws:s3:::cardholder-data"})]
    else:
        assert key.grants == ()  # a key the change creates has no grants but those it declares
    other = keys[names["other"]]
    assert other.state == "Disabled" and other.rotation is False
    assert other.policy.document["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


def test_the_bucket_names_the_key_the_snapshot_describes(change):
    document, names = change
    model = snapshot_from_dict(document)
    use = KeyIndex(model.accounts).bucket_key(model.buckets[0])
    assert use.key is not None and use.key.key_id == names["key"] and use.note is None


def test_the_endpoint_and_the_bucket_policy_that_names_it(change):
    document, names = change
    model = snapshot_from_dict(document)
    endpoint = model.vpc_endpoint(names["endpoint"])
    assert (endpoint.type, endpoint.vpc, endpoint.service) == ("Gateway", "vpc-0example", "com.amazonaws.eu-west-1.s3")
    assert endpoint.policy.document["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-example"}}
    statement = model.buckets[0].policy.document["Statement"][0]
    assert statement["Condition"]["StringNotEquals"]["aws:SourceVpce"] == names["endpoint"]


def test_keys_and_endpoints_are_located_in_the_source(change):
    document, names = change
    locations = document["locations"]
    key_pointer = next(f"/accounts/0/kms/keys/{i}" for i, k in enumerate(document["accounts"][0]["kms"]["keys"])
                       if k["KeyId"] == names["key"])
    assert locations[key_pointer]["file"] == names["file"]
    assert locations[key_pointer + "/Policy/Statement/0"]["line"] > locations[key_pointer]["line"]
    assert "/accounts/0/ec2/vpc_endpoints/0/PolicyDocument/Statement/0" in locations


LIVE_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/live-key"


def _live() -> dict:
    return {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z", "source": {"kind": "aws"},
            "accounts": [{"id": ACCOUNT, "iam": {}, "s3": {"buckets": []},
                          "kms": {"keys": [{"KeyId": "live-key", "Arn": LIVE_KEY, "KeyManager": "CUSTOMER",
                                            "KeyState": "Enabled", "Region": "eu-west-1",
                                            "Aliases": [{"AliasName": "alias/cardholder"}],
                                            "Grants": [{"GranteePrincipal": f"arn:aws:iam::{ACCOUNT}:role/etl",
                                                        "Operations": ["Decrypt"]}],
                                            "KeyRotationEnabled": False, "Errors": {"GetKeyPolicy": "AccessDenied"}}]},
                          "ec2": {"vpc_endpoints": [{"VpcEndpointId": "vpce-live", "VpcId": "vpc-1",
                                                     "Region": "eu-west-1"}]}}]}


def test_a_change_on_a_live_key_replaces_what_it_sets_and_adds_grants():
    proposed = {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z", "source": {"kind": "terraform"},
                "accounts": [{"id": ACCOUNT, "iam": {}, "s3": {"buckets": []},
                              "kms": {"keys": [{"KeyId": "live-key", "Arn": LIVE_KEY,
                                                "Policy": {"Version": "2012-10-17", "Statement": []},
                                                "Grants": [{"GranteePrincipal": "arn:aws:iam::999999999999:root",
                                                            "Operations": ["Decrypt"]}]}]},
                              "ec2": {"vpc_endpoints": [{"VpcEndpointId": "vpce-live", "PolicyDocument": {
                                  "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                                                 "Resource": "*"}]}}]}}]}
    merged = snapshot_from_dict(overlay(_live(), proposed))
    key = merged.accounts[0].kms_keys[0]
    assert key.policy is not UNKNOWN and key.policy.document["Statement"] == []   # the change's policy, now known
    assert [g.grantee for g in key.grants] == [f"arn:aws:iam::{ACCOUNT}:role/etl", "arn:aws:iam::999999999999:root"]
    assert key.rotation is False and key.aliases == ("alias/cardholder",)        # what the change does not set
    endpoint = merged.vpc_endpoint("vpce-live")
    assert endpoint.vpc == "vpc-1" and endpoint.policy.document["Statement"][0]["Effect"] == "Deny"


def test_a_new_key_takes_an_alias_from_the_live_key():
    document = copy.deepcopy(load_terraform_dir(str(HERE / "kms-vpce-tf")).snapshot)
    merged = snapshot_from_dict(overlay(_live(), document))
    keys = {k.key_id: k for k in merged.accounts[0].kms_keys}
    assert keys["live-key"].aliases == () and keys["<aws_kms_key.cardholder>"].aliases == ("alias/cardholder",)
    assert keys["live-key"].policy is UNKNOWN                                   # still unreadable
