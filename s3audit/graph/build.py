"""The access graph: principals and data as nodes, and every way one reaches the other as edges.

``build_graph(snapshot)`` returns an ``AccessGraph`` around a directed multigraph (``graph.g``, read like a
``networkx.MultiDiGraph``; ``graph.to_networkx()`` for networkx's algorithms, see ``store.py``).

Nodes (id: an ARN, a service or provider name, ``anonymous`` or ``authenticated``):

- principals — ``kind`` user | group | role | root | service | provider | session | anonymous |
  authenticated; ``name``, ``account``, ``in_organization`` (the organization's accounts, or the
  snapshot's when there is none; None for AWS services), ``external`` (outside it; services are not),
  ``in_snapshot``, ``known`` (described by the snapshot), ``tags``, ``caller`` (what the engine is asked
  as). Users, groups, roles and roots of the snapshot; AWS services and federated providers named in trust
  or resource policies; one node per external account (its root) or external principal ARN named in any
  policy; the anonymous caller; any authenticated AWS principal. A group stands for "any member".
- data — ``kind`` bucket | access-point; ``name``, ``bucket``, ``account``, ``tags`` (a bucket's, for
  ``data-class`` and the like), ``region``.

Edges, each with ``kind``, ``decision`` (allow | conditional), ``actions``, ``conditions`` (the engine's
residuals), ``reasons`` and ``assumptions``:

- ``member-of`` user -> group;
- ``can-assume`` principal -> role (``method``: sts:AssumeRole, AssumeRoleWithWebIdentity or
  AssumeRoleWithSAML; ``requests``: what the engine decided);
- ``can-act-as`` principal -> principal (privilege escalation, ``escalation.py``; ``technique`` and
  ``requests``);
- ``can-access`` principal -> bucket or access point, one edge per decision: ``levels`` (access level ->
  actions), ``scope`` (object-key patterns the object actions were decided on; ``*`` is any key), ``via``
  (identity-policy, bucket-policy, access-point-policy, acl, account-root), ``resources`` (the ARNs
  decided). ``access.py`` explains how few decisions this takes.

Every edge is decided by the engine, so SCPs, RCPs, permissions boundaries, Block Public Access and
explicit denies apply on every hop.

Cost grows with the grants that exist, not with principals times buckets: a (principal, bucket) pair is
considered only when some identity statement of the principal can name the bucket (``index.GrantIndex``)
or the bucket's own policy, ACL or access point names the principal, its account or everyone.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from ..iam import s3 as s3sem
from ..iam.actions import universe
from ..iam.engine import ALLOW, CONDITIONAL, Decision, Engine, Reason, Request
from ..iam.iam_targets import TRUST_ACTIONS
from ..iam.logic import Tri
from ..iam.policy import Policy, PrincipalEntry
from ..iam.principals import FEDERATED_PREFIX, WEB_IDENTITY_PROVIDERS
from ..snapshot.model import UNKNOWN, Snapshot
from .index import GrantIndex, access_point_actions, matcher_actions, s3_access_actions
from .store import MultiDigraph

# Node kinds
USER, GROUP, ROLE, ROOT, SERVICE, PROVIDER, SESSION = "user", "group", "role", "root", "service", "provider", "session"
ANONYMOUS_KIND, AUTHENTICATED_KIND = "anonymous", "authenticated"
BUCKET, ACCESS_POINT = "bucket", "access-point"
PRINCIPAL_KINDS = frozenset({USER, GROUP, ROLE, ROOT, SERVICE, PROVIDER, SESSION, ANONYMOUS_KIND, AUTHENTICATED_KIND})
DATA_KINDS = frozenset({BUCKET, ACCESS_POINT})

# Edge kinds
MEMBER_OF, CAN_ASSUME, CAN_ACT_AS, CAN_ACCESS = "member-of", "can-assume", "can-act-as", "can-access"

ANONYMOUS = "anonymous"
AUTHENTICATED = "authenticated"
# The engine decides for "any authenticated AWS principal" as the root of an account that is in no
# snapshot and no organization: its own IAM is unknown (so assumed to allow), and only grants to
# everyone reach it.
AUTHENTICATED_PROXY = "arn:aws:iam::000000000000:root"

ASSUME_ROLE = "sts:assumerole"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_GRANT_LAYERS = {"identity": "identity-policy", "bucket": "bucket-policy", "access-point": "access-point-policy",
                 "acl": "acl", "trust": "trust-policy"}


class AccessGraph:
    """The graph and what the queries need around it (the snapshot and the engine that decided it)."""

    def __init__(self, graph: MultiDigraph, snapshot: Snapshot, engine: Engine):
        self.g = graph
        self.snapshot = snapshot
        self.engine = engine
        self._buckets: dict[str, list[str]] = defaultdict(list)
        for n, a in graph.nodes(data=True):
            if a["kind"] == BUCKET:
                self._buckets[a["name"]].insert(0, n)
            elif a["kind"] == ACCESS_POINT:
                self._buckets[a["bucket"]].append(n)

    def node(self, n: str) -> dict:
        return self.g.nodes[n]

    def principals(self) -> list[str]:
        return [n for n, a in self.g.nodes(data=True) if a["kind"] in PRINCIPAL_KINDS]

    def buckets(self) -> list[str]:
        """Bucket names (of the snapshot and those only named by an access point)."""
        return sorted(self._buckets)

    def data_nodes_of(self, bucket: str) -> list[str]:
        """The bucket's node and its access points' nodes."""
        return list(self._buckets.get(bucket, ()))

    def edges(self, kind: str | None = None) -> Iterator[tuple[str, str, str, dict]]:
        for u, v, k, a in self.g.edges(keys=True, data=True):
            if kind is None or a["kind"] == kind:
                yield u, v, k, a

    def caller(self, n: str) -> str:
        """The principal string the engine takes for this node."""
        return self.g.nodes[n]["caller"]

    def to_networkx(self):
        """The graph as a ``networkx.MultiDiGraph``, for networkx's algorithms and exports."""
        return self.g.to_networkx()


