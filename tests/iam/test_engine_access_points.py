"""Requests through an S3 access point: the access point and the underlying bucket must both permit them.

"For an application or user to be able to access objects through an access point, both the access point and
the underlying bucket must permit the request."
https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html
Delegating access control from the bucket to access points of the owner's account (s3:DataAccessPointAccount):
https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html#access-points-delegating-control
"""
import pytest

from s3audit.iam.engine import Engine, Request
from s3audit.snapshot.load import snapshot_from_dict

OWNER, OTHER = "111111111111", "222222222222"
AP_ARN = f"arn:aws:s3:us-east-1:{OWNER}:accesspoint/reports"
OBJECT_VIA_AP = f"{AP_ARN}/object/q3.csv"
READER = f"arn:aws:iam::{OWNER}:role/reader"
PARTNER = f"arn:aws:iam::{OTHER}:role/partner"
DELEGATE = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
            "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
            "Condition": {"StringEquals": {"s3:DataAccessPointAccount": OWNER}}}


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def estate(*, ap_policy=None, bucket_policy=None, reader_policy=None):
    role = {"RoleName": "reader", "Arn": READER, "AssumeRolePolicyDocument": doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
        "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": reader_policy}] if reader_policy else []}
    bucket = {"Name": "data", "Region": "us-east-1",
              "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}
    if bucket_policy:
        bucket["Policy"] = bucket_policy
    ap = {"Name": "reports", "Bucket": "data", "NetworkOrigin": "Internet", "Region": "us-east-1",
          "PublicAccessBlock": {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                                "RestrictPublicBuckets": True}}
    if ap_policy:
        ap["Policy"] = ap_policy
    return snapshot_from_dict({
        "format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z",
        "accounts": [{"id": OWNER, "iam": {"RoleDetailList": [role]},
                      "s3": {"public_access_block": None, "buckets": [bucket], "access_points": [ap]}}]})


def decide(snapshot, principal, resource=OBJECT_VIA_AP, action="s3:GetObject"):
    return Engine(snapshot).decide(Request(principal, action, resource, {}))


AP_GRANTS_PARTNER = doc({"Effect": "Allow", "Principal": {"AWS": PARTNER}, "Action": "s3:GetObject",
                         "Resource": f"{AP_ARN}/object/*"})


@pytest.mark.parametrize("ap_policy, bucket_policy, expected", [
    # The access point grants the partner, but the bucket neither delegates nor grants: denied.
    (AP_GRANTS_PARTNER, None, "deny"),
    # The bucket delegates to the owner's access points: now both sides permit.
    (AP_GRANTS_PARTNER, doc(DELEGATE), "allow"),
    # The bucket delegates, but the access point grants nothing to the partner: denied.
    (None, doc(DELEGATE), "deny"),
])
def test_cross_account_through_an_access_point_needs_both_sides(ap_policy, bucket_policy, expected):
    d = decide(estate(ap_policy=ap_policy, bucket_policy=bucket_policy), PARTNER)
    assert d.decision == expected, d.to_json()


def test_same_account_identity_policy_permits_on_both_sides():
    reader = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{AP_ARN}/object/*"})
    assert decide(estate(reader_policy=reader), READER).decision == "allow"


def test_same_account_access_point_grant_alone_is_not_enough():
    # The access point names the role, the role's own policies grant nothing, the bucket does not delegate.
    ap = doc({"Effect": "Allow", "Principal": {"AWS": READER}, "Action": "s3:GetObject",
              "Resource": f"{AP_ARN}/object/*"})
    assert decide(estate(ap_policy=ap), READER).decision == "deny"
    assert decide(estate(ap_policy=ap, bucket_policy=doc(DELEGATE)), READER).decision == "allow"


def test_the_bucket_itself_is_unaffected_by_access_point_policies():
    reader = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"})
    assert decide(estate(reader_policy=reader), READER, "arn:aws:s3:::data/q3.csv").decision == "allow"
