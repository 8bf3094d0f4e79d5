"""Values of the rule language at run time, and the two ways a value can be missing.

- A Python ``str``, ``int``/``float``, ``bool``, ``tuple`` (a list), ``frozenset`` (a set), ``dict`` (a map),
  a duration (``Duration``, seconds), a record view (``records.py``) or a principal selector
  (``builtins.Selector``).
- ``None``: *absent* — something that is not configured (the KMS key of a bucket encrypted with AES256).
  `present(x)` is false, `==` false, `!=` true, ordering false, a quantifier sees an empty collection.
- ``Unknown``: a value s3audit could not read (an API call that failed, a policy it could not fetch, an
  engine answer that hangs on such a value). It carries what was missing, it spreads through every
  operation that needs it, and a rule whose answer is unknown yields a finding with status `unknown`,
  never a silent pass.
"""
from __future__ import annotations

from typing import Any, Iterable


class Unknown:
    """A value that could not be known, with what was missing (one sentence each)."""

    __slots__ = ("reasons",)

    def __init__(self, reasons: Iterable[str] = ()):
        self.reasons = tuple(dict.fromkeys(reasons))

    def __repr__(self) -> str:
        return f"Unknown({list(self.reasons)!r})"

    def __bool__(self) -> bool:  # a rule must never branch on an unknown by accident
        raise TypeError("an unknown value has no truth value")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.reasons == self.reasons

    def __hash__(self) -> int:
        return hash(self.reasons)


def unknown(*values: Any) -> Unknown:
    """One Unknown holding the reasons of every Unknown among ``values``."""
    reasons: list[str] = []
    for v in values:
        if type(v) is Unknown:
            reasons.extend(v.reasons)
    return Unknown(reasons)


def is_unknown(v: Any) -> bool:
    return type(v) is Unknown


class Duration(int):
    """A duration in seconds (an ``int``, so it compares and adds as one)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Duration({format_duration(self)})"

    def __add__(self, other):  # keep the type through arithmetic
        return Duration(int(self) + int(other))

    def __sub__(self, other):
        return Duration(int(self) - int(other))


DAY = 86400


def days(n: float | int | None) -> Duration | None:
    if n is None:
        return None
    return Duration(int(round(float(n) * DAY)))


def format_duration(seconds: int) -> str:
    s = int(seconds)
    if s % DAY == 0:
        return f"{s // DAY}d"
    if s % 3600 == 0:
        return f"{s // 3600}h"
    return f"{s}s"


_DURATION_UNITS = {"h": 3600, "d": DAY, "w": 7 * DAY, "y": 365 * DAY}


def parse_duration(text: str) -> Duration | None:
    """`30d`, `12h`, `2w`, `1y` as the language writes them; None if malformed."""
    t = text.strip()
    if len(t) >= 2 and t[-1] in _DURATION_UNITS and t[:-1].isdigit():
        return Duration(int(t[:-1]) * _DURATION_UNITS[t[-1]])
    return None
