"""What each edge of the access graph rests on: the grants whose removal would take it away.

A *grant* is something the estate's owner can remove and that gives access: an Allow statement of an
identity, trust, bucket or access point policy (or of another resource's policy the engine consults, such as
a key policy), an ACL grant, a user's membership of a group, or an association an edge names (an instance
profile's role on an instance). One statement carries many edges and counts once; an AWS managed policy,
whose text is AWS's, is removed by detaching it, so there the grant is the attachment.

Never a grant: Deny statements (removing one can only open access), SCPs, RCPs and permissions boundaries
(guard rails, not grants), the account root user's own-account access, and anything the snapshot does not
know (an unreadable policy, an external principal's identity policies): an edge resting on those cannot be
cut by removing grants. A group membership is not offered when the group's policies deny anything (or are
not all known): leaving the group would lift the deny. An Allow statement with ``NotPrincipal``,
``NotAction`` or ``NotResource`` is a grant as a whole: removing it takes away everything it grants, which
the cut's collateral lists.

``GrantModel.edge(u, v, key, attrs)`` answers with a *formula*: ``TRUE`` (rests on nothing removable),
``FALSE``, a ``Grant``, or ``("any", parts)`` / ``("all", parts)``. It follows AWS's evaluation
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and the
cross-account page, reference_policies_evaluation-logic-cross-account.html) from the reasons the engine gave:

- within one account either side may grant: identity statements *or* resource statements that name the
  principal, the session or everyone (one naming the account delegates to the identity side);
- across accounts both must: identity statements *and* resource statements;
- a role's trust policy must allow even within the account: a statement naming the role's account needs
  an identity statement too
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html);
- through an access point, the access point's side and the bucket's side must each permit
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html);
- an identity statement a user holds through a group also needs the membership;
- an escalation that takes several requests needs each one (the requests are decided again one by one,
  so that each has its own reasons).

An edge merges several decisions (actions, object keys), so its formula may allow combinations that no
single decision does: it can only make a cut bigger, never miss a route. Where the engine's reasons leave
out an alternative (a conditional statement next to a definite one), the cut is proved by rebuilding the
estate and searched again for what is left (``cut.py``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from ..iam import s3 as s3sem
from ..iam.decision import Reason, Request
from ..snapshot.model import UNKNOWN
from .build import AccessGraph
from .kinds import ACCESS_POINT, ANONYMOUS_KIND, BUCKET, CAN_ACCESS, PROVIDER, ROLE, SERVICE

STATEMENT, ACL_GRANT, MEMBERSHIP, INSTANCE_PROFILE = "statement", "acl-grant", "membership", "instance-profile"
KINDS = (STATEMENT, ACL_GRANT, MEMBERSHIP, INSTANCE_PROFILE)

TRUE: tuple = ("true",)
FALSE: tuple = ("false",)

# Reason layers that are guard rails or notes, never grants.
_GUARD_RAILS = frozenset({"scp", "rcp", "boundary", "block-public-access"})
# The other locks on the data (iam/locks.py): the bucket's KMS key and the request's VPC endpoint must also allow,
# but a cut removes S3 and IAM grants only; leaving them out keeps every cut found a cut (it may not be the
# smallest where removing a key policy statement would also do).
_OTHER_LOCKS = frozenset({"kms", "kms-grant", "vpc-endpoint"})
# Reason layers of the resource side, by the side they belong to; other grant layers (a key policy ...)
# are sides of their own, decided like a trust policy (the owner's policy must allow, or delegate).
_SIDE_OF = {"bucket": "bucket", "acl": "bucket", "resource": "bucket", "access-point": "access-point",
            "trust": "trust"}
# Reason layers that name an association an edge needs besides its decisions (an instance profile on an
# instance): the element at the reason's pointer, of that kind.
ASSOCIATIONS = {"instance-profile": INSTANCE_PROFILE}
_GRANTING = frozenset({"Allow", "Grant", "Unknown"})
_AWS_MANAGED = ":iam::aws:policy/"


@dataclass(frozen=True, order=True)
class Grant:
    """One removable grant: where it is (``pointer`` into the snapshot, unique), what it is and how reasons
    name it."""

    pointer: str
    kind: str  # statement | acl-grant | membership | instance-profile
    source: str
    statement: str | None = None

    def to_json(self, location: str | None = None) -> dict:
        """As ``paths --cut --format json`` names it (``statement`` only for statements)."""
        return {"kind": self.kind, "source": self.source,
                "statement": self.statement if self.kind == STATEMENT else None, "pointer": self.pointer,
                "location": location}

    def label(self) -> str:
        if self.kind == STATEMENT:
            return f"statement {self.statement} of the {self.source}" if self.statement else self.source
        if self.kind == ACL_GRANT:
            return f"{self.statement or 'grant'} of the {self.source}"
        return self.source


# ---- formulas ----

def _join(op: str, parts: Iterable, unit: tuple, zero: tuple) -> tuple:
    """``op`` (any | all) of the parts, flattened and simplified: ``zero`` decides it (TRUE for any, FALSE for
    all), ``unit`` is left out."""
    out = []
    for p in parts:
        if p == zero:
            return zero
        if p == unit:
            continue
        if isinstance(p, tuple) and p and p[0] == op:
            out.extend(p[1])
        else:
            out.append(p)
    out = list(dict.fromkeys(out))
    if not out:
        return unit
    return out[0] if len(out) == 1 else (op, tuple(out))


def any_of(parts: Iterable) -> tuple:
    return _join("any", parts, FALSE, TRUE)


def all_of(parts: Iterable) -> tuple:
    return _join("all", parts, TRUE, FALSE)


def grants_in(formula) -> set[Grant]:
    if isinstance(formula, Grant):
        return {formula}
    if formula in (TRUE, FALSE):
        return set()
    return {g for part in formula[1] for g in grants_in(part)}


def holds(formula, removed: set) -> bool:
    """Whether the formula still holds once the grants in ``removed`` are gone."""
    if isinstance(formula, Grant):
        return formula not in removed
    if formula == TRUE:
        return True
    if formula == FALSE:
        return False
    parts = (holds(p, removed) for p in formula[1])
    return any(parts) if formula[0] == "any" else all(parts)


# ---- the model ----

class GrantModel:
    """The grants of one access graph's snapshot, and the formula of each edge."""

    def __init__(self, graph: AccessGraph):
        self.graph = graph
        self.engine = graph.engine
        snap = graph.snapshot
        self.docs: dict[str, Any] = {}  # document pointer -> PolicyDocument
        self.own: dict[str, set[str]] = {}  # entity ARN -> its own documents' pointers
        self.via_group: dict[str, dict[str, set[str]]] = {}  # user ARN -> group ARN -> documents' pointers
        self.attachments: dict[tuple[str, str], str] = {}  # (entity ARN, managed policy ARN) -> attachment pointer
        self.memberships: dict[tuple[str, str], Grant | None] = {}  # None: the membership is no grant
        self.acl: dict[str, Any] = {}  # ACL grant pointer -> model Grant
        self.buckets = {b.name: b for b in snap.buckets}
        self._statements: dict[str, Any] = {}
        groups = {g.arn: g for a in snap.accounts for g in a.groups}
        for a in snap.accounts:
            for x in (*a.users, *a.groups, *a.roles):
                self.own[x.arn] = self._documents(x)
                for i, arn in enumerate(x.attached):
                    self.attachments.setdefault((x.arn, arn), f"{x.pointer}/AttachedManagedPolicies/{i}")
                for d in x.inline:
                    self.docs[d.pointer] = d
                if getattr(x, "trust", None) not in (None, UNKNOWN):
                    self.docs[x.trust.pointer] = x.trust
            for u in a.users:
                self.via_group[u.arn] = {}
                for k, name in enumerate(u.groups):
                    g = groups.get(f"arn:aws:iam::{u.account}:group/{name}")
                    if g is None:
                        continue
                    self.via_group[u.arn][g.arn] = self._documents(g)
                    grant = None if self._group_denies(g.arn) else Grant(
                        f"{u.pointer}/GroupList/{k}", MEMBERSHIP, f"IAM user {u.arn}")
                    self.memberships[(u.arn, g.arn)] = grant
            for mp in a.managed_policies.values():
                if mp.document is not None:
                    self.docs.setdefault(mp.document.pointer, mp.document)
            for b in a.buckets:
                if b.policy not in (None, UNKNOWN):
                    self.docs[b.policy.pointer] = b.policy
                if b.acl not in (None, UNKNOWN):
                    for g in b.acl.grants:
                        self.acl[g.pointer] = g
            for ap in a.access_points:
                if ap.policy not in (None, UNKNOWN):
                    self.docs[ap.policy.pointer] = ap.policy
        for p in self.engine.policies():  # and any other policy the engine reads (a key policy ...)
            self.docs.setdefault(p.doc.pointer, p.doc)

    def _documents(self, x) -> set[str]:
        out = {d.pointer for d in x.inline}
        for arn in x.attached:
            d = self.graph.snapshot.managed_document(arn)
            if d is not None:
                out.add(d.pointer)
        return out

    def _group_denies(self, group_arn: str) -> bool:
        found = self.engine.identity_policies(group_arn)
        if found is None:
            return True
        policies, missing, _boundary = found
        return bool(missing) or any(s.effect == "Deny" for p in policies for s in p.statements)

    # -- locating a reason --
    def document_of(self, pointer: str):
        """(document, statement) of a reason's pointer: a statement inside a document the snapshot holds, or
        (for a shipped AWS managed policy, which is in no snapshot) the document's own pointer."""
        d = self.docs.get(pointer)
        if d is not None:
            return d, None
        cut = pointer.rfind("/Statement")
        if cut < 0:
            return None, None
        d = self.docs.get(pointer[:cut])
        if d is None:
            return None, None
        st = self._statements.get(pointer)
        if st is None:
            for s in self.engine.compile(d).statements:
                self._statements[d.pointer + s.pointer] = s
            st = self._statements.get(pointer)
        return d, st

    # -- the identity side --
    def identity(self, node: str, reasons: Iterable[Reason]) -> tuple:
        """The identity statements of the caller that granted, as alternatives (a group's also needing the
        membership); TRUE when the identity side rests on nothing removable."""
        attrs = self.graph.node(node)
        if attrs["kind"] in (ANONYMOUS_KIND, SERVICE, PROVIDER):
            return FALSE
        parts = []
        for r in reasons:
            if r.layer != "identity" or r.effect not in _GRANTING:
                continue
            if r.effect == "Unknown" or not r.pointer:
                parts.append(TRUE)  # the root user, a principal the snapshot does not describe, an unknown policy
                continue
            parts.append(self._identity_statement(node, r))
        if not attrs.get("known", True) or (not parts and attrs["kind"] not in (ROLE, "user", "group")):
            parts.append(TRUE)  # identity policies outside the snapshot: assumed to allow
        return any_of(parts)

    def _identity_statement(self, node: str, r: Reason) -> tuple:
        doc, _st = self.document_of(r.pointer)
        if doc is None:
            return Grant(r.pointer, STATEMENT, r.source, r.statement)
        managed = doc.name if _AWS_MANAGED in (doc.name or "") else None
        ways = []
        if doc.pointer in self.own.get(node, ()):
            ways.append(None)
        ways.extend(g for g, docs in self.via_group.get(node, {}).items() if doc.pointer in docs)
        if not ways:
            ways = [None]
        out = []
        for group in ways:
            holder = group or node
            if managed:  # AWS's text: the grant is the attachment to this holder
                where = self.attachments.get((holder, managed))
                element = Grant(where, STATEMENT, r.source, r.statement) if where else TRUE
            else:
                element = Grant(r.pointer, STATEMENT, r.source, r.statement)
            if group is not None:
                m = self.memberships.get((node, group))
                element = all_of([m if m is not None else TRUE, element])
            out.append(element)
        return any_of(out)

    # -- the resource side --
    def _resource(self, caller: str, r: Reason) -> tuple[str, tuple]:
        """(kind: specific | delegated, formula) of one resource-side reason."""
        if r.effect == "Unknown" and not r.pointer:
            return ("delegated" if r.layer == "acl" else "specific"), TRUE
        if r.layer == "acl":
            g = self.acl.get(r.pointer)
            grant = Grant(r.pointer, ACL_GRANT, r.source, r.statement)
            if g is not None and g.grantee_type == "CanonicalUser":
                return "delegated", grant
            if g is not None and g.grantee_type == "Group" and g.grantee == s3sem.LOG_DELIVERY:
                return "specific", grant
            return ("specific" if g is not None and g.grantee_type == "Group" else "delegated"), grant
        _doc, st = self.document_of(r.pointer)
        grant = Grant(r.pointer, STATEMENT, r.source, r.statement)
        if st is None:
            return "specific", grant
        kind = self.engine.principal_match(st, caller)
        return ("delegated" if kind == "account" else "specific"), grant

    def decision(self, node: str, reasons: Iterable[Reason], owners: dict[str, str | None]) -> tuple:
        """The formula of one decision (or several merged) of ``node``, the owners of each resource side
        given (``bucket``, ``access-point``, ``trust``; a side the reasons name but ``owners`` lacks is
        owned by the account of its document's owner)."""
        reasons = [r for r in reasons if r.effect in _GRANTING and r.layer not in _GUARD_RAILS
                   and r.layer not in _OTHER_LOCKS and r.layer not in ASSOCIATIONS and r.layer != "membership"]
        attrs = self.graph.node(node)
        caller = attrs["caller"]
        has_identity = attrs["kind"] not in (ANONYMOUS_KIND, SERVICE, PROVIDER)
        ident = self.identity(node, reasons) if has_identity else FALSE
        sides: dict[str, dict[str, list]] = defaultdict(lambda: {"specific": [], "delegated": []})
        for side in owners:
            sides[side]
        side_owner = dict(owners)
        for r in reasons:
            if r.layer == "identity":
                continue
            side = _SIDE_OF.get(r.layer, r.layer)
            kind, f = self._resource(caller, r)
            sides[side][kind].append(f)
            if side not in side_owner:
                doc, _ = self.document_of(r.pointer) if r.pointer else (None, None)
                side_owner[side] = _account_of(doc.owner) if doc is not None else None
        if not sides:
            return ident if has_identity else FALSE
        parts = []
        for side, got in sides.items():
            specific, delegated = any_of(got["specific"]), any_of(got["delegated"])
            explicit = side not in ("bucket", "access-point")
            same = has_identity and attrs.get("account") is not None and attrs.get("account") == side_owner.get(side)
            if not has_identity:
                parts.append(any_of([specific, delegated]))
            elif same and explicit:
                parts.append(any_of([all_of([ident, delegated]), specific]))
            elif same:
                parts.append(any_of([ident, specific]))
            else:
                parts.append(all_of([ident, any_of([specific, delegated])]))
        return all_of(parts)

    # -- edges --
    def edge(self, u: str, v: str, attrs: dict) -> tuple:
        """The formula of one edge u -> v (``attrs`` its attributes)."""
        associations = [Grant(r.pointer, ASSOCIATIONS[r.layer], r.source, None) for r in attrs.get("reasons", ())
                        if r.layer in ASSOCIATIONS and r.pointer]
        if attrs["kind"] == CAN_ACCESS:
            f = self.decision(u, attrs["reasons"], self._data_owners(v))
        elif attrs.get("requests"):
            f = all_of(self._request(u, action, resource, dict(context))
                       for action, resource, context in attrs["requests"])
        else:
            f = self.decision(u, attrs["reasons"], {})
        if f == FALSE:
            # the reasons do not show how the edge holds: every grant they name is an alternative
            named = self._named(u, attrs["reasons"])
            f = any_of(named) if named else TRUE
        return all_of([*associations, f])

    def _named(self, u: str, reasons) -> list:
        out = []
        for r in reasons:
            if r.effect not in _GRANTING or r.layer in _GUARD_RAILS or not r.pointer or r.layer in ASSOCIATIONS:
                continue
            if r.layer == "identity":
                out.append(self._identity_statement(u, r))
            else:
                out.append(self._resource(self.graph.caller(u), r)[1])
        return out

    def _request(self, u: str, action: str, resource: str, context: dict) -> tuple:
        d = self.engine.decide(Request(self.graph.caller(u), action, resource, context))
        if not d.possible:
            return FALSE
        owners: dict[str, str | None] = {}
        if any(r.layer == "trust" for r in d.reasons):
            owners["trust"] = _account_of(resource)
        return self.decision(u, d.reasons, owners)

    def _data_owners(self, v: str) -> dict[str, str | None]:
        a = self.graph.node(v)
        if a["kind"] == ACCESS_POINT:
            b = self.buckets.get(a["bucket"])
            return {"access-point": a["account"], "bucket": b.account if b is not None else None}
        if a["kind"] == BUCKET:
            return {"bucket": a["account"]}
        return {}


def _account_of(arn: str | None) -> str | None:
    if not arn:
        return None
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None
