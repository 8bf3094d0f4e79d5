"""The place where another resource's policies join an S3 decision (``Evaluation.further_layers``, which the
KMS workstream fills with the key's layers): a further layer takes part in the decision as AWS's evaluation
logic says every applicable policy does — an explicit Deny in it decides, its allow must hold, and what
depends on the request stays a residual condition
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html) — and in the
engine's memos: an answer memoised from earlier requests equals a fresh engine's.

The "guard" policy is a stand-in for a key policy; it is not a policy type of AWS.
"""
from __future__ import annotations

import pytest

from s3audit.iam.engine import Engine, Request
from s3audit.snapshot.load import snapshot_from_dict
from s3audit.snapshot.model import PolicyDocument

from .estate import build

A = "111111111111"
ALICE = f"arn:aws:iam::{A}:user/alice"
HOME = "arn:aws:s3:::data-a/home/x"  # alice's own policy allows reading it
OTHER = "arn:aws:s3:::data-a/other/y"  # nothing allows it
GUARD = {"Version": "2012-10-17", "Statement": [
    {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "Reads", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
TLS, PLAIN = {"aws:SecureTransport": True}, {"aws:SecureTransport": False}


class GuardedEngine(Engine):
    """An engine whose S3 object requests must also pass the guard policy."""

    listed = True  # whether _consulted lists the guard (else the engine finds out and plans per action)

    def __init__(self, snapshot):
        super().__init__(snapshot)
        self.guard = self.compile(PolicyDocument(GUARD, "/guard", "bucket", "the guard", "guard"))

    def further_layers(self, caller, t, action, ctx):
        if t.key is None:
            return ()
        return ((self._evaluate(self.guard, "Deny", action, t.resource, ctx, "guard", caller),
                 self._evaluate(self.guard, "Allow", action, t.resource, ctx, "guard", caller)),)

    def _consulted(self, caller, t):
        mine = super()._consulted(caller, t)
        return mine + ((self.guard, caller),) if self.listed else mine


@pytest.fixture()
def snapshot():
    return snapshot_from_dict(build({"accounts": {A: {
        "users": {"alice": {"policy": {"Sid": "Home", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                                       "Resource": ["arn:aws:s3:::data-a", "arn:aws:s3:::data-a/home/*"]}}},
        "buckets": {"data-a": {}}}}}))


def _get(engine, resource, context):
    return engine.decide(Request(ALICE, "s3:GetObject", resource, context))


def test_without_a_further_layer_the_read_is_allowed(snapshot):
    assert _get(Engine(snapshot), HOME, {}).decision == "allow"


def test_a_further_layer_denies_allows_or_leaves_a_residual(snapshot):
    engine = GuardedEngine(snapshot)
    plain = _get(engine, HOME, PLAIN)
    assert plain.decision == "deny"
    assert [(r.source, r.statement, r.effect) for r in plain.reasons] == [("bucket policy of the guard", "TlsOnly",
                                                                           "Deny")]
    assert _get(engine, HOME, TLS).decision == "allow"
    open_ = _get(engine, HOME, {})
    assert open_.decision == "conditional"
    assert [(c.effect, c.statement) for c in open_.conditions] == [("Deny", "TlsOnly")]
    # The layer adds a requirement; it grants nothing the identity side does not.
    assert _get(engine, OTHER, TLS).decision == "deny"
    # Requests on the bucket itself get no further layer here.
    assert engine.decide(Request(ALICE, "s3:ListBucket", "arn:aws:s3:::data-a")).decision == "allow"


@pytest.mark.parametrize("listed", [True, False])
def test_memoised_answers_with_a_further_layer_equal_fresh_ones(snapshot, listed):
    engine = GuardedEngine(snapshot)
    engine.listed = listed
    requests = [(HOME, TLS), (HOME, PLAIN), (HOME, {}), (OTHER, TLS), (HOME, TLS), (HOME, PLAIN), (HOME, {}),
                ("arn:aws:s3:::data-a/home/z", PLAIN), ("arn:aws:s3:::data-a/home/z", TLS), (OTHER, {})]
    for resource, context in requests:
        fresh = GuardedEngine(snapshot)
        fresh.listed = listed
        assert _get(engine, resource, context).json_text == _get(fresh, resource, context).json_text
