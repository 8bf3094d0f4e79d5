"""Overlay a proposed change (an IaC snapshot) on the live estate (a snapshot): pure, dicts in, dict out.

What the proposed snapshot declares replaces the live value; what it does not mention stays as it is
live; what is new is added. That is how Terraform and CloudFormation changes behave: a role's
``aws_iam_role_policy`` adds or replaces one inline policy and leaves the others, a bucket's split-out
``aws_s3_bucket_policy`` replaces the policy and nothing else. In detail:

* accounts match by ``id``; an account only in the proposal is added.
* buckets match by ``Name``, in whichever account has the bucket (names are global): each key the
  proposal sets replaces the live key (and clears the live ``Errors`` entry of its API); the proposal's
  ``Errors`` entries (values unknown until apply) replace the live value with "unknown". A bucket not live is created, so S3's creation defaults fill what the
  proposal does not set (builder.creation_defaults). A canned ACL's placeholder owner takes the live
  bucket's owner.
* access points match by ``Name`` and are replaced whole; the account's Block Public Access is replaced
  when the proposal sets it.
* roles, users and groups match by name: scalar keys (trust policy, path, boundary, tags) are replaced,
  inline policies merge by ``PolicyName``, attached policies and group memberships are added.
  A proposal's unknown trust or inline policy (named in the account's ``errors``) removes the live one.
* managed policies match by ``Arn`` and are replaced; organization policies match by ``Id``.
* compute (docs/snapshot-format.md, "Compute") matches by name and region and is replaced. A section the live
  snapshot of an account did not collect stays unknown: when the change adds items to it, its listing call is
  named in the account's ``errors`` (``ck.NOT_COLLECTED``), so the change's items do not pass for all there
  is. The credential report's rows match by user: a change that gives a user a password says so; one that
  does not leaves the live row.
* KMS keys match by ``Arn``: each key the proposal sets replaces the live one (and clears the live ``Errors``
  entry of its API), grants are added, and an alias the proposal gives a key leaves every other key; a key not
  live is added. VPC endpoints match by ``VpcEndpointId`` in the same way.
* ``locations``: the proposal's pointers are re-pointed to where the same objects are in the result;
  live locations (if any) are kept and re-pointed too; the proposal's win where both have one.

What the change destroys is not in the proposed snapshot (the format cannot say "gone"): it comes as a
list of ``removals.Removal`` that are taken out of the live estate first, so that a replacement (a delete
followed by a create) ends with the created object, and a bucket destroyed and created again gets S3's
creation defaults as any new bucket does.
"""
from __future__ import annotations

import copy
import re
from typing import Iterable

from ..snapshot import compute as ck
from .builder import BUCKET_API, KMS_KEY_API, VPC_ENDPOINT_API, apply_creation_defaults, owner_placeholder
from .locations import PointerIndex, Sel, to_logical, to_pointer
from .removals import Removal, apply_removals

_ENTITIES = (("RoleDetailList", "RoleName", "RolePolicyList", "Role"),
             ("UserDetailList", "UserName", "UserPolicyList", "User"),
             ("GroupDetailList", "GroupName", "GroupPolicyList", "Group"))
_ENTITY_SCALARS = ("Arn", "Path", "AssumeRolePolicyDocument", "PermissionsBoundary", "Tags", "RoleId", "UserId",
                   "GroupId", "CreateDate")


def overlay(live: dict, proposed: dict, removals: Iterable[Removal] = ()) -> dict:
    """The live snapshot without what ``removals`` destroy, with the proposed resources applied (see the
    module docstring)."""
    return merge(live, proposed, new_bucket_defaults=True, removals=removals)


