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

from collections.abc import Mapping  # not typing.Mapping: its isinstance is several times slower
from typing import Any, Iterable

from . import types as T


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


class Shown:
    """A value that says how a message shows it: record views (``records.py``) and principal selectors
    (``builtins.Selector``). ``render_value`` asks it, so this module needs neither of them."""

    __slots__ = ()

    def display(self) -> str:
        raise NotImplementedError


def render_value(v: Any, t: T.Type | None = None) -> str:
    """A value as a message shows it."""
    if v is None:
        return "none"
    if is_unknown(v):
        return "unknown"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Duration) or (t == T.DURATION and isinstance(v, int)):
        return format_duration(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float, str)):
        return str(v)
    if isinstance(v, Shown):
        return v.display()
    if isinstance(v, frozenset):
        return ", ".join(sorted(render_value(x) for x in v))
    if isinstance(v, (tuple, list)):
        return ", ".join(render_value(x) for x in v)
    if isinstance(v, Mapping):
        return ", ".join(f"{k}={render_value(x)}" for k, x in v.items())
    return str(v)
