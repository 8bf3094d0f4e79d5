"""How a resource-based policy's ``Principal`` or ``NotPrincipal`` element covers the caller of a request.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html and
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html. A statement
covers the caller as 'everyone', its 'account' (which then delegates to the account's IAM policies), the
'principal' itself or one of its role 'session's; where the snapshot cannot tell (a session name, a
NotPrincipal that AWS may check account by account), the answer is UNKNOWN with a note, never "no".
"""
from __future__ import annotations

from typing import Mapping

from .logic import Tri
from .policy import PrincipalEntry, Statement
from .principals import Caller

_TRUE, _FALSE, _UNKNOWN = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN


def principal_match(s: Statement, caller: Caller, canonical: Mapping[str, str]):
    """How a resource-policy statement's Principal or NotPrincipal covers the caller, as (kind, Tri,
    note) or None when it certainly does not. kind: 'everyone', 'account', 'principal', 'session'."""
    if s.not_principal:
        tri, note = _not_principal_applies(s, caller, canonical)
        return None if tri is _FALSE else ("everyone", tri, note)
    hit = None
    maybe = None
    for e in s.principals or ():
        k = _entry_match(e, caller, canonical)
        if k is not None:
            hit = k if hit is None or _RANK[k] > _RANK[hit] else hit
        elif maybe is None and _names_some_session_of(e, caller):
            maybe = ("session", _UNKNOWN, f"the grant names role session `{e.value}`; whether the caller is "
                                             "that session depends on the session name")
    if hit is not None:
        return hit, _TRUE, None
    return maybe


_RANK = {"account": 0, "everyone": 1, "principal": 2, "session": 3}


def _session_prefix(caller: Caller) -> str | None:
    """``arn:aws:sts::A:assumed-role/NAME/`` for a role caller given without a session name."""
    if caller.kind != "role" or caller.session_arn is not None or not caller.arn or not caller.account:
        return None
    partition = caller.arn.split(":", 2)[1]
    return f"arn:{partition}:sts::{caller.account}:assumed-role/{caller.arn.rsplit('/', 1)[-1]}/"


def _names_some_session_of(e: PrincipalEntry, caller: Caller) -> bool:
    """A role caller means any session of the role: an entry naming one of its sessions may match."""
    prefix = _session_prefix(caller)
    return prefix is not None and e.kind == "AWS" and e.value.startswith(prefix)


def _not_principal_applies(s: Statement, caller: Caller, canonical: Mapping[str, str]):
    """(Tri, note): whether a NotPrincipal statement covers the caller.

    AWS may validate the caller's account, then the role, then the session (or the account, then the
    user): the caller is excluded for sure only when every one of those is listed
    (reference_policies_elements_notprincipal.html). A Deny with NotPrincipal always covers users and
    roles that have a permissions boundary (access_policies_boundaries.html)."""
    entries = s.principals or ()
    if any(e.is_everyone for e in entries):
        return _FALSE, None
    if s.effect == "Deny" and caller.entity is not None and getattr(caller.entity, "boundary", None):
        return _TRUE, None
    if caller.is_anonymous:
        return _TRUE, None
    if caller.is_provider:
        listed = any(e.kind == "Federated" and e.value == caller.provider for e in entries)
        return (_FALSE if listed else _TRUE), None
    if caller.kind == "group":
        # Some member of the group: excluded only if that member (and its account) is listed.
        if caller.account and any(e.kind == "AWS" and e.value.startswith(f"arn:aws:iam::{caller.account}:user/")
                                  for e in entries):
            return _UNKNOWN, "NotPrincipal lists users of the group's account; whether this member is one is unknown"
        return _TRUE, None
    if caller.is_service:
        listed = any(e.kind == "Service" and e.value == caller.service for e in entries)
        return (_FALSE if listed else _TRUE), None

    def listed(arn: str | None) -> bool:
        return arn is not None and any(
            e.kind == "AWS" and (e.value == arn or (e.pattern is not None and e.pattern.matches(arn) is _TRUE))
            for e in entries)

    account_listed = caller.account is not None and any(
        (e.is_account and e.account == caller.account) or
        (e.kind == "CanonicalUser" and canonical.get(e.value) == caller.account) for e in entries)
    if caller.kind == "root":
        return (_FALSE if account_listed else _TRUE), None
    if caller.kind == "role":
        if caller.session_arn is None:
            if any(_names_some_session_of(e, caller) for e in entries):
                return _UNKNOWN, ("NotPrincipal lists sessions of this role; whether the caller is excluded "
                                     "depends on the session name")
            return _TRUE, None
        chain = (caller.session_arn, caller.arn)
    else:
        chain = (caller.arn,)
    if not listed(chain[0]):
        return _TRUE, None
    missing = ([] if account_listed else ["account"]) + [x for x in chain[1:] if not listed(x)]
    if not missing:
        return _FALSE, None
    return _UNKNOWN, (f"NotPrincipal lists the caller but not {' or '.join(f'`{m}`' for m in missing)}; AWS "
                         "documents that it may validate the account (and role) first, and then deny")


def _entry_match(e: PrincipalEntry, caller: Caller, canonical: Mapping[str, str]) -> str | None:
    if caller.is_provider:
        # An identity provider is named only as Federated; "*" means every AWS principal, not its users.
        return "principal" if e.kind == "Federated" and e.value == caller.provider else None
    if e.is_everyone:
        return "everyone"
    if e.kind == "Service":
        return "principal" if caller.service is not None and e.value == caller.service else None
    if caller.is_anonymous or caller.is_service:
        return None
    if e.kind == "CanonicalUser":
        return "account" if canonical.get(e.value) == caller.account and caller.account else None
    if e.kind == "Federated":
        return None
    if e.pattern is not None:
        return "principal" if caller.arn and e.pattern.matches(caller.arn) is _TRUE else None
    if e.is_account:
        return "account" if e.account == caller.account else None
    v = e.value
    if caller.session_arn is not None and v == caller.session_arn:
        return "session"
    if caller.arn is not None and v == caller.arn:
        return "principal"
    return None
