"""KMS keys in a snapshot: reading the ``kms.keys`` section, and which key a bucket's default encryption uses.

A bucket whose default encryption is SSE-KMS (``aws:kms``, or ``aws:kms:dsse``) writes new objects under the key
its ``KMSMasterKeyID`` names, or under the AWS managed key ``aws/s3`` of the bucket's account and region when it
names none (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html). The key may be given by
ARN, by key id or by alias (``alias/name`` or an alias ARN); a key id or bare alias is looked up in the bucket
owner's account and region.

``aws/s3`` is an AWS managed key: AWS writes its policy, the same in every account, allowing the principals of
the account to use it only through S3 (``kms:ViaService``) and only from that account (``kms:CallerAccount``)
(https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key,
https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service). When a
snapshot does not hold it (an IaC input, a snapshot whose KMS keys were not collected), ``documented_aws_s3_key``
stands for it with that policy, and its reasons say so. Any other key the snapshot does not hold is unknown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping

from .model import UNKNOWN, Bucket, KmsGrant, KmsKey, PolicyDocument
from .regional import gap_in, gaps

# The calls that list an account's keys and aliases in a region: when one failed, the region's keys are not all known.
LIST_CALLS = ("kms:ListKeys", "kms:ListAliases")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
AWS_S3_ALIAS = "alias/aws/s3"
DOCUMENTED = "the policy AWS writes for every aws/s3 key; the key itself is not in the snapshot"

_KEY_ARN = re.compile(r"^arn:([a-z-]+):kms:([a-z0-9-]*):(\d{12}):key/(.+)$")
_ALIAS_ARN = re.compile(r"^arn:([a-z-]+):kms:([a-z0-9-]*):(\d{12}):(alias/.+)$")
# Which key value an entry of the key's ``Errors`` makes unknown.
_ERROR_FIELDS = {"DescribeKey": "KeyMetadata", "GetKeyPolicy": "Policy", "ListGrants": "Grants",
                 "GetKeyRotationStatus": "KeyRotationEnabled", "ListResourceTags": "Tags"}


def read_keys(section: Any, errors: Mapping[str, Any], account: str, pointer: str, iac: bool,
              policy: Callable[[Any, str, str, str, str], PolicyDocument]) -> tuple[tuple[KmsKey, ...], dict]:
    """The account's keys from its ``kms`` section (``pointer`` is the account's), and per region why they
    are not all known (``regional.gaps``). ``policy(value, pointer, kind, owner, name)`` decodes a document."""
    listed = section.get("keys") if isinstance(section, dict) else None
    keys = tuple(_key(k, account, f"{pointer}/kms/keys/{i}", policy) for i, k in enumerate(listed or ()))
    return keys, gaps(errors, LIST_CALLS, listed is not None, iac, "KMS keys")


def _key(k: dict, account: str, ptr: str, policy) -> KmsKey:
    failed = {_ERROR_FIELDS.get(op, op): why for op, why in (k.get("Errors") or {}).items()}
    arn = k.get("Arn")
    m = _KEY_ARN.match(arn) if isinstance(arn, str) else None
    key_id = k.get("KeyId") or (m.group(4) if m else "")
    region = k.get("Region") or (m.group(2) if m else None) or UNKNOWN
    owner = k.get("AWSAccountId") or (m.group(3) if m else account)
    if not m:
        arn = f"arn:aws:kms:{region if isinstance(region, str) else '*'}:{owner}:key/{key_id}"
    described = "KeyMetadata" not in failed
    if k.get("Policy") is not None:
        doc = policy(k["Policy"], f"{ptr}/Policy", "key", arn, "")
    else:
        doc = UNKNOWN  # every key has a policy: one not recorded is unknown, never "none"
    grants: Any = UNKNOWN  # failed, or not recorded: a grant may allow anyone
    if "Grants" not in failed and isinstance(k.get("Grants"), list):
        grants = tuple(_grant(g, f"{ptr}/Grants/{i}") for i, g in enumerate(k["Grants"]))
    rotation = k.get("KeyRotationEnabled") if isinstance(k.get("KeyRotationEnabled"), bool) else UNKNOWN
    return KmsKey(
        arn=arn, key_id=key_id, account=owner, region=region,
        manager=k.get("KeyManager") if described and k.get("KeyManager") else UNKNOWN,
        state=k.get("KeyState") if described and k.get("KeyState") else UNKNOWN,
        aliases=tuple(a["AliasName"] for a in k.get("Aliases") or ()), policy=doc, grants=grants,
        rotation=rotation, errors=MappingProxyType(dict(k.get("Errors") or {})), pointer=ptr,
        description=k.get("Description"))


def _grant(g: dict, ptr: str) -> KmsGrant:
    constraints = g.get("Constraints") or None
    return KmsGrant(str(g.get("GrantId") or ptr.rsplit("/", 1)[-1]), g.get("Name") or None, g["GranteePrincipal"],
                    tuple(g.get("Operations") or ()),
                    MappingProxyType({k: MappingProxyType(dict(v)) for k, v in constraints.items() if v})
                    if constraints else None,
                    g.get("IssuingAccount"), g.get("RetiringPrincipal"), ptr)


# --- which key a bucket uses ------------------------------------------------------------------------------

def default_key_reference(encryption: Any) -> Any:
    """What a bucket's default encryption (``ServerSideEncryptionConfiguration``) says about its KMS key:
    None when it is not SSE-KMS, ``""`` for SSE-KMS with no key named (``aws/s3``), else the
    ``KMSMasterKeyID`` as written; UNKNOWN when the configuration could not be read."""
    if encryption is UNKNOWN:
        return UNKNOWN
    if not isinstance(encryption, Mapping):
        return None
    for rule in encryption.get("Rules") or ():
        default = rule.get("ApplyServerSideEncryptionByDefault") if isinstance(rule, Mapping) else None
        if isinstance(default, Mapping) and default.get("SSEAlgorithm") in KMS_ALGORITHMS:
            return str(default.get("KMSMasterKeyID") or "")
    return None


@dataclass(frozen=True)
class KeyUse:
    """The key a bucket encrypts new objects with: ``key`` when the snapshot holds it (or ``aws/s3``'s
    documented stand-in), else None with ``note`` saying why it is unknown. ``arn`` names it in reasons."""

    reference: str  # as the bucket's configuration writes it ("" for aws/s3 by default)
    arn: str
    key: KmsKey | None
    note: str | None
    by_alias: bool  # named by an alias (or by key id), which KMS resolves in the requester's account


class KeyIndex:
    """The snapshot's keys by ARN, by (account, region, key id) and by (account, region, alias name)."""

    def __init__(self, accounts):
        self.by_arn: dict[str, KmsKey] = {}
        self.by_id: dict[tuple, KmsKey] = {}
        self.by_alias: dict[tuple, KmsKey] = {}
        self.gaps: dict[str, Mapping[str, str]] = {}
        self.accounts = {a.id for a in accounts}
        for a in accounts:
            self.gaps[a.id] = a.kms_gaps
            for k in a.kms_keys:
                self.by_arn[k.arn] = k
                self.by_id[(k.account, k.region, k.key_id)] = k
                for alias in k.aliases:
                    self.by_alias[(k.account, k.region, alias)] = k

    def bucket_key(self, bucket: Bucket) -> KeyUse | None:
        """The key ``bucket``'s default encryption uses, None when it is not SSE-KMS or its encryption is unknown
        (an unknown setting adds no lock: erring toward access)."""
        ref = default_key_reference(bucket.encryption)
        if ref is None or ref is UNKNOWN:
            return None
        region = bucket.region if isinstance(bucket.region, str) else "*"
        return self.resolve(ref or AWS_S3_ALIAS, bucket.account, region, ref)

    def resolve(self, ref: str, account: str, region: str, written: str | None = None) -> KeyUse:
        written = ref if written is None else written
        m = _KEY_ARN.match(ref)
        if m:
            key = self.by_arn.get(ref)
            return KeyUse(written, ref, key, None if key else self._missing(m.group(3), m.group(2), ref), False)
        # A key id or bare alias names a key of the owner's account and region; KMS resolves it in the
        # requester's account, which for another account's writer is another key (specifying-kms-encryption.html).
        by_alias = written != "" and not written.startswith("arn:")
        partition, alias = "aws", ref if ref.startswith("alias/") else None
        m = _ALIAS_ARN.match(ref)
        if m:
            partition, region, account, alias = m.groups()
        if alias is None:  # a key id (or an ARN that names no key: kept as written)
            arn = ref if ref.startswith("arn:") else f"arn:{partition}:kms:{region}:{account}:key/{ref}"
            key = self.by_id.get((account, region, ref)) or self.by_arn.get(arn)
            return KeyUse(written, arn, key, None if key else self._missing(account, region, arn), by_alias)
        arn = f"arn:{partition}:kms:{region}:{account}:{alias}"
        key = self.by_alias.get((account, region, alias))
        if key is None and alias == AWS_S3_ALIAS:
            key = documented_aws_s3_key(account, region, partition)
        return KeyUse(written, key.arn if key is not None and key.origin is None else arn, key,
                      None if key else self._missing(account, region, arn), by_alias)

    def _missing(self, account: str, region: str, arn: str) -> str:
        why = gap_in(self.gaps.get(account, {}), region) if account in self.accounts else None
        if account not in self.accounts:
            why = f"account {account} is not in the snapshot"
        return f"KMS key `{arn}` is not in the snapshot" + (f" ({why})" if why else "")


