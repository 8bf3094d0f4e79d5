"""The principal stage of the build: principal nodes and the ``member-of``, ``can-assume`` and ``can-act-as``
edges, as a ``PrincipalGraph`` (``principals.py``).

``build_principal_graph(snapshot, engine)`` reads IAM (users, groups, roles, their policies and boundaries), the
compute that runs as a role (for escalation through it)
and the organization (SCPs, RCPs), and of the resource side only who it *names*: the Principal elements of
bucket and access point policies and the grantees of bucket ACLs (not what they grant). Every principal any
policy names is then a node before the data stage starts, so that a wildcard principal in a policy matches
the same nodes whichever buckets a data stage is given.
"""
from __future__ import annotations

from ..iam.decision import ALLOW, Reason, Request
from ..iam.engine import Engine
from ..iam.iam_targets import TRUST_ACTIONS
from ..snapshot.model import UNKNOWN, Snapshot
from . import escalation
from .edges import combine_all, proxy_note
from .index import access_point_actions, matcher_actions, s3_access_actions
from .kinds import (ANONYMOUS, ANONYMOUS_KIND, AUTHENTICATED, AUTHENTICATED_KIND, AUTHENTICATED_PROXY, CAN_ASSUME,
                    GROUP, MEMBER_OF, PROVIDER, ROLE, ROOT, SERVICE, USER)
from .principals import NodeSpec, PrincipalGraph, compiled

ASSUME_ROLE = "sts:assumerole"


def build_principal_graph(snapshot: Snapshot, engine: Engine) -> PrincipalGraph:
    """The principal stage (see the module docstring). Every edge is decided by ``engine``."""
    s = _PrincipalStage(snapshot, engine)
    s.principal_nodes()
    s.named_principals()
    s.membership()
    s.index_identities()
    s.assume_edges()
    escalation.add_edges(s.p, engine, snapshot)
    return s.p


