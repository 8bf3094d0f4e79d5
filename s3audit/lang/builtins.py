"""The built-in functions and principal selectors of the rule language, backed by the engine and the graph.

Every function here has the meaning ``types.FUNCTIONS`` documents. The engine-backed ones
(`decision`, `allowed`, `denied`, `public`) and the graph-backed ones (`reachers`, `paths`) record their
evidence on the runtime (``Runtime.evidence``), so a finding can show the statements or the hops that
decided it; none of them lets an unknown value pass for a known one.

Principal selectors. `anonymous`, `external`, `anyone`, account ids, ARNs and ARN patterns, principal and
account values, unions and differences are *sets* of principals that are never enumerated. Membership
(`x in external`) is decided exactly. The engine decides one principal at a time, so the engine-backed
functions ask it about *representatives* of the selector for the resource at hand:

- the anonymous caller (for `anonymous`, `anyone`);
- the root of the resource's own account, the most permissive principal of that account, and the root of
  one other account of the organization (for `anyone` and account ids);
- ``EXTERNAL_PROXY``, the root of an account that is in no snapshot and no organization: it stands for
  every external principal no policy names, and the engine assumes its own IAM allows everything;
- every principal the resource's bucket and access point policies and ACL name, in `Principal`,
  `NotPrincipal` or in principal condition keys (`aws:PrincipalArn`, `aws:PrincipalAccount` ...), a
  pattern being instantiated with a witness name;
- the snapshot's users and roles that an ARN pattern matches.

Each representative is kept only if the selector contains it. Where a bucket policy denies the request
for *every* principal whatever the request values the rule left open (the TLS-only statement), `denied`
answers from that statement alone. Resource ARNs with wildcards (`b.objects`) stand for every object:
they are decided for the ARN as written and for a witness object under each key prefix the bucket's and
access points' policies name.
"""
from __future__ import annotations

import re
from functools import partial
from collections.abc import Mapping  # not typing.Mapping: its isinstance is several times slower
from dataclasses import dataclass
from typing import Any, Callable

from ..iam.wildcard import glob
from ..snapshot.model import UNKNOWN, Bucket, PolicyDocument
from .cost import Budget
from .records import (AccessPointView, AccountView, BucketView, DecisionView, HopView, KeyView, PathView, PrincipalView,
                      World, decision_depends_on_unknown, reason_text, to_json, unknown_reasons_of)
from .values import Shown, Unknown, is_unknown, unknown

# The root of an account outside every snapshot and organization: stands for any external principal that
# no policy names (the access graph uses the same stand-in for "any authenticated AWS principal").
EXTERNAL_PROXY = "arn:aws:iam::000000000000:root"
WITNESS = "s3audit-witness"
_ACCOUNT = re.compile(r"^\d{12}$")
# Condition keys whose values name principals: a Deny that exempts them must be asked about them.
_PRINCIPAL_KEYS = {"aws:principalarn": "arn", "aws:principalaccount": "account", "aws:sourceaccount": "account",
                   "aws:userid": None, "aws:username": None}


# --------------------------------------------------------------------------------------------- selectors
@dataclass(frozen=True)
class Ref:
    """What membership needs to know about one principal."""

    arn: str
    account: str | None
    kind: str  # user | role | root | service | federated | anonymous | authenticated | group | unknown
    external: bool | None = None  # as the access graph labels the node, when it does


def ref_of_text(text: str, world: World) -> Ref:
    hit = _REFS.get(text)
    if hit is None:
        hit = _REFS[text] = _ref_of_text(text)
        if len(_REFS) > 200000:
            _REFS.clear()
    return hit


_REFS: dict[str, Ref] = {}


def _ref_of_text(text: str) -> Ref:
    t = text.strip()
    if t in ("*", "anonymous"):
        return Ref("anonymous", None, "anonymous")
    if _ACCOUNT.match(t):
        return Ref(f"arn:aws:iam::{t}:root", t, "root")
    if t.endswith(".amazonaws.com") or t.endswith(".amazonaws.com.cn"):
        return Ref(t, None, "service")
    parts = t.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        acct = parts[4] if _ACCOUNT.match(parts[4]) else None
        res = parts[5]
        kind = "root" if res == "root" else "user" if res.startswith("user/") else \
            "role" if res.startswith(("role/", "assumed-role/")) else "group" if res.startswith("group/") else \
            "federated" if res.startswith(("saml-provider/", "oidc-provider/", "federated-user/")) else "unknown"
        return Ref(t, acct, kind)
    return Ref(t, None, "unknown")


def ref_of_view(v: PrincipalView) -> Ref:
    return Ref(v.arn, v.account, v.kind, getattr(v, "graph_external", None))


