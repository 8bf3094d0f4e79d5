"""Terraform's S3 resource types (``aws_s3_*``, ``aws_s3control_*``): computed attributes, mapping to the
snapshot's bucket, account and access point values (in AWS's API shapes), and what destroying one takes away.

Provider v4+ splits a bucket's settings into resources of their own (``aws_s3_bucket_policy`` ...); the v3
inline arguments of ``aws_s3_bucket`` (still accepted, deprecated) map to the same values.
"""
from __future__ import annotations

import json
from typing import Any

from ...arns import access_point_arn, bucket_arn, bucket_domain_name, bucket_regional_domain_name
from ...builder import (PUBLIC_ACCESS_BLOCK_KEYS, SnapshotBuilder, access_point_entry, canned_acl,
                        owner_placeholder)
from ...removals import Removal
from ...values import Unknown, with_symbols
from ..registry import Gone, Instance, Mapper, arguments, computes, maps, removes
from ..resource import Res, Undecided, fill, many, one, pick, placeholder, string


# --- computed attributes ----------------------------------------------------------------------------------

@computes("aws_s3_bucket")
def _bucket_computed(obj: dict, at: Instance) -> str | None:
    why = None
    name = with_symbols(obj.get("bucket"))
    if isinstance(name, str) and isinstance(obj.get("bucket"), Unknown):
        # made at apply time from fresh values (random_pet...): the symbolic name stands for it everywhere
        why = f"the name is made at apply time ({obj['bucket'].reason})"
        obj["bucket"] = name
    elif not isinstance(name, str) or name == "":
        why = ("the name is generated from `bucket_prefix` at apply time" if obj.get("bucket_prefix")
               else f"the name is unknown ({name.reason})" if isinstance(name, Unknown)
               else "the name is generated at apply time")
        name = obj["bucket"] = placeholder(at.address)
    fill(obj, "id", name)
    fill(obj, "arn", bucket_arn(name))
    fill(obj, "bucket_domain_name", bucket_domain_name(name))
    if isinstance(at.region, str):
        fill(obj, "region", at.region)
        fill(obj, "bucket_regional_domain_name", bucket_regional_domain_name(name, at.region))
    return why


@computes("aws_s3_bucket_*")
def _bucket_setting_computed(obj: dict, at: Instance) -> None:
    if isinstance(obj.get("bucket"), str):
        fill(obj, "id", obj["bucket"])


@computes("aws_s3_access_point")
def _access_point_computed(obj: dict, at: Instance) -> None:
    name = obj.get("name")
    if isinstance(name, str):
        fill(obj, "id", f"{at.account_id}:{name}")
        if isinstance(at.region, str):
            fill(obj, "arn", access_point_arn(at.region, at.account_id, name))


# --- values in AWS's shapes ---------------------------------------------------------------------------------
# Each function takes the resource's (converted) values and returns the API value; an unknown nested block it
# needs raises Undecided, and the mapping makes that value unknown as a whole.

def _enc_rules(rules: Any) -> dict:
    out = []
    for r in many(rules):
        d = one(r.get("apply_server_side_encryption_by_default"))
        rule: dict = {}
        if d:
            rule["ApplyServerSideEncryptionByDefault"] = pick(d, (("sse_algorithm", "SSEAlgorithm"),
                                                                   ("kms_master_key_id", "KMSMasterKeyID")))
        if r.get("bucket_key_enabled") is not None:
            rule["BucketKeyEnabled"] = r["bucket_key_enabled"]
        out.append(rule)
    return {"Rules": out}


_SIZES = (("prefix", "Prefix"), ("object_size_greater_than", "ObjectSizeGreaterThan"),
          ("object_size_less_than", "ObjectSizeLessThan"))


def _tag_set(tags: Any) -> list:
    if isinstance(tags, Unknown):
        raise Undecided(tags)
    return [{"Key": k, "Value": v} for k, v in (tags or {}).items()]


def _lifecycle_filter(f: dict | None, prefix: Any = None, tags: Any = None) -> dict:
    if f:
        and_ = one(f.get("and"))
        if and_:
            out = {"And": pick(and_, _SIZES)}
            if and_.get("tags"):
                out["And"]["Tags"] = _tag_set(and_["tags"])
            return out
        tag = one(f.get("tag"))
        if tag:
            return {"Tag": {"Key": tag.get("key"), "Value": tag.get("value")}}
        return pick(f, _SIZES)
    if tags:
        return {"And": {"Prefix": prefix or "", "Tags": _tag_set(tags)}}
    return {"Prefix": prefix or ""}


