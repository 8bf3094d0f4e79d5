"""The authorization engine: can this principal perform this S3 action on this resource, and why?

One pure function of the snapshot, AWS's documented evaluation logic in order
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow.html):

1. an explicit ``Deny`` in any applicable policy (SCP, RCP, resource, identity, boundary) decides;
2. SCPs on the path from the root to the principal's account must each allow (not for the management
   account, not for service-linked roles);
3. RCPs on the path to the resource's account must each allow (not for the management account, not for
   AWS service principals or service-linked roles);
4. the resource side (bucket policy, access point policy, bucket ACL when ACLs are enabled) and the
   identity side (identity policies, permissions boundary) combine: within one account either side may
   grant; across accounts both must;
5. Block Public Access removes public ACL grants (IgnorePublicAcls) and limits a public policy to the
   owner's account and AWS services (RestrictPublicBuckets).

Every layer is three-valued: what the snapshot fixes is evaluated, what depends on the request stays as
residual conditions, and what is unknown (an API call that failed, a principal outside the snapshot) is
reported as an assumption, erring toward "access may be possible".

Besides S3 resources the engine decides STS and IAM requests for the access graph (can this principal
assume that role, pass it to a service, create an access key for that user): ``iam_targets.py`` resolves
those resources, and a role's trust policy takes the place of the bucket policy.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from ..errors import InputError
from ..snapshot.model import UNKNOWN, AccessPoint, Account, Bucket, PolicyDocument, Snapshot
from . import iam_targets
from . import s3 as s3sem
from .actions import universe
from .context import Context, context_key, fold
from .logic import Tri
from .policy import Policy, PrincipalEntry, Statement, compile_policy
from .principals import Caller, PrincipalIndex, identity_documents, parse_caller
from .wording import residual_json

ALLOW, DENY, CONDITIONAL = "allow", "deny", "conditional"
_ACL_PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")
_TRUE, _FALSE, _UNKNOWN = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN  # module constants: enum attribute access is slow
_TRI_DECISION = {_TRUE: ALLOW, _FALSE: DENY, _UNKNOWN: CONDITIONAL}
_TRI_NUMBER = {_TRUE: 2, _UNKNOWN: 1, _FALSE: 0}
_MISSING = object()

# Keys whose presence depends on how the request is made; they stay unknown unless supplied.
# s3 keys that an action never carries are known to be absent (Service Authorization Reference).
_ACCESS_POINT_KEYS = ("s3:DataAccessPointArn", "s3:DataAccessPointAccount", "s3:AccessPointNetworkOrigin")


@dataclass(frozen=True)
class Request:
    principal: str
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)  # key -> value(s); None marks a key absent


@dataclass(frozen=True)
class Reason:
    source: str
    statement: str | None
    effect: str  # Allow | Deny | ImplicitDeny | Grant (ACL) | Block
    layer: str  # scp | rcp | resource | access-point | acl | identity | boundary | block-public-access
    pointer: str | None = None
    note: str | None = None

    def to_json(self) -> dict:
        out = {"source": self.source, "statement": self.statement, "effect": self.effect, "layer": self.layer}
        if self.pointer:
            out["pointer"] = self.pointer
        if self.note:
            out["note"] = self.note
        return out

    @property
    def json_text(self) -> str:
        """``json.dumps(self.to_json())``; decisions repeat a few reasons many times, so it is memoised by
        content."""
        return _reason_json(self.source, self.statement, self.effect, self.layer, self.pointer, self.note)


@dataclass(frozen=True)
class Residual:
    """What a conditional answer still depends on: a statement whose conditions the request decides."""

    effect: str  # Allow: access needs these to hold; Deny: access needs these NOT to hold
    source: str
    statement: str
    conditions: tuple[dict, ...]

    def to_json(self) -> dict:
        """The machine form and, beside it, the conditions in words (``explanation``; ``met_by_construction``
        for the bucket's own TLS-only deny): see ``wording``."""
        out = dict(self._plain)
        out["conditions"] = list(self.conditions)
        return out

    @cached_property
    def _plain(self) -> dict:
        return residual_json(self.effect, self.source, self.statement, self.conditions)

    @cached_property
    def json_text(self) -> str:
        return json.dumps(self.to_json())


@dataclass(frozen=True)
class Decision:
    decision: str  # allow | deny | conditional
    reasons: tuple[Reason, ...]
    conditions: tuple[Residual, ...]
    assumptions: tuple[str, ...]
    grants: frozenset[str] = frozenset()  # how access is granted: identity, resource, acl, account-root

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOW

    @property
    def possible(self) -> bool:
        """Access may be possible: allowed, or allowed under some request conditions or unknowns."""
        return self.decision != DENY

    def to_json(self) -> dict:
        return {"decision": self.decision, "reasons": [r.to_json() for r in self.reasons],
                "conditions": [c.to_json() for c in self.conditions], "assumptions": list(self.assumptions)}

    @property
    def json_text(self) -> str:
        """``json.dumps(self.to_json())``, computed once (memoised decisions are shared by many requests).
        Decisions of different requests are often alike: the text is memoised by the JSON of the parts."""
        text = self.__dict__.get("_json_text")
        if text is None:
            # Kept beside the fields (a frozen dataclass keeps its __dict__ open to this).
            text = self.__dict__["_json_text"] = _decision_json(
                self.decision, tuple([r.json_text for r in self.reasons]),
                tuple([c.json_text for c in self.conditions]), tuple(self.assumptions))
        return text


@lru_cache(maxsize=8192, typed=True)
def _reason_json(source, statement, effect, layer, pointer, note) -> str:
    return json.dumps(Reason(source, statement, effect, layer, pointer, note).to_json())


@lru_cache(maxsize=8192, typed=True)
def _decision_json(decision: str, reasons: tuple[str, ...], conditions: tuple[str, ...],
                   assumptions: tuple[str, ...]) -> str:
    """The text of ``json.dumps(Decision.to_json())`` from the JSON of its reasons and conditions."""
    return (f'{{"decision": {json.dumps(decision)}, "reasons": [{", ".join(reasons)}], '
            f'"conditions": [{", ".join(conditions)}], "assumptions": {json.dumps(list(assumptions))}}}')


class _Route:
    """How requests of one principal, action and target scope are decided: the caller, the folded action,
    the key of their plan, and the plan itself once found (until it is retired)."""

    __slots__ = ("caller", "action", "key", "plan")

    def __init__(self, caller: Caller, action: str, key: tuple):
        self.caller = caller
        self.action = action
        self.key = key
        self.plan: _Plan | None = None


class _Said:
    """A request's own context (what it says of keys the snapshot leaves open) and its number: equal contexts
    share one, and a number is never given twice in an engine's life."""

    __slots__ = ("context", "number")

    def __init__(self, context: Context, number: int):
        self.context = context
        self.number = number


class _Layer:
    """The outcome of one group of statements: a Tri, the statements that made it, and residuals."""

    __slots__ = ("tri", "reasons", "residuals", "assumptions")

    def __init__(self, tri: Tri, reasons=(), residuals=(), assumptions=()):
        self.tri = tri
        self.reasons = list(reasons)
        self.residuals = list(residuals)
        self.assumptions = list(assumptions)


def _src(policy: Policy) -> str:
    return policy.source_label


@dataclass
class _Target:
    resource: str
    bucket: Bucket | None
    bucket_name: str | None
    key: str | None
    access_point: AccessPoint | None
    owner: str | None  # account id of the bucket
    bucket_resource: str  # the resource as the bucket policy sees it (access point ARNs translated)
    note: str | None = None
    other: iam_targets.OtherTarget | None = None  # set for resources that are not S3 (IAM, STS, other services)
    # Everything about the target but the object key: requests with the same principal, action and scope
    # consult the same statements (see _Plan).
    scope: int = field(init=False, repr=False)
    # Resource profiles by plan shape (see _Plan): plans of the same statements share them.
    profiles: dict = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self):
        point = self.resource.split("/object/", 1)[0] if ":accesspoint/" in self.resource else None
        # A small number per distinct scope: cheap to hash in the keys of the hot path.
        self.scope = _SCOPES.setdefault((self.bucket_name, point, self.owner, self.key is None,
                                         self.resource if self.other is not None else None), len(_SCOPES))

    @property
    def label(self) -> str:
        return self.bucket_name or self.resource


_SCOPES: dict[tuple, int] = {}  # (bucket, access point, owner, bucket-or-object) -> number, process-wide