class Selector(Shown):
    """A set of principals, described, never enumerated."""

    def __init__(self, op: str, arg: Any = None, description: str = ""):
        self.op = op  # anonymous | external | anyone | none | literal | principal | union | diff
        self.arg = arg
        self.description = description
        if op in ("union", "diff"):
            self.key = (op,) + tuple(s.key for s in arg)
        else:
            self.key = (op, arg)
        # contains(ref, world): whether the principal is in the set (made once for this selector's shape)
        self.contains: Callable[[Ref, World], bool] = _membership(op, arg)

    def __repr__(self) -> str:
        return f"Selector({self.describe()})"

    def display(self) -> str:
        return self.describe()

    def describe(self) -> str:
        if not self.description:  # kept: paths are cached by it, and selectors never change
            self.description = self._describe()
        return self.description

    def _describe(self) -> str:
        if self.op in ("anonymous", "external", "anyone"):
            return self.op
        if self.op == "none":
            return "nobody"
        if self.op == "literal":
            return self.arg
        if self.op == "principal":
            return self.arg
        if self.op == "union":
            return " or ".join(s.describe() for s in self.arg)
        a, b = self.arg
        return f"{a.describe()} except {b.describe()}"

    # -- representatives for the engine
    def candidates(self, rt: "Runtime", scope: "Scope") -> list[str]:
        key = (self.key, scope.bucket.name if scope.bucket is not None else None)
        hit = rt._candidates.get(key)
        if hit is None:
            hit = rt._candidates[key] = self._candidates(rt, scope)
        return hit

    def _candidates(self, rt: "Runtime", scope: "Scope") -> list[str]:
        raw = self._raw_candidates(rt, scope)
        out, seen = [], set()
        for c in raw:
            if c in seen:
                continue
            seen.add(c)
            if self.contains(ref_of_text(c, rt.world), rt.world):
                out.append(c)
        return out

    def _raw_candidates(self, rt: "Runtime", scope: "Scope") -> list[str]:
        op = self.op
        if op == "anonymous":
            return ["anonymous"]
        if op == "external":
            return [EXTERNAL_PROXY] + scope.named
        if op == "anyone":
            return scope.roots + scope.named + ["anonymous", EXTERNAL_PROXY]
        if op == "none":
            return []
        if op == "principal":
            return [self.arg]
        if op == "literal":
            t = self.arg
            if t == "*":
                return scope.roots + scope.named + ["anonymous", EXTERNAL_PROXY]
            if t == "anonymous":
                return ["anonymous"]
            if _ACCOUNT.match(t):
                return [f"arn:aws:iam::{t}:root"] + [n for n in scope.named if ref_of_text(n, rt.world).account == t]
            if "*" in t or "?" in t:
                pattern = glob(t)
                matching = [arn for arn in rt.world._entities if pattern.match(arn)]
                return matching + [n for n in scope.named if pattern.match(n)] + [witness(t)]
            return [t]
        if op == "union":
            return [c for s in self.arg for c in s._raw_candidates(rt, scope)]
        return self.arg[0]._raw_candidates(rt, scope)


def _membership(op: str, arg: Any) -> Callable[[Ref, World], bool]:
    """``Selector.contains`` for one selector, its dispatch on the operator and the literal's form done
    here once rather than at each membership test (every candidate principal of every bucket)."""
    if op == "anyone":
        return lambda ref, world: True
    if op == "none":
        return lambda ref, world: False
    if op == "anonymous":
        return lambda ref, world: ref.kind == "anonymous"
    if op == "external":
        def external(ref: Ref, world: World) -> bool:
            if ref.kind in ("anonymous", "service"):
                return False
            if ref.external is not None:
                return ref.external
            return ref.account is not None and not world.in_organization(ref.account)
        return external
    if op == "literal":
        t = arg
        if t == "*":
            return lambda ref, world: True
        if t == "anonymous":
            return lambda ref, world: ref.kind == "anonymous"
        if _ACCOUNT.match(t):
            return lambda ref, world: ref.account == t
        if "*" in t or "?" in t:
            pattern = glob(t)
            return lambda ref, world: pattern.match(ref.arn)
        return lambda ref, world: ref.arn == t or (ref.kind == "root" and t == ref.account)
    if op == "principal":
        return lambda ref, world: ref.arn == arg
    if op == "union":
        parts = tuple(s.contains for s in arg)

        def union(ref: Ref, world: World) -> bool:
            for part in parts:
                if part(ref, world):
                    return True
            return False
        return union
    inside, outside = arg[0].contains, arg[1].contains
    return lambda ref, world: inside(ref, world) and not outside(ref, world)


def witness(pattern: str) -> str:
    return pattern.replace("*", WITNESS).replace("?", "x")


CONSTANT_SELECTORS = {"anonymous": Selector("anonymous"), "external": Selector("external"),
                      "anyone": Selector("anyone")}


def to_selector(value: Any) -> Any:
    """A value of any selector-compatible type as a Selector (or an Unknown)."""
    if isinstance(value, Selector):
        return value
    if is_unknown(value):
        return value
    if value is None:
        return Selector("none")
    if isinstance(value, str):
        return Selector("literal", value)
    if isinstance(value, PrincipalView):
        return Selector("principal", value.arn)
    if isinstance(value, AccountView):
        return Selector("literal", value.id)
    if isinstance(value, (tuple, list, frozenset, set)):
        parts = [to_selector(v) for v in sorted(value, key=str)]
        bad = [p for p in parts if is_unknown(p)]
        if bad:
            return unknown(*bad)
        return Selector("union", tuple(parts), "{" + ", ".join(p.describe() for p in parts) + "}")
    raise TypeError(f"not a principal selector: {value!r}")


def union(a: Any, b: Any) -> Any:
    a, b = to_selector(a), to_selector(b)
    if is_unknown(a) or is_unknown(b):
        return unknown(a, b)
    return Selector("union", (a, b))


def difference(a: Any, b: Any) -> Any:
    a, b = to_selector(a), to_selector(b)
    if is_unknown(a) or is_unknown(b):
        return unknown(a, b)
    return Selector("diff", (a, b))


def member(value: Any, selector: Any, world: World) -> Any:
    """`value in selector` for a principal or a principal string."""
    sel = to_selector(selector)
    if is_unknown(sel) or is_unknown(value):
        return unknown(sel, value)
    if value is None:
        return False
    ref = ref_of_view(value) if isinstance(value, PrincipalView) else ref_of_text(str(value), world)
    return sel.contains(ref, world)


