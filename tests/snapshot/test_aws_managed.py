"""The loader's rule for managed policies' documents (docs/snapshot-format.md, "Where managed policies' documents
come from"): the snapshot's own copy, else s3audit's shipped copy of an AWS managed policy, else unknown.

AWS managed policies are AWS's and the same in every account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies).
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from s3audit.iam import managed
from s3audit.snapshot.load import snapshot_from_dict

KNOWN = ["AdministratorAccess", "AmazonS3ReadOnlyAccess", "AmazonSSMManagedInstanceCore",
         "service-role/AWSLambdaBasicExecutionRole", "ReadOnlyAccess", "AWSLambdaFullAccess"]
UNKNOWN = ["NoSuchPolicyAtAll", "service-role/AmazonS3ReadOnlyAccess", "AWSLambdaBasicExecutionRole"]
ARNS = [f"arn:aws:iam::aws:policy/{n}" for n in KNOWN + UNKNOWN] + [
    "arn:aws-cn:iam::aws:policy/AdministratorAccess", "arn:aws:iam::111111111111:policy/team-readers"]
ACCOUNTS = ["111111111111", "222222222222"]
OWN_COPY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}


def snapshot(attached: dict[str, list[str]], held: dict[str, list[str]], boundary: str | None) -> dict:
    accounts = []
    for acct in ACCOUNTS:
        arns = attached.get(acct, [])
        errors = {f"iam:Policy/{a}/Document": f"Unknown: the document of managed policy `{a}` is not in this input"
                  for a in arns}
        role = {"RoleName": "r", "Arn": f"arn:aws:iam::{acct}:role/r", "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17", "Statement": []},
                "AttachedManagedPolicies": [{"PolicyArn": a} for a in arns]}
        if boundary and acct == ACCOUNTS[0]:
            role["PermissionsBoundary"] = {"PermissionsBoundaryArn": boundary}
        policies = [{"Arn": a, "PolicyName": a.rsplit("/", 1)[1], "DefaultVersionId": "v1", "PolicyVersionList": [
            {"VersionId": "v1", "IsDefaultVersion": True, "Document": OWN_COPY}]} for a in held.get(acct, [])]
        accounts.append({"id": acct, "iam": {"RoleDetailList": [role], "Policies": policies},
                         "s3": {"buckets": []}, **({"errors": errors} if errors else {})})
    return {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z", "accounts": accounts}


@settings(max_examples=60, deadline=None)
@given(attached=st.fixed_dictionaries({a: st.lists(st.sampled_from(ARNS), unique=True) for a in ACCOUNTS}),
       held=st.fixed_dictionaries({a: st.lists(st.sampled_from(ARNS), unique=True) for a in ACCOUNTS}),
       boundary=st.none() | st.sampled_from(ARNS))
def test_own_copy_then_shipped_copy_then_unknown(attached, held, boundary):
    s = snapshot_from_dict(snapshot(attached, held, boundary))
    named = {a for arns in attached.values() for a in arns} | ({boundary} if boundary else set())
    held_anywhere = {a for arns in held.values() for a in arns}
    for arn in named | held_anywhere:
        doc = s.managed_document(arn)
        if arn in held_anywhere:  # the snapshot's own copy wins, whichever account holds it
            assert doc is not None and doc.document == OWN_COPY and doc.origin is None
        elif managed.lookup(arn) is not None:
            assert doc is not None and doc.document == managed.lookup(arn).document
            assert doc.origin == f"shipped copy of {managed.lookup(arn).date}"
        else:
            assert doc is None  # unknown: the engine says "may be possible"
    for a in s.accounts:
        left = {k for k in a.errors if k.startswith("iam:Policy/")}
        # the reader's note stays exactly for what is still unknown (or held: only the overlay drops those)
        assert left == {f"iam:Policy/{arn}/Document" for arn in attached.get(a.id, [])
                        if arn in held_anywhere or managed.lookup(arn) is None}
        for arn, mp in a.managed_policies.items():
            assert mp.shipped == (arn not in held.get(a.id, []))
