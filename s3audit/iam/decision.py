"""What the engine answers: a request, and the decision on it with its reasons, residual conditions and
assumptions (``Decision.to_json`` is the JSON that ``explain`` prints and the frozen digests hash)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Mapping

from .wording import residual_json

ALLOW, DENY, CONDITIONAL = "allow", "deny", "conditional"


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
    # what the explanation adds about the conditions' values (what a VPC endpoint they name admits)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """The machine form and, beside it, the conditions in words (``explanation``; ``met_by_construction``
        for the bucket's own TLS-only deny): see ``wording``."""
        out = dict(self._plain)
        out["conditions"] = list(self.conditions)
        return out

    @cached_property
    def _plain(self) -> dict:
        out = residual_json(self.effect, self.source, self.statement, self.conditions)
        if self.notes:
            out["explanation"] = "; ".join((out["explanation"], *self.notes))
        return out

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