_EXPIRATION = (("days", "Days"), ("date", "Date"), ("expired_object_delete_marker", "ExpiredObjectDeleteMarker"))
_TRANSITION = (("days", "Days"), ("date", "Date"), ("storage_class", "StorageClass"))


def _lifecycle(rules: Any, v3: bool) -> dict:
    """Lifecycle rules: v4's ``aws_s3_bucket_lifecycle_configuration`` ``rule`` blocks, or v3's inline
    ``lifecycle_rule`` blocks, which name the status, filter, noncurrent days and multipart abort otherwise."""
    out = []
    for r in many(rules):
        if v3:
            enabled = r.get("enabled")
            status = enabled if isinstance(enabled, Unknown) else ("Enabled" if enabled else "Disabled")
            rule = {"ID": r.get("id"), "Status": status, "Filter": _lifecycle_filter(None, r.get("prefix"), r.get("tags"))}
        else:
            rule = {"ID": r.get("id"), "Status": r.get("status"),
                    "Filter": _lifecycle_filter(one(r.get("filter")), r.get("prefix"))}
        exp = one(r.get("expiration"))
        if exp:
            rule["Expiration"] = pick(exp, _EXPIRATION)
        trans = [pick(t, _TRANSITION) for t in many(r.get("transition"))]
        if trans:
            rule["Transitions"] = trans
        nve = one(r.get("noncurrent_version_expiration"))
        if nve:
            rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": nve.get("days")} if v3 else pick(
                nve, (("noncurrent_days", "NoncurrentDays"), ("newer_noncurrent_versions", "NewerNoncurrentVersions")))
        days = "days" if v3 else "noncurrent_days"
        nvt = [pick(t, ((days, "NoncurrentDays"), ("storage_class", "StorageClass")))
               for t in many(r.get("noncurrent_version_transition"))]
        if nvt:
            rule["NoncurrentVersionTransitions"] = nvt
        if v3:
            if r.get("abort_incomplete_multipart_upload_days"):
                rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": r["abort_incomplete_multipart_upload_days"]}
        else:
            ab = one(r.get("abort_incomplete_multipart_upload"))
            if ab:
                rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": ab.get("days_after_initiation")}
        out.append({k: v for k, v in rule.items() if v is not None})
    return {"Rules": out}


def _replication(role: Any, rules: Any, v3: bool) -> dict:
    out = []
    for r in many(rules):
        d = one(r.get("destination")) or {}
        dest = pick(d, (("bucket", "Bucket"), ("storage_class", "StorageClass"),
                         ("account" if not v3 else "account_id", "Account")))
        act = one(d.get("access_control_translation"))
        if act:
            dest["AccessControlTranslation"] = {"Owner": act.get("owner")}
        kms = d.get("replica_kms_key_id") if v3 else (one(d.get("encryption_configuration")) or {}).get(
            "replica_kms_key_id")
        if kms:
            dest["EncryptionConfiguration"] = {"ReplicaKmsKeyID": kms}
        rule = {"ID": r.get("id"), "Priority": r.get("priority"), "Status": r.get("status"), "Destination": dest}
        f = one(r.get("filter"))
        if f or r.get("prefix") is not None:
            rule["Filter"] = _lifecycle_filter(f, r.get("prefix"))
        dmr = one(r.get("delete_marker_replication"))
        if dmr:
            rule["DeleteMarkerReplication"] = {"Status": dmr.get("status")}
        elif v3 and r.get("delete_marker_replication_status"):
            rule["DeleteMarkerReplication"] = {"Status": r["delete_marker_replication_status"]}
        out.append({k: v for k, v in rule.items() if v is not None})
    return {"Role": role, "Rules": out}


def _routing_rules(text: Any) -> Any:
    """``routing_rules`` as JSON text (a list of rules), as S3 takes them."""
    if isinstance(text, Unknown):
        raise Undecided(text)
    try:
        rules = json.loads(str(text))
    except ValueError:
        raise Undecided(Unknown("`routing_rules` is not JSON")) from None
    return rules


