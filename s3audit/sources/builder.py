"""Assembling a format-v1 snapshot from IaC resources, with the source position of every object.

The Terraform and CloudFormation readers evaluate their own languages and then describe what they found
to a ``SnapshotBuilder`` in AWS's API shapes (a bucket's ``Encryption``, a role's ``RolePolicyList``).
The builder owns what both share: buckets and IAM entities keyed by name, policy documents decoded into
objects, values unknown until apply turned into the snapshot's "unknown" marks, and the ``locations`` map.

Unknown values (see docs/snapshot-format.md): a bucket value that is unknown is left out and its API is named in the
bucket's ``Errors`` (``{"GetBucketPolicy": "Unknown: ..."}``); an access point's likewise. IAM has no
per-entity errors, so an unknown IAM value is named in the account's ``errors`` under a key starting with
``iam:`` (``iam:Role/deployer/AssumeRolePolicyDocument``), which tells consumers that the account's IAM is
not completely known. Anything that cannot be placed at all (a bucket policy whose bucket is unknown) is
named in the account's ``errors`` under ``<kind>:<resource address>``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from ..errors import InputError, Place
from ..snapshot.compute import KINDS as COMPUTE_KINDS
from .arns import iam_arn, kms_key_ref_arn
from .locations import PointerIndex, Sel
from .unknown_parts import confine, unmark, with_marks
from .values import (Loc, PartialJson, PartialString, PDict, PList, PStr, Unknown, first_unknown,
                     parse_json_with_positions, plain, unknown_like)

DEFAULT_ACCOUNT_ID = "123456789012"
FORMAT = "s3audit.snapshot/v1"

# The API whose response each bucket key holds: an unknown key is reported under its API's name.
BUCKET_API = {
    "Region": "GetBucketLocation", "Policy": "GetBucketPolicy", "Acl": "GetBucketAcl",
    "PublicAccessBlock": "GetPublicAccessBlock", "OwnershipControls": "GetBucketOwnershipControls",
    "Encryption": "GetBucketEncryption", "Versioning": "GetBucketVersioning", "Logging": "GetBucketLogging",
    "Tags": "GetBucketTagging", "Lifecycle": "GetBucketLifecycleConfiguration",
    "ObjectLock": "GetObjectLockConfiguration", "Replication": "GetBucketReplication",
    "Website": "GetBucketWebsite",
}
ACCESS_POINT_API = {"Policy": "GetAccessPointPolicy", "PublicAccessBlock": "GetAccessPoint"}
# The API whose response each KMS key key holds (an unknown key is reported under it, as for buckets).
KMS_KEY_API = {"Policy": "GetKeyPolicy", "Grants": "ListGrants", "KeyRotationEnabled": "GetKeyRotationStatus",
               "KeyState": "DescribeKey", "Enabled": "DescribeKey", "Description": "DescribeKey"}
VPC_ENDPOINT_API = {"PolicyDocument": "DescribeVpcEndpoints"}
# What a managed policy's ARN looks like: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
_POLICY_ARN = re.compile(r"^arn:[a-z0-9-]+:iam::(\d{12}|aws):policy/.+")
# The four Block Public Access settings, as S3's PublicAccessBlockConfiguration names them.
PUBLIC_ACCESS_BLOCK_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def creation_defaults() -> dict:
    """What S3 sets on every bucket it creates today when the request does not say otherwise.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/create-bucket-overview.html (since April 2023 new
    buckets have all four Block Public Access settings on and Object Ownership BucketOwnerEnforced) and
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html (since January 2023
    every bucket has SSE-S3 as its base level of encryption).
    """
    return {
        "PublicAccessBlock": {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                              "RestrictPublicBuckets": True},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "Encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                  "BucketKeyEnabled": False}]},
    }


def apply_creation_defaults(bucket: dict) -> None:
    """Fill what a newly created bucket gets by default, where the change neither sets it nor leaves it unknown."""
    unknown = set(bucket.get("Errors") or {})
    for key, value in creation_defaults().items():
        if key not in bucket and BUCKET_API[key] not in unknown:
            bucket[key] = value


def default_key_policy(account_id: str) -> dict:
    """The key policy KMS gives a key created without one through its API (what Terraform and CloudFormation
    do): the account may use IAM policies to allow every KMS operation on the key.
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"""
    return {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*", "Resource": "*"}]}


def unknown_text(u: Unknown) -> str:
    return f"Unknown: {u.reason}"


def owner_placeholder(account_id: str) -> str:
    """The canonical user id of the bucket owner is not in IaC; this stands for it (never a real id)."""
    return f"<canonical-user-of-{account_id}>"


# Canned ACLs as the grants S3 writes for them.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl
_ALL_USERS = {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}
_AUTH_USERS = {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}
_LOG_DELIVERY = {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"}
# aws-exec-read grants READ to Amazon EC2 (to GET AMI bundles); the canonical id is AWS's, not in IaC.
_EC2 = {"Type": "CanonicalUser", "ID": "<amazon-ec2-aws-exec-read>"}
CANNED_ACL_GRANTS: dict[str, list[tuple[dict, str]]] = {
    "private": [],
    "public-read": [(_ALL_USERS, "READ")],
    "public-read-write": [(_ALL_USERS, "READ"), (_ALL_USERS, "WRITE")],
    "aws-exec-read": [(_EC2, "READ")],
    "authenticated-read": [(_AUTH_USERS, "READ")],
    # Object-only canned ACLs: "If you specify this canned ACL when creating a bucket, Amazon S3 ignores it."
    "bucket-owner-read": [],
    "bucket-owner-full-control": [],
    "log-delivery-write": [(_LOG_DELIVERY, "WRITE"), (_LOG_DELIVERY, "READ_ACP")],
}


def canned_acl(name: str, account_id: str) -> dict | None:
    """The ``GetBucketAcl`` body S3 returns for a bucket given canned ACL ``name``; None if not a canned ACL."""
    extra = CANNED_ACL_GRANTS.get(name)
    if extra is None:
        return None
    owner = {"ID": owner_placeholder(account_id)}
    grants = [{"Grantee": {"Type": "CanonicalUser", **owner}, "Permission": "FULL_CONTROL"}]
    grants += [{"Grantee": dict(g), "Permission": p} for g, p in extra]
    return {"Owner": owner, "Grants": grants}


def access_point_entry(bucket: str, vpc: Any, public_access_block: Any, bucket_account_id: Any) -> dict:
    """An access point's values as ``GetAccessPoint`` shows them. ``vpc`` is its VPC configuration
    (``{"VpcId": ...}``; None or empty for an access point open to the Internet; or Unknown);
    ``public_access_block`` its four settings, or Unknown."""
    entry: dict = {"Bucket": bucket}
    if isinstance(vpc, Unknown):
        entry["VpcConfiguration"] = vpc
    elif vpc:
        entry.update({"NetworkOrigin": "VPC", "VpcConfiguration": vpc})
    else:
        entry["NetworkOrigin"] = "Internet"
    entry["PublicAccessBlock"] = public_access_block
    if isinstance(bucket_account_id, str):
        entry["BucketAccountId"] = bucket_account_id
    return entry


class Policy:
    """A decoded policy document, or the reason it is unknown. ``flagged``: the statements (by index in
    ``doc["Statement"]``) that hold an unknown, with the reason (see unknown_parts.py)."""

    __slots__ = ("doc", "unknown", "flagged")

    def __init__(self, doc: Any = None, unknown: Unknown | None = None, flagged: dict[int, str] | None = None):
        self.doc, self.unknown, self.flagged = doc, unknown, flagged or {}


def decode_policy(value: Any, where: Loc | None, what: str = "policy", fallback_file: str | None = None) -> Policy | None:
    """Turn a policy value (object, JSON text, jsonencode result) into a document; None when absent.

    JSON text that is not valid JSON is an InputError at the position of the text (the provider or
    CloudFormation would reject it at plan/deploy time). A document with unknown parts keeps every statement,
    those holding an unknown flagged with a stand-in (unknown_parts.py); one that cannot be confined is unknown.
    """
    if value is None or value == "":
        return None
    if isinstance(value, PartialJson):
        value = value.value
    elif isinstance(value, PartialString):
        text, unknowns = with_marks(value)
        at = value.pos or where
        try:
            value = unmark(parse_json_with_positions(text, at.file, at.line, at.column) if at else json.loads(text),
                           unknowns)
        except (InputError, ValueError):
            return Policy(unknown=unknown_like(value))  # an interpolation that is not one JSON value: unknown
    if isinstance(value, Unknown):
        return Policy(unknown=value)
    if isinstance(value, PStr) and value.encoded is not None:
        value = value.encoded
    if isinstance(value, str):
        at = value.pos if isinstance(value, PStr) and value.pos else where
        index_loc = value.index_loc if isinstance(value, PStr) else None  # a string literal of a .tf.json file
        text = str(value)
        if index_loc is not None:
            try:
                value = parse_json_with_positions(text, "", index_loc=index_loc)
            except InputError as exc:
                raise InputError(f"{what} is not valid JSON ({exc.message.removeprefix('invalid JSON: ')})",
                                 exc.place) from None
        elif at is None:  # no source position (a plan without its configuration): plain JSON, no positions
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise InputError(f"{what} is not valid JSON ({exc})", Place(fallback_file)) from None
        else:
            try:
                value = parse_json_with_positions(text, at.file, at.line, at.column)
            except InputError as exc:
                if isinstance(value, PStr) and value.pos:
                    raise
                raise InputError(f"{what} is not valid JSON ({exc.message.removeprefix('invalid JSON: ')})",
                                 Place(at.file, at.line, at.column)) from None
    if not isinstance(value, dict):
        place = Place(where.file, where.line, where.column) if where else Place(fallback_file)
        raise InputError(f"{what} must be a JSON object", place)
    if first_unknown(value) is not None:
        confined = confine(value, what)
        if confined.unknown is not None:
            return Policy(unknown=confined.unknown)
        return Policy(doc=_sids_as_text(confined.doc), flagged=confined.flagged)
    return Policy(doc=_sids_as_text(value))


def _sids_as_text(doc: dict) -> dict:
    """A ``Sid`` written as a number (YAML's ``Sid: 1``) as its text: a Sid is a label of letters and digits
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html), and CloudFormation
    deploys such templates; it names a statement and grants nothing."""
    statements = doc.get("Statement")
    for s in statements if isinstance(statements, list) else [statements]:
        if isinstance(s, dict) and isinstance(s.get("Sid"), (int, float)) and not isinstance(s.get("Sid"), bool):
            sid = s["Sid"]
            s["Sid"] = str(int(sid)) if isinstance(sid, float) and sid.is_integer() else str(sid)
    return doc


def set_or_unknown(item: dict, key: str, api: str, value: Any) -> None:
    """Set ``item[key]`` (a bucket's or key's value), or, when an Unknown is anywhere inside the value, drop it and
    name it in the item's ``Errors`` under the API call that would have read it; a known value clears that error."""
    u = first_unknown(value)
    if u is not None:
        item.pop(key, None)
        item.setdefault("Errors", {})[api] = unknown_text(u)
        return
    item[key] = plain(value)
    if item.get("Errors"):
        item["Errors"].pop(api, None)
        if not item["Errors"]:
            del item["Errors"]


