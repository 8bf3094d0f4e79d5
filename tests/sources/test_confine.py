"""Unknown values confined to the statement or condition they touch (issue 12, item 1), and how the engine reads
the marker those parts carry.

A policy value IaC knows only at deploy time used to make the whole policy unknown; now only its statement (or
the one condition clause) is, through the `s3audit:Unknown` condition operator, which the engine evaluates as
unknown whatever the request says, so the statement "may apply".
Condition evaluation: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
Policy evaluation (an explicit deny wins, an allow is needed):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from s3audit.iam.conditions import UNKNOWN_OPERATOR, compile_conditions
from s3audit.iam.context import Context
from s3audit.iam.logic import Tri
from s3audit.iam.wording import clause_phrase
from s3audit.sources.cloudformation.intrinsics import NOVALUE, Undecided
from s3audit.sources.confine import confine_policy
from s3audit.sources.values import Unknown

TLS_DENY = {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": False}}}


def marker(statement: dict) -> dict:
    return statement["Condition"][UNKNOWN_OPERATOR]


def test_the_marker_is_unknown_to_every_request_and_no_problem():
    block = compile_conditions({UNKNOWN_OPERATOR: {"Resource": ["`AWS::Region` is chosen at deploy time"]}},
                               version="2012-10-17", pointer="/Statement/0/Condition", file=None)
    assert block.problems == ()
    for ctx in (Context.of({}), Context.of({"aws:SecureTransport": True}, closed=True)):
        result, residual = block.evaluate(ctx)
        assert result is Tri.UNKNOWN and residual[0].key == "Resource"
    assert clause_phrase({"operator": UNKNOWN_OPERATOR, "key": "Resource", "values": ["why"]}) == \
        "if its Resource, known only at deploy time, covers the request (why)"
    assert clause_phrase({"operator": UNKNOWN_OPERATOR, "key": "Fn::If IsProd", "values": ["true", "why"]},
                         holds=False) == "if condition `IsProd` is false at deploy time"


def test_an_unknown_condition_value_makes_that_clause_unknown_and_keeps_the_rest():
    # a CloudFront origin access policy naming its distribution by reference, beside a TLS-only deny
    cf = {"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
          "Resource": "arn:aws:s3:::b/*",
          "Condition": {"StringEquals": {"AWS:SourceArn": Unknown("the id of `Dist` is known after deploy"),
                                         "AWS:SourceAccount": "123456789012"}}}
    doc = confine_policy({"Version": "2012-10-17", "Statement": [TLS_DENY, cf]}, "resource")
    deny, allow = doc["Statement"]
    assert deny == TLS_DENY
    assert allow["Condition"]["StringEquals"] == {"AWS:SourceAccount": "123456789012"}
    assert marker(allow) == {"StringEquals/AWS:SourceArn": ["the id of `Dist` is known after deploy"]}
    assert (allow["Principal"], allow["Resource"]) == (cf["Principal"], cf["Resource"])


def test_an_unknown_resource_or_principal_covers_everything_with_the_marker():
    s = {"Effect": "Allow", "Principal": {"AWS": Unknown("parameter `Partner` has no default")},
         "Action": "s3:GetObject", "NotResource": ["arn:aws:s3:::b/private/*", Unknown("x")]}
    (out,) = confine_policy({"Statement": [s]}, "resource")["Statement"]
    assert out["Principal"] == "*" and out["Resource"] == "*" and "NotResource" not in out
    assert set(marker(out)) == {"Principal", "NotResource"}
    assert out["Action"] == "s3:GetObject"


def test_an_undecided_if_around_a_statement_makes_one_statement_per_case():
    grant = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::b/*"}
    both = Undecided("condition `IsProd` is undecided", "IsProd", grant, {**grant, "Action": "s3:ListBucket"})
    only = Undecided("condition `IsProd` is undecided", "IsProd", grant, NOVALUE)
    doc = confine_policy({"Statement": [TLS_DENY, both, only]}, "resource")
    deny, yes, no, yes_only = doc["Statement"]
    assert deny == TLS_DENY
    assert marker(yes)["Fn::If IsProd"][0] == "true" and marker(no)["Fn::If IsProd"][0] == "false"
    assert (yes["Action"], no["Action"], yes_only["Action"]) == ("s3:GetObject", "s3:ListBucket", "s3:GetObject")


def test_a_statement_nothing_is_known_of_may_allow_and_may_deny():
    doc = confine_policy({"Statement": [TLS_DENY, Unknown("`Fn::ImportValue shared` is another stack's")]},
                         "identity")
    _, allow, deny = doc["Statement"]
    assert (allow["Effect"], deny["Effect"]) == ("Allow", "Deny")
    assert allow["Action"] == allow["Resource"] == "*" and "Principal" not in allow
    assert marker(allow) == {"Statement": ["`Fn::ImportValue shared` is another stack's"]}


def test_an_unknown_sid_is_left_out():
    # the Sid labels a statement and grants nothing
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html)
    doc = confine_policy({"Statement": [{**TLS_DENY, "Sid": Unknown("s")}]}, "resource")
    assert doc["Statement"] == [{k: v for k, v in TLS_DENY.items() if k != "Sid"}]


def test_the_policy_is_unknown_as_a_whole_only_when_its_version_or_statement_list_is():
    assert confine_policy({"Version": Unknown("v"), "Statement": [TLS_DENY]}, "resource") is None
    assert confine_policy({"Statement": Unknown("the list")}, "resource") is None
    assert confine_policy({"Id": Unknown("id"), "Statement": [TLS_DENY]}, "resource") == {"Statement": [TLS_DENY]}


_values = st.recursive(st.one_of(st.text(max_size=5), st.booleans(), st.just(Unknown("u"))),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                    max_size=3), max_leaves=8)
_statements = st.fixed_dictionaries({"Effect": st.sampled_from(["Allow", "Deny"]), "Action": _values},
                                    optional={"Resource": _values, "Principal": _values, "Sid": st.text(max_size=4),
                                              "Condition": st.dictionaries(st.sampled_from(["StringEquals", "Bool"]),
                                                                           st.dictionaries(st.text(max_size=3),
                                                                                           _values, max_size=2),
                                                                           max_size=2)})


@given(st.lists(st.one_of(_statements, st.just(Unknown("whole"))), max_size=4))
def test_no_unknown_is_left_and_every_known_statement_is_kept(statements):
    from s3audit.sources.values import first_unknown
    doc = confine_policy({"Version": "2012-10-17", "Statement": statements}, "resource")
    assert doc is not None and first_unknown(doc) is None
    out = doc["Statement"]
    known = [s for s in statements if first_unknown(s) is None]
    assert all(s in out for s in known)  # what was known stays exactly as written
    # every statement with an unknown part became statements that say so
    assert len(out) == len(known) + sum(2 if isinstance(s, Unknown) else 1 for s in statements
                                        if first_unknown(s) is not None)
    assert all(UNKNOWN_OPERATOR in s["Condition"] for s in out if s not in known)
