"""Who is asking: a request's principal string resolved against the snapshot.

A principal is given as an ARN (user, role — meaning a session of that role —, assumed-role session,
account root), a bare account id (its root), ``anonymous``, or an AWS service principal
(``glue.amazonaws.com``). Principals of accounts outside the snapshot are *external*: their own
identity policies are unknown, so the engine assumes they allow, and says so.

Two callers exist for the access graph: a group ARN stands for "a member of this group" (the group's
policies only), and a federated identity provider (an ``oidc-provider/`` or ``saml-provider/`` ARN, a
public web identity provider such as ``accounts.google.com``, or ``federated:NAME``) stands for an
identity it vouches for, which has no AWS identity policies and can only call
``sts:AssumeRoleWithWebIdentity`` / ``sts:AssumeRoleWithSAML``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..snapshot.model import Account, Group, Role, Snapshot, User

ANONYMOUS = "anonymous"
_ACCOUNT = re.compile(r"^\d{12}$")
# Web identity providers that trust policies name by domain rather than by provider ARN
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html).
WEB_IDENTITY_PROVIDERS = frozenset({"cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com",
                                    "www.amazon.com"})
FEDERATED_PREFIX = "federated:"


@dataclass(frozen=True)
class Caller:
    text: str  # as given
    kind: str  # user | role | group | root | service | provider | anonymous | federated | unknown
    account: str | None
    arn: str | None  # the principal ARN (role ARN for a session); None for anonymous and services
    session_arn: str | None = None  # arn:aws:sts::A:assumed-role/R/S when a session was named
    entity: User | Role | Group | None = None  # the snapshot's object, when found (a group: any member)
    service: str | None = None
    known: bool = True  # False: not in the snapshot, identity policies unknown
    note: str | None = None  # why it is unknown
    provider: str | None = None  # the Federated principal value of an identity provider caller

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @property
    def is_provider(self) -> bool:
        return self.kind == "provider"

    @property
    def has_identity(self) -> bool:
        """Whether the caller is an AWS identity with identity policies (and so is subject to SCPs)."""
        return self.kind not in ("anonymous", "service", "provider")

    @property
    def label(self) -> str:
        return self.session_arn or self.arn or self.service or self.provider or self.text


def parse_caller(text: str, snapshot: Snapshot, index: "PrincipalIndex") -> Caller:
    t = text.strip()
    if t in (ANONYMOUS, "*"):
        return Caller(t, "anonymous", None, None)
    if _ACCOUNT.match(t):
        t = f"arn:aws:iam::{t}:root"
    if t.startswith(FEDERATED_PREFIX) or t in WEB_IDENTITY_PROVIDERS:
        name = t[len(FEDERATED_PREFIX):] if t.startswith(FEDERATED_PREFIX) else t
        return Caller(t, "provider", None, None, provider=name)
    if not t.startswith("arn:"):
        if t.endswith(".amazonaws.com") or t.endswith(".amazonaws.com.cn"):
            return Caller(t, "service", None, None, service=t)
        return Caller(t, "unknown", None, None, known=False, note=f"`{t}` is not an ARN, account id, service or "
                                                                   "`anonymous`")
    parts = t.split(":", 5)
    if len(parts) < 6:
        return Caller(t, "unknown", None, t, known=False, note=f"`{t}` is not a well-formed ARN")
    _, partition, service, _region, account, resource = parts
    if service == "iam" and resource == "root":
        if account in index.accounts:
            return Caller(t, "root", account, t)
        return Caller(t, "root", account, t, known=False,
                      note=f"account {account} is outside the snapshot; its identity policies are unknown")
    if service == "sts" and resource.startswith("assumed-role/"):
        pieces = resource.split("/")
        role_name = pieces[1] if len(pieces) > 1 else ""
        role = index.role_by_name(account, role_name)
        role_arn = role.arn if role else f"arn:{partition}:iam::{account}:role/{role_name}"
        return _found(t, "role", account, role_arn, role, index, session_arn=t)
    if service == "sts" and resource.startswith("federated-user/"):
        return Caller(t, "federated", account, t, known=False,
                      note="federated user sessions carry the policies passed at sign-in, which a snapshot does not record")
    if service == "iam" and resource.startswith("user/"):
        return _found(t, "user", account, t, index.users.get(t), index)
    if service == "iam" and resource.startswith("role/"):
        return _found(t, "role", account, t, index.roles.get(t), index)
    if service == "iam" and resource.startswith(("oidc-provider/", "saml-provider/")):
        return Caller(t, "provider", account, None, provider=t)
    if service == "iam" and resource.startswith("group/"):
        group = index.groups_by_arn.get(t)
        if group is None:
            return Caller(t, "unknown", account, t, known=False, note=f"group `{t}` is not in the snapshot")
        return Caller(t, "group", account, t, entity=group)
    return Caller(t, "unknown", account, t, known=False, note=f"`{t}` is not a user, role or account ARN")


def _found(text, kind, account, arn, entity, index, session_arn=None) -> Caller:
    if entity is not None:
        return Caller(text, kind, account, entity.arn, session_arn, entity)
    if account in index.accounts and index.accounts[account].iam_known:
        note = f"{kind} `{arn}` is not in account {account}'s IAM data; its permissions are unknown"
    elif account in index.accounts:
        note = (f"{kind} `{arn}` is not in account {account}'s IAM data, which the snapshot holds only in part; "
                f"its permissions are unknown")
    else:
        note = f"account {account} is outside the snapshot; its identity policies are unknown"
    return Caller(text, kind, account, arn, session_arn, None, known=False, note=note)


class PrincipalIndex:
    """Lookups by ARN over every user, role and group of the snapshot (built once)."""

    def __init__(self, snapshot: Snapshot):
        self.accounts: dict[str, Account] = {a.id: a for a in snapshot.accounts}
        self.users: dict[str, User] = {}
        self.roles: dict[str, Role] = {}
        self._roles_by_name: dict[tuple[str, str], Role] = {}
        self.groups = {}
        self.groups_by_arn = {}
        for a in snapshot.accounts:
            for u in a.users:
                self.users[u.arn] = u
            for r in a.roles:
                self.roles[r.arn] = r
                self._roles_by_name[(a.id, r.name)] = r
            for g in a.groups:
                self.groups[(a.id, g.name)] = g
                self.groups_by_arn[g.arn] = g

    def role_by_name(self, account: str, name: str) -> Role | None:
        return self._roles_by_name.get((account, name))


def identity_documents(entity: User | Role, group_of, managed_of) -> tuple[list, list[str], list[str]]:
    """A user's or role's identity policy documents: its inline policies, a user's groups' inline policies,
    and every attached managed policy (the user's and its groups'). Returns (documents, ARNs of attached
    managed policies the snapshot does not hold, notes on policies the snapshot marks unknown).
    ``group_of(account, name)`` and ``managed_of(arn)`` look up."""
    docs = list(entity.inline)
    attached = list(entity.attached)
    unknown = list(entity.unknown_policies)
    if isinstance(entity, User):
        for name in entity.groups:
            group = group_of(entity.account, name)
            if group is not None:
                docs.extend(group.inline)
                attached.extend(group.attached)
                unknown.extend(group.unknown_policies)
    missing = []
    for arn in attached:
        d = managed_of(arn)
        if d is None:
            missing.append(arn)
        else:
            docs.append(d)
    return docs, missing, unknown
