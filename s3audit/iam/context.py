"""The request context seen by condition evaluation, with three states per key.

A key is *present* (with one or more string values), *absent* (the request certainly does not carry
it), or *unknown* (the caller did not say; the engine must not assume either way). Keys are
case-insensitive, as AWS's condition keys are; tag keys keep their case after the slash
(``aws:PrincipalTag/CostCenter``), since tag keys are matched case-sensitively in values but the key
name lookup itself is case-insensitive in AWS for global keys — we fold the whole name and keep the
original spelling for messages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Iterable, Mapping

ABSENT = None  # lookup() result for a key the request certainly does not carry


class _UnknownValue:
    def __repr__(self) -> str:
        return "UNKNOWN_VALUE"


UNKNOWN_VALUE = _UnknownValue()


@dataclass(frozen=True)
class Outside:
    """A key's value is none of ``values``, or the key is absent, and nothing more is known: the
    ``aws:PrincipalOrgID`` of a principal of an account outside the snapshot's organization is not that
    organization's id (it may belong to another organization, or to none). ``lookup`` returns it; conditions
    comparing the key with those values for equality are decided, anything else stays unknown."""

    values: frozenset[str]


def fold(key: str) -> str:
    return key.lower()


@dataclass(frozen=True)
class Interval:
    """What the snapshot knows of a time key without knowing its value (``Context.ranges``): it lies between
    ``low`` and ``high`` (epoch seconds; None: unbounded), and the request may lack the key altogether when
    ``may_be_absent``. Date and numeric operators decide on it where every value of the interval gives the
    same answer (conditions.py)."""

    low: Decimal | None
    high: Decimal | None = None
    may_be_absent: bool = False

    def __bool__(self) -> bool:  # a lookup result that is not "no values"
        return True


@dataclass(frozen=True)
class Context:
    """Values known for one request.

    ``values`` maps folded key -> tuple of strings (present). ``absent`` holds folded keys that are
    known to be missing. ``closed`` says what every other key is: absent when True (the request is
    fully described), unknown when False.
    """

    values: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    absent: frozenset[str] = frozenset()
    closed: bool = False
    # Folded key prefixes whose keys are absent unless present in ``values`` (a principal's complete
    # tag set: every ``aws:PrincipalTag/...`` it does not have is missing from the request).
    absent_prefixes: tuple[str, ...] = ()
    # Folded keys whose value is not known but bounded (the request's time): fixed like ``values``.
    ranges: Mapping[str, Interval] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, values: Mapping[str, object] | None = None, *, absent: Iterable[str] = (),
           closed: bool = False, absent_prefixes: Iterable[str] = ()) -> "Context":
        out: dict[str, tuple[str, ...]] = {}
        gone = {fold(k) for k in absent}
        for k, v in (values or {}).items():
            if v is None:
                gone.add(fold(k))
                continue
            if isinstance(v, (list, tuple, set, frozenset)):
                out[fold(k)] = tuple(_text(x) for x in v)
            else:
                out[fold(k)] = (_text(v),)
        return cls(MappingProxyType(out), frozenset(gone - set(out)), closed,
                   tuple(fold(p) for p in absent_prefixes))

    def lookup(self, key: str):
        """The values of ``key``: a tuple (present), ABSENT (None), UNKNOWN_VALUE, or an ``Outside``."""
        k = key.lower()
        found = self.values.get(k)  # values are non-empty tuples, never None
        if found is not None:
            return found
        if self.ranges:
            bounded = self.ranges.get(k)
            if bounded is not None:
                return bounded
        if k in self.absent or self.closed or (self.absent_prefixes and k.startswith(self.absent_prefixes)):
            return ABSENT
        return UNKNOWN_VALUE

    def under(self, request: "Context") -> "LayeredContext":
        """This context (facts the snapshot fixes) over ``request`` (what a request says of other keys)."""
        return LayeredContext(self, request)

    def fixes(self, key: str) -> bool:
        """Whether this context already decides ``key`` (present or absent), so a request cannot."""
        k = fold(key)
        return k in self.values or k in self.absent or k in self.ranges or \
            bool(self.absent_prefixes and k.startswith(self.absent_prefixes))

    def with_values(self, values: Mapping[str, object], absent: Iterable[str] = ()) -> "Context":
        """A new context with these keys fixed (they override what was there)."""
        merged = dict(self.values)
        gone = set(self.absent)
        for k, v in values.items():
            fk = fold(k)
            if v is None:
                merged.pop(fk, None)
                gone.add(fk)
            else:
                merged[fk] = tuple(_text(x) for x in v) if isinstance(v, (list, tuple, set, frozenset)) else (_text(v),)
                gone.discard(fk)
        for k in absent:
            merged.pop(fold(k), None)
            gone.add(fold(k))
        ranges = {k: v for k, v in self.ranges.items() if k not in merged and k not in gone}
        return Context(MappingProxyType(merged), frozenset(gone), self.closed, self.absent_prefixes,
                       MappingProxyType(ranges))

    def key_set(self) -> frozenset[str]:
        return frozenset(self.values) | self.absent | frozenset(self.ranges)


class LayeredContext:
    """A context of fixed facts over a request's context: a key the facts decide (present or absent) is
    theirs; any other key is what the request says (and unknown when it says nothing). Equivalent to
    ``facts.with_values({k: v for k, v in request if not facts.fixes(k)})`` without building it."""

    __slots__ = ("facts", "request")

    def __init__(self, facts: Context, request: Context):
        self.facts = facts
        self.request = request

    def lookup(self, key: str):
        found = self.facts.lookup(key)
        return self.request.lookup(key) if found is UNKNOWN_VALUE else found

    def fixes(self, key: str) -> bool:
        return self.facts.fixes(key) or self.request.fixes(key)


_PLAIN = frozenset({str, bool, int, type(None)})  # equal values of one of these types become one text
_PLAIN_KEY = object()


def context_key(values: Mapping[str, object]) -> tuple:
    """A dictionary key for request context values that is equal to another's only when ``Context.of`` makes
    the same context of both. Python's ``True == 1 == 1.0`` and ``0.0 == -0.0`` must not let one request's
    context stand in for another's: values are keyed with their types when those are plain, else by the
    text they become."""
    types = tuple(map(type, values.values()))
    if _PLAIN.issuperset(types):
        return (_PLAIN_KEY, tuple(values.items()), types)
    return tuple((k, None if v is None else
                  tuple(_text(x) for x in v) if isinstance(v, (list, tuple, set, frozenset)) else _text(v))
                 for k, v in values.items())


def _text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
