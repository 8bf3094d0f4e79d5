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
from ...values import Unknown
from ..registry import Gone, Instance, Mapper, computes, maps, removes
from ..resource import Res, blocks, fill, first, pick, placeholder, string


# --- computed attributes ----------------------------------------------------------------------------------

@computes("aws_s3_bucket")
def _bucket_computed(obj: dict, at: Instance) -> str | None:
    why = None
    name = obj.get("bucket")
    if not isinstance(name, str) or name == "":
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

def _enc_rules(rules: Any) -> Any:
    if isinstance(rules, Unknown):
        return rules
    out = []
    for r in blocks(rules):
        d = first(r.get("apply_server_side_encryption_by_default"))
        rule: dict = {}
        if isinstance(d, Unknown):
            return d
        if d:
            rule["ApplyServerSideEncryptionByDefault"] = pick(d, (("sse_algorithm", "SSEAlgorithm"),
                                                                   ("kms_master_key_id", "KMSMasterKeyID")))
        if r.get("bucket_key_enabled") is not None:
            rule["BucketKeyEnabled"] = r["bucket_key_enabled"]
        out.append(rule)
    return {"Rules": out}


def _lifecycle_filter(f: Any, prefix: Any = None, tags: Any = None) -> Any:
    if isinstance(f, Unknown):
        return f
    if f:
        and_ = first(f.get("and"))
        if and_:
            out = {"And": pick(and_, (("prefix", "Prefix"), ("object_size_greater_than", "ObjectSizeGreaterThan"),
                                       ("object_size_less_than", "ObjectSizeLessThan")))}
            if and_.get("tags"):
                out["And"]["Tags"] = [{"Key": k, "Value": v} for k, v in and_["tags"].items()]
            return out
        tag = first(f.get("tag"))
        if tag:
            return {"Tag": {"Key": tag.get("key"), "Value": tag.get("value")}}
        return pick(f, (("prefix", "Prefix"), ("object_size_greater_than", "ObjectSizeGreaterThan"),
                         ("object_size_less_than", "ObjectSizeLessThan")))
    if tags:
        return {"And": {"Prefix": prefix or "", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}}
    return {"Prefix": prefix or ""}


_EXPIRATION = (("days", "Days"), ("date", "Date"), ("expired_object_delete_marker", "ExpiredObjectDeleteMarker"))
_TRANSITION = (("days", "Days"), ("date", "Date"), ("storage_class", "StorageClass"))


def _lifecycle(rules: Any, v3: bool) -> Any:
    """Lifecycle rules: v4's ``aws_s3_bucket_lifecycle_configuration`` ``rule`` blocks, or v3's inline
    ``lifecycle_rule`` blocks, which name the status, filter, noncurrent days and multipart abort otherwise."""
    if isinstance(rules, Unknown):
        return rules
    out = []
    for r in blocks(rules):
        if v3:
            enabled = r.get("enabled")
            status = enabled if isinstance(enabled, Unknown) else ("Enabled" if enabled else "Disabled")
            rule = {"ID": r.get("id"), "Status": status, "Filter": _lifecycle_filter(None, r.get("prefix"), r.get("tags"))}
        else:
            rule = {"ID": r.get("id"), "Status": r.get("status"),
                    "Filter": _lifecycle_filter(first(r.get("filter")), r.get("prefix"))}
        exp = first(r.get("expiration"))
        if exp:
            rule["Expiration"] = pick(exp, _EXPIRATION)
        trans = [pick(t, _TRANSITION) for t in blocks(r.get("transition"))]
        if trans:
            rule["Transitions"] = trans
        nve = first(r.get("noncurrent_version_expiration"))
        if nve:
            rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": nve.get("days")} if v3 else pick(
                nve, (("noncurrent_days", "NoncurrentDays"), ("newer_noncurrent_versions", "NewerNoncurrentVersions")))
        days = "days" if v3 else "noncurrent_days"
        nvt = [pick(t, ((days, "NoncurrentDays"), ("storage_class", "StorageClass")))
               for t in blocks(r.get("noncurrent_version_transition"))]
        if nvt:
            rule["NoncurrentVersionTransitions"] = nvt
        if v3:
            if r.get("abort_incomplete_multipart_upload_days"):
                rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": r["abort_incomplete_multipart_upload_days"]}
        else:
            ab = first(r.get("abort_incomplete_multipart_upload"))
            if ab:
                rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": ab.get("days_after_initiation")}
        out.append({k: v for k, v in rule.items() if v is not None})
    return {"Rules": out}