# ------------------------------------------------------------------------------------- the resource side
@dataclass
class Scope:
    """What a resource brings to the choice of representatives."""

    bucket: Bucket | None
    roots: list[str]  # the owner's root, and one other account's root inside the organization
    named: list[str]  # principals its policies and ACL name
    object_prefixes: list[str]  # witness object keys for wildcard resources


def _policy_principals(doc: Any, canonical: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(principals named, witness object keys) of a bucket or access point policy document."""
    names: list[str] = []
    keys: list[str] = []
    d = doc.document if isinstance(doc, PolicyDocument) else None
    if not isinstance(d, Mapping):
        return names, keys
    raw = d.get("Statement")
    for st in raw if isinstance(raw, list) else [raw]:
        if not isinstance(st, Mapping):
            continue
        for key in ("Principal", "NotPrincipal"):
            p = st.get(key)
            if isinstance(p, Mapping):
                for kind, vals in p.items():
                    for v in vals if isinstance(vals, list) else [vals]:
                        if not isinstance(v, str) or v == "*":
                            continue
                        if kind == "AWS":
                            names.append(witness(v) if ("*" in v or "?" in v) else
                                         (f"arn:aws:iam::{v}:root" if _ACCOUNT.match(v) else v))
                        elif kind == "Service":
                            names.append(v)
                        elif kind == "CanonicalUser" and v in canonical:
                            names.append(f"arn:aws:iam::{canonical[v]}:root")
        cond = st.get("Condition")
        if isinstance(cond, Mapping):
            for body in cond.values():
                if not isinstance(body, Mapping):
                    continue
                for k, vals in body.items():
                    what = _PRINCIPAL_KEYS.get(str(k).lower(), "skip")
                    if what == "skip" or what is None:
                        continue
                    for v in vals if isinstance(vals, list) else [vals]:
                        if not isinstance(v, str) or "${" in v:
                            continue
                        w = witness(v)
                        if what == "account":
                            if _ACCOUNT.match(w):
                                names.append(f"arn:aws:iam::{w}:root")
                        elif w.startswith("arn:"):
                            names.append(w)
        for key in ("Resource", "NotResource"):
            for r in st.get(key) if isinstance(st.get(key), list) else [st.get(key)]:
                if isinstance(r, str) and ":::" in r and "/" in r:
                    obj = r.split(":::", 1)[1].split("/", 1)[1]
                    if obj not in ("*", ""):
                        keys.append(witness(obj))
    return names, keys


# The everyday actions first: a pattern's answer is usually settled by one of them, so the engine is asked
# about the other actions of the pattern only when these do not decide.
_PREFERRED = {a: i for i, a in enumerate(("s3:getobject", "s3:putobject", "s3:listbucket", "s3:deleteobject"))}


# ----------------------------------------------------------------------------------------------- runtime
Request = Context = Tri = s3sem = principal_match = None  # bound by _import_engine


def _import_engine() -> None:
    """The engine's modules, bound here on a run's start rather than imported by each call (an import
    statement in a function costs a microsecond per call) or at import (`s3audit rules list` runs nothing)."""
    global Request, Context, Tri, s3sem, principal_match
    from ..iam import s3 as s3sem
    from ..iam.context import Context
    from ..iam.decision import Request
    from ..iam.principal_match import principal_match
    from ..iam.logic import Tri


_GRAPH_PATHS: Any = None


def _graph_paths() -> Any:
    """The graph's path module, imported when a rule first asks the graph (not at a run's start: it imports
    the graph builder, which the pre-merge checks do not need)."""
    global _GRAPH_PATHS
    if _GRAPH_PATHS is None:
        from ..graph import paths
        _GRAPH_PATHS = paths
    return _GRAPH_PATHS


class Runtime:
    """Per-run state: the world, decision caches, and the evidence of the evaluation in progress."""

    def __init__(self, world: World):
        _import_engine()
        self.world = world
        self.engine = world.engine
        self.observer: Any = None  # see evaluate.run_rules
        self.evidence: list = []
        self.fixes: dict | None = None  # fingerprint -> evaluated `fix` clauses, when the run is asked for them
        self.budget = Budget()  # the steps left to the rule being evaluated (run_rules gives each its own)
        self._decisions: dict[tuple, Any] = {}
        self._scopes: dict[str, Scope] = {}
        self._expand: dict[str, tuple[str, ...]] = {}
        self._canonical: dict[str, str] = dict(getattr(world.engine, "_canonical", {}))
        self._other_roots: dict[str | None, str | None] = {}  # per account: the root of another one of the org
        self._no_grant: dict[tuple, bool] = {}
        self._candidates: dict[tuple, list[str]] = {}
        self._answers: dict[tuple, tuple[Any, list]] = {}
        self._folded: dict[tuple, frozenset] = {}
        self._universal: dict[tuple, tuple] = {}
        self._public: dict[tuple, Any] = {}
        self._contexts: dict[tuple, Any] = {}
        self._contexts_of: dict[int, tuple] = {}  # id of a context map -> (the map, engine context, its key)

    # -- resources
    def scope(self, bucket_name: str | None) -> Scope:
        key = bucket_name or ""
        hit = self._scopes.get(key)
        if hit is not None:
            return hit
        b = self.world.buckets_by_name.get(bucket_name) if bucket_name else None
        roots = []
        if b is not None:
            roots.append(f"arn:aws:iam::{b.account}:root")
        other = self._other_org_root(b.account if b is not None else None)
        if other:
            roots.append(other)
        named: list[str] = []
        keys: list[str] = []
        if b is not None:
            docs = [b.policy] + [ap.policy for ap in self.world.aps_by_bucket.get(b.name, ())]
            for d in docs:
                n, k = _policy_principals(d, self._canonical)
                named.extend(n)
                keys.extend(k)
            if b.acl is not UNKNOWN and b.acl is not None:
                for g in b.acl.grants:
                    if g.grantee_type == "CanonicalUser" and g.grantee in self._canonical:
                        named.append(f"arn:aws:iam::{self._canonical[g.grantee]}:root")
        s = Scope(b, roots, list(dict.fromkeys(named)), list(dict.fromkeys(keys)))
        self._scopes[key] = s
        return s

    def key_scope(self, arn: str) -> Scope:
        """A KMS key's representatives: its account's root, another account of the organization, and the
        principals its key policy and grants name."""
        hit = self._scopes.get(arn)
        if hit is not None:
            return hit
        use = self.world.keys.resolve(arn, arn.split(":")[4], arn.split(":")[3])
        k = use.key
        owner = k.account if k is not None else arn.split(":")[4]
        roots = [f"arn:aws:iam::{owner}:root"]
        other = self._other_org_root(owner)
        if other:
            roots.append(other)
        named: list[str] = []
        if k is not None:
            if isinstance(k.policy, PolicyDocument):
                named.extend(_policy_principals(k.policy, self._canonical)[0])
            if k.grants is not UNKNOWN:
                for g in k.grants:
                    grantee = g.grantee
                    named.append(f"arn:aws:iam::{grantee}:root" if _ACCOUNT.match(grantee) else grantee)
        s = Scope(None, roots, list(dict.fromkeys(named)), [])
        self._scopes[arn] = s
        return s

    def _other_org_root(self, owner: str | None) -> str | None:
        hit = self._other_roots.get(owner, _UNSET)
        if hit is _UNSET:
            world = self.world
            hit = self._other_roots[owner] = next(
                (a.root_arn for a in world.snapshot.accounts if a.id != owner and world.in_organization(a.id)), None)
        return hit

    def actions(self, pattern: Any) -> tuple[str, ...]:
        """The actions an action argument names: one action, a pattern, or a list or set of them."""
        if isinstance(pattern, (tuple, list, frozenset, set)):
            key = tuple(sorted(pattern)) if isinstance(pattern, (frozenset, set)) else tuple(pattern)
            hit = self._expand.get(key)
            if hit is None:
                hit = self._expand[key] = tuple(dict.fromkeys(a for p in key for a in self.actions(str(p))))
            return hit
        pattern = str(pattern)
        hit = self._expand.get(pattern)
        if hit is None:
            from ..iam.actions import universe
            u = universe()
            if "*" in pattern or "?" in pattern:
                found = sorted(u.expand(pattern), key=lambda a: (_PREFERRED.get(a, len(_PREFERRED)), a))
                hit = tuple(u.get(a).name if u.get(a) else a for a in found) or (pattern,)
            else:
                hit = (pattern,)
            self._expand[pattern] = hit
        return hit

    # -- the engine, with a cache over one run
    def decide(self, principal: str, action: str, resource: str, context: Mapping[str, Any],
               ctx_key: tuple | None = None):
        if ctx_key is None:
            ctx_key = tuple(sorted((k, _ctx_key(v)) for k, v in context.items()))
        key = (principal, action, resource, ctx_key)
        hit = self._decisions.get(key)
        if hit is None:
            hit = self.engine.decide(Request(principal, action, resource, dict(context)))
            self._decisions[key] = hit
        return hit

    def decide_policies(self, principal: str, action: str, resource: str, context: Mapping[str, Any],
                        ctx_key: tuple | None = None):
        """``decide`` by the request's policies alone, the KMS key and VPC endpoint aside (``granted``)."""
        if ctx_key is None:
            ctx_key = tuple(sorted((k, _ctx_key(v)) for k, v in context.items()))
        key = ("policies", principal, action, resource, ctx_key)
        hit = self._decisions.get(key)
        if hit is None:
            hit = self.engine.decide_policies(Request(principal, action, resource, dict(context)))
            self._decisions[key] = hit
        return hit

    def close(self) -> None:
        """Drop everything the run made (views, caches), so nothing of it outlives the findings."""
        self.world.close()
        for name in ("_decisions", "_scopes", "_expand", "_no_grant", "_candidates", "_answers", "_folded",
                     "_universal", "_contexts_of", "_public", "_contexts", "_other_roots"):
            getattr(self, name).clear()
        self.evidence = []

    def trim(self) -> None:
        """Forget per-request caches that grew large, so memory stays bounded on large estates (the evaluator
        calls it every few hundred subjects; answers never depend on what is cached)."""
        for cache in (self._answers, self._candidates, self._no_grant, self._scopes, self._universal,
                      self._contexts_of):
            if len(cache) > 200000:
                cache.clear()
        if len(self._decisions) > 50000:
            keep = {k: v for k, v in self._decisions.items() if k[0] in ("starts", "forward")}
            self._decisions.clear()
            self._decisions.update(keep)
            clear = getattr(self.engine, "clear_request_cache", None)
            if clear is not None:
                clear()


