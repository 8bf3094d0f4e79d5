"""Three-valued logic for partial evaluation: a condition is true, false, or unknown until the request is seen."""
from __future__ import annotations

import enum
from typing import Iterable


class Tri(enum.Enum):
    FALSE = 0
    UNKNOWN = 1
    TRUE = 2

    def __bool__(self) -> bool:  # a Tri is never silently a bool: UNKNOWN must be handled explicitly
        raise TypeError("Tri has no truth value; compare with Tri.TRUE / Tri.FALSE / Tri.UNKNOWN")

    def __invert__(self) -> "Tri":
        return _NOT[self]

    def __and__(self, other: "Tri") -> "Tri":
        return self if self.value <= other.value else other

    def __or__(self, other: "Tri") -> "Tri":
        return self if self.value >= other.value else other

    @staticmethod
    def of(value: bool) -> "Tri":
        return Tri.TRUE if value else Tri.FALSE


_NOT = {Tri.FALSE: Tri.TRUE, Tri.TRUE: Tri.FALSE, Tri.UNKNOWN: Tri.UNKNOWN}


def all_of(values: Iterable[Tri]) -> Tri:
    """Kleene AND; TRUE for an empty sequence."""
    out = Tri.TRUE
    for v in values:
        if v is Tri.FALSE:
            return v
        out = out & v
    return out


def any_of(values: Iterable[Tri]) -> Tri:
    """Kleene OR; FALSE for an empty sequence."""
    out = Tri.FALSE
    for v in values:
        if v is Tri.TRUE:
            return v
        out = out | v
    return out
