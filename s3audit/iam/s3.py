"""S3's own access semantics — interim: ACL permission mapping and Block Public Access merging.
The full version (AWS's definition of a public policy) lands from the public branch."""
from __future__ import annotations

from dataclasses import dataclass

from ..snapshot.model import UNKNOWN, PublicAccessBlock
from .logic import Tri

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"

_ACL = {
    "READ": frozenset({"s3:listbucket", "s3:listbucketversions", "s3:listbucketmultipartuploads"}),
    "WRITE": frozenset({"s3:putobject", "s3:deleteobject"}),
    "READ_ACP": frozenset({"s3:getbucketacl"}),
    "WRITE_ACP": frozenset({"s3:putbucketacl"}),
}


def acl_permission_actions(permission: str) -> frozenset[str]:
    if permission == "FULL_CONTROL":
        return frozenset().union(*_ACL.values())
    return _ACL.get(permission, frozenset())


@dataclass(frozen=True)
class PublicVerdict:
    public: bool | None
    statements: tuple = ()
    grants: tuple = ()
    reasons: tuple[str, ...] = ()


def policy_public(policy, owner_account: str) -> PublicVerdict:
    if policy is None:
        return PublicVerdict(False)
    if policy is UNKNOWN:
        return PublicVerdict(None, reasons=("the bucket policy could not be read",))
    public = [s for s in policy.statements if s.effect == "Allow" and (s.not_principal or any(
        p.is_everyone for p in s.principals or ())) and not s.conditions.clauses]
    return PublicVerdict(bool(public), tuple(public))


def effective_block(*levels) -> dict[str, Tri]:
    """Per setting: TRUE if any level turns it on, UNKNOWN if a level is unknown, else FALSE."""
    out = {}
    for name in ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"):
        v = Tri.FALSE
        for level in levels:
            if level is UNKNOWN:
                v = v | Tri.UNKNOWN
            elif isinstance(level, PublicAccessBlock) and getattr(level, name):
                v = Tri.TRUE
        out[name] = v
    return out
