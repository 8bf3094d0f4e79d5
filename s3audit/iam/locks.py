"""The other locks on an S3 request: the KMS key its objects are encrypted under, and the VPC endpoint it comes
through. Each is a separate authorization of the same principal, joined with the decision of the request's
policies: every one must allow, and an explicit Deny in any decides.

- **The key.** S3 completes a read of an object encrypted with SSE-KMS by asking KMS to decrypt its data key
  for the caller (a forward access session), and a write by asking for a new data key: ``kms.py`` says which
  operations each S3 action needs and what that KMS request carries. The engine decides those KMS requests
  like any other (key policy, grants, IAM policies, SCPs, RCPs) and this module joins them: the answer names
  the key and what allowed or denied its use (``layer: kms``). Objects are taken to be encrypted under the
  bucket's default key; an object written under another key (a request may name its own, or SSE-S3) is
  decided by that key, which the answer says when the key decides it — unless the bucket policy makes every
  write name the default key (``s3:x-amz-server-side-encryption-aws-kms-key-id``)
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html). KMS accepts only
  signed requests, so an object SSE-KMS encrypts is never readable anonymously, and only over TLS.
- **The VPC endpoint.** A request that comes through a VPC endpoint must also be allowed by the endpoint's
  policy, which grants nothing of its own (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).
  When the request names the endpoint (``aws:SourceVpce``) and the snapshot knows it, its policy is
  evaluated. When a conditional answer still depends on ``aws:SourceVpce``, every way the request can arrive
  is tried: without an endpoint, through each endpoint the conditions name that the snapshot knows, and
  through any other; if every way is denied, so is the request (a bucket reachable only through an endpoint
  that admits only the organization is closed to everyone else). The conditions that name a known endpoint
  say what it admits.
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Mapping

from ..snapshot.endpoints import serves
from ..snapshot.kms import KeyUse
from ..snapshot.model import UNKNOWN, Bucket, PolicyDocument, VpcEndpoint
from . import kms
from .context import context_key
from .decision import ALLOW, CONDITIONAL, DENY, Decision, Reason, Residual
from .evaluation import _dedupe
from .logic import Tri
from .wording import endpoint_admits, endpoint_phrase

if TYPE_CHECKING:
    from .engine import Engine
    from .targets import Target

_TRUE, _FALSE, _UNKNOWN = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN
SOURCE_VPCE = "aws:sourcevpce"
# Stands for "an endpoint no condition names": a VPC endpoint id no policy can be written with.
OTHER_ENDPOINT = "vpce-0000000000000000"
_ENFORCING_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
_ENDPOINT_KEYS = frozenset(k.lower() for k in kms.ENDPOINT_KEYS)


class Locks:
    """Joins an engine's decisions on S3 requests with the KMS and VPC endpoint authorizations they need, memoised
    by the decisions joined (decisions are shared by the requests they answer)."""

    def __init__(self, engine: "Engine"):
        # A weak reference: a cycle engine <-> locks would keep every memo of the engine alive until a full
        # garbage collection (at exit of `explain --requests`: +25% CPU on the demo estate).
        self.engine = weakref.proxy(engine)
        self.endpoints: dict[str, VpcEndpoint] = {e.id: e for a in engine.snapshot.accounts for e in a.vpc_endpoints}
        self._joined: dict[tuple, tuple] = {}
        self._endpoint_memo: dict[tuple, Decision | None] = {}
        self._through: dict[tuple, Decision] = {}
        self._enforced: dict[str, tuple[str, ...]] = {}
        self._described: dict[str, str] = {}
        self._residual_vpce: dict[int, tuple] = {}

    def forget(self) -> None:
        for memo in (self._joined, self._endpoint_memo, self._through, self._residual_vpce):
            memo.clear()

    def key_of(self, t: "Target") -> KeyUse | None:
        """The key new objects of the target's bucket are encrypted under (SSE-KMS), or None."""
        if t.other is not None or t.bucket is None:
            return None
        return self.engine.keys.bucket_key(t.bucket)

    # ---- the join ----
    def apply(self, d: Decision, principal: str, action: str, resource: str, context: Mapping[str, Any],
              t: "Target") -> Decision:
        """``d``, the decision of a request's policies, joined with the other locks the request must pass."""
        if d.decision == DENY:
            return d
        engine = self.engine
        action_l = action.lower()
        endpoint_id, vpce_fixed = self._endpoint_named(context) if context else (None, False)
        parts = [d]
        if endpoint_id is not None:
            de = self.endpoint_decision(principal, action_l, resource, context, endpoint_id, t)
            if de is not None:
                parts.append(de)
        use = t.kms
        if use is not None and t.key is not None:
            ops = kms.S3_KMS_OPERATIONS.get(action_l)
            if ops:
                parts.append(self.key_decision(principal, action_l, context, t, use, ops))
        out = parts[0] if len(parts) == 1 else self.join(parts)
        if out.decision == CONDITIONAL and self.endpoints and not vpce_fixed:
            out = self.through_endpoints(out, principal, action, resource, context)
        return out

    def join(self, parts: list[Decision]) -> Decision:
        """All of ``parts`` must allow: the conjunction, with every part's reasons and residuals (a denied part's
        reasons alone when one denies)."""
        key = tuple(id(p) for p in parts)
        hit = self._joined.get(key)
        if hit is not None:
            return hit[0]
        denied = [p for p in parts if p.decision == DENY]
        assumptions = tuple(dict.fromkeys(a for p in parts for a in p.assumptions))
        if denied:
            out = Decision(DENY, tuple(_dedupe([r for p in denied for r in p.reasons])), (), assumptions)
        else:
            decision = ALLOW if all(p.decision == ALLOW for p in parts) else CONDITIONAL
            grants = frozenset().union(*(p.grants for p in parts))
            out = Decision(decision, tuple(_dedupe([r for p in parts for r in p.reasons])),
                           tuple(_dedupe([c for p in parts for c in p.conditions])), assumptions, grants)
        self._joined[key] = (out, parts)  # the parts stay alive while their ids key the memo
        return out

    # ---- the key ----
    def key_decision(self, principal: str, action: str, context: Mapping[str, Any], t: "Target", use: KeyUse,
                     ops: tuple[str, ...]) -> Decision:
        """Whether the principal may use the bucket's key as the S3 request needs (``kms.S3_KMS_OPERATIONS``;
        ``kms.S3_KMS_SOMETIMES`` for what only some of its requests need), as one decision of layer ``kms``."""
        engine = self.engine
        b = t.bucket
        caller = engine.caller(principal)
        object_arn = t.bucket_resource
        fas = kms.s3_request_context(caller.account, b.region, b.arn, object_arn, kms.bucket_key_enabled(b.encryption))
        kms_context = {**{k: v for k, v in (context or {}).items() if k.lower() not in _ENDPOINT_KEYS}, **fas}
        key_arn = use.arn
        needed = [(op, engine.decide_parts(principal, op, key_arn, kms_context)) for op in ops]
        sometimes = [(op, why, engine.decide_parts(principal, op, key_arn, kms_context))
                     for op, why in kms.S3_KMS_SOMETIMES.get(action, ())]
        if caller.is_anonymous:
            note = "KMS accepts only signed requests: an object encrypted with SSE-KMS cannot be read or written " \
                   "anonymously"
            needed.append(("kms", Decision(DENY, (Reason(f"KMS key {self._label(use)}", None, "ImplicitDeny", "kms",
                                                         note=note),), (), ())))
        return self._key_summary(use, b, action, needed, sometimes)

    def _key_summary(self, use: KeyUse, b: Bucket, action: str, needed: list, sometimes: list) -> Decision:
        key = tuple(id(d) for _, d in needed) + tuple(id(d) for _, _, d in sometimes) + (use.arn, b.name, action)
        hit = self._joined.get(key)
        if hit is not None:
            return hit[0]
        label = self._label(use)
        ops = " and ".join(op for op, _ in needed if op != "kms")
        verb = "writing" if action == "s3:putobject" else "reading"
        header = f"{verb} objects of {b.name} (SSE-KMS) needs {ops} on it"
        decided = [d for _, d in needed]
        denied = [d for d in decided if d.decision == DENY]
        assumptions = list(dict.fromkeys(a for d in decided for a in d.assumptions))
        residuals: list[Residual] = []
        reasons: list[Reason] = []
        if denied:
            decision = DENY
            reasons.append(Reason(f"KMS key {label}", None, "ImplicitDeny", "kms", _pointer(use), note=header +
                                  ", which is denied"))
            reasons += [_kms_reason(r) for d in denied for r in d.reasons]
            assumptions.append(self._key_assumption(use, b))
        else:
            decision = ALLOW if all(d.decision == ALLOW for d in decided) else CONDITIONAL
            granted = sorted(dict.fromkeys(_granting(r) for d in decided for r in d.reasons
                                           if r.effect in ("Allow", "Grant") and r.layer not in ("scp", "rcp")),
                             key=lambda g: not g.startswith(("key policy", "grant ")))  # the key's own first
            note = header + (f": granted by {'; '.join(granted)}" if granted else "")
            reasons.append(Reason(f"KMS key {label}", None, "Allow" if decision == ALLOW else "Unknown", "kms",
                                  _pointer(use), note=note))
            for d in decided:
                # the guard rails' allows (FullAWSAccess) are said by the S3 request's own reasons
                reasons += [_kms_reason(r) for r in d.reasons if not (r.layer in ("scp", "rcp") and r.effect == "Allow")]
                residuals += d.conditions
            for op, why, d in sometimes:
                if d.decision == ALLOW:
                    continue
                if d.decision == DENY:
                    note = f"only in a single request: {why} also need {op} on {label}, which is denied"
                else:
                    note = f"{why} also need {op} on {label}, which may be possible: " + \
                        "; ".join(c.to_json()["explanation"] for c in d.conditions)
                residuals.append(Residual("Allow", f"KMS key {label}", f"{op} for multipart uploads",
                                          ({"note": note},)))
                decision = CONDITIONAL
            if decision != ALLOW:
                assumptions.append(self._key_assumption(use, b))
        if use.note:
            assumptions.append(use.note)
        out = Decision(decision, tuple(_dedupe(reasons)), tuple(_dedupe(residuals)), tuple(dict.fromkeys(assumptions)))
        self._joined[key] = (out, decided + [d for _, _, d in sometimes])
        return out

    def _label(self, use: KeyUse) -> str:
        return use.key.label if use.key is not None and use.key.origin is None else use.arn

    def _key_assumption(self, use: KeyUse, b: Bucket) -> str:
        """The assumption a decision by the key rests on: objects are under the bucket's default key."""
        label = self._label(use)
        enforced = self._enforcing_statements(b)
        if enforced:
            return (f"objects of {b.name} are taken to be encrypted under its default KMS key {label}; its bucket "
                    f"policy makes every upload name that key (statement {', '.join(enforced)}), so objects written "
                    "since are")
        return (f"objects of {b.name} are taken to be encrypted under its default KMS key {label}; an object "
                "written under another key (an upload may name one, or SSE-S3) is decided by that key, and the "
                "bucket policy does not make uploads name this one (s3:x-amz-server-side-encryption-aws-kms-key-id)")

    def _enforcing_statements(self, b: Bucket) -> tuple[str, ...]:
        """The bucket policy's statements that deny uploads not naming a KMS key (by the key-id condition key)."""
        hit = self._enforced.get(b.name)
        if hit is None:
            hit = ()
            if isinstance(b.policy, PolicyDocument):
                pol = self.engine.compile(b.policy)
                hit = tuple(s.label for s in pol.statements if s.effect == "Deny" and s.actions.matches("s3:putobject")
                            and _ENFORCING_KEY in {k.lower() for k in s.conditions.keys})
            self._enforced[b.name] = hit
        return hit

    # ---- the VPC endpoint ----
    def _endpoint_named(self, context: Mapping[str, Any]) -> tuple[str | None, bool]:
        """(the one endpoint id the request's context names in aws:SourceVpce, whether the context fixes
        aws:SourceVpce at all)."""
        for k, v in context.items():
            if k.lower() == SOURCE_VPCE:
                if isinstance(v, str):
                    return v, True
                if isinstance(v, (list, tuple)) and len(v) == 1 and isinstance(v[0], str):
                    return v[0], True
                return None, True
        return None, False

    def endpoint_decision(self, principal: str, action: str, resource: str, context: Mapping[str, Any],
                          endpoint_id: str, t: "Target") -> Decision | None:
        """What the endpoint's policy says of the request (None: the snapshot does not know the endpoint, it
        has the default policy, full access, or it is another service's endpoint, ``endpoints.serves``)."""
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None or endpoint.policy is None or not serves(endpoint, action):
            return None
        key = (endpoint_id, principal, action, resource, context_key(context))
        if key in self._endpoint_memo:
            return self._endpoint_memo[key]
        engine = self.engine
        source = f"VPC endpoint policy of {endpoint_id}"
        if endpoint.policy is UNKNOWN:
            note = f"the policy of VPC endpoint {endpoint_id} could not be read; it may deny this request"
            out = Decision(CONDITIONAL, (Reason(source, None, "Unknown", "vpc-endpoint", endpoint.pointer,
                                                note=note),), (), (note,))
        else:
            caller = engine.caller(principal)
            ctx = engine._context(caller, t, action, context)
            pol = engine.compile(endpoint.policy)
            deny = engine._evaluate(pol, "Deny", action, resource, ctx, "vpc-endpoint", caller)
            allow = engine._evaluate(pol, "Allow", action, resource, ctx, "vpc-endpoint", caller)
            tri = (~deny.tri) & allow.tri
            if tri is _FALSE:
                reasons = deny.reasons if deny.tri is _TRUE else [Reason(
                    source, None, "ImplicitDeny", "vpc-endpoint", endpoint.pointer,
                    note="the request comes through the endpoint, and its policy does not allow it")]
                out = Decision(DENY, tuple(reasons), (), tuple(allow.assumptions))
            else:
                residuals = (allow.residuals if allow.tri is _UNKNOWN else []) + \
                    (deny.residuals if deny.tri is _UNKNOWN else [])
                out = Decision(ALLOW if tri is _TRUE else CONDITIONAL,
                               tuple(_dedupe(allow.reasons + (deny.reasons if deny.tri is _UNKNOWN else []))),
                               tuple(_dedupe(residuals)), tuple(dict.fromkeys(allow.assumptions + deny.assumptions)))
        if len(self._endpoint_memo) > engine.memo_limit:
            self._endpoint_memo.clear()
        self._endpoint_memo[key] = out
        return out

    def through_endpoints(self, d: Decision, principal: str, action: str, resource: str,
                          context: Mapping[str, Any]) -> Decision:
        """A conditional answer that depends on aws:SourceVpce, tried every way the request can arrive (module
        docstring); its conditions that name a known endpoint say what the endpoint admits."""
        named = self._vpce_values(d)
        if not named:
            return d
        key = (id(d), principal, action, resource, context_key(context) if context else ())
        hit = self._through.get(key)
        if hit is not None:
            return hit[0]
        known = [v for v in named if v in self.endpoints]
        out = d
        if known:
            ways = [None, *known, OTHER_ENDPOINT]
            decided = [self.engine.decide_parts(principal, action, resource, {**(context or {}), "aws:SourceVpce": way})
                       for way in ways]
            if all(x.decision == DENY for x in decided):
                note = ("every way the request can arrive is denied: without a VPC endpoint, through "
                        + ", ".join(known) + " and through any other endpoint")
                reasons = [Reason("VPC endpoints", None, "ImplicitDeny", "vpc-endpoint", note=note)]
                reasons += [r for x in decided for r in x.reasons]
                out = Decision(DENY, tuple(_dedupe(reasons)), (),
                               tuple(dict.fromkeys(a for x in decided for a in x.assumptions)))
        if out is d and known:
            out = Decision(d.decision, d.reasons, tuple(self._described_residual(c) for c in d.conditions),
                           d.assumptions, d.grants)
        if len(self._through) > self.engine.memo_limit:
            self._through.clear()
        self._through[key] = (out, d)
        return out

    def _vpce_values(self, d: Decision) -> tuple[str, ...]:
        """The endpoint ids that the decision's residual conditions on aws:SourceVpce name (literal values)."""
        hit = self._residual_vpce.get(id(d))
        if hit is None or hit[0] is not d:
            values: list[str] = []
            for c in d.conditions:
                for clause in c.conditions:
                    if str(clause.get("key", "")).lower() == SOURCE_VPCE:
                        values += [str(v) for v in clause.get("values") or () if "*" not in str(v) and "?" not in str(v)]
            hit = self._residual_vpce[id(d)] = (d, tuple(dict.fromkeys(values)))
        return hit[1]

    def _described_residual(self, c: Residual) -> Residual:
        """A residual whose clauses name known endpoints, its explanation saying what each admits."""
        notes = [self.describe_endpoint(self.endpoints[v]) for clause in c.conditions
                 if str(clause.get("key", "")).lower() == SOURCE_VPCE
                 for v in clause.get("values") or () if v in self.endpoints]
        if not notes:
            return c
        return Residual(c.effect, c.source, c.statement, c.conditions,
                        tuple(dict.fromkeys((*c.notes, *notes))))

    def describe_endpoint(self, e: VpcEndpoint) -> str:
        """``vpce-1 is a Gateway endpoint of VPC vpc-1 in account A; its policy admits ...`` (wording.py)."""
        hit = self._described.get(e.id)
        if hit is None:
            if e.policy is None:
                admits = "anyone (no endpoint policy: AWS's default, full access)"
            elif e.policy is UNKNOWN:
                admits = None
            else:
                admits = endpoint_admits(e.policy.document)
            hit = self._described[e.id] = endpoint_phrase(e.id, e.type, e.vpc, e.account, admits)
        return hit


def _pointer(use: KeyUse) -> str | None:
    return use.key.pointer if use.key is not None and use.key.pointer else None


def _granting(r: Reason) -> str:
    """``the key policy statement X`` / ``identity policy P of R statement S`` / ``grant G of K``."""
    if r.statement is None:
        return r.source
    return f"{r.source} statement {r.statement}"


def _kms_reason(r: Reason) -> Reason:
    """A reason of the KMS decision, placed in the kms layer (its source still names the policy)."""
    return Reason(r.source, r.statement, r.effect, "kms", r.pointer, r.note)


__all__ = ["Locks", "OTHER_ENDPOINT"]
