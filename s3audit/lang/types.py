"""The type environment of the rule language: value types, the records of the snapshot model (the
subjects a rule can be about and everything reachable from them by field access), the built-in
constants and the signatures of the built-in functions.

This module is data plus a few pure functions; it imports nothing heavy. The checker reads it to
resolve names, fields and calls; the evaluator (``lang/evaluate.py``, ``lang/builtins.py``) must give
every field and function listed here exactly the meaning documented here, reading the typed model in
``s3audit/snapshot/model.py`` (each field names its ``source``).

Absent and unknown values. A field of something that is not configured (the algorithm of a bucket
without default encryption) is *absent*: `present(x)` is false, `==` against it is false, `!=` true,
ordering comparisons false. A value s3audit could not read (an API call that failed, ``UNKNOWN`` in the
model) is *unknown*: the evaluator never lets it make a rule pass silently and reports the finding as
`unknown`. Neither needs a type of its own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from ..findings import Severity


# ---------------------------------------------------------------------------------------------- types
class Type:
    """A type of the rule language. ``str(t)`` is how the user writes it (and how messages show it)."""


@dataclass(frozen=True)
class Prim(Type):
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class EnumT(Type):
    """A string with a closed set of values (an access level, an SSE algorithm ...).

    Behaves as a string; comparing it with a string literal outside ``values`` is an error.
    """

    name: str
    values: tuple[str, ...]
    phrase: str = ""  # how messages name one value: "an access level"

    def __str__(self) -> str:
        return "string"

    @property
    def a(self) -> str:
        return self.phrase or article(self.name)


@dataclass(frozen=True)
class ListT(Type):
    elem: Type

    def __str__(self) -> str:
        return f"list<{self.elem}>"


@dataclass(frozen=True)
class SetT(Type):
    elem: Type

    def __str__(self) -> str:
        return f"set<{self.elem}>"


@dataclass(frozen=True)
class MapT(Type):
    """A map from strings to ``value`` (tags, a request context)."""

    value: Type

    def __str__(self) -> str:
        return f"map<{self.value}>"


@dataclass(frozen=True)
class RecordT(Type):
    """A record of the model: its fields are in ``RECORDS[name]``."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class OneOf(Type):
    """Only in signatures: an argument that may have any of these types."""

    options: tuple[Type, ...]
    written: str  # in a signature: `bucket|access_point`
    phrase: str  # in a message: "a bucket or an access point"

    def __str__(self) -> str:
        return self.written


STRING = Prim("string")
NUMBER = Prim("number")
BOOL = Prim("bool")
DURATION = Prim("duration")
# A principal selector: `anonymous`, `external`, `anyone`, an account id or ARN or ARN pattern (a
# string), a collection of those, a principal or an account, and unions (`or`, `+`) and differences
# (`-`) of selectors. The graph and the engine resolve it; it is never enumerated by a rule.
PRINCIPALS = Prim("principals")
ANY = Prim("any")  # only in signatures and for mixed map values (request contexts)
NEVER = Prim("nothing")  # the element type of an empty collection literal
ERROR = Prim("<error>")  # an expression that already has a diagnostic: accepted everywhere, silently

SCALARS = (STRING, NUMBER, BOOL, DURATION)