def _website_v4(w: dict) -> dict:
    out: dict = {}
    idx = one(w.get("index_document"))
    if idx:
        out["IndexDocument"] = {"Suffix": idx.get("suffix")}
    err = one(w.get("error_document"))
    if err:
        out["ErrorDocument"] = {"Key": err.get("key")}
    red = one(w.get("redirect_all_requests_to"))
    if red:
        out["RedirectAllRequestsTo"] = pick(red, (("host_name", "HostName"), ("protocol", "Protocol")))
    rules = w.get("routing_rules")
    if rules:
        out["RoutingRules"] = _routing_rules(rules)
    elif many(w.get("routing_rule")):
        out["RoutingRules"] = [{"Condition": pick(one(r.get("condition")), (
            ("http_error_code_returned_equals", "HttpErrorCodeReturnedEquals"), ("key_prefix_equals", "KeyPrefixEquals"))),
            "Redirect": pick(one(r.get("redirect")), (("host_name", "HostName"), ("protocol", "Protocol"),
                                                         ("replace_key_prefix_with", "ReplaceKeyPrefixWith"),
                                                         ("replace_key_with", "ReplaceKeyWith"),
                                                         ("http_redirect_code", "HttpRedirectCode")))}
            for r in many(w.get("routing_rule"))]
    return out


def _grants(grants: Any) -> list:
    out = []
    for g in many(grants):
        grantee: dict = {"Type": g.get("type")}
        if g.get("id"):
            grantee["ID"] = g["id"]
        if g.get("uri"):
            grantee["URI"] = g["uri"]
        if g.get("email_address"):
            grantee["EmailAddress"] = g["email_address"]
        perms = g.get("permissions") or ([g["permission"]] if g.get("permission") else [])
        if isinstance(perms, Unknown):
            raise Undecided(perms)
        for p in perms:
            out.append({"Grantee": grantee, "Permission": p})
    return out


_PAB = tuple(zip(("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"),
                 PUBLIC_ACCESS_BLOCK_KEYS))


def _pab(d: dict, default: bool = False) -> dict:
    return {dst: (d.get(src) if d.get(src) is not None else default) for src, dst in _PAB}


def _owner(b: SnapshotBuilder) -> str:
    return owner_placeholder(b.account_id)


def _versioning_v3(ver: dict) -> dict:
    out: dict = {}
    enabled = ver.get("enabled")
    if isinstance(enabled, Unknown):
        out["Status"] = enabled
    elif enabled:
        out["Status"] = "Enabled"
    if ver.get("mfa_delete") is not None:
        m = ver["mfa_delete"]
        out["MFADelete"] = m if isinstance(m, Unknown) else "Enabled" if m else "Disabled"
    return out


def _website_v3(w: dict) -> dict:
    out: dict = {}
    if w.get("index_document"):
        out["IndexDocument"] = {"Suffix": w["index_document"]}
    if w.get("error_document"):
        out["ErrorDocument"] = {"Key": w["error_document"]}
    red = w.get("redirect_all_requests_to")
    if isinstance(red, Unknown):
        raise Undecided(red)
    if red:
        if "://" in red:
            proto, host = red.split("://", 1)
            out["RedirectAllRequestsTo"] = {"HostName": host, "Protocol": proto}
        else:
            out["RedirectAllRequestsTo"] = {"HostName": red}
    if w.get("routing_rules"):
        out["RoutingRules"] = _routing_rules(w["routing_rules"])
    return out


def _object_lock(ol: dict) -> dict:
    out: dict = {"ObjectLockEnabled": ol.get("object_lock_enabled") or "Enabled"}
    rule = one(ol.get("rule"))
    if rule:
        dr = one(rule.get("default_retention"))
        if dr:
            out["Rule"] = {"DefaultRetention": pick(dr, (("mode", "Mode"), ("days", "Days"), ("years", "Years")))}
    return out


def _logging_v3(log: dict) -> dict:
    target = log.get("target_bucket")
    if isinstance(target, Unknown):
        raise Undecided(target)
    return {"LoggingEnabled": pick(log, (("target_bucket", "TargetBucket"), ("target_prefix", "TargetPrefix")))} \
        if target else {}


def _value(value_of, *args) -> Any:
    """``value_of(*args)``, or the unknown block it needs (the whole value is then unknown)."""
    try:
        return value_of(*args)
    except Undecided as exc:
        return exc.unknown


