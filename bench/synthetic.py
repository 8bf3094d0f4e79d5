"""Synthetic AWS estates for benchmarks: a deterministic generator of format-v1 snapshots.

    python3 bench/synthetic.py OUT.json[.gz] [--accounts 100 --roles 5000 --users 2000 --buckets 20000
        --policies-per-principal 2 --wildcard-share 0.1 --cross-account-share 0.1 --seed 1]

The estate looks like an organization's: accounts under one root with a full-access SCP and a guard-rail
SCP; per account, users (some in groups), roles (trusted by a service, by the account, or by a role of
another account), buckets of which a share is tagged ``data-class=pci``; identity policies granting S3
access to buckets of the account (exact names, prefixes of bucket families, or ``*`` for the wildcard
share); bucket policies that deny insecure transport, grant other accounts or roles (the cross-account
share), and now and then grant everyone inside the organization; a few principals able to escalate
(iam:PassRole with Lambda or Glue, iam:CreateAccessKey, policy changes). With ``--compute`` (``compute=True``),
each account also lists the compute that runs as its service roles (Lambda functions, Glue dev endpoints, EC2
instances most of which SSM manages, ECS task definitions), and a few users may act on it (update a function's
code, send SSM commands, ...); without it the estate is the one it always was. The same parameters and seed
always give the same snapshot.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

V = "2012-10-17"
FAMILIES = ("logs", "data", "reports", "backup", "ml", "raw", "curated", "exports")
READ = ["s3:GetObject", "s3:ListBucket"]
WRITE = ["s3:PutObject", "s3:DeleteObject", "s3:GetObject", "s3:ListBucket"]
ADMIN = ["s3:*"]


def _doc(*statements):
    return {"Version": V, "Statement": list(statements)}


def _acct(i: int) -> str:
    return f"{100000000000 + i * 7919:012d}"


def generate(accounts=100, roles=5000, users=2000, buckets=20000, policies_per_principal=2,
             wildcard_share=0.1, cross_account_share=0.1, pci_share=0.05, seed=1, compute=False) -> dict:
    rnd = random.Random(seed)
    # Compute draws from its own stream, so that the estate without compute is the same as before it existed.
    crnd = random.Random(seed + 1_000_003)
    ids = [_acct(i) for i in range(accounts)]
    management = ids[0]
    per = lambda total, i: total // accounts + (1 if i < total % accounts else 0)  # noqa: E731

    # Buckets first: identity and bucket policies name them.
    bucket_names: dict[str, list[str]] = {}
    pci: set[str] = set()
    for i, a in enumerate(ids):
        names = []
        for j in range(per(buckets, i)):
            fam = FAMILIES[j % len(FAMILIES)]
            name = f"{fam}-{a}-{j:05d}"
            names.append(name)
            if rnd.random() < pci_share:
                pci.add(name)
        bucket_names[a] = names
    role_names: dict[str, list[str]] = {a: [f"app-{j:04d}" for j in range(per(roles, i))] for i, a in enumerate(ids)}

    def s3_statement(account: str) -> dict:
        """One identity statement granting S3 access to buckets of the account (or another one)."""
        actions = rnd.choice((READ, READ, WRITE, ADMIN))
        target = account
        if rnd.random() < cross_account_share:
            target = rnd.choice(ids)
        r = rnd.random()
        if r < wildcard_share / 2:
            resources = ["*"]
        elif r < wildcard_share:
            fam = rnd.choice(FAMILIES)
            resources = [f"arn:aws:s3:::{fam}-{target}-*"]
        else:
            picked = rnd.sample(bucket_names[target], min(2, len(bucket_names[target])))
            resources = [f"arn:aws:s3:::{b}" for b in picked] + [f"arn:aws:s3:::{b}/*" for b in picked]
            if rnd.random() < 0.2:
                resources = [f"arn:aws:s3:::{picked[0]}/team-{rnd.randrange(5)}/*", f"arn:aws:s3:::{picked[0]}"]
        return {"Effect": "Allow", "Action": actions, "Resource": resources}

    def identity_policies(account: str, extra=()) -> list[dict]:
        out = []
        for k in range(policies_per_principal):
            out.append({"PolicyName": f"p{k}", "PolicyDocument": _doc(s3_statement(account))})
        for k, s in enumerate(extra):
            out.append({"PolicyName": f"x{k}", "PolicyDocument": _doc(s)})
        return out

    accounts_out = []
    for i, a in enumerate(ids):
        groups = [{"GroupName": f"team-{k}", "Arn": f"arn:aws:iam::{a}:group/team-{k}", "GroupId": f"AGPA{a}{k}",
                   "GroupPolicyList": [{"PolicyName": "g", "PolicyDocument": _doc(s3_statement(a))}],
                   "AttachedManagedPolicies": []} for k in range(3)]
        user_list = []
        for j in range(per(users, i)):
            extra = []
            r = rnd.random()
            if r < 0.02:
                extra.append({"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction",
                                                            "lambda:InvokeFunction"], "Resource": "*"})
            elif r < 0.03:
                extra.append({"Effect": "Allow", "Action": "iam:CreateAccessKey",
                              "Resource": f"arn:aws:iam::{a}:user/*"})
            elif r < 0.035:
                extra.append({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
            if compute and crnd.random() < 0.03:
                extra.append(_compute_grant(a, crnd))
            name = f"user-{j:04d}"
            user_list.append({"UserName": name, "Arn": f"arn:aws:iam::{a}:user/{name}", "UserId": f"AIDA{a}{j}",
                              "Path": "/", "GroupList": [f"team-{j % 3}"] if rnd.random() < 0.5 else [],
                              "UserPolicyList": identity_policies(a, extra), "AttachedManagedPolicies": []})
        role_list = []
        for j, name in enumerate(role_names[a]):
            r = rnd.random()
            if r < cross_account_share:
                other = rnd.choice(ids)
                principal = {"AWS": f"arn:aws:iam::{other}:role/{rnd.choice(role_names[other])}"} \
                    if role_names[other] and rnd.random() < 0.5 else {"AWS": other}
            elif r < 0.5:
                principal = {"Service": rnd.choice(("lambda.amazonaws.com", "glue.amazonaws.com",
                                                    "ec2.amazonaws.com", "ecs-tasks.amazonaws.com"))}
            else:
                principal = {"AWS": f"arn:aws:iam::{a}:root"}
            extra = []
            if rnd.random() < cross_account_share:
                other = rnd.choice(ids)
                if role_names[other]:
                    extra.append({"Effect": "Allow", "Action": "sts:AssumeRole",
                                  "Resource": f"arn:aws:iam::{other}:role/{rnd.choice(role_names[other])}"})
            role_list.append({"RoleName": name, "Arn": f"arn:aws:iam::{a}:role/{name}", "RoleId": f"AROA{a}{j}",
                              "Path": "/", "AssumeRolePolicyDocument": _doc({"Effect": "Allow", "Principal": principal,
                                                                             "Action": "sts:AssumeRole"}),
                              "RolePolicyList": identity_policies(a, extra), "AttachedManagedPolicies": [],
                              "InstanceProfileList": []})
        compute_sections = _compute(a, role_list, crnd) if compute else {}
        bucket_list = []
        for name in bucket_names[a]:
            b: dict = {"Name": name, "Region": "us-east-1",
                       "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                       "Tags": {"data-class": "pci"} if name in pci else {"data-class": "internal"}}
            statements = []
            r = rnd.random()
            if r < 0.5:
                statements.append({"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                   "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                                   "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
            if rnd.random() < cross_account_share:
                other = rnd.choice(ids)
                who = f"arn:aws:iam::{other}:role/{rnd.choice(role_names[other])}" \
                    if role_names[other] and rnd.random() < 0.5 else f"arn:aws:iam::{other}:root"
                statements.append({"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": who},
                                   "Action": rnd.choice((READ, WRITE)),
                                   "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]})
            if rnd.random() < 0.01:
                statements.append({"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": READ,
                                   "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                                   "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-synthetic"}}})
            if statements:
                b["Policy"] = _doc(*statements)
            bucket_list.append(b)
        accounts_out.append({"id": a, "name": f"account-{i}",
                             "iam": {"UserDetailList": user_list, "GroupDetailList": groups,
                                     "RoleDetailList": role_list, "Policies": []},
                             "s3": {"public_access_block": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                                            "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
                                    "buckets": bucket_list, "access_points": []}, **compute_sections})
    org = {"id": "o-synthetic", "management_account": management, "roots": [{"Id": "r-root", "Name": "Root"}],
           "units": [{"Id": "ou-prod", "Name": "prod", "Parent": "r-root"}],
           "accounts": [{"Id": a, "Name": f"account-{i}", "Parent": "r-root" if i == 0 else "ou-prod"}
                        for i, a in enumerate(ids)],
           "policies": [
               {"Id": "p-full", "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY",
                "Document": _doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
                "Targets": ["r-root", "ou-prod"]},
               {"Id": "p-guard", "Name": "NoLeavingOrg", "Type": "SERVICE_CONTROL_POLICY",
                "Document": _doc({"Effect": "Deny", "Action": ["organizations:LeaveOrganization",
                                                               "s3:PutBucketPublicAccessBlock"], "Resource": "*"}),
                "Targets": ["ou-prod"]}]}
    return {"format": "s3audit.snapshot/v1", "taken_at": "2026-01-01T00:00:00Z",
            "source": {"kind": "manual", "detail": f"bench/synthetic.py seed={seed}"},
            "organization": org, "accounts": accounts_out}


# What a user may do to compute that already runs as a role (the escalation routes of issue 13).
# (action, the resource's service, the resource; None: every resource)
COMPUTE_GRANTS = [("lambda:UpdateFunctionCode", "lambda", "function:*"), ("ssm:SendCommand", None, None),
                  ("ssm:StartSession", "ec2", "instance/*"), ("glue:UpdateDevEndpoint", "glue", "devEndpoint/*"),
                  ("ecs:RunTask", "ecs", "task-definition/*"), ("lambda:UpdateFunctionCode", "lambda", "function:app-00*")]


def _compute_grant(account: str, rnd: random.Random) -> dict:
    action, service, resource = rnd.choice(COMPUTE_GRANTS)
    arn = "*" if resource is None else f"arn:aws:{service}:us-east-1:{account}:{resource}"
    return {"Effect": "Allow", "Action": action, "Resource": arn}


def _compute(account: str, roles: list[dict], rnd: random.Random) -> dict:
    """An account's compute (docs/snapshot-format.md, "Compute"): about half the roles a compute service trusts
    run something of that service; every section is present (read whole), SSM manages most instances."""
    r = "us-east-1"
    out = {"regions": [r], "ec2": {"instances": []}, "ssm": {"instance_information": []},
           "lambda": {"functions": []}, "glue": {"dev_endpoints": [], "jobs": []},
           "sagemaker": {"notebook_instances": []}, "codebuild": {"projects": []},
           "cloudformation": {"stacks": []}, "ecs": {"task_definitions": [], "services": []},
           "stepfunctions": {"state_machines": []}}
    for role in roles:
        service = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
        if service is None or rnd.random() < 0.5:
            continue
        name, arn = role["RoleName"], role["Arn"]
        if service == "lambda.amazonaws.com":
            out["lambda"]["functions"].append({"FunctionName": name, "Role": arn, "Region": r,
                                               "FunctionArn": f"arn:aws:lambda:{r}:{account}:function:{name}"})
        elif service == "glue.amazonaws.com":
            out["glue"]["dev_endpoints"].append({"EndpointName": name, "RoleArn": arn, "Region": r})
        elif service == "ec2.amazonaws.com":
            profile = f"arn:aws:iam::{account}:instance-profile/{name}"
            role["InstanceProfileList"] = [{"InstanceProfileName": name, "Arn": profile, "Path": "/"}]
            instance = f"i-{rnd.getrandbits(68):017x}"
            out["ec2"]["instances"].append({"InstanceId": instance, "Region": r, "State": {"Name": "running"},
                                            "IamInstanceProfile": {"Arn": profile}})
            if rnd.random() < 0.8:
                out["ssm"]["instance_information"].append({"InstanceId": instance, "Region": r,
                                                           "PingStatus": "Online"})
        elif service == "ecs-tasks.amazonaws.com":
            out["ecs"]["task_definitions"].append({
                "taskDefinitionArn": f"arn:aws:ecs:{r}:{account}:task-definition/{name}:1", "family": name,
                "revision": 1, "taskRoleArn": arn, "Region": r})
    return out


def write(snapshot: dict, path: str) -> None:
    data = json.dumps(snapshot, separators=(",", ":")).encode()
    p = Path(path)
    if p.suffix == ".gz":
        data = gzip.compress(data, compresslevel=5)
    p.write_bytes(data)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--roles", type=int, default=5000)
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--buckets", type=int, default=20000)
    ap.add_argument("--policies-per-principal", type=int, default=2)
    ap.add_argument("--wildcard-share", type=float, default=0.1)
    ap.add_argument("--cross-account-share", type=float, default=0.1)
    ap.add_argument("--pci-share", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--compute", action="store_true", help="give the accounts compute that runs as their roles")
    a = ap.parse_args(argv)
    snap = generate(a.accounts, a.roles, a.users, a.buckets, a.policies_per_principal, a.wildcard_share,
                    a.cross_account_share, a.pci_share, a.seed, a.compute)
    write(snap, a.out)
    print(f"wrote {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
