"""AWS managed policies a snapshot attaches but does not hold: their documents from the data s3audit ships.

Terraform and CloudFormation attach ``arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess`` by ARN and never say
what it grants; a hand-written or partial snapshot may do the same. AWS managed policies are AWS's, the same
in every account (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html),
so the loader gives such an attachment the shipped copy (``s3audit.iam.managed``), for every producer at
once. The snapshot's own copy always wins: a live snapshot records the version the account really has (in
``iam.Policies``, ``PolicyVersionList``), and the shipped data is looked up only for ARNs that no account of
the snapshot holds a document for. An ARN the data does not know stays unknown: the engine says access "may
be possible" because of it, as for any managed policy the snapshot lacks.
"""
from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Iterator

from .model import Account, ManagedPolicy, PolicyDocument

_AWS_POLICY = ":iam::aws:policy/"  # cheap test before the exact one; no data is read unless it matches


def with_shipped_policies(accounts: tuple[Account, ...]) -> tuple[Account, ...]:
    """The accounts, each with the shipped documents of the AWS managed policies it attaches and the snapshot
    lacks (and without the account ``errors`` entry an IaC reader wrote for such a document)."""
    held = {arn for a in accounts for arn, mp in a.managed_policies.items() if mp.document is not None}
    wanted = {arn for a in accounts for arn, _ in _attachments(a) if arn not in held and _AWS_POLICY in arn}
    if not wanted:
        return accounts
    from ..iam.managed import lookup
    found = {arn: p for arn in sorted(wanted) if (p := lookup(arn)) is not None}
    if not found:
        return accounts
    out = []
    for a in accounts:
        added: dict[str, ManagedPolicy] = {}
        for arn, pointer in _attachments(a):
            shipped = found.get(arn)
            if shipped is None or arn in added:
                continue
            listed = a.managed_policies.get(arn)  # listed without a version: name the listing
            where = listed.pointer if listed is not None else pointer
            doc = PolicyDocument(shipped.document, where, "identity", arn, arn, origin=shipped.origin)
            added[arn] = ManagedPolicy(arn, shipped.name, doc, where)
        if added:
            errors = {k: v for k, v in a.errors.items() if _unknown_document_of(k) not in added}
            a = replace(a, managed_policies=MappingProxyType({**a.managed_policies, **added}),
                        errors=MappingProxyType(errors))
        out.append(a)
    return tuple(out)


def _attachments(a: Account) -> Iterator[tuple[str, str]]:
    """(policy ARN, JSON pointer of where the snapshot names it) for every attachment and boundary."""
    for x in (*a.users, *a.groups, *a.roles):
        for i, arn in enumerate(x.attached):
            yield arn, f"{x.pointer}/AttachedManagedPolicies/{i}"
        boundary = getattr(x, "boundary", None)
        if boundary:
            yield boundary, f"{x.pointer}/PermissionsBoundary"


def _unknown_document_of(key: str) -> str | None:
    """The policy ARN of an ``iam:Policy/<arn>/Document`` errors key (docs/snapshot-format.md), else None."""
    if key.startswith("iam:Policy/") and key.endswith("/Document"):
        return key[len("iam:Policy/"):-len("/Document")]
    return None