# --- the types of the arguments read (Terraform converts values to them; see arguments.py) ------------------

_PAB_ARGS = {"block_public_acls": "bool", "ignore_public_acls": "bool", "block_public_policy": "bool",
             "restrict_public_buckets": "bool"}
_SSE_RULE = {"apply_server_side_encryption_by_default": {"sse_algorithm": "string", "kms_master_key_id": "string"},
             "bucket_key_enabled": "bool"}
_FILTER = {"prefix": "string", "object_size_greater_than": "number", "object_size_less_than": "number",
           "tag": {"key": "string", "value": "string"},
           "and": {"prefix": "string", "tags": ("map", ("string",)), "object_size_greater_than": "number",
                   "object_size_less_than": "number"}}
_RETENTION = {"default_retention": {"mode": "string", "days": "number", "years": "number"}}
_GRANTEE = {"type": "string", "id": "string", "uri": "string", "email_address": "string"}

arguments("aws_s3_bucket", schema={
    "bucket": "string", "bucket_prefix": "string", "acl": "string", "policy": "string", "region": "string",
    "force_destroy": "bool", "object_lock_enabled": "bool", "tags": ("map", ("string",)),
    "tags_all": ("map", ("string",)),
    "grant": {**_GRANTEE, "permissions": ("list", ("string",))},
    "versioning": {"enabled": "bool", "mfa_delete": "bool"},
    "logging": {"target_bucket": "string", "target_prefix": "string"},
    "server_side_encryption_configuration": {"rule": _SSE_RULE},
    "lifecycle_rule": {"id": "string", "prefix": "string", "tags": ("map", ("string",)), "enabled": "bool",
                       "abort_incomplete_multipart_upload_days": "number",
                       "expiration": {"date": "string", "days": "number", "expired_object_delete_marker": "bool"},
                       "transition": {"date": "string", "days": "number", "storage_class": "string"},
                       "noncurrent_version_expiration": {"days": "number"},
                       "noncurrent_version_transition": {"days": "number", "storage_class": "string"}},
    "replication_configuration": {"role": "string", "rules": {
        "id": "string", "priority": "number", "prefix": "string", "status": "string",
        "delete_marker_replication_status": "string", "filter": {"prefix": "string", "tags": ("map", ("string",))},
        "destination": {"bucket": "string", "storage_class": "string", "replica_kms_key_id": "string",
                        "account_id": "string", "access_control_translation": {"owner": "string"}}}},
    "website": {"index_document": "string", "error_document": "string", "redirect_all_requests_to": "string",
                "routing_rules": "string"},
    "object_lock_configuration": {"object_lock_enabled": "string", "rule": _RETENTION},
})
arguments("aws_s3_bucket_public_access_block", schema={"bucket": "string", **_PAB_ARGS})
arguments("aws_s3_account_public_access_block", schema={"account_id": "string", **_PAB_ARGS})
arguments("aws_s3_bucket_policy", schema={"bucket": "string", "policy": "string"})
arguments("aws_s3_bucket_server_side_encryption_configuration", schema={"bucket": "string", "rule": _SSE_RULE})
arguments("aws_s3_bucket_versioning", schema={
    "bucket": "string", "versioning_configuration": {"status": "string", "mfa_delete": "string"}})
arguments("aws_s3_bucket_logging", schema={"bucket": "string", "target_bucket": "string", "target_prefix": "string"})
arguments("aws_s3_bucket_ownership_controls", schema={"bucket": "string", "rule": {"object_ownership": "string"}})
arguments("aws_s3_bucket_object_lock_configuration", schema={
    "bucket": "string", "object_lock_enabled": "string", "rule": _RETENTION})
arguments("aws_s3_bucket_lifecycle_configuration", schema={"bucket": "string", "rule": {
    "id": "string", "status": "string", "prefix": "string", "filter": _FILTER,
    "expiration": {"date": "string", "days": "number", "expired_object_delete_marker": "bool"},
    "transition": {"date": "string", "days": "number", "storage_class": "string"},
    "noncurrent_version_expiration": {"noncurrent_days": "number", "newer_noncurrent_versions": "number"},
    "noncurrent_version_transition": {"noncurrent_days": "number", "newer_noncurrent_versions": "number",
                                      "storage_class": "string"},
    "abort_incomplete_multipart_upload": {"days_after_initiation": "number"}}})