def _ctx_key(v: Any) -> Any:
    if isinstance(v, (list, tuple, set, frozenset)):
        return tuple(str(x) for x in v)
    return v


def engine_context(value: Any) -> dict[str, Any]:
    """A map value of the language as request context for the engine: None marks a key absent."""
    out: dict[str, Any] = {}
    for k, v in (value or {}).items():
        if isinstance(v, frozenset):
            v = sorted(v, key=str)
        out[str(k)] = v
    return out


# --------------------------------------------------------------------------------- engine-backed builtins
def _resource_arn(resource: Any) -> tuple[str, str | None]:
    """(ARN, bucket name) of a resource argument."""
    if isinstance(resource, BucketView):
        return resource.arn, resource.name
    if isinstance(resource, AccessPointView):
        return resource.arn, resource.bucket
    if isinstance(resource, KeyView):
        return resource.arn, None
    text = str(resource)
    if ":::" in text:
        return text, text.split(":::", 1)[1].split("/", 1)[0]
    return text, None


def _resources(arn: str, scope: Scope) -> list[str]:
    """The ARN as written, and witness objects under the prefixes the bucket's policies name when it has a
    wildcard key (`arn:aws:s3:::b/*` stands for every object)."""
    if ":::" not in arn or "/" not in arn:
        return [arn]
    bucket, key = arn.split(":::", 1)[1].split("/", 1)
    if "*" not in key and "?" not in key:
        return [arn]
    out = [arn]
    for k in scope.object_prefixes:
        if glob(key).match(k):
            out.append(f"arn:aws:s3:::{bucket}/{k}")
    return out


