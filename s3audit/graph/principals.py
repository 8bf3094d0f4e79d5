"""The principal graph: the principal stage's result, which the data stage reads and never changes.

``PrincipalGraph`` holds the principal nodes and the ``member-of``, ``can-assume`` and ``can-act-as`` edges
between them (``g``, with ``edge_order``: the order they were made in), and what the data stage needs to pair
principals with data without deciding principals × buckets: the index of identity grants by resource
(``GrantIndex`` per action family and account), the S3 actions each principal's own policies may allow, and
who a resource-side policy names (``grantees``). It holds no engine and no snapshot: plain data, so that a
later stage may run elsewhere with its own copy.

Which node a Principal element names is one function, ``entry_node``, for the principal stage (which makes
the nodes) and the data stage (which looks them up).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, NamedTuple

from ..iam import s3 as s3sem
from ..iam.logic import Tri
from ..iam.policy import Policy, PrincipalEntry
from ..iam.principals import FEDERATED_PREFIX, WEB_IDENTITY_PROVIDERS
from ..snapshot.model import UNKNOWN
from .index import GrantIndex, matcher_actions
from .kinds import ANONYMOUS, AUTHENTICATED, PROVIDER, ROLE, ROOT, SERVICE, SESSION, USER
from .store import MultiDigraph

_ACCOUNT_ID = re.compile(r"^\d{12}$")
LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com"  # who the ACL's LogDelivery group stands for


class NodeSpec(NamedTuple):
    """How to make a principal node that a policy names, when the graph does not have it yet (the
    arguments of ``PrincipalGraph.add_principal``; ``in_org`` None: from the account)."""

    kind: str
    account: str | None
    name: str
    caller: str | None = None
    known: bool = True
    in_org: bool | None = None


@dataclass
class Grantees:
    """Who a resource-side policy (bucket, access point, trust) or ACL names in its grants."""

    everyone: bool = False
    accounts: set = field(default_factory=set)
    principals: set = field(default_factory=set)  # node ids
    patterns: list = field(default_factory=list)  # wildcard principal ARNs
    services: set = field(default_factory=set)
    providers: set = field(default_factory=set)
    unknown: bool = False  # the policy could not be read


def compiled(compile_: Callable[[Any], Policy], doc: Any) -> Policy | Any:
    """A resource-side policy compiled, or as the snapshot has it (None, UNKNOWN)."""
    return doc if doc is None or doc is UNKNOWN else compile_(doc)


def root_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def entry_node(e: PrincipalEntry, canonical: dict[str, str],
               roles_by_name: dict[tuple[str, str], str]) -> tuple[str, NodeSpec] | None:
    """The node a Principal entry names and how to make it; None for everyone, wildcards and entries that
    name no principal (a unique id of a deleted principal, junk)."""
    if e.is_everyone:
        return None
    if e.kind == "Service":
        return e.value, NodeSpec(SERVICE, None, e.value)
    if e.kind == "Federated":
        v = e.value
        account = v.split(":")[4] if v.startswith("arn:") and len(v.split(":")) > 5 else None
        caller = v if v.startswith("arn:") or v in WEB_IDENTITY_PROVIDERS else FEDERATED_PREFIX + v
        # Public web identity providers vouch for anyone with an account there.
        return v, NodeSpec(PROVIDER, account, v, caller, True, None if account else False)
    if e.kind == "CanonicalUser":
        acct = canonical.get(e.value)
        return _root(acct) if acct else None
    if e.pattern is not None or e.kind != "AWS":
        return None
    v = e.value
    if _ACCOUNT_ID.match(v):
        return _root(v)
    parts = v.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not _ACCOUNT_ID.match(parts[4]):
        return None
    account, rest = parts[4], parts[5]
    if rest == "root":
        return _root(account)
    if parts[2] == "sts" and rest.startswith("assumed-role/"):
        name = rest.split("/")[1] if "/" in rest else ""
        arn = roles_by_name.get((account, name), f"arn:aws:iam::{account}:role/{name}")
        return arn, NodeSpec(ROLE, account, name, known=False)
    kind = USER if rest.startswith("user/") else ROLE if rest.startswith("role/") else SESSION
    return v, NodeSpec(kind, account, rest.rsplit("/", 1)[-1], known=False)


def _root(account: str) -> tuple[str, NodeSpec]:
    return root_arn(account), NodeSpec(ROOT, account, f"account {account}", known=False)


class PrincipalGraph:
    """The principal stage's result (see the module docstring); ``principal_stage.py`` builds it."""

    def __init__(self, account_ids: frozenset[str], canonical: dict[str, str], data_ids: frozenset[str]):
        self.g = MultiDigraph()
        self.account_ids = account_ids
        self.canonical = canonical  # canonical user id -> account (from the buckets' ACL owners)
        self.data_ids = data_ids  # the ARNs of the snapshot's buckets and access points: never principals
        # The first ``described`` nodes are the principals the snapshot describes (with the anonymous and
        # the authenticated caller); the rest are principals that policies name.
        self.described = 0
        self.edge_order: list[tuple[str, str, str]] = []  # (u, v, key) in the order the edges were made
        self.by_account: dict[str, list[str]] = defaultdict(list)  # users, groups, roles of each account
        self.users: dict[str, Any] = {}
        self.groups: dict[str, Any] = {}
        self.roles: dict[str, Any] = {}
        self.roles_by_name: dict[tuple[str, str], str] = {}
        self.index: dict[tuple[str, str], GrantIndex] = defaultdict(GrantIndex)  # (action family, account)
        self.identity_actions: dict[str, dict[str, frozenset]] = {}  # principal -> domain -> allowed actions
        self.unknown_identity: set[str] = set()  # principals with a policy the snapshot lacks or marks unknown
        self.trust_grantees: dict[str, Grantees] = {}  # role -> who its trust policy names

    # -- making it (the principal stage) --
    def add_edge(self, u: str, v: str, key: str, attrs: dict) -> None:
        self.g.add_edge(u, v, key=key, **attrs)
        self.edge_order.append((u, v, key))

    # -- reading it --
    def entry(self, e: PrincipalEntry) -> tuple[str, NodeSpec] | None:
        """``entry_node`` of a Principal entry, but None for one that names a bucket or access point of the
        snapshot (AWS accepts no such principal; its id is a data node's)."""
        hit = entry_node(e, self.canonical, self.roles_by_name)
        return None if hit is None or hit[0] in self.data_ids else hit

    def node_of(self, e: PrincipalEntry) -> str | None:
        """The node a Principal entry names (see ``entry``)."""
        hit = self.entry(e)
        return None if hit is None else hit[0]

    def account_of(self, n: str) -> str | None:
        return self.g.nodes[n].get("account")

    def query(self, family: str, account: str | None, arn: str, children: bool = False) -> dict:
        """Principals of ``account`` whose Allow statements for the family may name ``arn``."""
        idx = self.index.get((family, account))
        return idx.query(arn, children=children) if idx is not None else {}

    def grantees(self, policy: Policy | Any, actions: frozenset[str],
                 name: Callable[[PrincipalEntry], str | None] | None = None) -> Grantees:
        """Who the Allow statements of a resource-side policy (compiled, None or UNKNOWN) name for any of
        ``actions``. ``name`` is called on every Principal entry of every statement (the principal stage
        makes the nodes with it); by default entries are looked up."""
        out = Grantees()
        if policy is None:
            return out
        if policy is UNKNOWN:
            out.unknown = True
            out.everyone = True
            return out
        name = name or self.node_of
        for s in policy.statements:
            named = [name(e) for e in s.principals or ()]  # every name, Deny too
            if s.effect != "Allow" or not matcher_actions(s.actions, actions):
                continue
            if s.not_principal:
                out.everyone = True
                continue
            for e, n in zip(s.principals or (), named):
                if e.is_everyone:
                    out.everyone = True
                elif e.kind == "Service" and n:
                    out.services.add(n)
                elif e.kind == "Federated" and n:
                    out.providers.add(n)
                elif e.pattern is not None:
                    out.patterns.append(e.pattern)
                elif n is not None:
                    if self.g.nodes[n]["kind"] == ROOT:
                        out.accounts.add(self.g.nodes[n]["account"])
                    out.principals.add(n)
        return out

    def acl_grantees(self, b, gr: Grantees, name: Callable[[str, NodeSpec], str] | None = None) -> None:
        """Add who a bucket's ACL in force names to ``gr``. ``name(node, spec)`` is called on every grantee
        that is a principal (the principal stage makes the nodes with it)."""
        if b.acl is None:
            return
        if b.acls_enabled is not UNKNOWN and not b.acls_enabled:
            return
        if b.acl is UNKNOWN:
            gr.unknown = True
            return
        for g in b.acl.grants:
            if g.grantee_type == "Group" and g.grantee in (s3sem.ALL_USERS, s3sem.AUTHENTICATED_USERS):
                gr.everyone = True
            elif g.grantee_type == "CanonicalUser":
                acct = self.canonical.get(g.grantee)
                if acct:
                    gr.accounts.add(acct)
                    n, spec = _root(acct)
                    gr.principals.add(name(n, spec) if name else n)
            elif g.grantee_type == "Group" and g.grantee == s3sem.LOG_DELIVERY:
                spec = NodeSpec(SERVICE, None, LOG_DELIVERY_SERVICE)
                gr.services.add(name(LOG_DELIVERY_SERVICE, spec) if name else LOG_DELIVERY_SERVICE)
            else:
                gr.unknown = True  # an e-mail grantee, or a canonical id of an account we do not know

    def candidates(self, family: str, arn: str, grantees: Grantees, owner: str, *, children: bool = False,
                   everyone_nodes: Iterable[str] = (ANONYMOUS, AUTHENTICATED)) -> set[str]:
        """Principals that may be allowed on ``arn``: same-account identity grants, and whoever the resource
        side names (through their identity grants when it names an account or everyone)."""
        out = set(self.query(family, owner, arn, children))
        if owner in self.account_ids:
            out.add(root_arn(owner))
        if grantees.everyone:
            out.update(everyone_nodes)
            out.update(self.by_account.get(owner, ()))
            for acct in self.account_ids:
                out.update(self.query(family, acct, arn, children))
        for acct in grantees.accounts:
            out.add(root_arn(acct))
            out.update(self.query(family, acct, arn, children))
        out.update(grantees.principals)
        out.update(grantees.services)
        for pat in grantees.patterns:
            out.update(n for n in self.g if self.g.nodes[n]["kind"] in (USER, ROLE)
                       and pat.matches(n) is not Tri.FALSE)
        return {n for n in out if n in self.g}
