"""VPC endpoints in decisions: a request that comes through an endpoint the snapshot knows is also decided by the
endpoint's policy, and a conditional answer that depends on ``aws:SourceVpce`` is tried every way it can arrive.

AWS pages:
- ENDPOINT_POLICY: https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html (an endpoint policy
  controls which principals can use the endpoint; it does not override identity or resource policies; without
  one, the default policy allows full access)
- S3_VPCE: https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html (a
  bucket policy that denies every request not coming through one endpoint)
- SOURCE_VPCE: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcevpce
  (present only when the request comes through a VPC endpoint)
- FAS: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html (S3 itself calls KMS
  for an SSE-KMS object: that request does not come through the caller's S3 endpoint)
"""
from __future__ import annotations

import json

import pytest

from s3audit.iam.engine import Engine, Request
from s3audit.snapshot.load import snapshot_from_dict

from .estate import build

A, B, OUTSIDE = "111111111111", "222222222222", "999999999999"
ORG = "o-exampleorg1"
ALICE = f"arn:aws:iam::{A}:user/alice"
PARTNER = f"arn:aws:iam::{OUTSIDE}:root"
OBJ = "arn:aws:s3:::vault/x.csv"
TLS = {"aws:SecureTransport": "true"}

ORG_ONLY = {"Version": "2008-10-17", "Statement": [
    {"Sid": "OrgOnly", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}]}
