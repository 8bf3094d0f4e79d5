"""CloudFormation's S3 resource types: buckets, bucket policies and access points (mapping to the snapshot's
values in AWS's API shapes, names, and the attributes ``Fn::GetAtt`` knows before deploy)."""
from __future__ import annotations

from typing import Any

from ...arns import access_point_arn, bucket_arn, bucket_domain_name, bucket_regional_domain_name
from ...builder import PUBLIC_ACCESS_BLOCK_KEYS, access_point_entry, canned_acl
from ....errors import InputError, Place
from ...values import PDict, Unknown, first_unknown
from ..registry import NAME_PROPERTY, PROPERTIES, Mapper, Named, attributes, keep, maps, tag_map
from ..shapes import BOOL, INT, STR, TAGS, ListOf, Obj

NAME_PROPERTY["AWS::S3::Bucket"] = "BucketName"
NAME_PROPERTY["AWS::S3::AccessPoint"] = "Name"


@attributes("AWS::S3::Bucket")
def _bucket_attribute(t: Any, r: Named, attr: str) -> Any:
    if attr == "Arn":
        return bucket_arn(r.name)
    if attr == "DomainName":
        return bucket_domain_name(r.name)
    if attr == "RegionalDomainName" and isinstance(t.region, str):
        return bucket_regional_domain_name(r.name, t.region)
    return None


@attributes("AWS::S3::AccessPoint")
def _access_point_attribute(t: Any, r: Named, attr: str) -> Any:
    if attr == "Name":
        return r.name
    if attr == "Arn" and isinstance(t.region, str):
        return access_point_arn(t.region, t.account_id, r.name)
    return None


_CANNED = {"Private": "private", "PublicRead": "public-read", "PublicReadWrite": "public-read-write",
           "AuthenticatedRead": "authenticated-read", "LogDeliveryWrite": "log-delivery-write",
           "BucketOwnerRead": "bucket-owner-read", "BucketOwnerFullControl": "bucket-owner-full-control",
           "AwsExecRead": "aws-exec-read"}

# The properties read, in the shapes of the AWS::S3::Bucket reference
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html).
_PAB = Obj({k: BOOL for k in PUBLIC_ACCESS_BLOCK_KEYS})
_TRANSITION = Obj({"StorageClass": STR, "TransitionInDays": INT, "TransitionDate": STR, "NewerNoncurrentVersions": INT})
_LIFECYCLE_RULE = Obj({
    "Id": STR, "Status": STR, "Prefix": STR, "ExpirationInDays": INT, "ExpirationDate": STR,
    "ExpiredObjectDeleteMarker": BOOL, "TagFilters": TAGS, "Transitions": ListOf(_TRANSITION), "Transition": _TRANSITION,
    "NoncurrentVersionExpiration": Obj({"NoncurrentDays": INT, "NewerNoncurrentVersions": INT}),
    "NoncurrentVersionExpirationInDays": INT, "NoncurrentVersionTransitions": ListOf(_TRANSITION),
    "NoncurrentVersionTransition": _TRANSITION, "AbortIncompleteMultipartUpload": Obj({"DaysAfterInitiation": INT}),
    "ObjectSizeGreaterThan": STR, "ObjectSizeLessThan": STR}, required=("Status",))
_REPLICATION_RULE = Obj({
    "Id": STR, "Priority": INT, "Status": STR, "Prefix": STR, "Filter": Obj(),
    "Destination": Obj({"Bucket": STR, "StorageClass": STR, "Account": STR,
                        "AccessControlTranslation": Obj({"Owner": STR}, required=("Owner",)),
                        "EncryptionConfiguration": Obj({"ReplicaKmsKeyID": STR})}, required=("Bucket",)),
    "DeleteMarkerReplication": Obj({"Status": STR}), "SourceSelectionCriteria": Obj()},
    required=("Destination", "Status"))