def merge(base: dict, top: dict, *, new_bucket_defaults: bool, removals: Iterable[Removal] = ()) -> dict:
    """``top`` applied on ``base`` after ``removals`` are taken out of it; with ``new_bucket_defaults`` a
    bucket not in ``base`` (or removed from it) gets S3's creation defaults (it is being created); without,
    buckets are merged as they are (combining two proposals)."""
    result = copy.deepcopy(base)
    base_locs = [(to_logical(base, p), loc) for p, loc in (base.get("locations") or {}).items()]
    homes = {b.get("Name"): a.get("id") for a in base.get("accounts") or [] if isinstance(a, dict)
             for b in (a.get("s3") or {}).get("buckets") or [] if isinstance(b, dict)}
    apply_removals(result, removals)
    top_locs = [(_rehomed(to_logical(top, p), homes), loc) for p, loc in (top.get("locations") or {}).items()]
    flags = _flags(base, top, homes)
    top = _rehome_buckets(top, homes)
    accounts = result.setdefault("accounts", [])
    for acct in top.get("accounts") or []:
        target = next((a for a in accounts if a.get("id") == acct.get("id")), None)
        fresh = target is None
        if target is None:
            target = {"id": acct["id"], "iam": {}, "s3": {}}
            accounts.append(target)
        _merge_account(target, acct, new_bucket_defaults)
        _merge_compute(target, acct, fresh)
    if top.get("organization"):
        _merge_org(result, top["organization"])
    source_top, source_base = top.get("source") or {}, base.get("source") or {}
    if source_top:
        detail = source_top.get("detail") or source_top.get("kind", "")
        under = source_base.get("detail") or source_base.get("kind")
        result["source"] = {"kind": source_top.get("kind", "manual"),
                            "detail": f"{detail} over {under}" if under else detail}
    unread = [u for u in (base.get("unread") or [])]
    unread += [u for u in (top.get("unread") or []) if u not in unread]
    if unread:  # what either side could not read stays unread in the combination
        result["unread"] = unread
    locations: dict[str, dict] = {}
    index = PointerIndex(result)
    for path, loc in top_locs + base_locs:
        if path is None:
            continue
        pointer = index.pointer(path)
        if pointer is not None and pointer not in locations:
            locations[pointer] = dict(loc)
    if locations:
        result["locations"] = dict(sorted(locations.items()))
    else:
        result.pop("locations", None)
    flagged = {}
    for path, why in flags:
        pointer = index.pointer(path)
        if pointer is not None:
            flagged.setdefault(pointer, why)
    if flagged:
        result["unknown_statements"] = dict(sorted(flagged.items()))
    else:
        result.pop("unknown_statements", None)
    return result


def _flags(base: dict, top: dict, homes: dict) -> list[tuple[tuple, str]]:
    """The statements of both sides that hold an unknown (``unknown_statements``), as logical paths: the
    proposal's, and the base's whose document the proposal does not replace."""
    out = [(_rehomed(to_logical(top, p), homes), why) for p, why in (top.get("unknown_statements") or {}).items()]
    for p, why in (base.get("unknown_statements") or {}).items():
        path = to_logical(base, p)
        if path is None:
            continue
        document = path[:-2] if isinstance(path[-1], int) else path[:-1]
        if to_pointer(top, document) is None:
            out.append((path, why))
    return [(path, why) for path, why in out if path is not None]


def _rehome_buckets(top: dict, homes: dict) -> dict:
    """``top`` with each bucket moved to the account that has it in the base: bucket names are unique
    across all accounts (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), and
    a change that names a bucket another account owns changes that bucket (IaC does not say its account)."""
    moved: dict[str, list] = {}
    accounts = []
    for acct in top.get("accounts") or []:
        keep = []
        for b in (acct.get("s3") or {}).get("buckets") or []:
            home = homes.get(b.get("Name"))
            if home is not None and home != acct.get("id"):
                moved.setdefault(home, []).append(b)
            else:
                keep.append(b)
        accounts.append({**acct, "s3": {**(acct.get("s3") or {}), "buckets": keep}} if acct.get("s3") else acct)
    if not moved:
        return top
    for home, buckets in moved.items():
        target = next((a for a in accounts if a.get("id") == home), None)
        if target is None:
            accounts.append({"id": home, "iam": {}, "s3": {"buckets": buckets}})
        else:
            s3 = target.get("s3") or {}
            target["s3"] = {**s3, "buckets": list(s3.get("buckets") or []) + buckets}
    return {**top, "accounts": accounts}


def _rehomed(path: tuple | None, homes: dict) -> tuple | None:
    """A logical path into a proposed bucket, re-pointed to the account ``_rehome_buckets`` moves it to."""
    if (path and len(path) >= 5 and path[0] == "accounts" and path[2:4] == ("s3", "buckets")
            and isinstance(path[4], Sel) and isinstance(path[1], Sel)):
        home = homes.get(path[4].value)
        if home is not None and home != path[1].value:
            return (path[0], Sel("id", home)) + path[2:]
    return path


