"""What an edge rests on (graph/grants.py): the formula of grants, for the kinds of edge other workstreams add
(an instance profile association on an escalation edge, a key policy beside a bucket's), and the cut
elements they give.

AWS pages: instance profiles (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html),
key policies and IAM (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
"""
from __future__ import annotations

from s3audit.graph.build import build_graph
from s3audit.graph.cut import _min_cut
from s3audit.graph.grants import INSTANCE_PROFILE, STATEMENT, Grant, GrantModel, all_of, any_of, grants_in, holds
from s3audit.iam.decision import Reason
from s3audit.snapshot import patch

from .estates import account, allow, bucket, role, snapshot, trust, user

A, B = "222222222222", "333333333333"
VAULT = ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"]
PROFILE = "/accounts/0/iam/RoleDetailList/0/InstanceProfileList/0"
SSM = "/accounts/0/iam/UserDetailList/0/UserPolicyList/0/PolicyDocument/Statement/0"


def estate():
    runner = role(A, "runner", [trust({"Service": "ec2.amazonaws.com"})], allow(["s3:GetObject"], VAULT),
                  profiles=[f"arn:aws:iam::{A}:instance-profile/runner"])
    dev = user(A, "dev", allow("ssm:SendCommand", "*"))
    return snapshot(account(A, users=[dev], roles=[runner], buckets=[bucket("vault")]))


def with_escalation(graph):
    """An escalation edge as the compute workstream makes one: dev runs commands on an instance whose profile
    is runner's; it rests on dev's statement and on the instance's association."""
    dev, runner = f"arn:aws:iam::{A}:user/dev", f"arn:aws:iam::{A}:role/runner"
    reasons = (Reason(f"identity policy p0 of {dev}", "#0", "Allow", "identity", SSM),
               Reason("instance profile runner of instance i-1", None, "Allow", "instance-profile", PROFILE))
    graph.g.add_edge(dev, runner, key="can-act-as:ssm", kind="can-act-as", decision="allow", actions=("ssm:SendCommand",),
                     conditions=(), reasons=reasons, assumptions=(), technique="ssm:SendCommand on an instance")
    return graph, dev, runner


def test_an_association_is_a_conjunct_of_its_edge_and_a_cut_element():
    graph, dev, runner = with_escalation(build_graph(estate()))
    model = GrantModel(graph)
    f = model.edge(dev, runner, graph.g[dev][runner]["can-act-as:ssm"])
    assert {(g.kind, g.pointer) for g in grants_in(f)} == {(INSTANCE_PROFILE, PROFILE), (STATEMENT, SSM)}
    profile = next(g for g in grants_in(f) if g.kind == INSTANCE_PROFILE)
    statement = next(g for g in grants_in(f) if g.kind == STATEMENT)
    assert not holds(f, {profile}) and not holds(f, {statement}) and holds(f, set())
    cut, stuck = _min_cut(graph, model, "vault", ("read",), {dev}, None)
    assert stuck == set() and len(cut) == 1
    assert patch.apply(estate_doc(), patch.removal(estate_doc(), [PROFILE]))["accounts"][0]["iam"][
        "RoleDetailList"][0]["InstanceProfileList"] == []


def estate_doc():
    runner = role(A, "runner", [trust({"Service": "ec2.amazonaws.com"})], allow(["s3:GetObject"], VAULT),
                  profiles=[f"arn:aws:iam::{A}:instance-profile/runner"])
    return {"format": "s3audit.snapshot/v1", "taken_at": "2026-01-01T00:00:00Z",
            "accounts": [account(A, users=[user(A, "dev", allow("ssm:SendCommand", "*"))], roles=[runner],
                                 buckets=[bucket("vault")])]}


def test_another_resources_policy_is_a_side_of_its_own():
    """A key policy statement beside the bucket's: across accounts the identity statement and the key
    policy's must both hold (each side by AWS's cross-account rule)."""
    reader = role(B, "reader", [trust({"Service": "ec2.amazonaws.com"})], allow(["s3:GetObject"], VAULT))
    graph = build_graph(snapshot(account(A, buckets=[bucket("vault")]), account(B, roles=[reader])))
    model = GrantModel(graph)
    node = f"arn:aws:iam::{B}:role/reader"
    ident = Reason(f"identity policy p0 of {node}", "#0", "Allow", "identity",
                   "/accounts/1/iam/RoleDetailList/0/RolePolicyList/0/PolicyDocument/Statement/0")
    key = Reason(f"key policy of arn:aws:kms:us-east-1:{A}:key/k", "#1", "Allow", "key", "/accounts/0/kms/keys/0/Policy/Statement/1")
    bucket_grant = Reason("bucket policy of arn:aws:s3:::vault", "#0", "Allow", "bucket",
                          "/accounts/0/s3/buckets/0/Policy/Statement/0")
    f = model.decision(node, [ident, key, bucket_grant], {"bucket": A})
    i, k, b = (Grant(r.pointer, STATEMENT, r.source, r.statement) for r in (ident, key, bucket_grant))
    assert holds(f, set()) and not holds(f, {k}) and not holds(f, {i}) and not holds(f, {b})
    assert f == all_of([all_of([i, any_of([b])]), all_of([i, any_of([k])])])
