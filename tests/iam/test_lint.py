"""Policy hygiene checks, each with a case that fires and one that must not.

Resource types per action: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
NotPrincipal with Allow: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
NotAction with Allow: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
"""
import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3audit.iam import lint as lint_module
from s3audit.iam.lint import lint_policy
from s3audit.iam.policy import compile_policy
from s3audit.snapshot.model import PolicyDocument

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpora" / "aws-managed-policies.json.gz"
ROOT_111 = {"AWS": "arn:aws:iam::111111111111:root"}


def lint(statements, kind="bucket"):
    doc = PolicyDocument({"Version": "2012-10-17", "Statement": statements}, "", kind, "arn:aws:s3:::b", "b")
    return [(f.code, f.pointer) for f in lint_policy(compile_policy(doc))]


def allow(action, resource, **extra):
    s = {"Effect": "Allow", "Principal": ROOT_111, "Action": action, "Resource": resource}
    s.update(extra)
    return s


@pytest.mark.parametrize("statements, expected", [
    # s3:GetObject applies to objects only: on the bucket ARN it matches nothing.
    ([allow(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::b")], [("resource-type-mismatch", "/Statement/0/Action/0")]),
    ([allow("s3:GetObject", ["arn:aws:s3:::b", "arn:aws:s3:::b/*"])], []),
    # s3:ListBucket applies to the bucket: on object ARNs it matches nothing.
    ([allow("s3:ListBucket", "arn:aws:s3:::b/*")], [("resource-type-mismatch", "/Statement/0/Action")]),
    ([allow("s3:ListBucket", "arn:aws:s3:::b*")], []),  # `b*` can name a bucket
    # A policy variable may stand for anything, including a slash.
    ([allow("s3:GetObject", "arn:aws:s3:::b${aws:username}")], []),
    ([{"Effect": "Allow", "NotPrincipal": ROOT_111, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
     [("allow-not-principal", "/Statement/0/NotPrincipal")]),
    ([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
     [("public-principal", "/Statement/0/Principal")]),
    ([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
       "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}], []),
    ([allow("s3:GetObject", "arn:aws:s3:::b/*"), allow("s3:GetObject", "arn:aws:s3:::b/reports/*")],
     [("redundant-statement", "/Statement/1")]),
    ([allow("s3:GetObject", "arn:aws:s3:::b/*"), allow("s3:GetObject", "arn:aws:s3:::b/*")],
     [("redundant-statement", "/Statement/1")]),
    ([allow("s3:GetObject", "arn:aws:s3:::b/reports/*"), allow("s3:PutObject", "arn:aws:s3:::b/*")], []),
])
def test_bucket_policy_hygiene(statements, expected):
    assert lint(statements) == expected


def test_allow_not_action_on_everything():
    found = lint([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], kind="identity")
    assert found == [("allow-not-action-all", "/Statement/0/NotAction")]


def test_condition_key_the_action_never_carries():
    # s3:prefix is a condition key of s3:ListBucket, never of s3:GetObject (Service Authorization Reference).
    found = lint([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
                   "Condition": {"StringLike": {"s3:prefix": "home/*"}}}], kind="identity")
    assert found == [("condition-key-never-present", "/Statement/0/Condition")]
    assert lint([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                  "Condition": {"StringLike": {"s3:prefix": "home/*"}}}], kind="identity") == []


def test_unknown_action_points_at_the_entry():
    assert lint([{"Effect": "Allow", "Action": ["s3:GetObjects"], "Resource": "*"}], kind="identity") == [
        ("unknown-action", "/Statement/0/Action/0")]


def test_aws_managed_policies_raise_few_hygiene_findings():
    """AWS's own policies are the false-alarm benchmark: resource-type findings must stay rare and real."""
    policies = json.loads(gzip.decompress(CORPUS.read_bytes()))["policies"]
    counts = Counter()
    for name, p in policies.items():
        doc = PolicyDocument(p["Document"], "", "identity", f"arn:aws:iam::aws:policy/{name}", name)
        counts.update(f.code for f in lint_policy(compile_policy(doc)))
    # Two AWS policies really grant s3:ListBucket on object ARNs only (for example "arn:aws:s3:::*/CodeDeploy/*").
    assert counts["resource-type-mismatch"] == 2
    assert counts["allow-not-action-all"] == 1  # PowerUserAccess


# ---- the redundancy check's index finds exactly what comparing every pair finds ----
def pairwise_redundant(policy):
    """The definition: a statement is redundant when another covers it (of two identical, the later)."""
    out = []
    for s in policy.statements:
        for other in policy.statements:
            if lint_module._covers(other, s) and not (lint_module._covers(s, other) and other.index > s.index):
                out.append((s.pointer, other.label))
                break
    return out


_statement = st.fixed_dictionaries({
    "Effect": st.sampled_from(["Allow", "Deny"]),
    "Action": st.lists(st.sampled_from(["s3:GetObject", "s3:PutObject", "s3:Get*", "s3:*", "s3:ListBucket",
                                        "s3:GetObjects", "*", "s3:GetObjectT*"]), min_size=1, max_size=3),
    "Resource": st.lists(st.sampled_from(["*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/r/*", "arn:aws:s3:::b/r/x",
                                          "arn:aws:s3:::b", "arn:aws:s3:::b?", "arn:aws:s3:::*"]), min_size=1,
                         max_size=3),
    "Principal": st.sampled_from([ROOT_111, "*", {"AWS": "arn:aws:iam::222222222222:root"}]),
}, optional={"Condition": st.sampled_from([{"Bool": {"aws:SecureTransport": "true"}},
                                           {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}])})


def indexed_redundant(policy):
    """The same through the index, whatever the policy's length."""
    index = lint_module._CoverIndex(policy.statements)
    out = []
    for s in policy.statements:
        for other in index.candidates(s):
            if lint_module._covers(other, s) and not (lint_module._covers(s, other) and other.index > s.index):
                out.append((s.pointer, other.label))
                break
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(_statement, min_size=1, max_size=24))
def test_the_cover_index_finds_what_every_pair_finds(statements):
    policy = compile_policy(PolicyDocument({"Version": "2012-10-17", "Statement": statements}, "", "bucket",
                                           "arn:aws:s3:::b", "b"))
    expected = pairwise_redundant(policy)
    assert indexed_redundant(policy) == expected
    assert [(f.pointer, f.message.rsplit(" ", 1)[-1]) for f in lint_module._redundant(policy)] == expected


def test_a_policy_of_ten_thousand_statements_is_linted_without_comparing_every_pair():
    """10,000 statements are 10^8 pairs; the index compares each with the few that name its resource."""
    statements = [allow("s3:GetObject", f"arn:aws:s3:::b/team-{i}/*") for i in range(10_000)]
    statements.append(allow("s3:GetObject", "arn:aws:s3:::b/team-7/*"))
    policy = compile_policy(PolicyDocument({"Version": "2012-10-17", "Statement": statements}, "", "bucket",
                                           "arn:aws:s3:::b", "b"))
    index = lint_module._CoverIndex(policy.statements)
    assert max(len(index.candidates(s)) for s in policy.statements) <= 2  # itself and, for team-7, its twin
    assert [f.pointer for f in lint_module._redundant(policy)] == ["/Statement/10000"]