class _Plan:
    """What deciding one (principal, target scope, action class) consults, found by a first full decision.

    ``entries`` lists every statement the full decision evaluated against the request (after the static
    action and principal filters), whether it was matched against the bucket's resource (through an access
    point) or the request's, and how its Principal covered the caller. The decision is a function of
    those statements' outcomes on the request (resource match, conditions, residual clauses left unknown),
    so decisions are memoised by that signature: the next request of the plan evaluates only these
    statements. A statement that reads no context key the snapshot leaves open (no conditions or policy
    variables, or only keys fixed by the caller, target and action, which all requests of the plan share)
    has an outcome that depends on the resource alone: those are cached per resource. A full decision that
    consults a different list marks the plan dynamic: its requests are then always decided in full.
    """

    __slots__ = ("entries", "mask", "static", "dynamic", "separable", "shape", "blocks", "by_resource", "by_context",
                 "memo", "fast", "numbers", "retired")

    def __init__(self, entries: tuple, facts: Context, numbers: dict, shapes: dict, tables: dict):
        self.entries = entries
        self.mask = tuple(all(facts.fixes(k) for k in _keys_read(s)) for s, _, _ in entries)
        self.static = tuple(e for e, fixed in zip(entries, self.mask) if fixed)
        self.dynamic = tuple(e for e, fixed in zip(entries, self.mask) if not fixed)
        # Whether every dynamic statement's Resource reads only keys the facts fix (no policy variable of the
        # request's context): then its Resource match depends on the resource alone, its Condition block on
        # the context alone, and the two are memoised apart (see Engine._memoised).
        self.separable = all(all(facts.fixes(k) for p in s.resources or () if p.has_variables
                                 for part in p.parts if part[0] == "var" for k in (part[1],))
                             for s, _, _ in self.dynamic)
        # When no statement reads a context key for its outcome on the resource (no Condition on the static
        # ones, no policy variable in any Resource), the resource profile depends on the statements and the
        # resource alone: plans of the same statements (other principals, other actions) share it, by this
        # number.
        self.shape = shapes.setdefault(tuple((id(s), on_bucket, _TRI_NUMBER[who]) for s, on_bucket, who in entries),
                                       len(shapes)) \
            if all(not _keys_read(s) for s, _, _ in self.static) and \
            not any(p.has_variables for s, _, _ in self.dynamic for p in s.resources or ()) else None
        # When the facts fix none of the keys the dynamic statements' Condition blocks read, those blocks
        # read the request's context alone: plans of the same blocks share their context profiles (one
        # table, ``by_context``, found by this number).
        self.blocks = shapes.setdefault(("blocks",) + tuple(id(s.conditions) for s, _, _ in self.dynamic),
                                        len(shapes)) \
            if self.separable and not any(facts.fixes(k) for s, _, _ in self.dynamic for k in s.conditions.keys) \
            else None
        # resource -> (profile number, static signature, Resource matches), for a plan without a shape; with
        # one, its resource profiles are kept by the targets (_Target.profiles).
        self.by_resource: dict[str, tuple] = {}
        # request context number -> (profile number, Condition outcomes)
        self.by_context: dict[int, tuple] = {} if self.blocks is None else tables.setdefault(self.blocks, {})
        self.memo: dict[tuple, "Decision"] = {}  # signature -> decision
        self.fast: dict = {}  # resource profile number, or (it, context profile number) -> decision
        self.numbers = numbers  # profile -> number, engine-wide (resource and context profiles apart)
        self.retired = False  # replaced or forgotten: routes that hold it look their plan up again

    def resource_profile(self, t: "_Target", facts: Context, conditions: dict) -> tuple:
        """(number, outcomes of the static statements as a signature, Resource match of each dynamic one)."""
        fixed = _signature(self.static, t, facts, conditions)
        matches = tuple(s.resource_matches(t.bucket_resource if on_bucket else t.resource, facts)
                        for s, on_bucket, _ in self.dynamic) if self.separable else ()
        number = self.numbers.setdefault(("resource", fixed, tuple(_TRI_NUMBER[m] for m in matches)),
                                         len(self.numbers))
        return number, fixed, matches

    def context_profile(self, ctx, conditions: dict) -> tuple:
        """(number, (Tri, residual clauses) of each dynamic statement's Condition block, or None for none)."""
        outcomes = []
        for s, _, _ in self.dynamic:
            block = s.conditions
            if block.clauses:
                key = (id(block), tuple([ctx.lookup(k) for k in block.keys]))
                hit = conditions.get(key)
                if hit is None:
                    hit = conditions[key] = block.evaluate(ctx)
                outcomes.append(hit)
            else:
                outcomes.append(None)
        outcomes = tuple(outcomes)
        # The residual clauses are compiled once per memoised block outcome and held here: their identity
        # stands for them.
        number = self.numbers.setdefault(("context", tuple(None if o is None else (_TRI_NUMBER[o[0]], id(o[1]))
                                                           for o in outcomes)), len(self.numbers))
        return number, outcomes

    def combine(self, matches: tuple, outcomes: tuple) -> tuple:
        """The dynamic half of the signature from the two profiles (as _statement_outcome computes it)."""
        keys = []
        for (_, _, who), m, outcome in zip(self.dynamic, matches, outcomes):
            if m is _FALSE:
                keys.append(None)
                continue
            if outcome is None:
                residual = ()
                m = m & who
            else:
                c, residual = outcome
                m = m & c & who
            keys.append(None if m is _FALSE else _outcome_key((m, residual)))
        return tuple(keys)

    def key_of(self, outcomes: list) -> tuple:
        """The signature of a full decision's recorded outcomes (in the order of ``entries``)."""
        keys = [_outcome_key(o) for o in outcomes]
        return (tuple(k for k, fixed in zip(keys, self.mask) if fixed),
                tuple(k for k, fixed in zip(keys, self.mask) if not fixed))


