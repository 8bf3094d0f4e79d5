"""Reading a snapshot: file -> JSON -> schema validation -> typed model. Nothing is half-loaded.

The producers' side of the contract is ``docs/snapshot-format.md``; this module enforces it. Every error names the
file and the JSON pointer of the first bad value, and says in one sentence what was expected there.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Mapping
from urllib.parse import unquote

from .. import packaged
from ..errors import InputError, Place, SnapshotError, pointer_join
from ..fileio import loads_strict, parse_json, read_text
from . import compute as ck
from .aws_managed import with_shipped_policies
from .endpoints import read_endpoints
from .kms import read_keys
from .model import (EMPTY, UNKNOWN, Account, AccessPoint, Acl, Bucket, Compute, Grant, Group, ManagedPolicy,
                    Organization, OrgPolicy, PolicyDocument, PolicyVersion, PublicAccessBlock, Role, Snapshot,
                    UnreadInput, User, IAC_KINDS)

FORMAT = "s3audit.snapshot/v1"

# Which bucket value an entry of the bucket's ``Errors`` makes unknown (by API name or by key).
_ERROR_FIELDS = {
    "GetBucketLocation": "Region", "GetBucketPolicy": "Policy", "GetBucketPolicyStatus": "PolicyStatus",
    "GetBucketAcl": "Acl", "GetPublicAccessBlock": "PublicAccessBlock",
    "GetBucketPublicAccessBlock": "PublicAccessBlock",
    "GetBucketOwnershipControls": "OwnershipControls", "GetBucketEncryption": "Encryption",
    "GetBucketVersioning": "Versioning", "GetBucketLogging": "Logging", "GetBucketTagging": "Tags",
    "GetBucketLifecycleConfiguration": "Lifecycle", "GetBucketLifecycle": "Lifecycle",
    "GetObjectLockConfiguration": "ObjectLock", "GetBucketReplication": "Replication",
    "GetBucketWebsite": "Website", "GetAccessPointPolicy": "Policy",
    "GetAccessPointPolicyStatus": "PolicyStatus",
}


@lru_cache(maxsize=1)
def schema() -> dict:
    """The snapshot JSON Schema shipped in the package (loaded on first use, not at import)."""
    return json.loads(packaged.read_text("snapshot", "schema.json"))


@lru_cache(maxsize=1)
def _validator():
    import jsonschema
    return jsonschema.Draft202012Validator(schema())


@lru_cache(maxsize=1)
def _gate():
    from ..schemas.validate import compiled_gate
    return compiled_gate(schema())


# Above this many buckets, roles and users the compiled gate (0.1 s to build) costs less than jsonschema's walk.
GATE_ENTITIES = 1000


def _entities(document: dict) -> int:
    count = 0
    for account in document.get("accounts") or ():
        if isinstance(account, dict):
            for section, key in (("s3", "buckets"), ("iam", "RoleDetailList"), ("iam", "UserDetailList")):
                part = account.get(section)
                items = part.get(key) if isinstance(part, dict) else None
                count += len(items) if isinstance(items, list) else 0
    return count


def load_snapshot(path: str, *, remember_valid: bool = False) -> Snapshot:
    """Load, validate and model the snapshot at ``path`` (``.json`` or ``.json.gz``); ``remember_valid`` as
    for snapshot_from_dict. A file that holds no account is refused: checking it would pass on nothing."""
    return snapshot_from_text(read_text(path), str(path), remember_valid=remember_valid)


def snapshot_from_text(text: str, file: str, *, remember_valid: bool = False) -> Snapshot:
    """``load_snapshot`` of text already read from ``file``."""
    return document_and_snapshot(text, file, remember_valid=remember_valid)[1]


def document_and_snapshot(text: str, file: str, *, remember_valid: bool = False) -> tuple[dict, Snapshot]:
    """``snapshot_from_text``, with the parsed JSON document (incremental scans digest its parts)."""
    if not text.strip():
        raise SnapshotError("the file is empty (expected a snapshot: a JSON object with "
                            f"\"format\": \"{FORMAT}\")", Place(file))
    document = parse_json(text, file)
    snapshot = snapshot_from_dict(document, file=file, remember_valid=remember_valid)
    if not snapshot.accounts:
        raise SnapshotError("the snapshot holds no account, so there is nothing to check (did the collection "
                            "reach any account?)", Place(file, pointer="/accounts"))
    return document, snapshot


def validate(document: Any, file: str | None = None) -> None:
    """Raise SnapshotError for the first value that breaks the schema."""
    if not isinstance(document, dict):
        raise SnapshotError("a snapshot is a JSON object", Place(file, pointer=""))
    accounts = document.get("accounts")
    if isinstance(accounts, list) and _entities(document) > GATE_ENTITIES and _gate()(document):
        return
    from ..schemas.validate import first_error
    found = first_error(_validator(), document)
    if found is not None:
        pointer, message = found
        raise SnapshotError(message, Place(file, pointer=pointer))


def snapshot_from_dict(document: Any, file: str | None = None, *, remember_valid: bool = False,
                       validated: bool = False) -> Snapshot:
    """Validate a snapshot document and build the typed model (``validated``: the caller knows this very
    document passed the check: a worker given the digest of the text its parent checked).

    ``remember_valid``: skip the schema check (and jsonschema's import, a tenth of a pre-merge check) when
    this exact document passed it before, and remember it when it passes now. For the small documents the
    IaC readers build, which repeat from run to run, and for a snapshot that `explain` is run on again and
    again; only successes are kept, so errors are always reported.
    """
    if not validated:
        if remember_valid:
            _validate_once(document, file)
        else:
            validate(document, file)
    return _Builder(file).snapshot(document)


def _validate_once(document: Any, file: str | None) -> None:
    """The schema check, skipped when this exact document passed it before (the cache), remembered when it
    passes now."""
    from .. import __version__
    from ..cache import key, known_valid, remember_valid as remember
    # repr, not JSON text: it tells a list from a tuple and 1 from 1.0 or True, as the validator does.
    # ``taken_at`` is the time of this run; its schema (a string and a pattern) is checked here, and
    # nothing else in the schema depends on it, so any valid one stands for all.
    keyed = document
    taken_at = document.get("taken_at") if isinstance(document, dict) else None
    if isinstance(taken_at, str) and re.search(schema()["properties"]["taken_at"]["pattern"], taken_at):
        keyed = {**document, "taken_at": "<a valid timestamp>"}
    digest = key(__version__, json.dumps(schema(), sort_keys=True), repr(keyed))
    if not known_valid("snapshot", digest):
        validate(document, file)
        remember("snapshot", digest)


def decode_policy(value: Any, place: Place) -> Any:
    """A policy document as an object: JSON objects as they are; JSON text plain or URL-encoded."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("%7B") or text.startswith("%7b") or ("%22" in text and not text.startswith("{")):
            text = unquote(text)
        try:
            return loads_strict(text, place.file, pointer=place.pointer or "")
        except InputError as exc:
            raise SnapshotError(f"policy text is not valid JSON: {exc.message.removeprefix('invalid JSON: ')}",
                                exc.place) from None
    return value


def _tags(value: Any) -> Mapping[str, str]:
    if isinstance(value, list):
        return MappingProxyType({t["Key"]: t["Value"] for t in value})
    if isinstance(value, dict):
        return MappingProxyType(dict(value))
    return MappingProxyType({})


# An account ``errors`` key naming one entity's identity policies (docs/snapshot-format.md, as the IaC readers write them:
# ``iam:Role/etl/RolePolicyList/kms``, ``iam:User/bob/AttachedManagedPolicies``, ``iam:User/bob/GroupList``):
# what it names is unknown, so that entity's permissions are unknown, never "none".
_UNKNOWN_IDENTITY_FIELDS = {
    "RolePolicyList": "inline policies", "UserPolicyList": "inline policies", "GroupPolicyList": "inline policies",
    "AttachedManagedPolicies": "attached managed policies", "GroupList": "groups"}


def _unknown_identity(errors: Mapping[str, str]) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """(kind, name) -> [(what, verb, why)] from the account's ``iam:<Kind>/<name>/<field>[/<policy>]`` keys."""
    out: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for key, why in errors.items():
        if not key.startswith("iam:"):
            continue
        parts = key[4:].split("/", 3)
        if len(parts) < 3 or parts[0] not in ("Role", "User", "Group") or parts[2] not in _UNKNOWN_IDENTITY_FIELDS:
            continue
        if len(parts) == 4 and parts[2].endswith("PolicyList"):
            item = (f"inline policy `{parts[3]}`", "is", str(why))
        else:
            item = (f"the {_UNKNOWN_IDENTITY_FIELDS[parts[2]]}", "are", str(why))
        out.setdefault((parts[0], parts[1]), []).append(item)
    return out


def _notes(items: list[tuple[str, str, str]] | None, arn: str) -> tuple[str, ...]:
    return tuple(f"{what} of `{arn}` {verb} unknown ({why.removeprefix('Unknown: ')})" for what, verb, why in items or ())


_STATEMENT_POINTER = re.compile(r"(.*?)(/Statement(?:/\d+)?)")


class _Builder:
    def __init__(self, file: str | None):
        self.file = file
        self.flagged: dict[str, dict[str, str]] = {}  # document pointer -> {statement pointer in it: why}
        self.iac = False

    def policy(self, value: Any, pointer: str, kind: str, owner: str, name: str = "") -> PolicyDocument:
        return PolicyDocument(decode_policy(value, Place(self.file, pointer=pointer)), pointer, kind, owner, name,
                              unknown=MappingProxyType(self.flagged[pointer]) if pointer in self.flagged else EMPTY)

    def snapshot(self, d: dict) -> Snapshot:
        for pointer, why in (d.get("unknown_statements") or {}).items():
            m = _STATEMENT_POINTER.fullmatch(pointer)
            if m is None:
                raise SnapshotError("an entry of `unknown_statements` must point at a statement of a policy "
                                    "document (.../Statement/N)", Place(self.file, pointer="/unknown_statements"))
            self.flagged.setdefault(m.group(1), {})[m.group(2)] = why
        source = d.get("source") or {}
        self.iac = source.get("kind") in IAC_KINDS
        org = self.organization(d["organization"]) if d.get("organization") else None
        accounts = tuple(self.account(a, f"/accounts/{i}") for i, a in enumerate(d["accounts"]))
        seen: dict[str, int] = {}
        for i, a in enumerate(accounts):
            if a.id in seen:
                raise SnapshotError(f"account `{a.id}` appears twice (also at /accounts/{seen[a.id]})",
                                    Place(self.file, pointer=f"/accounts/{i}/id"))
            seen[a.id] = i
        accounts = with_shipped_policies(accounts)
        return Snapshot(format=d["format"], taken_at=d["taken_at"], source_kind=source.get("kind"),
                        source_detail=source.get("detail"), organization=org, accounts=accounts,
                        locations=MappingProxyType(dict(d.get("locations") or {})), file=self.file,
                        unread=tuple(UnreadInput(u["what"], u["why"], u.get("file"), u.get("line"), u.get("column"))
                                     for u in d.get("unread") or ()))

    def organization(self, o: dict) -> Organization:
        parents: dict[str, str] = {}
        names: dict[str, str] = {}
        for r in o.get("roots", []):
            names[r["Id"]] = r.get("Name", r["Id"])
        for u in o.get("units", []):
            parents[u["Id"]] = u["Parent"]
            names[u["Id"]] = u.get("Name", u["Id"])
        members = set()
        for a in o.get("accounts", []):
            parents[a["Id"]] = a["Parent"]
            names[a["Id"]] = a.get("Name", a["Id"])
            members.add(a["Id"])
        if o.get("management_account"):
            members.add(o["management_account"])
        policies = []
        for i, p in enumerate(o.get("policies", [])):
            ptr = f"/organization/policies/{i}"
            kind = "scp" if p["Type"] == "SERVICE_CONTROL_POLICY" else "rcp"
            doc = self.policy(p["Document"], ptr + "/Document", kind, p["Id"], p.get("Name", p["Id"]))
            policies.append(OrgPolicy(p["Id"], p.get("Name", p["Id"]), p["Type"], doc, tuple(p["Targets"]), ptr))
        return Organization(o.get("id"), o.get("management_account"), MappingProxyType(parents),
                            MappingProxyType(names), frozenset(members), tuple(policies),
                            MappingProxyType(dict(o.get("errors") or {})), "/organization")

    def account(self, a: dict, ptr: str) -> Account:
        acct = a["id"]
        iam = a.get("iam") or {}
        s3 = a.get("s3") or {}
        managed = {}
        for i, p in enumerate(iam.get("Policies", [])):
            pp = f"{ptr}/iam/Policies/{i}"
            versions = p.get("PolicyVersionList") or []
            default = next((j for j, v in enumerate(versions) if v.get("IsDefaultVersion")), None)
            if default is None and p.get("DefaultVersionId"):
                default = next((j for j, v in enumerate(versions) if v.get("VersionId") == p["DefaultVersionId"]), None)
            if default is None and len(versions) == 1:
                default = 0
            doc = None
            recorded = []
            for j, v in enumerate(versions):
                if "Document" not in v:
                    continue
                vdoc = self.policy(v["Document"], f"{pp}/PolicyVersionList/{j}/Document", "identity", p["Arn"],
                                   p["Arn"])
                recorded.append(PolicyVersion(str(v.get("VersionId") or f"#{j}"), vdoc, j == default))
                if j == default:
                    doc = vdoc
            managed[p["Arn"]] = ManagedPolicy(p["Arn"], p.get("PolicyName", p["Arn"].rsplit("/", 1)[-1]), doc, pp,
                                              tuple(recorded))

        def inline(items, base, owner, key="PolicyDocument"):
            return tuple(self.policy(x[key], f"{base}/{j}/{key}", "identity", owner, x.get("PolicyName", ""))
                         for j, x in enumerate(items or []))

        def attached(items):
            return tuple(x["PolicyArn"] for x in items or [])

        def boundary(x):
            b = x.get("PermissionsBoundary")
            return b["PermissionsBoundaryArn"] if b else None

        unknown = _unknown_identity(a.get("errors") or {})
        groups = tuple(
            Group(g["GroupName"], g["Arn"], acct, g.get("GroupId", ""),
                  inline(g.get("GroupPolicyList"), f"{ptr}/iam/GroupDetailList/{i}/GroupPolicyList", g["Arn"]),
                  attached(g.get("AttachedManagedPolicies")), f"{ptr}/iam/GroupDetailList/{i}",
                  _notes(unknown.get(("Group", g["GroupName"])), g["Arn"]))
            for i, g in enumerate(iam.get("GroupDetailList", [])))
        users = tuple(
            User(u["UserName"], u["Arn"], acct, u.get("UserId", ""), u.get("Path", "/"), tuple(u.get("GroupList") or ()),
                 inline(u.get("UserPolicyList"), f"{ptr}/iam/UserDetailList/{i}/UserPolicyList", u["Arn"]),
                 attached(u.get("AttachedManagedPolicies")), boundary(u), _tags(u.get("Tags")),
                 f"{ptr}/iam/UserDetailList/{i}", unknown_policies=_notes(unknown.get(("User", u["UserName"])), u["Arn"]))
            for i, u in enumerate(iam.get("UserDetailList", [])))
        roles = []
        for i, r in enumerate(iam.get("RoleDetailList", [])):
            rp = f"{ptr}/iam/RoleDetailList/{i}"
            trust = (self.policy(r["AssumeRolePolicyDocument"], f"{rp}/AssumeRolePolicyDocument", "trust", r["Arn"])
                     if r.get("AssumeRolePolicyDocument") is not None else None)
            trust_note = None
            unknown_trust = (a.get("errors") or {}).get(f"iam:Role/{r['RoleName']}/AssumeRolePolicyDocument")
            if trust is None and unknown_trust is not None:
                # an IaC reader could not know the trust policy (known after apply): anyone may be trusted
                trust = UNKNOWN
                trust_note = _notes([("the trust policy", "is", str(unknown_trust))], r["Arn"])[0]
            profiles = tuple(p.get("Arn", "") for p in r.get("InstanceProfileList") or [])
            roles.append(Role(r["RoleName"], r["Arn"], acct, r.get("RoleId", ""), r.get("Path", "/"), trust,
                              inline(r.get("RolePolicyList"), f"{rp}/RolePolicyList", r["Arn"]),
                              attached(r.get("AttachedManagedPolicies")), boundary(r), _tags(r.get("Tags")),
                              profiles, rp, unknown_policies=_notes(unknown.get(("Role", r["RoleName"])), r["Arn"]),
                              trust_note=trust_note))
        buckets = tuple(self.bucket(b, acct, f"{ptr}/s3/buckets/{i}") for i, b in enumerate(s3.get("buckets", [])))
        names: dict[str, int] = {}
        for i, b in enumerate(buckets):
            if b.name in names:
                raise SnapshotError(f"bucket `{b.name}` appears twice in account {acct}",
                                    Place(self.file, pointer=f"{ptr}/s3/buckets/{i}/Name"))
            names[b.name] = i
        aps = tuple(self.access_point(x, acct, f"{ptr}/s3/access_points/{i}")
                    for i, x in enumerate(s3.get("access_points", [])))
        errors = dict(a.get("errors") or {})
        if "public_access_block" in s3:
            pab = PublicAccessBlock.from_api(s3["public_access_block"])
        else:
            pab = UNKNOWN if any("PublicAccessBlock" in k for k in errors) else None
        computed, compute_unknown = self.compute(a, acct, ptr, roles)
        regions = a.get("regions")
        keys, key_gaps = read_keys(a.get("kms"), errors, acct, ptr, self.iac, self.policy)
        endpoints, endpoint_gaps = read_endpoints(a.get("ec2"), errors, acct, ptr, self.iac, self.policy)
        return Account(acct, a.get("name"), users, groups, tuple(roles), MappingProxyType(managed), pab,
                       buckets, aps, MappingProxyType(errors), ptr, computed, MappingProxyType(compute_unknown),
                       tuple(regions) if isinstance(regions, list) else None, self.passwords(a), keys,
                       MappingProxyType(key_gaps), endpoints, MappingProxyType(endpoint_gaps))

    def passwords(self, a: dict) -> Any:
        """User name -> has a console password, from the credential report, or from a user's own
        ``LoginProfile`` (GetLoginProfile's answer; null: none); UNKNOWN when neither says."""
        errors = a.get("errors") or {}
        out: dict[str, bool] = {}
        if "credential_report" in a and not any(
                k.startswith(("iam:GetCredentialReport", "iam:GenerateCredentialReport")) for k in errors):
            out.update({row["user"]: str(row.get("password_enabled", "")).lower() == "true"
                        for row in a["credential_report"] if row.get("user") != "<root_account>"})
        for u in (a.get("iam") or {}).get("UserDetailList") or ():
            if "LoginProfile" in u:
                out[u["UserName"]] = u["LoginProfile"] is not None
        return MappingProxyType(out) if out or "credential_report" in a else UNKNOWN

    def compute(self, a: dict, acct: str, ptr: str, roles: list[Role]) -> tuple[tuple[Compute, ...], dict[str, str]]:
        """The account's compute (docs/snapshot-format.md, "Compute") and, per kind, why its inventory is
        incomplete: a section not collected (absent), or a listing that failed."""
        errors = a.get("errors") or {}
        by_name = {r.name: r.arn for r in roles}
        by_profile: dict[str, str] = {}
        for r in roles:
            for arn in r.instance_profiles:
                by_profile[arn] = r.arn
                by_profile[arn.rsplit("/", 1)[-1]] = r.arn  # a profile given by name
        regions_failed = ck.failed(errors, ck.REGIONS_CALL)
        unknown: dict[str, str] = {}
        items: list[Compute] = []
        managed, ssm_unknown = self.ssm(a, errors, regions_failed)
        task_roles: dict[str, Any] = {}
        for kind in ck.KINDS:
            service, key = kind.section
            section = a.get(service)
            listed = section.get(key) if isinstance(section, dict) else None
            why = regions_failed and ck.reason(ck.REGIONS_CALL, regions_failed)
            for call in kind.calls:
                failed = ck.failed(errors, call)
                if failed and not why:
                    why = ck.reason(call, failed)
            if listed is None and not why:
                why = f"the account's {kind.label}s were not collected"
            if why:
                unknown[kind.kind] = why
            for i, item in enumerate(listed or []):
                items.append(self.compute_item(kind, item, acct, f"{ptr}/{service}/{key}/{i}", by_name, by_profile,
                                               managed, ssm_unknown, task_roles))
        return tuple(items), unknown

    def ssm(self, a: dict, errors: dict, regions_failed: str | None) -> tuple[dict[str, str], Any]:
        """InstanceId -> PingStatus of the nodes SSM manages, and why that is not known: a function of the
        region (a failed or missing ``ssm:DescribeInstanceInformation``), or None when it is."""
        service, key = ck.SSM_SECTION
        listed = (a.get(service) or {}).get(key) if isinstance(a.get(service), dict) else None
        managed = {x["InstanceId"]: str(x.get("PingStatus") or "Online") for x in listed or []}
        if regions_failed:
            return managed, lambda region: ck.reason(ck.REGIONS_CALL, regions_failed)
        if listed is None:
            why = ("the nodes SSM manages were not collected (for an instance a change creates, that is known "
                   "only once it runs)")
            return managed, lambda region: why
        account_wide = errors.get(ck.SSM_CALL)

        def failed(region: Any) -> str | None:
            why = account_wide or (errors.get(f"{ck.SSM_CALL}@{region}") if isinstance(region, str) else None)
            return ck.reason(ck.SSM_CALL, str(why)) if why else None
        return managed, failed

    def compute_item(self, kind: ck.ComputeKind, item: dict, acct: str, ptr: str, by_name: dict, by_profile: dict,
                     managed: dict, ssm_unknown, task_roles: dict) -> Compute:
        arn_key = ck.ARN_KEYS.get(kind.kind)
        arn = item.get(arn_key) if arn_key else None
        region = item.get("Region")
        if not isinstance(region, str) and isinstance(arn, str) and len(arn.split(":")) > 4 and arn.split(":")[3]:
            region = arn.split(":")[3]
        if not isinstance(region, str):
            region = UNKNOWN
        if not isinstance(arn, str) or not arn.startswith("arn:"):  # IaC: an ARN known only after apply
            arn = kind.arn(item, region if isinstance(region, str) else "*", acct)
        role_value = kind.role(item)
        facts: dict[str, Any] = {}
        if kind.kind == ck.INSTANCE:
            facts["state"] = ((item.get("State") or {}).get("Name") if isinstance(item.get("State"), dict)
                              else None)
            facts["profile"] = role_value
            role = by_profile.get(role_value) or by_profile.get(str(role_value).rsplit("/", 1)[-1]) if role_value else None
            if role_value and role is None and self.iac:
                role = UNKNOWN  # a profile the change does not declare: which role it holds is not in the input
            why = ssm_unknown(region)
            own = item.get("InstanceInformation")  # SSM's entry for it, kept on the instance itself
            if isinstance(own, dict):
                facts["managed"], facts["ping"] = True, str(own.get("PingStatus") or "Online")
            elif item["InstanceId"] in managed:
                facts["managed"], facts["ping"] = True, managed[item["InstanceId"]]
            elif why:
                facts["managed"], facts["managed_note"] = UNKNOWN, why
            else:
                facts["managed"] = False
        elif kind.kind == ck.ECS_SERVICE:
            cluster = str(item.get("clusterArn") or "default")
            facts["cluster"] = cluster if cluster.startswith("arn:") else None
            facts["cluster_name"] = cluster.rsplit("/", 1)[-1]
            facts["exec_enabled"] = bool(item.get("enableExecuteCommand"))
            facts["task_definition"] = item.get("taskDefinition")
            role = task_roles.get(str(item.get("taskDefinition")), UNKNOWN)
        else:
            role = (by_name.get(role_value) or (role_value if role_value.startswith("arn:") else
                                                 f"arn:aws:iam::{acct}:role/{role_value}")) if role_value else None
        if role is None and not role_value and item.get("Errors"):
            role = UNKNOWN  # the call that says which role failed
        if kind.kind == ck.TASK_DEFINITION:
            td = item["taskDefinitionArn"]
            for alias in (td, td.rsplit("/", 1)[-1], td.rsplit("/", 1)[-1].rsplit(":", 1)[0]):
                task_roles.setdefault(alias, role)
        return Compute(kind.kind, arn, str(kind.name(item)), acct, region, role, ptr, MappingProxyType(facts))

    def _unknowns(self, raw: dict) -> set[str]:
        return {_ERROR_FIELDS.get(k, k) for k in (raw.get("Errors") or {})}

    def bucket(self, b: dict, acct: str, ptr: str) -> Bucket:
        unknown = self._unknowns(b)

        def get(key, convert=lambda v: v):
            if key in unknown and b.get(key) is None:
                return UNKNOWN
            v = b.get(key)
            return None if v is None else convert(v)

        arn = f"arn:aws:s3:::{b['Name']}"
        policy = get("Policy", lambda v: self.policy(v, f"{ptr}/Policy", "bucket", arn, b["Name"]))
        acl = get("Acl", lambda v: self.acl(v, f"{ptr}/Acl"))

        def ownership(v):
            rules = v.get("Rules") or []
            return rules[0].get("ObjectOwnership") if rules else None

        region = get("Region")
        if region is None and "Region" not in unknown:
            region = "us-east-1"
        elif region == "EU":
            region = "eu-west-1"
        tags = get("Tags", _tags)
        if tags is None:
            tags = MappingProxyType({})
        return Bucket(
            name=b["Name"], account=acct, region=region, creation_date=b.get("CreationDate"), policy=policy,
            policy_status=get("PolicyStatus"), acl=acl,
            public_access_block=get("PublicAccessBlock", PublicAccessBlock.from_api),
            ownership=get("OwnershipControls", ownership), encryption=get("Encryption"),
            versioning=get("Versioning"), logging=get("Logging"), tags=tags, lifecycle=get("Lifecycle"),
            object_lock=get("ObjectLock"), replication=get("Replication"), website=get("Website"),
            errors=MappingProxyType(dict(b.get("Errors") or {})), pointer=ptr, raw=MappingProxyType(b))

    def acl(self, v: dict, ptr: str) -> Acl:
        grants = []
        for i, g in enumerate(v.get("Grants") or []):
            grantee = g["Grantee"]
            gtype = grantee.get("Type") or ("Group" if "URI" in grantee else
                                            "AmazonCustomerByEmail" if "EmailAddress" in grantee else "CanonicalUser")
            ident = grantee.get("URI") or grantee.get("ID") or grantee.get("EmailAddress") or ""
            grants.append(Grant(gtype, ident, g["Permission"], f"{ptr}/Grants/{i}"))
        return Acl((v.get("Owner") or {}).get("ID"), tuple(grants))

    def access_point(self, x: dict, acct: str, ptr: str) -> AccessPoint:
        unknown = self._unknowns(x)
        arn = f"arn:aws:s3:*:{acct}:accesspoint/{x['Name']}"
        if "Policy" in unknown and x.get("Policy") is None:
            policy = UNKNOWN
        elif x.get("Policy") is None:
            policy = None
        else:
            policy = self.policy(x["Policy"], f"{ptr}/Policy", "access-point", arn, x["Name"])
        pab = (UNKNOWN if "PublicAccessBlock" in unknown and x.get("PublicAccessBlock") is None
               else PublicAccessBlock.from_api(x.get("PublicAccessBlock")))
        region = x.get("Region") or "*"
        return AccessPoint(x["Name"], x["Bucket"], acct, x.get("NetworkOrigin"), x.get("VpcConfiguration"),
                           policy, pab, MappingProxyType(dict(x.get("Errors") or {})), ptr,
                           x.get("BucketAccountId"), region)
