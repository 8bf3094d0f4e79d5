"""What a principal could reach if it gave itself any permission: the actions that lead to data in S3 or to
another principal. A permissions boundary that allows none of them caps a self-grant to nothing: "the
effective permissions are the intersection of the identity-based policies and the boundary"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html), so a policy the principal
attaches to itself adds only what its boundary allows.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..iam.actions import universe
from ..iam.logic import Tri
from ..snapshot.model import UNKNOWN
from .index import access_point_actions, matcher_actions, s3_access_actions

# Services whose write or permissions-management actions lead to another principal's permissions: STS, and
# every service that runs code as a role (escalation.py, compute_routes.py).
REACH_SERVICES = ("sts", "lambda", "ec2", "ec2-instance-connect", "ssm", "glue", "ecs", "cloudformation",
                  "sagemaker", "datapipeline", "codebuild", "states", "apprunner", "autoscaling")
# The IAM actions that lead to another principal (escalation.py). The others change policies, which after a
# self-grant gives the principal nothing its boundary does not already allow.
# (Taking its own boundary away is decided apart: escalation.py.)
REACH_IAM = frozenset({"iam:passrole", "iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile",
                       "iam:updateassumerolepolicy", "iam:addusertogroup"})


@lru_cache(maxsize=1)
def reach_actions() -> frozenset[str]:
    u = universe()
    out = set(s3_access_actions()) | set(access_point_actions()) | REACH_IAM
    for service in REACH_SERVICES:
        for level in ("write", "permissions"):
            out |= u.by_level(service, level)
    return frozenset(out)


def boundary_allows_on(boundary: Any, actions, resource: str) -> bool:
    """Whether a boundary's Allow statements may allow one of ``actions`` on ``resource`` (policy variables
    unresolved: may) and none of its Deny statements surely denies it: what a principal that gave itself
    every permission could then do within its boundary."""
    if boundary is None or boundary is UNKNOWN:
        return boundary is UNKNOWN
    for action in actions:
        if any(s.effect == "Deny" and s.actions.matches(action) and s.resource_matches(resource, None) is Tri.TRUE
               and not s.conditions.clauses for s in boundary.statements):
            continue
        if any(s.effect == "Allow" and s.actions.matches(action) and s.resource_matches(resource, None) is not Tri.FALSE
               for s in boundary.statements):
            return True
    return False


def boundary_caps_reach(boundary: Any) -> bool:
    """Whether a permissions boundary (a compiled Policy; None or UNKNOWN never cap) allows none of the actions
    that reach data or another principal."""
    if boundary is None or boundary is UNKNOWN:
        return False
    reach = reach_actions()
    return not any(s.effect == "Allow" and matcher_actions(s.actions, reach) for s in boundary.statements)
