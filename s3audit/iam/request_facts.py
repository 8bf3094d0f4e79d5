"""What the snapshot fixes of a request's context: facts of the caller (its account, organization, type,
tags), of the resource (its account, organization, access point) and of the action (the S3 condition keys it
never carries). Keys the snapshot leaves open stay unknown unless the request supplies them, and the
evaluation keeps them as residual conditions
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Callable

from ..snapshot.model import UNKNOWN, Organization, PolicyDocument
from .actions import universe
from .conditions import parse_date
from .context import Context, Interval, Outside, fold
from .policy import Policy
from .principals import Caller
from .targets import Target

# Keys whose presence depends on how the request is made; they stay unknown unless supplied.
# s3 keys that an action never carries are known to be absent (Service Authorization Reference).
ACCESS_POINT_KEYS = ("s3:DataAccessPointArn", "s3:DataAccessPointAccount", "s3:AccessPointNetworkOrigin")


def facts_of_caller(caller: Caller, org: Organization | None, account_ids: frozenset[str],
                    compile_: Callable[[PolicyDocument], Policy]) -> Context:
    """What the snapshot fixes of a request's context because of who makes it."""
    v: dict[str, Any] = {}
    absent: list[str] = []
    absent_prefixes: list[str] = []
    outside_org = None
    if caller.is_anonymous:
        v["aws:PrincipalType"] = "Anonymous"
        v["aws:PrincipalIsAWSService"] = "false"
        absent += ["aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
                   "aws:username", "aws:userid", "aws:PrincipalServiceName", "aws:SourceArn",
                   "aws:SourceAccount", "aws:SourceOrgID", "aws:SourceOrgPaths"]
    elif caller.is_service:
        v["aws:PrincipalIsAWSService"] = "true"
        v["aws:PrincipalServiceName"] = caller.service
        absent += ["aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:username"]
    elif caller.is_provider:
        # A web identity or SAML user before it assumes a role: only the provider is known.
        v["aws:PrincipalIsAWSService"] = "false"
        v["aws:FederatedProvider"] = caller.provider
        absent += ["aws:PrincipalServiceName"]
    else:
        v["aws:PrincipalIsAWSService"] = "false"
        absent += ["aws:PrincipalServiceName", "aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID",
                   "aws:SourceOrgPaths"]
        if caller.account:
            v["aws:PrincipalAccount"] = caller.account
            if org is not None and caller.account in org.member_accounts:
                if org.id:
                    v["aws:PrincipalOrgID"] = org.id
                v["aws:PrincipalOrgPaths"] = org_path_text(org, caller.account)
            elif org is not None and caller.account in account_ids:
                absent += ["aws:PrincipalOrgID", "aws:PrincipalOrgPaths"]
            elif org is not None and org.id and org.member_accounts and members_complete(org):
                # An account outside the organization, whose members the snapshot lists: its principals'
                # organization (if any) is another one.
                outside_org = Outside(frozenset({org.id}))
        if caller.arn and caller.kind != "group":
            v["aws:PrincipalArn"] = caller.arn
        if caller.kind == "group":
            v["aws:PrincipalType"] = "User"  # some member of the group: its name and tags are unknown
        elif caller.kind == "user":
            v["aws:PrincipalType"] = "User"
            v["aws:username"] = caller.arn.rsplit("/", 1)[-1]
            if caller.entity is not None:
                v["aws:userid"] = caller.entity.id or None
                # An IAM user's tags are all recorded: a tag it lacks is absent from the request.
                for k, val in caller.entity.tags.items():
                    v[f"aws:PrincipalTag/{k}"] = val
                absent_prefixes.append("aws:PrincipalTag/")
        elif caller.kind == "role":
            v["aws:PrincipalType"] = "AssumedRole"
            absent.append("aws:username")
            # Session tags override the role's tags and add others, but only where the trust policy
            # allows sts:TagSession (IAM User Guide, id_session-tags.html, "Permissions required to
            # add session tags"); otherwise the role's tags are the session's whole tag set.
            if caller.entity is not None and not session_tags_possible(caller.entity, compile_):
                for k, val in caller.entity.tags.items():
                    v[f"aws:PrincipalTag/{k}"] = val
                absent_prefixes.append("aws:PrincipalTag/")
        elif caller.kind == "root":
            v["aws:PrincipalType"] = "Account"
            v["aws:userid"] = caller.account
            absent.append("aws:username")
    ctx = Context.of({k: val for k, val in v.items() if val is not None}, absent=absent,
                     absent_prefixes=absent_prefixes)
    if outside_org is not None:
        ctx = Context(MappingProxyType({**ctx.values, "aws:principalorgid": outside_org}), ctx.absent, ctx.closed,
                      ctx.absent_prefixes)
    return ctx


