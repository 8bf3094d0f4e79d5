"""CloudFormation's unknown values confined to the statement they touch (issue 12, item 1), in the one mechanism
every IaC reader uses: the statement is kept with a stand-in for the unknown part and flagged in the snapshot's
``unknown_statements`` (sources/unknown_parts.py, docs/snapshot-format.md); the engine evaluates a flagged statement
as one that *may* apply. What is CloudFormation's own: an ``Fn::If`` whose condition only a deployment decides
makes one statement per case, each flagged with its case, and a case that is ``AWS::NoValue`` makes none.
Fn::If and AWS::NoValue: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-conditions.html
Policy evaluation (an explicit deny wins, an allow is needed):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from s3audit.sources.cloudformation.intrinsics import NOVALUE, Undecided
from s3audit.sources.unknown_parts import confine
from s3audit.sources.values import Unknown, first_unknown

TLS_DENY = {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": False}}}
GRANT = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::b/*"}


def test_an_unknown_condition_value_drops_that_entry_flags_the_statement_and_keeps_the_rest():
    # a CloudFront origin access policy naming its distribution by reference, beside a TLS-only deny
    cf = {"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
          "Resource": "arn:aws:s3:::b/*",
          "Condition": {"StringEquals": {"AWS:SourceArn": Unknown("the id of `Dist` is known after deploy"),
                                         "AWS:SourceAccount": "123456789012"}}}
    out = confine({"Version": "2012-10-17", "Statement": [TLS_DENY, cf]}, "bucket policy")
    deny, allow = out.doc["Statement"]
    assert deny == TLS_DENY and 0 not in out.flagged
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceAccount": "123456789012"}}
    assert "the id of `Dist` is known after deploy" in out.flagged[1]


def test_an_undecided_if_around_a_statement_makes_one_flagged_statement_per_case():
    both = Undecided("condition `IsProd` is undecided", "IsProd", GRANT, {**GRANT, "Action": "s3:ListBucket"})
    only = Undecided("condition `IsProd` is undecided", "IsProd", GRANT, NOVALUE)
    out = confine({"Statement": [TLS_DENY, both, only]}, "bucket policy")
    deny, yes, no, yes_only = out.doc["Statement"]
    assert deny == TLS_DENY and 0 not in out.flagged
    assert (yes["Action"], no["Action"], yes_only["Action"]) == ("s3:GetObject", "s3:ListBucket", "s3:GetObject")
    assert "`IsProd` is true" in out.flagged[1] and "`IsProd` is false" in out.flagged[2]
    assert "`IsProd` is true" in out.flagged[3] and len(out.flagged) == 3


def test_an_undecided_if_around_an_element_or_the_statement_list_splits_there():
    effect = {**GRANT, "Effect": Undecided("condition `Open` is undecided", "Open", "Allow", "Deny")}
    out = confine({"Statement": effect}, "bucket policy")
    assert [s["Effect"] for s in out.doc["Statement"]] == ["Allow", "Deny"] and set(out.flagged) == {0, 1}
    cond = {**GRANT, "Condition": Undecided("condition `Strict` is undecided", "Strict",
                                            {"Bool": {"aws:SecureTransport": True}}, NOVALUE)}
    with_cond, without = confine({"Statement": [cond]}, "bucket policy").doc["Statement"]
    assert with_cond["Condition"] == {"Bool": {"aws:SecureTransport": True}} and "Condition" not in without
    listed = Undecided("condition `IsProd` is undecided", "IsProd", [TLS_DENY, GRANT], NOVALUE)
    out = confine({"Statement": listed}, "bucket policy")
    assert out.unknown is None and out.doc["Statement"] == [TLS_DENY, GRANT] and set(out.flagged) == {0, 1}


def test_a_statement_nothing_is_known_of_may_allow_and_may_deny():
    out = confine({"Statement": [TLS_DENY, Unknown("`Fn::ImportValue shared` is another stack's")]}, "inline policy")
    _, allow, deny = out.doc["Statement"]
    assert (allow["Effect"], deny["Effect"]) == ("Allow", "Deny")
    assert allow["Action"] == allow["Resource"] == "*" and "Principal" not in allow
    assert "another stack's" in out.flagged[1] and "another stack's" in out.flagged[2]


def test_the_policy_is_unknown_as_a_whole_only_when_its_version_or_statement_list_is():
    assert confine({"Version": Unknown("v"), "Statement": [TLS_DENY]}, "bucket policy").unknown is not None
    assert confine({"Statement": Unknown("the list")}, "bucket policy").unknown is not None
    assert confine({"Id": Unknown("id"), "Statement": [TLS_DENY]}, "bucket policy").doc == {"Statement": [TLS_DENY]}


_values = st.recursive(st.one_of(st.text(max_size=5), st.booleans(), st.just(Unknown("u"))),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                    max_size=3), max_leaves=8)
_statements = st.fixed_dictionaries({"Effect": st.sampled_from(["Allow", "Deny"]), "Action": _values},
                                    optional={"Resource": _values, "Principal": _values, "Sid": st.text(max_size=4),
                                              "Condition": st.dictionaries(st.sampled_from(["StringEquals", "Bool"]),
                                                                           st.dictionaries(st.text(max_size=3),
                                                                                           _values, max_size=2),
                                                                           max_size=2)})
_known = st.fixed_dictionaries({"Effect": st.sampled_from(["Allow", "Deny"]), "Action": st.text(max_size=5)})


@given(st.lists(st.one_of(_statements, st.just(Unknown("whole")),
                          st.builds(lambda a, b: Undecided("condition `C` is undecided", "C", a, b),
                                    _known, st.one_of(_known, st.just(NOVALUE)))), max_size=4))
def test_no_unknown_is_left_and_every_statement_not_known_is_flagged(statements):
    out = confine({"Version": "2012-10-17", "Statement": statements}, "bucket policy")
    assert out.unknown is None and first_unknown(out.doc) is None
    result = out.doc["Statement"]
    result = result if isinstance(result, list) else [result]
    known = [s for s in statements if first_unknown(s) is None]
    assert all(s in result for s in known)  # what was known stays exactly as written
    # every statement with an unknown part became statements that are flagged
    cases = sum(1 + (s.no is not NOVALUE) for s in statements
                if isinstance(s, Undecided))
    others = sum(2 if isinstance(s, Unknown) else 1 for s in statements
                 if first_unknown(s) is not None and not isinstance(s, Undecided))
    assert len(out.flagged) == cases + others and len(result) == len(known) + cases + others