PROPERTIES["AWS::S3::Bucket"] = Obj({
    "BucketName": STR, "AccessControl": STR, "Tags": TAGS, "ObjectLockEnabled": BOOL,
    "BucketEncryption": Obj({"ServerSideEncryptionConfiguration": ListOf(Obj({
        "ServerSideEncryptionByDefault": Obj({"SSEAlgorithm": STR, "KMSMasterKeyID": STR}, required=("SSEAlgorithm",)),
        "BucketKeyEnabled": BOOL}))}, required=("ServerSideEncryptionConfiguration",)),
    "VersioningConfiguration": Obj({"Status": STR}, required=("Status",)),
    "LoggingConfiguration": Obj({"DestinationBucketName": STR, "LogFilePrefix": STR}),
    "PublicAccessBlockConfiguration": _PAB,
    "OwnershipControls": Obj({"Rules": ListOf(Obj({"ObjectOwnership": STR}, required=("ObjectOwnership",)))},
                             required=("Rules",)),
    "LifecycleConfiguration": Obj({"Rules": ListOf(_LIFECYCLE_RULE)}, required=("Rules",)),
    "ObjectLockConfiguration": Obj({"ObjectLockEnabled": STR, "Rule": Obj({"DefaultRetention": Obj({
        "Mode": STR, "Days": INT, "Years": INT})})}),
    "ReplicationConfiguration": Obj({"Role": STR, "Rules": ListOf(_REPLICATION_RULE)}, required=("Role", "Rules")),
    "WebsiteConfiguration": Obj({
        "IndexDocument": STR, "ErrorDocument": STR,
        "RedirectAllRequestsTo": Obj({"HostName": STR, "Protocol": STR}, required=("HostName",)),
        "RoutingRules": ListOf(Obj({"RoutingRuleCondition": Obj({"HttpErrorCodeReturnedEquals": STR,
                                                                 "KeyPrefixEquals": STR}),
                                    "RedirectRule": Obj({"HostName": STR, "HttpRedirectCode": STR, "Protocol": STR,
                                                         "ReplaceKeyPrefixWith": STR, "ReplaceKeyWith": STR})},
                                   required=("RedirectRule",)))}),
})
PROPERTIES["AWS::S3::BucketPolicy"] = Obj({"Bucket": STR}, required=("Bucket", "PolicyDocument"))
PROPERTIES["AWS::S3::AccessPoint"] = Obj({"Bucket": STR, "Name": STR, "BucketAccountId": STR,
                                          "VpcConfiguration": Obj({"VpcId": STR}),
                                          "PublicAccessBlockConfiguration": _PAB}, required=("Bucket",))

# A bucket property -> (the snapshot key it sets, how its value becomes the API's shape). A value with anything
# unknown inside is unknown as a whole (docs/iac.md: bucket values are kept whole).
_BUCKET_VALUES = {
    "Tags": ("Tags", lambda m, name, v: tag_map(v)),
    "BucketEncryption": ("Encryption", lambda m, name, v: {"Rules": [
        {**({"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"]}
            if "ServerSideEncryptionByDefault" in r else {}), **keep(r, ("BucketKeyEnabled",))}
        for r in v["ServerSideEncryptionConfiguration"]]}),
    "VersioningConfiguration": ("Versioning", lambda m, name, v: keep(v, ("Status",))),
    # "By default, logs are stored in the bucket where the LoggingConfiguration property is defined."
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-s3-bucket-loggingconfiguration.html
    "LoggingConfiguration": ("Logging", lambda m, name, v: {"LoggingEnabled": {
        "TargetBucket": v.get("DestinationBucketName", name), "TargetPrefix": v.get("LogFilePrefix", "")}}),
    # Settings left out of the configuration are false.
    "PublicAccessBlockConfiguration": ("PublicAccessBlock",
                                       lambda m, name, v: {k: v.get(k, False) for k in PUBLIC_ACCESS_BLOCK_KEYS}),
    "OwnershipControls": ("OwnershipControls", lambda m, name, v: v),
    "LifecycleConfiguration": ("Lifecycle", lambda m, name, v: {"Rules": [_lifecycle_rule(r) for r in v["Rules"]]}),
    "ReplicationConfiguration": ("Replication", lambda m, name, v: {
        "Role": v["Role"], "Rules": [_replication_rule(r) for r in v["Rules"]]}),
    "WebsiteConfiguration": ("Website", lambda m, name, v: _website(v)),
}


def _set(m: Mapper, name: str, logical: str, props: PDict, prop: str, key: str, value: Any) -> None:
    """Set a bucket value, located at the property it comes from."""
    m.b.set_bucket(name, key, value, m.at(logical, props, prop))


@maps("AWS::S3::Bucket", stage=0)
def s3_bucket(m: Mapper, logical: str, p: PDict) -> None:
    t, b = m.t, m.b
    name = t.name(logical)
    b.bucket(name, t.loc_of(logical), created=True, name_unknown=t.name_unknown.get(logical))
    b.set_bucket(name, "Region", t.region, None)
    for prop, (key, convert) in _BUCKET_VALUES.items():
        if prop in p:
            v = p[prop]
            u = first_unknown(v)
            _set(m, name, logical, p, prop, key, u if u is not None else convert(m, name, v))
    if "AccessControl" in p:
        acl = p["AccessControl"]
        value = acl if isinstance(acl, Unknown) else canned_acl(_CANNED.get(acl, ""), b.account_id)
        if value is None:
            at = m.at(logical, p, "AccessControl")
            raise InputError(f"`{acl[:60]}` is not a canned ACL CloudFormation knows", Place(at.file, at.line, at.column))
        _set(m, name, logical, p, "AccessControl", "Acl", value)
    if "ObjectLockConfiguration" in p or p.get("ObjectLockEnabled") is not None:
        olc = p.get("ObjectLockConfiguration")
        enabled = p.get("ObjectLockEnabled")
        u = first_unknown(olc) or (enabled if isinstance(enabled, Unknown) else None)
        prop = "ObjectLockConfiguration" if "ObjectLockConfiguration" in p else "ObjectLockEnabled"
        if u is not None:
            _set(m, name, logical, p, prop, "ObjectLock", u)
        elif olc is not None or enabled is True:
            olc = olc or {}
            _set(m, name, logical, p, prop, "ObjectLock", {"ObjectLockEnabled": olc.get("ObjectLockEnabled", "Enabled"),
                                                          **keep(olc, ("Rule",))})


