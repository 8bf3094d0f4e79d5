"""Resources other than S3 for the engine: IAM roles (with their trust policy), other IAM entities, and
resources of other services.

The access graph asks the engine about STS and IAM actions as well as S3 ones: can this principal
assume that role, pass it to Lambda, create an access key for that user. The rules are AWS's:

- For ``sts:AssumeRole``, ``sts:AssumeRoleWithWebIdentity``, ``sts:AssumeRoleWithSAML`` (and the
  session actions ``sts:TagSession``, ``sts:SetSourceIdentity``, ``sts:SetContext``) the role's trust
  policy is the resource-based policy. Unlike most resource policies it must always allow the caller
  explicitly: naming the caller grants on its own within the role's account; naming the account
  delegates to the caller's identity policies; across accounts both sides must allow
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
- Every other action on an IAM entity, or on a resource of a service whose resource policies a snapshot
  does not record (Lambda functions, EC2 instances, Glue jobs ...), is decided by identity policies,
  permissions boundaries and SCPs alone; without a resource policy there is no cross-account access.
- RCPs apply only to the services that support them
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
- A KMS key (``arn:aws:kms:REGION:ACCOUNT:key/ID``, or an alias ARN naming it) has its key policy as the resource
  policy, which, like a trust policy, must always allow: within the key's account too, naming the account
  delegates to its IAM policies; its grants allow their grantees (``kms.py``,
  https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..snapshot.kms import KeyIndex
from ..snapshot.model import UNKNOWN
from .principals import PrincipalIndex

# Actions whose authorization reads the role's trust policy (folded names).
TRUST_ACTIONS = frozenset({"sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml",
                           "sts:tagsession", "sts:setsourceidentity", "sts:setcontext"})
# Services whose requests resource control policies govern.
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager"})


@dataclass(frozen=True)
class OtherTarget:
    """A resolved non-S3 resource: its service and owning account, and a role's trust policy."""

    resource: str
    service: str
    account: str | None
    role_arn: str | None  # set when the resource is an IAM role
    trust: Any  # PolicyDocument | None | UNKNOWN (only meaningful for roles)
    note: str | None
    key: Any = None  # for a KMS key: the KmsKey, or UNKNOWN when the snapshot lacks it (``note`` says why)


def uses_key_policy(target: OtherTarget, action: str) -> bool:
    """Whether the request is on a KMS key, whose key policy (and grants) is the resource side."""
    return target.key is not None and action.startswith("kms:")


def resolve(resource: str, index: PrincipalIndex, keys: KeyIndex | None = None) -> OtherTarget:
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[2]:
        raise InputError(f"`{resource}` is not an ARN")
    _, _partition, service, _region, account, rest = parts
    account = account or None
    if service == "iam" and rest.startswith("role/"):
        role = index.roles.get(resource)
        if role is not None:
            return OtherTarget(resource, service, account, resource, role.trust, role.trust_note)
        known = account in index.accounts and index.accounts[account].iam_known
        note = (f"role `{resource}` is not in account {account}'s IAM data; its trust policy is unknown" if known
                else f"role `{resource}` is in account {account}, outside the snapshot; its trust policy is unknown")
        return OtherTarget(resource, service, account, resource, UNKNOWN, note)
    if service == "kms" and keys is not None and (rest.startswith("key/") or rest.startswith("alias/")):
        use = keys.resolve(resource, account or "", _region or "*")
        key = use.key if use.key is not None else UNKNOWN
        return OtherTarget(resource, service, key.account if use.key is not None else account, None, None,
                           use.note, key)
    return OtherTarget(resource, service, account, None, None, None)


def rcp_applies(action: str) -> bool:
    return action.split(":", 1)[0] in RCP_SERVICES


def uses_trust_policy(target: OtherTarget, action: str) -> bool:
    return target.role_arn is not None and action in TRUST_ACTIONS
