"""The kinds of change a rule's ``fix`` clause may name, with their arguments: what the checker checks.

A rule says how its findings are fixed in its own words, beside its remediation::

    rule FSBP-S3.5 "S3 general purpose buckets should require requests to use SSL"
      ...
      fix deny_insecure_transport()

Several ``fix`` clauses are alternatives, tried in order: the first change the engine proves (the finding is
gone once it is made) is the one suggested. Arguments are expressions of the rule's scope (parameters, the
subject), evaluated for each finding. The changes themselves are made by ``s3audit/fixes/kinds.py``, one
function per kind registered under the same name (a test keeps the two tables equal); nothing here knows
snapshots.

``subjects`` are what a kind can change: the rule's subject (``bucket``, ``account``, ``access_point``,
``statement``) or, for ``forbid path`` and ``for path`` rules, the ``path``.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import types as T

FIX_FROM = T.EnumT("fix start", ("path", "public", "external", "anonymous"), "a start of `remove_grants`")
FIRST_HOP = T.EnumT("first hop", ("any", "act-as", "assume"), "a first hop")


@dataclass(frozen=True)
class FixKind:
    name: str
    params: tuple[T.ParamSpec, ...]
    subjects: tuple[str, ...]
    action: str  # remove | narrow | add | set: what the change does to the estate
    doc: str

    def __str__(self) -> str:
        def one(p: T.ParamSpec) -> str:
            return f"{p.name}: {p.type}" + (f" = {p.default}" if p.default is not None else "")
        return f"{self.name}({', '.join(one(p) for p in self.params)})"


def _p(name: str, t: T.Type, default: str) -> T.ParamSpec:
    """An optional argument; ``default`` is how the catalogue writes the default the change takes."""
    return T.ParamSpec(name, t, False, default)


def _required(name: str, t: T.Type) -> T.ParamSpec:
    return T.ParamSpec(name, t, True)


FIX_KINDS: dict[str, FixKind] = {k.name: k for k in (
    FixKind("remove_grants", (_p("from", FIX_FROM, '"path"'), _p("access", T.ListT(T.ACCESS_LEVEL), "[]"),
                              _p("first_hop", FIRST_HOP, '"any"')),
            ("path", "bucket"), "remove",
            "remove the smallest set of grants (statements, ACL grants, memberships) that closes every route "
            "from the path's start (`from: \"path\"`), from everyone (`\"public\"`: the anonymous caller and "
            "any AWS account), from outside the organization or from the anonymous caller to the bucket, with "
            "the path's access or the levels listed; `first_hop: \"act-as\"` closes only routes that begin "
            "with an escalation"),
    FixKind("block_public_access", (), ("bucket", "account", "access_point"), "set",
            "turn on all four Block Public Access settings of the bucket, account or access point"),
    FixKind("deny_insecure_transport", (), ("bucket",), "add",
            "add a bucket policy statement that denies every S3 action on the bucket and its objects to "
            "everyone when aws:SecureTransport is false"),
    FixKind("deny_other_accounts", (_required("actions", T.ListT(T.STRING)), _p("trusted", T.SetT(T.STRING), "{}")),
            ("bucket",), "add",
            "add a bucket policy statement that denies the actions to every principal outside the bucket's "
            "account and the trusted accounts (ids, ARNs or ARN patterns)"),
    FixKind("versioning", (_p("mfa_delete", T.BOOL, "false"),), ("bucket",), "set",
            "enable versioning (and MFA delete)"),
    FixKind("default_encryption", (_p("algorithm", T.SSE_ALGORITHM, '"aws:kms"'),), ("bucket",), "set",
            "set default encryption to the algorithm (SSE-KMS with the AWS managed key aws/s3 unless a key "
            "is chosen), with S3 Bucket Keys"),
    FixKind("object_ownership", (), ("bucket",), "set",
            "set Object Ownership to BucketOwnerEnforced (ACLs off)"),
    FixKind("object_lock", (), ("bucket",), "set", "enable Object Lock"),
    FixKind("access_logging", (), ("bucket",), "set",
            "log server access to a log bucket of the same account and region (one whose name says `log` if "
            "the snapshot has one, else `<bucket>-access-logs`, to create)"),
    FixKind("lifecycle_rule", (_p("expiration", T.DURATION, "none"), _p("noncurrent_expiration", T.DURATION, "none"),
                               _p("minimum", T.DURATION, "none")), ("bucket",), "add",
            "bring the enabled lifecycle rules' expirations within `minimum` .. `expiration`, and add an enabled "
            "rule for the whole bucket that expires current versions after `expiration` and noncurrent ones after "
            "`noncurrent_expiration` where no rule does (without either: one that aborts incomplete uploads)"),
    FixKind("object_lock_retention", (_required("maximum", T.DURATION),), ("bucket",), "set",
            "shorten the Object Lock default retention to the maximum"),
    FixKind("replication_within", (_required("regions", T.SetT(T.STRING)),), ("bucket",), "set",
            "disable the replication rules whose destination is outside the regions (patterns allowed)"),
    FixKind("add_condition", (_required("operator", T.STRING), _required("key", T.STRING),
                              _required("value", T.STRING)), ("statement",), "narrow",
            "narrow the statement with a condition (`StringEquals`, `sts:ExternalId`, the agreed value)"),
    FixKind("restrict_to_organization", (), ("statement",), "narrow",
            "narrow the statement to principals of the organization (aws:PrincipalOrgID)"),
    FixKind("drop_unknown_actions", (), ("statement",), "narrow",
            "narrow the statement to the actions that exist (or remove it if none does)"),
    FixKind("remove_statement", (), ("statement",), "remove",
            "remove the statement (an Allow statement only: removing a Deny would open access)"),
    FixKind("manual", (_required("reason", T.STRING),), ("bucket", "account", "access_point", "statement", "path",
                                                          "principal"), "none",
            "no single change fixes such a finding; the reason says what a person must do"),
)}