def build_graph(snapshot: Snapshot, engine: Engine | None = None) -> AccessGraph:
    """Build the access graph of a snapshot (no I/O). Every edge is decided by ``engine``."""
    from . import escalation
    engine = engine or Engine(snapshot)
    engine.compile_all()
    b = _Builder(snapshot, engine)
    b.principal_nodes()
    b.data_nodes()
    b.named_principals()
    b.membership()
    b.index_identities()
    b.assume_edges()
    b.access_edges()
    escalation.add_edges(b)
    return AccessGraph(b.g, snapshot, engine)


# ---- edge attributes from decisions ----

def _dedupe(items: Iterable) -> tuple:
    """Items in first-seen order without repeats (hashable ones by value, others by their text)."""
    seen: set = set()
    out = []
    for x in items:
        try:
            key = (0, x)
            hash(key)
        except TypeError:
            key = (1, repr(x))
        if key not in seen:
            seen.add(key)
            out.append(x)
    return tuple(out)


def via_of(d: Decision) -> set[str]:
    """Which kinds of grant made a decision possible: identity-policy, bucket-policy, acl, ..."""
    out = set()
    for r in d.reasons:
        if r.effect in ("Allow", "Grant", "Unknown"):
            if r.layer == "identity" and r.source.startswith("root user"):
                out.add("account-root")
            elif r.layer in _GRANT_LAYERS:
                out.add(_GRANT_LAYERS[r.layer])
    return out


@dataclass
class EdgeFacts:
    """What several decisions contribute to one edge."""

    decision: str = ALLOW
    actions: set = field(default_factory=set)
    reasons: list = field(default_factory=list)
    conditions: list = field(default_factory=list)
    assumptions: list = field(default_factory=list)
    requests: list = field(default_factory=list)  # (action, resource, context items) the engine decided

    def add(self, action: str | None, d: Decision, resource: str | None = None, context: dict | None = None) -> None:
        if action is not None:
            self.actions.add(action)
            if resource is not None:
                self.requests.append((_canonical(action), resource, tuple(sorted((context or {}).items()))))
        self.reasons.extend(d.reasons)
        self.conditions.extend(d.conditions)
        self.assumptions.extend(d.assumptions)
        if d.decision == CONDITIONAL:
            self.decision = CONDITIONAL

    def attrs(self, kind: str, **extra) -> dict:
        out = {"kind": kind, "decision": self.decision, "actions": tuple(sorted(_canonical(a) for a in self.actions)),
               "conditions": _dedupe(self.conditions), "reasons": _dedupe(self.reasons),
               "assumptions": tuple(dict.fromkeys(self.assumptions)), **extra}
        if self.requests:
            out["requests"] = tuple(dict.fromkeys(self.requests))
        return out


