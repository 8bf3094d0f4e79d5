"""Small hand-built estates for the graph tests: snapshot documents written as plain dicts, in the
format-v1 shapes (AWS's own API shapes), built by a few helpers so each test shows only what matters."""
from __future__ import annotations

from typing import Any, Iterable

from s3audit.snapshot.load import snapshot_from_dict

V = "2012-10-17"


def doc(*statements: dict) -> dict:
    return {"Version": V, "Statement": list(statements)}


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust(principal: Any, action="sts:AssumeRole", condition: dict | None = None, effect="Allow") -> dict:
    """A trust policy statement; ``principal`` is a Principal element ({"AWS": ...}, {"Service": ...})."""
    s = {"Effect": effect, "Principal": principal, "Action": action}
    if condition:
        s["Condition"] = condition
    return s


def grant(principal: Any, action, resource, condition: dict | None = None, effect="Allow") -> dict:
    """A bucket policy statement."""
    s = {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource}
    if condition:
        s["Condition"] = condition
    return s


def user(account: str, name: str, *statements: dict, groups: Iterable[str] = (), attached: Iterable[str] = (),
         boundary: str | None = None, tags: dict | None = None) -> dict:
    u = {"UserName": name, "Arn": f"arn:aws:iam::{account}:user/{name}", "UserId": f"AIDA{name.upper()}",
         "Path": "/", "GroupList": list(groups),
         "UserPolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": doc(s)} for i, s in enumerate(statements)],
         "AttachedManagedPolicies": [{"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in attached]}
    if boundary:
        u["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    if tags:
        u["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return u


def role(account: str, name: str, trust_statements: Iterable[dict], *statements: dict,
         attached: Iterable[str] = (), boundary: str | None = None, profiles: Iterable[str] = (),
         path: str = "/") -> dict:
    r = {"RoleName": name, "Arn": f"arn:aws:iam::{account}:role{path}{name}", "RoleId": f"AROA{name.upper()}",
         "Path": path, "AssumeRolePolicyDocument": doc(*trust_statements),
         "RolePolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": doc(s)} for i, s in enumerate(statements)],
         "AttachedManagedPolicies": [{"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in attached],
         "InstanceProfileList": [{"Arn": p} for p in profiles]}
    if boundary:
        r["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return r


def group(account: str, name: str, *statements: dict, attached: Iterable[str] = ()) -> dict:
    return {"GroupName": name, "Arn": f"arn:aws:iam::{account}:group/{name}", "GroupId": f"AGPA{name.upper()}",
            "GroupPolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": doc(s)} for i, s in enumerate(statements)],
            "AttachedManagedPolicies": [{"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in attached]}


def managed(account: str, name: str, *statements: dict) -> dict:
    return {"PolicyName": name, "Arn": f"arn:aws:iam::{account}:policy/{name}", "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(*statements)}]}


def bucket(name: str, *statements: dict, tags: dict | None = None, acl: list | None = None,
           ownership: str = "BucketOwnerEnforced", block: dict | None = None) -> dict:
    b: dict = {"Name": name, "Region": "us-east-1", "OwnershipControls": {"Rules": [{"ObjectOwnership": ownership}]},
               "Tags": dict(tags or {})}
    if statements:
        b["Policy"] = doc(*statements)
    if acl is not None:
        b["Acl"] = {"Owner": {"ID": "owner-canonical-id"}, "Grants": acl}
    if block is not None:
        b["PublicAccessBlock"] = block
    return b


# Every compute section (docs/snapshot-format.md, "Compute"), empty: an estate that runs no compute. An absent
# section means "not collected" (unknown); pass ``compute=None`` for that.
NO_COMPUTE = {"ec2": {"instances": []}, "ssm": {"instance_information": []}, "lambda": {"functions": []},
              "glue": {"dev_endpoints": [], "jobs": []}, "sagemaker": {"notebook_instances": []},
              "codebuild": {"projects": []}, "cloudformation": {"stacks": []},
              "ecs": {"task_definitions": [], "services": []}, "stepfunctions": {"state_machines": []}}


def account(id: str, *, users=(), roles=(), groups=(), policies=(), buckets=(), access_points=(),
            block: dict | None = None, compute: dict | None = NO_COMPUTE, **extra) -> dict:
    """An account; ``compute`` holds its compute sections by service ({"lambda": {"functions": [...]}}), over
    NO_COMPUTE (None: none collected); ``extra`` other keys (``credential_report``, ``errors``...)."""
    out = {"id": id, "name": f"acct-{id}",
           "iam": {"UserDetailList": list(users), "RoleDetailList": list(roles), "GroupDetailList": list(groups),
                   "Policies": list(policies)},
           "s3": {"public_access_block": block, "buckets": list(buckets), "access_points": list(access_points)},
           **extra}
    if compute is not None:
        for service, sections in NO_COMPUTE.items():
            out[service] = {key: list((compute.get(service) or {}).get(key, items))
                            for key, items in sections.items()}
    return out


def organization(accounts: Iterable[str], management: str, policies=()) -> dict:
    return {"id": "o-example", "management_account": management, "roots": [{"Id": "r-root", "Name": "Root"}],
            "units": [], "accounts": [{"Id": a, "Parent": "r-root"} for a in accounts],
            "policies": list(policies)}


def scp(name: str, *statements: dict, targets=("r-root",), type="SERVICE_CONTROL_POLICY") -> dict:
    return {"Id": f"p-{name}", "Name": name, "Type": type, "Document": doc(*statements), "Targets": list(targets)}


FULL_ACCESS_SCP = scp("FullAWSAccess", allow("*"))


def snapshot(*accounts: dict, org: dict | None = None):
    d = {"format": "s3audit.snapshot/v1", "taken_at": "2026-01-01T00:00:00Z", "source": {"kind": "manual"},
         "accounts": list(accounts)}
    if org is not None:
        d["organization"] = org
    return snapshot_from_dict(d, file="<test>")
