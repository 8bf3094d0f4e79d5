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

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping

from ..errors import InputError
from ..snapshot.model import UNKNOWN, AccessPoint, Account, Bucket, PolicyDocument, Snapshot
from . import iam_targets
from . import s3 as s3sem
from .actions import universe
from .context import Context, fold
from .logic import Tri
from .policy import Policy, PrincipalEntry, Statement, compile_policy
from .principals import Caller, PrincipalIndex, parse_caller

ALLOW, DENY, CONDITIONAL = "allow", "deny", "conditional"
_TRI_DECISION = {Tri.TRUE: ALLOW, Tri.FALSE: DENY, Tri.UNKNOWN: CONDITIONAL}

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


@dataclass(frozen=True)
class Residual:
    """What a conditional answer still depends on: a statement whose conditions the request decides."""

    effect: str  # Allow: access needs these to hold; Deny: access needs these NOT to hold
    source: str
    statement: str
    conditions: tuple[dict, ...]

    def to_json(self) -> dict:
        return {"effect": self.effect, "source": self.source, "statement": self.statement,
                "conditions": list(self.conditions)}


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

    @property
    def label(self) -> str:
        return self.bucket_name or self.resource


class Engine:
    """Decides requests against one snapshot. Policies are compiled once, on first use, and cached."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.file = snapshot.file
        self.index = PrincipalIndex(snapshot)
        self.org = snapshot.organization
        self._policies: dict[int, Policy] = {}
        self._managed: dict[str, Any] = {}
        for a in snapshot.accounts:
            for arn, mp in a.managed_policies.items():
                if mp.document is not None and (arn not in self._managed or a.id in arn):
                    self._managed[arn] = mp.document
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
        self._by_action: dict[tuple, tuple[Statement, ...]] = {}
        self._org_cache: dict[tuple, tuple] = {}
        self._blocks: dict[tuple, dict] = {}
        self._free: dict[tuple[int, str], bool] = {}

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
                if getattr(x, "trust", None) is not None:
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
        """Statements of a policy (of one effect, if given) that can match an action (indexed once per policy,
        action and effect)."""
        key = (id(policy), action, effect)
        hit = self._by_action.get(key)
        if hit is None:
            hit = tuple(s for s in policy.statements if s.actions.matches(action)
                        and (effect is None or s.effect == effect))
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
        """Forget the per-request contexts (and the resolved targets once they are many; compiled policies
        stay), so that a caller deciding millions of requests, such as the access graph, keeps memory bounded."""
        self._base_ctx.clear()
        if len(self._targets) > 200_000:
            self._targets.clear()

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
        'principal', 'session'), or None when it does not; exactly the test decide() applies."""
        return _principal_match(statement, self.caller(principal), self._canonical)

    def identity_policies(self, principal: str) -> tuple[list[Policy], list[str], Any] | None:
        """The compiled identity policies of a user (with its groups'), role or group in the snapshot, the
        attached managed policy ARNs the snapshot lacks, and the permissions boundary (a Policy, None, or
        UNKNOWN); None for principals the snapshot does not describe."""
        caller = self.caller(principal)
        if caller.entity is None:
            return None
        return self._identity(caller)

    def _identity(self, caller: Caller) -> tuple[list[Policy], list[str], Any]:
        """(identity policies, notes on missing managed policies, boundary Policy | None | UNKNOWN)."""
        key = caller.arn or ""
        hit = self._identity_cache.get(key)
        if hit is not None:
            return hit
        e = caller.entity
        docs = list(e.inline)
        attached = list(e.attached)
        if caller.kind == "user":
            for g in e.groups:
                group = self.index.groups.get((e.account, g))
                if group is not None:
                    docs.extend(group.inline)
                    attached.extend(group.attached)
        missing = []
        for arn in attached:
            d = self._managed.get(arn)
            if d is None:
                missing.append(arn)
            else:
                docs.append(d)
        boundary: Any = None
        if getattr(e, "boundary", None):
            d = self._managed.get(e.boundary)
            if d is None:
                boundary = UNKNOWN
                missing.append(e.boundary)
            else:
                boundary = self.compile(PolicyDocument(d.document, d.pointer, "boundary", e.arn, e.boundary))
        out = ([self.compile(d) for d in docs], missing, boundary)
        self._identity_cache[key] = out
        return out

    def _context(self, caller: Caller, t: _Target, action: str, supplied: Mapping[str, Any]) -> Context:
        # What the snapshot fixes depends on the caller, the resource's account, the access point and the
        # action, not on the bucket or key: one context serves every bucket of an account.
        key = (caller.text, t.owner, t.resource.split("/object/")[0] if t.access_point else None, action)
        base = self._base_ctx.get(key)
        if base is None:
            base = self._derive_context(caller, t, action)
            self._base_ctx[key] = base
        if not supplied:
            return base
        # Facts the snapshot fixes win over what a request claims; the rest comes from the request.
        fixed = base.key_set()
        extra = {k: v for k, v in supplied.items() if fold(k) not in fixed}
        return base.with_values(extra) if extra else base

    def _derive_context(self, caller: Caller, t: _Target, action: str) -> Context:
        v: dict[str, Any] = {}
        absent: list[str] = []
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
                    for k, val in caller.entity.tags.items():
                        v[f"aws:PrincipalTag/{k}"] = val
            elif caller.kind == "role":
                v["aws:PrincipalType"] = "AssumedRole"
                absent.append("aws:username")
                if caller.entity is not None:
                    for k, val in caller.entity.tags.items():
                        v[f"aws:PrincipalTag/{k}"] = val
            elif caller.kind == "root":
                v["aws:PrincipalType"] = "Account"
                v["aws:userid"] = caller.account
                absent.append("aws:username")
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
        absent.extend(_absent_s3_keys(action))
        return Context.of({k: val for k, val in v.items() if val is not None}, absent=absent)

    def _org_path_text(self, account: str) -> str:
        path = self.org.path_of(account)
        return f"{self.org.id}/" + "/".join(path[:-1]) + "/" if self.org.id else "/".join(path[:-1]) + "/"

    # ---- evaluation ----
    def decide(self, request: Request) -> Decision:
        caller = self.caller(request.principal)
        t = self.target(request.resource)
        action = request.action.strip()
        if ":" not in action:
            raise InputError(f"`{action}` is not an action (expected `service:Action`, such as s3:GetObject)")
        action_l = action.lower()
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
        grants_by_kind, resource_denies, restricted = self._resource_side(caller, t, action_l, ctx)
        denies.extend(resource_denies)
        identity, identity_deny, boundary, boundary_deny = self._identity_side(caller, t, action_l, ctx)
        denies.extend(x for x in (identity_deny, boundary_deny) if x is not None)

        same_account = caller.account is not None and caller.account == t.owner
        explicit = t.other is not None and iam_targets.uses_trust_policy(t.other, action_l)
        combined, grants = self._combine(caller, same_account, t, identity, boundary, grants_by_kind, explicit)
        required.append(combined)

        deny_tri = Tri.FALSE
        for d in denies:
            deny_tri = deny_tri | d.tri
        allow_tri = Tri.TRUE
        for r in required:
            allow_tri = allow_tri & r.tri
        final = (~deny_tri) & allow_tri

        reasons: list[Reason] = []
        residuals: list[Residual] = []
        for layer in (*denies, *required):
            assumptions.extend(a for a in layer.assumptions if a not in assumptions)
        if final is Tri.FALSE:
            if deny_tri is Tri.TRUE:
                for d in denies:
                    if d.tri is Tri.TRUE:
                        reasons.extend(d.reasons)
            else:
                for r in required:
                    if r.tri is Tri.FALSE:
                        reasons.extend(r.reasons)
        else:
            for r in required:
                reasons.extend(r.reasons)
                if r.tri is Tri.UNKNOWN:
                    residuals.extend(r.residuals)
            for d in denies:
                if d.tri is Tri.UNKNOWN:
                    reasons.extend(d.reasons)
                    residuals.extend(d.residuals)
        reasons.extend(restricted)
        return Decision(_TRI_DECISION[final], tuple(_dedupe(reasons)), tuple(_dedupe(residuals)),
                        tuple(assumptions), frozenset(grants) if final is not Tri.FALSE else frozenset())

    # -- statement evaluation --
    def _evaluate(self, policy: Policy, effect: str, action: str, resource: str, ctx: Context, layer: str,
                  caller: Caller | None = None) -> _Layer:
        """OR over the policy's statements of one effect that match action, resource, principal, conditions."""
        if not self._statements(policy, action, effect):
            return _Layer(Tri.FALSE)  # the common case: nothing of this effect even names the action
        by_kind = self._evaluate_by_kind(policy, effect, action, resource, ctx, layer, caller)
        if len(by_kind) == 1:
            return next(iter(by_kind.values()))
        out = _Layer(Tri.FALSE)
        for part in by_kind.values():
            _merge_or(out, part)
        return out

    def _evaluate_by_kind(self, policy: Policy, effect: str, action: str, resource: str, ctx: Context,
                          layer: str, caller: Caller | None = None) -> dict[str, _Layer]:
        """Like _evaluate, split by how each statement's Principal covers the caller (for resource
        policies: 'everyone', 'account', 'principal', 'session'; '' where there is no Principal)."""
        found: dict[str, tuple[list, list, list]] = {}
        for s in self._statements(policy, action, effect):
            m = s.resource_matches(resource, ctx)
            if m is Tri.FALSE:
                continue
            kind = ""
            if caller is not None and s.principals is not None:
                kind = _principal_match(s, caller, self._canonical)
                if kind is None:
                    continue
            c, residual = s.conditions.evaluate(ctx)
            m = m & c
            if m is Tri.FALSE:
                continue
            definite, maybe, residuals = found.setdefault(kind, ([], [], []))
            reason = Reason(_src(policy), s.label, effect, layer, policy.doc.pointer + s.pointer)
            if m is Tri.TRUE:
                definite.append(reason)
            else:
                maybe.append(reason)
                clauses = tuple(c.to_json() for c in residual) or (
                    {"note": "the resource matches only for some values of a policy variable"},)
                residuals.append(Residual(effect, _src(policy), s.label, clauses))
        out: dict[str, _Layer] = {}
        for kind, (definite, maybe, residuals) in found.items():
            # The definite statements decide; the maybes add nothing then.
            out[kind] = _Layer(Tri.TRUE, definite) if definite else _Layer(Tri.UNKNOWN, maybe, residuals)
        return out or {"": _Layer(Tri.FALSE)}

    def _org_layer(self, account: str | None, ptype: str, action: str, t: _Target, ctx: Context,
                   caller: Caller):
        """(deny layer, allow layer) for SCPs or RCPs on the account's path, or None where they do not apply."""
        org = self.org
        if org is None or account is None or account == org.management_account:
            return None
        if account not in org.member_accounts:
            return None
        is_scp = ptype == "SERVICE_CONTROL_POLICY"
        if caller.entity is not None and getattr(caller.entity, "is_service_linked", False):
            return None
        if not is_scp and caller.is_service:
            return None
        if is_scp and not caller.has_identity:
            return None
        policies_exist = any(p.type == ptype for p in org.policies)
        if not policies_exist:
            return None
        cache_key = (account, ptype, action)
        hit = self._org_cache.get(cache_key)
        if hit is not None:
            return hit
        request_free = True  # whether the answer depends only on the account and the action
        kind = "SCP" if is_scp else "RCP"
        resource = t.bucket_resource if is_scp or t.access_point is None else t.resource
        deny = _Layer(Tri.FALSE)
        allow = _Layer(Tri.TRUE)
        for level in org.path_of(account):
            attached = [p for p in self._org_policies.get(level, []) if p.type == ptype]
            if not attached:
                allow.assumptions.append(f"no {kind} recorded at {org.names.get(level, level)} ({level}); "
                                         f"assumed the default full-access {kind}")
                continue
            level_allow = _Layer(Tri.FALSE)
            for p in attached:
                pol = self.compile(p.document)
                request_free = request_free and self._request_free(pol, action)
                d = self._evaluate(pol, "Deny", action, resource, ctx, kind.lower(),
                                   caller if not is_scp else None)
                _merge_or(deny, d)
                a = self._evaluate(pol, "Allow", action, resource, ctx, kind.lower(),
                                   caller if not is_scp else None)
                _merge_or(level_allow, a)
            if level_allow.tri is Tri.FALSE:
                level_allow.reasons = [Reason(f"{kind}s at {org.names.get(level, level)} ({level})", None,
                                              "ImplicitDeny", kind.lower(),
                                              note=f"no {kind} attached at this level allows the action")]
            _merge_and(allow, level_allow)
        if request_free:
            self._org_cache[cache_key] = (deny, allow)
        return deny, allow

    def _request_free(self, policy: Policy, action: str) -> bool:
        """Whether the policy's statements for this action ignore the resource, the principal and the
        request context (Resource "*", no Principal, no Condition), as most SCPs do."""
        key = (id(policy), action)
        hit = self._free.get(key)
        if hit is None:
            hit = all(s.resources is not None and not s.not_resource and all(p.text == "*" for p in s.resources)
                      and s.principals is None and not s.conditions.clauses
                      for s in self._statements(policy, action))
            self._free[key] = hit
        return hit

    def _resource_side(self, caller: Caller, t: _Target, action: str, ctx: Context):
        """Grants of the resource side by kind ('principal' | 'account' | 'everyone' | 'session') as layers."""
        grants: dict[str, _Layer] = {}
        denies: list[_Layer] = []
        blocked_reasons: list[Reason] = []
        owner = t.owner
        b = t.bucket

        def add(kind: str, layer: _Layer):
            if layer.tri is Tri.FALSE:
                return
            cur = grants.get(kind)
            if cur is None:
                grants[kind] = layer
            else:
                _merge_or(cur, layer)

        if t.other is not None:
            self._trust_side(caller, t, action, ctx, add, denies)
            return grants, denies, blocked_reasons

        # Block Public Access in force for this bucket (and access point), merged once per bucket.
        block_key = (owner, t.bucket_name, id(t.access_point))
        block = self._blocks.get(block_key)
        if block is None:
            account = self.index.accounts.get(owner) if owner else None
            levels = [account.public_access_block if account else UNKNOWN]
            if b is not None:
                levels.append(b.public_access_block)
            if t.access_point is not None:
                levels.append(t.access_point.public_access_block)
            block = self._blocks[block_key] = s3sem.effective_block(*levels)

        def policy_grants(doc, layer_name: str, resource: str, restrict: Tri):
            if doc is None:
                return
            if doc is UNKNOWN:
                note = f"the {layer_name.replace('-', ' ')} policy could not be read ({_err(b, t)}); it may allow or deny"
                u = _Layer(Tri.UNKNOWN, [Reason(f"{layer_name} policy of {t.bucket_name}", None, "Unknown", layer_name,
                                               note=note)], [], [note])
                add("principal", u)
                denies.append(_Layer(Tri.UNKNOWN, u.reasons, [], [note]))
                return
            pol = self.compile(doc)
            denies.append(self._evaluate(pol, "Deny", action, resource, ctx, layer_name, caller))
            by_kind = self._evaluate_by_kind(pol, "Allow", action, resource, ctx, layer_name, caller)
            by_kind.pop("", None)
            if not by_kind:
                return
            # RestrictPublicBuckets: a public policy serves only the owner's account and AWS services.
            if restrict is not Tri.FALSE and not caller.is_service and caller.account != owner:
                verdict = s3sem.policy_public(pol, owner or "")
                public = Tri.TRUE if verdict.public else (Tri.UNKNOWN if verdict.public is None else Tri.FALSE)
                blocked = public & restrict
                if blocked is Tri.TRUE:
                    blocked_reasons.append(Reason(
                        "Block Public Access", None, "Block", "block-public-access",
                        note=f"RestrictPublicBuckets is on and the {layer_name} policy is public, so it grants "
                             f"nothing to principals outside account {owner}"))
                    return
                if blocked is Tri.UNKNOWN:
                    for layer in by_kind.values():
                        layer.tri = layer.tri & Tri.UNKNOWN
                        layer.assumptions.append("whether Block Public Access (RestrictPublicBuckets) cuts this "
                                                 "grant is unknown")
            for kind, layer in by_kind.items():
                add(kind, layer)

        restrict = block["restrict_public_buckets"]
        if b is None and t.bucket_name is not None:
            unknown = _Layer(Tri.UNKNOWN, [Reason(f"bucket {t.bucket_name}", None, "Unknown", "resource",
                                                  note=t.note)], [], [])
            add("principal", unknown)
            denies.append(_Layer(Tri.UNKNOWN, unknown.reasons))
        if t.access_point is not None:
            policy_grants(t.access_point.policy, "access-point", t.resource, restrict)
            # A request through an access point must be allowed by the access point policy AND the bucket
            # policy (which usually delegates to access points of the owner's account).
        if b is not None:
            policy_grants(b.policy, "bucket", t.bucket_resource, restrict)
            self._acl_grants(caller, b, action, block, add, blocked_reasons)
        return grants, denies, blocked_reasons

    def _trust_side(self, caller: Caller, t: _Target, action: str, ctx: Context, add, denies: list) -> None:
        """The resource side of a non-S3 target: a role's trust policy for STS actions, else nothing."""
        other = t.other
        if not iam_targets.uses_trust_policy(other, action):
            return
        if other.trust is UNKNOWN:
            note = other.note or f"the trust policy of {other.role_arn} is unknown"
            u = _Layer(Tri.UNKNOWN, [Reason(f"trust policy of {other.role_arn}", None, "Unknown", "trust", note=note)],
                       [], [note])
            add("principal", u)
            denies.append(_Layer(Tri.UNKNOWN, u.reasons, [], [note]))
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
            add("account", _Layer(Tri.UNKNOWN, [Reason(f"ACL of {b.name}", None, "Unknown", "acl", note=note)],
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
                    ignore = block["ignore_public_acls"]
                    if ignore is Tri.TRUE:
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
                    add("account", _Layer(Tri.UNKNOWN, [Reason(f"ACL of {b.name}", _grant_label(g), "Grant", "acl", g.pointer,
                                                               note=note)], [], [note]))
            elif g.grantee_type == "AmazonCustomerByEmail" and not caller.is_anonymous:
                note = f"ACL of {b.name} grants {g.permission} to an e-mail grantee whose account is unknown"
                add("account", _Layer(Tri.UNKNOWN, [Reason(f"ACL of {b.name}", _grant_label(g), "Grant", "acl", g.pointer, note=note)],
                                      [], [note]))
            if kind is None:
                continue
            tri = Tri.TRUE
            notes = []
            if enabled is UNKNOWN:
                tri = Tri.UNKNOWN
                notes.append(f"Object Ownership of {b.name} is unknown; the ACL may be in force")
            if kind == "everyone" and block["ignore_public_acls"] is Tri.UNKNOWN:
                tri = tri & Tri.UNKNOWN
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
                return _Layer(Tri.TRUE, [], [], []), None, None, None
            return _Layer(Tri.TRUE, [Reason(f"root user of {caller.account}", None, "Allow", "identity",
                                            note="the account root user has every permission in its own account")]), \
                None, None, None
        if caller.entity is None:
            note = caller.note or "the principal's identity policies are unknown"
            return _Layer(Tri.TRUE, [Reason(caller.label, None, "Allow", "identity",
                                            note="assumed: " + note)], [], [f"assumed allowed by identity "
                                                                             f"policies: {note}"]), None, None, None
        policies, missing, boundary = self._identity(caller)
        allow = _Layer(Tri.FALSE)
        deny = _Layer(Tri.FALSE)
        for p in policies:
            _merge_or(deny, self._evaluate(p, "Deny", action, resource, ctx, "identity"))
            _merge_or(allow, self._evaluate(p, "Allow", action, resource, ctx, "identity"))
        for arn in missing:
            if arn == getattr(caller.entity, "boundary", None):
                continue
            note = f"managed policy {arn} attached to {caller.arn} is not in the snapshot; it may allow or deny"
            _merge_or(allow, _Layer(Tri.UNKNOWN, [Reason(arn, None, "Unknown", "identity", note=note)], [], [note]))
            _merge_or(deny, _Layer(Tri.UNKNOWN, [Reason(arn, None, "Unknown", "identity", note=note)], [], [note]))
        if allow.tri is Tri.FALSE:
            allow.reasons = [Reason(f"identity policies of {caller.arn}", None, "ImplicitDeny", "identity",
                                    note="no identity policy allows the action on this resource")]
        b_allow = b_deny = None
        if boundary is UNKNOWN:
            note = f"permissions boundary {caller.entity.boundary} of {caller.arn} is not in the snapshot"
            b_allow = _Layer(Tri.UNKNOWN, [Reason(caller.entity.boundary, None, "Unknown", "boundary", note=note)], [],
                             [note])
        elif boundary is not None:
            b_deny = self._evaluate(boundary, "Deny", action, resource, ctx, "boundary")
            b_allow = self._evaluate(boundary, "Allow", action, resource, ctx, "boundary")
            if b_allow.tri is Tri.FALSE:
                b_allow.reasons = [Reason(_src(boundary), None, "ImplicitDeny", "boundary",
                                          note="the permissions boundary does not allow the action")]
        return allow, deny, b_allow, b_deny

    def _combine(self, caller: Caller, same_account: bool, t: _Target, identity, boundary, grants,
                 explicit: bool = False):
        """Identity and resource sides together, by AWS's same-account and cross-account rules.

        ``explicit``: the resource policy must allow the caller even within its account (a role's trust
        policy); naming the account then delegates to the identity policies."""
        used: set[str] = set()
        none = _Layer(Tri.FALSE)
        # A grant naming the principal itself (or everyone) needs no identity policy within the account;
        # naming the account (or its canonical id) delegates to the account's own IAM policies.
        specific = _Layer(Tri.FALSE)
        for k in ("principal", "session", "everyone"):
            if k in grants:
                _merge_or(specific, grants[k])
        delegated = grants.get("account", none)
        resource_any = _Layer(Tri.FALSE)
        _merge_or(resource_any, specific)
        _merge_or(resource_any, delegated)

        if not caller.has_identity:
            out = resource_any
            if out.tri is Tri.FALSE:
                out.reasons = [Reason(f"resource policies of {t.label}", None, "ImplicitDeny", "resource",
                                      note="nothing on the resource side grants this caller the action")]
            else:
                used.add("resource")
            return out, used

        id_side = _Layer(Tri.FALSE) if identity is None else identity
        if boundary is not None:
            gated = _Layer(id_side.tri, id_side.reasons, id_side.residuals, id_side.assumptions)
            _merge_and(gated, boundary)
        else:
            gated = id_side
        if same_account:
            # Boundaries do not limit a same-account resource policy that names the user or the session;
            # they do limit one that names the role (IAM permissions boundaries, "Evaluating effective
            # permissions with boundaries").
            out = _Layer(Tri.FALSE)
            if explicit:
                # The identity side counts only where the trust policy names the account.
                via_account = _Layer(gated.tri, gated.reasons, gated.residuals, gated.assumptions)
                _merge_and(via_account, delegated if delegated is not none else _Layer(Tri.FALSE))
                _merge_or(out, via_account)
                if via_account.tri is not Tri.FALSE:
                    used |= {"identity", "resource"}
            else:
                _merge_or(out, gated)
                if gated.tri is not Tri.FALSE:
                    used.add("identity")
            direct = _Layer(Tri.FALSE)
            for k in ("principal", "everyone", "session"):
                if k not in grants:
                    continue
                g = grants[k]
                if boundary is not None and caller.kind == "role" and k != "session":
                    g2 = _Layer(g.tri, g.reasons, g.residuals, g.assumptions)
                    _merge_and(g2, boundary)
                    g = g2
                _merge_or(direct, g)
            if direct.tri is not Tri.FALSE:
                used.add("resource")
            _merge_or(out, direct)
            if out.tri is Tri.FALSE:
                out.reasons = list(gated.reasons)
                if t.other is None or explicit:  # a resource that has a resource policy
                    out.reasons.append(Reason(f"resource policies of {t.label}", None, "ImplicitDeny", "resource",
                                              note="no resource policy grants this principal"))
            return out, used
        # Cross-account: both sides must allow.
        out = _Layer(gated.tri, gated.reasons, gated.residuals, gated.assumptions)
        if resource_any.tri is Tri.FALSE:
            resource_any.reasons = [Reason(f"resource policies of {t.label}", None, "ImplicitDeny", "resource",
                                           note=f"cross-account access needs the resource side to grant account "
                                                f"{caller.account} or the principal, and nothing does")]
        _merge_and(out, resource_any)
        if out.tri is not Tri.FALSE:
            used |= {"identity", "resource"}
        return out, used


@lru_cache(maxsize=4096)
def _absent_s3_keys(action: str) -> tuple[str, ...]:
    """S3 condition keys that a request for this S3 action never carries."""
    info = universe().get(action)
    if info is None or not action.lower().startswith("s3:"):
        return ()
    s3keys = universe().service_condition_keys.get("s3", frozenset())
    ap_keys = {fold(x) for x in _ACCESS_POINT_KEYS}
    return tuple(sorted(k for k in s3keys if not ("<" in k or "${" in k or k in info.condition_keys or k in ap_keys
                                                  or k == "s3:resourceaccount")))


def _err(b: Bucket | None, t: _Target) -> str:
    errors = dict(b.errors) if b is not None else {}
    if t.access_point is not None:
        errors.update(t.access_point.errors)
    return ", ".join(f"{k}: {v}" for k, v in errors.items()) or "not recorded"


def _principal_match(s: Statement, caller: Caller, canonical: Mapping[str, str]) -> str | None:
    """How a resource-policy statement's Principal covers the caller: 'everyone', 'account',
    'principal', 'session', or None when it does not."""
    hit = None
    for e in s.principals or ():
        k = _entry_match(e, caller, canonical)
        if k is not None:
            hit = k if hit is None or _RANK[k] > _RANK[hit] else hit
    if s.not_principal:
        # NotPrincipal: everyone except those listed (anonymous callers included).
        return None if hit is not None else "everyone"
    return hit


_RANK = {"account": 0, "everyone": 1, "principal": 2, "session": 3}


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
        return "principal" if caller.arn and e.pattern.matches(caller.arn) is Tri.TRUE else None
    if e.is_account:
        return "account" if e.account == caller.account else None
    v = e.value
    if caller.session_arn is not None and v == caller.session_arn:
        return "session"
    if caller.arn is not None and v == caller.arn:
        return "principal"
    return None


def _merge_or(into: _Layer, other: _Layer) -> None:
    if other is None or (other.tri is Tri.FALSE and not other.assumptions):
        return
    if other.tri is Tri.FALSE:
        into.assumptions.extend(a for a in other.assumptions if a not in into.assumptions)
        return
    if other.tri is Tri.TRUE and into.tri is not Tri.TRUE:
        into.reasons = list(other.reasons)
        into.residuals = []
    elif other.tri is Tri.TRUE:
        into.reasons.extend(other.reasons)
    elif into.tri is not Tri.TRUE:
        into.reasons.extend(other.reasons)
        into.residuals.extend(other.residuals)
    into.tri = into.tri | other.tri
    into.assumptions.extend(a for a in other.assumptions if a not in into.assumptions)


def _merge_and(into: _Layer, other: _Layer) -> None:
    if other is None:
        return
    if other.tri is Tri.FALSE and into.tri is not Tri.FALSE:
        into.reasons = list(other.reasons)
        into.residuals = []
    elif into.tri is Tri.FALSE:
        pass
    else:
        into.reasons.extend(other.reasons)
        into.residuals.extend(other.residuals)
    into.tri = into.tri & other.tri
    into.assumptions.extend(a for a in other.assumptions if a not in into.assumptions)


def _dedupe(items):
    seen = set()
    out = []
    for x in items:
        try:
            key = (0, x)
            hash(key)
        except TypeError:  # a Residual holds dicts: compare those by their text
            key = (1, repr(x))
        if key not in seen:
            seen.add(key)
            out.append(x)
    return out


def _grant_label(g) -> str:
    return f"grant #{g.pointer.rsplit('/', 1)[-1]}"
