"""The Condition element of IAM policies: every operator AWS documents, compiled once, evaluated in three values.

A Condition block is ``{operator: {key: value-or-values}}``. AWS's rules, which this module follows:

- operators in a block, and keys under one operator, are ANDed; the values listed for one key are ORed, except for
  the negated operators (StringNotEquals, StringNotEqualsIgnoreCase, StringNotLike, NumericNotEquals, DateNotEquals,
  NotIpAddress, ArnNotEquals, ArnNotLike), where the request value must match NONE of them (NOR)
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html);
- a key absent from the request makes a positive operator false and a negated operator true; ``...IfExists`` makes
  any operator true on an absent key; ``Null`` tests absence itself
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html);
- ``ForAllValues:`` is true when every request value satisfies the operator, and also when the key is absent or
  has no values; ``ForAnyValue:`` is true when at least one does, and false when the key is absent
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html);
- policy variables (``${aws:username}``, defaults, ``${*}`` ``${?}`` ``${$}``) work in the values of String*, Arn*
  and Bool operators of 2012-10-17 policies; a variable with no value matches nothing, so negated operators are
  true against it (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html);
- condition key names are case-insensitive; values are case-sensitive except for *IgnoreCase and Bool.

Partial evaluation: a key the Context reports as unknown makes every clause that needs it UNKNOWN, and so do
things AWS leaves undefined; we never guess. Those are: a value that does not parse for its operator (a number
that is not a number, a date in neither ISO 8601 nor epoch form, a CIDR that is not one, base64 that does not
decode), a bare 1-4 digit date that reads both as a year and as epoch seconds with different results, and a plain
(set-operator-free) operator meeting several request values that do not all agree.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Callable, Iterable

from ..errors import Place, PolicyError, pointer_join
from .context import ABSENT, UNKNOWN_VALUE, Context, Interval, Outside, fold
from .logic import Tri
from .patterns import interned

_TRUE, _FALSE, _UNKNOWN = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN

# Base operator -> (family, negated). Families decide how a value is compiled and compared.
_OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("string", False),
    "StringNotEquals": ("string", True),
    "StringEqualsIgnoreCase": ("string-ignore-case", False),
    "StringNotEqualsIgnoreCase": ("string-ignore-case", True),
    "StringLike": ("string-like", False),
    "StringNotLike": ("string-like", True),
    "NumericEquals": ("numeric-eq", False),
    "NumericNotEquals": ("numeric-eq", True),
    "NumericLessThan": ("numeric-lt", False),
    "NumericLessThanEquals": ("numeric-le", False),
    "NumericGreaterThan": ("numeric-gt", False),
    "NumericGreaterThanEquals": ("numeric-ge", False),
    "DateEquals": ("date-eq", False),
    "DateNotEquals": ("date-eq", True),
    "DateLessThan": ("date-lt", False),
    "DateLessThanEquals": ("date-le", False),
    "DateGreaterThan": ("date-gt", False),
    "DateGreaterThanEquals": ("date-ge", False),
    "Bool": ("bool", False),
    "BinaryEquals": ("binary", False),
    "IpAddress": ("ip", False),
    "NotIpAddress": ("ip", True),
    "ArnEquals": ("arn", False),  # ArnEquals and ArnLike behave identically (AWS's operator page)
    "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True),
    "ArnNotLike": ("arn", True),
    "Null": ("null", False),
}

KNOWN_OPERATORS: frozenset[str] = frozenset(_OPERATORS)
NEGATED_OPERATORS: frozenset[str] = frozenset(k for k, (_, neg) in _OPERATORS.items() if neg)

_BY_FOLDED = {k.lower(): k for k in _OPERATORS}
_SET_PREFIXES = {"forallvalues": "ForAllValues", "foranyvalue": "ForAnyValue"}
_IF_EXISTS = "ifexists"

# Families whose values may hold policy variables (AWS's operator page says which do).
_VARIABLE_FAMILIES = {"string", "string-ignore-case", "string-like", "arn", "bool"}

Test = Callable[[str, Context], Tri]  # one request value -> does it satisfy the operator (negation included)


@dataclass(frozen=True)
class Operator:
    """An operator name as parsed: ``ForAnyValue:StringLikeIfExists`` -> set_op, base, if_exists."""

    written: str
    base: str | None          # canonical base name, None when unknown
    set_op: str | None = None  # "ForAllValues" | "ForAnyValue" | None
    if_exists: bool = False

    @property
    def negated(self) -> bool:
        return self.base in NEGATED_OPERATORS


def parse_operator(name: str) -> Operator:
    """Split an operator as written into its parts; ``base`` is None for anything AWS does not document.

    Operator names are matched case-insensitively: being lenient here can only make us evaluate a policy AWS
    would have rejected, never misread one it accepts.
    """
    rest = name.strip()
    set_op = None
    head, sep, tail = rest.partition(":")
    if sep:
        set_op = _SET_PREFIXES.get(head.strip().lower())
        if set_op is None:
            return Operator(name, None)
        rest = tail.strip()
    lowered = rest.lower()
    if_exists = False
    if lowered.endswith(_IF_EXISTS) and lowered != _IF_EXISTS:
        if_exists = True
        lowered = lowered[: -len(_IF_EXISTS)]
    base = _BY_FOLDED.get(lowered)
    if base == "Null" and (if_exists or set_op):
        base = None  # "You can add IfExists to ... any condition operator name except the Null condition"
    return Operator(name, base, set_op, if_exists)


# ---------------------------------------------------------------------------------------------------------------
# Value parsing (policy values at compile time, request values at evaluation time)

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def parse_number(text: str) -> Decimal | None:
    t = text.strip()
    if not _NUMBER.fullmatch(t):
        return None
    try:
        return Decimal(t)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        return None


_EPOCH = re.compile(r"[+-]?\d+(?:\.\d+)?")
# W3C profile of ISO 8601 (https://www.w3.org/TR/NOTE-datetime): YYYY, YYYY-MM, YYYY-MM-DD, and date with
# hh:mm, hh:mm:ss or hh:mm:ss.s plus a zone designator (Z or +hh:mm); a missing zone is read as UTC.
_ISO = re.compile(
    r"(?P<y>\d{4})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[Tt ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?"
    r"(?P<z>[Zz]|[+-]\d{2}:?\d{2})?)?)?)?"
)
_EPOCH_START = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _iso_instant(text: str) -> Decimal | None:
    m = _ISO.fullmatch(text)
    if not m:
        return None
    g = m.groupdict()
    try:
        dt = datetime(int(g["y"]), int(g["mo"] or 1), int(g["d"] or 1), int(g["h"] or 0), int(g["mi"] or 0),
                      int(g["s"] or 0), tzinfo=timezone.utc)
    except ValueError:
        return None
    z = g["z"]
    if z and z not in "Zz":
        sign = -1 if z[0] == "-" else 1
        digits = z[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        dt -= sign * timedelta(hours=hours, minutes=minutes)
    delta = dt - _EPOCH_START
    seconds = Decimal(delta.days * 86400 + delta.seconds)
    if g["f"]:
        seconds += Decimal("0." + g["f"])
    return seconds


def parse_date(text: str) -> tuple[Decimal, ...] | None:
    """The instants (epoch seconds) a date value can mean: one, or two for a bare 1-4 digit value that reads
    both as epoch seconds and as a year. None when it is neither ISO 8601 nor epoch time."""
    t = text.strip()
    out: list[Decimal] = []
    if _EPOCH.fullmatch(t):
        out.append(Decimal(t))
    iso = _iso_instant(t)
    if iso is not None and iso not in out:
        out.append(iso)
    return tuple(out) or None


def parse_bool(text: str) -> bool | None:
    t = text.strip().lower()
    return True if t == "true" else False if t == "false" else None


def parse_binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_network(text: str):
    try:
        return ipaddress.ip_network(text.strip(), strict=False)  # a bare address is a /32 (IPv4) or /128
    except ValueError:
        return None


def parse_address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------------------
# Per-family compilation: policy values -> one test of a single request value.

def _or(results: Iterable[Tri]) -> Tri:
    out = _FALSE
    for r in results:
        if r is _TRUE:
            return r
        if r is _UNKNOWN:
            out = r
    return out


_ORDER = {
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
}


def _compare_dates(request: tuple[Decimal, ...], policy: tuple[Decimal, ...], cmp) -> Tri:
    # Several readings of an ambiguous value: decided only when every reading gives the same answer.
    answers = {cmp(a, b) for a in request for b in policy}
    return Tri.of(answers.pop()) if len(answers) == 1 else _UNKNOWN


def _compile_values(family: str, values: tuple[str, ...], variables: bool,
                    bad: list[str]) -> tuple[Callable[[str, Context], Tri], frozenset[str]]:
    """A function (request value, ctx) -> Tri saying whether the value matches ANY of the policy values (before
    negation), and the folded keys of the policy variables the values use. Unparseable policy values are
    appended to ``bad`` and count as UNKNOWN comparisons."""
    var_keys: set[str] = set()
    use_vars = variables and family in _VARIABLE_FAMILIES

    if family in ("string", "string-ignore-case", "string-like", "arn", "bool"):
        case_sensitive = family not in ("string-ignore-case", "bool")
        wildcards = family in ("string-like", "arn")
        patterns = [interned(v, case_sensitive, family == "arn", use_vars, wildcards) for v in values]
        for p in patterns:
            var_keys.update(fold(part[1]) for part in p.parts if part[0] == "var")
        if family == "bool":
            wanted = set()
            for p, v in zip(patterns, values):
                if not p.has_variables:
                    b = parse_bool(v)
                    if b is None:
                        bad.append(v)
                    else:
                        wanted.add(b)
            with_vars = tuple(p for p in patterns if p.has_variables)
            invalid = bool(bad)

            def test(value: str, ctx: Context) -> Tri:
                b = parse_bool(value)
                if b is None:
                    return _UNKNOWN  # a request value that is not a boolean: AWS does not say
                if b in wanted:
                    return _TRUE
                out = _or(p.matches("true" if b else "false", ctx) for p in with_vars)
                return _UNKNOWN if out is _FALSE and invalid else out
            return test, frozenset(var_keys)

        exact = frozenset(p.exact for p in patterns if p.exact is not None)  # literal values: a set lookup
        rest = tuple(p for p in patterns if p.exact is None)
        fold_request = not case_sensitive

        if not rest:
            if fold_request:
                return (lambda value, ctx: _TRUE if value.lower() in exact else _FALSE), frozenset()
            return (lambda value, ctx: _TRUE if value in exact else _FALSE), frozenset()

        def test(value: str, ctx: Context) -> Tri:
            if (value.lower() if fold_request else value) in exact:
                return _TRUE
            return _or(p.matches(value, ctx) for p in rest)
        return test, frozenset(var_keys)

    if family.startswith("numeric-") or family.startswith("date-"):
        is_date = family.startswith("date-")
        parse = parse_date if is_date else parse_number
        cmp = _ORDER[family.split("-")[1]]
        parsed, invalid = _parse_values(values, parse, bad)

        def test(value: str, ctx: Context) -> Tri:
            r = parse(value)
            if r is None:
                return _UNKNOWN
            if is_date:
                out = _or(_compare_dates(r, p, cmp) for p in parsed)
            else:
                out = _TRUE if any(cmp(r, p) for p in parsed) else _FALSE
            return _UNKNOWN if out is _FALSE and invalid else out
        return test, frozenset()

    if family == "binary":
        parsed_list, invalid = _parse_values(values, parse_binary, bad)
        parsed_b = set(parsed_list)

        def test(value: str, ctx: Context) -> Tri:
            r = parse_binary(value)
            if r is None:
                return _UNKNOWN
            return _TRUE if r in parsed_b else (_UNKNOWN if invalid else _FALSE)
        return test, frozenset()

    if family == "ip":
        nets, invalid = _parse_values(values, parse_network, bad)

        def test(value: str, ctx: Context) -> Tri:
            a = parse_address(value)
            if a is None:
                return _UNKNOWN
            return _TRUE if any(a in n for n in nets) else (_UNKNOWN if invalid else _FALSE)
        return test, frozenset()

    raise AssertionError(f"no family {family}")  # pragma: no cover


# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Clause:
    """One (operator, key, values) triple as written in the policy, compiled."""

    operator: str
    key: str
    values: tuple[str, ...]
    pointer: str
    parsed: Operator = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    variables: bool = field(default=False, compare=False, repr=False)
    problems: tuple[str, ...] = field(init=False, compare=False, repr=False)
    reads: frozenset[str] = field(init=False, compare=False, repr=False)
    _folded: str = field(init=False, compare=False, repr=False)
    _test: Test | None = field(init=False, compare=False, repr=False)
    _null: tuple[bool | None, ...] = field(init=False, compare=False, repr=False)
    _absent: Tri = field(init=False, compare=False, repr=False)
    _bounds: tuple | None = field(init=False, compare=False, repr=False)  # (order, parsed values, invalid)

    def __post_init__(self):
        # What the clause makes of its operator, key and values is the same wherever it is written: policies
        # repeat their conditions, so it is worked out once per distinct clause (_compiled_clause).
        for name, value in zip(_DERIVED, _compiled_clause(self.operator, self.key, self.values, self.variables)):
            object.__setattr__(self, name, value)

    def to_json(self) -> dict:
        return {"operator": self.operator, "key": self.key, "values": list(self.values)}

    def evaluate(self, ctx: Context) -> Tri:
        op = self.parsed
        if op.base is None:
            return _UNKNOWN  # an operator we do not know: the engine decides which way to err
        found = ctx.lookup(self._folded)
        if found is UNKNOWN_VALUE:
            return _UNKNOWN
        if isinstance(found, Interval):
            return self._on_interval(found)
        if found.__class__ is Outside:
            return self._outside(found)
        missing = found is ABSENT or not found  # no values at all counts as absent (an empty data set)
        if op.base == "Null":
            return _or(_UNKNOWN if want is None else Tri.of(want == missing) for want in self._null)
        if missing:
            return self._absent
        test = self._test
        if len(found) == 1:
            return test(found[0], ctx)
        results = [test(v, ctx) for v in found]
        every, some = _all(results), _or(results)
        if op.set_op == "ForAllValues":
            return every
        if op.set_op == "ForAnyValue":
            return some
        # A plain operator meeting several request values: AWS does not document it (it says multivalued keys
        # need a set operator). Decide only when every reading (any value, all values) agrees.
        return every if every is some else _UNKNOWN


    def _outside(self, found: Outside) -> Tri:
        """The clause for a key whose value is none of ``found.values`` or absent: decided when both readings
        agree, which needs an equality comparison with policy values that are all among ``found.values``."""
        op = self.parsed
        if op.base in ("Null", None) or op.set_op or (self.variables and any("${" in v for v in self.values)):
            return _UNKNOWN
        family = _OPERATORS[op.base][0]
        if family not in ("string", "string-ignore-case", "string-like"):
            return _UNKNOWN
        if family == "string-like" and any("*" in v or "?" in v for v in self.values):
            return _UNKNOWN
        if family == "string-ignore-case":
            excluded = {v.lower() for v in found.values}
            among = all(v.lower() in excluded for v in self.values)
        else:
            among = all(v in found.values for v in self.values)
        if not among:
            return _UNKNOWN
        present = _TRUE if op.negated else _FALSE
        return present if present is self._absent else _UNKNOWN


    def _on_interval(self, found: Interval) -> Tri:
        """The clause on a key whose value lies in an interval (the request's time, which comes after the
        snapshot was taken): decided where every value in it, and the key's absence when the request may lack
        it, give the same answer."""
        op = self.parsed
        if op.base == "Null":
            return _or(_UNKNOWN if want is None or found.may_be_absent else Tri.of(not want) for want in self._null)
        present = _UNKNOWN
        if self._bounds is not None:
            order, parsed, invalid = self._bounds
            present = _or(_interval_order(found, order, readings) for readings in parsed)
            if present is _FALSE and invalid:
                present = _UNKNOWN
            if op.negated:
                present = ~present
        if found.may_be_absent:
            return present if present is self._absent else _UNKNOWN
        return present


def _interval_order(found: Interval, order: str, readings: tuple) -> Tri:
    """Whether every value of the interval compares to the policy value as ``order`` says (TRUE), none does
    (FALSE), or some do (UNKNOWN); a date value with two readings is decided only when both agree."""
    lo, hi = found.low, found.high
    answers = set()
    for p in readings:
        if order == "lt":
            r = _TRUE if hi is not None and hi < p else _FALSE if lo is not None and lo >= p else _UNKNOWN
        elif order == "le":
            r = _TRUE if hi is not None and hi <= p else _FALSE if lo is not None and lo > p else _UNKNOWN
        elif order == "gt":
            r = _TRUE if lo is not None and lo > p else _FALSE if hi is not None and hi <= p else _UNKNOWN
        elif order == "ge":
            r = _TRUE if lo is not None and lo >= p else _FALSE if hi is not None and hi < p else _UNKNOWN
        else:  # eq
            outside = (lo is not None and p < lo) or (hi is not None and p > hi)
            r = _FALSE if outside else _TRUE if lo is not None and lo == hi == p else _UNKNOWN
        answers.add(r)
    return answers.pop() if len(answers) == 1 else _UNKNOWN


def _all(results: Iterable[Tri]) -> Tri:
    out = _TRUE
    for r in results:
        if r is _FALSE:
            return r
        if r is _UNKNOWN:
            out = r
    return out


@dataclass(frozen=True)
class UnknownPart:
    """A part of a statement that the snapshot's producer could not know (docs/snapshot-format.md,
    ``unknown_statements``: an ARN, a principal or a condition value known only at deploy time). It sits among
    the statement's clauses and always evaluates to UNKNOWN, so the statement may or may not apply wherever its
    known parts (and the stand-ins for the unknown ones) match; as a residual it reads as its reason."""

    reason: str
    pointer: str
    operator: str = ""
    key: str = ""
    values: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    reads: frozenset[str] = frozenset()

    def to_json(self) -> dict:
        return {"note": self.reason}

    def evaluate(self, ctx: Context) -> Tri:
        return _UNKNOWN


# Clause's fields that _compiled_clause fills in, in its order.
_DERIVED = ("parsed", "_bounds", "_folded", "problems", "reads", "_test", "_null", "_absent")


@lru_cache(maxsize=1 << 14)
def _compiled_clause(operator: str, key: str, values: tuple[str, ...], variables: bool) -> tuple:
    """The values of ``_DERIVED`` for a clause (immutable, so clauses alike share them)."""
    op = parse_operator(operator)
    bounds = None
    folded = fold(key)
    problems: list[str] = []
    test: Test | None = None
    null: tuple[bool | None, ...] = ()
    var_keys: frozenset[str] = frozenset()
    if op.base is None:
        problems.append(f"unknown condition operator `{operator}`")
    elif op.base == "Null":
        null = tuple(parse_bool(v) for v in values)
        problems += [f"`{v}` is not `true` or `false` for `Null` on `{key}`"
                     for v, b in zip(values, null) if b is None]
    else:
        family, negated = _OPERATORS[op.base]
        bad: list[str] = []
        match, var_keys = _compile_values(family, values, variables, bad)
        problems += [f"`{v}` is not a valid value for `{op.base}` on `{key}`" for v in bad]
        test = (lambda value, ctx, _m=match: ~_m(value, ctx)) if negated else match
        if family.startswith(("numeric-", "date-")):
            parsed, invalid = _parse_values(values, parse_date if family.startswith("date-") else
                                            lambda v: (parse_number(v),) if parse_number(v) is not None else None,
                                            [])
            bounds = (family.split("-")[1], tuple(parsed), invalid)
    if op.if_exists:
        absent = _TRUE
    elif op.set_op == "ForAllValues":
        absent = _TRUE
    elif op.set_op == "ForAnyValue":
        absent = _FALSE
    else:
        absent = _TRUE if op.negated else _FALSE
    return op, bounds, folded, tuple(problems), frozenset({folded}) | var_keys, test, null, absent


@dataclass(frozen=True)
class ConditionBlock:
    """A statement's Condition element, compiled: the AND of its clauses.

    ``keys`` holds every folded key the block reads: condition keys and the keys of policy variables used in
    its values. ``problems`` holds one-sentence warnings (unknown operators, values that cannot be parsed).
    """

    clauses: tuple[Clause | UnknownPart, ...] = ()
    keys: frozenset[str] = frozenset()
    problems: tuple[str, ...] = ()

    def with_unknown(self, part: UnknownPart) -> "ConditionBlock":
        """This block and a part the producer could not know: the statement may or may not apply."""
        return ConditionBlock(self.clauses + (part,), self.keys, self.problems)

    def evaluate(self, ctx: Context) -> tuple[Tri, tuple[Clause, ...]]:
        unknown: list[Clause] = []
        for c in self.clauses:
            r = c.evaluate(ctx)
            if r is _FALSE:
                return _FALSE, ()
            if r is _UNKNOWN:
                unknown.append(c)
        if unknown:
            return _UNKNOWN, tuple(unknown)
        return _TRUE, ()

    def to_json(self) -> list[dict]:
        return [c.to_json() for c in self.clauses]


EMPTY = ConditionBlock()


def _value_text(v: object) -> str | None:
    """A condition value as AWS compares it: strings as written, booleans as true/false, numbers in decimal."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return None
        return repr(v)
    return None