NO_PUTS = {"Version": "2008-10-17", "Statement": [
    {"Sid": "Everything", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
    {"Sid": "NoUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}]}
LOCKED = {"Sid": "OnlyThroughVpce1", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
          "Resource": ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"],
          "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}
SHARE = {"Sid": "PartnerReads", "Effect": "Allow", "Principal": {"AWS": PARTNER}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::vault/*"}


def endpoint(eid: str, policy: dict | None, **extra) -> dict:
    e = {"VpcEndpointId": eid, "VpcEndpointType": "Gateway", "VpcId": "vpc-1", "ServiceName": "com.amazonaws.us-east-1.s3",
         "State": "available", "OwnerId": A, "Region": "us-east-1"}
    if policy is not None:
        e["PolicyDocument"] = json.dumps(policy)  # as DescribeVpcEndpoints returns it
    e.update(extra)
    return e


def engine(endpoints, bucket_policy=(LOCKED, SHARE)) -> Engine:
    rw = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::vault/*"}
    return Engine(snapshot_from_dict(build({
        "accounts": {A: {"users": {"alice": {"policy": [rw]}}, "buckets": {"vault": {"policy": list(bucket_policy)}},
                         "endpoints": endpoints},
                     B: {"endpoints": []}},
        "organization": {"id": ORG, "accounts": {A: "root", B: "root"}}})))


def decide(e, principal, action="s3:GetObject", context=TLS):
    return e.decide(Request(principal, action, OBJ, context))


# ---- S3_VPCE, ENDPOINT_POLICY: a bucket locked to an endpoint that admits only the organization ----

@pytest.mark.parametrize("version", ["2008-10-17", "2012-10-17"])  # the later one reads policy variables
def test_outside_the_organization_every_way_in_is_denied(version):
    e = engine([endpoint("vpce-1", {**ORG_ONLY, "Version": version})])
    d = decide(e, PARTNER)
    # the bucket policy grants the partner; only the endpoint's policy stops it, and no way avoids the endpoint
    assert d.decision == "deny"
    assert d.reasons[0].source == "VPC endpoints" and "every way the request can arrive is denied" in d.reasons[0].note
    assert ("VPC endpoint policy of vpce-1", None, "ImplicitDeny") in [(r.source, r.statement, r.effect)
                                                                      for r in d.reasons]


def test_inside_the_organization_the_condition_says_what_the_endpoint_admits():
    e = engine([endpoint("vpce-1", ORG_ONLY)])
    d = decide(e, ALICE)
    assert d.decision == "conditional"
    (residual,) = d.conditions
    explanation = residual.to_json()["explanation"]
    assert explanation.startswith("only from VPC endpoint vpce-1; vpce-1 is a Gateway VPC endpoint of VPC vpc-1 in "
                                  f"account {A}; its policy admits principals of organization {ORG}")


def test_named_endpoint_decides_with_its_policy():
    e = engine([endpoint("vpce-1", ORG_ONLY)])
    through = {**TLS, "aws:SourceVpce": "vpce-1"}
    assert decide(e, ALICE, context=through).decision == "allow"
    d = decide(e, PARTNER, context=through)
    assert d.decision == "deny"
    assert [(r.source, r.effect) for r in d.reasons] == [("VPC endpoint policy of vpce-1", "ImplicitDeny")]
    # not through the endpoint: the bucket policy denies
    assert decide(e, ALICE, context={**TLS, "aws:SourceVpce": None}).decision == "deny"


def test_without_endpoint_data_the_partner_stays_possible():
    # the same bucket, the endpoint not in the snapshot: what it admits is unknown, so access may be possible
    e = engine([])
    assert decide(e, PARTNER).decision == "conditional"
    e = engine([endpoint("vpce-1", None)])  # no policy document: AWS's default, full access
    assert decide(e, PARTNER).decision == "conditional"
    assert decide(e, PARTNER, context={**TLS, "aws:SourceVpce": "vpce-1"}).decision == "allow"


def test_an_endpoint_policy_that_could_not_be_read_leaves_the_request_conditional():
    e = engine([endpoint("vpce-1", None, Errors={"DescribeVpcEndpoints": "UnauthorizedOperation"})])
    d = decide(e, PARTNER, context={**TLS, "aws:SourceVpce": "vpce-1"})
    assert d.decision == "conditional" and any("could not be read" in a for a in d.assumptions)


# ---- ENDPOINT_POLICY: an endpoint policy that denies s3:PutObject ----

def test_an_endpoint_policy_that_denies_uploads():
    e = engine([endpoint("vpce-2", NO_PUTS)], bucket_policy=())
    through = {**TLS, "aws:SourceVpce": "vpce-2"}
    put = decide(e, ALICE, "s3:PutObject", through)
    assert put.decision == "deny"
    assert [(r.source, r.statement, r.effect) for r in put.reasons] == [("VPC endpoint policy of vpce-2", "NoUploads",
                                                                        "Deny")]
    assert decide(e, ALICE, "s3:GetObject", through).decision == "allow"
    # not through that endpoint: its policy has no say
    assert decide(e, ALICE, "s3:PutObject", TLS).decision == "allow"


# ---- ENDPOINT_POLICY, FAS: the endpoint governs the S3 request, not the KMS request S3 makes ----

S3_ONLY = {"Version": "2008-10-17", "Statement": [
    {"Sid": "S3Only", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-0000-0000-0000-00000000000b"
ROOT_KEY_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
     "Action": "kms:*", "Resource": "*"}]}


def test_the_kms_request_s3_makes_does_not_pass_the_s3_endpoint():
    rw = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "kms:Decrypt", "kms:GenerateDataKey"],
          "Resource": "*"}
    key = {"KeyId": KEY.rsplit("/", 1)[1], "Arn": KEY, "KeyManager": "CUSTOMER", "KeyState": "Enabled",
           "Policy": json.dumps(ROOT_KEY_POLICY), "Grants": []}
    e = Engine(snapshot_from_dict(build({
        "accounts": {A: {"users": {"alice": {"policy": [rw]}}, "buckets": {"vault": {"policy": [LOCKED], "kms_key": KEY}},
                         "kms": [key], "endpoints": [endpoint("vpce-1", S3_ONLY)]}}})))
    through = {**TLS, "aws:SourceVpce": "vpce-1"}
    for action in ("s3:GetObject", "s3:PutObject"):
        d = decide(e, ALICE, action, through)
        assert d.decision in ("allow", "conditional"), d.json_text  # multipart uploads leave writes conditional
        assert not any(r.source.startswith("VPC endpoint policy") and r.effect != "Allow" for r in d.reasons)
        assert any(r.layer == "kms" and r.effect == "Allow" for r in d.reasons)
    assert decide(e, ALICE, "s3:GetObject", through).decision == "allow"
    # a KMS request of its own through the S3 endpoint is not the endpoint's to judge either
    assert e.decide(Request(ALICE, "kms:Decrypt", KEY, through)).decision == "allow"


@pytest.mark.parametrize("context", [{}, TLS, {**TLS, "aws:SourceVpce": "vpce-1"}, {"aws:SourceVpce": "vpce-9"}])
def test_memoised_answers_equal_fresh_ones(context):
    endpoints = [endpoint("vpce-1", ORG_ONLY), endpoint("vpce-2", NO_PUTS)]
    e = engine(endpoints)
    for _ in range(2):
        for p in (ALICE, PARTNER):
            for action in ("s3:GetObject", "s3:PutObject"):
                assert decide(e, p, action, context).json_text == decide(engine(endpoints), p, action,
                                                                         context).json_text
