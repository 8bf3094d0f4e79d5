"""Wildcard patterns as IAM uses them, with policy variables.

- ``*`` matches any run of characters (including none) and ``?`` exactly one, as in the Action,
  Resource and Principal elements and in String*Like / Arn*Like conditions.
- ARNs are matched segment by segment: the first five colon-separated segments cannot be spanned by a
  wildcard; the sixth (the resource part, such as ``bucket/key``) may contain colons and slashes.
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN)
- Policy variables (``${aws:username}``, ``${aws:PrincipalTag/team, 'default'}``) are recognised only in
  policies whose Version is 2012-10-17; ``${*}``, ``${?}`` and ``${$}`` stand for the literal characters.
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html)

A pattern is compiled once (by s3audit.iam.wildcard: linear, never backtracking); matching a value returns
a Tri: UNKNOWN only when a variable's key is unknown in the request context.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .context import ABSENT, UNKNOWN_VALUE, Context, Interval, Outside
from .logic import Tri
from .wildcard import compiled, fold

_TRUE, _FALSE, _UNKNOWN = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN

_DEFAULT = re.compile(r"\s*([^,\s]+)\s*,\s*'([^']*)'\s*")  # `${key, 'default'}`
_SPECIAL = {"*": "*", "?": "?", "$": "$"}
_WILDCARD = re.compile(r"([*?])")

# Parts of a parsed pattern: ("lit", text) | ("star",) | ("one",) | ("var", key, default-or-None)
Part = tuple


def parse(text: str, *, variables: bool, wildcards: bool = True) -> tuple[Part, ...]:
    """Split pattern text into literal runs, wildcards and (when enabled) policy variables.

    With ``wildcards=False`` (StringEquals, Bool, ... in conditions) ``*`` and ``?`` are ordinary characters.
    """
    if not (variables and "${" in text):
        # No variable can start: the literal runs between the wildcards, split in C (the loop below gives
        # the same parts character by character, and is what a text with variables needs).
        if not wildcards:
            return (("lit", text),) if text else ()
        return tuple(("star",) if t == "*" else ("one",) if t == "?" else ("lit", t)
                     for t in _WILDCARD.split(text) if t)
    parts: list[Part] = []
    lit: list[str] = []

    def flush():
        if lit:
            parts.append(("lit", "".join(lit)))
            lit.clear()

    i, n = 0, len(text)
    closing = text.rfind("}") if variables else -1  # no variable starts after the last `}`: one scan, not one per `${`
    while i < n:
        c = text[i]
        if c == "$" and i < closing and text.startswith("${", i):
            end = text.find("}", i + 2)
            if end != -1:
                inner = text[i + 2:end]
                i = end + 1
                if inner in _SPECIAL:
                    lit.append(_SPECIAL[inner])
                    continue
                key, default = inner, None
                m = _DEFAULT.fullmatch(inner)
                if m:
                    key, default = m.group(1), m.group(2)
                flush()
                parts.append(("var", key.strip(), default))
                continue
        if not wildcards:
            lit.append(c)
        elif c == "*":
            flush()
            parts.append(("star",))
        elif c == "?":
            flush()
            parts.append(("one",))
        else:
            lit.append(c)
        i += 1
    flush()
    return tuple(parts)


@dataclass(frozen=True)
class Pattern:
    """A compiled wildcard pattern. ``arn`` selects segment-wise ARN matching; ``wildcards=False`` makes
    ``*`` and ``?`` literal (variables are still substituted), as condition operators other than *Like need."""

    text: str
    case_sensitive: bool = True
    arn: bool = False
    variables: bool = False
    wildcards: bool = True
    parts: tuple[Part, ...] = field(init=False, compare=False, repr=False)
    _exact: str | None = field(init=False, compare=False, repr=False)
    _prefix: str | None = field(init=False, compare=False, repr=False)
    _fullmatch: Any = field(init=False, compare=False, repr=False)  # the compiled matcher's, when it has one
    has_variables: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        parts = parse(self.text, variables=self.variables, wildcards=self.wildcards)
        object.__setattr__(self, "parts", parts)
        has_vars = any(p[0] == "var" for p in parts)
        object.__setattr__(self, "has_variables", has_vars)
        exact = None
        prefix = None
        matcher = None
        if not has_vars:
            if all(p[0] == "lit" for p in parts):
                exact = "".join(p[1] for p in parts)
                if not self.case_sensitive:
                    exact = fold(exact)
            elif parts[-1] == ("star",) and all(p[0] == "lit" for p in parts[:-1]):
                # `literal*`: the trailing star matches anything, in ARN mode too (it falls in the resource
                # segment, or the pattern has too few segments to be matched segment-wise): a prefix test.
                prefix = "".join(p[1] for p in parts[:-1])
                if not self.case_sensitive:
                    prefix = fold(prefix)
            else:
                matcher = compiled(parts, self.arn, self.case_sensitive)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_prefix", prefix)
        object.__setattr__(self, "_fullmatch", matcher.fullmatch if matcher is not None else None)

    @property
    def exact(self) -> str | None:
        """The one text this pattern matches (lower-cased when case-insensitive), or None when it has wildcards
        or variables; lets callers turn many literal patterns into one set lookup."""
        return self._exact

    @property
    def is_wildcard(self) -> bool:
        return any(p[0] in ("star", "one") for p in self.parts)

    @property
    def literal_prefix(self) -> str:
        """The literal text before the first wildcard or variable (for indexes)."""
        out = []
        for p in self.parts:
            if p[0] != "lit":
                break
            out.append(p[1])
        return "".join(out)

    def matches(self, value: str, ctx: Context | None = None) -> Tri:
        if self._exact is not None:
            return _TRUE if (value if self.case_sensitive else fold(value)) == self._exact else _FALSE
        if self._prefix is not None:
            return _TRUE if (value if self.case_sensitive else fold(value)).startswith(self._prefix) else _FALSE
        if self._fullmatch is not None:
            return _TRUE if self._fullmatch(value if self.case_sensitive else fold(value)) is not None else _FALSE
        return self._match_with_variables(value, ctx)

    def _match_with_variables(self, value: str, ctx: Context | None) -> Tri:
        # Each variable may have several values (multi-valued keys); the pattern matches if any
        # substitution does. An unknown variable makes the answer unknown unless another
        # substitution already matches.
        choices: list[list[Part]] = [[]]
        unknown = False
        for p in self.parts:
            if p[0] != "var":
                for c in choices:
                    c.append(p)
                continue
            found = ctx.lookup(p[1]) if ctx is not None else UNKNOWN_VALUE
            # neither a value outside a set nor a bounded time is a value
            if found is UNKNOWN_VALUE or found.__class__ is Outside or isinstance(found, Interval):
                unknown = True
                break
            if found is ABSENT:
                if p[2] is None:
                    return _FALSE  # no value and no default: the element does not match
                found = (p[2],)
            choices = [c + [("lit", v)] for c in choices for v in found]
        if unknown:
            return _UNKNOWN
        folded = value if self.case_sensitive else fold(value)
        for c in choices:
            if compiled(tuple(c), self.arn, self.case_sensitive).match(folded):
                return _TRUE
        return _FALSE

    def substitute(self, ctx: Context | None) -> "tuple[str, ...] | None":
        """The pattern texts after substituting variables (None if a variable is unknown)."""
        texts = [""]
        for p in self.parts:
            if p[0] == "lit":
                texts = [t + p[1] for t in texts]
            elif p[0] == "star":
                texts = [t + "*" for t in texts]
            elif p[0] == "one":
                texts = [t + "?" for t in texts]
            else:
                found = ctx.lookup(p[1]) if ctx is not None else UNKNOWN_VALUE
                if found is UNKNOWN_VALUE or found.__class__ is Outside or isinstance(found, Interval):
                    return None
                if found is ABSENT:
                    if p[2] is None:
                        return ()
                    found = (p[2],)
                texts = [t + v for t in texts for v in found]
        return tuple(texts)


@lru_cache(maxsize=1 << 16)
def interned(text: str, case_sensitive: bool = True, arn: bool = False, variables: bool = False,
             wildcards: bool = True) -> Pattern:
    """``Pattern(...)``, one object per distinct pattern: an estate's policies repeat their Resource patterns
    and condition values (about half of them are repeats), and a Pattern is immutable."""
    return Pattern(text, case_sensitive, arn, variables, wildcards)
