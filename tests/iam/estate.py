"""Terse estate descriptions -> format-v1 snapshot dicts, so that engine test cases stay short.

A description (YAML or a dict) looks like::

    accounts:
      "111111111111":
        users:
          alice: {policy: [...statements], groups: [devs], managed: [read-all], boundary: limit,
                  tags: {team: data}}
        groups:
          devs: {policy: [...], managed: [...]}
        roles:
          etl: {policy: [...], path: /aws-service-role/, boundary: limit, tags: {...}}
        managed:                       # customer managed policies of this account, by name
          read-all: [...statements]
        bpa: all | {IgnorePublicAcls: true, ...}        # account-level Block Public Access
        errors: {"iam:GetAccountAuthorizationDetails": AccessDenied}
        kms: [{KeyId: ..., Arn: ..., Policy: ..., Grants: [...], ...}]   # kms.keys, as given (DescribeKey shapes)
        endpoints: [{VpcEndpointId: vpce-1, PolicyDocument: ...}]       # ec2.vpc_endpoints, as given
        buckets:
          b1:
            kms_key: <key ARN, id or alias> | ""   # default encryption SSE-KMS with that key ("": aws/s3)
            bucket_key: true                       # S3 Bucket Keys on (with kms_key)
            policy: [...statements]    # bucket policy
            acl: [{grantee: AllUsers | AuthenticatedUsers | LogDelivery | owner | <account id>
                   | <canonical id>, permission: READ}]
            ownership: BucketOwnerEnforced | BucketOwnerPreferred | ObjectWriter
            bpa: all | {...}
            errors: {GetBucketPolicy: AccessDenied}
    organization:
      management: "999999999999"
      units: {prod: root, data: prod}  # OU name -> parent (OU name or `root`)
      accounts: {"111111111111": data} # account -> parent
      scps: [{name: FullAWSAccess, targets: [root, prod, ...], policy: FullAWSAccess | [...statements]}]
      rcps: [...same shape...]

A policy is a list of statements, one statement, or a whole document (a dict with `Statement`); the
first two are wrapped in ``{"Version": "2012-10-17", "Statement": ...}``. A user/role/group may also
give ``policies: [policy, ...]`` for several inline policies. Targets name `root`, OU names, or account
ids; they are turned into the organization's ids (``r-root``, ``ou-<name>``).
"""
from __future__ import annotations

import copy
from typing import Any