arguments("aws_s3_bucket_replication_configuration", schema={"bucket": "string", "role": "string", "rule": {
    "id": "string", "priority": "number", "status": "string", "prefix": "string", "filter": _FILTER,
    "delete_marker_replication": {"status": "string"},
    "destination": {"bucket": "string", "storage_class": "string", "account": "string",
                    "access_control_translation": {"owner": "string"},
                    "encryption_configuration": {"replica_kms_key_id": "string"}}}})
arguments("aws_s3_bucket_acl", schema={"bucket": "string", "acl": "string", "access_control_policy": {
    "owner": {"id": "string", "display_name": "string"},
    "grant": {"permission": "string", "grantee": _GRANTEE}}})
arguments("aws_s3_bucket_website_configuration", schema={
    "bucket": "string", "index_document": {"suffix": "string"}, "error_document": {"key": "string"},
    "redirect_all_requests_to": {"host_name": "string", "protocol": "string"}, "routing_rules": "string",
    "routing_rule": {"condition": {"http_error_code_returned_equals": "string", "key_prefix_equals": "string"},
                     "redirect": {"host_name": "string", "protocol": "string", "replace_key_prefix_with": "string",
                                  "replace_key_with": "string", "http_redirect_code": "string"}}})
arguments("aws_s3_access_point", schema={
    "name": "string", "bucket": "string", "bucket_account_id": "string", "policy": "string",
    "public_access_block_configuration": _PAB_ARGS, "vpc_configuration": {"vpc_id": "string"}})
arguments("aws_s3control_access_point_policy", schema={"access_point_arn": "string", "policy": "string"})


# --- mapping ------------------------------------------------------------------------------------------------

def _bucket_of(m: Mapper, r: Res) -> str | None:
    """The bucket a split-out bucket resource configures."""
    return m.name(r, "bucket", "bucket")


def _set(m: Mapper, r: Res, bucket: str, key: str, value: Any, attr: str) -> None:
    # An inline argument of aws_s3_bucket is located at its line; a split-out resource at its block, or
    # at what an override file changed in it.
    m.b.set_bucket(bucket, key, value, r.at(attr) if r.type == "aws_s3_bucket" else r.changed_at())


@maps("aws_s3_bucket", stage=0)
def aws_s3_bucket(m: Mapper, r: Res) -> None:
    v = r.values
    name = v["bucket"]
    m.b.bucket(name, r.loc, created=r.created, declared=True, name_unknown=r.name_unknown)
    region = v.get("region") if isinstance(v.get("region"), str) else m.region
    if isinstance(region, str):
        m.b.set_bucket(name, "Region", region, None)
    else:
        m.b.set_bucket(name, "Region", region if isinstance(region, Unknown) else
                          Unknown("the region is chosen at apply time"), None)
    tags = v.get("tags_all") if v.get("tags_all") is not None else v.get("tags")
    if tags:
        _set(m, r, name, "Tags", tags if isinstance(tags, Unknown) else dict(tags), "tags")
    # Provider v3 inline arguments (still accepted, deprecated, in v4 and v5).
    if v.get("acl") is not None:
        _set(m, r, name, "Acl", _canned(v["acl"], m.b.account_id), "acl")
    grants = _value(_grants, v.get("grant"))
    if grants:
        _set(m, r, name, "Acl", grants if isinstance(grants, Unknown) else
                  {"Owner": {"ID": _owner(m.b)}, "Grants": grants}, "grant")
    if v.get("policy") not in (None, ""):
        m.b.set_bucket_policy(name, v["policy"], r.at("policy"))
    for key, arg, value_of in _V3_SETTINGS:
        block = _value(one, v.get(arg))
        if block is not None:
            _set(m, r, name, key, block if isinstance(block, Unknown) else _value(value_of, block), arg)
    if _value(many, v.get("lifecycle_rule")):
        _set(m, r, name, "Lifecycle", _value(_lifecycle, v["lifecycle_rule"], True), "lifecycle_rule")
    if _value(one, v.get("object_lock_configuration")) is None and v.get("object_lock_enabled") is True:
        _set(m, r, name, "ObjectLock", {"ObjectLockEnabled": "Enabled"}, "object_lock_enabled")