def _replication(role: Any, rules: Any, v3: bool) -> Any:
    if isinstance(rules, Unknown):
        return rules
    out = []
    for r in blocks(rules):
        d = first(r.get("destination")) or {}
        if isinstance(d, Unknown):
            return d
        dest = pick(d, (("bucket", "Bucket"), ("storage_class", "StorageClass"),
                         ("account" if not v3 else "account_id", "Account")))
        act = first(d.get("access_control_translation"))
        if act:
            dest["AccessControlTranslation"] = {"Owner": act.get("owner")}
        kms = d.get("replica_kms_key_id") if v3 else (first(d.get("encryption_configuration")) or {}).get("replica_kms_key_id")
        if kms:
            dest["EncryptionConfiguration"] = {"ReplicaKmsKeyID": kms}
        rule = {"ID": r.get("id"), "Priority": r.get("priority"), "Status": r.get("status"), "Destination": dest}
        f = first(r.get("filter"))
        if f or r.get("prefix") is not None:
            rule["Filter"] = _lifecycle_filter(f, r.get("prefix"))
        dmr = first(r.get("delete_marker_replication"))
        if dmr:
            rule["DeleteMarkerReplication"] = {"Status": dmr.get("status")}
        elif v3 and r.get("delete_marker_replication_status"):
            rule["DeleteMarkerReplication"] = {"Status": r["delete_marker_replication_status"]}
        out.append({k: v for k, v in rule.items() if v is not None})
    return {"Role": role, "Rules": out}


def _website_v4(w: dict) -> Any:
    out: dict = {}
    idx = first(w.get("index_document"))
    if idx:
        out["IndexDocument"] = {"Suffix": idx.get("suffix")}
    err = first(w.get("error_document"))
    if err:
        out["ErrorDocument"] = {"Key": err.get("key")}
    red = first(w.get("redirect_all_requests_to"))
    if red:
        out["RedirectAllRequestsTo"] = pick(red, (("host_name", "HostName"), ("protocol", "Protocol")))
    rules = w.get("routing_rules")
    if isinstance(rules, str) and rules:
        out["RoutingRules"] = json.loads(str(rules))
    elif blocks(w.get("routing_rule")):
        out["RoutingRules"] = [{"Condition": pick(first(r.get("condition")), (
            ("http_error_code_returned_equals", "HttpErrorCodeReturnedEquals"), ("key_prefix_equals", "KeyPrefixEquals"))),
            "Redirect": pick(first(r.get("redirect")), (("host_name", "HostName"), ("protocol", "Protocol"),
                                                           ("replace_key_prefix_with", "ReplaceKeyPrefixWith"),
                                                           ("replace_key_with", "ReplaceKeyWith"),
                                                           ("http_redirect_code", "HttpRedirectCode")))}
            for r in blocks(w.get("routing_rule"))]
    return out


def _grants(grants: Any, owner_id: str) -> Any:
    out = []
    for g in blocks(grants):
        if isinstance(g, Unknown):
            return g
        gtype = g.get("type")
        grantee: dict = {"Type": gtype}
        if g.get("id"):
            grantee["ID"] = g["id"]
        if g.get("uri"):
            grantee["URI"] = g["uri"]
        if g.get("email_address"):
            grantee["EmailAddress"] = g["email_address"]
        perms = g.get("permissions") or ([g["permission"]] if g.get("permission") else [])
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
    if red:
        if isinstance(red, str) and "://" in red:
            proto, host = red.split("://", 1)
            out["RedirectAllRequestsTo"] = {"HostName": host, "Protocol": proto}
        else:
            out["RedirectAllRequestsTo"] = {"HostName": red}
    rules = w.get("routing_rules")
    if isinstance(rules, str) and rules:
        out["RoutingRules"] = json.loads(str(rules))
    return out


