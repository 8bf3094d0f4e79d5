"""Mapping Terraform resources to the snapshot: computed attributes, and the ``Mapper`` (Terraform's
attribute names -> the builder's AWS API shapes)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..builder import SnapshotBuilder, canned_acl, owner_placeholder
from ..locations import Sel
from ..values import Loc, Unknown


@dataclass
class Res:
    """One resource instance, from either reader, as the mapping sees it."""

    address: str
    type: str
    values: dict
    loc: Loc | None
    key_pos: dict[str, Loc] = field(default_factory=dict)
    created: bool = True
    module: str = ""  # module address prefix, "" for the root module, else "module.a." ...
    name_unknown: str | None = None

    def at(self, key: str) -> Loc | None:
        return self.key_pos.get(key) or self.loc

    def changed_at(self) -> Loc | None:
        """Where the value a resource sets as a whole comes from: the first argument an override file set
        in it (the last override file, by name, wins), else its block."""
        if self.loc is None:
            return None
        outside = [loc for loc in self.key_pos.values() if loc.file != self.loc.file]
        if not outside:
            return self.loc
        last = max(loc.file for loc in outside)
        return min((loc for loc in outside if loc.file == last), key=lambda loc: (loc.line, loc.column))


def placeholder(address: str) -> str:
    return f"<{address}>"


# --- computed attributes ----------------------------------------------------------------------------------

NAMED_TYPES = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group", "aws_iam_policy": "policy"}


def _fill(obj: dict, key: str, value: Any) -> None:
    """Set a computed attribute the configuration (or the plan) leaves absent or unknown."""
    if obj.get(key) is None or isinstance(obj.get(key), Unknown):
        obj[key] = value


def add_computed(rtype: str, obj: dict, address: str, account_id: str, region: Any) -> str | None:
    """Fill the attributes the provider computes but s3audit can tell (``id``, ``arn``...).

    Returns why the resource's name is a placeholder, or None when the name is known.
    """
    why = None
    if rtype == "aws_s3_bucket":
        name = obj.get("bucket")
        if not isinstance(name, str) or name == "":
            why = ("the name is generated from `bucket_prefix` at apply time" if obj.get("bucket_prefix")
                   else f"the name is unknown ({name.reason})" if isinstance(name, Unknown)
                   else "the name is generated at apply time")
            name = obj["bucket"] = placeholder(address)
        _fill(obj, "id", name)
        _fill(obj, "arn", f"arn:aws:s3:::{name}")
        _fill(obj, "bucket_domain_name", f"{name}.s3.amazonaws.com")
        if isinstance(region, str):
            _fill(obj, "region", region)
            _fill(obj, "bucket_regional_domain_name", f"{name}.s3.{region}.amazonaws.com")
    elif rtype in NAMED_TYPES:
        name = obj.get("name")
        if not isinstance(name, str) or name == "":
            why = (f"the name is unknown ({name.reason})" if isinstance(name, Unknown)
                   else "the name is generated at apply time")
            name = obj["name"] = placeholder(address)
        path = obj.get("path") if isinstance(obj.get("path"), str) else "/"
        arn = f"arn:aws:iam::{account_id}:{NAMED_TYPES[rtype]}{path}{name}"
        _fill(obj, "arn", arn)
        _fill(obj, "id", arn if rtype == "aws_iam_policy" else name)
    elif rtype == "aws_s3_access_point":
        name = obj.get("name")
        if isinstance(name, str):
            _fill(obj, "id", f"{account_id}:{name}")
            if isinstance(region, str):
                _fill(obj, "arn", f"arn:aws:s3:{region}:{account_id}:accesspoint/{name}")
    elif rtype == "aws_organizations_policy":
        _fill(obj, "id", placeholder(address))
    elif rtype.startswith("aws_s3_bucket_") and isinstance(obj.get("bucket"), str):
        _fill(obj, "id", obj["bucket"])
    return why




# --- mapping resources to the snapshot ---------------------------------------------------------------------

def _blocks(v: Any) -> Any:
    if v is None:
        return []
    if isinstance(v, Unknown):
        return v
    if isinstance(v, dict):
        return [v]
    return list(v)


def _first(v: Any) -> Any:
    b = _blocks(v)
    if isinstance(b, Unknown):
        return b
    return b[0] if b else None


def _pick(d: dict | None, mapping: Iterable[tuple[str, str]], convert=None) -> dict:
    out = {}
    if not d:
        return out
    for src, dst in mapping:
        v = d.get(src)
        if v is None or v == "" or (isinstance(v, list) and not v):
            continue
        out[dst] = convert(v) if convert else v
    return out


def _enc_rules(rules: Any) -> Any:
    if isinstance(rules, Unknown):
        return rules
    out = []
    for r in _blocks(rules):
        d = _first(r.get("apply_server_side_encryption_by_default"))
        rule: dict = {}
        if isinstance(d, Unknown):
            return d
        if d:
            rule["ApplyServerSideEncryptionByDefault"] = _pick(d, (("sse_algorithm", "SSEAlgorithm"),
                                                                   ("kms_master_key_id", "KMSMasterKeyID")))
        if r.get("bucket_key_enabled") is not None:
            rule["BucketKeyEnabled"] = r["bucket_key_enabled"]
        out.append(rule)
    return {"Rules": out}


def _lifecycle_filter(f: Any, prefix: Any = None, tags: Any = None) -> Any:
    if isinstance(f, Unknown):
        return f
    if f:
        and_ = _first(f.get("and"))
        if and_:
            out = {"And": _pick(and_, (("prefix", "Prefix"), ("object_size_greater_than", "ObjectSizeGreaterThan"),
                                       ("object_size_less_than", "ObjectSizeLessThan")))}
            if and_.get("tags"):
                out["And"]["Tags"] = [{"Key": k, "Value": v} for k, v in and_["tags"].items()]
            return out
        tag = _first(f.get("tag"))
        if tag:
            return {"Tag": {"Key": tag.get("key"), "Value": tag.get("value")}}
        return _pick(f, (("prefix", "Prefix"), ("object_size_greater_than", "ObjectSizeGreaterThan"),
                         ("object_size_less_than", "ObjectSizeLessThan")))
    if tags:
        return {"And": {"Prefix": prefix or "", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}}
    return {"Prefix": prefix or ""}


def _lifecycle_v4(rules: Any) -> Any:
    if isinstance(rules, Unknown):
        return rules
    out = []
    for r in _blocks(rules):
        rule = {"ID": r.get("id"), "Status": r.get("status"),
                "Filter": _lifecycle_filter(_first(r.get("filter")), r.get("prefix"))}
        exp = _first(r.get("expiration"))
        if exp:
            rule["Expiration"] = _pick(exp, (("days", "Days"), ("date", "Date"),
                                             ("expired_object_delete_marker", "ExpiredObjectDeleteMarker")))
        trans = [_pick(t, (("days", "Days"), ("date", "Date"), ("storage_class", "StorageClass")))
                 for t in _blocks(r.get("transition"))]
        if trans:
            rule["Transitions"] = trans
        nve = _first(r.get("noncurrent_version_expiration"))
        if nve:
            rule["NoncurrentVersionExpiration"] = _pick(nve, (("noncurrent_days", "NoncurrentDays"),
                                                              ("newer_noncurrent_versions", "NewerNoncurrentVersions")))
        nvt = [_pick(t, (("noncurrent_days", "NoncurrentDays"), ("storage_class", "StorageClass")))
               for t in _blocks(r.get("noncurrent_version_transition"))]
        if nvt:
            rule["NoncurrentVersionTransitions"] = nvt
        ab = _first(r.get("abort_incomplete_multipart_upload"))
        if ab:
            rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": ab.get("days_after_initiation")}
        out.append({k: v for k, v in rule.items() if v is not None})
    return {"Rules": out}


def _lifecycle_v3(rules: Any) -> Any:
    if isinstance(rules, Unknown):
        return rules
    out = []
    for r in _blocks(rules):
        enabled = r.get("enabled")
        rule = {"ID": r.get("id"), "Status": enabled if isinstance(enabled, Unknown) else
                ("Enabled" if enabled else "Disabled"),
                "Filter": _lifecycle_filter(None, r.get("prefix"), r.get("tags"))}
        exp = _first(r.get("expiration"))
        if exp:
            rule["Expiration"] = _pick(exp, (("days", "Days"), ("date", "Date"),
                                             ("expired_object_delete_marker", "ExpiredObjectDeleteMarker")))
        trans = [_pick(t, (("days", "Days"), ("date", "Date"), ("storage_class", "StorageClass")))
                 for t in _blocks(r.get("transition"))]
        if trans:
            rule["Transitions"] = trans
        nve = _first(r.get("noncurrent_version_expiration"))
        if nve:
            rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": nve.get("days")}
        nvt = [_pick(t, (("days", "NoncurrentDays"), ("storage_class", "StorageClass")))
               for t in _blocks(r.get("noncurrent_version_transition"))]
        if nvt:
            rule["NoncurrentVersionTransitions"] = nvt
        if r.get("abort_incomplete_multipart_upload_days"):
            rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": r["abort_incomplete_multipart_upload_days"]}
        out.append({k: v for k, v in rule.items() if v is not None})
    return {"Rules": out}


def _replication(role: Any, rules: Any, v3: bool) -> Any:
    if isinstance(rules, Unknown):
        return rules
    out = []
    for r in _blocks(rules):
        d = _first(r.get("destination")) or {}
        if isinstance(d, Unknown):
            return d
        dest = _pick(d, (("bucket", "Bucket"), ("storage_class", "StorageClass"),
                         ("account" if not v3 else "account_id", "Account")))
        act = _first(d.get("access_control_translation"))
        if act:
            dest["AccessControlTranslation"] = {"Owner": act.get("owner")}
        kms = d.get("replica_kms_key_id") if v3 else (_first(d.get("encryption_configuration")) or {}).get("replica_kms_key_id")
        if kms:
            dest["EncryptionConfiguration"] = {"ReplicaKmsKeyID": kms}
        rule = {"ID": r.get("id"), "Priority": r.get("priority"), "Status": r.get("status"), "Destination": dest}
        f = _first(r.get("filter"))
        if f or r.get("prefix") is not None:
            rule["Filter"] = _lifecycle_filter(f, r.get("prefix"))
        dmr = _first(r.get("delete_marker_replication"))
        if dmr:
            rule["DeleteMarkerReplication"] = {"Status": dmr.get("status")}
        elif v3 and r.get("delete_marker_replication_status"):
            rule["DeleteMarkerReplication"] = {"Status": r["delete_marker_replication_status"]}
        out.append({k: v for k, v in rule.items() if v is not None})
    return {"Role": role, "Rules": out}


def _website_v4(w: dict) -> Any:
    out: dict = {}
    idx = _first(w.get("index_document"))
    if idx:
        out["IndexDocument"] = {"Suffix": idx.get("suffix")}
    err = _first(w.get("error_document"))
    if err:
        out["ErrorDocument"] = {"Key": err.get("key")}
    red = _first(w.get("redirect_all_requests_to"))
    if red:
        out["RedirectAllRequestsTo"] = _pick(red, (("host_name", "HostName"), ("protocol", "Protocol")))
    rules = w.get("routing_rules")
    if isinstance(rules, str) and rules:
        out["RoutingRules"] = json.loads(str(rules))
    elif _blocks(w.get("routing_rule")):
        out["RoutingRules"] = [{"Condition": _pick(_first(r.get("condition")), (
            ("http_error_code_returned_equals", "HttpErrorCodeReturnedEquals"), ("key_prefix_equals", "KeyPrefixEquals"))),
            "Redirect": _pick(_first(r.get("redirect")), (("host_name", "HostName"), ("protocol", "Protocol"),
                                                           ("replace_key_prefix_with", "ReplaceKeyPrefixWith"),
                                                           ("replace_key_with", "ReplaceKeyWith"),
                                                           ("http_redirect_code", "HttpRedirectCode")))}
            for r in _blocks(w.get("routing_rule"))]
    return out


def _grants(grants: Any, owner_id: str) -> Any:
    out = []
    for g in _blocks(grants):
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


_PAB = (("block_public_acls", "BlockPublicAcls"), ("ignore_public_acls", "IgnorePublicAcls"),
        ("block_public_policy", "BlockPublicPolicy"), ("restrict_public_buckets", "RestrictPublicBuckets"))


def _pab(d: dict, default: bool = False) -> dict:
    return {dst: (d.get(src) if d.get(src) is not None else default) for src, dst in _PAB}


class Mapper:
    """Turns resource instances (Terraform attribute names) into builder calls (AWS API shapes)."""

    FIRST = ("aws_s3_bucket", "aws_iam_role", "aws_iam_user", "aws_iam_group", "aws_iam_policy",
             "aws_organizations_policy", "aws_s3_access_point")

    def __init__(self, builder: SnapshotBuilder, region: Any, default_tags: Any = None):
        self.b, self.region, self.default_tags = builder, region, default_tags

    def map_all(self, resources: list[Res]) -> None:
        ordered = [r for r in resources if r.type in self.FIRST] + [r for r in resources if r.type not in self.FIRST]
        for r in ordered:
            fn = getattr(self, "r_" + r.type, None)
            if fn is not None:
                fn(r)

    # -- helpers
    def _name(self, r: Res, attr: str, what: str) -> str | None:
        """A referenced name (a bucket, a role); None (and an account error) when unknown."""
        v = r.values.get(attr)
        if isinstance(v, str) and v:
            return str(v)
        reason = v.reason if isinstance(v, Unknown) else f"`{attr}` is not set"
        self.b.unplaced(r.address, f"the {what} of `{r.address}` is not known ({reason})")
        return None

    def _bucket_of(self, r: Res) -> str | None:
        return self._name(r, "bucket", "bucket")

    def _set(self, r: Res, bucket: str, key: str, value: Any, attr: str) -> None:
        # An inline argument of aws_s3_bucket is located at its line; a split-out resource at its block, or
        # at what an override file changed in it.
        self.b.set_bucket(bucket, key, value, r.at(attr) if r.type == "aws_s3_bucket" else r.changed_at())

    # -- S3
    def r_aws_s3_bucket(self, r: Res) -> None:
        v = r.values
        name = v["bucket"]
        self.b.bucket(name, r.loc, created=r.created, name_unknown=r.name_unknown)
        region = v.get("region") if isinstance(v.get("region"), str) else self.region
        if isinstance(region, str):
            self.b.set_bucket(name, "Region", region, None)
        else:
            self.b.set_bucket(name, "Region", region if isinstance(region, Unknown) else
                              Unknown("the region is chosen at apply time"), None)
        tags = v.get("tags_all") if v.get("tags_all") is not None else v.get("tags")
        if tags:
            self._set(r, name, "Tags", tags if isinstance(tags, Unknown) else dict(tags), "tags")
        # Provider v3 inline arguments (still accepted, deprecated, in v4 and v5).
        if v.get("acl") is not None:
            acl = v["acl"]
            self._set(r, name, "Acl", acl if isinstance(acl, Unknown) else
                      canned_acl(str(acl), self.b.account_id) or Unknown(f"`{acl}` is not a canned ACL"), "acl")
        if _blocks(v.get("grant")):
            grants = _grants(v["grant"], "")
            self._set(r, name, "Acl", grants if isinstance(grants, Unknown) else
                      {"Owner": {"ID": _owner(self.b)}, "Grants": grants}, "grant")
        if v.get("policy") not in (None, ""):
            self.b.set_bucket_policy(name, v["policy"], r.at("policy"))
        ver = _first(v.get("versioning"))
        if ver is not None:
            self._set(r, name, "Versioning", ver if isinstance(ver, Unknown) else _versioning_v3(ver), "versioning")
        log = _first(v.get("logging"))
        if log is not None:
            self._set(r, name, "Logging", log if isinstance(log, Unknown) else
                      {"LoggingEnabled": _pick(log, (("target_bucket", "TargetBucket"), ("target_prefix", "TargetPrefix")))}
                      if log.get("target_bucket") else {}, "logging")
        sse = _first(v.get("server_side_encryption_configuration"))
        if sse is not None:
            self._set(r, name, "Encryption", sse if isinstance(sse, Unknown) else _enc_rules(sse.get("rule")),
                      "server_side_encryption_configuration")
        if _blocks(v.get("lifecycle_rule")):
            self._set(r, name, "Lifecycle", _lifecycle_v3(v["lifecycle_rule"]), "lifecycle_rule")
        rep = _first(v.get("replication_configuration"))
        if rep is not None:
            self._set(r, name, "Replication", rep if isinstance(rep, Unknown) else
                      _replication(rep.get("role"), rep.get("rules"), True), "replication_configuration")
        web = _first(v.get("website"))
        if web is not None:
            self._set(r, name, "Website", web if isinstance(web, Unknown) else _website_v3(web), "website")
        ol = _first(v.get("object_lock_configuration"))
        if ol is not None:
            self._set(r, name, "ObjectLock", ol if isinstance(ol, Unknown) else _object_lock(ol), "object_lock_configuration")
        elif v.get("object_lock_enabled") is True:
            self._set(r, name, "ObjectLock", {"ObjectLockEnabled": "Enabled"}, "object_lock_enabled")

    def r_aws_s3_bucket_policy(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self.b.bucket(name)
            self.b.set_bucket_policy(name, r.values.get("policy"), r.at("policy"))

    def r_aws_s3_bucket_acl(self, r: Res) -> None:
        name = self._bucket_of(r)
        if not name:
            return
        v = r.values
        if v.get("acl") is not None:
            acl = v["acl"]
            self._set(r, name, "Acl", acl if isinstance(acl, Unknown) else
                      canned_acl(str(acl), self.b.account_id) or Unknown(f"`{acl}` is not a canned ACL"), "acl")
            return
        acp = _first(v.get("access_control_policy"))
        if acp is None:
            return
        if isinstance(acp, Unknown):
            self._set(r, name, "Acl", acp, "access_control_policy")
            return
        owner = _first(acp.get("owner")) or {}
        grants = []
        for g in _blocks(acp.get("grant")):
            ge = _first(g.get("grantee")) or {}
            grants.append({"grantee": ge, "permission": g.get("permission")})
        flat = _grants([{**x["grantee"], "permission": x["permission"]} for x in grants], "")
        self._set(r, name, "Acl", flat if isinstance(flat, Unknown) else
                  {"Owner": _pick(owner, (("id", "ID"), ("display_name", "DisplayName"))) or {"ID": _owner(self.b)},
                   "Grants": flat}, "access_control_policy")

    def r_aws_s3_bucket_public_access_block(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "PublicAccessBlock", _pab(r.values), "bucket")

    def r_aws_s3_bucket_ownership_controls(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            rule = _first(r.values.get("rule"))
            value = rule if isinstance(rule, Unknown) else {"Rules": [{"ObjectOwnership": rule.get("object_ownership")}]} if rule else None
            if value is not None:
                self._set(r, name, "OwnershipControls", value, "rule")

    def r_aws_s3_bucket_server_side_encryption_configuration(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "Encryption", _enc_rules(r.values.get("rule")), "rule")

    def r_aws_s3_bucket_versioning(self, r: Res) -> None:
        name = self._bucket_of(r)
        if not name:
            return
        vc = _first(r.values.get("versioning_configuration"))
        if isinstance(vc, Unknown) or vc is None:
            self._set(r, name, "Versioning", vc if vc is not None else {}, "versioning_configuration")
            return
        status = vc.get("status")
        out: dict = {}
        if isinstance(status, Unknown):
            out["Status"] = status
        elif status in ("Enabled", "Suspended"):
            out["Status"] = status  # "Disabled" is only allowed for a bucket never versioned: no Status
        if vc.get("mfa_delete") in ("Enabled", "Disabled"):
            out["MFADelete"] = vc["mfa_delete"]
        self._set(r, name, "Versioning", out, "versioning_configuration")

    def r_aws_s3_bucket_logging(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "Logging", {"LoggingEnabled": _pick(r.values, (("target_bucket", "TargetBucket"),
                                                                              ("target_prefix", "TargetPrefix")))},
                      "target_bucket")

    def r_aws_s3_bucket_lifecycle_configuration(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "Lifecycle", _lifecycle_v4(r.values.get("rule")), "rule")

    def r_aws_s3_bucket_object_lock_configuration(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "ObjectLock", _object_lock(r.values), "rule")

    def r_aws_s3_bucket_replication_configuration(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "Replication", _replication(r.values.get("role"), r.values.get("rule"), False), "rule")

    def r_aws_s3_bucket_website_configuration(self, r: Res) -> None:
        name = self._bucket_of(r)
        if name:
            self._set(r, name, "Website", _website_v4(r.values), "bucket")

    def r_aws_s3_account_public_access_block(self, r: Res) -> None:
        self.b.set_account_public_access_block(_pab(r.values), r.changed_at())

    def r_aws_s3_access_point(self, r: Res) -> None:
        v = r.values
        name = v.get("name")
        bucket = v.get("bucket")
        if not isinstance(name, str) or not isinstance(bucket, str):
            self.b.unplaced(r.address, "the name or bucket of the access point is known only after apply")
            return
        entry: dict = {"Bucket": bucket}
        vpc = _first(v.get("vpc_configuration"))
        if isinstance(vpc, Unknown):
            entry["VpcConfiguration"] = vpc
        elif vpc:
            entry["NetworkOrigin"] = "VPC"
            entry["VpcConfiguration"] = {"VpcId": vpc.get("vpc_id")}
        else:
            entry["NetworkOrigin"] = "Internet"
        pab = _first(v.get("public_access_block_configuration"))
        # The provider's (and S3's) default for an access point is all four settings on.
        entry["PublicAccessBlock"] = pab if isinstance(pab, Unknown) else _pab(pab or {}, default=True)
        if isinstance(v.get("bucket_account_id"), str):
            entry["BucketAccountId"] = v["bucket_account_id"]
        self.b.access_point(name, entry, v.get("policy"), r.loc)

    def r_aws_s3control_access_point_policy(self, r: Res) -> None:
        arn = r.values.get("access_point_arn")
        name = arn.rsplit("/", 1)[-1] if isinstance(arn, str) else None
        if name is None or name not in self.b.access_points:
            self.b.unplaced(r.address, "the access point of this policy is not in the configuration")
            return
        ap = self.b.access_points[name]
        entry = {k: v for k, v in ap.items() if k not in ("Name", "Policy")}
        self.b.access_point(name, entry, r.values.get("policy"), r.loc)

    # -- IAM
    def _path(self, r: Res) -> str:
        p = r.values.get("path")
        return p if isinstance(p, str) and p else "/"

    def r_aws_iam_role(self, r: Res) -> None:
        v = r.values
        name = v["name"]
        self.b.role(name, self._path(r), r.loc, _arn(v))
        self.b.trust_policy(name, v.get("assume_role_policy"), r.at("assume_role_policy"))
        inline = _blocks(v.get("inline_policy"))
        if isinstance(inline, Unknown):
            self.b.account_errors[f"iam:Role/{name}/RolePolicyList"] = f"Unknown: {inline.reason}"
        else:
            for p in inline:
                pname = p.get("name")
                if isinstance(pname, str) and pname:
                    self.b.inline_policy("role", name, pname, p.get("policy"), getattr(p, "pos", None) or r.at("inline_policy"))
        arns = v.get("managed_policy_arns")
        self._attach_list(r, "role", name, arns, "managed_policy_arns")
        self.b.boundary("role", name, v.get("permissions_boundary"), r.at("permissions_boundary"))
        self.b.tags("role", name, v.get("tags_all") if v.get("tags_all") is not None else v.get("tags"))

    def _attach_list(self, r: Res, kind: str, entity: str, arns: Any, attr: str) -> None:
        if arns is None:
            return
        if isinstance(arns, Unknown):
            self.b.account_errors[f"iam:{kind.title()}/{entity}/AttachedManagedPolicies"] = f"Unknown: {arns.reason}"
            return
        for arn in arns:
            if isinstance(arn, Unknown):
                self.b.account_errors[f"iam:{kind.title()}/{entity}/AttachedManagedPolicies"] = f"Unknown: {arn.reason}"
            else:
                self.b.attach(kind, entity, str(arn), r.at(attr))

    def _entity(self, r: Res, attr: str, kind: str) -> str | None:
        name = self._name(r, attr, kind)
        if name is None:
            return None
        if name.startswith("arn:aws:iam::"):
            name = name.rsplit("/", 1)[-1]
        if name not in getattr(self.b, kind + "s"):  # managed elsewhere: a partial entry to merge with live
            getattr(self.b, kind)(name)
        return name

    def _inline(self, r: Res, kind: str) -> None:
        entity = self._entity(r, kind, kind)
        if entity is None:
            return
        pname = r.values.get("name")
        if not isinstance(pname, str) or not pname:
            pname = placeholder(r.address)
        self.b.inline_policy(kind, entity, pname, r.values.get("policy"), r.at("policy"))
        self.b.locate(self.b._entity_path(kind, entity) + (self.b._ENTITY[kind][3], _sel_policy(pname)), r.loc)

    def r_aws_iam_role_policy(self, r: Res) -> None:
        self._inline(r, "role")

    def r_aws_iam_user_policy(self, r: Res) -> None:
        self._inline(r, "user")

    def r_aws_iam_group_policy(self, r: Res) -> None:
        self._inline(r, "group")

    def _attachment(self, r: Res, kind: str) -> None:
        entity = self._entity(r, kind, kind)
        arn = r.values.get("policy_arn")
        if entity is None:
            return
        self._attach_list(r, kind, entity, [arn], "policy_arn")

    def r_aws_iam_role_policy_attachment(self, r: Res) -> None:
        self._attachment(r, "role")

    def r_aws_iam_user_policy_attachment(self, r: Res) -> None:
        self._attachment(r, "user")

    def r_aws_iam_group_policy_attachment(self, r: Res) -> None:
        self._attachment(r, "group")

    def r_aws_iam_policy_attachment(self, r: Res) -> None:
        arn = r.values.get("policy_arn")
        for attr, kind in (("roles", "role"), ("users", "user"), ("groups", "group")):
            names = r.values.get(attr)
            if isinstance(names, Unknown):
                self.b.unplaced(r.address, f"the {attr} of `{r.address}` are not known ({names.reason})")
                continue
            for n in names or []:
                if isinstance(n, Unknown):
                    self.b.unplaced(r.address, f"the {attr} of `{r.address}` are not known ({n.reason})")
                    continue
                if n not in getattr(self.b, kind + "s"):
                    getattr(self.b, kind)(n)
                self._attach_list(r, kind, n, [arn], "policy_arn")

    def r_aws_iam_policy(self, r: Res) -> None:
        v = r.values
        self.b.managed_policy(v["arn"], v["name"], self._path(r), v.get("policy"), r.at("policy"))
        self.b.locate(self.b._account() + ("iam", "Policies", _sel_arn(v["arn"])), r.loc)

    def r_aws_iam_user(self, r: Res) -> None:
        v = r.values
        self.b.user(v["name"], self._path(r), r.loc, _arn(v))
        self.b.boundary("user", v["name"], v.get("permissions_boundary"), r.at("permissions_boundary"))
        self.b.tags("user", v["name"], v.get("tags_all") if v.get("tags_all") is not None else v.get("tags"))

    def r_aws_iam_group(self, r: Res) -> None:
        v = r.values
        self.b.group(v["name"], self._path(r), r.loc, _arn(v))

    def r_aws_iam_group_membership(self, r: Res) -> None:
        self._memberships(r, "group", "users", lambda group, user: (user, group))

    def r_aws_iam_user_group_membership(self, r: Res) -> None:
        self._memberships(r, "user", "groups", lambda user, group: (user, group))

    def _memberships(self, r: Res, kind: str, members_key: str, pair) -> None:
        """One entity (a group or a user) and a list of the other side: each pair becomes a membership."""
        entity = self._entity(r, kind, kind)
        members = r.values.get(members_key)
        if entity is None:
            return
        if isinstance(members, Unknown):
            self.b.unplaced(r.address, f"the {members_key} of `{r.address}` are not known ({members.reason})")
            return
        for m in members or []:
            if isinstance(m, str):
                user, group = pair(entity, m)
                self.b.add_to_group(user, group, r.loc)

    # -- Organizations
    def r_aws_organizations_policy(self, r: Res) -> None:
        v = r.values
        ptype = v.get("type") or "SERVICE_CONTROL_POLICY"
        if ptype not in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
            return  # tag, backup and AI opt-out policies do not decide access
        pid = v.get("id") if isinstance(v.get("id"), str) else placeholder(r.address)
        name = v.get("name") if isinstance(v.get("name"), str) else pid
        self.b.org_policy(pid, name, ptype, v.get("content"), r.at("content"))
        self.b.locate(("organization", "policies", _sel_id(pid)), r.loc)

    def r_aws_organizations_policy_attachment(self, r: Res) -> None:
        pid, target = r.values.get("policy_id"), r.values.get("target_id")
        if not isinstance(pid, str) or not isinstance(target, str):
            self.b.unplaced(r.address, "the policy or target of this attachment is known only after apply")
            return
        self.b.org_attach(pid, target, r.loc)


def _arn(v: dict) -> str | None:
    arn = v.get("arn")
    return arn if isinstance(arn, str) and arn.startswith("arn:") else None


def _sel_policy(name: str):
    return Sel("PolicyName", name)


def _sel_arn(arn: str):
    return Sel("Arn", arn)


def _sel_id(pid: str):
    return Sel("Id", pid)


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
    rule = _first(ol.get("rule"))
    if isinstance(rule, Unknown):
        return rule
    if rule:
        dr = _first(rule.get("default_retention"))
        if isinstance(dr, Unknown):
            return dr
        if dr:
            out["Rule"] = {"DefaultRetention": _pick(dr, (("mode", "Mode"), ("days", "Days"), ("years", "Years")))}
    return out


def strip_keys(address: str) -> str:
    """A resource address without its instance keys (``aws_s3_bucket.b[0]`` -> ``aws_s3_bucket.b``)."""
    return re.sub(r"\[[^\]]*\]", "", address)
