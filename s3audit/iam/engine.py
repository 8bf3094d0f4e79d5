"""The authorization engine: ``evaluation.py``'s decision procedure, made fast.

``Engine(snapshot).decide(Request(principal, action, resource, context))`` returns the ``Decision`` that
``Evaluation.decide_in_full`` gives, memoised without approximating:

- **Plans.** Requests of one principal, target scope (the resource but the object key) and action class
  consult the same statements: a first full decision records them (``_Plan``), and the next request is
  decided from those statements' outcomes alone, memoised by resource profile and context profile (numbers
  for what the statements make of the resource and of the request's context). A full decision that
  consults anything its plan does not account for falls back to plans per action.
- **Action classes.** Actions whose decisions for a caller and target depend on the same statements, ACL
  permissions and absent condition keys share one plan.
- **Caches.** Compiled policies, statements by action, principal matches, identity policies, organization
  levels and layers, Block Public Access, request facts: each computed once. ``clear_request_cache``
  forgets the per-request ones, and all the memos once they grow past ``memo_limit``, so that a caller
  deciding millions of requests (the access graph) keeps memory bounded.
"""
from __future__ import annotations

import itertools
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from ..errors import InputError
from ..snapshot.model import UNKNOWN, PolicyDocument, Snapshot
from . import iam_targets
from . import s3 as s3sem
from .context import Context, Interval, context_key, fold
from .decision import ALLOW, CONDITIONAL, DENY, Decision, Reason, Request, Residual
from .evaluation import Evaluation, _Layer, condition_outcome, statement_outcome
from .logic import Tri
from .policy import Policy, Statement, compile_policy
from .principal_match import principal_match
from .principals import Caller, parse_caller
from .request_facts import facts_of_caller, facts_of_target, keys_absent_for, time_ranges
from .locks import Locks
from .resource_index import INDEXED_FROM, ResourceIndex
from .targets import Target, resolve_target

# The answer's shape is importable from here too (``from s3audit.iam.engine import Engine, Request``).
__all__ = ["Engine", "Request", "Decision", "Reason", "Residual", "ALLOW", "DENY", "CONDITIONAL"]

_ACL_PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")
_TRUE, _FALSE, _UNKNOWN = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN  # module constants: enum attribute access is slow
_TRI_NUMBER = {_TRUE: 2, _UNKNOWN: 1, _FALSE: 0}
_MISSING = object()


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
        # one, its resource profiles are kept by the targets (Target.profiles).
        self.by_resource: dict[str, tuple] = {}
        # request context number -> (profile number, Condition outcomes)
        self.by_context: dict[int, tuple] = {} if self.blocks is None else tables.setdefault(self.blocks, {})
        self.memo: dict[tuple, "Decision"] = {}  # signature -> decision
        self.fast: dict = {}  # resource profile number, or (it, context profile number) -> decision
        self.numbers = numbers  # profile -> number, engine-wide (resource and context profiles apart)
        self.retired = False  # replaced or forgotten: routes that hold it look their plan up again

    def resource_profile(self, t: "Target", facts: Context, conditions: dict) -> tuple:
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
            outcomes.append(condition_outcome(block, ctx, conditions) if block.clauses else None)
        outcomes = tuple(outcomes)
        # The residual clauses are compiled once per memoised block outcome and held here: their identity
        # stands for them.
        number = self.numbers.setdefault(("context", tuple(None if o is None else (_TRI_NUMBER[o[0]], id(o[1]))
                                                           for o in outcomes)), len(self.numbers))
        return number, outcomes

    def combine(self, matches: tuple, outcomes: tuple) -> tuple:
        """The dynamic half of the signature from the two profiles (as statement_outcome computes it)."""
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