def _merge_account(target: dict, acct: dict, new_bucket_defaults: bool) -> None:
    s3_t = target.setdefault("s3", {})
    s3_p = acct.get("s3") or {}
    if "public_access_block" in s3_p:
        s3_t["public_access_block"] = copy.deepcopy(s3_p["public_access_block"])
    buckets = s3_t.setdefault("buckets", [])
    for pb in s3_p.get("buckets") or []:
        lb = next((b for b in buckets if b.get("Name") == pb.get("Name")), None)
        if lb is None:
            nb = copy.deepcopy(pb)
            if new_bucket_defaults:
                apply_creation_defaults(nb)
            buckets.append(nb)
        else:
            _merge_bucket(lb, pb, acct.get("id", ""))
    if s3_p.get("access_points"):
        aps = s3_t.setdefault("access_points", [])
        for ap in s3_p["access_points"]:
            aps[:] = [x for x in aps if x.get("Name") != ap.get("Name")]
            aps.append(copy.deepcopy(ap))

    _merge_keys(target, acct)
    for pe in (acct.get("ec2") or {}).get("vpc_endpoints") or []:
        endpoints = target.setdefault("ec2", {}).setdefault("vpc_endpoints", [])
        le = next((e for e in endpoints if e.get("VpcEndpointId") == pe.get("VpcEndpointId")), None)
        if le is None:
            endpoints.append(copy.deepcopy(pe))
        else:
            _merge_values(le, pe, VPC_ENDPOINT_API, ("VpcEndpointId",))

    iam_t = target.setdefault("iam", {})
    iam_p = acct.get("iam") or {}
    for list_key, name_key, inline_key, _ in _ENTITIES:
        for pe in iam_p.get(list_key) or []:
            entities = iam_t.setdefault(list_key, [])
            le = next((e for e in entities if e.get(name_key) == pe.get(name_key)), None)
            if le is None:
                entities.append(copy.deepcopy(pe))
                continue
            for k in _ENTITY_SCALARS:
                if k in pe:
                    le[k] = copy.deepcopy(pe[k])
            for pol in pe.get(inline_key) or []:
                items = le.setdefault(inline_key, [])
                items[:] = [x for x in items if x.get("PolicyName") != pol.get("PolicyName")]
                items.append(copy.deepcopy(pol))
            for att in pe.get("AttachedManagedPolicies") or []:
                items = le.setdefault("AttachedManagedPolicies", [])
                if not any(x.get("PolicyArn") == att.get("PolicyArn") for x in items):
                    items.append(copy.deepcopy(att))
            for g in pe.get("GroupList") or []:
                groups = le.setdefault("GroupList", [])
                if g not in groups:
                    groups.append(g)
    for pol in iam_p.get("Policies") or []:
        policies = iam_t.setdefault("Policies", [])
        policies[:] = [x for x in policies if x.get("Arn") != pol.get("Arn")]
        policies.append(copy.deepcopy(pol))

    errors = dict(target.get("errors") or {})
    for key, message in (acct.get("errors") or {}).items():
        errors[key] = message
        _forget_unknown(iam_t, key)
    known_policies = {p.get("Arn") for p in iam_t.get("Policies") or [] if p.get("PolicyVersionList")}
    for key in list(errors):
        m = re.fullmatch(r"iam:Policy/(.+)/Document", key)
        if m and m.group(1) in known_policies and _defined_elsewhere(errors[key]):
            del errors[key]  # attached here, defined in the live estate
    if errors:
        target["errors"] = errors


def _merge_compute(target: dict, acct: dict, fresh: bool) -> None:
    """Compute and the credential report of ``acct`` onto ``target`` (an account of the base; ``fresh``: one
    the base did not have)."""
    for (service, key), ident, call in ck.sections():
        items = (acct.get(service) or {}).get(key)
        if not isinstance(items, list):
            continue
        if not isinstance((target.get(service) or {}).get(key), list) and not fresh:
            if not items:
                continue  # nothing added to a section the base did not collect: it stays absent, unknown
            if not ck.failed(target.get("errors") or {}, call):
                target.setdefault("errors", {})[call] = ck.NOT_COLLECTED
        live = target.setdefault(service, {}).setdefault(key, [])
        for item in items:
            found = (ident(item), item.get("Region"))
            live[:] = [x for x in live if (ident(x), x.get("Region")) != found]
            live.append(copy.deepcopy(item))
    rows = acct.get("credential_report")
    if isinstance(rows, list):
        live_rows = target.setdefault("credential_report", [])
        for row in rows:
            known = next((x for x in live_rows if x.get("user") == row.get("user")), None)
            if known is None:
                live_rows.append(copy.deepcopy(row))
            elif row.get("password_enabled") == "true":
                known["password_enabled"] = "true"


def _merge_keys(target: dict, acct: dict) -> None:
    proposed = (acct.get("kms") or {}).get("keys") or []
    if not proposed:
        return
    keys = target.setdefault("kms", {}).setdefault("keys", [])
    for pk in proposed:
        moved = {a.get("AliasName") for a in pk.get("Aliases") or []}
        for other in keys:  # an alias names one key: the one the proposal gives it
            if other.get("Aliases") and other.get("Arn") != pk.get("Arn"):
                other["Aliases"] = [a for a in other["Aliases"] if a.get("AliasName") not in moved]
        lk = next((k for k in keys if k.get("Arn") == pk.get("Arn")), None)
        if lk is None:
            keys.append(copy.deepcopy(pk))
            continue
        grants = list(lk.get("Grants") or [])
        aliases = list(lk.get("Aliases") or [])
        _merge_values(lk, pk, KMS_KEY_API, ("KeyId", "Arn", "Grants", "Aliases"))
        if pk.get("Grants"):
            if "Grants" in lk or "ListGrants" not in (lk.get("Errors") or {}):
                lk["Grants"] = grants + [copy.deepcopy(g) for g in pk["Grants"] if g not in grants]
        for alias in pk.get("Aliases") or []:
            aliases = [a for a in aliases if a.get("AliasName") != alias.get("AliasName")] + [copy.deepcopy(alias)]
        if aliases:
            lk["Aliases"] = aliases