class SnapshotBuilder:
    def __init__(self, kind: str, detail: str, account_id: str = DEFAULT_ACCOUNT_ID, file: str | None = None):
        self.kind, self.detail, self.account_id = kind, detail, account_id
        self.file = file  # named in errors about values that have no position of their own
        self.buckets: dict[str, dict] = {}
        self.created_buckets: set[str] = set()
        self.declared_buckets: set[str] = set()
        self.access_points: dict[str, dict] = {}
        self.account_pab: Any = None
        self.account_pab_set = False
        self.roles: dict[str, dict] = {}
        self.users: dict[str, dict] = {}
        self.groups: dict[str, dict] = {}
        self.policies: dict[str, dict] = {}  # by ARN
        self.org_policies: dict[str, dict] = {}  # by Id
        self.kms_keys: dict[str, dict] = {}  # by ARN
        self.vpc_endpoints: dict[str, dict] = {}  # by VpcEndpointId
        self.account_errors: dict[str, str] = {}
        self.org_errors: dict[str, str] = {}
        self._locs: list[tuple[tuple, Loc, bool]] = []
        # While true, what is located is only restated by the input (a plan's no-op entry): a place of last
        # resort for findings (``"restated": true`` in ``locations``; see audit.locate).
        self.restating = False
        self._unread: list[dict] = []
        self._unknown_statements: list[tuple[tuple, str]] = []
        self.regional: dict[tuple[str, str], dict[str, dict]] = {}  # (service, list key) -> id -> item
        self.passwords: dict[str, bool] = {}  # declared users -> whether the change gives them a password

    # -- locations --------------------------------------------------------------------------------------
    def _account(self) -> tuple:
        return ("accounts", Sel("id", self.account_id))

    def locate(self, path: tuple, loc: Loc | None) -> None:
        if loc is not None:
            self._locs.append((path, loc, self.restating))

    def unread(self, what: str, why: str, loc: Loc | None) -> None:
        """Record an input this reader could not read (docs/snapshot-format.md, ``unread``): it becomes an
        INPUT-not-read finding located at ``loc``, so the run is never a silent pass."""
        entry: dict[str, Any] = {"what": what, "why": why}
        if loc is not None:
            entry.update(loc.as_json())
        if entry not in self._unread:
            self._unread.append(entry)

    def locate_policy(self, path: tuple, policy: Policy, loc: Loc | None) -> None:
        """The document's own position (or the attribute's) and each statement's; and the statements that
        hold an unknown (docs/snapshot-format.md, ``unknown_statements``)."""
        doc = policy.doc
        self.locate(path, getattr(doc, "pos", None) or loc)
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        if isinstance(statements, list):
            for i, s in enumerate(statements):
                self.locate(path + ("Statement", i), getattr(s, "pos", None) or loc)
        elif isinstance(statements, dict):
            self.locate(path + ("Statement",), getattr(statements, "pos", None) or loc)
        for i, reason in policy.flagged.items():
            at = path + (("Statement", i) if isinstance(statements, list) else ("Statement",))
            self._unknown_statements.append((at, f"Unknown: {reason}"))

    # -- S3 ---------------------------------------------------------------------------------------------
    def bucket_path(self, name: str) -> tuple:
        return self._account() + ("s3", "buckets", Sel("Name", name))

    def bucket(self, name: str, loc: Loc | None = None, *, created: bool = False, declared: bool = False,
               name_unknown: str | None = None) -> dict:
        """The bucket called ``name``, made on first mention. ``created``: the change creates it; ``declared``: the
        change declares it (a plan's bucket it keeps as it is); a bucket neither created nor declared is only
        named (a bucket policy of a bucket managed elsewhere). ``name_unknown`` says why ``name`` is a placeholder."""
        b = self.buckets.get(name)
        if b is None:
            b = self.buckets[name] = {"Name": name}
        if created or declared:
            self.declared_buckets.add(name)
        if created:
            self.created_buckets.add(name)
        self.locate(self.bucket_path(name), loc)  # where it is declared (created, or kept as it is by a plan)
        if name_unknown:
            b.setdefault("Errors", {})["ListBuckets"] = (
                f"Unknown: {name_unknown}; `{name}` stands for that name")
        return b

    def set_bucket(self, name: str, key: str, value: Any, loc: Loc | None) -> None:
        """Set one bucket value; an Unknown anywhere inside makes the whole value unknown."""
        b = self.bucket(name)
        set_or_unknown(b, key, BUCKET_API.get(key, key), value)
        self.locate(self.bucket_path(name) + (key,), loc)

    def set_bucket_policy(self, name: str, value: Any, loc: Loc) -> None:
        pol = decode_policy(value, loc, "bucket policy", self.file)
        if pol is None:
            return
        if pol.unknown is not None:
            self.set_bucket(name, "Policy", pol.unknown, loc)
            return
        self.set_bucket(name, "Policy", pol.doc, loc)
        self.locate_policy(self.bucket_path(name) + ("Policy",), pol, loc)

    def unplaced(self, address: str, reason: str) -> None:
        self.account_errors[f"{self.kind}:{address}"] = f"Unknown: {reason}"

    def referenced_name(self, address: str, value: Any, attr: str, what: str) -> str | None:
        """The name (of a bucket, a role...) that resource ``address`` gives in ``attr``; None, and the resource
        named unplaced, when it is not known."""
        if isinstance(value, str) and value:
            return str(value)
        reason = value.reason if isinstance(value, Unknown) else f"`{attr}` is not set"
        self.unplaced(address, f"the {what} of `{address}` is not known ({reason})")
        return None

    def access_point(self, name: str, entry: dict, policy: Any, loc: Loc) -> None:
        ap = {"Name": name, **{k: plain(v) for k, v in entry.items() if first_unknown(v) is None}}
        path = self._account() + ("s3", "access_points", Sel("Name", name))
        for k, v in entry.items():
            u = first_unknown(v)
            if u is not None:
                ap.setdefault("Errors", {})[ACCESS_POINT_API.get(k, k)] = unknown_text(u)
        pol = decode_policy(policy, loc, "access point policy", self.file)
        if pol is not None and pol.unknown is not None:
            ap.setdefault("Errors", {})["GetAccessPointPolicy"] = unknown_text(pol.unknown)
        elif pol is not None:
            ap["Policy"] = plain(pol.doc)
            self.locate_policy(path + ("Policy",), pol, loc)
        self.access_points[name] = ap
        self.locate(path, loc)

    def set_account_public_access_block(self, value: Any, loc: Loc) -> None:
        u = first_unknown(value)
        if u is not None:
            self.account_errors["s3control:GetPublicAccessBlock"] = unknown_text(u)
        else:
            self.account_pab = plain(value)
            self.account_pab_set = True
            self.locate(self._account() + ("s3", "public_access_block"), loc)
            # an IaC input says nothing else of the account itself: its findings (account-level Block Public
            # Access) are about this declaration
            self.locate(self._account(), loc)

    # -- IAM --------------------------------------------------------------------------------------------
    def iam_arn(self, kind: str, name: str, path: str | None = "/") -> str:
        return iam_arn(self.account_id, kind, path or "/", name)

    def _entity(self, table: dict, list_key: str, name_key: str, name: str, kind: str, path: str | None,
                loc: Loc | None, arn: str | None = None) -> dict:
        e = table.get(name)
        if e is None:
            e = table[name] = {name_key: name, "Arn": arn or self.iam_arn(kind, name, path), "Path": path or "/"}
        elif path and e.get("Path") != path:
            e["Path"], e["Arn"] = path, arn or self.iam_arn(kind, name, path)
        elif arn:
            e["Arn"] = arn
        self.locate(self._account() + ("iam", list_key, Sel(name_key, name)), loc)
        return e

    def role(self, name: str, path: str | None = "/", loc: Loc | None = None, arn: str | None = None) -> dict:
        return self._entity(self.roles, "RoleDetailList", "RoleName", name, "role", path, loc, arn)

    def user(self, name: str, path: str | None = "/", loc: Loc | None = None, arn: str | None = None) -> dict:
        return self._entity(self.users, "UserDetailList", "UserName", name, "user", path, loc, arn)

    def group(self, name: str, path: str | None = "/", loc: Loc | None = None, arn: str | None = None) -> dict:
        return self._entity(self.groups, "GroupDetailList", "GroupName", name, "group", path, loc, arn)

    _ENTITY = {"role": ("roles", "RoleDetailList", "RoleName", "RolePolicyList", "Role"),
               "user": ("users", "UserDetailList", "UserName", "UserPolicyList", "User"),
               "group": ("groups", "GroupDetailList", "GroupName", "GroupPolicyList", "Group")}

    def _entity_path(self, kind: str, name: str) -> tuple:
        _, list_key, name_key, _, _ = self._ENTITY[kind]
        return self._account() + ("iam", list_key, Sel(name_key, name))

    def trust_policy(self, role_name: str, value: Any, loc: Loc) -> None:
        pol = decode_policy(value, loc, "trust policy", self.file)
        role = self.roles[role_name]
        if pol is None:
            return
        if pol.unknown is not None:
            role.pop("AssumeRolePolicyDocument", None)
            self.account_errors[f"iam:Role/{role_name}/AssumeRolePolicyDocument"] = unknown_text(pol.unknown)
            return
        role["AssumeRolePolicyDocument"] = plain(pol.doc)
        self.locate_policy(self._entity_path("role", role_name) + ("AssumeRolePolicyDocument",), pol, loc)

    def inline_policy(self, kind: str, entity: str, policy_name: str, value: Any, loc: Loc) -> None:
        table_name, _, _, list_key, label = self._ENTITY[kind]
        e = getattr(self, table_name)[entity]
        pol = decode_policy(value, loc, "inline policy", self.file)
        if pol is None:
            return
        items = e.setdefault(list_key, [])
        items[:] = [p for p in items if p.get("PolicyName") != policy_name]
        if pol.unknown is not None:
            self.account_errors[f"iam:{label}/{entity}/{list_key}/{policy_name}"] = unknown_text(pol.unknown)
            return
        items.append({"PolicyName": policy_name, "PolicyDocument": plain(pol.doc)})
        self.locate_policy(self._entity_path(kind, entity) + (list_key, Sel("PolicyName", policy_name),
                                                              "PolicyDocument"), pol, loc)
        self.locate(self._entity_path(kind, entity) + (list_key, Sel("PolicyName", policy_name)), loc)

    def attach(self, kind: str, entity: str, policy_arn: str, loc: Loc | None) -> None:
        if not _POLICY_ARN.match(policy_arn):  # IAM refuses to attach anything else
            raise InputError(f"`{policy_arn[:80]}` is not the ARN of a managed policy (arn:aws:iam::ACCOUNT:policy/NAME)",
                             Place(loc.file, loc.line, loc.column) if loc else Place(self.file))
        table_name = self._ENTITY[kind][0]
        e = getattr(self, table_name)[entity]
        items = e.setdefault("AttachedManagedPolicies", [])
        if not any(p.get("PolicyArn") == policy_arn for p in items):
            items.append({"PolicyName": policy_arn.rsplit("/", 1)[-1], "PolicyArn": policy_arn})
        self.locate(self._entity_path(kind, entity) + ("AttachedManagedPolicies", Sel("PolicyArn", policy_arn)),
                    loc)

    def attach_all(self, kind: str, entity: str, arns: Any, loc: Loc | None) -> None:
        """Attach each managed policy of a list; an unknown list or ARN makes the entity's attachments unknown."""
        if arns is None:
            return
        key = f"iam:{self._ENTITY[kind][4]}/{entity}/AttachedManagedPolicies"
        if isinstance(arns, Unknown):
            self.account_errors[key] = unknown_text(arns)
            return
        for arn in arns:
            if isinstance(arn, Unknown):
                self.account_errors[key] = unknown_text(arn)
            elif arn is not None:  # null names no policy (as a null role name names no role)
                self.attach(kind, entity, str(arn), loc)

    def mention(self, kind: str, name: str) -> None:
        """An entity the input refers to but may not define (managed elsewhere): a partial entry, which the
        overlay merges with the live one."""
        if name not in getattr(self, self._ENTITY[kind][0]):
            getattr(self, kind)(name)

    def boundary(self, kind: str, entity: str, arn: Any, loc: Loc | None) -> None:
        if arn is None or arn == "":
            return
        table_name, _, _, _, label = self._ENTITY[kind]
        e = getattr(self, table_name)[entity]
        if isinstance(arn, Unknown):
            self.account_errors[f"iam:{label}/{entity}/PermissionsBoundary"] = unknown_text(arn)
            return
        e["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": str(arn)}
        self.locate(self._entity_path(kind, entity) + ("PermissionsBoundary",), loc)

    def tags(self, kind: str, entity: str, tags: Any) -> None:
        if not tags or first_unknown(tags) is not None or not isinstance(tags, dict):
            return
        e = getattr(self, self._ENTITY[kind][0])[entity]
        e["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]

    def add_to_group(self, user: str, group: str, loc: Loc | None) -> None:
        u = self.users.get(user) or self.user(user)
        groups = u.setdefault("GroupList", [])
        if group not in groups:
            groups.append(group)
        self.locate(self._entity_path("user", user) + ("GroupList",), loc)

    def managed_policy(self, arn: str, name: str, path: str | None, value: Any, loc: Loc) -> None:
        entry = {"PolicyName": name, "Arn": arn, "Path": path or "/", "DefaultVersionId": "v1",
                 "IsAttachable": True}
        base = self._account() + ("iam", "Policies", Sel("Arn", arn))
        pol = decode_policy(value, loc, "managed policy", self.file)
        if pol is not None and pol.unknown is not None:
            self.account_errors[f"iam:Policy/{arn}/Document"] = unknown_text(pol.unknown)
            entry["PolicyVersionList"] = []
        elif pol is not None:
            entry["PolicyVersionList"] = [{"Document": plain(pol.doc), "VersionId": "v1",
                                           "IsDefaultVersion": True}]
            self.locate_policy(base + ("PolicyVersionList", Sel("VersionId", "v1"), "Document"), pol, loc)
        self.policies[arn] = entry
        self.locate(base, loc)

    # -- compute and the credential report (docs/snapshot-format.md, "Compute") -------------------------
    def regional_item(self, section: tuple[str, str], key: str, entry: dict, region: Any, loc: Loc | None) -> None:
        """One item of a regional section (``("lambda", "functions")``...), in AWS's shape, identified by
        ``entry[key]``: a value unknown until apply is left out and named in the item's ``Errors``, so that
        consumers treat it as unknown; ``Region`` is where it is created (the provider's, or the template's)."""
        item: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for k, v in {**entry, "Region": region}.items():
            if v is None or v == "":
                continue
            u = first_unknown(v)
            if u is not None:
                errors[k] = unknown_text(u)
            else:
                item[k] = plain(v)
        if errors:
            item["Errors"] = errors
        ident = str(entry[key])
        self.regional.setdefault(section, {})[ident] = item
        self.locate(self._account() + section + (Sel(key, ident),), loc)

    def password(self, user: str, given: bool) -> None:
        """A declared user, and whether the change gives it a console password (a login profile)."""
        self.passwords[user] = given or self.passwords.get(user, False)

    def instance_profile(self, arn: str, name: str, path: str | None, roles: list[str], loc: Loc | None) -> None:
        """An instance profile holding ``roles``, as GetAccountAuthorizationDetails lists it in each role's
        ``InstanceProfileList``."""
        for role in roles:
            r = self.roles.get(role) or self.role(role)
            profiles = r.setdefault("InstanceProfileList", [])
            profiles[:] = [x for x in profiles if x.get("Arn") != arn]
            profiles.append({"InstanceProfileName": name, "Path": path or "/", "Arn": arn})
            self.locate(self._entity_path("role", role) + ("InstanceProfileList", Sel("Arn", arn)), loc)

    # -- KMS keys and VPC endpoints ---------------------------------------------------------------------
    def kms_key_arn(self, ref: str, region: Any) -> str | None:
        """A key named by ARN or by key id, as its ARN; None for a key id when the region is not known."""
        if ref.startswith("arn:"):
            return ref
        return kms_key_ref_arn(ref, region, self.account_id) if isinstance(region, str) else None

    def _key_path(self, arn: str) -> tuple:
        return self._account() + ("kms", "keys", Sel("Arn", arn))

    def kms_key(self, arn: str, loc: Loc | None = None, *, created: dict | None = None) -> dict:
        """The key with ``arn``, made on first mention (a key the change refers to: what it does not set is
        unknown). ``created``: the change creates it, with these values (``KeyManager``, ``KeyState``, ``Policy``,
        ``KeyRotationEnabled`` ...); a key KMS creates has no grants."""
        k = self.kms_keys.get(arn)
        if k is None:
            key_id = arn.rsplit("/", 1)[-1]
            region = arn.split(":")[3]
            k = self.kms_keys[arn] = {"KeyId": key_id, "Arn": arn, "AWSAccountId": arn.split(":")[4],
                                      **({"Region": region} if region and region != "*" else {})}
        if created is not None:
            k.setdefault("Grants", [])
            for key, value in created.items():
                if key == "Policy":
                    self.set_kms_key_policy(arn, value, loc)
                else:
                    self.set_kms_key(arn, key, value, loc)
            self.locate(self._key_path(arn), loc)
        return k

    def set_kms_key(self, arn: str, key: str, value: Any, loc: Loc | None) -> None:
        """Set one key value; an Unknown anywhere inside makes it unknown (named in the key's ``Errors``)."""
        set_or_unknown(self.kms_key(arn), key, KMS_KEY_API.get(key, key), value)
        self.locate(self._key_path(arn) + (key,), loc)

    def forget_locations(self, path: tuple) -> None:
        """Drop the positions recorded for ``path`` and below: a value set again (a key's default policy replaced
        by an ``aws_kms_key_policy``) is where it was set last."""
        n = len(path)
        self._locs = [x for x in self._locs if x[0][:n] != path]
        self._unknown_statements = [x for x in self._unknown_statements if x[0][:n] != path]

    def set_kms_key_policy(self, arn: str, value: Any, loc: Loc | None) -> None:
        pol = decode_policy(value, loc, "key policy", self.file)
        if pol is None:
            return
        self.forget_locations(self._key_path(arn) + ("Policy",))
        if pol.unknown is not None:
            self.set_kms_key(arn, "Policy", pol.unknown, loc)
            return
        self.set_kms_key(arn, "Policy", pol.doc, loc)
        self.locate_policy(self._key_path(arn) + ("Policy",), pol, loc)

    def kms_alias(self, arn: str, alias: dict, loc: Loc | None) -> None:
        """Give key ``arn`` an alias (``{"AliasName", "AliasArn"?}``); an alias names one key, so it leaves any
        other key of the change."""
        for other in self.kms_keys.values():
            other["Aliases"] = [a for a in other.get("Aliases", []) if a.get("AliasName") != alias["AliasName"]]
            if not other["Aliases"]:
                del other["Aliases"]
        k = self.kms_key(arn)
        k.setdefault("Aliases", []).append({**alias, "TargetKeyId": k["KeyId"]})
        self.locate(self._key_path(arn) + ("Aliases",), loc)

    def kms_grant(self, arn: str, grant: dict, loc: Loc | None) -> None:
        """Add a grant (``ListGrants``' shape) to key ``arn``; an Unknown inside makes the key's grants unknown."""
        k = self.kms_key(arn)
        u = first_unknown(grant)
        if u is not None:
            k.pop("Grants", None)
            k.setdefault("Errors", {})["ListGrants"] = unknown_text(u)
        elif "ListGrants" not in (k.get("Errors") or {}):
            k.setdefault("Grants", []).append(plain(grant))
        self.locate(self._key_path(arn) + ("Grants",), loc)

    def vpc_endpoint(self, endpoint_id: str, entry: dict, loc: Loc | None) -> dict:
        """The VPC endpoint ``endpoint_id`` with ``entry``'s values (``DescribeVpcEndpoints``' shape); an unknown
        value is left out, and an unknown policy named in the endpoint's ``Errors``."""
        path = self._account() + ("ec2", "vpc_endpoints", Sel("VpcEndpointId", endpoint_id))
        e = self.vpc_endpoints.setdefault(endpoint_id, {"VpcEndpointId": endpoint_id})
        for key, value in entry.items():
            if key == "PolicyDocument":
                self.set_vpc_endpoint_policy(endpoint_id, value, loc)
            elif first_unknown(value) is None and value is not None:
                e[key] = plain(value)
        self.locate(path, loc)
        return e

    def set_vpc_endpoint_policy(self, endpoint_id: str, value: Any, loc: Loc | None) -> None:
        e = self.vpc_endpoints.setdefault(endpoint_id, {"VpcEndpointId": endpoint_id})
        path = self._account() + ("ec2", "vpc_endpoints", Sel("VpcEndpointId", endpoint_id), "PolicyDocument")
        pol = decode_policy(value, loc, "VPC endpoint policy", self.file)
        if pol is None:
            return
        self.forget_locations(path)
        if pol.unknown is not None:
            e.pop("PolicyDocument", None)
            e.setdefault("Errors", {})["DescribeVpcEndpoints"] = unknown_text(pol.unknown)
            return
        e["PolicyDocument"] = plain(pol.doc)
        (e.get("Errors") or {}).pop("DescribeVpcEndpoints", None)
        if "Errors" in e and not e["Errors"]:
            del e["Errors"]
        self.locate_policy(path, pol, loc)

    # -- Organizations ----------------------------------------------------------------------------------
    def org_policy(self, policy_id: str, name: str, ptype: str, value: Any, loc: Loc) -> None:
        what = "resource control policy" if ptype == "RESOURCE_CONTROL_POLICY" else "service control policy"
        pol = decode_policy(value, loc, what, self.file)
        path = ("organization", "policies", Sel("Id", policy_id))
        entry = self.org_policies.setdefault(policy_id, {"Id": policy_id, "Targets": []})
        entry.update({"Name": name, "Type": ptype})
        if pol is None or pol.unknown is not None:
            reason = pol.unknown.reason if pol is not None else "the policy has no content"
            self.org_errors[f"organizations:DescribePolicy/{policy_id}"] = f"Unknown: {reason}"
            entry["Document"] = {}
        else:
            entry["Document"] = plain(pol.doc)
            self.locate_policy(path + ("Document",), pol, loc)
        self.locate(path, loc)

    def org_attach(self, policy_id: str, target: str, loc: Loc | None) -> None:
        entry = self.org_policies.setdefault(policy_id, {"Id": policy_id, "Targets": []})
        if target not in entry["Targets"]:
            entry["Targets"].append(target)
        self.locate(("organization", "policies", Sel("Id", policy_id), "Targets"), loc)

    # -- result -----------------------------------------------------------------------------------------
    def finish(self, *, taken_at: str | None = None) -> dict:
        """The snapshot (with ``locations``), without creation defaults (see ``apply_creation_defaults``)."""
        iam: dict[str, Any] = {}
        if self.users:
            iam["UserDetailList"] = list(self.users.values())
        if self.groups:
            iam["GroupDetailList"] = list(self.groups.values())
        if self.roles:
            iam["RoleDetailList"] = list(self.roles.values())
        if self.policies:
            iam["Policies"] = list(self.policies.values())
        s3: dict[str, Any] = {}
        if self.account_pab_set:
            s3["public_access_block"] = self.account_pab
        s3["buckets"] = list(self.buckets.values())
        if self.access_points:
            s3["access_points"] = list(self.access_points.values())
        account: dict[str, Any] = {"id": self.account_id, "iam": iam, "s3": s3}
        for (service, key), items in self.regional.items():
            account.setdefault(service, {})[key] = list(items.values())
        # A change describes what it declares, as for IAM entities: every compute section the readers map is
        # written, empty when none is declared, so that it does not read as "not collected". SSM's inventory is
        # not: whether SSM manages an instance is known only once it runs (docs/snapshot-format.md, "Compute").
        for kind in COMPUTE_KINDS:
            account.setdefault(kind.section[0], {}).setdefault(kind.section[1], [])
        if self.passwords:
            account["credential_report"] = [
                {"user": u, "arn": (self.users.get(u) or {}).get("Arn") or self.iam_arn("user", u),
                 "password_enabled": "true" if given else "false"} for u, given in self.passwords.items()]
        if self.kms_keys:
            account["kms"] = {"keys": list(self.kms_keys.values())}
        if self.vpc_endpoints:
            account.setdefault("ec2", {})["vpc_endpoints"] = list(self.vpc_endpoints.values())
        if self.account_errors:
            account["errors"] = dict(sorted(self.account_errors.items()))
        snap: dict[str, Any] = {
            "format": FORMAT,
            "taken_at": taken_at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source": {"kind": self.kind, "detail": self.detail},
        }
        if self.org_policies or self.org_errors:
            org: dict[str, Any] = {"policies": [p for p in self.org_policies.values() if "Document" in p]}
            dangling = [p for p in self.org_policies.values() if "Document" not in p]
            for p in dangling:  # attached here, defined elsewhere: not ours to describe
                self.org_errors.setdefault(f"organizations:DescribePolicy/{p['Id']}",
                                           "Unknown: the policy is attached here but defined elsewhere")
            if self.org_errors:
                org["errors"] = dict(sorted(self.org_errors.items()))
            snap["organization"] = org
        snap["accounts"] = [account]
        snap["locations"] = resolve_locations(snap, self._locs)
        if self._unknown_statements:
            flagged = resolve_pointers(snap, self._unknown_statements)
            if flagged:
                snap["unknown_statements"] = flagged
        if self._unread:
            snap["unread"] = list(self._unread)
        return snap


@dataclass
class IacPart:
    """What one IaC input yields: its snapshot (without creation defaults), the buckets it creates, what it
    destroys (``removals.Removal``; only a Terraform plan says that), and the buckets it declares without
    creating them (a plan's existing buckets)."""

    snapshot: dict
    created_buckets: set[str]
    removals: list = field(default_factory=list)
    declared_buckets: set[str] = field(default_factory=set)


# What a change alone does not say (docs/iac.md, "What the input does not set"): unknown, never "off".
NOT_IN_ACCOUNT = ("Unknown: the input does not declare the account's Block Public Access settings (Terraform "
                  "`aws_s3_account_public_access_block`); check the change against the live estate (--live)")
NOT_IN_BUCKET = ("Unknown: the input names this bucket but does not declare it (it is managed elsewhere); check the "
                 "change against the live estate (--live)")


def unknown_where_undeclared(snapshot: dict, declared_buckets: set[str], accounts: set[str] | None = None) -> None:
    """Mark as unknown what a change read on its own does not set: the Block Public Access settings of each
    account (of ``accounts``, when given) that the change does not declare, and every setting of a bucket the
    change only names. A value no input sets is unknown, not off: rules then judge only what the files can set."""
    for acct in snapshot.get("accounts") or []:
        if accounts is not None and acct.get("id") not in accounts:
            continue
        s3 = acct.setdefault("s3", {})
        errors = acct.get("errors") or {}
        if "public_access_block" not in s3 and not any("PublicAccessBlock" in k for k in errors):
            acct.setdefault("errors", {})["s3control:GetPublicAccessBlock"] = NOT_IN_ACCOUNT
        for b in s3.get("buckets") or []:
            if b.get("Name") in declared_buckets:
                continue
            unknown = b.setdefault("Errors", {})
            for key, api in BUCKET_API.items():
                if key not in b and api not in unknown:
                    unknown[api] = NOT_IN_BUCKET


def note_unknown_managed_policies(builder: SnapshotBuilder) -> None:
    """Policies attached here but defined elsewhere (AWS managed ones, say): their documents are unknown."""
    for table in (builder.roles, builder.users, builder.groups):
        for e in table.values():
            for p in e.get("AttachedManagedPolicies", []):
                arn = p["PolicyArn"]
                if arn not in builder.policies:
                    builder.account_errors.setdefault(
                        f"iam:Policy/{arn}/Document",
                        f"Unknown: the document of managed policy `{arn}` is not in this input")


def resolve_locations(snap: dict, locs: Iterable[tuple[tuple, Loc, bool]]) -> dict:
    """Logical paths -> JSON pointers of ``snap``; the first position given for a pointer wins, one that is
    only restated (``"restated": true``) losing to any other."""
    ordered = sorted(locs, key=lambda x: x[2])  # stable: restated ones last
    return resolve_pointers(snap, ((path, {**loc.as_json(), "restated": True} if restated else loc.as_json())
                                   for path, loc, restated in ordered))


def resolve_pointers(snap: dict, items: Iterable[tuple[tuple, Any]]) -> dict:
    """(logical path, value) pairs -> {JSON pointer of ``snap``: value}, in pointer order; the first value given
    for a pointer wins, and a path ``snap`` does not have is left out."""
    out: dict[str, Any] = {}
    index = PointerIndex(snap)
    for path, value in items:
        pointer = index.pointer(path)
        if pointer is not None and pointer not in out:
            out[pointer] = value
    return dict(sorted(out.items(), key=lambda kv: _pointer_key(kv[0])))


def _pointer_key(pointer: str) -> list:
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in pointer.split("/")]


def dumps(snapshot: dict) -> str:
    return json.dumps(snapshot, indent=2, sort_keys=False) + "\n"


__all__ = ["SnapshotBuilder", "decode_policy", "apply_creation_defaults", "creation_defaults", "canned_acl",
           "DEFAULT_ACCOUNT_ID", "Policy", "PDict", "PList"]