class Engine(Evaluation):
    """Decides requests against one snapshot. Policies are compiled once, on first use, and cached."""

    memo_limit = 200_000  # clear_request_cache forgets memos grown past this many entries

    def __init__(self, snapshot: Snapshot):
        super().__init__(snapshot)
        self.locks = Locks(self)  # the KMS key and VPC endpoint a request must also pass (locks.py)
        self._volatile = False  # set by a decision that depends on more than its statements (a KMS grant)
        self._policies: dict[int, Policy] = {}
        self._callers: dict[str, Caller] = {}
        self._targets: dict[str, Target] = {}
        self._identity_cache: dict[str, tuple[list[Policy], list[str], Any]] = {}
        self._base_ctx: dict[tuple, Context] = {}
        self._caller_facts: dict[str, Context] = {}
        self._levels: dict[tuple[str, str], tuple | None] = {}
        self._blocks: dict[tuple, dict] = {}
        self._target_facts: dict[tuple, Context] = {}
        self._action_absent: dict[str, frozenset[str]] = {}
        self._by_action: dict[tuple, tuple[Statement, ...]] = {}
        self._matches: dict[tuple, tuple] = {}
        self._match_indexes: dict[int, tuple] = {}  # id of a _matches tuple -> (the tuple, its ResourceIndex)
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
        # (principal, target scope) -> the keys of _routes, _plans and _classes made for it, so that _forget
        # finds them without scanning the stores (a scan per forget made the build grow with estate²)
        self._route_keys: dict[tuple[str, str], list[tuple]] = {}
        self._plan_keys: dict[tuple[str, str], list[tuple]] = {}
        self._class_keys: dict[tuple[str, str], list[tuple]] = {}
        self._aliases: dict[int, list[str]] = {}  # id of a Caller -> the principal strings parsed to it
        self._action_parts: dict[tuple, tuple] = {}
        self._class_numbers: dict[tuple, int] = {}
        self._consulted_cache: dict[tuple, tuple] = {}
        self._times: dict[str, Mapping[str, Interval]] = {}
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
            for r in (*a.buckets, *a.access_points, *a.kms_keys, *a.vpc_endpoints):  # resource policies
                if isinstance(r.policy, PolicyDocument):
                    self.compile(r.policy)
        if self.org is not None:
            for p in self.org.policies:
                self.compile(p.document)

    def policies(self) -> Iterable[Policy]:
        """Every compiled policy of the snapshot (compiling what is not yet)."""
        self.compile_all()
        return list(self._policies.values())

    def _statements(self, policy: Policy, action: str, effect: str | None = None) -> tuple[Statement, ...]:
        key = (id(policy), action, effect)
        hit = self._by_action.get(key)
        if hit is None:
            hit = self._by_action[key] = super()._statements(policy, action, effect)
        return hit


    # ---- resolving the request ----
    def caller(self, principal: str) -> Caller:
        c = self._callers.get(principal)
        if c is None:
            c = parse_caller(principal, self.snapshot, self.index)
            self._callers[principal] = c
            self._aliases.setdefault(id(c), []).append(principal)
        return c

    def target(self, resource: str) -> Target:
        t = self._targets.get(resource)
        if t is None:
            t = resolve_target(resource, self._buckets, self._access_points, self.index, self.keys)
            t.kms = self.locks.key_of(t)
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
                     self._consulted_numbers, self._context_tables, self._targets, self._known_statements,
                     self._route_keys, self._plan_keys, self._class_keys):
            memo.clear()
        self.locks.forget()

    def principal_match(self, statement: Statement, principal: str) -> str | None:
        """How a resource-policy statement's Principal covers the principal ('everyone', 'account',
        'principal', 'session'), or None when it does not; exactly the test decide() applies (a statement
        that may cover the caller, depending on what the snapshot cannot tell, counts)."""
        hit = principal_match(statement, self.caller(principal), self._canonical)
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
        key = caller.arn or ""
        hit = self._identity_cache.get(key)
        if hit is None:
            hit = self._identity_cache[key] = super()._identity(caller)
        return hit

    def _facts(self, caller: Caller, t: Target, action: str) -> Context:
        """What the snapshot fixes of a request's context (computed once per caller, target and action)."""
        # What the snapshot fixes depends on the caller, the resource's account, the access point and the
        # action, not on the bucket or key: one context serves every bucket of an account.
        key = (caller.text, t.owner, t.resource.split("/object/")[0] if t.access_point else None, action)
        base = self._base_ctx.get(key)
        if base is None:
            base = self._base_ctx[key] = self._derive_context(caller, t, action)
        return base

    def _context(self, caller: Caller, t: Target, action: str, supplied: Mapping[str, Any]) -> Context:
        base = self._facts(caller, t, action)
        if not supplied:
            return base
        # Facts the snapshot fixes win over what a request claims; the rest comes from the request.
        frozen = context_key(supplied)
        said = self._supplied.get(frozen)
        if said is None:
            said = self._supplied[frozen] = _Said(Context.of(supplied), next(self._said_numbers))
        return base.under(said.context)

    def _derive_context(self, caller: Caller, t: Target, action: str) -> Context:
        """What the snapshot fixes about a request: facts of the caller, of the target and of the action."""
        who = self._caller_facts.get(caller.text)
        if who is None:
            who = self._caller_facts[caller.text] = facts_of_caller(caller, self.org, self.snapshot.account_ids, self.compile)
        where = self._target_facts.get(t.scope)
        if where is None:
            where = self._target_facts[t.scope] = facts_of_target(t, self.org)
        carried = self._absent_keys(action)
        values = {**who.values, **where.values}
        if action.startswith("kms:") and caller.account:
            values["kms:calleraccount"] = (caller.account,)  # every KMS request carries it (conditions-kms.html)
        absent = (who.absent | where.absent | carried).difference(values)
        return Context(MappingProxyType(values), absent, False, who.absent_prefixes, self._time_of(caller))

    def _time_of(self, caller: Caller) -> Mapping[str, Interval]:
        """When the caller's requests happen (request_facts.time_ranges), once per kind of caller."""
        kind = "anonymous" if caller.is_anonymous else "service" if caller.is_service else caller.kind
        hit = self._times.get(kind)
        if hit is None:
            hit = self._times[kind] = MappingProxyType(time_ranges(self.snapshot.taken_at, caller))
        return hit

    def keys_never_carried(self, action: str) -> frozenset[str]:
        """The condition keys (folded) that requests for ``action`` never carry: the engine takes them as
        absent whatever a request says (Service Authorization Reference)."""
        return self._absent_keys(action.lower())

    def _absent_keys(self, action: str) -> frozenset[str]:
        carried = self._action_absent.get(action)
        if carried is None:
            carried = self._action_absent[action] = keys_absent_for(action)
        return carried


    # ---- deciding: memoised decisions by plan ----
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
        decision is not memoised (the bulk path decides from a request line's parts): the decision of the
        request's policies, joined with the KMS key and VPC endpoint the request must also pass (locks.py)."""
        d = self._decide_policies(principal, action, resource, context, request)
        locks = self.locks
        if locks.endpoints or self._targets[resource].kms is not None:
            return locks.apply(d, principal, action, resource, context, self._targets[resource])
        return d

    def decide_unplanned(self, request: Request) -> Decision:
        """``decide``, in full and making no plan: for requests that are rarely repeated for their principal,
        target and action class (the principal stage asks each caller about each role once), where making the
        plan and the action class costs as much as the decision it would memoise."""
        action, resource = request.action, request.resource
        t = self._targets.get(resource)
        if t is None or ":" not in action:
            self.check(request)
            t = self._targets[resource]
        d = self.decide_in_full(request, t, action.strip().lower())
        if self.locks.endpoints or t.kms is not None:
            return self.locks.apply(d, request.principal, action, resource, request.context, t)
        return d

    def decide_policies(self, request: Request) -> Decision:
        """The decision of the request's policies alone: ``decide`` without the KMS key and VPC endpoint it must
        also pass (what a bucket shares, whether the share can work)."""
        return self._decide_policies(request.principal, request.action, request.resource, request.context, request)

    def _decide_policies(self, principal: str, action: str, resource: str, context: Mapping[str, Any],
                         request: Request | None = None) -> Decision:
        """The decision of the request's policies (evaluation.py), memoised by plan."""
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
        self._volatile = False
        try:
            decision = self.decide_in_full(request, t, action_l)
        finally:
            self._recording = self._consulting = None
        if self._volatile:
            # The decision depends on more than the outcomes of its statements (a KMS grant whose constraints
            # read the request's encryption context): decide these requests in full.
            self._plans[key] = None
            return decision
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
            self._plan_keys.setdefault((key[0], key[1]), []).append(key)
            plan = self._plans[key] = _Plan(entries, self._facts(caller, t, action_l), self._profile_numbers,
                                            self._plan_shapes, self._context_tables)
        elif plan is not None and plan.entries != entries:
            plan.retired = True
            plan = self._plans[key] = None  # this plan's statements vary: decide its requests in full
        if plan is not None:
            plan.memo[plan.key_of([o for _, _, _, o in recorded])] = decision
        return decision

    def _memoised(self, plan: "_Plan", caller: Caller, t: Target, action_l: str,
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

    def _route(self, principal: str, action: str, t: Target) -> "_Route":
        """The caller, folded action and plan key of a principal, action and target scope (computed once)."""
        caller = self.caller(principal)
        action_l = action.strip().lower()
        route = _Route(caller, action_l, (principal, t.scope, self._action_class(caller, t, action_l)))
        self._routes[(principal, action, t.scope)] = route
        self._route_keys.setdefault((principal, t.scope), []).append((principal, action, t.scope))
        return route

    def _forget(self, caller: Caller, t: Target) -> None:
        """Drop the routes, classes and plans of a caller and target scope (see the tripwire in decide): those
        made for any principal string that names this caller, found through the keys kept per pair."""
        names = dict.fromkeys([caller.text, *self._aliases.get(id(caller), ())])
        for store, keys in ((self._routes, self._route_keys), (self._plans, self._plan_keys)):
            for name in names:
                for k in keys.pop((name, t.scope), ()):
                    if k in store:
                        if store is self._plans and store[k] is not None:
                            store[k].retired = True
                        del store[k]
        for k in self._class_keys.pop((caller.text, t.scope), ()):
            self._classes.pop(k, None)

    def _action_class(self, caller: Caller, t: Target, action: str):
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
            if other is not None and iam_targets.uses_key_policy(other, action):
                # Grants name operations one by one, and what a key allows across accounts or in its state
                # differs by operation: requests on keys are planned per action.
                return ("action", action)
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
            self._class_keys.setdefault((caller.text, t.scope), []).append(key)
        return number

    def _consulted_number(self, caller: Caller, t: Target) -> int:
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

    def _class_covers(self, caller: Caller, t: Target, action: str, recorded: list, consulting: set) -> bool:
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

    def _consulted(self, caller: Caller, t: Target) -> tuple:
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
            kms_key = t.other.key if t.other is not None else None
            for doc in (t.access_point.policy if t.access_point is not None else None,
                        t.bucket.policy if t.bucket is not None else None,
                        t.other.trust if t.other is not None else None,
                        kms_key.policy if kms_key is not None and kms_key is not UNKNOWN else None):
                if isinstance(doc, PolicyDocument):
                    out.append((self.compile(doc), caller))
            if caller.entity is not None and caller.kind in ("user", "role"):
                identity, _, boundary = self._identity(caller)
                out.extend((p, None) for p in identity)
                if isinstance(boundary, Policy):
                    out.append((boundary, None))
            hit = self._consulted_cache[key] = tuple(out)
        return hit


    # ---- memoised lookups of the evaluation (evaluation.py) ----
    def _matched(self, policy: Policy, effect: str, action: str, caller: Caller | None) -> tuple:
        if self._consulting is not None:
            self._consulting.add(id(policy))
        key = (id(policy), action, effect, caller.text if caller is not None else None)
        hit = self._matches.get(key)
        if hit is None:
            hit = self._matches[key] = super()._matched(policy, effect, action, caller)
        return hit

    def _outcomes_of(self, matched: tuple, resource: str, ctx: Context) -> list:
        """(statement, principal kind, note, outcome) for the statements of _matched; outcome as
        statement_outcome. Only the statements whose Resource may match a resource of the request's scope (see
        resource_index): the others apply to no request of the plan. Recorded for _Plan."""
        out = []
        recording = self._recording
        conditions = self._conditions
        hits = self._scope_candidates(matched, resource)
        for s, kind, who, note in matched if hits is None else [matched[i] for i in sorted(hits)]:
            outcome = statement_outcome(s, resource, who, ctx, conditions)
            if recording is not None:
                recording.append((s, resource, who, outcome))
            out.append((s, kind, note, outcome))
        return out

    def _scope_candidates(self, matched: tuple, resource: str) -> set[int] | None:
        """Positions in ``matched`` of the statements whose Resource may match a resource of the scope of
        ``resource``, or None: evaluate them all (a short list)."""
        if len(matched) < INDEXED_FROM:
            return None
        hit = self._match_indexes.get(id(matched))
        if hit is None or hit[0] is not matched:
            hit = self._match_indexes[id(matched)] = (matched, ResourceIndex([m[0] for m in matched]))
        return hit[1].candidates(resource)

    def _org_layer(self, account: str | None, ptype: str, action: str, t: Target, ctx: Context,
                   caller: Caller):
        """``Evaluation._org_layer``, memoised: the statements a request consults are found once per account,
        policy type, action (and caller, for RCPs), and the layers once per outcome of those statements."""
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
        outcomes = [statement_outcome(s, resource, who, ctx, conditions) for s, _, who, _ in items]
        if self._recording is not None:
            self._recording.extend([(s, resource, who, o) for (s, _, who, _), o in zip(items, outcomes)])
        # The layers are a function of these outcomes: accounts share them across principals and requests.
        memo_key = (key, tuple([None if o is None else _outcome_key(o) for o in outcomes]))
        hit = self._org_memo.get(memo_key)
        if hit is None:
            hit = self._org_memo[memo_key] = self._assemble_org(layout, items, outcomes, is_scp)
        return hit

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

    def _org_levels(self, account: str, ptype: str):
        key = (account, ptype)
        if key not in self._levels:
            self._levels[key] = super()._org_levels(account, ptype)
        return self._levels[key]

    def _block_public_access(self, t: Target):
        block = self._blocks.get(t.scope)
        if block is None:
            block = self._blocks[t.scope] = super()._block_public_access(t)
        return block

    def _public_verdict(self, policy: Policy, owner: str | None):
        verdict = self._public.get((id(policy), owner))
        if verdict is None:
            verdict = self._public[(id(policy), owner)] = super()._public_verdict(policy, owner)
        return verdict


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


def _signature(entries: tuple, t: Target, ctx: Context | None, conditions: dict) -> tuple:
    """The outcomes of a plan's statements on this request."""
    return tuple(_outcome_key(statement_outcome(s, t.bucket_resource if on_bucket else t.resource, who, ctx,
                                                 conditions))
                 for s, on_bucket, who in entries)
