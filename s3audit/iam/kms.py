"""What AWS KMS adds to a decision: which key operations an S3 request needs, what the KMS request S3 makes for
its caller carries, and how a grant of a key meets a request.

- **S3 requests need the key.** Reading an object that SSE-KMS encrypted needs ``kms:Decrypt`` on its key;
  writing one needs ``kms:GenerateDataKey``, and a multipart upload also ``kms:Decrypt``
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions). S3 calls KMS with
  the caller's identity (a forward access session: the same principal, its permissions checked again,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html), and the KMS request
  carries ``kms:ViaService`` = ``s3.<region>.amazonaws.com``, ``kms:CallerAccount`` = the caller's account and
  the encryption context ``aws:s3:arn`` = the object's ARN, or the bucket's when S3 Bucket Keys are on
  (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context).
  S3 makes that request itself, not through the caller's VPC endpoint: the keys a VPC endpoint adds
  (``aws:SourceVpce``, ``aws:SourceVpc``, ``aws:VpcSourceIp``: "included in the request context only if the
  requester uses a VPC endpoint", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
  are absent from it, and the endpoint's policy, which governs requests to S3, does not apply to it.
- **A key's policy must always allow.** "No AWS principal has any permissions to a KMS key unless that
  permission is provided explicitly" by the key policy, directly or by the statement that lets the account's
  IAM policies allow it; across accounts the key policy and the caller's IAM policies must both allow, and only
  some operations work across accounts at all
  (https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html,
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam,
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
- **Grants** allow their grantee the grant's operations on the key, when the request's encryption context meets
  the grant's constraints (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html,
  https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html). A grant only allows: an
  explicit Deny still denies. Whether a grantee in another account also needs an IAM policy AWS does not say;
  s3audit lets the grant allow on its own (erring toward reporting access).
- **Key state.** Only an enabled key can be used in cryptographic operations
  (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html).
"""
from __future__ import annotations

from typing import Any, Mapping

from ..snapshot.model import UNKNOWN, KmsGrant, KmsKey
from .context import ABSENT, UNKNOWN_VALUE
from .logic import Tri

_TRUE, _FALSE, _UNKNOWN = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN

# S3 actions (folded) whose requests S3 completes with KMS operations on the key of the object, for the
# operations every such request needs.
S3_KMS_OPERATIONS: Mapping[str, tuple[str, ...]] = {
    "s3:getobject": ("kms:Decrypt",), "s3:getobjectversion": ("kms:Decrypt",),
    "s3:putobject": ("kms:GenerateDataKey",),
}
# ... and those only some of its requests need: (operation, the requests that need it).
S3_KMS_SOMETIMES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "s3:putobject": (("kms:Decrypt", "multipart uploads (CreateMultipartUpload, UploadPart, "
                                     "CompleteMultipartUpload)"),),
}

# The KMS operations a principal of another account can perform on a key; any other fails across accounts
# whatever the policies say (key-policy-modifying-external-accounts.html). Folded names.
CROSS_ACCOUNT_OPERATIONS = frozenset(f"kms:{op.lower()}" for op in (
    "CreateGrant", "Decrypt", "DeriveSharedSecret", "DescribeKey", "Encrypt", "GenerateDataKey",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac",
    "GetPublicKey", "ReEncryptFrom", "ReEncryptTo", "RetireGrant", "RevokeGrant", "Sign", "Verify", "VerifyMac"))

# Cryptographic operations, which only an enabled key performs (folded).
CRYPTOGRAPHIC_OPERATIONS = frozenset(f"kms:{op.lower()}" for op in (
    "Decrypt", "DeriveSharedSecret", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac", "GenerateRandom",
    "ReEncryptFrom", "ReEncryptTo", "Sign", "Verify", "VerifyMac"))

ENCRYPTION_CONTEXT_S3 = "aws:s3:arn"

# The condition keys a VPC endpoint adds to the requests that come through it (module docstring).
ENDPOINT_KEYS = ("aws:SourceVpce", "aws:SourceVpc", "aws:VpcSourceIp")


