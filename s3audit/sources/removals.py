"""What a change destroys: removals, kept apart from the snapshot and applied by the overlay (pure).

A format-v1 snapshot says what exists; it has no way to say "this is gone", and adding one would make
other readers of the format take a deletion for an object. So the Terraform plan reader returns the
objects a plan destroys as a list of ``Removal`` next to its snapshot, and ``overlay.merge`` takes them
out of the live estate before it applies what the change declares (a replacement, ``["delete",
"create"]`` or ``["create", "delete"]``, is a removal of the ``before`` object followed by the creation of
the ``after`` one). Without a live estate there is nothing to remove from, and removals are ignored.

Granularity follows the resource that is destroyed, as the AWS provider's delete does:

* ``bucket``: the bucket (``aws_s3_bucket``).
* ``bucket-setting``: one bucket value (``Removal.detail`` is the snapshot key). ``Policy``,
  ``PublicAccessBlock``, ``OwnershipControls``, ``Lifecycle``, ``Replication``, ``Website``, ``Logging``:
  gone (not configured). ``Encryption``: back to SSE-S3, which DeleteBucketEncryption restores
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketEncryption.html). ``Versioning``:
  suspended if the bucket was ever versioned, else unchanged (the provider's aws_s3_bucket_versioning
  delete). ``ObjectLock``: the default retention rule goes; Object Lock itself cannot be turned off.
  ``aws_s3_bucket_acl`` has no removal: the provider's delete leaves the ACL as it is.
* ``account-public-access-block``: the account's Block Public Access (``null`` afterwards).
* ``access-point`` / ``access-point-policy``: an access point, or only its policy.
* ``entity``: a role, user or group (``Removal.entity``) with everything hanging on it: its trust,
  inline policies and attachments; a group also leaves its users' group lists.
* ``inline-policy``: one inline policy (``detail``: its name) of an entity.
* ``attachment``: one managed policy (``detail``: its ARN) detached from an entity.
* ``membership``: a user (``name``) leaves a group (``detail``).
* ``managed-policy``: a managed policy (``name``: its ARN), detached from every entity (IAM deletes only
  a policy attached to nothing, https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html).
* ``org-policy``: an SCP or RCP (``name``: its id), detached from every target.
* ``org-attachment``: an SCP or RCP (``name``) detached from one root, unit or account (``detail``).

Removing what the live snapshot does not have is a no-op, not an error (the live estate may lag or lead
the plan's state).

Each removal carries where the destroyed resource is declared (``location``: file, line, column) so that a
finding it introduces or fixes can be placed: see ``RemovalLocator``.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .builder import BUCKET_API

KINDS = ("bucket", "bucket-setting", "account-public-access-block", "access-point", "access-point-policy", "entity",
         "inline-policy", "attachment", "membership", "managed-policy", "org-policy", "org-attachment")

# entity kind -> (snapshot list, name key, inline policy list, label in account error keys)
ENTITIES = {"role": ("RoleDetailList", "RoleName", "RolePolicyList", "Role"),
            "user": ("UserDetailList", "UserName", "UserPolicyList", "User"),
            "group": ("GroupDetailList", "GroupName", "GroupPolicyList", "Group")}

# Bucket keys a removal can take: the first seven are left "not configured"; Encryption, Versioning and
# ObjectLock fall back to what their delete leaves (see the module docstring).
BUCKET_SETTINGS = ("Policy", "PublicAccessBlock", "OwnershipControls", "Lifecycle", "Replication", "Website",
                   "Logging", "Encryption", "Versioning", "ObjectLock")

# What S3 reports for a bucket whose default encryption was deleted (DeleteBucketEncryption).
SSE_S3 = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}


@dataclass(frozen=True)
class Removal:
    """One object a change destroys, named the way the snapshot names it (see the module docstring)."""

    kind: str
    name: str  # bucket, entity, access point name; managed policy ARN; org policy id; "" for the account BPA
    account: str | None = None  # the account it is in; None for organization objects
    detail: str | None = None  # bucket key, inline policy name, attached policy ARN, group, SCP target
    entity: str | None = None  # role | user | group, for entity, inline-policy and attachment
    address: str = ""  # the resource that is destroyed (a Terraform address)
    location: Mapping[str, Any] | None = field(default=None, compare=False)  # {"file", "line", "column"}

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown removal kind {self.kind!r}")
        if self.kind == "bucket-setting" and self.detail not in BUCKET_SETTINGS:
            raise ValueError(f"a removal cannot take a bucket's {self.detail!r}")


# --- applying removals to a snapshot document ------------------------------------------------------------

def apply_removals(doc: dict, removals: Iterable[Removal]) -> None:
    """Take ``removals`` out of ``doc`` in place (a snapshot document; see the module docstring)."""
    for r in removals:
        _APPLY[r.kind](doc, r)


def _accounts(doc: dict, r: Removal) -> list[dict]:
    """The account the removal names, first; bucket names are global, so the others after it."""
    accounts = [a for a in doc.get("accounts") or [] if isinstance(a, dict)]
    return sorted(accounts, key=lambda a: a.get("id") != r.account)


def _account(doc: dict, r: Removal) -> dict | None:
    return next((a for a in doc.get("accounts") or [] if isinstance(a, dict) and a.get("id") == r.account), None)


def _find_bucket(doc: dict, r: Removal) -> tuple[dict, dict] | None:
    for acct in _accounts(doc, r):
        for b in (acct.get("s3") or {}).get("buckets") or []:
            if b.get("Name") == r.name:
                return acct, b
    return None


def _bucket(doc: dict, r: Removal) -> None:
    found = _find_bucket(doc, r)
    if found:
        acct, b = found
        acct["s3"]["buckets"] = [x for x in acct["s3"]["buckets"] if x is not b]


def _bucket_setting(doc: dict, r: Removal) -> None:
    found = _find_bucket(doc, r)
    if not found:
        return
    b, key = found[1], r.detail
    errors = b.get("Errors") or {}
    if key == "Versioning":
        if BUCKET_API[key] in errors:
            # Unknown before; the provider suspends versioning only on a bucket that has it, so unknown after too.
            return
        status = (b.get("Versioning") or {}).get("Status")
        if status in ("Enabled", "Suspended"):
            b["Versioning"] = {**b["Versioning"], "Status": "Suspended"}
        return
    if key == "Encryption":
        b["Encryption"] = copy.deepcopy(SSE_S3)
    elif key == "ObjectLock":
        if BUCKET_API[key] in errors:
            return  # whether Object Lock is enabled is unknown, and deleting the rule does not tell
        lock = b.get("ObjectLock")
        if isinstance(lock, dict):
            b["ObjectLock"] = {k: v for k, v in lock.items() if k != "Rule"}
        return
    else:
        b.pop(key, None)
    errors.pop(BUCKET_API.get(key, key), None)
    if "Errors" in b and not errors:
        del b["Errors"]


def _account_pab(doc: dict, r: Removal) -> None:
    acct = _account(doc, r)
    if acct is None:
        return
    s3 = acct.setdefault("s3", {})
    s3["public_access_block"] = None
    _drop_errors(acct, lambda k: k == "s3control:GetPublicAccessBlock")


def _access_point(doc: dict, r: Removal) -> None:
    acct = _account(doc, r)
    if acct is None:
        return
    s3 = acct.get("s3") or {}
    if s3.get("access_points"):
        s3["access_points"] = [ap for ap in s3["access_points"] if ap.get("Name") != r.name]


def _access_point_policy(doc: dict, r: Removal) -> None:
    acct = _account(doc, r)
    for ap in ((acct or {}).get("s3") or {}).get("access_points") or []:
        if ap.get("Name") == r.name:
            ap.pop("Policy", None)
            if ap.get("Errors"):
                ap["Errors"].pop("GetAccessPointPolicy", None)
                if not ap["Errors"]:
                    del ap["Errors"]


def _entity_of(doc: dict, r: Removal) -> tuple[dict, dict] | None:
    acct = _account(doc, r)
    if acct is None:
        return None
    list_key, name_key, _, _ = ENTITIES[r.entity]
    for e in (acct.get("iam") or {}).get(list_key) or []:
        if e.get(name_key) == r.name:
            return acct, e
    return None


def _entity(doc: dict, r: Removal) -> None:
    found = _entity_of(doc, r)
    if not found:
        return
    acct, e = found
    list_key, _, _, label = ENTITIES[r.entity]
    acct["iam"][list_key] = [x for x in acct["iam"][list_key] if x is not e]
    if r.entity == "group":
        for u in acct["iam"].get("UserDetailList") or []:
            if r.name in (u.get("GroupList") or []):
                u["GroupList"] = [g for g in u["GroupList"] if g != r.name]
    _drop_errors(acct, lambda k: k.startswith(f"iam:{label}/{r.name}/"))


def _inline_policy(doc: dict, r: Removal) -> None:
    found = _entity_of(doc, r)
    if not found:
        return
    acct, e = found
    _, _, inline_key, label = ENTITIES[r.entity]
    if inline_key in e:
        e[inline_key] = [p for p in e[inline_key] or [] if p.get("PolicyName") != r.detail]
    _drop_errors(acct, lambda k: k == f"iam:{label}/{r.name}/{inline_key}/{r.detail}")


def _attachment(doc: dict, r: Removal) -> None:
    found = _entity_of(doc, r)
    if found and "AttachedManagedPolicies" in found[1]:
        e = found[1]
        e["AttachedManagedPolicies"] = [p for p in e["AttachedManagedPolicies"] or [] if p.get("PolicyArn") != r.detail]


def _membership(doc: dict, r: Removal) -> None:
    found = _entity_of(doc, Removal("entity", r.name, r.account, entity="user"))
    if found and r.detail in (found[1].get("GroupList") or []):
        found[1]["GroupList"] = [g for g in found[1]["GroupList"] if g != r.detail]


def _managed_policy(doc: dict, r: Removal) -> None:
    # A customer managed policy's ARN names its account; AWS managed ones (account "aws") are not deleted.
    parts = r.name.split(":")
    owner = parts[4] if len(parts) > 5 else r.account
    for acct in doc.get("accounts") or []:
        if acct.get("id") != owner:
            continue
        iam = acct.get("iam") or {}
        if iam.get("Policies"):
            iam["Policies"] = [p for p in iam["Policies"] if p.get("Arn") != r.name]
        for list_key, _, _, _ in ENTITIES.values():
            for e in iam.get(list_key) or []:
                attached = e.get("AttachedManagedPolicies")
                if attached:
                    e["AttachedManagedPolicies"] = [p for p in attached if p.get("PolicyArn") != r.name]
        _drop_errors(acct, lambda k: k == f"iam:Policy/{r.name}/Document")


def _org_policy(doc: dict, r: Removal) -> None:
    org = doc.get("organization")
    if isinstance(org, dict) and org.get("policies"):
        org["policies"] = [p for p in org["policies"] if p.get("Id") != r.name]


def _org_attachment(doc: dict, r: Removal) -> None:
    org = doc.get("organization")
    policies = (org.get("policies") or []) if isinstance(org, dict) else []
    for p in policies:
        if p.get("Id") == r.name and r.detail in (p.get("Targets") or []):
            p["Targets"] = [t for t in p["Targets"] if t != r.detail]


def _drop_errors(acct: dict, which) -> None:
    errors = acct.get("errors")
    if not errors:
        return
    for k in [k for k in errors if which(k)]:
        del errors[k]
    if not errors:
        del acct["errors"]


_APPLY = {"bucket": _bucket, "bucket-setting": _bucket_setting, "account-public-access-block": _account_pab,
          "access-point": _access_point, "access-point-policy": _access_point_policy, "entity": _entity,
          "inline-policy": _inline_policy, "attachment": _attachment, "membership": _membership,
          "managed-policy": _managed_policy, "org-policy": _org_policy, "org-attachment": _org_attachment}


# --- placing findings on the removals that explain them ---------------------------------------------------

_ARN = re.compile(r"^arn:aws[a-z-]*:(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.+)$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


class RemovalLocator:
    """Which removal explains a finding that the change introduces or fixes, when nothing the change declares
    does (a bucket exposed because its public access block is destroyed has no line in the new
    configuration; a path closed because a role is destroyed is reported on the live snapshot).

    A finding and a removal meet on the objects they name: the finding's subject and every ARN, bucket
    and JSON pointer in its evidence, against the object the removal takes away (a bucket, an entity, a
    policy...; a destroyed managed policy also names the entities it was attached to). Failing that, on
    the account: the account's Block Public Access and organization policies govern everything in the
    accounts they cover. Within a tier the removal that shares the most objects with the finding wins (a
    path through alice that the change closes belongs to alice's membership rather than to another of the
    same group), then the first in the order the change lists them.
    """

    def __init__(self, removals: Iterable[Removal], base: dict):
        self.removals = [r for r in removals if r.location is not None]
        self._scope = [(r, self._keys(r, base), self._accounts(r, base)) for r in self.removals]

    def location_for(self, finding, doc: dict) -> Mapping[str, Any] | None:
        """The location of the removal that explains ``finding`` (evaluated on ``doc``), or None."""
        if not self._scope:
            return None
        keys = finding_keys(finding, doc)
        objects = {k for k in keys if k[0] not in ("account", "in-account")}
        named_accounts = {k for k in keys if k[0] == "account"}
        accounts = {k[1] for k in keys if k[0] in ("role", "user", "group", "access-point", "in-account", "account")}
        for tier in (objects, named_accounts):  # an object before an account named in passing
            best = max(self._scope, key=lambda s: len(s[1] & tier))  # the first of the most shared objects
            if best[1] & tier:
                return best[0].location
        for r, _, raccounts in self._scope:
            if raccounts & accounts:
                return r.location
        return None

    @staticmethod
    def _keys(r: Removal, base: dict) -> set[tuple]:
        if r.kind in ("bucket", "bucket-setting"):
            return {("bucket", r.name)}
        if r.kind == "account-public-access-block":
            return {("account", r.account)}
        if r.kind in ("access-point", "access-point-policy"):
            return {("access-point", r.account, r.name)}
        if r.kind in ("entity", "inline-policy"):
            return {(r.entity, r.account, r.name)}
        if r.kind == "attachment":
            return {(r.entity, r.account, r.name), ("policy", r.detail)}
        if r.kind == "membership":
            return {("user", r.account, r.name), ("group", r.account, r.detail)}
        if r.kind == "managed-policy":
            keys = {("policy", r.name)}
            for acct in base.get("accounts") or []:
                for kind, (list_key, name_key, _, _) in ENTITIES.items():
                    for e in (acct.get("iam") or {}).get(list_key) or []:
                        if any(p.get("PolicyArn") == r.name for p in e.get("AttachedManagedPolicies") or []):
                            keys.add((kind, acct.get("id"), e.get(name_key)))
            return keys
        return {("org-policy", r.name)}  # org-policy, org-attachment

    @staticmethod
    def _accounts(r: Removal, base: dict) -> set[str]:
        if r.kind == "account-public-access-block":
            return {r.account} if r.account else set()
        if r.kind not in ("org-policy", "org-attachment"):
            return set()
        org = base.get("organization") if isinstance(base.get("organization"), dict) else {}
        if r.kind == "org-attachment":
            targets = [r.detail]
        else:
            targets = next((p.get("Targets") or [] for p in org.get("policies") or [] if p.get("Id") == r.name), [])
        return accounts_under(org, targets)


def accounts_under(org: dict, targets: Iterable[str]) -> set[str]:
    """The member accounts an organization policy attached to ``targets`` (roots, units, accounts) covers."""
    targets = set(targets)
    parents = {x.get("Id"): x.get("Parent") for x in (org.get("units") or []) + (org.get("accounts") or [])
               if isinstance(x, dict)}
    out = set()
    for acct in org.get("accounts") or []:
        node, seen = acct.get("Id"), set()
        while node is not None and node not in seen:
            if node in targets:
                out.add(acct.get("Id"))
                break
            seen.add(node)
            node = parents.get(node)
    return out


def finding_keys(finding, doc: dict) -> set[tuple]:
    """The objects a finding names (its subject, the ARNs, buckets and pointers in its evidence) as keys:
    ``("bucket", name)``, ``("role"|"user"|"group", account, name)``, ``("policy", arn)``,
    ``("access-point", account, name)``, ``("org-policy", id)``, ``("account", id)``, and
    ``("in-account", id)`` for the account something else named is in."""
    from .locations import Sel, to_logical
    buckets = {b.get("Name"): a.get("id") for a in doc.get("accounts") or []
               for b in (a.get("s3") or {}).get("buckets") or []}
    keys: set[tuple] = set()

    def text(value: str) -> None:
        keys.update(_text_keys(value, buckets))

    def pointer(value: str) -> None:
        path = to_logical(doc, value)
        if not path or len(path) < 2:
            return
        if path[0] == "organization" and len(path) >= 3 and path[1] == "policies" and isinstance(path[2], Sel):
            keys.add(("org-policy", path[2].value))
            return
        if path[0] != "accounts" or not isinstance(path[1], Sel):
            return
        account = path[1].value
        if len(path) == 2:
            keys.add(("account", account))
            return
        keys.add(("in-account", account))
        if len(path) >= 5 and isinstance(path[4], Sel):
            section, table, sel = path[2], path[3], path[4]
            if (section, table) == ("s3", "buckets"):
                keys.add(("bucket", sel.value))
            elif (section, table) == ("s3", "access_points"):
                keys.add(("access-point", account, sel.value))
            elif section == "iam" and table == "Policies":
                keys.add(("policy", sel.value))
            elif section == "iam":
                kind = next((k for k, v in ENTITIES.items() if v[0] == table), None)
                if kind:
                    keys.add((kind, account, sel.value))

    text(finding.subject.strip().split()[0] if finding.subject.strip() else "")
    if finding.pointer:
        pointer(finding.pointer)

    def walk(value: Any, key: str | None = None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            if key == "pointer":
                pointer(value)
            else:
                text(value)

    walk(finding.evidence)
    for k in list(keys):
        if k[0] == "bucket" and buckets.get(k[1]):
            keys.add(("in-account", buckets[k[1]]))
    return keys


def _text_keys(value: str, buckets: Mapping[str, Any]) -> set[tuple]:
    if _ACCOUNT_ID.match(value):
        return {("account", value)}
    if value in buckets:
        return {("bucket", value)}
    m = _ARN.match(value)
    if not m:
        return set()
    service, account, resource = m["service"], m["account"], m["resource"]
    if service == "s3" and not account:
        return {("bucket", resource.split("/", 1)[0])}
    if service == "s3" and resource.startswith("accesspoint/"):
        return {("access-point", account, resource.split("/")[1])}
    if service == "iam":
        kind, _, rest = resource.partition("/")
        if resource == "root":
            return {("account", account)}
        if kind in ENTITIES and rest:
            return {(kind, account, rest.rsplit("/", 1)[-1])}
        if kind == "policy":
            return {("policy", value)}
    if service == "sts" and resource.startswith("assumed-role/"):
        return {("role", account, resource.split("/")[1])}
    return set()