def _merge_values(live: dict, proposed: dict, apis: dict, skip: tuple) -> None:
    """Each value the proposal sets replaces the live one (and clears the live ``Errors`` entry of its API); the
    proposal's ``Errors`` make their values unknown."""
    errors = dict(live.get("Errors") or {})
    for key, value in proposed.items():
        if key in skip or key == "Errors":
            continue
        live[key] = copy.deepcopy(value)
        errors.pop(apis.get(key, key), None)
    for api, message in (proposed.get("Errors") or {}).items():
        errors[api] = message
        for key, a in apis.items():
            if a == api and key not in ("KeyState", "Enabled", "Description"):
                live.pop(key, None)
    if errors:
        live["Errors"] = errors
    else:
        live.pop("Errors", None)


def _defined_elsewhere(message: str) -> bool:
    return "is not in this input" in message


def _forget_unknown(iam: dict, key: str) -> None:
    """A value the proposal leaves unknown must not keep its live value."""
    m = re.fullmatch(r"iam:(Role|User|Group)/([^/]+)/(.+)", key)
    if not m:
        return
    kind, name, rest = m.groups()
    list_key, name_key, inline_key, _ = next(e for e in _ENTITIES if e[3] == kind)
    entity = next((e for e in iam.get(list_key) or [] if e.get(name_key) == name), None)
    if entity is None:
        return
    if rest == "AssumeRolePolicyDocument":
        entity.pop("AssumeRolePolicyDocument", None)
    elif rest.startswith(inline_key + "/"):
        pname = rest[len(inline_key) + 1:]
        entity[inline_key] = [p for p in entity.get(inline_key) or [] if p.get("PolicyName") != pname]


def _merge_bucket(live: dict, proposed: dict, account_id: str) -> None:
    errors = dict(live.get("Errors") or {})
    for key, value in proposed.items():
        if key in ("Name", "Errors"):
            continue
        value = copy.deepcopy(value)
        if key == "Acl" and isinstance(value, dict) and isinstance(live.get("Acl"), dict):
            _adopt_owner(value, live["Acl"], account_id)
        live[key] = value
        errors.pop(BUCKET_API.get(key, key), None)
    for api, message in (proposed.get("Errors") or {}).items():
        errors[api] = message
        field = next((k for k, a in BUCKET_API.items() if a == api), None)
        if field is not None:
            live.pop(field, None)
    if errors:
        live["Errors"] = errors
    else:
        live.pop("Errors", None)


def _adopt_owner(acl: dict, live_acl: dict, account_id: str) -> None:
    # the placeholder names the account the change was read for, which may not be the bucket's (rehomed)
    prefix = owner_placeholder(account_id).split("-of-")[0] + "-of-"
    owner = live_acl.get("Owner")
    if not isinstance(owner, dict) or "ID" not in owner:
        return
    if str((acl.get("Owner") or {}).get("ID")).startswith(prefix):
        acl["Owner"] = dict(owner)
    for g in acl.get("Grants") or []:
        grantee = g.get("Grantee") or {}
        if str(grantee.get("ID")).startswith(prefix):
            grantee["ID"] = owner["ID"]
            if "DisplayName" in owner:
                grantee["DisplayName"] = owner["DisplayName"]


def _merge_org(result: dict, org: dict) -> None:
    target = result.setdefault("organization", {})
    policies = target.setdefault("policies", [])
    for pol in org.get("policies") or []:
        live = next((p for p in policies if p.get("Id") == pol.get("Id")), None)
        if live is None:
            policies.append(copy.deepcopy(pol))
        else:
            targets = list(dict.fromkeys(list(live.get("Targets") or []) + list(pol.get("Targets") or [])))
            live.update(copy.deepcopy(pol))
            live["Targets"] = targets
    if org.get("errors"):
        target.setdefault("errors", {}).update(org["errors"])
    for k in ("id", "management_account", "roots", "units", "accounts"):
        if k in org and k not in target:
            target[k] = copy.deepcopy(org[k])


__all__ = ["overlay", "merge", "Removal"]