@maps("AWS::S3::BucketPolicy")
def s3_bucket_policy(m: Mapper, logical: str, p: PDict) -> None:
    name = m.named(logical, p, "Bucket", "bucket")
    if name:
        m.b.bucket(name)
        m.b.set_bucket_policy(name, p.get("PolicyDocument"), m.at(logical, p, "PolicyDocument"))
        m.b.locate(m.b.bucket_path(name) + ("Policy",), m.t.loc_of(logical))


@maps("AWS::S3::AccessPoint", stage=3)
def s3_access_point(m: Mapper, logical: str, p: PDict) -> None:
    name = m.t.name(logical)
    bucket = m.named(logical, p, "Bucket", "bucket")
    if bucket is None:
        return
    vpc = p.get("VpcConfiguration")
    pab = p.get("PublicAccessBlockConfiguration")
    # An access point's Block Public Access settings are all on unless the template turns them off.
    entry = access_point_entry(bucket, vpc if isinstance(vpc, Unknown) or not vpc else keep(vpc, ("VpcId",)),
                               pab if isinstance(pab, Unknown) else
                               {k: (pab or {}).get(k, True) for k in PUBLIC_ACCESS_BLOCK_KEYS},
                               p.get("BucketAccountId"))
    m.b.access_point(name, entry, p.get("Policy"), m.t.loc_of(logical))


def _filter(r: dict) -> dict:
    tags = r.get("TagFilters") or []
    prefix = r.get("Prefix")
    if tags:
        return {"And": {**({"Prefix": prefix} if prefix else {}), "Tags": [keep(x, ("Key", "Value")) for x in tags]}}
    return {"Prefix": prefix or ""}


def _lifecycle_rule(r: dict) -> dict:
    out = {"ID": r.get("Id"), "Status": r.get("Status"), "Filter": _filter(r)}
    exp = {}
    if r.get("ExpirationInDays") is not None:
        exp["Days"] = r["ExpirationInDays"]
    if r.get("ExpirationDate") is not None:
        exp["Date"] = r["ExpirationDate"]
    if r.get("ExpiredObjectDeleteMarker") is not None:
        exp["ExpiredObjectDeleteMarker"] = r["ExpiredObjectDeleteMarker"]
    if exp:
        out["Expiration"] = exp
    trans = list(r.get("Transitions") or []) + ([r["Transition"]] if r.get("Transition") else [])
    if trans:
        out["Transitions"] = [{**keep(x, ("StorageClass",)), **({"Days": x["TransitionInDays"]} if "TransitionInDays" in x else {}),
                               **({"Date": x["TransitionDate"]} if "TransitionDate" in x else {})} for x in trans]
    nve = r.get("NoncurrentVersionExpiration")
    if nve:
        out["NoncurrentVersionExpiration"] = keep(nve, ("NoncurrentDays", "NewerNoncurrentVersions"))
    elif r.get("NoncurrentVersionExpirationInDays") is not None:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": r["NoncurrentVersionExpirationInDays"]}
    nvt = list(r.get("NoncurrentVersionTransitions") or []) + (
        [r["NoncurrentVersionTransition"]] if r.get("NoncurrentVersionTransition") else [])
    if nvt:
        out["NoncurrentVersionTransitions"] = [{**keep(x, ("StorageClass",)), "NoncurrentDays": x.get("TransitionInDays")}
                                               for x in nvt]
    if r.get("AbortIncompleteMultipartUpload"):
        out["AbortIncompleteMultipartUpload"] = keep(r["AbortIncompleteMultipartUpload"], ("DaysAfterInitiation",))
    return {k: v for k, v in out.items() if v is not None}


def _replication_rule(r: dict) -> dict:
    out = {"ID": r.get("Id"), "Priority": r.get("Priority"), "Status": r.get("Status"),
           "Destination": keep(r.get("Destination") or {}, ("Bucket", "StorageClass", "Account",
                                                              "AccessControlTranslation", "EncryptionConfiguration"))}
    if "Filter" in r:
        out["Filter"] = r["Filter"]
    elif "Prefix" in r:
        out["Filter"] = {"Prefix": r["Prefix"]}
    if "DeleteMarkerReplication" in r:
        out["DeleteMarkerReplication"] = r["DeleteMarkerReplication"]
    return {k: v for k, v in out.items() if v is not None}


def _website(w: dict) -> dict:
    out: dict = {}
    if w.get("IndexDocument"):
        out["IndexDocument"] = {"Suffix": w["IndexDocument"]}
    if w.get("ErrorDocument"):
        out["ErrorDocument"] = {"Key": w["ErrorDocument"]}
    if w.get("RedirectAllRequestsTo"):
        out["RedirectAllRequestsTo"] = w["RedirectAllRequestsTo"]
    if w.get("RoutingRules"):
        out["RoutingRules"] = [{"Condition": x.get("RoutingRuleCondition") or {}, "Redirect": x.get("RedirectRule") or {}}
                               for x in w["RoutingRules"]]
    return out