# The v3 inline blocks of aws_s3_bucket that are one bucket value each: (bucket key, argument, value of the block).
_V3_SETTINGS = (
    ("Versioning", "versioning", _versioning_v3),
    ("Logging", "logging", _logging_v3),
    ("Encryption", "server_side_encryption_configuration", lambda sse: _enc_rules(sse.get("rule"))),
    ("Replication", "replication_configuration", lambda rep: _replication(rep.get("role"), rep.get("rules"), True)),
    ("Website", "website", _website_v3),
    ("ObjectLock", "object_lock_configuration", _object_lock),
)


def _canned(acl: Any, account_id: str) -> Any:
    if isinstance(acl, Unknown):
        return acl
    return canned_acl(str(acl), account_id) or Unknown(f"`{acl}` is not a canned ACL")


@maps("aws_s3_bucket_policy")
def aws_s3_bucket_policy(m: Mapper, r: Res) -> None:
    name = _bucket_of(m, r)
    if name:
        m.b.bucket(name)
        m.b.set_bucket_policy(name, r.values.get("policy"), r.at("policy"))


@maps("aws_s3_bucket_acl")
def aws_s3_bucket_acl(m: Mapper, r: Res) -> None:
    name = _bucket_of(m, r)
    if not name:
        return
    v = r.values
    if v.get("acl") is not None:
        _set(m, r, name, "Acl", _canned(v["acl"], m.b.account_id), "acl")
        return
    acp = _value(one, v.get("access_control_policy"))
    if acp is not None:
        _set(m, r, name, "Acl", acp if isinstance(acp, Unknown) else _value(_acl_of, acp, m.b), "access_control_policy")


def _acl_of(acp: dict, b: SnapshotBuilder) -> dict:
    owner = one(acp.get("owner")) or {}
    grants = _grants([{**(one(g.get("grantee")) or {}), "permission": g.get("permission")}
                      for g in many(acp.get("grant"))])
    return {"Owner": pick(owner, (("id", "ID"), ("display_name", "DisplayName"))) or {"ID": _owner(b)},
            "Grants": grants}


@maps("aws_s3_bucket_ownership_controls")
def aws_s3_bucket_ownership_controls(m: Mapper, r: Res) -> None:
    name = _bucket_of(m, r)
    rule = _value(one, r.values.get("rule"))
    if name and rule is not None:
        _set(m, r, name, "OwnershipControls", rule if isinstance(rule, Unknown) else
             {"Rules": [{"ObjectOwnership": rule.get("object_ownership")}]}, "rule")


@maps("aws_s3_bucket_versioning")
def aws_s3_bucket_versioning(m: Mapper, r: Res) -> None:
    name = _bucket_of(m, r)
    if not name:
        return
    vc = _value(one, r.values.get("versioning_configuration"))
    if isinstance(vc, Unknown) or vc is None:
        _set(m, r, name, "Versioning", vc if vc is not None else {}, "versioning_configuration")
        return
    status = vc.get("status")
    out: dict = {}
    if isinstance(status, Unknown):
        out["Status"] = status
    elif status in ("Enabled", "Suspended"):
        out["Status"] = status  # "Disabled" is only allowed for a bucket never versioned: no Status
    if vc.get("mfa_delete") in ("Enabled", "Disabled"):
        out["MFADelete"] = vc["mfa_delete"]
    _set(m, r, name, "Versioning", out, "versioning_configuration")


# Split-out bucket resources whose whole value is one bucket value: (bucket key, the value from the
# resource's values). Each is located at its block, or at what an override file changed in it.
_SETTINGS = {
    "aws_s3_bucket_public_access_block": ("PublicAccessBlock", _pab),
    "aws_s3_bucket_server_side_encryption_configuration": ("Encryption", lambda v: _enc_rules(v.get("rule"))),
    "aws_s3_bucket_logging": ("Logging", lambda v: {"LoggingEnabled": pick(v, (("target_bucket", "TargetBucket"),
                                                                               ("target_prefix", "TargetPrefix")))}),
    "aws_s3_bucket_lifecycle_configuration": ("Lifecycle", lambda v: _lifecycle(v.get("rule"), v3=False)),
    "aws_s3_bucket_object_lock_configuration": ("ObjectLock", _object_lock),
    "aws_s3_bucket_replication_configuration": ("Replication", lambda v: _replication(v.get("role"), v.get("rule"), False)),
    "aws_s3_bucket_website_configuration": ("Website", _website_v4),
}