# ------------------------------------------------------------------------------------- enumerations
# The S3 access levels of the action universe (s3audit/iam/actions.py ACCESS_LEVELS), and `any`.
ACCESS_LEVEL = EnumT("access level", ("read", "write", "list", "permissions", "tagging", "any"))
VIA = EnumT("via", ("direct", "any"), "a possible `via`")
SSE_ALGORITHM = EnumT("server-side encryption algorithm", ("AES256", "aws:kms", "aws:kms:dsse"))
VERSIONING_STATUS = EnumT("versioning status", ("Enabled", "Suspended"))
OBJECT_OWNERSHIP = EnumT("object ownership", ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"))
LOCK_MODE = EnumT("object lock mode", ("GOVERNANCE", "COMPLIANCE"))
GRANTEE_TYPE = EnumT("grantee type", ("CanonicalUser", "Group", "AmazonCustomerByEmail"))
ACL_PERMISSION = EnumT("acl permission", ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"))
EFFECT = EnumT("effect", ("Allow", "Deny"))
POLICY_KIND = EnumT("policy kind", ("identity", "boundary", "trust", "bucket", "access-point", "scp", "rcp", "key",
                                    "vpc-endpoint"))
KEY_STATE = EnumT("key state", ("Enabled", "Disabled", "PendingDeletion", "PendingImport", "PendingReplicaDeletion",
                                "Unavailable", "Creating", "Updating"))
# `group` and `authenticated` only start paths of the access graph: a path through a group stands for its
# members, and `authenticated` for any authenticated AWS principal (reached by grants to everyone).
PRINCIPAL_KIND = EnumT("principal kind", ("user", "role", "root", "service", "federated", "anonymous", "group",
                                          "authenticated"))
NETWORK_ORIGIN = EnumT("network origin", ("Internet", "VPC"))
# The codes of the policy linter (s3audit/iam/lint.py) and of the policy compiler's softer problems.
LINT_CODE = EnumT("lint code", ("unknown-action", "resource-type-mismatch", "allow-not-principal",
                                "allow-not-action-all", "public-principal", "condition-key-never-present",
                                "redundant-statement", "principal-wildcard", "condition"))

SEVERITIES = tuple(s.label for s in Severity)  # info, low, medium, high, critical
# `statement`: every statement of every policy in the snapshot (identity, boundary, trust, bucket, access
# point, SCP, RCP), so that a hygiene finding points at the statement itself.
SUBJECT_KINDS = ("bucket", "account", "principal", "access_point", "statement", "path")


# --------------------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class FieldSpec:
    type: Type
    doc: str
    source: str  # where the evaluator reads it in the model (s3audit/snapshot/model.py)


def _f(t: Type, doc: str, source: str) -> FieldSpec:
    return FieldSpec(t, doc, source)


def R(name: str) -> RecordT:
    return RecordT(name)


_POLICY = R("policy")
_PAB = R("public_access_block")

RECORDS: Mapping[str, Mapping[str, FieldSpec]] = {
    "bucket": {
        "name": _f(STRING, "the bucket's name", "Bucket.name"),
        "arn": _f(STRING, "the bucket's ARN, `arn:aws:s3:::NAME`", "Bucket.arn"),
        "objects": _f(STRING, "the ARN of every object in the bucket, `arn:aws:s3:::NAME/*`", "Bucket.arn + '/*'"),
        "account": _f(STRING, "the id of the account that owns the bucket", "Bucket.account"),
        "region": _f(STRING, "the bucket's region, such as `eu-west-1`", "Bucket.region"),
        "created": _f(STRING, "when the bucket was created (RFC 3339); absent if not recorded",
                      "Bucket.creation_date"),
        "tags": _f(MapT(STRING), "the bucket's tags (`b.tags[\"data-class\"]`)", "Bucket.tags"),
        "encryption": _f(R("encryption"), "default encryption", "Bucket.encryption"),
        "versioning": _f(R("versioning"), "versioning and MFA delete", "Bucket.versioning"),
        "logging": _f(R("logging"), "server access logging", "Bucket.logging"),
        "lifecycle": _f(R("lifecycle"), "the lifecycle configuration", "Bucket.lifecycle"),
        "object_lock": _f(R("object_lock"), "Object Lock", "Bucket.object_lock"),
        "replication": _f(R("replication"), "replication", "Bucket.replication"),
        "ownership": _f(OBJECT_OWNERSHIP, "Object Ownership; absent without ownership controls",
                        "Bucket.ownership"),
        "acls_enabled": _f(BOOL, "false when Object Ownership is `BucketOwnerEnforced` (ACLs are ignored)",
                           "Bucket.acls_enabled"),
        "acl": _f(R("acl"), "the bucket ACL", "Bucket.acl"),
        "public_access_block": _f(_PAB, "the bucket's own Block Public Access settings",
                                  "Bucket.public_access_block"),
        "policy": _f(_POLICY, "the bucket policy; absent when there is none", "Bucket.policy"),
        "access_points": _f(ListT(R("access_point")), "access points attached to the bucket",
                            "Account.access_points where AccessPoint.bucket == Bucket.name"),
        "website": _f(BOOL, "static website hosting is configured", "Bucket.website is not None"),
        "key": _f(R("kms_key"), "the KMS key new objects are encrypted under (SSE-KMS default encryption: the key "
                  "it names, or the AWS managed key `aws/s3`); absent without SSE-KMS; unknown when the snapshot "
                  "lacks the key", "KeyIndex.bucket_key(Bucket)"),
        "endpoints": _f(ListT(R("vpc_endpoint")), "the VPC endpoints the bucket policy locks the bucket to (a Deny "
                        "of requests whose aws:SourceVpce is none of them); empty when it is not locked",
                        "Bucket.policy Deny statements on aws:SourceVpce"),
    },
    "kms_key": {
        "arn": _f(STRING, "the key's ARN (an alias ARN for `aws/s3` when the snapshot lacks the key itself)",
                  "KmsKey.arn"),
        "id": _f(STRING, "the key id", "KmsKey.key_id"),
        "account": _f(STRING, "the account that owns the key", "KmsKey.account"),
        "region": _f(STRING, "the key's region", "KmsKey.region"),
        "aliases": _f(ListT(STRING), "its aliases, `alias/...`", "KmsKey.aliases"),
        "aws_managed": _f(BOOL, "an AWS managed key (`aws/s3` ...): AWS writes its policy, only its account may "
                          "use it, and it cannot be shared", "KmsKey.manager == 'AWS'"),
        "customer_managed": _f(BOOL, "a customer managed key", "KmsKey.manager == 'CUSTOMER'"),
        "state": _f(KEY_STATE, "the key state, such as `Enabled`", "KmsKey.state"),
        "enabled": _f(BOOL, "the key is enabled (only an enabled key encrypts and decrypts)", "KmsKey.state"),
        "rotation": _f(BOOL, "automatic key rotation is enabled", "KmsKey.rotation"),
        "policy": _f(_POLICY, "the key policy", "KmsKey.policy"),
        "grants": _f(ListT(R("kms_grant")), "the key's grants", "KmsKey.grants"),
    },
    "kms_grant": {
        "grantee": _f(STRING, "the principal the grant allows (an ARN, an account or a service)", "KmsGrant.grantee"),
        "operations": _f(ListT(STRING), "the operations it allows, such as `Decrypt`", "KmsGrant.operations"),
        "constrained": _f(BOOL, "it allows them only with a given encryption context", "KmsGrant.constraints"),
    },
    "vpc_endpoint": {
        "id": _f(STRING, "the endpoint id, `vpce-...`", "VpcEndpoint.id"),
        "vpc": _f(STRING, "the VPC it is in", "VpcEndpoint.vpc"),
        "account": _f(STRING, "the account that owns it", "VpcEndpoint.account"),
        "region": _f(STRING, "its region", "VpcEndpoint.region"),
        "service": _f(STRING, "the service it reaches, such as `com.amazonaws.us-east-1.s3`", "VpcEndpoint.service"),
        "type": _f(STRING, "`Gateway` or `Interface`", "VpcEndpoint.type"),
        "policy": _f(_POLICY, "the endpoint policy; absent when it has none (AWS's default, full access)",
                     "VpcEndpoint.policy"),
        "full_access": _f(BOOL, "its policy lets anyone do anything through it: no policy (the default), or one "
                          "that allows every action on every resource to `*` with no condition and denies "
                          "nothing", "VpcEndpoint.policy"),
    },
    "encryption": {
        "enabled": _f(BOOL, "a default encryption rule is configured", "Bucket.encryption is not None"),
        "algorithm": _f(SSE_ALGORITHM, "`AES256`, `aws:kms` or `aws:kms:dsse`",
                        "Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm"),
        "kms_key": _f(STRING, "the KMS key (id, ARN or alias); absent for `AES256` or the AWS managed key",
                      "Rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID"),
        "bucket_key": _f(BOOL, "S3 Bucket Keys are enabled", "Rules[0].BucketKeyEnabled"),
    },
    "versioning": {
        "status": _f(VERSIONING_STATUS, "`Enabled` or `Suspended`; absent when never enabled", "Status"),
        "enabled": _f(BOOL, "versioning is enabled (not suspended)", "Status == 'Enabled'"),
        "mfa_delete": _f(BOOL, "MFA delete is enabled", "MFADelete == 'Enabled'"),
    },
    "logging": {
        "enabled": _f(BOOL, "server access logging is enabled", "LoggingEnabled is present"),
        "target": _f(STRING, "the name of the bucket that receives the logs", "LoggingEnabled.TargetBucket"),
        "prefix": _f(STRING, "the prefix of the log objects", "LoggingEnabled.TargetPrefix"),
    },
    "lifecycle": {
        "rules": _f(ListT(R("lifecycle_rule")), "the lifecycle rules (empty without a configuration)", "Rules"),
    },
    "lifecycle_rule": {
        "id": _f(STRING, "the rule's ID", "ID"),
        "enabled": _f(BOOL, "the rule's status is `Enabled`", "Status == 'Enabled'"),
        "prefix": _f(STRING, "the key prefix it applies to (empty: every key)", "Filter.Prefix or Prefix"),
        "tags": _f(MapT(STRING), "the object tags it is limited to", "Filter.Tag / Filter.And.Tags"),
        "whole_bucket": _f(BOOL, "it applies to every object (no prefix, tag or size filter)", "Filter"),
        "expiration": _f(DURATION, "current versions expire this long after creation; absent if never",
                         "Expiration.Days"),
        "noncurrent_expiration": _f(DURATION, "noncurrent versions expire this long after becoming noncurrent",
                                    "NoncurrentVersionExpiration.NoncurrentDays"),
        "abort_incomplete_uploads": _f(DURATION, "incomplete multipart uploads are aborted after this long",
                                       "AbortIncompleteMultipartUpload.DaysAfterInitiation"),
        "transitions": _f(ListT(R("lifecycle_transition")), "storage class transitions", "Transitions"),
    },
    "lifecycle_transition": {
        "storage_class": _f(STRING, "the storage class objects move to", "StorageClass"),
        "after": _f(DURATION, "how long after creation", "Days"),
    },
    "object_lock": {
        "enabled": _f(BOOL, "Object Lock is enabled on the bucket", "ObjectLockEnabled == 'Enabled'"),
        "mode": _f(LOCK_MODE, "the default retention mode; absent without a default retention",
                   "Rule.DefaultRetention.Mode"),
        "retention": _f(DURATION, "the default retention period", "Rule.DefaultRetention.Days or .Years"),
    },
    "replication": {
        "enabled": _f(BOOL, "at least one replication rule is enabled", "Rules[].Status"),
        "role": _f(STRING, "the IAM role S3 assumes to replicate", "Role"),
        "destinations": _f(ListT(R("replication_destination")), "one per replication rule", "Rules[].Destination"),
    },
    "replication_destination": {
        "bucket": _f(STRING, "the destination bucket's name", "Destination.Bucket (an ARN)"),
        "region": _f(STRING, "the destination bucket's region (unknown if the snapshot lacks that bucket)",
                     "Snapshot bucket named Destination.Bucket"),
        "account": _f(STRING, "the account that owns the destination bucket",
                      "Destination.Account, else the owner of that bucket in the snapshot"),
        "enabled": _f(BOOL, "the replication rule is enabled", "Status == 'Enabled'"),
        "storage_class": _f(STRING, "the storage class of the replicas", "Destination.StorageClass"),
    },
    "public_access_block": {
        "block_public_acls": _f(BOOL, "BlockPublicAcls", "PublicAccessBlock.block_public_acls"),
        "ignore_public_acls": _f(BOOL, "IgnorePublicAcls", "PublicAccessBlock.ignore_public_acls"),
        "block_public_policy": _f(BOOL, "BlockPublicPolicy", "PublicAccessBlock.block_public_policy"),
        "restrict_public_buckets": _f(BOOL, "RestrictPublicBuckets", "PublicAccessBlock.restrict_public_buckets"),
        "all_on": _f(BOOL, "all four settings are on", "PublicAccessBlock.all_on"),
    },
    "acl": {
        "owner": _f(STRING, "the canonical id of the owner", "Acl.owner_id"),
        "grants": _f(ListT(R("grant")), "the grants", "Acl.grants"),
    },
    "grant": {
        "grantee_type": _f(GRANTEE_TYPE, "`CanonicalUser`, `Group` or `AmazonCustomerByEmail`", "Grant.grantee_type"),
        "grantee": _f(STRING, "canonical id, group URI or e-mail", "Grant.grantee"),
        "permission": _f(ACL_PERMISSION, "`FULL_CONTROL`, `WRITE`, `WRITE_ACP`, `READ` or `READ_ACP`",
                         "Grant.permission"),
    },
    "policy": {
        "kind": _f(POLICY_KIND, "identity, boundary, trust, bucket, access-point, scp, rcp, key or vpc-endpoint",
                   "PolicyDocument.kind"),
        "name": _f(STRING, "the inline policy name or managed policy ARN", "PolicyDocument.name"),
        "owner": _f(STRING, "the ARN of what the policy is attached to", "PolicyDocument.owner"),
        "version": _f(STRING, "the policy language version, `2012-10-17`", "document.Version"),
        "statements": _f(ListT(R("statement")), "the statements, in order", "document.Statement"),
        "label": _f(STRING, "how messages name the policy, such as `bucket policy of arn:aws:s3:::b`",
                    "Policy.source_label"),
    },
    "statement": {
        "index": _f(NUMBER, "the statement's position in the policy, from 0", "document.Statement[i]"),
        "sid": _f(STRING, "the Sid; absent if none", "Sid"),
        "label": _f(STRING, "the Sid, or `#` and the position when there is none", "Statement.label"),
        "effect": _f(EFFECT, "`Allow` or `Deny`", "Effect"),
        "principals": _f(ListT(STRING), "Principal values as written (`*` for any, ARNs, account ids, "
                         "service names); empty without Principal", "Principal"),
        "not_principals": _f(ListT(STRING), "NotPrincipal values; empty without NotPrincipal", "NotPrincipal"),
        "actions": _f(ListT(STRING), "Action values; empty with NotAction", "Action"),
        "not_actions": _f(ListT(STRING), "NotAction values", "NotAction"),
        "resources": _f(ListT(STRING), "Resource values; empty with NotResource", "Resource"),
        "not_resources": _f(ListT(STRING), "NotResource values", "NotResource"),
        "conditions": _f(ListT(R("condition")), "one per operator and key", "Condition"),
        "policy": _f(_POLICY, "the policy the statement belongs to", "the enclosing PolicyDocument"),
        "problems": _f(ListT(R("problem")), "what the policy linter finds in this statement: unknown actions, "
                       "resources that cannot match the actions, `NotPrincipal` or `NotAction` with `Allow`, "
                       "public principals without conditions, condition keys never present, redundancy",
                       "s3audit.iam.lint.lint_policy"),
        "problem_codes": _f(SetT(LINT_CODE), "the codes of `problems`: `\"unknown-action\" in s.problem_codes`",
                            "{p.code for p in problems}"),
    },
    "problem": {
        "code": _f(LINT_CODE, "what kind of problem: `unknown-action`, `resource-type-mismatch`, "
                   "`allow-not-principal`, `allow-not-action-all`, `public-principal`, "
                   "`condition-key-never-present`, `redundant-statement`, `principal-wildcard`, `condition`",
                   "LintFinding.code"),
        "message": _f(STRING, "the problem in one sentence", "LintFinding.message"),
        "pointer": _f(STRING, "the JSON pointer of the culprit inside the policy document", "LintFinding.pointer"),
    },
    "condition": {
        "operator": _f(STRING, "as written, such as `StringEquals` or `ForAnyValue:StringLike`", "Condition key"),
        "key": _f(STRING, "the condition key, such as `aws:SecureTransport`", "Condition[op] key"),
        "values": _f(ListT(STRING), "the values, as strings", "Condition[op][key]"),
    },
    "account": {
        "id": _f(STRING, "the 12-digit account id", "Account.id"),
        "name": _f(STRING, "the account's name; absent if not recorded", "Account.name"),
        "arn": _f(STRING, "the account root principal, `arn:aws:iam::ID:root`", "Account.root_arn"),
        "public_access_block": _f(_PAB, "the account-level Block Public Access settings",
                                  "Account.public_access_block"),
        "buckets": _f(ListT(R("bucket")), "the account's buckets", "Account.buckets"),
        "access_points": _f(ListT(R("access_point")), "the account's access points", "Account.access_points"),
        "principals": _f(ListT(R("principal")), "the account's IAM users and roles", "Account.users + Account.roles"),
        "in_organization": _f(BOOL, "the account belongs to the organization (or to the snapshot when "
                              "there is no organization)", "Snapshot.in_organization"),
        "management": _f(BOOL, "the account is the organization's management account",
                         "Organization.management_account"),
    },
    "principal": {
        "arn": _f(STRING, "the principal's ARN (`*` for the anonymous caller)", "User.arn / Role.arn"),
        "name": _f(STRING, "the user or role name", "User.name / Role.name"),
        "kind": _f(PRINCIPAL_KIND, "user, role, root, service, federated or anonymous; on paths also group and "
                   "authenticated (any authenticated AWS principal)", "User.kind / Role.kind / graph node kind"),
        "account": _f(STRING, "the account id; absent for services and the anonymous caller", "User.account"),
        "tags": _f(MapT(STRING), "the principal's tags", "User.tags / Role.tags"),
        "path": _f(STRING, "the IAM path, such as `/`", "User.path / Role.path"),
        "in_organization": _f(BOOL, "the principal's account belongs to the organization",
                              "Snapshot.in_organization(account)"),
        "service_linked": _f(BOOL, "a service-linked role", "Role.is_service_linked"),
        "policies": _f(ListT(_POLICY), "identity policies: inline, attached and through groups",
                       "inline + attached (+ groups)"),
        "boundary": _f(_POLICY, "the permissions boundary; absent if none", "boundary"),
        "trust": _f(_POLICY, "a role's trust policy; absent for users", "Role.trust"),
        "groups": _f(ListT(STRING), "a user's group names", "User.groups"),
    },
    "access_point": {
        "name": _f(STRING, "the access point's name", "AccessPoint.name"),
        "arn": _f(STRING, "the access point's ARN", "AccessPoint.arn"),
        "bucket": _f(STRING, "the name of its bucket", "AccessPoint.bucket"),
        "account": _f(STRING, "the account that owns the access point", "AccessPoint.account"),
        "region": _f(STRING, "its region", "AccessPoint.region"),
        "network_origin": _f(NETWORK_ORIGIN, "`Internet` or `VPC`", "AccessPoint.network_origin"),
        "vpc": _f(STRING, "the VPC id when the network origin is `VPC`", "AccessPoint.vpc_configuration.VpcId"),
        "policy": _f(_POLICY, "the access point policy; absent if none", "AccessPoint.policy"),
        "public_access_block": _f(_PAB, "its Block Public Access settings", "AccessPoint.public_access_block"),
    },
    "path": {
        "start": _f(R("principal"), "the principal the path starts from", "graph path, first node"),
        "target": _f(R("bucket"), "the bucket it reaches", "graph path, last node"),
        "access": _f(ACCESS_LEVEL, "the access level it grants", "graph path"),
        "hops": _f(ListT(R("hop")), "the steps, in order", "graph path edges"),
        "length": _f(NUMBER, "the number of hops", "len(hops)"),
        "conditional": _f(BOOL, "some hop works only under request conditions (MFA, an external ID, a source "
                          "network ...) or values the snapshot lacks", "Path.decision == 'conditional'"),
    },
    "hop": {
        "from": _f(STRING, "the ARN the step starts from", "edge source"),
        "to": _f(STRING, "the ARN the step reaches", "edge target"),
        "kind": _f(STRING, "how: `assume-role`, `identity-policy`, `bucket-policy`, `acl`, `access-point` ...",
                   "edge kind"),
        "reason": _f(STRING, "why the step is possible, in one line", "edge evidence"),
        "actions": _f(ListT(STRING), "the actions that make the step possible", "edge actions"),
        "conditional": _f(BOOL, "the step works only under request conditions or unknown values", "edge decision"),
    },
    "decision": {
        "allowed": _f(BOOL, "the request is allowed", "Decision.decision == 'allow'"),
        "denied": _f(BOOL, "the request is denied", "Decision.decision == 'deny'"),
        "conditional": _f(BOOL, "the outcome depends on request values the rule did not fix",
                          "Decision.decision == 'conditional'"),
        "possible": _f(BOOL, "access may be possible: allowed or conditional", "Decision.possible"),
        "reasons": _f(ListT(STRING), "the statements that decided it, one line each", "Decision.reasons"),
        "assumptions": _f(ListT(STRING), "what the engine assumed about values it could not know",
                          "Decision.assumptions"),
    },
}

# Names of types a user may write in `param` and `def` declarations.
TYPE_NAMES: Mapping[str, Type] = {
    "string": STRING, "number": NUMBER, "bool": BOOL, "duration": DURATION, "principals": PRINCIPALS,
    **{name: RecordT(name) for name in RECORDS},
}
GENERIC_TYPES = {"list": 1, "set": 1, "map": 1}


# ------------------------------------------------------------------------------------------ constants
@dataclass(frozen=True)
class Constant:
    name: str
    type: Type
    doc: str


CONSTANTS: Mapping[str, Constant] = {c.name: c for c in (
    Constant("anonymous", PRINCIPALS, "the unauthenticated caller (`Principal: \"*\"` reaches it)"),
    Constant("external", PRINCIPALS, "every principal outside the organization (outside the snapshot's "
             "accounts when there is no organization), other than the anonymous caller"),
    Constant("anyone", PRINCIPALS, "every principal, the anonymous caller included"),
)}


# ------------------------------------------------------------------------------------------ functions
@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: Type
    required: bool = True
    default: str | None = None  # how the default is written, for documentation


@dataclass(frozen=True)
class Signature:
    name: str
    params: tuple[ParamSpec, ...]
    returns: Type
    doc: str
    backed_by: str = "pure"  # pure | engine | graph
    # The result carries evidence (the engine's reasons, the hops) that the evaluator attaches to a
    # finding the call decides.
    explains: bool = False

    def param(self, name: str) -> ParamSpec | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    def __str__(self) -> str:
        def one(p: ParamSpec) -> str:
            return f"{p.name}: {p.type}" + (f" = {p.default}" if p.default is not None else "")
        return f"{self.name}({', '.join(one(p) for p in self.params)}) -> {self.returns}"


RESOURCE = OneOf((STRING, R("bucket"), R("access_point"), R("kms_key")), "string|bucket|access_point|kms_key",
                 "an ARN (or ARN pattern), a bucket, an access point or a KMS key")
COLLECTION = OneOf((STRING, ListT(ANY), SetT(ANY), MapT(ANY)), "string|list|set|map",
                   "a string, a list, a set or a map")
_CONTEXT = ParamSpec("context", MapT(ANY), False, "{}")
ACTIONS = OneOf((STRING, ListT(STRING), SetT(STRING)), "string|list<string>",
                "an action, an action pattern such as `s3:Put*`, or a list of them")
_REQUEST = (ParamSpec("principal", PRINCIPALS), ParamSpec("action", ACTIONS), ParamSpec("resource", RESOURCE),
            _CONTEXT)

FUNCTIONS: Mapping[str, Signature] = {s.name: s for s in (
    Signature("decision", _REQUEST, R("decision"),
              "the engine's decision for the request; for a selector that covers several principals (or "
              "several actions), the decision of the most permissive of them", "engine", explains=True),
    Signature("allowed", _REQUEST, BOOL,
              "some principal the selector covers may perform the action, or one of the actions (allowed, or "
              "allowed under conditions the rule left open: access that may be possible counts)", "engine",
              explains=True),
    Signature("granted", _REQUEST, BOOL,
              "like `allowed`, by the request's policies alone (identity, resource, ACL, SCP, RCP, boundary): the "
              "KMS key of the objects and the VPC endpoint the request comes through left aside. What a bucket "
              "shares, whether or not the share can work", "engine", explains=True),
    Signature("denied", _REQUEST, BOOL,
              "every principal the selector covers is denied every action named, whatever the request values "
              "the rule left open (the exact opposite of `allowed`)", "engine", explains=True),
    Signature("public", (ParamSpec("resource", OneOf((R("bucket"), R("access_point")), "bucket|access_point",
                                                     "a bucket or an access point")),
                         ParamSpec("access", ACCESS_LEVEL, False, '"any"')), BOOL,
              "the bucket or access point grants the access level to the anonymous caller or to any AWS "
              "account, after Block Public Access; the why is the granting statements or grants",
              "engine", explains=True),
    Signature("reachers", (ParamSpec("bucket", R("bucket")), ParamSpec("access", ACCESS_LEVEL, False, '"any"'),
                           ParamSpec("via", VIA, False, '"any"')), SetT(R("principal")),
              "the principals that can reach the bucket with the access level: directly (their own "
              "permissions and the bucket's) or by any path (role chains included)", "graph", explains=True),
    Signature("paths", (ParamSpec("from", PRINCIPALS), ParamSpec("to", R("bucket")),
                        ParamSpec("access", ACCESS_LEVEL, False, '"any"'), ParamSpec("via", VIA, False, '"any"')),
              ListT(R("path")),
              "the paths of the access graph from the selected principals to the bucket with the access level",
              "graph", explains=True),
    Signature("len", (ParamSpec("value", COLLECTION),), NUMBER,
              "the number of characters of a string, or of elements of a list, set or map"),
    Signature("lower", (ParamSpec("text", STRING),), STRING, "the text in lowercase"),
    Signature("upper", (ParamSpec("text", STRING),), STRING, "the text in uppercase"),
    Signature("startswith", (ParamSpec("text", STRING), ParamSpec("prefix", STRING)), BOOL,
              "the text starts with the prefix"),
    Signature("endswith", (ParamSpec("text", STRING), ParamSpec("suffix", STRING)), BOOL,
              "the text ends with the suffix"),
    Signature("glob", (ParamSpec("text", STRING), ParamSpec("pattern", STRING)), BOOL,
              "the text matches the pattern (`*` any run of characters, `?` one character); the same as "
              "`text matches pattern`"),
    Signature("present", (ParamSpec("value", ANY),), BOOL,
              "the value is set (not absent): `present(b.policy)`, `present(b.tags[\"owner\"])`"),
    Signature("keys", (ParamSpec("map", MapT(ANY)),), SetT(STRING), "the keys of a map"),
)}

# Words that may not be used as names of parameters, definitions or variables: they start clauses or
# expressions, so using them as names would read ambiguously (and sometimes not parse).
RESERVED = frozenset({
    "pack", "version", "import", "param", "def", "rule", "severity", "controls", "rationale", "remediation",
    "fix", "for", "where", "require", "forbid", "message", "path", "from", "to", "with", "access", "via",
    "any", "all", "count", "in", "not", "and", "or", "matches", "true", "false",
})


# -------------------------------------------------------------------------------------- relations
def elem_of(t: Type) -> Type | None:
    """The element type of a collection one can iterate over (`any x in ...`), else None."""
    if isinstance(t, (ListT, SetT)):
        return t.elem
    if t == ERROR:
        return ERROR
    return None


def is_stringish(t: Type) -> bool:
    return t == STRING or isinstance(t, EnumT)


def selector_compatible(t: Type) -> bool:
    """Whether a value of type ``t`` can stand for a set of principals."""
    if t in (PRINCIPALS, STRING, ERROR, NEVER) or isinstance(t, EnumT):
        return True
    if t in (R("principal"), R("account")):
        return True
    if isinstance(t, (ListT, SetT)):
        return selector_compatible(t.elem) and t.elem != PRINCIPALS
    return False


def assignable(src: Type, dst: Type) -> bool:
    """Whether a value of type ``src`` may be used where ``dst`` is expected."""
    if src == ERROR or dst == ERROR or dst == ANY or src == dst or src == NEVER:
        return True
    if isinstance(dst, OneOf):
        return any(assignable(src, o) for o in dst.options)
    if dst == STRING:
        return isinstance(src, EnumT)
    if isinstance(dst, EnumT):
        return src == STRING or (isinstance(src, EnumT) and src.name == dst.name)
    if dst == PRINCIPALS:
        return selector_compatible(src)
    if isinstance(dst, ListT):
        return isinstance(src, ListT) and assignable(src.elem, dst.elem)
    if isinstance(dst, SetT):
        # a list literal may initialise a set: `param regions: set<string> = ["eu-west-1"]`
        return isinstance(src, (SetT, ListT)) and assignable(src.elem, dst.elem)
    if isinstance(dst, MapT):
        if isinstance(src, SetT) and src.elem == NEVER:
            return True  # `{}` is also the empty map
        return isinstance(src, MapT) and assignable(src.value, dst.value)
    return False


def comparable(a: Type, b: Type) -> bool:
    """Whether `a == b` makes sense."""
    return assignable(a, b) or assignable(b, a)


def join(a: Type, b: Type) -> Type | None:
    """The type of a collection holding values of types ``a`` and ``b``, or None if they do not mix."""
    if a == b:
        return a
    if a in (NEVER, ERROR):
        return b
    if b in (NEVER, ERROR):
        return a
    if is_stringish(a) and is_stringish(b):
        return STRING
    if isinstance(a, ListT) and isinstance(b, ListT):
        e = join(a.elem, b.elem)
        return ListT(e) if e is not None else None
    if isinstance(a, SetT) and isinstance(b, SetT):
        e = join(a.elem, b.elem)
        return SetT(e) if e is not None else None
    return None


def fields_of(t: Type) -> Mapping[str, FieldSpec] | None:
    if isinstance(t, RecordT):
        return RECORDS.get(t.name)
    return None


def describe(t: Type) -> str:
    """A type as named in messages: records bare (`bucket has no field ...`), others in backticks."""
    if isinstance(t, RecordT):
        return t.name
    if isinstance(t, EnumT):
        return "a string"
    return f"`{t}`"


def param_type_ok(t: Type) -> bool:
    """Parameters hold plain values an audit profile can write in YAML: scalars and collections of them."""
    if t in SCALARS:
        return True
    if isinstance(t, (ListT, SetT)):
        return t.elem in SCALARS
    if isinstance(t, MapT):
        return t.value in SCALARS
    return False


def describe_a(t: Type) -> str:
    """A type as the thing expected: "a bool", "a bucket", "a `list<string>`", "principals"."""
    if t == PRINCIPALS:
        return "principals"
    if isinstance(t, (Prim, RecordT)):
        return article(str(t))
    if isinstance(t, EnumT):
        return "a string"
    if isinstance(t, OneOf):
        return t.phrase
    return f"a `{t}`"


def article(noun: str) -> str:
    return ("an " if noun[:1].lower() in ("a", "e", "i", "o", "u") else "a ") + noun


_TYPE_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|<|>|,)")


def parse_type(text: str) -> Type | None:
    """A type from its written form (`set<string>`), for callers outside rule files; None if malformed."""
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TYPE_TOKEN.match(text, pos)
        if m is None:
            return None
        tokens.append(m.group(1))
        pos = m.end()

    def parse(i: int) -> tuple[Type | None, int]:
        if i >= len(tokens):
            return None, i
        name = tokens[i]
        if name in GENERIC_TYPES:
            if i + 1 >= len(tokens) or tokens[i + 1] != "<":
                return None, i
            inner, j = parse(i + 2)
            if inner is None or j >= len(tokens) or tokens[j] != ">":
                return None, j
            return {"list": ListT, "set": SetT, "map": MapT}[name](inner), j + 1
        t = TYPE_NAMES.get(name)
        return t, i + 1

    result, end = parse(0)
    return result if end == len(tokens) else None
