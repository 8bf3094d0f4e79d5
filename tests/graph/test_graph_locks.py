"""The other locks on the data in the access graph: the edges of a bucket under a KMS key carry the key's
decision, split by what they need of it, and a bucket locked to a VPC endpoint that admits only the
organization has no path from outside it.

AWS pages behind the cases: reading an SSE-KMS object needs kms:Decrypt on its key, writing one
kms:GenerateDataKey (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html); the key policy
must allow, and its statement naming the account lets IAM policies allow
(https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam);
an endpoint's policy must also allow a request that comes through it
(https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html), and a bucket policy can deny every
request not coming through one endpoint
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html).
"""
from __future__ import annotations

import json

from s3audit.graph.build import CAN_ACCESS, build_graph
from s3audit.graph.paths import paths_to, select_principals
from s3audit.snapshot.load import snapshot_from_dict

from ..iam.estate import build

A, OUTSIDE = "111111111111", "999999999999"
ORG = "o-exampleorg1"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-0000-0000-0000-00000000000a"
CARDS = "arn:aws:s3:::cards"


def user(name: str) -> str:
    return f"arn:aws:iam::{A}:user/{name}"


def allow(actions, resource) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def the_key() -> dict:
    return {"KeyId": KEY.rsplit("/", 1)[1], "Arn": KEY, "KeyManager": "CUSTOMER", "KeyState": "Enabled",
            "Region": "us-east-1", "Grants": [], "KeyRotationEnabled": True,
            "Policy": {"Version": "2012-10-17", "Statement": [
                {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "kms:*", "Resource": "*"}]}}


def access_edges(graph, u: str, data: str) -> dict[str, dict]:
    if not graph.g.has_edge(u, data):
        return {}
    return {k: a for k, a in graph.g[u][data].items() if a["kind"] == CAN_ACCESS}


def actions_of(attrs: dict) -> set[str]:
    return {a for acts in attrs["levels"].values() for a in acts}


def kms_graph():
    rw = allow(["s3:GetObject", "s3:PutObject", "s3:GetObjectTagging"], "arn:aws:s3:::cards/*")
    return build_graph(snapshot_from_dict(build({"accounts": {A: {
        "users": {"reader": {"policy": [rw, allow("kms:Decrypt", KEY)]},
                  "writer": {"policy": [rw, allow(["kms:GenerateDataKey", "kms:Decrypt"], KEY)]},
                  "keyless": {"policy": [rw]}},
        "buckets": {"cards": {"kms_key": KEY}}, "kms": [the_key()]}}})))


def test_read_and_write_edges_of_a_bucket_under_a_key_carry_its_decision():
    g = kms_graph()
    reader = access_edges(g, user("reader"), CARDS)
    read = reader["can-access:allow:kms:Decrypt"]
    assert actions_of(read) == {"s3:GetObject"}
    assert any(r.layer == "kms" and r.effect == "Allow" and "needs kms:Decrypt" in (r.note or "")
               for r in read["reasons"])
    # the tagging read needs nothing of the key: its edge carries no KMS reason
    plain = reader["can-access:allow"]
    assert "s3:GetObjectTagging" in actions_of(plain) and not any(r.layer == "kms" for r in plain["reasons"])
    # without kms:GenerateDataKey the reader cannot write: no edge grants it s3:PutObject
    assert not any("s3:PutObject" in actions_of(a) for a in reader.values())
    writer = access_edges(g, user("writer"), CARDS)
    assert actions_of(writer["can-access:allow:kms:Decrypt"]) == {"s3:GetObject"}
    assert actions_of(writer["can-access:allow:kms:GenerateDataKey"]) == {"s3:PutObject"}
    # the user who may not use the key reaches the tags, never the objects
    keyless = access_edges(g, user("keyless"), CARDS)
    assert {a for attrs in keyless.values() for a in actions_of(attrs)} == {"s3:GetObjectTagging"}


def test_a_read_path_names_the_key_and_leaves_out_who_cannot_use_it():
    g = kms_graph()
    by_principal = {p.principal: p for p in paths_to(g, "cards", "read")}
    assert user("reader") in by_principal and user("writer") in by_principal
    hop = by_principal[user("reader")].hops[-1]
    assert hop.decision == "allow"
    assert "s3:GetObject" in hop.actions
    assert any(r.layer == "kms" and KEY in r.source for r in hop.reasons)
    # keyless reaches the bucket only for its tags, which `read` counts; its objects it cannot read
    keyless = by_principal[user("keyless")].hops[-1]
    assert keyless.actions == ("s3:GetObjectTagging",) and not any(r.layer == "kms" for r in keyless.reasons)


ORG_ONLY = {"Version": "2008-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}]}
FULL = {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


def vault_graph(endpoint_policy: dict):
    locked = {"Sid": "OnlyThroughVpce1", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
              "Resource": ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"],
              "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}
    share = {"Sid": "PartnerReads", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE}:root"},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::vault/*"}
    endpoint = {"VpcEndpointId": "vpce-1", "VpcEndpointType": "Gateway", "VpcId": "vpc-1", "State": "available",
                "ServiceName": "com.amazonaws.us-east-1.s3", "OwnerId": A, "Region": "us-east-1",
                "PolicyDocument": json.dumps(endpoint_policy)}
    return build_graph(snapshot_from_dict(build({
        "accounts": {A: {"users": {"alice": {"policy": [allow("s3:GetObject", "arn:aws:s3:::vault/*")]}},
                         "buckets": {"vault": {"policy": [locked, share]}}, "endpoints": [endpoint]}},
        "organization": {"id": ORG, "accounts": {A: "root"}}})))


def test_a_bucket_locked_to_an_org_only_endpoint_is_not_reachable_from_outside():
    g = vault_graph(ORG_ONLY)
    external = select_principals(g, "external")
    assert f"arn:aws:iam::{OUTSIDE}:root" in external
    assert paths_to(g, "vault", "read", start=external) == []
    # inside the organization the lock is a condition that says what the endpoint admits
    (alice,) = [p for p in paths_to(g, "vault", "read") if p.principal == user("alice")]
    words = " ".join(c.to_json()["explanation"] for c in alice.hops[-1].conditions)
    assert "vpce-1 is a Gateway VPC endpoint of VPC vpc-1" in words and f"organization {ORG}" in words


def test_the_same_bucket_behind_an_endpoint_open_to_anyone_is_reachable_from_outside():
    g = vault_graph(FULL)
    (partner,) = paths_to(g, "vault", "read", start=select_principals(g, "external"))
    assert partner.principal == f"arn:aws:iam::{OUTSIDE}:root" and partner.decision == "conditional"
