"""Robustness on real input: every AWS managed policy (fixtures/corpora) compiles without error."""
import gzip
import json
from pathlib import Path

import pytest

from s3audit.errors import PolicyError
from s3audit.iam.policy import compile_policy
from s3audit.snapshot.model import PolicyDocument

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpora" / "aws-managed-policies.json.gz"


def test_every_aws_managed_policy_compiles():
    policies = json.loads(gzip.decompress(CORPUS.read_bytes()))["policies"]
    statements = 0
    for name, p in policies.items():
        compiled = compile_policy(PolicyDocument(p["Document"], "", "identity", f"arn:aws:iam::aws:policy/{name}", name))
        statements += len(compiled.statements)
    assert len(policies) == 1523
    assert statements == 7972


def doc(d, kind="identity"):
    return PolicyDocument(d, "/p", kind, "arn:aws:iam::111111111111:user/u", "p")


@pytest.mark.parametrize("document, pointer, message", [
    ({"Version": "2012-10-17"}, "/p", "needs a `Statement`"),
    ({"Version": "2013-01-01", "Statement": []}, "/p/Version", "unknown policy version"),
    ({"Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]}, "/p/Statement/0/Effect",
     "`Effect` must be `Allow` or `Deny`"),
    ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "/p/Statement/0", "exactly one of `Action`"),
    ({"Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}, "/p/Statement/0/Action",
     "no service prefix"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket/*"}]},
     "/p/Statement/0/Resource", "is not an ARN"),
    ({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": "*"}},
     "/p/Statement/Principal", "not allowed in identity policies"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Actions": "x"}]},
     "/p/Statement/0/Actions", "unknown statement element"),
])
def test_malformed_policies_are_placed(document, pointer, message):
    with pytest.raises(PolicyError) as e:
        compile_policy(doc(document), "estate.json")
    assert e.value.place.pointer == pointer
    assert message in e.value.message


def test_unknown_actions_are_problems_not_errors():
    p = compile_policy(doc({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObjects", "s3:GetObject"], "Resource": "*"}]}))
    assert [x.code for x in p.problems] == ["unknown-action"]
    assert p.problems[0].pointer == "/Statement/0/Action/0"
    # the typo still matches exactly itself, case-insensitively
    assert p.statements[0].actions.matches("S3:GETOBJECTS")
    assert p.statements[0].actions.matches("s3:GetObject")
    assert not p.statements[0].actions.matches("s3:PutObject")


def test_action_wildcards_expand_over_the_universe():
    p = compile_policy(doc({"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}))
    known = p.statements[0].actions.known
    assert "s3:getobject" in known and "s3:getbucketpolicy" in known
    assert "s3:putobject" not in known