class _PrincipalStage:
    def __init__(self, snapshot: Snapshot, engine: Engine):
        self.snapshot = snapshot
        self.engine = engine
        canonical: dict[str, str] = {}
        for b in snapshot.buckets:
            if b.acl is not UNKNOWN and b.acl is not None and b.acl.owner_id:
                canonical.setdefault(b.acl.owner_id, b.account)
        data_ids = frozenset(x.arn for a in snapshot.accounts for x in (*a.buckets, *a.access_points))
        self.p = PrincipalGraph(snapshot.account_ids, canonical, data_ids)
        self.g = self.p.g

    # -- nodes --
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

    def make(self, n: str, spec: NodeSpec) -> str:
        """The node a policy names, made when the graph does not have it yet."""
        self.add_principal(n, spec.kind, spec.account, name=spec.name, caller=spec.caller, known=spec.known,
                           in_org=spec.in_org)
        if spec.kind == SERVICE:
            self.g.nodes[n]["external"] = False  # an AWS service is the estate's own
        return n

    def name(self, e) -> str | None:
        hit = self.p.entry(e)
        return None if hit is None else self.make(*hit)

    def principal_nodes(self) -> None:
        p = self.p
        for a in self.snapshot.accounts:
            self.add_principal(a.root_arn, ROOT, a.id, name=f"root of {a.name or a.id}")
            for u in a.users:
                self.add_principal(u.arn, USER, a.id, name=u.name, tags=u.tags)
                p.by_account[a.id].append(u.arn)
                p.users[u.arn] = u
            for gr in a.groups:
                self.add_principal(gr.arn, GROUP, a.id, name=gr.name)
                p.by_account[a.id].append(gr.arn)
                p.groups[gr.arn] = gr
            for r in a.roles:
                self.add_principal(r.arn, ROLE, a.id, name=r.name, tags=r.tags)
                p.by_account[a.id].append(r.arn)
                p.roles[r.arn] = r
                p.roles_by_name[(a.id, r.name)] = r.arn
        self.add_principal(ANONYMOUS, ANONYMOUS_KIND, None, name="anonymous (unauthenticated) caller",
                           in_org=False)
        self.add_principal(AUTHENTICATED, AUTHENTICATED_KIND, None, name="any authenticated AWS principal",
                           caller=AUTHENTICATED_PROXY, in_org=False)
        p.described = len(self.g)

    def named_principals(self) -> None:
        """Make a node for every principal that a trust, bucket or access point policy or a bucket ACL names;
        keep who each trust policy names."""
        p = self.p
        compile_ = self.engine.compile
        for arn, r in p.roles.items():
            gr = p.trust_grantees[arn] = p.grantees(compiled(compile_, r.trust), TRUST_ACTIONS, self.name)
            if gr.unknown:
                # An unknown trust policy may trust any service: the ones a role can be passed to matter
                # (escalation.py); everyone else is covered by `everyone`.
                gr.services.update(self.make(svc, NodeSpec(SERVICE, None, svc))
                                   for svc in escalation.PASS_ROLE_SERVICES)
        s3_domain = frozenset(s3_access_actions())
        ap_domain = frozenset(access_point_actions())
        for a in self.snapshot.accounts:
            for b in a.buckets:
                gr = p.grantees(compiled(compile_, b.policy), s3_domain, self.name)
                p.acl_grantees(b, gr, self.make)
            for ap in a.access_points:
                p.grantees(compiled(compile_, ap.policy), ap_domain, self.name)

    def membership(self) -> None:
        p = self.p
        for arn, u in p.users.items():
            for gname in u.groups:
                g = f"arn:aws:iam::{u.account}:group/{gname}"
                if g not in p.groups:
                    continue
                reason = Reason(f"IAM user {arn}", None, "Allow", "membership", note=f"member of group {gname}")
                p.add_edge(arn, g, MEMBER_OF, dict(kind=MEMBER_OF, decision=ALLOW, actions=(), conditions=(),
                                                   reasons=(reason,), assumptions=()))

    # -- the identity side, indexed --
    def index_identities(self) -> None:
        p = self.p
        s3_domain = frozenset(s3_access_actions())
        ap_domain = frozenset(access_point_actions())
        families = {ASSUME_ROLE: frozenset({ASSUME_ROLE})}
        families.update({a: frozenset({a}) for a in escalation.INDEXED_ACTIONS})
        covered: dict[int, tuple] = {}  # id of an Action element's matcher -> (it, S3 and access point actions, families)
        for n in list(p.users) + list(p.roles) + list(p.groups):
            found = self.engine.identity_policies(n)
            if found is None:
                continue
            policies, missing, _boundary = found
            account = p.account_of(n)
            allowed = {"s3": set(), "ap": set()}
            if missing:
                # A policy the snapshot lacks or marks unknown may allow anything: index as a wildcard.
                p.unknown_identity.add(n)
                for fam in ("s3", "ap", *families):
                    p.index[(fam, account)].add_everything(n)
                allowed = {"s3": set(s3_domain), "ap": set(ap_domain)}
            for pol in policies:
                for s in pol.statements:
                    if s.effect != "Allow":
                        continue
                    patterns = [None] if s.resources is None or s.not_resource else list(s.resources)
                    # Statements share their Action element's matcher (policy.py): its families are found once.
                    hit = covered.get(id(s.actions))
                    if hit is None or hit[0] is not s.actions:
                        hit = covered[id(s.actions)] = (s.actions, matcher_actions(s.actions, s3_domain),
                                                        matcher_actions(s.actions, ap_domain),
                                                        [fam for fam, acts in families.items()
                                                         if matcher_actions(s.actions, acts)])
                    _, s3, ap, matched = hit
                    if s3:
                        allowed["s3"] |= s3
                        for pat in patterns:
                            p.index[("s3", account)].add(n, pat)
                    if ap:
                        allowed["ap"] |= ap
                        for pat in patterns:
                            p.index[("ap", account)].add(n, pat)
                    for fam in matched:
                        for pat in patterns:
                            p.index[(fam, account)].add(n, pat)
            p.identity_actions[n] = {k: frozenset(v) for k, v in allowed.items()}
        for a in self.snapshot.accounts:
            for fam in ("s3", "ap", *families):
                p.index[(fam, a.id)].add_everything(a.root_arn)  # the root user may do anything in its account

    # -- can-assume --
    def assume_edges(self) -> None:
        p = self.p
        for arn, r in p.roles.items():
            gr = p.trust_grantees[arn]
            if r.trust is None:
                continue
            callers = p.candidates(ASSUME_ROLE, arn, gr, r.account, everyone_nodes=(AUTHENTICATED,))
            callers.discard(ANONYMOUS)
            for c in sorted(callers):
                if c == arn or self.g.nodes[c]["kind"] in (PROVIDER,):
                    continue
                d = self.engine.decide_unplanned(Request(self.g.nodes[c]["caller"], "sts:AssumeRole", arn))
                if d.possible:
                    self.add_decided_edge(c, arn, "sts:AssumeRole", [("sts:assumerole", d, arn, None)],
                                          method="sts:AssumeRole")
            for n in sorted(gr.providers):
                action = "sts:AssumeRoleWithSAML" if ":saml-provider/" in n else "sts:AssumeRoleWithWebIdentity"
                d = self.engine.decide_unplanned(Request(self.g.nodes[n]["caller"], action, arn))
                if d.possible:
                    self.add_decided_edge(n, arn, action, [(action.lower(), d, arn, None)], method=action)

    def add_decided_edge(self, u: str, v: str, key: str, decisions: list[tuple], **extra) -> None:
        facts = combine_all(decisions)
        if facts is None:
            return
        attrs = facts.attrs(CAN_ASSUME, **extra)
        if u == AUTHENTICATED:
            attrs["assumptions"] = tuple(proxy_note(a) for a in attrs["assumptions"])
        self.p.add_edge(u, v, f"{CAN_ASSUME}:{key}", attrs)

