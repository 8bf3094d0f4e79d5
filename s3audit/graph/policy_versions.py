"""Whether making another version of a managed policy its default can give a principal more than it has.

``iam:SetDefaultPolicyVersion`` puts one of the policy's existing versions in force; it escalates only when one
of them allows something the default version does not
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html,
https://docs.aws.amazon.com/IAM/latest/APIReference/API_SetDefaultPolicyVersion.html). The comparison is
conservative (a missed path is the worse error): a version counts as granting more unless each of its Allow
statements is covered by an unconditional Allow of the default for every action it names (expanded over the
action universe) and a resource its pattern names, and every Deny of the default is also in it.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from ..iam.logic import Tri
from ..iam.policy import Policy, Statement
from ..snapshot.model import ManagedPolicy

_WITNESS = "s3audit-witness"


def other_version_grants_more(policy: ManagedPolicy, compile_: Callable[[Any], Policy]) -> bool:
    if not policy.versions or policy.document is None:
        return True  # the versions were not recorded: another may grant anything
    default = compile_(policy.document)
    return any(not _within(compile_(v.document), default) for v in policy.versions if not v.is_default)


def _within(version: Policy, default: Policy) -> bool:
    denies = {_shape(s) for s in version.statements if s.effect == "Deny"}
    if any(s.effect == "Deny" and _shape(s) not in denies for s in default.statements):
        return False  # the version lacks a deny the default has
    allows = [s for s in default.statements if s.effect == "Allow" and not s.conditions.clauses]
    return all(_covered(s, allows) for s in version.statements if s.effect == "Allow")


def _covered(s: Statement, allows: list[Statement]) -> bool:
    if s.actions.negated or s.not_resource or s.actions.others:
        return any(_shape(a) == _shape(s) for a in allows)
    witnesses = [_witness(p.text) for p in s.resources] if s.resources is not None else ["*"]
    for action in s.actions.known:
        for w in witnesses:
            if not any(a.actions.matches(action) and a.resource_matches(w, None) is Tri.TRUE for a in allows):
                return False
    return True


def _witness(pattern: str) -> str:
    """A resource the pattern names (its wildcards filled in): covered only if the default names it too."""
    return re.sub(r"\$\{[^}]*\}", _WITNESS, pattern).replace("*", _WITNESS).replace("?", "x") if pattern != "*" \
        else "*"


def _shape(s: Statement) -> tuple:
    return (s.effect, s.actions.negated, tuple(sorted(x.lower() for x in s.actions.entries)), s.not_resource,
            tuple(sorted(p.text for p in s.resources or ())), json.dumps(s.conditions.to_json(), sort_keys=True))



