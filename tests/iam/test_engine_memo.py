"""The engine's memoisation: plans decide a request from numbered resource and context profiles (see
_Plan), shared between plans and targets. A memo must never change an answer, whatever came before it."""
from __future__ import annotations

import pytest

from s3audit.iam.engine import Engine, Request
from s3audit.snapshot.load import snapshot_from_dict

from .estate import build

A = "111111111111"
ALICE = f"arn:aws:iam::{A}:user/alice"
HOME = "arn:aws:s3:::data-a/home/x"  # alice may read it
OTHER = "arn:aws:s3:::data-a/other/y"  # she may not
OTHER_TOO = "arn:aws:s3:::data-a/other/z"


@pytest.fixture()
def snapshot():
    return snapshot_from_dict(build({"accounts": {A: {
        "users": {"alice": {"policy": {"Sid": "Home", "Effect": "Allow", "Action": "s3:GetObject",
                                       "Resource": "arn:aws:s3:::data-a/home/*"}}},
        "buckets": {"data-a": {}}}}}))


def _decide(engine: Engine, resource: str) -> str:
    return engine.decide(Request(ALICE, "s3:GetObject", resource)).decision


def test_forgetting_memos_renumbers_profiles_everywhere(snapshot):
    # Profiles are numbered in the order they are met: allowed-like first, then denied-like. After the memos
    # are forgotten the numbering starts again, here denied-like first; a target that kept its old profile
    # (allowed-like, number 0) would then find the new number 0's decision (a deny).
    engine = Engine(snapshot)
    assert [_decide(engine, r) for r in (HOME, HOME, OTHER, OTHER)] == ["allow", "allow", "deny", "deny"]
    engine._forget_memos()
    assert [_decide(engine, r) for r in (OTHER_TOO, OTHER_TOO, HOME, HOME)] == ["deny", "deny", "allow", "allow"]


def test_clearing_request_caches_keeps_answers(snapshot):
    engine = Engine(snapshot)
    engine.memo_limit = 0
    for resource in (HOME, OTHER, HOME, OTHER_TOO, OTHER, HOME):
        assert _decide(engine, resource) == _decide(Engine(snapshot), resource)
        engine.clear_request_cache()


def test_forgetting_memos_renumbers_context_profiles_everywhere():
    # The same for context profiles: a bucket that denies PutObject without TLS. After the memos are
    # forgotten, a context not met before (none: the answer is conditional) is numbered first.
    snapshot = snapshot_from_dict(build({"accounts": {A: {
        "users": {"alice": {"policy": {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}}},
        "buckets": {"data-a": {"policy": {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*",
                                          "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data-a/*",
                                          "Condition": {"Bool": {"aws:SecureTransport": "false"}}}}}}}}))
    engine = Engine(snapshot)
    tls, plain = {"aws:SecureTransport": True}, {"aws:SecureTransport": False}

    def put(context):
        return engine.decide(Request(ALICE, "s3:PutObject", HOME, context)).decision

    assert [put(c) for c in (tls, tls, plain, plain)] == ["allow", "allow", "deny", "deny"]
    engine._forget_memos()
    assert [put(c) for c in ({}, {}, tls, tls, plain, plain)] == ["conditional", "conditional", "allow", "allow",
                                                                 "deny", "deny"]