def _kind(v: object) -> str:
    return {dict: "an object", list: "a list", type(None): "null", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def compile_conditions(block: object, *, version: str | None, pointer: str,
                       file: str | None = None) -> ConditionBlock:
    """Compile a statement's ``Condition`` value. ``version`` is the policy's Version: policy variables in values
    are recognised only for 2012-10-17. Raises PolicyError for structurally malformed blocks."""
    if block is None:
        return EMPTY
    if not isinstance(block, dict):
        raise PolicyError(f"`Condition` must be an object, not {_kind(block)}", Place(file, pointer=pointer))
    variables = version == "2012-10-17"
    clauses: list[Clause] = []
    problems: list[str] = []
    for operator, entries in block.items():
        op_pointer = pointer_join(pointer, operator)
        if not isinstance(entries, dict):
            raise PolicyError(f"condition operator `{operator}` must map condition keys to values, not "
                              f"{_kind(entries)}", Place(file, pointer=op_pointer))
        parsed = parse_operator(operator)
        if not entries:
            problems.append(f"condition operator `{operator}` has no condition keys")
        for key, raw in entries.items():
            key_pointer = pointer_join(op_pointer, key)
            if not key.strip():
                raise PolicyError(f"empty condition key under `{operator}`", Place(file, pointer=key_pointer))
            items = raw if isinstance(raw, list) else [raw]
            if not items:
                raise PolicyError(f"condition key `{key}` has an empty list of values",
                                  Place(file, pointer=key_pointer))
            values = []
            for i, item in enumerate(items):
                text = _value_text(item)
                if text is None:
                    where = pointer_join(key_pointer, i) if isinstance(raw, list) else key_pointer
                    raise PolicyError(f"condition value for `{key}` must be a string, number or boolean, not "
                                      f"{_kind(item)}", Place(file, pointer=where))
                values.append(text)
            clause = Clause(operator, key, tuple(values), key_pointer, parsed=parsed, variables=variables)
            clauses.append(clause)
            for p in clause.problems:
                if p not in problems:
                    problems.append(p)
    keys = frozenset().union(*(c.reads for c in clauses)) if clauses else frozenset()
    return ConditionBlock(tuple(clauses), keys, tuple(problems))


def _parse_values(values, parse, bad: list) -> tuple[list, bool]:
    """Parse a clause's policy values once; the ones that do not parse are collected in ``bad``."""
    parsed = []
    for v in values:
        x = parse(v)
        if x is None:
            bad.append(v)
        else:
            parsed.append(x)
    return parsed, bool(bad)