class Engine:
    """Decides requests against one snapshot. Policies are compiled once, on first use, and cached."""

    memo_limit = 200_000  # clear_request_cache forgets memos grown past this many entries

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.file = snapshot.file
        self.index = PrincipalIndex(snapshot)
        self.org = snapshot.organization
        self._policies: dict[int, Policy] = {}
        self._buckets: dict[str, Bucket] = {b.name: b for b in snapshot.buckets}
        self._access_points: dict[tuple[str, str], AccessPoint] = {}
        for a in snapshot.accounts:
            for ap in a.access_points:
                self._access_points[(a.id, ap.name)] = ap
        self._canonical: dict[str, str] = {}
        for b in snapshot.buckets:
            if b.acl is not UNKNOWN and b.acl is not None and b.acl.owner_id:
                self._canonical.setdefault(b.acl.owner_id, b.account)
        self._org_policies: dict[str, list] = {}
        if self.org is not None:
            for p in self.org.policies:
                for t in p.targets:
                    self._org_policies.setdefault(t, []).append(p)
        self._callers: dict[str, Caller] = {}
        self._targets: dict[str, _Target] = {}
        self._identity_cache: dict[str, tuple[list[Policy], list[str], Any]] = {}
        self._base_ctx: dict[tuple, Context] = {}
        self._caller_facts: dict[str, Context] = {}
        self._levels: dict[tuple[str, str], tuple | None] = {}
        self._blocks: dict[tuple, dict] = {}
        self._target_facts: dict[tuple, Context] = {}
        self._action_absent: dict[str, frozenset[str]] = {}
        self._by_action: dict[tuple, tuple[Statement, ...]] = {}
        self._matches: dict[tuple, tuple] = {}
        self._org_shapes: dict[tuple, tuple] = {}
        self._org_applies: dict[tuple, tuple | None] = {}  # (account, policy type, caller) -> levels, or None
        self._shape_numbers: dict[tuple, int] = {}
        self._supplied: dict[tuple, _Said] = {}
        self._said_numbers = itertools.count(1)  # never reused: plans key context profiles by these numbers
        self._org_memo: dict[tuple, tuple[_Layer, _Layer]] = {}
        self._plans: dict[tuple, _Plan | None] = {}
        self._conditions: dict[tuple, tuple] = {}  # Condition block outcomes by the values they read
        self._classes: dict[tuple, int] = {}
        self._routes: dict[tuple, _Route] = {}
        self._action_parts: dict[tuple, tuple] = {}
        self._class_numbers: dict[tuple, int] = {}
        self._consulted_cache: dict[tuple, tuple] = {}
        self._consulted_ids: dict[tuple, frozenset[int]] = {}  # ids of the policies in _consulted_cache
        self._profile_numbers: dict[tuple, int] = {}  # see _Plan
        self._consulted_numbers: dict[tuple, int] = {}  # (caller, target scope) -> number of its policy list
        self._policy_lists: dict[tuple, int] = {}  # ids of consulted policies -> number
        self._public: dict[tuple, Any] = {}  # (policy, owner) -> s3.policy_public verdict
        self._acl_permissions: dict[str, tuple[str, ...]] = {}  # action -> the bucket ACL permissions granting it
        self._known_statements: dict[tuple, frozenset[int]] = {}  # (policy list number, action) -> statement ids
        self._classes_by_policies: dict[tuple, int] = {}  # (policy list number, action) -> class (S3 targets)
        self._plan_shapes: dict[tuple, int] = {}
        self._context_tables: dict[int, dict] = {}  # plan blocks -> context profiles (see _Plan)
        self._per_action: set[tuple] = set()
        self._reasons: dict[tuple, Reason] = {}  # see _assemble (statements live as long as the engine)
        self._recording: list | None = None  # statement outcomes of the decision under way (see _Plan)
        self._consulting: set | None = None  # ids of the policies the decision under way consults

    # ---- compilation (once per policy document) ----
    def compile(self, doc: PolicyDocument) -> Policy:
        key = id(doc)
        p = self._policies.get(key)
        if p is None:
            p = compile_policy(doc, self.file)
            self._policies[key] = p
        return p

    def compile_all(self) -> None:
        """Compile every policy of the snapshot now, so that a malformed one is reported up front."""
        for a in self.snapshot.accounts:
            for x in (*a.users, *a.groups, *a.roles):
                for d in x.inline:
                    self.compile(d)
                if getattr(x, "trust", None) not in (None, UNKNOWN):
                    self.compile(x.trust)
            for mp in a.managed_policies.values():
                if mp.document is not None:
                    self.compile(mp.document)
            for b in a.buckets:
                if isinstance(b.policy, PolicyDocument):
                    self.compile(b.policy)
            for ap in a.access_points:
                if isinstance(ap.policy, PolicyDocument):
                    self.compile(ap.policy)
        if self.org is not None:
            for p in self.org.policies:
                self.compile(p.document)

    def policies(self) -> Iterable[Policy]:
        """Every compiled policy of the snapshot (compiling what is not yet)."""
        self.compile_all()
        return list(self._policies.values())

    def _statements(self, policy: Policy, action: str, effect: str | None = None) -> tuple[Statement, ...]:
        """Statements of a policy (of one effect) that can match an action (indexed once per policy,
        action and effect)."""
        key = (id(policy), action, effect)
        hit = self._by_action.get(key)
        if hit is None:
            hit = tuple(s for s in policy.statements
                        if (effect is None or s.effect == effect) and s.actions.matches(action))
            self._by_action[key] = hit
        return hit

    # ---- resolving the request ----
    def caller(self, principal: str) -> Caller:
        c = self._callers.get(principal)
        if c is None:
            c = parse_caller(principal, self.snapshot, self.index)
            self._callers[principal] = c
        return c

    def target(self, resource: str) -> _Target:
        t = self._targets.get(resource)
        if t is None:
            t = self._resolve_target(resource)
            self._targets[resource] = t
        return t

    def clear_request_cache(self) -> None:
        """Forget the per-request contexts (and the resolved targets and memoised plans once they are many;
        compiled policies stay), so that a caller deciding millions of requests, such as the access graph,
        keeps memory bounded."""
        self._base_ctx.clear()
        self._supplied.clear()
        limit = self.memo_limit
        if len(self._targets) > limit:
            self._targets.clear()
        if len(self._routes) > limit or len(self._conditions) > limit or len(self._org_memo) > limit:
            self._forget_memos()

    def _forget_memos(self) -> None:
        """Forget the routes, plans and what they are made of. Profile numbers name profiles by the identity
        of memoised condition outcomes: they go together, with every holder of a profile (plans, targets)."""
        for memo in (self._routes, self._plans, self._classes, self._conditions, self._org_memo,
                     self._consulted_cache, self._consulted_ids, self._profile_numbers,
                     self._consulted_numbers, self._context_tables, self._targets, self._known_statements):
            memo.clear()

    def _resolve_target(self, resource: str) -> _Target:
        if resource.startswith("arn:aws:s3:::") or resource.startswith("arn:aws-us-gov:s3:::") \
                or resource.startswith("arn:aws-cn:s3:::"):
            rest = resource.split(":::", 1)[1]
            name, _, key = rest.partition("/")
            bucket = self._buckets.get(name)
            return _Target(resource, bucket, name, key if "/" in rest else None, None,
                           bucket.account if bucket else None, resource,
                           None if bucket else f"bucket `{name}` is not in the snapshot; its policy, ACL and "
                                               "owner are unknown")
        parts = resource.split(":", 5)
        if len(parts) == 6 and parts[2] == "s3" and parts[5].startswith("accesspoint/"):
            ap_part = parts[5][len("accesspoint/"):]
            ap_name, _, obj = ap_part.partition("/")
            key = obj[len("object/"):] if obj.startswith("object/") else None
            ap = self._access_points.get((parts[4], ap_name))
            if ap is None:
                return _Target(resource, None, None, key, None, parts[4], resource,
                               f"access point `{ap_name}` of account {parts[4]} is not in the snapshot")
            bucket = self._buckets.get(ap.bucket)
            bres = f"arn:aws:s3:::{ap.bucket}" + (f"/{key}" if key is not None else "")
            return _Target(resource, bucket, ap.bucket, key, ap, bucket.account if bucket else ap.bucket_account,
                           bres, None if bucket else f"bucket `{ap.bucket}` behind the access point is not in the "
                                                     "snapshot")
        if not resource.startswith("arn:") or parts[2] == "s3":
            raise InputError(f"`{resource}` is not an S3 bucket, object or access point ARN, nor an ARN of "
                             "another service")
        other = iam_targets.resolve(resource, self.index)
        return _Target(resource, None, None, None, None, other.account, resource, other.note, other)

    def principal_match(self, statement: Statement, principal: str) -> str | None:
        """How a resource-policy statement's Principal covers the principal ('everyone', 'account',
        'principal', 'session'), or None when it does not; exactly the test decide() applies (a statement
        that may cover the caller, depending on what the snapshot cannot tell, counts)."""
        hit = _principal_match(statement, self.caller(principal), self._canonical)
        return None if hit is None else hit[0]

    def identity_policies(self, principal: str) -> tuple[list[Policy], list[str], Any] | None:
        """The compiled identity policies of a user (with its groups'), role or group in the snapshot, what of
        them is unknown (``(source, note)`` pairs: attached managed policies the snapshot lacks, policies it
        marks unknown, a missing boundary), and the permissions boundary (a Policy, None, or UNKNOWN); None
        for principals the snapshot does not describe."""
        caller = self.caller(principal)
        if caller.entity is None:
            return None
        return self._identity(caller)

    def _identity(self, caller: Caller) -> tuple[list[Policy], list[tuple[str, str | None]], Any]:
        """(identity policies, what of them is unknown as (source, note) pairs, boundary Policy | None | UNKNOWN).

        Unknown are attached managed policies the snapshot lacks and policies the snapshot marks unknown
        (an IaC value known only after apply); either may allow or deny. A missing boundary is listed with
        note None (the boundary layer reports it)."""
        key = caller.arn or ""
        hit = self._identity_cache.get(key)
        if hit is not None:
            return hit
        e = caller.entity
        docs, absent, unknown = identity_documents(e, lambda account, name: self.index.groups.get((account, name)),
                                                   self.snapshot.managed_document)
        missing: list[tuple[str, str | None]] = [
            (arn, f"managed policy {arn} attached to {e.arn} is not in the snapshot; it may allow or deny")
            for arn in absent]
        missing += [(e.arn, note + "; it may allow or deny") for note in unknown]
        boundary: Any = None
        if getattr(e, "boundary", None):
            d = self.snapshot.managed_document(e.boundary)
            if d is None:
                boundary = UNKNOWN
                missing.append((e.boundary, None))
            else:
                boundary = self.compile(replace(d, kind="boundary", owner=e.arn, name=e.boundary))
        out = ([self.compile(d) for d in docs], missing, boundary)
        self._identity_cache[key] = out
        return out

    def _facts(self, caller: Caller, t: _Target, action: str) -> Context:
        """What the snapshot fixes of a request's context (computed once per caller, target and action)."""
        # What the snapshot fixes depends on the caller, the resource's account, the access point and the
        # action, not on the bucket or key: one context serves every bucket of an account.
        key = (caller.text, t.owner, t.resource.split("/object/")[0] if t.access_point else None, action)
        base = self._base_ctx.get(key)
        if base is None:
            base = self._base_ctx[key] = self._derive_context(caller, t, action)
        return base

    def _context(self, caller: Caller, t: _Target, action: str, supplied: Mapping[str, Any]) -> Context:
        base = self._facts(caller, t, action)
        if not supplied:
            return base
        # Facts the snapshot fixes win over what a request claims; the rest comes from the request.
        frozen = context_key(supplied)
        said = self._supplied.get(frozen)
        if said is None:
            said = self._supplied[frozen] = _Said(Context.of(supplied), next(self._said_numbers))
        return base.under(said.context)

    def _session_tags_possible(self, role) -> bool:
        """Whether the role's trust policy lets anyone pass session tags (allows sts:TagSession)."""
        if role.trust is None:
            return False
        if role.trust is UNKNOWN:
            return True  # it may; the tags a session could carry are then not the role's
        return any(s.effect == "Allow" and s.actions.matches("sts:tagsession")
                   for s in self.compile(role.trust).statements)

    def _derive_context(self, caller: Caller, t: _Target, action: str) -> Context:
        """What the snapshot fixes about a request: facts of the caller, of the target and of the action."""
        who = self._caller_facts.get(caller.text)
        if who is None:
            who = self._caller_facts[caller.text] = self._facts_of_caller(caller)
        where = self._target_facts.get(t.scope)
        if where is None:
            where = self._target_facts[t.scope] = self._facts_of_target(t)
        carried = self._absent_keys(action)
        values = {**who.values, **where.values}
        absent = (who.absent | where.absent | carried).difference(values)
        return Context(MappingProxyType(values), absent, False, who.absent_prefixes)

    def _facts_of_caller(self, caller: Caller) -> Context:
        v: dict[str, Any] = {}
        absent: list[str] = []
        absent_prefixes: list[str] = []
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
                if self.org is not None and caller.account in self.org.member_accounts:
                    if self.org.id:
                        v["aws:PrincipalOrgID"] = self.org.id
                    v["aws:PrincipalOrgPaths"] = self._org_path_text(caller.account)
                elif self.org is not None and caller.account in self.snapshot.account_ids:
                    absent += ["aws:PrincipalOrgID", "aws:PrincipalOrgPaths"]
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
                if caller.entity is not None and not self._session_tags_possible(caller.entity):
                    for k, val in caller.entity.tags.items():
                        v[f"aws:PrincipalTag/{k}"] = val
                    absent_prefixes.append("aws:PrincipalTag/")
            elif caller.kind == "root":
                v["aws:PrincipalType"] = "Account"
                v["aws:userid"] = caller.account
                absent.append("aws:username")
        return Context.of({k: val for k, val in v.items() if val is not None}, absent=absent,
                          absent_prefixes=absent_prefixes)

    def _facts_of_target(self, t: _Target) -> Context:
        v: dict[str, Any] = {}
        absent: list[str] = []
        owner = t.owner
        if owner:
            v["aws:ResourceAccount"] = owner
            v["s3:ResourceAccount"] = owner
            if self.org is not None and owner in self.org.member_accounts:
                if self.org.id:
                    v["aws:ResourceOrgID"] = self.org.id
                v["aws:ResourceOrgPaths"] = self._org_path_text(owner)
        if t.access_point is not None:
            ap = t.access_point
            v["s3:DataAccessPointArn"] = t.resource.split("/object/")[0]
            v["s3:DataAccessPointAccount"] = ap.account
            if ap.network_origin:
                v["s3:AccessPointNetworkOrigin"] = ap.network_origin
        else:
            absent += list(_ACCESS_POINT_KEYS)
        return Context.of({k: val for k, val in v.items() if val is not None}, absent=absent)

    def _absent_keys(self, action: str) -> frozenset[str]:
        carried = self._action_absent.get(action)
        if carried is None:
            carried = self._action_absent[action] = self._keys_absent_for(action)
        return carried

    @staticmethod
    def _keys_absent_for(action: str) -> frozenset[str]:
        """S3 condition keys that this S3 action never carries (Service Authorization Reference)."""
        info = universe().get(action)
        if info is None or not action.lower().startswith("s3:"):
            return frozenset()
        skip = {fold(x) for x in _ACCESS_POINT_KEYS} | {"s3:resourceaccount"}
        return frozenset(k for k in universe().service_condition_keys.get("s3", frozenset())
                         if "<" not in k and "${" not in k and k not in info.condition_keys and k not in skip)

    def _org_path_text(self, account: str) -> str:
        path = self.org.path_of(account)
        return f"{self.org.id}/" + "/".join(path[:-1]) + "/" if self.org.id else "/".join(path[:-1]) + "/"

    # ---- evaluation ----
    def check(self, request: Request) -> None:
        """Raise InputError for a request that cannot be decided (no `service:Action`, no S3 resource)."""
        self.check_parts(request.action, request.resource)

    def check_parts(self, action: str, resource: str) -> None:
        """check() of a request with this action and resource."""
        if ":" not in action:
            raise InputError(f"`{action.strip()}` is not an action (expected `service:Action`, such as "
                             "s3:GetObject)")
        if resource not in self._targets:
            self.target(resource)

    def decide(self, request: Request) -> Decision:
        return self.decide_parts(request.principal, request.action, request.resource, request.context, request)

    def decide_parts(self, principal: str, action: str, resource: str, context: Mapping[str, Any],
                     request: Request | None = None) -> Decision:
        """``decide(Request(principal, action, resource, context))``, building the Request only when the
        decision is not memoised (the bulk path decides from a request line's parts)."""
        t = self._targets.get(resource)
        if t is None or ":" not in action:
            self.check(request or Request(principal, action, resource, context))
            t = self._targets[resource]
        route = self._routes.get((principal, action, t.scope))
        if route is None:
            route = self._route(principal, action, t)
        caller, action_l, key = route.caller, route.action, route.key
        plan = route.plan
        if plan is None or plan.retired:
            plan = route.plan = self._plans.get(key)
        if plan is not None:
            # The common case of _memoised inline: both profiles and their decision met before.
            profile = plan.by_resource.get(resource) if plan.shape is None else t.profiles.get(plan.shape)
            if profile is not None:
                if not plan.dynamic:
                    decision = plan.fast.get(profile[0])
                    if decision is not None:
                        return decision
                elif plan.separable:
                    if context:
                        said = self._supplied.get(context_key(context))
                        number = -1 if said is None else said.number
                    else:
                        number = 0
                    conditions = plan.by_context.get(number)
                    if conditions is not None:
                        decision = plan.fast.get((profile[0], conditions[0]))
                        if decision is not None:
                            return decision
            decision = self._memoised(plan, caller, t, action_l, context)
            if decision is not None:
                return decision
        if request is None:
            request = Request(principal, action, resource, context)
        self._recording = recorded = []
        self._consulting = consulting = set()
        try:
            decision = self._decide(request, t, action_l)
        finally:
            self._recording = self._consulting = None
        if not isinstance(key[2], tuple) and not self._class_covers(caller, t, action_l, recorded, consulting):
            # The full decision consulted a policy or evaluated a statement that the action class does not
            # account for: actions cannot be told apart safely here, so this caller and target get plans per
            # action from now on.
            self._per_action.add((caller.text, t.scope))
            self._forget(caller, t)
            return decision
        # A statement is matched against the request's resource or, through an access point, against the
        # bucket's: record which, so that other requests of the plan can be matched the same way.
        entries = tuple((s, resource != t.resource, who) for s, resource, who, _ in recorded)
        if key not in self._plans:
            plan = self._plans[key] = _Plan(entries, self._facts(caller, t, action_l), self._profile_numbers,
                                            self._plan_shapes, self._context_tables)
        elif plan is not None and plan.entries != entries:
            plan.retired = True
            plan = self._plans[key] = None  # this plan's statements vary: decide its requests in full
        if plan is not None:
            plan.memo[plan.key_of([o for _, _, _, o in recorded])] = decision
        return decision

    def _memoised(self, plan: "_Plan", caller: Caller, t: _Target, action_l: str,
                  context: Mapping[str, Any]) -> Decision | None:
        """The plan's memoised decision for this request, or None (a full decision is needed).

        The decision is a function of the signature (see _Plan). A separable plan's signature is a function
        of two parts, each memoised and numbered: the resource's profile (the outcomes of the statements
        that read only fixed keys, and whether each other statement's Resource matches) and the context's
        profile (the outcome of each other statement's Condition block); so a request whose two numbers
        were met before needs no statement evaluated at all."""
        if plan.shape is None:
            profile = plan.by_resource.get(t.resource)
            if profile is None:
                profile = plan.by_resource[t.resource] = plan.resource_profile(
                    t, self._facts(caller, t, action_l), self._conditions)
        else:
            profile = t.profiles.get(plan.shape)
            if profile is None:
                profile = t.profiles[plan.shape] = plan.resource_profile(
                    t, self._facts(caller, t, action_l), self._conditions)
        if not plan.dynamic:
            decision = plan.fast.get(profile[0])
            if decision is None:
                decision = plan.memo.get((profile[1], ()))
                if decision is not None:
                    plan.fast[profile[0]] = decision
            return decision
        if not plan.separable:
            return plan.memo.get((profile[1], _signature(plan.dynamic, t, self._context(caller, t, action_l, context),
                                                         self._conditions)))
        if context:
            frozen = context_key(context)
            said = self._supplied.get(frozen)
            if said is None:
                said = self._supplied[frozen] = _Said(Context.of(context), next(self._said_numbers))
            number = said.number
        else:
            said, number = None, 0
        conditions = plan.by_context.get(number)
        if conditions is None:
            facts = self._facts(caller, t, action_l)
            conditions = plan.by_context[number] = plan.context_profile(
                facts if said is None else facts.under(said.context), self._conditions)
        pair = (profile[0], conditions[0])
        decision = plan.fast.get(pair)
        if decision is None:
            decision = plan.memo.get((profile[1], plan.combine(profile[2], conditions[1])))
            if decision is not None:
                plan.fast[pair] = decision
        return decision

    def _route(self, principal: str, action: str, t: _Target) -> "_Route":
        """The caller, folded action and plan key of a principal, action and target scope (computed once)."""
        caller = self.caller(principal)
        action_l = action.strip().lower()
        route = _Route(caller, action_l, (principal, t.scope, self._action_class(caller, t, action_l)))
        self._routes[(principal, action, t.scope)] = route
        return route

    def _forget(self, caller: Caller, t: _Target) -> None:
        """Drop the routes, classes and plans of a caller and target scope (see the tripwire in decide)."""
        for store in (self._routes, self._plans):
            for k in [k for k in store if k[0] == caller.text or (k[0] in self._callers
                                                                  and self._callers[k[0]] is caller)]:
                if t.scope in k:
                    if store is self._plans and store[k] is not None:
                        store[k].retired = True
                    del store[k]
        for k in [k for k in self._classes if k[0] == caller.text and k[1] == t.scope]:
            del self._classes[k]

    def _action_class(self, caller: Caller, t: _Target, action: str):
        """What a decision for this caller and target depends on in the action: the statements of every
        consulted policy that it matches, the ACL permissions that grant it, and those of the S3 condition
        keys it never carries that the statements read. Actions alike in all three get the same decisions,
        so they share one plan."""
        key = (caller.text, t.scope, action)
        number = self._classes.get(key)
        if number is None:
            if (caller.text, t.scope) in self._per_action:
                return ("action", action)
            other = t.other
            # For S3 targets the shape depends on the consulted policies and the action alone: callers and
            # targets consulting the same policies (a role and its sessions, a bucket and its objects) share it.
            policies = self._consulted_number(caller, t)
            number = self._classes_by_policies.get((policies, action)) if other is None else None
            if number is None:
                parts = [self._action_part(p, action) for p, _ in self._consulted(caller, t)]
                read = frozenset().union(*[keys for _, keys in parts])
                acl = self._acl_permissions.get(action)
                if acl is None:
                    acl = self._acl_permissions[action] = tuple(
                        p for p in _ACL_PERMISSIONS if action in s3sem.acl_permission_actions(p))
                shape = (tuple([indexes for indexes, _ in parts]),
                         acl,
                         self._absent_keys(action) & read,
                         # For IAM and other services: whether RCPs govern the action, whether the trust policy
                         # is the resource policy.
                         other is None or iam_targets.rcp_applies(action),
                         other is not None and iam_targets.uses_trust_policy(other, action))
                number = self._class_numbers.setdefault(shape, len(self._class_numbers))
                if other is None:
                    self._classes_by_policies[(policies, action)] = number
            self._classes[key] = number
        return number

    def _consulted_number(self, caller: Caller, t: _Target) -> int:
        """A number for the policies _consulted lists (compiled policies live as long as the engine)."""
        key = (caller.text, t.scope)
        number = self._consulted_numbers.get(key)
        if number is None:
            listed = tuple(id(p) for p, _ in self._consulted(caller, t))
            number = self._consulted_numbers[key] = self._policy_lists.setdefault(listed, len(self._policy_lists))
        return number

    def _action_part(self, policy: Policy, action: str) -> tuple[tuple[int, ...], frozenset[str]]:
        """(indexes of the policy's statements that match the action, the context keys they read)."""
        key = (id(policy), action)
        hit = self._action_parts.get(key)
        if hit is None:
            matching = self._statements(policy, action)
            hit = self._action_parts[key] = (tuple(s.index for s in matching),
                                             frozenset().union(*(_keys_read(s) for s in matching)))
        return hit

    def _class_covers(self, caller: Caller, t: _Target, action: str, recorded: list, consulting: set) -> bool:
        """Whether every policy a full decision consulted, and every statement it evaluated, is one its
        action class accounts for."""
        key = (caller.text, t.scope)
        ids = self._consulted_ids.get(key)
        if ids is None:
            ids = self._consulted_ids[key] = frozenset(id(p) for p, _ in self._consulted(caller, t))
        if not consulting <= ids:
            return False
        # The statements of those policies that match the action: a function of the policies and the action.
        known_key = (self._consulted_number(caller, t), action)
        known = self._known_statements.get(known_key)
        if known is None:
            known = self._known_statements[known_key] = frozenset(
                id(s) for p, _ in self._consulted(caller, t) for s in self._statements(p, action))
        return all(id(s) in known for s, _, _, _ in recorded)

    def _consulted(self, caller: Caller, t: _Target) -> tuple:
        """(policy, caller its Principal elements are matched against or None) for every policy a decision
        for this caller and target evaluates, as the layers below evaluate them."""
        key = (caller.text, t.scope)
        hit = self._consulted_cache.get(key)
        if hit is None:
            out: list = []
            if self.org is not None:
                for account, ptype, who in ((caller.account, "SERVICE_CONTROL_POLICY", None),
                                            (t.owner, "RESOURCE_CONTROL_POLICY", caller)):
                    levels = self._org_levels(account, ptype) if account else None
                    for _, attached in levels or ():
                        out.extend((p, who) for p in attached)
            for doc in (t.access_point.policy if t.access_point is not None else None,
                        t.bucket.policy if t.bucket is not None else None,
                        t.other.trust if t.other is not None else None):
                if isinstance(doc, PolicyDocument):
                    out.append((self.compile(doc), caller))
            if caller.entity is not None and caller.kind in ("user", "role"):
                identity, _, boundary = self._identity(caller)
                out.extend((p, None) for p in identity)
                if isinstance(boundary, Policy):
                    out.append((boundary, None))
            hit = self._consulted_cache[key] = tuple(out)
        return hit

    def _decide(self, request: Request, t: _Target, action_l: str) -> Decision:
        """The full decision (decide() memoises it per plan and statement outcomes)."""
        caller = self.caller(request.principal)
        ctx = self._context(caller, t, action_l, request.context)
        assumptions: list[str] = []
        if caller.note:
            assumptions.append(caller.note)
        if t.note:
            assumptions.append(t.note)
        if caller.kind == "unknown":
            return Decision(DENY, (Reason(caller.note or "unknown principal", None, "ImplicitDeny", "identity"),),
                            (), tuple(assumptions))

        denies: list[_Layer] = []
        required: list[_Layer] = []

        # 2. SCPs of the principal's account.
        scp = self._org_layer(caller.account, "SERVICE_CONTROL_POLICY", action_l, t, ctx, caller)
        if scp is not None:
            deny, allow = scp
            denies.append(deny)
            required.append(allow)
        # 3. RCPs of the resource's account (only for the services RCPs govern).
        rcp = None
        if t.other is None or iam_targets.rcp_applies(action_l):
            rcp = self._org_layer(t.owner, "RESOURCE_CONTROL_POLICY", action_l, t, ctx, caller)
        if rcp is not None:
            deny, allow = rcp
            denies.append(deny)
            required.append(allow)

        # 4. Resource side and identity side.
        grants_by_kind, resource_denies, restricted, ap_grants = self._resource_side(caller, t, action_l, ctx)
        denies.extend(resource_denies)
        identity, identity_deny, boundary, boundary_deny = self._identity_side(caller, t, action_l, ctx)
        denies.extend(x for x in (identity_deny, boundary_deny) if x is not None)

        same_account = caller.account is not None and caller.account == t.owner
        explicit = t.other is not None and iam_targets.uses_trust_policy(t.other, action_l)
        combined, grants = self._combine(caller, same_account, t, identity, boundary, grants_by_kind, explicit)
        required.append(combined)
        if ap_grants is not None:
            # The access point side, by the same rules, with the access point's owner as the resource owner.
            ap_same = caller.account is not None and caller.account == t.access_point.account
            ap_side, ap_used = self._combine(caller, ap_same, t, identity, boundary, ap_grants, explicit)
            required.append(ap_side)
            grants = set(grants) | set(ap_used)

        deny_tri = _FALSE
        for d in denies:
            deny_tri = deny_tri | d.tri
        allow_tri = _TRUE
        for r in required:
            allow_tri = allow_tri & r.tri
        final = (~deny_tri) & allow_tri

        reasons: list[Reason] = []
        residuals: list[Residual] = []
        for layer in (*denies, *required):
            if layer.assumptions:
                assumptions.extend(a for a in layer.assumptions if a not in assumptions)
        if final is _FALSE:
            if deny_tri is _TRUE:
                for d in denies:
                    if d.tri is _TRUE:
                        reasons.extend(d.reasons)
            else:
                for r in required:
                    if r.tri is _FALSE:
                        reasons.extend(r.reasons)
        else:
            for r in required:
                reasons.extend(r.reasons)
                if r.tri is _UNKNOWN:
                    residuals.extend(r.residuals)
            for d in denies:
                if d.tri is _UNKNOWN:
                    reasons.extend(d.reasons)
                    residuals.extend(d.residuals)
        reasons.extend(restricted)
        return Decision(_TRI_DECISION[final], tuple(_dedupe(reasons)), tuple(_dedupe(residuals)),
                        tuple(assumptions), frozenset(grants) if final is not _FALSE else frozenset())

    # -- statement evaluation --
    def _evaluate(self, policy: Policy, effect: str, action: str, resource: str, ctx: Context, layer: str,
                  caller: Caller | None = None) -> _Layer:
        """OR over the policy's statements of one effect that match action, resource, principal, conditions."""
        matched = self._matched(policy, effect, action, caller)
        if not matched:
            return _Layer(_FALSE)  # what _either(_assemble(...)) makes of no statement
        return _either(_assemble(policy, effect, layer, self._outcomes_of(matched, resource, ctx), self._reasons))

    def _evaluate_by_kind(self, policy: Policy, effect: str, action: str, resource: str, ctx: Context,
                          layer: str, caller: Caller | None = None) -> dict[str, _Layer]:
        """Like _evaluate, split by how each statement's Principal covers the caller (for resource
        policies: 'everyone', 'account', 'principal', 'session'; '' where there is no Principal)."""
        matched = self._matched(policy, effect, action, caller)
        if not matched:
            return {"": _Layer(_FALSE)}  # what _assemble makes of no statement
        return _assemble(policy, effect, layer, self._outcomes_of(matched, resource, ctx), self._reasons)

    def _matched(self, policy: Policy, effect: str, action: str, caller: Caller | None) -> tuple:
        """(statement, principal kind, who, note) for the statements of one effect that match the action and
        whose Principal may cover the caller (computed once per policy, action, effect and caller)."""
        if self._consulting is not None:
            self._consulting.add(id(policy))
        key = (id(policy), action, effect, caller.text if caller is not None else None)
        hit = self._matches.get(key)
        if hit is None:
            out = []
            for s in self._statements(policy, action, effect):
                if caller is not None and s.principals is not None:
                    m = _principal_match(s, caller, self._canonical)
                    if m is not None:
                        out.append((s, *m))
                else:
                    out.append((s, "", _TRUE, None))
            hit = self._matches[key] = tuple(out)
        return hit

    def _outcomes_of(self, matched: tuple, resource: str, ctx: Context) -> list:
        """(statement, principal kind, note, outcome) for the statements of _matched; outcome as
        _statement_outcome. Recorded for _Plan."""
        out = []
        recording = self._recording
        conditions = self._conditions
        for s, kind, who, note in matched:
            outcome = _statement_outcome(s, resource, who, ctx, conditions)
            if recording is not None:
                recording.append((s, resource, who, outcome))
            out.append((s, kind, note, outcome))
        return out

    def _org_layer(self, account: str | None, ptype: str, action: str, t: _Target, ctx: Context,
                   caller: Caller):
        """(deny layer, allow layer) for SCPs or RCPs on the account's path, or None where they do not apply."""
        applies = self._org_applies.get((account, ptype, caller.text), _MISSING)
        if applies is _MISSING:
            applies = self._org_applies[(account, ptype, caller.text)] = self._org_levels_for(account, ptype, caller)
        if applies is None:
            return None
        is_scp = ptype == "SERVICE_CONTROL_POLICY"
        resource = t.bucket_resource if is_scp or t.access_point is None else t.resource
        # RCPFullAWSAccess is attached to every level and cannot be detached, and Allow is supported in no
        # other RCP: an RCP can only deny (reference_policies_evaluation-logic_policy-eval-denyallow.html,
        # "AWS Organizations RCPs"; orgs_manage_policies_rcps_syntax.html).
        shape_key = (account, ptype, action, None if is_scp else caller.text)
        shape = self._org_shapes.get(shape_key)
        if shape is None:
            shape = self._org_shapes[shape_key] = self._org_shape(applies, ptype, action, caller)
        layout, items, key, policy_ids = shape
        if self._consulting is not None:
            self._consulting |= policy_ids
        conditions = self._conditions
        outcomes = [_statement_outcome(s, resource, who, ctx, conditions) for s, _, who, _ in items]
        if self._recording is not None:
            self._recording.extend([(s, resource, who, o) for (s, _, who, _), o in zip(items, outcomes)])
        # The layers are a function of these outcomes: accounts share them across principals and requests.
        memo_key = (key, tuple([None if o is None else _outcome_key(o) for o in outcomes]))
        hit = self._org_memo.get(memo_key)
        if hit is None:
            hit = self._org_memo[memo_key] = self._assemble_org(layout, items, outcomes, is_scp)
        return hit

    def _org_levels_for(self, account: str | None, ptype: str, caller: Caller):
        """The levels of _org_levels when SCPs (RCPs) govern this caller's requests in (on) this account, else
        None."""
        org = self.org
        if org is None or account is None or account == org.management_account:
            return None
        if account not in org.member_accounts:
            return None
        is_scp = ptype == "SERVICE_CONTROL_POLICY"
        if caller.entity is not None and getattr(caller.entity, "is_service_linked", False):
            return None
        # RCPs apply to every caller on a member account's resources, AWS service principals included
        # (only service-linked roles are exempt: orgs_manage_policies_rcps.html, "Resources and entities
        # not restricted by RCPs"); SCPs only to the member account's own IAM principals.
        if is_scp and not caller.has_identity:
            return None
        return self._org_levels(account, ptype)

    def _org_shape(self, levels: tuple, ptype: str, action: str, caller: Caller):
        """(layout, items, key) of the organization policies a request of this action consults: per level
        the attached policies with how many Deny and Allow statements of each apply, the flat statements
        (s, kind, who, note) in evaluation order, and a key that callers matching alike share."""
        is_scp = ptype == "SERVICE_CONTROL_POLICY"
        layout, items = [], []
        for level, attached in levels:
            row = []
            for pol in attached:
                # RCPFullAWSAccess is attached to every level and cannot be detached, and Allow is supported
                # in no other RCP: an RCP can only deny (reference_policies_evaluation-logic_policy-eval-
                # denyallow.html, "AWS Organizations RCPs"; orgs_manage_policies_rcps_syntax.html).
                deny = self._matched(pol, "Deny", action, None if is_scp else caller)
                allow = self._matched(pol, "Allow", action, None) if is_scp else ()
                items.extend(deny)
                items.extend(allow)
                row.append((pol, len(deny), len(allow)))
            layout.append((level, tuple(row)))
        # Callers whose Principal matches come out alike share one shape, named by a small number.
        key = (ptype, action, tuple(id(lv) for lv in levels), tuple((id(s), kind, who, note) for s, kind, who, note in items))
        number = self._shape_numbers.setdefault(key, len(self._shape_numbers))
        return tuple(layout), tuple(items), number, frozenset(id(pol) for _, row in layout for pol, _, _ in row)

    def _assemble_org(self, layout: tuple, items: tuple, outcomes: list, is_scp: bool):
        org = self.org
        kind = "SCP" if is_scp else "RCP"
        deny = _Layer(_FALSE)
        allow = _Layer(_TRUE)
        i = 0

        def take(n: int) -> list:
            nonlocal i
            part = [(s, k, note, o) for (s, k, _, note), o in zip(items[i:i + n], outcomes[i:i + n])]
            i += n
            return part

        for level, row in layout:
            if not is_scp:
                for pol, n_deny, _ in row:
                    _merge_or(deny, _either(_assemble(pol, "Deny", "rcp", take(n_deny), self._reasons)))
                continue
            if not row:
                allow.assumptions.append(f"no {kind} recorded at {org.names.get(level, level)} ({level}); "
                                         f"assumed the default full-access {kind}")
                continue
            level_allow = _Layer(_FALSE)
            for pol, n_deny, n_allow in row:
                _merge_or(deny, _either(_assemble(pol, "Deny", "scp", take(n_deny), self._reasons)))
                _merge_or(level_allow, _either(_assemble(pol, "Allow", "scp", take(n_allow), self._reasons)))
            if level_allow.tri is _FALSE:
                level_allow.reasons = [Reason(f"{kind}s at {org.names.get(level, level)} ({level})", None,
                                              "ImplicitDeny", kind.lower(),
                                              note=f"no {kind} attached at this level allows the action")]
            _merge_and(allow, level_allow)
        return deny, allow

    def _org_levels(self, account: str, ptype: str):
        """((level id, compiled policies of ptype attached there), ...) from the root down to the account,
        or None when the organization records no policy of that type (computed once per account)."""
        key = (account, ptype)
        if key not in self._levels:
            if not any(p.type == ptype for p in self.org.policies):
                self._levels[key] = None
            else:
                self._levels[key] = tuple(
                    (level, tuple(self.compile(p.document) for p in self._org_policies.get(level, [])
                                  if p.type == ptype))
                    for level in self.org.path_of(account))
        return self._levels[key]

    def _resource_side(self, caller: Caller, t: _Target, action: str, ctx: Context):
        """Grants of the resource side by kind ('principal' | 'account' | 'everyone' | 'session') as layers."""
        grants: dict[str, _Layer] = {}
        denies: list[_Layer] = []
        blocked_reasons: list[Reason] = []
        owner = t.owner
        b = t.bucket

        # Through an access point, the access point's own grants and the bucket's are separate sides: both
        # must permit the request (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html).
        ap_grants: dict[str, _Layer] | None = {} if t.access_point is not None else None
        into = grants

        def add(kind: str, layer: _Layer):
            if layer.tri is _FALSE:
                return
            cur = into.get(kind)
            if cur is None:
                into[kind] = layer
            else:
                _merge_or(cur, layer)

        if t.other is not None:
            self._trust_side(caller, t, action, ctx, add, denies)
            return grants, denies, blocked_reasons, None

        # Block Public Access in force for this bucket (and access point), merged once per target scope.
        block = self._blocks.get(t.scope)
        if block is None:
            account = self.index.accounts.get(owner) if owner else None
            levels = [account.public_access_block if account else UNKNOWN]
            if b is not None:
                levels.append(b.public_access_block)
            if t.access_point is not None:
                levels.append(t.access_point.public_access_block)
            block = self._blocks[t.scope] = s3sem.effective_block(*levels)

        def policy_grants(doc, layer_name: str, resource: str, restrict: Tri):
            if doc is None:
                return
            if doc is UNKNOWN:
                note = f"the {layer_name.replace('-', ' ')} policy could not be read ({_err(b, t)}); it may allow or deny"
                u = _Layer(_UNKNOWN, [Reason(f"{layer_name} policy of {t.bucket_name}", None, "Unknown", layer_name,
                                               note=note)], [], [note])
                add("principal", u)
                denies.append(_Layer(_UNKNOWN, u.reasons, [], [note]))
                return
            pol = self.compile(doc)
            denies.append(self._evaluate(pol, "Deny", action, resource, ctx, layer_name, caller))
            by_kind = self._evaluate_by_kind(pol, "Allow", action, resource, ctx, layer_name, caller)
            by_kind.pop("", None)
            if not by_kind:
                return
            # RestrictPublicBuckets: a public policy serves only the owner's account and AWS services.
            if restrict is not _FALSE and not caller.is_service and caller.account != owner:
                verdict = self._public.get((id(pol), owner))
                if verdict is None:
                    verdict = self._public[(id(pol), owner)] = s3sem.policy_public(pol, owner or "")
                public = _TRUE if verdict.public else (_UNKNOWN if verdict.public is None else _FALSE)
                blocked = public & restrict
                if blocked is _TRUE:
                    blocked_reasons.append(Reason(
                        "Block Public Access", None, "Block", "block-public-access",
                        note=f"RestrictPublicBuckets is on and the {layer_name} policy is public, so it grants "
                             f"nothing to principals outside account {owner}"))
                    return
                if blocked is _UNKNOWN:
                    for layer in by_kind.values():
                        layer.tri = layer.tri & _UNKNOWN
                        layer.assumptions.append("whether Block Public Access (RestrictPublicBuckets) cuts this "
                                                 "grant is unknown")
            for kind, layer in by_kind.items():
                add(kind, layer)

        restrict = block.restrict_public_buckets
        if b is None and t.bucket_name is not None:
            unknown = _Layer(_UNKNOWN, [Reason(f"bucket {t.bucket_name}", None, "Unknown", "resource",
                                                  note=t.note)], [], [])
            add("principal", unknown)
            denies.append(_Layer(_UNKNOWN, unknown.reasons))
        if ap_grants is not None:
            into = ap_grants
            policy_grants(t.access_point.policy, "access-point", t.resource, restrict)
            into = grants
        if b is not None:
            policy_grants(b.policy, "bucket", t.bucket_resource, restrict)
            self._acl_grants(caller, b, action, block, add, blocked_reasons)
        return grants, denies, blocked_reasons, ap_grants

    def _trust_side(self, caller: Caller, t: _Target, action: str, ctx: Context, add, denies: list) -> None:
        """The resource side of a non-S3 target: a role's trust policy for STS actions, else nothing."""
        other = t.other
        if not iam_targets.uses_trust_policy(other, action):
            return
        if other.trust is UNKNOWN:
            note = other.note or f"the trust policy of {other.role_arn} is unknown"
            u = _Layer(_UNKNOWN, [Reason(f"trust policy of {other.role_arn}", None, "Unknown", "trust", note=note)],
                       [], [note])
            add("principal", u)
            denies.append(_Layer(_UNKNOWN, u.reasons, [], [note]))
            return
        if other.trust is None:
            return
        pol = self.compile(other.trust)
        denies.append(self._evaluate(pol, "Deny", action, t.resource, ctx, "trust", caller))
        for kind, layer in self._evaluate_by_kind(pol, "Allow", action, t.resource, ctx, "trust", caller).items():
            if kind:
                add(kind, layer)

    def _acl_grants(self, caller: Caller, b: Bucket, action: str, block: dict, add, blocked: list) -> None:
        if b.acl is None:
            return
        enabled = b.acls_enabled
        if enabled is not UNKNOWN and not enabled:
            return
        if b.acl is UNKNOWN:
            note = f"the bucket ACL of {b.name} could not be read; it may grant access"
            add("account", _Layer(_UNKNOWN, [Reason(f"ACL of {b.name}", None, "Unknown", "acl", note=note)],
                                  [], [note]))
            return
        for g in b.acl.grants:
            if action not in s3sem.acl_permission_actions(g.permission):
                continue
            kind = None
            if g.grantee_type == "Group":
                if g.grantee == s3sem.ALL_USERS:
                    kind = "everyone"
                elif g.grantee == s3sem.AUTHENTICATED_USERS and not caller.is_anonymous:
                    kind = "everyone"
                elif g.grantee == s3sem.LOG_DELIVERY and caller.service == "logging.s3.amazonaws.com":
                    kind = "principal"
                if kind == "everyone":
                    ignore = block.ignore_public_acls
                    if ignore is _TRUE:
                        blocked.append(Reason("Block Public Access", None, "Block", "block-public-access", g.pointer,
                                              note=f"the ACL of {b.name} grants {g.permission} to "
                                                   f"{g.grantee.rsplit('/', 1)[-1]}, but IgnorePublicAcls is on"))
                        continue
            elif g.grantee_type == "CanonicalUser":
                acct = self._canonical.get(g.grantee)
                if acct is not None and acct == caller.account and not caller.is_service:
                    kind = "account"
                elif acct is None and caller.known is False and caller.account and not caller.is_anonymous:
                    kind = None  # an unknown canonical id might be this external account: say so below
                    note = (f"ACL of {b.name} grants {g.permission} to canonical user {g.grantee[:12]}…, whose "
                            "account is not in the snapshot")
                    add("account", _Layer(_UNKNOWN, [Reason(f"ACL of {b.name}", _grant_label(g), "Grant", "acl", g.pointer,
                                                               note=note)], [], [note]))
            elif g.grantee_type == "AmazonCustomerByEmail" and not caller.is_anonymous:
                note = f"ACL of {b.name} grants {g.permission} to an e-mail grantee whose account is unknown"
                add("account", _Layer(_UNKNOWN, [Reason(f"ACL of {b.name}", _grant_label(g), "Grant", "acl", g.pointer, note=note)],
                                      [], [note]))
            if kind is None:
                continue
            tri = _TRUE
            notes = []
            if enabled is UNKNOWN:
                tri = _UNKNOWN
                notes.append(f"Object Ownership of {b.name} is unknown; the ACL may be in force")
            if kind == "everyone" and block.ignore_public_acls is _UNKNOWN:
                tri = tri & _UNKNOWN
                notes.append("whether IgnorePublicAcls neutralises this public ACL grant is unknown")
            grantee = g.grantee.rsplit("/", 1)[-1] if g.grantee_type == "Group" else g.grantee[:12] + "…"
            add(kind, _Layer(tri, [Reason(f"ACL of {b.name}", _grant_label(g), "Grant", "acl", g.pointer,
                                          note=f"{g.permission} to {grantee}")], [], notes))

    def _identity_side(self, caller: Caller, t: _Target, action: str, ctx: Context):
        """(identity allow, identity deny, boundary allow, boundary deny) layers for the caller."""
        resource = t.resource
        if not caller.has_identity:
            return None, None, None, None
        if caller.kind == "root":
            if not caller.known:
                return _Layer(_TRUE, [], [], []), None, None, None
            return _Layer(_TRUE, [Reason(f"root user of {caller.account}", None, "Allow", "identity",
                                            note="the account root user has every permission in its own account")]), \
                None, None, None
        if caller.entity is None:
            note = caller.note or "the principal's identity policies are unknown"
            return _Layer(_TRUE, [Reason(caller.label, None, "Allow", "identity",
                                            note="assumed: " + note)], [], [f"assumed allowed by identity "
                                                                             f"policies: {note}"]), None, None, None
        policies, missing, boundary = self._identity(caller)
        allow = _Layer(_FALSE)
        deny = _Layer(_FALSE)
        for p in policies:
            _merge_or(deny, self._evaluate(p, "Deny", action, resource, ctx, "identity"))
            _merge_or(allow, self._evaluate(p, "Allow", action, resource, ctx, "identity"))
        for source, note in missing:
            if note is None:  # the boundary: its own layer below
                continue
            _merge_or(allow, _Layer(_UNKNOWN, [Reason(source, None, "Unknown", "identity", note=note)], [], [note]))
            _merge_or(deny, _Layer(_UNKNOWN, [Reason(source, None, "Unknown", "identity", note=note)], [], [note]))
        if allow.tri is _FALSE:
            allow.reasons = [Reason(f"identity policies of {caller.arn}", None, "ImplicitDeny", "identity",
                                    note="no identity policy allows the action on this resource")]
        b_allow = b_deny = None
        if boundary is UNKNOWN:
            note = f"permissions boundary {caller.entity.boundary} of {caller.arn} is not in the snapshot"
            b_allow = _Layer(_UNKNOWN, [Reason(caller.entity.boundary, None, "Unknown", "boundary", note=note)], [],
                             [note])
        elif boundary is not None:
            b_deny = self._evaluate(boundary, "Deny", action, resource, ctx, "boundary")
            b_allow = self._evaluate(boundary, "Allow", action, resource, ctx, "boundary")
            if b_allow.tri is _FALSE:
                b_allow.reasons = [Reason(_src(boundary), None, "ImplicitDeny", "boundary",
                                          note="the permissions boundary does not allow the action")]
        return allow, deny, b_allow, b_deny

    def _combine(self, caller: Caller, same_account: bool, t: _Target, identity, boundary, grants,
                 explicit: bool = False):
        """Identity and resource sides together, by AWS's same-account and cross-account rules.

        ``explicit``: the resource policy must allow the caller even within its account (a role's trust
        policy); naming the account then delegates to the identity policies."""
        used: set[str] = set()
        none = _Layer(_FALSE)
        # A grant naming the principal itself (or everyone) needs no identity policy within the account;
        # naming the account (or its canonical id) delegates to the account's own IAM policies.
        specific = _Layer(_FALSE)
        for k in ("principal", "session", "everyone"):
            if k in grants:
                _merge_or(specific, grants[k])
        delegated = grants.get("account", none)
        resource_any = _Layer(_FALSE)
        _merge_or(resource_any, specific)
        _merge_or(resource_any, delegated)

        if not caller.has_identity:
            out = resource_any
            if out.tri is _FALSE:
                out.reasons = [Reason(f"resource policies of {t.label}", None, "ImplicitDeny", "resource",
                                      note="nothing on the resource side grants this caller the action")]
            else:
                used.add("resource")
            return out, used

        id_side = _Layer(_FALSE) if identity is None else identity
        if boundary is not None:
            gated = _Layer(id_side.tri, id_side.reasons, id_side.residuals, id_side.assumptions)
            _merge_and(gated, boundary)
        else:
            gated = id_side
        if same_account:
            # Boundaries do not limit a same-account resource policy that names the user, the session or
            # everyone ("Principal": "*"); they do limit one that names the role ARN, because the caller
            # is a session of the role (reference_policies_evaluation-logic.html, "IAM role";
            # reference_policies_elements_principal.html, "IAM role principals").
            out = _Layer(_FALSE)
            if explicit:
                # The identity side counts only where the trust policy names the account.
                via_account = _Layer(gated.tri, gated.reasons, gated.residuals, gated.assumptions)
                _merge_and(via_account, delegated if delegated is not none else _Layer(_FALSE))
                _merge_or(out, via_account)
                if via_account.tri is not _FALSE:
                    used |= {"identity", "resource"}
            else:
                _merge_or(out, gated)
                if gated.tri is not _FALSE:
                    used.add("identity")
            direct = _Layer(_FALSE)
            cut: list[Reason] = []
            for k in ("principal", "everyone", "session"):
                if k not in grants:
                    continue
                g = grants[k]
                if boundary is not None and caller.kind == "role" and k == "principal":
                    g2 = _Layer(g.tri, g.reasons, g.residuals, g.assumptions)
                    _merge_and(g2, boundary)
                    if g2.tri is _FALSE:
                        cut.extend(g2.reasons)
                    g = g2
                _merge_or(direct, g)
            if direct.tri is not _FALSE:
                used.add("resource")
            _merge_or(out, direct)
            if out.tri is _FALSE:
                out.reasons = list(gated.reasons)
                if cut:
                    out.reasons.extend(cut)
                elif t.other is None or explicit:  # a resource that has a resource policy
                    out.reasons.append(Reason(f"resource policies of {t.label}", None, "ImplicitDeny", "resource",
                                              note="no resource policy grants this principal"))
            return out, used
        # Cross-account: both sides must allow.
        out = _Layer(gated.tri, gated.reasons, gated.residuals, gated.assumptions)
        if resource_any.tri is _FALSE:
            resource_any.reasons = [Reason(f"resource policies of {t.label}", None, "ImplicitDeny", "resource",
                                           note=f"cross-account access needs the resource side to grant account "
                                                f"{caller.account} or the principal, and nothing does")]
        _merge_and(out, resource_any)
        if out.tri is not _FALSE:
            used |= {"identity", "resource"}
        return out, used


