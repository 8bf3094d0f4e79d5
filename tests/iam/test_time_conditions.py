"""Time conditions are decided, not left open: a request happens after the snapshot was taken.

``aws:CurrentTime`` / ``aws:EpochTime`` of any request lie from ``taken_at`` on; ``aws:TokenIssueTime`` lies
within the longest session before the request (36 hours, GetSessionToken's and GetFederationToken's longest:
https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html) and is present only in requests
signed with temporary credentials: always for a role's session, perhaps for an IAM user (long-term access keys
carry none). Keys and operators:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3audit.iam.conditions import compile_conditions
from s3audit.iam.context import Context, Interval
from s3audit.iam.engine import Engine, Request
from s3audit.iam.logic import Tri

from ..graph.estates import account, allow, bucket, role, snapshot, trust, user

A = "222222222222"
TAKEN = "2026-01-01T00:00:00Z"  # the estates' taken_at


def decide(condition: dict, kind: str = "user") -> str:
    statement = allow("s3:GetObject", "arn:aws:s3:::vault/*", Condition=condition)
    if kind == "user":
        s = snapshot(account(A, users=[user(A, "dev", statement)], buckets=[bucket("vault")]))
    else:
        s = snapshot(account(A, roles=[role(A, "dev", [trust({"AWS": f"arn:aws:iam::{A}:root"})], statement)],
                             buckets=[bucket("vault")]))
    return Engine(s).decide(Request(f"arn:aws:iam::{A}:{kind}/dev", "s3:GetObject", "arn:aws:s3:::vault/x")).decision


@pytest.mark.parametrize("condition, expected", [
    ({"DateLessThan": {"aws:CurrentTime": "2019-01-01T00:00:00Z"}}, "deny"),         # expired before the snapshot
    ({"DateLessThanEquals": {"aws:CurrentTime": "2025-12-31"}}, "deny"),
    ({"DateGreaterThan": {"aws:CurrentTime": "2019-01-01T00:00:00Z"}}, "allow"),     # started before it
    ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, "conditional"),  # ends after it: it depends
    ({"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, "conditional"),
    ({"DateEquals": {"aws:CurrentTime": "2019-01-01T00:00:00Z"}}, "deny"),
    ({"DateNotEquals": {"aws:CurrentTime": "2019-01-01T00:00:00Z"}}, "allow"),
    ({"NumericLessThan": {"aws:EpochTime": "1546300800"}}, "deny"),                  # 2019-01-01 in epoch seconds
    ({"DateLessThan": {"aws:EpochTime": "1546300800"}}, "deny"),
    ({"NumericGreaterThan": {"aws:EpochTime": "1546300800"}}, "allow"),
    ({"Null": {"aws:CurrentTime": "true"}}, "deny"),                                 # every request carries it
    ({"DateLessThan": {"aws:CurrentTime": "2019-01-01T00:00:00Z"},
      "StringEquals": {"aws:PrincipalTag/team": "x"}}, "deny"),
])
def test_current_time_is_after_the_snapshot(condition, expected):
    assert decide(condition) == expected


@pytest.mark.parametrize("condition, kind, expected", [
    ({"DateGreaterThan": {"aws:TokenIssueTime": "2019-01-01T00:00:00Z"}}, "role", "allow"),
    ({"DateLessThan": {"aws:TokenIssueTime": "2019-01-01T00:00:00Z"}}, "role", "deny"),
    # within 36 hours before the snapshot: a session issued then may still be in use
    ({"DateLessThan": {"aws:TokenIssueTime": "2025-12-31T00:00:00Z"}}, "role", "conditional"),
    # a user may sign with long-term keys, which carry no aws:TokenIssueTime
    ({"DateGreaterThan": {"aws:TokenIssueTime": "2019-01-01T00:00:00Z"}}, "user", "conditional"),
    ({"DateGreaterThanIfExists": {"aws:TokenIssueTime": "2019-01-01T00:00:00Z"}}, "user", "allow"),
    ({"DateLessThan": {"aws:TokenIssueTime": "2019-01-01T00:00:00Z"}}, "user", "deny"),
    ({"Null": {"aws:TokenIssueTime": "false"}}, "role", "allow"),
    ({"Null": {"aws:TokenIssueTime": "false"}}, "user", "conditional"),
])
def test_token_issue_time_lies_within_the_longest_session(condition, kind, expected):
    assert decide(condition, kind) == expected


def test_an_expired_grant_gives_no_path():
    from s3audit.graph.build import build_graph
    from s3audit.graph.paths import paths_to

    expired = allow("s3:GetObject", "arn:aws:s3:::vault/*",
                    Condition={"DateLessThan": {"aws:CurrentTime": "2020-06-30T00:00:00Z"}})
    g = build_graph(snapshot(account(A, users=[user(A, "dev", expired)], buckets=[bucket("vault")])))
    assert paths_to(g, "vault", "read", {f"arn:aws:iam::{A}:user/dev"}) == []


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
                        "DateEquals", "DateNotEquals"]),
       st.integers(min_value=-10 ** 8, max_value=10 ** 8), st.integers(min_value=0, max_value=10 ** 8),
       st.lists(st.integers(min_value=0, max_value=10 ** 9), min_size=1, max_size=5))
def test_a_decided_interval_agrees_with_every_time_in_it(operator, policy_offset, width, picks):
    """Whatever the interval answers (TRUE or FALSE) holds for every instant in it."""
    low = 1_767_225_600  # 2026-01-01
    value = (_EPOCH + timedelta(seconds=low + policy_offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
    block = compile_conditions({operator: {"aws:CurrentTime": value}}, version="2012-10-17", pointer="")
    on_interval, _ = block.evaluate(Context(ranges={"aws:currenttime": Interval(low, low + width)}))
    if on_interval is Tri.UNKNOWN:
        return
    for pick in picks:
        instant = low + pick % (width + 1)
        at = (_EPOCH + timedelta(seconds=instant)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert block.evaluate(Context.of({"aws:CurrentTime": at}))[0] is on_interval, (operator, value, at)
