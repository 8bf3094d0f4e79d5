"""The one wildcard matcher: ``*`` any run of characters (none included), ``?`` exactly one, without
backtracking.

Every pattern a user writes — in a policy (Action, Resource, Principal, String*Like and Arn* conditions), in
a rule (`matches`, `glob`, principal selectors), in an audit profile (rule ids, scopes, waivers) or on the
command line (`paths --from`) — is matched here. The plain translation to a regular expression (`*` as
`.*`) backtracks: `*a*a…*b` against a long run of `a` takes time exponential in the number of stars.

The algorithm. The stars cut the pattern into segments of literal characters and `?`. The first segment must
match at the start of the value, the last at its end; each segment between is placed at its leftmost
occurrence after the previous one, and never moved again. That greedy choice is safe because the star before
a segment absorbs any characters: if the pattern matches at all, it matches with every middle segment at its
leftmost occurrence (moving one left only leaves more room for what follows), so nothing needs retrying.
Each search resumes where the previous segment ended: the value is scanned once, each position trying at most
the segment being placed — O(n·m) comparisons in the worst case (many near-misses of a segment full of `?`),
about O(n + m) for ordinary patterns, and never exponential.

It runs in the C regular expression engine: a middle segment is the atomic group ``(?>.*?SEG)`` (the lazy
scan finds the leftmost occurrence; the atomic group forbids backtracking into it once found), the first is
anchored at the start and the last is ``.*SEG`` at the end (``fullmatch``), whose greedy scan backtracks over
that one star only. (Python's own ``fnmatch`` has translated globs the same way since 3.9.)

ARNs. In Arn* conditions and the Resource element, a wildcard in the first five colon-separated segments
does not span a colon
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html): the pattern is
cut at its first five colons, each of the first five pieces matched with ``[^:]`` for a wildcard character,
the sixth with any character. A pattern with fewer than five colons is matched whole.

Case. Case-insensitive matching folds both sides one character for one (``fold``) and matches exactly, so
`?` still stands for one character of the value and every kind of pattern (exact, prefix, wildcard) folds
alike.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

# Parts of a parsed pattern, as s3audit.iam.patterns makes them: ("lit", text) | ("star",) | ("one",)
Part = tuple


def fold(text: str) -> str:
    """Case folded one character for one (ASCII by ``str.lower``; elsewhere each character's lower case of
    its upper case when that is one character, as a case-insensitive comparison of characters does)."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in text)


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    up = c.upper()
    low = up.lower() if len(up) == 1 else c.lower()
    return low if len(low) == 1 else c


def _segments(parts: Sequence[Part]) -> tuple[bool, list[list[Part]]]:
    """(whether the pattern has a star, the runs of literals and `?` between its stars)."""
    segments: list[list[Part]] = [[]]
    for p in parts:
        if p[0] == "star":
            segments.append([])
        else:
            segments[-1].append(p)
    return len(segments) > 1, segments


def _source(parts: Sequence[Part], one: str) -> str:
    """The regex source of a plain pattern whose wildcard character is ``one`` (``.`` or ``[^:]``)."""
    starred, segments = _segments(parts)

    def text(seg: list[Part]) -> str:
        return "".join(one if p[0] == "one" else re.escape(p[1]) for p in seg)

    if not starred:
        return text(segments[0])
    head, *middle, tail = segments
    run = one + "*"
    return text(head) + "".join(f"(?>{run}?{text(m)})" for m in middle if m) + run + text(tail)


def _arn_pieces(parts: Sequence[Part]) -> list[list[Part]]:
    """The parts cut at the first five literal colons (six pieces)."""
    pieces: list[list[Part]] = [[]]
    for p in parts:
        if p[0] != "lit" or len(pieces) == 6 or ":" not in p[1]:
            pieces[-1].append(p)
            continue
        text = p[1]
        while len(pieces) < 6 and ":" in text:
            before, text = text.split(":", 1)
            if before:
                pieces[-1].append(("lit", before))
            pieces.append([])
        if text:
            pieces[-1].append(("lit", text))
    return pieces


class Glob:
    """A compiled pattern: ``match(value)`` (on a value already folded when the pattern is case-insensitive);
    ``fullmatch`` is the regex's, for callers on a hot path (not None: a match)."""

    __slots__ = ("fullmatch", "source")

    def __init__(self, source: str):
        self.source = source
        self.fullmatch = re.compile(source, re.DOTALL).fullmatch

    def match(self, value: str) -> bool:
        return self.fullmatch(value) is not None


def compile_parts(parts: Sequence[Part], *, arn: bool = False, case_sensitive: bool = True) -> Glob:
    """The matcher of parsed pattern parts; literals folded when case-insensitive (fold the value too)."""
    if not case_sensitive:
        parts = [("lit", fold(p[1])) if p[0] == "lit" else p for p in parts]
    if arn and sum(p[1].count(":") for p in parts if p[0] == "lit") >= 5:
        pieces = _arn_pieces(parts)
        return Glob(":".join([_source(p, "[^:]") for p in pieces[:5]] + [_source(pieces[5], ".")]))
    return Glob(_source(parts, "."))


@lru_cache(maxsize=65536)
def compiled(parts: tuple[Part, ...], arn: bool = False, case_sensitive: bool = True) -> Glob:
    """``compile_parts``, cached: patterns repeat across policies and requests."""
    return compile_parts(parts, arn=arn, case_sensitive=case_sensitive)


def _parts(pattern: str) -> tuple[Part, ...]:
    out: list[Part] = []
    lit: list[str] = []
    for c in pattern:
        if c == "*" or c == "?":
            if lit:
                out.append(("lit", "".join(lit)))
                lit = []
            out.append(("star",) if c == "*" else ("one",))
        else:
            lit.append(c)
    if lit:
        out.append(("lit", "".join(lit)))
    return tuple(out)


@lru_cache(maxsize=65536)
def glob(pattern: str, case_sensitive: bool = True) -> Glob:
    """A plain pattern text (`*` and `?`, everything else literal), compiled and cached."""
    return compiled(_parts(pattern), False, case_sensitive)


def glob_match(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """Whether ``value`` matches the plain pattern ``pattern`` (`*` and `?`; no ARN segments, no variables)."""
    return glob(pattern, case_sensitive).match(value if case_sensitive else fold(value))