def _assemble(policy: Policy, effect: str, layer: str, outcomes: list, reasons: dict) -> dict[str, _Layer]:
    """Layers by principal kind from the outcomes of a policy's statements of one effect (_outcomes_of).
    ``reasons`` holds the Reason of each (statement, effect, layer) once made: decisions share them."""
    found: dict[str, tuple[list, list, list, list]] = {}
    for s, kind, note, outcome in outcomes:
        if outcome is None:
            continue
        m, residual = outcome
        definite, maybe, residuals, notes = found.setdefault(kind, ([], [], [], []))
        reason = reasons.get((id(s), effect, layer))
        if reason is None:
            reason = reasons[(id(s), effect, layer)] = Reason(_src(policy), s.label, effect, layer,
                                                              policy.doc.pointer_to(s.pointer))
        if m is _TRUE:
            definite.append(reason)
        else:
            maybe.append(reason)
            clauses = tuple(c.to_json() for c in residual)
            if note is not None:
                clauses += ({"note": note},)
                notes.append(note)
            residuals.append(Residual(effect, _src(policy), s.label, clauses or (
                {"note": "the resource matches only for some values of a policy variable"},)))
    out: dict[str, _Layer] = {}
    for kind, (definite, maybe, residuals, notes) in found.items():
        # The definite statements decide; the maybes add nothing then.
        out[kind] = _Layer(_TRUE, definite) if definite else _Layer(_UNKNOWN, maybe, residuals, notes)
    return out or {"": _Layer(_FALSE)}