def _requests(rt: Runtime, principal: Any, action: Any, resource: Any):
    """The (principal, action, resource) triples a call stands for (lazily: callers answer early), or an
    Unknown."""
    sel = to_selector(principal)
    if is_unknown(sel) or is_unknown(action) or is_unknown(resource):
        return unknown(sel, action, resource)
    arn, bucket = _resource_arn(resource)
    return _requests_of(rt, sel, action, arn, bucket), arn, sel


def _requests_of(rt: Runtime, sel: Selector, action: Any, arn: str, bucket: str | None):
    scope = rt.key_scope(arn) if bucket is None and ":kms:" in arn else rt.scope(bucket)
    return _triples(rt, sel.candidates(rt, scope), rt.actions(action), _resources(arn, scope), scope,
                    scope.bucket is not None and ":::" in arn)


def _triples(rt: Runtime, callers: list[str], actions: tuple[str, ...], resources: list[str], scope: Scope,
             bucket_side: bool):
    """(caller, action, resource) in that order, without the callers the bucket cannot reach and, for a bucket
    resource, without the actions a caller of another account certainly gets nothing for from the bucket's
    side: no Allow statement of the bucket policy names it (or everyone) for the action, and the ACL grants
    its account and the public nothing. Across accounts the resource side must grant (IAM's cross-account
    rule), so the engine need not be asked. Requests through access points are always asked."""
    for c in callers:
        if _cannot_reach(rt, c, scope):
            continue
        grants = _bucket_grants(rt, c, scope) if bucket_side else None
        if grants is None or grants[0]:  # the engine decides every action
            for a in actions:
                for r in resources:
                    yield c, a, r
            continue
        statements = grants[1]
        if not statements:
            continue
        for a in actions:
            for st in statements:
                if st.actions.matches(a):
                    for r in resources:
                        yield c, a, r
                    break


def _bucket_grants(rt: Runtime, caller: str, scope: Scope) -> tuple[bool, tuple] | None:
    """What the bucket's side can grant a caller of another account, worked out once per caller and bucket:
    (whether the ACL grants anyone but the owner, the bucket policy's Allow statements whose Principal covers
    the caller); None when the caller is of the bucket's account or a service, or the policy, ACL or Object
    Ownership is unknown (the engine must be asked)."""
    b = scope.bucket
    key = (caller, b.name)
    hit = rt._no_grant.get(key, _UNSET)
    if hit is not _UNSET:
        return hit
    ref = ref_of_text(caller, rt.world)
    if ref.account == b.account or ref.kind in ("service",) or \
            b.policy is UNKNOWN or b.acl is UNKNOWN or b.ownership is UNKNOWN:
        hit = None
    else:
        statements: tuple = ()
        if isinstance(b.policy, PolicyDocument):
            caller_obj = rt.engine.caller(caller)
            statements = tuple(st for st in rt.engine.compile(b.policy).statements
                               if st.effect == "Allow" and principal_match(st, caller_obj, rt._canonical) is not None)
        acl_grants = False
        if b.acl is not None and b.acls_enabled is not False:
            owner = b.acl.owner_id
            acl_grants = not all(g.grantee_type == "CanonicalUser" and g.grantee == owner for g in b.acl.grants)
        hit = (acl_grants, statements)
    rt._no_grant[key] = hit
    return hit


_UNSET = object()


def _cannot_reach(rt: Runtime, caller: str, scope: Scope) -> bool:
    """A caller from another account (or the anonymous caller) reaches a bucket only if the bucket's side
    grants it something (IAM cross-account rule; a public grant for the anonymous caller): a bucket with no
    policy, no access point and no ACL grant beyond its owner's grants such a caller nothing, so the engine
    need not be asked."""
    b = scope.bucket
    if b is None:
        return False
    ref = ref_of_text(caller, rt.world)
    if ref.account == b.account:
        return False
    if b.policy is not None or rt.world.aps_by_bucket.get(b.name):
        return False
    if b.acl is UNKNOWN or b.ownership is UNKNOWN:
        return False
    if b.acl is None or b.acls_enabled is False:
        return True
    owner = b.acl.owner_id
    return all(g.grantee_type == "CanonicalUser" and g.grantee == owner for g in b.acl.grants)


def _record(rt: Runtime, d: Any, principal: str, action: str, resource: str, context: Mapping[str, Any]) -> None:
    rt.evidence.append({"kind": "decision", "principal": principal, "action": action, "resource": resource,
                        "context": {k: to_json(v) for k, v in context.items()}, "decision": d.decision,
                        "reasons": [r.to_json() for r in d.reasons],
                        "conditions": [c.to_json() for c in d.conditions],
                        "assumptions": list(d.assumptions)})