import yaml

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL_ACCESS = {"Version": "2012-10-17",
                   "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
ROOT_ID = "r-root"


def canonical_id(account: str) -> str:
    """A stable fake canonical user id for an account (64 hex characters, as AWS's are)."""
    return (account * 6)[:64].replace("1", "a").replace("2", "b").replace("3", "c")


def document(policy: Any, *, default=None) -> dict:
    if isinstance(policy, str):
        if policy == "FullAWSAccess":
            return copy.deepcopy(default or FULL_ACCESS)
        raise ValueError(f"unknown policy shorthand {policy!r}")
    if isinstance(policy, dict) and "Statement" in policy:
        return copy.deepcopy(policy)
    statements = policy if isinstance(policy, list) else [policy]
    return {"Version": "2012-10-17", "Statement": copy.deepcopy(statements)}


def _policies(spec: dict) -> list[dict]:
    out = []
    if "policy" in spec:
        out.append(document(spec["policy"]))
    for p in spec.get("policies", []):
        out.append(document(p))
    return out


def _managed_arn(account: str, ref: str) -> str:
    return ref if ref.startswith("arn:") else f"arn:aws:iam::{account}:policy/{ref}"


def _tags(tags: dict | None) -> list[dict]:
    return [{"Key": k, "Value": str(v)} for k, v in (tags or {}).items()]


def _bpa(value: Any) -> dict | None:
    if value is None:
        return None
    if value == "all":
        return {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True}
    if value == "none":
        return {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                "RestrictPublicBuckets": False}
    return dict(value)


def _grantee(account: str, who: str) -> dict:
    if who == "AllUsers":
        return {"Type": "Group", "URI": ALL_USERS}
    if who == "AuthenticatedUsers":
        return {"Type": "Group", "URI": AUTHENTICATED_USERS}
    if who == "LogDelivery":
        return {"Type": "Group", "URI": LOG_DELIVERY}
    if who == "owner":
        return {"Type": "CanonicalUser", "ID": canonical_id(account)}
    if who.isdigit() and len(who) == 12:
        return {"Type": "CanonicalUser", "ID": canonical_id(who)}
    if "@" in who:
        return {"Type": "AmazonCustomerByEmail", "EmailAddress": who}
    return {"Type": "CanonicalUser", "ID": who}


def _account(account: str, spec: dict) -> dict:
    spec = spec or {}
    iam: dict[str, Any] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    for name, body in (spec.get("managed") or {}).items():
        arn = _managed_arn(account, name)
        iam["Policies"].append({"PolicyName": arn.rsplit("/", 1)[-1], "Arn": arn, "DefaultVersionId": "v1",
                                "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True,
                                                       "Document": document(body)}]})
    for name, body in (spec.get("groups") or {}).items():
        body = body or {}
        iam["GroupDetailList"].append({
            "GroupName": name, "GroupId": f"AGPA{name.upper()}", "Arn": f"arn:aws:iam::{account}:group/{name}",
            "GroupPolicyList": [{"PolicyName": f"{name}-{i}", "PolicyDocument": d}
                                for i, d in enumerate(_policies(body))],
            "AttachedManagedPolicies": [{"PolicyArn": _managed_arn(account, m)} for m in body.get("managed", [])]})
    for name, body in (spec.get("users") or {}).items():
        body = body or {}
        user = {"UserName": name, "UserId": f"AIDA{name.upper()}", "Path": body.get("path", "/"),
                "Arn": f"arn:aws:iam::{account}:user{body.get('path', '/')}{name}",
                "GroupList": list(body.get("groups", [])),
                "UserPolicyList": [{"PolicyName": f"{name}-{i}", "PolicyDocument": d}
                                   for i, d in enumerate(_policies(body))],
                "AttachedManagedPolicies": [{"PolicyArn": _managed_arn(account, m)} for m in body.get("managed", [])],
                "Tags": _tags(body.get("tags"))}
        if body.get("boundary"):
            user["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                           "PermissionsBoundaryArn": _managed_arn(account, body["boundary"])}
        iam["UserDetailList"].append(user)
    for name, body in (spec.get("roles") or {}).items():
        body = body or {}
        path = body.get("path", "/")
        trust = body.get("trust", [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                                    "Action": "sts:AssumeRole"}])
        role = {"RoleName": name, "RoleId": f"AROA{name.upper()}", "Path": path,
                "Arn": f"arn:aws:iam::{account}:role{path}{name}",
                "AssumeRolePolicyDocument": document(trust),
                "RolePolicyList": [{"PolicyName": f"{name}-{i}", "PolicyDocument": d}
                                   for i, d in enumerate(_policies(body))],
                "AttachedManagedPolicies": [{"PolicyArn": _managed_arn(account, m)} for m in body.get("managed", [])],
                "Tags": _tags(body.get("tags"))}
        if body.get("boundary"):
            role["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                           "PermissionsBoundaryArn": _managed_arn(account, body["boundary"])}
        iam["RoleDetailList"].append(role)
    buckets = []
    for name, body in (spec.get("buckets") or {}).items():
        body = body or {}
        b: dict[str, Any] = {"Name": name, "Region": body.get("region", "us-east-1")}
        if "policy" in body:
            b["Policy"] = document(body["policy"])
        acl = body.get("acl", [{"grantee": "owner", "permission": "FULL_CONTROL"}])
        if acl is not None:
            b["Acl"] = {"Owner": {"ID": canonical_id(account)},
                        "Grants": [{"Grantee": _grantee(account, g["grantee"]), "Permission": g["permission"]}
                                   for g in acl]}
        ownership = body.get("ownership", "BucketOwnerEnforced" if "acl" not in body else "ObjectWriter")
        if ownership is not None:
            b["OwnershipControls"] = {"Rules": [{"ObjectOwnership": ownership}]}
        if "bpa" in body:
            b["PublicAccessBlock"] = _bpa(body["bpa"])
        if body.get("tags"):
            b["Tags"] = dict(body["tags"])
        if "kms_key" in body:
            default = {"SSEAlgorithm": "aws:kms"}
            if body["kms_key"]:
                default["KMSMasterKeyID"] = body["kms_key"]
            b["Encryption"] = {"Rules": [{"ApplyServerSideEncryptionByDefault": default,
                                          "BucketKeyEnabled": bool(body.get("bucket_key"))}]}
        if body.get("errors"):
            b["Errors"] = dict(body["errors"])
            for api in body["errors"]:
                if api == "GetBucketPolicy":
                    b.pop("Policy", None)
                if api == "GetBucketAcl":
                    b.pop("Acl", None)
                if api == "GetBucketOwnershipControls":
                    b.pop("OwnershipControls", None)
                if api in ("GetPublicAccessBlock", "GetBucketPublicAccessBlock"):
                    b.pop("PublicAccessBlock", None)
        buckets.append(b)
    s3: dict[str, Any] = {"buckets": buckets}
    if "bpa" in spec:
        s3["public_access_block"] = _bpa(spec["bpa"])
    out = {"id": account, "iam": iam, "s3": s3}
    if "kms" in spec:
        out["kms"] = {"keys": copy.deepcopy(spec["kms"] or [])}
    if "endpoints" in spec:
        out["ec2"] = {"vpc_endpoints": copy.deepcopy(spec["endpoints"] or [])}
    if spec.get("name"):
        out["name"] = spec["name"]
    if spec.get("errors"):
        out["errors"] = dict(spec["errors"])
    return out


def _target(name: str) -> str:
    if name == "root":
        return ROOT_ID
    if name.isdigit() and len(name) == 12:
        return name
    return f"ou-{name}"


def _organization(spec: dict, accounts: list[str]) -> dict:
    org: dict[str, Any] = {"id": spec.get("id", "o-exampleorg1"), "roots": [{"Id": ROOT_ID, "Name": "Root"}],
                           "units": [], "accounts": [], "policies": []}
    if spec.get("management"):
        org["management_account"] = spec["management"]
    for name, parent in (spec.get("units") or {}).items():
        org["units"].append({"Id": _target(name), "Name": name, "Parent": _target(parent)})
    placed = dict(spec.get("accounts") or {})
    if spec.get("management"):
        placed.setdefault(spec["management"], "root")
    for acct, parent in placed.items():
        org["accounts"].append({"Id": acct, "Name": acct, "Parent": _target(parent)})
    for kind, ptype, full in (("scps", "SERVICE_CONTROL_POLICY", FULL_ACCESS),
                              ("rcps", "RESOURCE_CONTROL_POLICY", RCP_FULL_ACCESS)):
        for i, p in enumerate(spec.get(kind) or []):
            name = p.get("name", f"{kind}-{i}")
            org["policies"].append({"Id": f"p-{kind}-{i}", "Name": name, "Type": ptype,
                                    "Document": document(p.get("policy", "FullAWSAccess"), default=full),
                                    "Targets": [_target(t) for t in p["targets"]]})
    if spec.get("errors"):
        org["errors"] = dict(spec["errors"])
    return org


def build(description: Any) -> dict:
    """The format-v1 snapshot dict for a terse description (a dict, or YAML text)."""
    if isinstance(description, str):
        description = yaml.safe_load(description)
    d = description or {}
    accounts = [_account(str(a), body) for a, body in (d.get("accounts") or {}).items()]
    snap: dict[str, Any] = {"format": "s3audit.snapshot/v1", "taken_at": "2026-01-01T00:00:00Z",
                            "source": {"kind": "manual"}, "accounts": accounts}
    if d.get("organization"):
        snap["organization"] = _organization(d["organization"], [a["id"] for a in accounts])
    return snap