def _either(by_kind: dict[str, _Layer]) -> _Layer:
    """One layer: the OR of the layers of every principal kind."""
    if len(by_kind) == 1:
        return next(iter(by_kind.values()))
    out = _Layer(_FALSE)
    for part in by_kind.values():
        _merge_or(out, part)
    return out


def _outcomes_key(outcomes) -> tuple:
    return tuple((id(s), kind, note, _outcome_key(o)) for s, kind, note, o in outcomes)


def _statement_outcome(s: Statement, resource: str, who: Tri, ctx: Context | None, conditions: dict):
    """How one statement meets a request: None when it does not apply, else (Tri, residual clauses).

    ``conditions`` memoises Condition blocks by the values of the keys they read (their whole input)."""
    m = s.resource_matches(resource, ctx)
    if m is _FALSE:
        return None
    block = s.conditions
    if block.clauses:
        key = (id(block), tuple([ctx.lookup(k) for k in block.keys]))
        hit = conditions.get(key)
        if hit is None:
            hit = conditions[key] = block.evaluate(ctx)
        c, residual = hit
        m = m & c & who
    else:
        residual = ()
        m = m & who
    return None if m is _FALSE else (m, residual)


def _keys_read(s: Statement) -> frozenset[str]:
    """Folded context keys a statement reads: its condition keys and its resources' policy variables."""
    keys = s.conditions.keys
    for p in s.resources or ():
        if p.has_variables:
            keys = keys | {fold(part[1]) for part in p.parts if part[0] == "var"}
    return keys