# The calls that list an organization's accounts: while none failed, its member list is complete (an error
# on a policy, say, leaves it so).
MEMBERSHIP_CALLS = frozenset(f"organizations:{op}" for op in (
    "DescribeOrganization", "ListRoots", "ListOrganizationalUnitsForParent", "ListAccountsForParent"))


def members_complete(org) -> bool:
    """Whether the snapshot lists every account of the organization (no call that lists them failed)."""
    return not any(k.split("/", 1)[0] in MEMBERSHIP_CALLS for k in org.errors)


def session_tags_possible(role, compile_: Callable[[PolicyDocument], Policy]) -> bool:
    """Whether the role's trust policy lets anyone pass session tags (allows sts:TagSession)."""
    if role.trust is None:
        return False
    if role.trust is UNKNOWN:
        return True  # it may; the tags a session could carry are then not the role's
    return any(s.effect == "Allow" and s.actions.matches("sts:tagsession")
               for s in compile_(role.trust).statements)


# The longest a session's temporary credentials last: 36 hours for GetSessionToken and GetFederationToken
# (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html), more than a role session's 12.
LONGEST_SESSION_SECONDS = 36 * 3600


def time_ranges(taken_at: str, caller: Caller) -> dict[str, Interval]:
    """When a request happens: after the snapshot was taken, so ``aws:CurrentTime`` and ``aws:EpochTime`` lie
    from ``taken_at`` on; ``aws:TokenIssueTime`` lies within the longest session before the request, and is
    present only in requests signed with temporary credentials: always for a role's session, perhaps for a
    user or an account's root (long-term keys carry none), never for the anonymous caller
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)."""
    readings = parse_date(taken_at)
    if not readings:
        return {}
    start = readings[-1]
    out = {"aws:currenttime": Interval(start), "aws:epochtime": Interval(start)}
    if not caller.is_anonymous and not caller.is_service and not caller.is_provider:
        out["aws:tokenissuetime"] = Interval(start - LONGEST_SESSION_SECONDS, None,
                                             may_be_absent=caller.kind != "role")
    return out


def facts_of_target(t: Target, org: Organization | None) -> Context:
    """What the snapshot fixes of a request's context because of the resource it acts on."""
    v: dict[str, Any] = {}
    absent: list[str] = []
    owner = t.owner
    if owner:
        v["aws:ResourceAccount"] = owner
        v["s3:ResourceAccount"] = owner
        if org is not None and owner in org.member_accounts:
            if org.id:
                v["aws:ResourceOrgID"] = org.id
            v["aws:ResourceOrgPaths"] = org_path_text(org, owner)
    if t.access_point is not None:
        ap = t.access_point
        v["s3:DataAccessPointArn"] = t.resource.split("/object/")[0]
        v["s3:DataAccessPointAccount"] = ap.account
        if ap.network_origin:
            v["s3:AccessPointNetworkOrigin"] = ap.network_origin
    else:
        absent += list(ACCESS_POINT_KEYS)
    return Context.of({k: val for k, val in v.items() if val is not None}, absent=absent)


def keys_absent_for(action: str) -> frozenset[str]:
    """S3 condition keys that this S3 action never carries (Service Authorization Reference)."""
    info = universe().get(action)
    if info is None or not action.lower().startswith("s3:"):
        return frozenset()
    skip = {fold(x) for x in ACCESS_POINT_KEYS} | {"s3:resourceaccount"}
    return frozenset(k for k in universe().service_condition_keys.get("s3", frozenset())
                     if "<" not in k and "${" not in k and k not in info.condition_keys and k not in skip)


def org_path_text(org: Organization, account: str) -> str:
    """The value of aws:PrincipalOrgPaths / aws:ResourceOrgPaths for an account of the organization."""
    path = org.path_of(account)
    return f"{org.id}/" + "/".join(path[:-1]) + "/" if org.id else "/".join(path[:-1]) + "/"