def _memo(fn: Callable) -> Callable:
    """The same engine question within one run gets the same answer and the same evidence, asked once
    (the TLS rules of several packs ask it for every bucket). ``fn`` gets the arguments worked out:
    (runtime, selector, action, the action as a key, resource ARN, its bucket, engine context, context key)."""
    name = fn.__name__

    def call(rt: Runtime, principal: Any, action: Any, resource: Any, context: Any = None) -> Any:
        sel = principal if principal.__class__ is Selector else to_selector(principal)
        if type(sel) is Unknown or type(action) is Unknown or type(resource) is Unknown or type(context) is Unknown:
            return unknown(sel, action, resource, context)
        arn, bucket = _resource_arn(resource)
        if context:
            # a rule's context is usually a constant map: converted once (the entry holds the map, so its
            # id cannot be reused while the entry lives)
            got = rt._contexts_of.get(id(context))
            if got is None or got[0] is not context:
                ctx = engine_context(context)
                got = rt._contexts_of[id(context)] = (context, ctx,
                                                      tuple(sorted((k, _ctx_key(v)) for k, v in ctx.items())))
            _, ctx, ctx_key = got
        else:
            ctx, ctx_key = {}, ()
        act = tuple(sorted(action)) if isinstance(action, (frozenset, set)) else action
        if rt.observer is not None:  # on every call: an answer met before was read all the same
            rt.observer.asked(rt, sel, arn, bucket)
        key = (name, sel.key, act, arn, ctx_key)
        hit = rt._answers.get(key)
        if hit is None:
            evidence = rt.evidence
            before = len(evidence)
            value = fn(rt, sel, action, act, arn, bucket, ctx, ctx_key)
            hit = rt._answers[key] = (value, evidence[before:])
            return value
        if hit[1]:
            rt.evidence.extend(hit[1])
        return hit[0]
    call.__name__ = name
    return call


@_memo
def allowed(rt: Runtime, sel: Selector, action: Any, act: Any, arn: str, bucket: str | None, ctx: dict,
            ctx_key: tuple) -> Any:
    return _possible(rt, rt.decide, sel, action, arn, bucket, ctx, ctx_key)


@_memo
def granted(rt: Runtime, sel: Selector, action: Any, act: Any, arn: str, bucket: str | None, ctx: dict,
            ctx_key: tuple) -> Any:
    return _possible(rt, rt.decide_policies, sel, action, arn, bucket, ctx, ctx_key)


def _possible(rt: Runtime, decide: Callable, sel: Selector, action: Any, arn: str, bucket: str | None, ctx: dict,
              ctx_key: tuple) -> Any:
    """Whether ``decide`` may allow some request the call stands for (True, False or an Unknown), recording the
    decision that says so."""
    unknowns: list = []
    for c, a, r in _requests_of(rt, sel, action, arn, bucket):
        d = decide(c, a, r, ctx, ctx_key)
        if not d.possible:
            continue
        if decision_depends_on_unknown(d):
            unknowns.append((d, c, a, r))
            continue
        _record(rt, d, c, a, r, ctx)
        return True
    if unknowns:
        d, c, a, r = unknowns[0]
        _record(rt, d, c, a, r, ctx)
        return Unknown(unknown_reasons_of(d))
    return False


@_memo
def denied(rt: Runtime, sel: Selector, action: Any, act: Any, arn: str, bucket: str | None, ctx: dict,
           ctx_key: tuple) -> Any:
    universal = _universal_deny(rt, arn, act, rt.actions(action), ctx, ctx_key)
    if universal is not None:
        rt.evidence.append(universal)
        return True
    unknowns: list = []
    first_deny = None
    decide = rt.decide
    for c, a, r in _requests_of(rt, sel, action, arn, bucket):
        d = decide(c, a, r, ctx, ctx_key)
        if not d.possible:
            if first_deny is None:
                first_deny = (d, c, a, r)
            continue
        if decision_depends_on_unknown(d):
            unknowns.append((d, c, a, r))
            continue
        _record(rt, d, c, a, r, ctx)
        return False
    if unknowns:
        d, c, a, r = unknowns[0]
        _record(rt, d, c, a, r, ctx)
        return Unknown(unknown_reasons_of(d))
    if first_deny is not None:
        _record(rt, *first_deny, ctx)
    return True


def decision(rt: Runtime, principal: Any, action: Any, resource: Any, context: Any = None) -> Any:
    """The most permissive decision among the representatives: allow, then conditional, then deny."""
    got = _requests(rt, principal, action, resource)
    if is_unknown(got):
        return got
    requests, arn, sel = got
    if rt.observer is not None:
        rt.observer.asked(rt, sel, arn, _resource_arn(resource)[1])
    ctx = engine_context(context)
    best = None
    rank = {"allow": 0, "conditional": 1, "deny": 2}
    for c, a, r in requests:
        d = rt.decide(c, a, r, ctx)
        if best is None or rank[d.decision] < rank[best[0].decision]:
            best = (d, c, a, r)
            if d.decision == "allow":
                break
    if best is None:
        return Unknown(["the principal selector covers no principal the engine can ask about"])
    d, c, a, r = best
    _record(rt, d, c, a, r, ctx)
    return DecisionView(d, {"principal": c, "action": a, "resource": r, "context": ctx},
                        decision_depends_on_unknown(d))