def _canonical(action: str) -> str:
    info = universe().get(action)
    return info.name if info else action


def combine_all(decisions: Iterable[tuple[str, Decision, str, dict | None]]) -> EdgeFacts | None:
    """Several requests (action, decision, resource, context) that must all succeed, such as an escalation
    needing two actions: None if one is denied."""
    facts = EdgeFacts()
    for action, d, resource, context in decisions:
        if not d.possible:
            return None
        facts.add(action, d, resource, context)
    return facts


# ---- the builder ----

@dataclass
class _Grantees:
    """Who a resource-side policy names in its Allow statements."""

    everyone: bool = False
    accounts: set = field(default_factory=set)
    principals: set = field(default_factory=set)  # node ids
    patterns: list = field(default_factory=list)  # wildcard principal ARNs
    services: set = field(default_factory=set)
    providers: set = field(default_factory=set)
    unknown: bool = False  # the policy could not be read


class _Builder:
    def __init__(self, snapshot: Snapshot, engine: Engine):
        self.snapshot = snapshot
        self.engine = engine
        self.g = MultiDigraph()
        self.org = snapshot.organization
        self.by_account: dict[str, list[str]] = defaultdict(list)  # users, roles, groups of each account
        self.roles: dict[str, Any] = {}
        self.users: dict[str, Any] = {}
        self.groups: dict[str, Any] = {}
        self.roles_by_name: dict[tuple[str, str], str] = {}
        self.canonical: dict[str, str] = {}
        for b in snapshot.buckets:
            if b.acl is not UNKNOWN and b.acl is not None and b.acl.owner_id:
                self.canonical.setdefault(b.acl.owner_id, b.account)
        self.index: dict[tuple[str, str], GrantIndex] = defaultdict(GrantIndex)  # (action family, account)
        self.identity_actions: dict[str, dict[str, frozenset]] = {}  # principal -> domain -> allowed actions
        self.unknown_identity: set[str] = set()
        self.org_policies: dict[tuple[str, str], list[Policy]] = {}

    # -- nodes --
    def external(self, account: str | None) -> bool:
        return account is None or not self.snapshot.in_organization(account)

    def add_principal(self, n: str, kind: str, account: str | None, *, name: str, caller: str | None = None,
                      known: bool = True, tags=None, in_org: bool | None = None) -> None:
        if n in self.g:
            return
        if in_org is None and account is not None:
            in_org = self.snapshot.in_organization(account)
        external = in_org is False
        self.g.add_node(n, kind=kind, name=name, account=account, in_organization=in_org, external=external,
                        known=known, in_snapshot=account in self.snapshot.account_ids if account else False,
                        tags=dict(tags or {}), caller=caller or n)

    def principal_nodes(self) -> None:
        for a in self.snapshot.accounts:
            self.add_principal(a.root_arn, ROOT, a.id, name=f"root of {a.name or a.id}")
            for u in a.users:
                self.add_principal(u.arn, USER, a.id, name=u.name, tags=u.tags)
                self.by_account[a.id].append(u.arn)
                self.users[u.arn] = u
            for gr in a.groups:
                self.add_principal(gr.arn, GROUP, a.id, name=gr.name)
                self.by_account[a.id].append(gr.arn)
                self.groups[gr.arn] = gr
            for r in a.roles:
                self.add_principal(r.arn, ROLE, a.id, name=r.name, tags=r.tags)
                self.by_account[a.id].append(r.arn)
                self.roles[r.arn] = r
                self.roles_by_name[(a.id, r.name)] = r.arn
        self.add_principal(ANONYMOUS, ANONYMOUS_KIND, None, name="anonymous (unauthenticated) caller",
                           in_org=False)
        self.add_principal(AUTHENTICATED, AUTHENTICATED_KIND, None, name="any authenticated AWS principal",
                           caller=AUTHENTICATED_PROXY, in_org=False)

    def data_nodes(self) -> None:
        for a in self.snapshot.accounts:
            for b in a.buckets:
                tags = dict(b.tags) if b.tags is not UNKNOWN else {}
                self.g.add_node(b.arn, kind=BUCKET, name=b.name, bucket=b.name, account=a.id,
                                in_organization=self.snapshot.in_organization(a.id), external=False,
                                tags=tags, tags_known=b.tags is not UNKNOWN, region=b.region if isinstance(
                                    b.region, str) else None)
            for ap in a.access_points:
                self.g.add_node(ap.arn, kind=ACCESS_POINT, name=ap.name, bucket=ap.bucket, account=a.id,
                                in_organization=self.snapshot.in_organization(a.id), external=False,
                                tags={}, tags_known=False, region=ap.region)

    def node_for_entry(self, e: PrincipalEntry) -> str | None:
        """The node a Principal entry names (creating nodes for external principals, services and
        providers); None for everyone, wildcards and entries that name no principal."""
        if e.is_everyone:
            return None
        if e.kind == "Service":
            return self.service_node(e.value)
        if e.kind == "Federated":
            v = e.value
            account = v.split(":")[4] if v.startswith("arn:") and len(v.split(":")) > 5 else None
            caller = v if v.startswith("arn:") or v in WEB_IDENTITY_PROVIDERS else FEDERATED_PREFIX + v
            # Public web identity providers vouch for anyone with an account there.
            in_org = self.snapshot.in_organization(account) if account else False
            self.add_principal(v, PROVIDER, account, name=v, caller=caller, in_org=in_org)
            return v
        if e.kind == "CanonicalUser":
            acct = self.canonical.get(e.value)
            return self.root_node(acct) if acct else None
        if e.pattern is not None:
            return None
        if e.kind != "AWS":
            return None
        v = e.value
        if _ACCOUNT_ID.match(v):
            return self.root_node(v)
        parts = v.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not _ACCOUNT_ID.match(parts[4]):
            return None  # a unique id (AROA...) of a deleted principal, or junk: names nobody now
        account, rest = parts[4], parts[5]
        if rest == "root":
            return self.root_node(account)
        if parts[2] == "sts" and rest.startswith("assumed-role/"):
            name = rest.split("/")[1] if "/" in rest else ""
            arn = self.roles_by_name.get((account, name), f"arn:aws:iam::{account}:role/{name}")
            if arn not in self.g:
                self.add_principal(arn, ROLE, account, name=name, known=False)
            return arn
        if v in self.g:
            return v
        kind = USER if rest.startswith("user/") else ROLE if rest.startswith("role/") else SESSION
        self.add_principal(v, kind, account, name=rest.rsplit("/", 1)[-1], known=False)
        return v

    def service_node(self, service: str) -> str:
        self.add_principal(service, SERVICE, None, name=service, in_org=None)
        self.g.nodes[service]["external"] = False
        return service

    def root_node(self, account: str) -> str:
        n = f"arn:aws:iam::{account}:root"
        if n not in self.g:
            self.add_principal(n, ROOT, account, name=f"account {account}", known=False)
        return n

    def grantees(self, policy_doc: Any, actions: frozenset[str]) -> _Grantees:
        """Who the Allow statements of a resource-side policy (bucket, access point, trust) name for any of
        ``actions``."""
        out = _Grantees()
        if policy_doc is None:
            return out
        if policy_doc is UNKNOWN:
            out.unknown = True
            out.everyone = True
            return out
        pol = self.engine.compile(policy_doc)
        for s in pol.statements:
            named = [self.node_for_entry(e) for e in s.principals or ()]  # nodes for every name, Deny too
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

    def named_principals(self) -> None:
        """Read who every trust, bucket and access point policy names, creating the nodes."""
        self.trust_grantees: dict[str, _Grantees] = {}
        trust_actions = TRUST_ACTIONS
        for arn, r in self.roles.items():
            gr = self.trust_grantees[arn] = self.grantees(r.trust, trust_actions)
            if gr.unknown:
                # An unknown trust policy may trust any service: the ones a role can be passed to matter
                # (escalation.py); everyone else is covered by `everyone`.
                from .escalation import PASS_ROLE_SERVICES
                gr.services.update(self.service_node(svc) for svc in PASS_ROLE_SERVICES)
        self.data_grantees: dict[str, _Grantees] = {}
        domain = frozenset(s3_access_actions())
        for a in self.snapshot.accounts:
            for b in a.buckets:
                gr = self.grantees(b.policy, domain)
                self._acl_grantees(b, gr)
                self.data_grantees[b.arn] = gr
            for ap in a.access_points:
                self.data_grantees[ap.arn] = self.grantees(ap.policy, frozenset(access_point_actions()))

    def _acl_grantees(self, b, gr: _Grantees) -> None:
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
                    gr.principals.add(self.root_node(acct))
            elif g.grantee_type == "Group" and g.grantee == s3sem.LOG_DELIVERY:
                self.add_principal("logging.s3.amazonaws.com", SERVICE, None, name="logging.s3.amazonaws.com",
                                   in_org=None)
                self.g.nodes["logging.s3.amazonaws.com"]["external"] = False
                gr.services.add("logging.s3.amazonaws.com")
            else:
                gr.unknown = True  # an e-mail grantee, or a canonical id of an account we do not know

    def membership(self) -> None:
        for arn, u in self.users.items():
            for gname in u.groups:
                g = f"arn:aws:iam::{u.account}:group/{gname}"
                if g not in self.groups:
                    continue
                reason = Reason(f"IAM user {arn}", None, "Allow", "membership", note=f"member of group {gname}")
                self.g.add_edge(arn, g, key=MEMBER_OF, kind=MEMBER_OF, decision=ALLOW, actions=(), conditions=(),
                                reasons=(reason,), assumptions=())

    # -- the identity side, indexed --
    def index_identities(self) -> None:
        from .escalation import INDEXED_ACTIONS
        s3_domain = frozenset(s3_access_actions())
        ap_domain = frozenset(access_point_actions())
        families = {ASSUME_ROLE: frozenset({ASSUME_ROLE})}
        families.update({a: frozenset({a}) for a in INDEXED_ACTIONS})
        for n in list(self.users) + list(self.roles) + list(self.groups):
            found = self.engine.identity_policies(n)
            if found is None:
                continue
            policies, missing, _boundary = found
            account = self.account_of(n)
            allowed = {"s3": set(), "ap": set()}
            if missing:
                # A policy the snapshot lacks or marks unknown may allow anything: index as a wildcard.
                self.unknown_identity.add(n)
                for fam in ("s3", "ap", *families):
                    self.index[(fam, account)].add_everything(n)
                allowed = {"s3": set(s3_domain), "ap": set(ap_domain)}
            for p in policies:
                for s in p.statements:
                    if s.effect != "Allow":
                        continue
                    patterns = [None] if s.resources is None or s.not_resource else list(s.resources)
                    s3 = matcher_actions(s.actions, s3_domain)
                    ap = matcher_actions(s.actions, ap_domain)
                    if s3:
                        allowed["s3"] |= s3
                        for pat in patterns:
                            self.index[("s3", account)].add(n, pat)
                    if ap:
                        allowed["ap"] |= ap
                        for pat in patterns:
                            self.index[("ap", account)].add(n, pat)
                    for fam, acts in families.items():
                        if matcher_actions(s.actions, acts):
                            for pat in patterns:
                                self.index[(fam, account)].add(n, pat)
            self.identity_actions[n] = {k: frozenset(v) for k, v in allowed.items()}
        for a in self.snapshot.accounts:
            for fam in ("s3", "ap", *families):
                self.index[(fam, a.id)].add_everything(a.root_arn)  # the root user may do anything in its account

    def account_of(self, n: str) -> str | None:
        return self.g.nodes[n].get("account")

    def query(self, family: str, account: str | None, arn: str, children: bool = False) -> dict:
        """Principals of ``account`` whose Allow statements for the family may name ``arn``."""
        idx = self.index.get((family, account))
        return idx.query(arn, children=children) if idx is not None else {}

    def candidates(self, family: str, arn: str, grantees: _Grantees, owner: str, *, children: bool = False,
                   everyone_nodes: Iterable[str] = (ANONYMOUS, AUTHENTICATED)) -> set[str]:
        """Principals that may be allowed on ``arn``: same-account identity grants, and whoever the resource
        side names (through their identity grants when it names an account or everyone)."""
        out = set(self.query(family, owner, arn, children))
        if owner in self.snapshot.account_ids:
            out.add(f"arn:aws:iam::{owner}:root")
        if grantees.everyone:
            out.update(everyone_nodes)
            out.update(self.by_account.get(owner, ()))
            for acct in self.snapshot.account_ids:
                out.update(self.query(family, acct, arn, children))
        for acct in grantees.accounts:
            out.add(self.root_node(acct))
            out.update(self.query(family, acct, arn, children))
        out.update(grantees.principals)
        out.update(grantees.services)
        for pat in grantees.patterns:
            out.update(n for n in self.g if self.g.nodes[n]["kind"] in (USER, ROLE)
                       and pat.matches(n) is not Tri.FALSE)
        return {n for n in out if n in self.g}

    # -- can-assume --
    def assume_edges(self) -> None:
        for arn, r in self.roles.items():
            gr = self.trust_grantees[arn]
            if r.trust is None:
                continue
            callers = self.candidates(ASSUME_ROLE, arn, gr, r.account, everyone_nodes=(AUTHENTICATED,))
            callers.discard(ANONYMOUS)
            for c in sorted(callers):
                if c == arn or self.g.nodes[c]["kind"] in (PROVIDER,):
                    continue
                d = self.engine.decide(Request(self.g.nodes[c]["caller"], "sts:AssumeRole", arn))
                if d.possible:
                    self.add_decided_edge(c, arn, CAN_ASSUME, "sts:AssumeRole", [("sts:assumerole", d, arn, None)],
                                          method="sts:AssumeRole")
            for p in sorted(gr.providers):
                action = "sts:AssumeRoleWithSAML" if ":saml-provider/" in p else "sts:AssumeRoleWithWebIdentity"
                d = self.engine.decide(Request(self.g.nodes[p]["caller"], action, arn))
                if d.possible:
                    self.add_decided_edge(p, arn, CAN_ASSUME, action, [(action.lower(), d, arn, None)], method=action)

    def add_decided_edge(self, u: str, v: str, kind: str, key: str, decisions: list[tuple],
                         **extra) -> dict | None:
        facts = combine_all(decisions)
        if facts is None:
            return None
        attrs = facts.attrs(kind, **extra)
        if u == AUTHENTICATED:
            attrs["assumptions"] = tuple(_proxy_note(a) for a in attrs["assumptions"])
        self.g.add_edge(u, v, key=f"{kind}:{key}", **attrs)
        return attrs

    # -- can-access --
    def access_edges(self) -> None:
        from .access import AccessPlanner
        planner = AccessPlanner(self)
        pairs: dict[str, list[str]] = defaultdict(list)
        for a in self.snapshot.accounts:
            for b in a.buckets:
                gr = self.data_grantees[b.arn]
                for c in self.candidates("s3", b.arn, gr, a.id, children=True):
                    pairs[c].append(b.arn)
            for ap in a.access_points:
                gr = self.data_grantees[ap.arn]
                for c in self.candidates("ap", ap.arn, gr, a.id, children=True):
                    pairs[c].append(ap.arn)
        for c in sorted(pairs):
            if self.g.nodes[c]["kind"] == PROVIDER:
                continue
            planner.start(c)
            for d in pairs[c]:
                planner.edges(c, d)

    # -- organization policies by account (for action classes) --
    def org_policies_of(self, account: str | None, ptype: str) -> list[Policy]:
        key = (account or "", ptype)
        hit = self.org_policies.get(key)
        if hit is None:
            hit = []
            org = self.org
            if org is not None and account is not None and account != org.management_account:
                for level in org.path_of(account):
                    for p in org.policies:
                        if p.type == ptype and level in p.targets:
                            hit.append(self.engine.compile(p.document))
            self.org_policies[key] = hit
        return hit


def _proxy_note(text: str) -> str:
    return text.replace("account 000000000000 is outside the snapshot; its identity policies are unknown",
                        "any authenticated AWS principal: its own account's policies are assumed to allow")
