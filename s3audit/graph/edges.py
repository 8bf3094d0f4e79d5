"""Edge attributes from the engine's decisions: what several decisions contribute to one edge.

Both stages of the build (``build.py``) make their edges with these, so every edge kind carries the same
``decision``, ``actions``, ``conditions``, ``reasons``, ``assumptions`` and ``requests``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from ..iam.actions import universe
from ..iam.decision import ALLOW, CONDITIONAL, Decision

_GRANT_LAYERS = {"identity": "identity-policy", "bucket": "bucket-policy", "access-point": "access-point-policy",
                 "acl": "acl", "trust": "trust-policy"}


def dedupe(items: Iterable) -> tuple:
    """Items in first-seen order without repeats (hashable ones by value, others by their text)."""
    items = list(items)
    try:
        return tuple(dict.fromkeys(items))  # all hashable (the usual case): the same, in C
    except TypeError:
        return _dedupe_mixed(items)


def _dedupe_mixed(items: list) -> tuple:
    """``dedupe`` of items some of which cannot be hashed (compared by their text)."""
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
                self.requests.append((canonical_action(action), resource, tuple(sorted((context or {}).items()))))
        self.reasons.extend(d.reasons)
        self.conditions.extend(d.conditions)
        self.assumptions.extend(d.assumptions)
        if d.decision == CONDITIONAL:
            self.decision = CONDITIONAL

    def attrs(self, kind: str, **extra) -> dict:
        out = {"kind": kind, "decision": self.decision,
               "actions": tuple(sorted(canonical_action(a) for a in self.actions)),
               "conditions": dedupe(self.conditions), "reasons": dedupe(self.reasons),
               "assumptions": tuple(dict.fromkeys(self.assumptions)), **extra}
        if self.requests:
            out["requests"] = tuple(dict.fromkeys(self.requests))
        return out


@lru_cache(maxsize=4096)
def canonical_action(action: str) -> str:
    """The action as AWS spells it (``s3:GetObject`` for ``s3:getobject``), when it is known."""
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


def proxy_note(text: str) -> str:
    """An assumption of a decision made for AUTHENTICATED_PROXY, restated for "any authenticated principal"."""
    return text.replace("account 000000000000 is outside the snapshot; its identity policies are unknown",
                        "any authenticated AWS principal: its own account's policies are assumed to allow")