@maps(*_SETTINGS)
def aws_s3_bucket_setting(m: Mapper, r: Res) -> None:
    key, value_of = _SETTINGS[r.type]
    name = _bucket_of(m, r)
    if name:
        m.b.set_bucket(name, key, _value(value_of, r.values), r.changed_at())


@maps("aws_s3_account_public_access_block")
def aws_s3_account_public_access_block(m: Mapper, r: Res) -> None:
    m.b.set_account_public_access_block(_pab(r.values), r.changed_at())


@maps("aws_s3_access_point", stage=0)
def aws_s3_access_point(m: Mapper, r: Res) -> None:
    v = r.values
    name = v.get("name")
    bucket = v.get("bucket")
    if not isinstance(name, str) or not isinstance(bucket, str):
        m.b.unplaced(r.address, "the name or bucket of the access point is known only after apply")
        return
    vpc = _value(one, v.get("vpc_configuration"))
    pab = _value(one, v.get("public_access_block_configuration"))
    # The provider's (and S3's) default for an access point is all four settings on.
    entry = access_point_entry(bucket, vpc if isinstance(vpc, Unknown) or not vpc else {"VpcId": vpc.get("vpc_id")},
                               pab if isinstance(pab, Unknown) else _pab(pab or {}, default=True),
                               v.get("bucket_account_id"))
    m.b.access_point(name, entry, v.get("policy"), r.loc)


@maps("aws_s3control_access_point_policy")
def aws_s3control_access_point_policy(m: Mapper, r: Res) -> None:
    arn = r.values.get("access_point_arn")
    name = arn.rsplit("/", 1)[-1] if isinstance(arn, str) else None
    if name is None or name not in m.b.access_points:
        m.b.unplaced(r.address, "the access point of this policy is not in the configuration")
        return
    ap = m.b.access_points[name]
    entry = {k: v for k, v in ap.items() if k not in ("Name", "Policy")}
    m.b.access_point(name, entry, r.values.get("policy"), r.loc)


# --- what destroying one takes away -----------------------------------------------------------------------

@removes("aws_s3_bucket")
def _bucket_removed(v: dict, gone: Gone) -> list:
    return gone("bucket", string(v.get("bucket")) or string(v.get("id")))


# Split-out bucket resources and the bucket value their deletion takes away (see removals.py).
# ``aws_s3_bucket_acl`` is not one: deleting it leaves the ACL as it is.
_BUCKET_SETTING = {
    "aws_s3_bucket_policy": "Policy", "aws_s3_bucket_public_access_block": "PublicAccessBlock",
    "aws_s3_bucket_ownership_controls": "OwnershipControls",
    "aws_s3_bucket_server_side_encryption_configuration": "Encryption", "aws_s3_bucket_versioning": "Versioning",
    "aws_s3_bucket_logging": "Logging", "aws_s3_bucket_lifecycle_configuration": "Lifecycle",
    "aws_s3_bucket_object_lock_configuration": "ObjectLock",
    "aws_s3_bucket_replication_configuration": "Replication", "aws_s3_bucket_website_configuration": "Website",
}


@removes(*_BUCKET_SETTING)
def _bucket_setting_removed(v: dict, gone: Gone) -> list:
    return gone("bucket-setting", string(v.get("bucket")), detail=_BUCKET_SETTING[gone.rtype])


@removes("aws_s3_account_public_access_block")
def _account_pab_removed(v: dict, gone: Gone) -> list:
    account = string(v.get("account_id")) or gone.account_id
    return [Removal("account-public-access-block", "", account, address=gone.address, location=gone.location)]


@removes("aws_s3_access_point")
def _access_point_removed(v: dict, gone: Gone) -> list:
    return gone("access-point", string(v.get("name")), account=string(v.get("account_id")) or gone.account_id)


@removes("aws_s3control_access_point_policy")
def _access_point_policy_removed(v: dict, gone: Gone) -> list:
    arn = string(v.get("access_point_arn"))
    return gone("access-point-policy", arn.rsplit("/", 1)[-1] if arn else None)