def _object_lock(ol: dict) -> Any:
    out: dict = {"ObjectLockEnabled": ol.get("object_lock_enabled") or "Enabled"}
    rule = first(ol.get("rule"))
    if isinstance(rule, Unknown):
        return rule
    if rule:
        dr = first(rule.get("default_retention"))
        if isinstance(dr, Unknown):
            return dr
        if dr:
            out["Rule"] = {"DefaultRetention": pick(dr, (("mode", "Mode"), ("days", "Days"), ("years", "Years")))}
    return out




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
    m.b.bucket(name, r.loc, created=r.created, name_unknown=r.name_unknown)
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
        acl = v["acl"]
        _set(m, r, name, "Acl", acl if isinstance(acl, Unknown) else
                  canned_acl(str(acl), m.b.account_id) or Unknown(f"`{acl}` is not a canned ACL"), "acl")
    if blocks(v.get("grant")):
        grants = _grants(v["grant"], "")
        _set(m, r, name, "Acl", grants if isinstance(grants, Unknown) else
                  {"Owner": {"ID": _owner(m.b)}, "Grants": grants}, "grant")
    if v.get("policy") not in (None, ""):
        m.b.set_bucket_policy(name, v["policy"], r.at("policy"))
    ver = first(v.get("versioning"))
    if ver is not None:
        _set(m, r, name, "Versioning", ver if isinstance(ver, Unknown) else _versioning_v3(ver), "versioning")
    log = first(v.get("logging"))
    if log is not None:
        _set(m, r, name, "Logging", log if isinstance(log, Unknown) else
                  {"LoggingEnabled": pick(log, (("target_bucket", "TargetBucket"), ("target_prefix", "TargetPrefix")))}
                  if log.get("target_bucket") else {}, "logging")
    sse = first(v.get("server_side_encryption_configuration"))
    if sse is not None:
        _set(m, r, name, "Encryption", sse if isinstance(sse, Unknown) else _enc_rules(sse.get("rule")),
                  "server_side_encryption_configuration")
    if blocks(v.get("lifecycle_rule")):
        _set(m, r, name, "Lifecycle", _lifecycle(v["lifecycle_rule"], v3=True), "lifecycle_rule")
    rep = first(v.get("replication_configuration"))
    if rep is not None:
        _set(m, r, name, "Replication", rep if isinstance(rep, Unknown) else
                  _replication(rep.get("role"), rep.get("rules"), True), "replication_configuration")
    web = first(v.get("website"))
    if web is not None:
        _set(m, r, name, "Website", web if isinstance(web, Unknown) else _website_v3(web), "website")
    ol = first(v.get("object_lock_configuration"))
    if ol is not None:
        _set(m, r, name, "ObjectLock", ol if isinstance(ol, Unknown) else _object_lock(ol), "object_lock_configuration")
    elif v.get("object_lock_enabled") is True:
        _set(m, r, name, "ObjectLock", {"ObjectLockEnabled": "Enabled"}, "object_lock_enabled")


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
        acl = v["acl"]
        _set(m, r, name, "Acl", acl if isinstance(acl, Unknown) else
                  canned_acl(str(acl), m.b.account_id) or Unknown(f"`{acl}` is not a canned ACL"), "acl")
        return
    acp = first(v.get("access_control_policy"))
    if acp is None:
        return
    if isinstance(acp, Unknown):
        _set(m, r, name, "Acl", acp, "access_control_policy")
        return
    owner = first(acp.get("owner")) or {}
    grants = []
    for g in blocks(acp.get("grant")):
        ge = first(g.get("grantee")) or {}
        grants.append({"grantee": ge, "permission": g.get("permission")})
    flat = _grants([{**x["grantee"], "permission": x["permission"]} for x in grants], "")
    _set(m, r, name, "Acl", flat if isinstance(flat, Unknown) else
              {"Owner": pick(owner, (("id", "ID"), ("display_name", "DisplayName"))) or {"ID": _owner(m.b)},
               "Grants": flat}, "access_control_policy")


@maps("aws_s3_bucket_ownership_controls")
def aws_s3_bucket_ownership_controls(m: Mapper, r: Res) -> None:
    name = _bucket_of(m, r)
    if name:
        rule = first(r.values.get("rule"))
        value = rule if isinstance(rule, Unknown) else {"Rules": [{"ObjectOwnership": rule.get("object_ownership")}]} if rule else None
        if value is not None:
            _set(m, r, name, "OwnershipControls", value, "rule")


@maps("aws_s3_bucket_versioning")
def aws_s3_bucket_versioning(m: Mapper, r: Res) -> None:
    name = _bucket_of(m, r)
    if not name:
        return
    vc = first(r.values.get("versioning_configuration"))
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
        m.b.set_bucket(name, key, value_of(r.values), r.changed_at())


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
    vpc = first(v.get("vpc_configuration"))
    pab = first(v.get("public_access_block_configuration"))
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