def _universal_deny(rt: Runtime, arn: str, act: Any, actions: tuple[str, ...], ctx: Mapping[str, Any],
                    ctx_key: tuple) -> dict | None:
    """A bucket policy statement that denies these actions on this resource to every principal, whatever
    the request values the rule left open; as evidence, or None."""
    if ":::" not in arn:
        return None
    b = rt.world.buckets_by_name.get(arn.split(":::", 1)[1].split("/", 1)[0])
    if b is None or not isinstance(b.policy, PolicyDocument):
        return None
    # The statements that deny these actions to everyone under this context, once per policy (the bucket's
    # resource ARNs are then matched one by one); the snapshot holds the document for the whole run.
    key = (id(b.policy), act, ctx_key)  # the action as the rule wrote it: `s3:*`, not its 150 expansions
    hit = rt._universal.get(key)
    if hit is None:
        policy = rt.engine.compile(b.policy)
        request_ctx = rt._contexts.get(ctx_key)
        if request_ctx is None:
            request_ctx = rt._contexts[ctx_key] = Context.of(ctx)
        folded = rt._folded.get(actions)
        if folded is None:
            folded = rt._folded[actions] = frozenset(a.lower() for a in actions)
        denying = []
        for st in policy.statements:
            if st.effect != "Deny" or st.not_principal or not st.principals:
                continue
            if not any(p.is_everyone for p in st.principals):
                continue
            m = st.actions
            if not (not m.negated and folded <= m.known) and not all(m.matches(a) for a in actions):
                continue
            tri, _ = st.conditions.evaluate(request_ctx)
            if tri is not Tri.TRUE:
                continue
            denying.append(st)
        hit = rt._universal[key] = (policy, request_ctx, tuple(denying))
    policy, request_ctx, denying = hit
    for st in denying:
        if st.resource_matches(arn, request_ctx) is not Tri.TRUE:
            continue
        return {"kind": "decision", "principal": "anyone", "action": ", ".join(actions) if len(actions) <= 3
                else f"{len(actions)} actions", "resource": arn, "context": {k: to_json(v) for k, v in ctx.items()},
                "decision": "deny",
                "reasons": [{"source": policy.source_label, "statement": st.label, "effect": "Deny",
                             "layer": "resource", "pointer": b.policy.pointer + st.pointer,
                             "note": "denies every principal whatever else the request carries"}],
                "conditions": [], "assumptions": []}
    return None


def public(rt: Runtime, resource: Any, access: Any = "any") -> Any:
    if is_unknown(resource) or is_unknown(access):
        return unknown(resource, access)
    level = access or "any"
    world = rt.world
    if rt.observer is not None and isinstance(resource, (BucketView, AccessPointView)):
        rt.observer.asked(rt, None, *_resource_arn(resource))
    if isinstance(resource, BucketView):
        b = resource.b
        account = world.accounts.get(b.account)
        account_block = account.public_access_block if account is not None else UNKNOWN
        verdicts = rt._public.get(("bucket", b.account, b.name))
        if verdicts is None:
            compiled = rt.engine.compile(b.policy) if isinstance(b.policy, PolicyDocument) else None
            verdicts = rt._public[("bucket", b.account, b.name)] = s3sem.bucket_public(b, account_block, compiled)
        verdict = verdicts[level]
        name = resource.arn
    elif isinstance(resource, AccessPointView):
        ap = resource.ap
        compiled = rt.engine.compile(ap.policy) if isinstance(ap.policy, PolicyDocument) else None
        verdict = s3sem.access_point_public(ap, compiled)
        name = resource.arn
        if verdict.public is not False:
            account = world.accounts.get(ap.bucket_account or ap.account)
            bucket = world.buckets_by_name.get(ap.bucket)
            block = s3sem.effective_block(account.public_access_block if account else UNKNOWN,
                                          bucket.public_access_block if bucket else None, ap.public_access_block)
            if block.restrict_public_buckets is Tri.TRUE:
                verdict = s3sem.PublicVerdict(False, reasons=verdict.reasons + (
                    f"neutralised by RestrictPublicBuckets ({block.source('restrict_public_buckets')})",))
            elif block.restrict_public_buckets is Tri.UNKNOWN and verdict.public:
                verdict = s3sem.PublicVerdict(None, verdict.statements, verdict.grants, verdict.reasons + (
                    "whether RestrictPublicBuckets neutralises it is unknown",))
    else:
        return Unknown([f"`public` needs a bucket or an access point, not {resource!r}"])
    rt.evidence.append({"kind": "public", "resource": name, "access": level, "public": verdict.public,
                        "reasons": list(verdict.reasons)})
    if verdict.public is None:
        return Unknown([f"whether {name} is public for {level} access cannot be told: " + "; ".join(verdict.reasons)])
    return verdict.public


# ---------------------------------------------------------------------------------- graph-backed builtins
GRAPH_LEVELS = ("list", "read", "write", "permissions", "any")


def graph_paths(rt: Runtime, bucket: BucketView, access: str, via: str) -> list[PathView]:
    """Every path of the access graph to the bucket with the access level (one per start principal)."""
    key = ("paths", bucket.name, access, via)
    cache = rt._decisions
    hit = cache.get(key)
    if hit is not None:
        return hit
    gp = _graph_paths()
    graph = rt.world.graph
    level = access if access in GRAPH_LEVELS else "any"
    found = gp.paths_to(graph, bucket.name, level) if graph.data_nodes_of(bucket.name) else []
    out = []
    for p in found:
        if via == "direct" and len(p.hops) > 1:
            continue
        out.append(path_view(rt, graph, p, bucket, access))
    cache[key] = out
    return out


