"""Residual conditions in plain words (s3audit/iam/wording.py), and the engine's JSON carrying them.

What the words must say comes from AWS's pages:
- condition keys and when a request carries them:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
- operators, `...IfExists`, and a missing key (a plain operator is false, a negated one true):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- a TLS-only bucket policy (deny when aws:SecureTransport is false):
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
- external IDs: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
- VPC endpoint policies on buckets: https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html
- MFA, and why `Bool aws:MultiFactorAuthPresent false` in a deny lets long-term credentials through:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3audit.iam.conditions import KNOWN_OPERATORS, Clause
from s3audit.iam.context import Context
from s3audit.iam.engine import Engine, Request
from s3audit.iam.logic import Tri
from s3audit.iam.wording import (TLS, clause_phrase, clause_text, describe, explanation, met_by_construction,
                                 residual_json)

BUCKET_POLICY = "bucket policy of arn:aws:s3:::payments"


def residual(effect, *clauses, source=BUCKET_POLICY):
    return {"effect": effect, "source": source, "statement": "S",
            "conditions": [{"operator": o, "key": k, "values": list(v)} for o, k, v in clauses]}


@pytest.mark.parametrize("res, words", [
    # the TLS-only deny of a bucket (S3 security best practices)
    (residual("Deny", ("Bool", "aws:SecureTransport", ["false"])), "only over TLS"),
    (residual("Allow", ("Bool", "aws:SecureTransport", ["true"])), "only over TLS"),
    # a third party's role trust (external ID page)
    (residual("Allow", ("StringEquals", "sts:ExternalId", ["xyz-123"])), "only with external ID xyz-123"),
    # a bucket open only through one VPC endpoint (VPC endpoint bucket policy examples)
    (residual("Deny", ("StringNotEquals", "aws:SourceVpce", ["vpce-1"])), "only from VPC endpoint vpce-1"),
    (residual("Allow", ("StringEquals", "aws:SourceVpce", ["vpce-1", "vpce-2"])),
     "only from VPC endpoint vpce-1 or vpce-2"),
    # MFA (the MFA page): BoolIfExists denies long-term credentials too; Bool does not
    (residual("Deny", ("BoolIfExists", "aws:MultiFactorAuthPresent", ["false"])), "only with MFA"),
    (residual("Deny", ("Bool", "aws:MultiFactorAuthPresent", ["false"])),
     "only with MFA, or with no aws:MultiFactorAuthPresent in the request"),
    (residual("Allow", ("Bool", "aws:MultiFactorAuthPresent", ["true"])), "only with MFA"),
    # several clauses: an allow needs them all; a deny is escaped by failing any one
    (residual("Allow", ("StringEquals", "sts:ExternalId", ["x"]), ("IpAddress", "aws:SourceIp", ["10.0.0.0/8"])),
     "only with external ID x and from IP addresses 10.0.0.0/8"),
    (residual("Deny", ("Bool", "aws:SecureTransport", ["false"]), ("StringNotEquals", "aws:SourceVpce", ["vpce-1"])),
     "only over TLS or from VPC endpoint vpce-1"),
    # tags and time (condition keys page)
    (residual("Allow", ("StringEquals", "aws:PrincipalTag/team", ["payments"])),
     "only by principals tagged team=payments"),
    (residual("Deny", ("DateGreaterThan", "aws:CurrentTime", ["2027-01-01T00:00:00Z"])),
     "only when the request is made at or before 2027-01-01T00:00:00Z"),
    # an unfamiliar key: the generic phrase still names key, relation and values
    (residual("Allow", ("StringLike", "aws:UserAgent", ["aws-cli/*"])), "only with user agent matching aws-cli/*"),
    (residual("Allow", ("NumericLessThan", "aws:MultiFactorAuthAge", ["3600"])),
     "only when aws:MultiFactorAuthAge is less than 3600"),
    (residual("Deny", ("Null", "s3:x-amz-server-side-encryption", ["true"])),
     "only when the request has s3:x-amz-server-side-encryption"),
])
def test_residuals_in_words(res, words):
    assert explanation(res) == words


def test_notes_are_said_as_the_engine_wrote_them():
    res = {"effect": "Allow", "source": "x", "statement": "-",
           "conditions": [{"note": "the resource matches only for some values of a policy variable"}]}
    assert explanation(res) == "the resource matches only for some values of a policy variable"


def test_the_machine_form_is_the_policy_text():
    assert clause_text({"operator": "Bool", "key": "aws:SecureTransport", "values": ["false"]}) == \
        "Bool aws:SecureTransport false"
    assert clause_text({"operator": "StringEquals", "key": "k", "values": ["a", "b"]}) == "StringEquals k ['a', 'b']"


def test_only_the_buckets_own_tls_deny_is_met_by_construction():
    tls = ("Bool", "aws:SecureTransport", ["false"])
    assert met_by_construction(residual("Deny", tls)) == TLS
    assert met_by_construction(residual("Deny", ("BoolIfExists", "aws:SecureTransport", ["False"]))) == TLS
    # not a bucket policy (an SCP's TLS deny is the organization's, not the bucket's own)
    assert met_by_construction(residual("Deny", tls, source="SCP DenyHttp (p-1)")) is None
    # an allow over TLS is a grant, not a guard every caller meets
    assert met_by_construction(residual("Allow", ("Bool", "aws:SecureTransport", ["true"]))) is None
    # a deny with another clause beside TLS is not met by using HTTPS alone
    assert met_by_construction(residual("Deny", tls, ("StringNotEquals", "aws:SourceVpce", ["vpce-1"]))) is None
    assert met_by_construction(residual("Deny", ("Bool", "aws:SecureTransport", ["true"]))) is None


def test_describe_says_why_the_tls_deny_is_met_and_when_the_profile_assumes_it():
    res = residual("Deny", ("Bool", "aws:SecureTransport", ["false"]))
    assert describe(res).startswith("only over TLS — met by construction")
    assert describe(res, assume=["tls"]) == "only over TLS — assumed met (audit profile)"
    ext = residual("Allow", ("StringEquals", "sts:ExternalId", ["x"]))
    assert describe(ext, assume=["tls"]) == "only with external ID x"


def test_residual_json_puts_the_explanation_beside_the_machine_form():
    out = residual_json("Deny", BUCKET_POLICY, "DenyInsecureTransport",
                        [{"operator": "Bool", "key": "aws:SecureTransport", "values": ["false"]}])
    assert list(out) == ["effect", "source", "statement", "conditions", "explanation", "met_by_construction"]
    assert out["explanation"] == "only over TLS" and out["met_by_construction"] == "tls"


def test_the_engines_decision_json_explains_its_conditions():
    from tests.graph.estates import account, allow, bucket, deny, snapshot, user
    a = "222222222222"
    tls_only = deny("s3:*", ["arn:aws:s3:::payments", "arn:aws:s3:::payments/*"], Sid="DenyInsecureTransport",
                    Principal="*", Condition={"Bool": {"aws:SecureTransport": "false"}})
    s = snapshot(account(a, users=[user(a, "bob", allow("s3:GetObject", "arn:aws:s3:::payments/*"))],
                         buckets=[bucket("payments", tls_only)]))
    d = Engine(s).decide(Request(f"arn:aws:iam::{a}:user/bob", "s3:GetObject", "arn:aws:s3:::payments/x", {}))
    assert d.decision == "conditional"
    [cond] = d.to_json()["conditions"]
    assert cond["explanation"] == "only over TLS" and cond["met_by_construction"] == "tls"
    assert cond["conditions"] == [{"operator": "Bool", "key": "aws:SecureTransport", "values": ["false"]}]


_KEYS = st.sampled_from(["sts:ExternalId", "aws:SourceVpce", "aws:MultiFactorAuthPresent", "aws:PrincipalOrgID",
                         "aws:PrincipalTag/team", "s3:prefix", "aws:Referer", "aws:SourceIp", "aws:CurrentTime",
                         "custom:key"])
_BASES = sorted(KNOWN_OPERATORS - {"Null"})


@given(base=st.sampled_from(_BASES), prefix=st.sampled_from(["", "ForAnyValue:", "ForAllValues:"]),
       if_exists=st.booleans(), key=_KEYS, values=st.lists(st.sampled_from(["true", "false", "10.0.0.0/8", "x*",
                                                                            "2027-01-01T00:00:00Z", "42"]),
                                                           min_size=1, max_size=2),
       holds=st.booleans())
def test_the_missing_key_note_agrees_with_the_engine(base, prefix, if_exists, key, values, holds):
    """The phrase says "or with no KEY in the request" exactly when a request without the key gets through:
    the clause then evaluates to ``holds`` in the engine (TRUE for an allow's clause, FALSE for a deny's)."""
    operator = prefix + base + ("IfExists" if if_exists else "")
    clause = {"operator": operator, "key": key, "values": values}
    phrase = clause_phrase(clause, holds)
    assert phrase and "{" not in phrase
    compiled = Clause(operator, key, tuple(values), "/Condition")
    absent = compiled.evaluate(Context.of({}, absent=[key]))
    lets_through = absent is (Tri.TRUE if holds else Tri.FALSE)
    always_present = key.lower() == "aws:currenttime"
    assert (f"or with no {key} in the request" in phrase) == (lets_through and not always_present)
