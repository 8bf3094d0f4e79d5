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

    # Kleene connectives by identity of the three members (enum attribute and hash lookups are slow,
    # and these run for every statement of every decision).
    def __invert__(self) -> "Tri":
        return _FALSE if self is _TRUE else _TRUE if self is _FALSE else self

    def __and__(self, other: "Tri") -> "Tri":
        if self is other or other is _TRUE:
            return self
        return _FALSE if self is _FALSE or other is _FALSE else other if self is _TRUE else _UNKNOWN

    def __or__(self, other: "Tri") -> "Tri":
        if self is other or other is _FALSE:
            return self
        return _TRUE if self is _TRUE or other is _TRUE else other if self is _FALSE else _UNKNOWN

    @staticmethod
    def of(value: bool) -> "Tri":
        return Tri.TRUE if value else Tri.FALSE


_FALSE, _UNKNOWN, _TRUE = Tri.FALSE, Tri.UNKNOWN, Tri.TRUE


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