def principal_of_node(rt: Runtime, graph: Any, node: str) -> PrincipalView:
    a = graph.node(node)
    arn = node
    view = rt.world.principal(arn, kind=_graph_kind(a.get("kind")), account=a.get("account"),
                              name=a.get("name") or node)
    if view.entity is None and "external" in a:
        view.graph_external = bool(a.get("external"))
    return view


def _graph_kind(kind: str | None) -> str:
    return {"provider": "federated", "session": "role"}.get(kind or "", kind or "root")


def path_view(rt: Runtime, graph: Any, p: Any, bucket: BucketView, access: str) -> PathView:
    start = principal_of_node(rt, graph, p.principal)
    return PathView(start, bucket, access, None, p.decision != "allow", length=len(p.hops),
                    hops_of=partial(_hop_views, graph, p))


def _hop_views(graph: Any, p: Any) -> tuple[tuple[HopView, ...], tuple[str, ...]]:
    """(the hops of a graph path as views, what the path may hang on that the snapshot lacks)."""
    display = _graph_paths().display
    hops = []
    unknown_notes: list[str] = []
    for h in p.hops:
        notes = [r.note or r.source for r in h.reasons if r.effect == "Unknown"]
        unknown_notes.extend(n for n in notes if n)
        reason = h.detail or (reason_text(h.reasons[0]) if h.reasons else h.kind)
        hops.append(HopView(display(graph, h.source), display(graph, h.target), h.kind, reason,
                            tuple(h.actions), h.decision != "allow", detail_of=partial(h.to_json, graph)))
    return tuple(hops), tuple(dict.fromkeys(unknown_notes))


# When a selector covers at most this many of the graph's principals, their paths are found forward, from
# them, once for every bucket; otherwise backward from each bucket asked about.
FORWARD_LIMIT = 200


def selected_paths(rt: Runtime, sel: Selector, bucket: BucketView, access: str, via: str) -> list[PathView]:
    """The paths from the principals a selector covers to a bucket."""
    graph = rt.world.graph
    key = ("starts", sel.describe())
    starts = rt._decisions.get(key)
    if starts is None:
        starts = [n for n in graph.principals()
                  if sel.contains(ref_of_view(principal_of_node(rt, graph, n)), rt.world)]
        rt._decisions[key] = starts
    if len(starts) > FORWARD_LIMIT:
        return [p for p in graph_paths(rt, bucket, access, via) if sel.contains(ref_of_view(p.start), rt.world)]
    fkey = ("forward", sel.describe(), access)
    by_bucket = rt._decisions.get(fkey)
    if by_bucket is None:
        gp = _graph_paths()
        level = access if access in GRAPH_LEVELS else "any"
        by_bucket = {}
        for p in gp.paths_from(graph, starts, level):
            by_bucket.setdefault(p.bucket, []).append(p)
        rt._decisions[fkey] = by_bucket
    out = []
    for p in by_bucket.get(bucket.name, ()):
        if via == "direct" and len(p.hops) > 1:
            continue
        out.append(path_view(rt, graph, p, bucket, access))
    return out


def paths(rt: Runtime, source: Any, to: Any, access: Any = "any", via: Any = "any") -> Any:
    sel = to_selector(source)
    if is_unknown(sel) or is_unknown(to):
        return unknown(sel, to)
    if to is None:
        return ()
    found = selected_paths(rt, sel, to, access or "any", via or "any")
    for p in found:
        rt.evidence.append({"kind": "path", "principal": p.start.arn, "bucket": p.target.name, "access": p.access,
                            "hops": p.to_json()})
    return tuple(found)


def reachers(rt: Runtime, bucket: Any, access: Any = "any", via: Any = "any") -> Any:
    if is_unknown(bucket):
        return bucket
    if bucket is None:
        return frozenset()
    found = graph_paths(rt, bucket, access or "any", via or "any")
    for p in found:
        rt.evidence.append({"kind": "path", "principal": p.start.arn, "bucket": p.target.name, "access": p.access,
                            "hops": p.to_json()})
    return frozenset(p.start for p in found)


# ---------------------------------------------------------------------------------------- pure builtins
def _pure(fn: Callable) -> Callable:
    """Unknown in, unknown out; absent in, absent out (except where a function says otherwise)."""
    def call(rt: Runtime, *args: Any) -> Any:
        if any(is_unknown(a) for a in args):
            return unknown(*args)
        if any(a is None for a in args):
            return None
        return fn(*args)
    call.__name__ = fn.__name__
    return call


def _len(rt: Runtime, value: Any) -> Any:
    if is_unknown(value):
        return value
    return 0 if value is None else len(value)


def _present(rt: Runtime, value: Any) -> Any:
    if is_unknown(value):
        return value
    return value is not None


def glob_match(text: str, pattern: str) -> bool:
    """`text matches pattern`: `*` any run, `?` one character, everything else literal (the wildcard matcher
    of policies, linear in both)."""
    return glob(pattern).match(text)


FUNCTIONS: dict[str, Callable] = {
    "decision": decision,
    "allowed": allowed,
    "granted": granted,
    "denied": denied,
    "public": public,
    "reachers": reachers,
    "paths": paths,
    "len": _len,
    "lower": _pure(lambda s: s.lower()),
    "upper": _pure(lambda s: s.upper()),
    "startswith": _pure(lambda s, p: s.startswith(p)),
    "endswith": _pure(lambda s, p: s.endswith(p)),
    "glob": _pure(glob_match),
    "present": _present,
    "keys": _pure(lambda m: frozenset(m)),
}

# Functions whose calls need the access graph (so a run builds it only when a rule calls them).
GRAPH_FUNCTIONS = frozenset({"reachers", "paths"})