def s3_request_context(caller_account: str | None, bucket_region: Any, bucket_arn: str, object_arn: str,
                       bucket_key: bool) -> dict[str, Any]:
    """The condition keys the KMS request that S3 makes for its caller carries (module docstring): values for
    ``Context.of``. The encryption context names the bucket when S3 Bucket Keys are on, else the object."""
    context: dict[str, Any] = {
        "kms:EncryptionContext:" + ENCRYPTION_CONTEXT_S3: bucket_arn if bucket_key else object_arn,
        "kms:EncryptionContextKeys": [ENCRYPTION_CONTEXT_S3],
        "aws:ViaAWSService": "true", "aws:CalledVia": ["s3.amazonaws.com"],
        "aws:CalledViaFirst": "s3.amazonaws.com", "aws:CalledViaLast": "s3.amazonaws.com"}
    context.update(dict.fromkeys(ENDPOINT_KEYS))  # absent (None): S3 calls KMS, not through the caller's endpoint
    if isinstance(bucket_region, str):
        context["kms:ViaService"] = f"s3.{bucket_region}.amazonaws.com"
    if caller_account:
        context["kms:CallerAccount"] = caller_account
    return context


def bucket_key_enabled(encryption: Any) -> bool:
    """Whether the SSE-KMS rule of a bucket's default encryption turns S3 Bucket Keys on."""
    if not isinstance(encryption, Mapping):
        return False
    return any(isinstance(r, Mapping) and r.get("BucketKeyEnabled") is True and isinstance(
        r.get("ApplyServerSideEncryptionByDefault"), Mapping) for r in encryption.get("Rules") or ())


def key_usable(key: KmsKey, action: str) -> tuple[Tri, str | None]:
    """Whether the key's state lets it perform ``action`` (folded): a cryptographic operation needs an enabled
    key. (Tri, why not) with UNKNOWN when the state could not be read."""
    if action not in CRYPTOGRAPHIC_OPERATIONS:
        return _TRUE, None
    if key.state is UNKNOWN:
        return _UNKNOWN, f"the state of KMS key `{key.arn}` is unknown (DescribeKey failed)"
    if key.state != "Enabled":
        return _FALSE, f"KMS key `{key.arn}` is {key.state}: only an enabled key performs cryptographic operations"
    return _TRUE, None


def grantee_matches(grant: KmsGrant, caller) -> tuple[Tri, str]:
    """Whether a grant's grantee is the caller (``principals.Caller``), and how: ``principal`` (the caller
    itself, allowed by the grant alone) or ``account`` (an account, whose IAM policies must then allow)."""
    grantee = grant.grantee
    if caller.is_service:
        return (_TRUE if grantee == caller.service else _FALSE), "principal"
    if caller.arn is None:
        return _FALSE, "principal"
    if grantee in (caller.arn, caller.session_arn):
        return _TRUE, "principal"
    if caller.account and grantee in (caller.account, f"arn:aws:iam::{caller.account}:root"):
        return _TRUE, "account"
    role_session = f"arn:aws:sts::{caller.account}:assumed-role/" if caller.account else None
    if caller.kind == "role" and caller.session_arn is None and role_session and grantee.startswith(
            role_session + caller.arn.rsplit("/", 1)[-1] + "/"):
        return _UNKNOWN, "principal"  # a grant to one session of the role: the caller may be that session
    return _FALSE, "principal"


def grant_covers(grant: KmsGrant, action: str) -> bool:
    """Whether the grant's operations include ``action`` (folded ``kms:...``)."""
    name = action.split(":", 1)[-1]
    return any(op.lower() == name for op in grant.operations)


def constraints_met(grant: KmsGrant, lookup) -> tuple[Tri, tuple[str, ...]]:
    """Whether the request's encryption context meets the grant's constraints: (Tri, the pairs still to hold when
    the context is not known). ``lookup(key)`` is the context's lookup (``Context.lookup``)."""
    if not grant.constraints:
        return _TRUE, ()
    out = _TRUE
    open_pairs: list[str] = []
    for kind, pairs in grant.constraints.items():
        for k, v in pairs.items():
            found = lookup(f"kms:EncryptionContext:{k}")
            if found is UNKNOWN_VALUE:
                out = out & _UNKNOWN
                open_pairs.append(f"{k}={v}")
            elif found is ABSENT or v not in found:
                return _FALSE, ()
        if kind == "EncryptionContextEquals":
            keys = lookup("kms:EncryptionContextKeys")
            if keys is UNKNOWN_VALUE:
                out = out & _UNKNOWN
            elif keys is ABSENT or {x.lower() for x in keys} != {k.lower() for k in pairs}:
                return _FALSE, ()
    return out, tuple(open_pairs)