def documented_aws_s3_key(account: str, region: str, partition: str = "aws") -> KmsKey:
    """The AWS managed key ``aws/s3`` of an account and region that the snapshot does not hold, with the policy
    AWS writes for it (module docstring): usable by the account's principals through S3 in that region only."""
    alias_arn = f"arn:{partition}:kms:{region}:{account}:{AWS_S3_ALIAS}"
    if region != "*":
        condition = {"StringEquals": {"kms:CallerAccount": account, "kms:ViaService": f"s3.{region}.amazonaws.com"}}
    else:  # the bucket's region is unknown: through S3 in any region
        condition = {"StringEquals": {"kms:CallerAccount": account},
                     "StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}
    document = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Allow access through S3 for all principals in the account that are authorized to use S3",
         "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
         "Resource": "*",
         "Condition": condition},
        {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
         "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
         "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*"}]}
    doc = PolicyDocument(document, "", "key", alias_arn, AWS_S3_ALIAS, origin=DOCUMENTED)
    return KmsKey(arn=alias_arn, key_id="", account=account, region=region, manager="AWS", state="Enabled",
                  aliases=(AWS_S3_ALIAS,), policy=doc, grants=(), rotation=True, errors=MappingProxyType({}),
                  pointer="", origin=DOCUMENTED)