def _outcome_key(outcome):
    """A statement outcome as a memo key part: None, 2 (applies), 1 (may apply), or (1, residual clauses by
    identity: they are compiled once). Plain numbers, because hashing a Tri calls Enum.__hash__."""
    if outcome is None:
        return None
    m, residual = outcome
    if not residual:
        return 2 if m is _TRUE else 1
    return 1, tuple(map(id, residual))


def _signature(entries: tuple, t: _Target, ctx: Context | None, conditions: dict) -> tuple:
    """The outcomes of a plan's statements on this request."""
    return tuple(_outcome_key(_statement_outcome(s, t.bucket_resource if on_bucket else t.resource, who, ctx,
                                                 conditions))
                 for s, on_bucket, who in entries)


def _err(b: Bucket | None, t: _Target) -> str:
    errors = dict(b.errors) if b is not None else {}
    if t.access_point is not None:
        errors.update(t.access_point.errors)
    return ", ".join(f"{k}: {v}" for k, v in errors.items()) or "not recorded"


def _principal_match(s: Statement, caller: Caller, canonical: Mapping[str, str]):
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


def _merge_or(into: _Layer, other: _Layer) -> None:
    if other is None or (other.tri is _FALSE and not other.assumptions):
        return
    if other.tri is _FALSE:
        into.assumptions.extend(a for a in other.assumptions if a not in into.assumptions)
        return
    if other.tri is _TRUE and into.tri is not _TRUE:
        into.reasons = list(other.reasons)
        into.residuals = []
    elif other.tri is _TRUE:
        into.reasons.extend(other.reasons)
    elif into.tri is not _TRUE:
        into.reasons.extend(other.reasons)
        into.residuals.extend(other.residuals)
    into.tri = into.tri | other.tri
    if other.assumptions:
        into.assumptions.extend(a for a in other.assumptions if a not in into.assumptions)


def _merge_and(into: _Layer, other: _Layer) -> None:
    if other is None:
        return
    if other.tri is _FALSE and into.tri is not _FALSE:
        into.reasons = list(other.reasons)
        into.residuals = []
    elif into.tri is _FALSE:
        pass
    else:
        into.reasons.extend(other.reasons)
        into.residuals.extend(other.residuals)
    into.tri = into.tri & other.tri
    if other.assumptions:
        into.assumptions.extend(a for a in other.assumptions if a not in into.assumptions)


def _dedupe(items):
    """Items in order without repeats: equal reasons (hashable), or residuals equal in what they print."""
    if len(items) < 2:
        return items
    seen = set()
    out = []
    for x in items:
        key = x if isinstance(x, Reason) else (x.effect, x.source, x.statement, repr(x.conditions))
        if key not in seen:
            seen.add(key)
            out.append(x)
    return out


def _grant_label(g) -> str:
    return f"grant #{g.pointer.rsplit('/', 1)[-1]}"
