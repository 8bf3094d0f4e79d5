"""The one wildcard matcher: ``*`` any run of characters (none included), ``?`` exactly one, without
backtracking.

Every pattern a user writes — in a policy (Action, Resource, Principal, String*Like and Arn* conditions), in
a rule (`matches`, `glob`, principal selectors), in an audit profile (rule ids, scopes, waivers) or on the
command line (`paths --from`) — is matched here. A regular expression would backtrack: `*a*a*a…*b` against a
long run of `a` takes time exponential in the number of stars.

The algorithm. The stars cut the pattern into segments of literal characters and `?`. The first segment must
match at the start of the value, the last at its end; each segment between is placed at its leftmost
occurrence after the previous one. That greedy choice is safe because the star before a segment can absorb
any characters: if the pattern matches at all, it matches with every middle segment at its leftmost
occurrence (moving one left only leaves more room for what follows), so nothing is ever retried. A segment
without `?` is found with ``str.find``; one with `?` is found by its longest literal run, each candidate then
checked at the run's fixed offsets. The search for each segment resumes where the previous one ended, so the
value is scanned once: O(n + m) character comparisons for patterns without `?` (``str.find`` is linear in
CPython for the needles where it matters), and at most O(n·m) in the worst case of many `?` — never
exponential, and no backtracking over earlier segments.

ARNs. In Arn* conditions and the Resource element, a wildcard in the first five colon-separated segments
does not span a colon
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html): the pattern
and the value are both cut at their first five colons and the six pieces matched pairwise.

Case. Case-insensitive matching folds both sides character by character (``fold``), keeping their lengths,
so `?` still stands for one character of the value.
"""
from __future__ import annotations

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


class _Segment:
    """Literal characters and `?` between two stars: ``length`` characters, ``pieces`` the literal runs with
    their offsets, ``anchor`` the longest of them (what is searched for)."""

    __slots__ = ("length", "pieces", "anchor", "literal")

    def __init__(self, tokens: Sequence[str | None]):
        # tokens: one per character, None for `?`
        self.length = len(tokens)
        pieces: list[tuple[int, str]] = []
        run: list[str] = []
        for i, t in enumerate(tokens + [None]):
            if t is None:
                if run:
                    pieces.append((i - len(run), "".join(run)))
                    run = []
            else:
                run.append(t)
        self.pieces = tuple(pieces)
        self.anchor = max(pieces, key=lambda p: len(p[1])) if pieces else None
        self.literal = pieces[0][1] if len(pieces) == 1 and pieces[0][0] == 0 and \
            len(pieces[0][1]) == self.length else None

    def at(self, value: str, start: int) -> bool:
        """The segment matches ``value`` at ``start`` (which leaves room for it)."""
        for off, text in self.pieces:
            if not value.startswith(text, start + off):
                return False
        return True

    def find(self, value: str, start: int, end: int) -> int:
        """The leftmost position >= start where the segment matches within value[:end], or -1."""
        last = end - self.length  # the last position it may start at
        if last < start:
            return -1
        if self.literal is not None:
            return value.find(self.literal, start, end)
        if self.anchor is None:  # only `?`: any position with room
            return start
        off, text = self.anchor
        pos = start
        while pos <= last:
            i = value.find(text, pos + off, last + off + len(text))
            if i < 0:
                return -1
            pos = i - off
            if self.at(value, pos):
                return pos
            pos += 1
        return -1


class Glob:
    """A compiled plain wildcard pattern (no ARN segments): ``match(value)`` on an already folded value when
    the pattern is case-insensitive."""

    __slots__ = ("head", "middle", "tail", "starred", "shortest")

    def __init__(self, parts: Sequence[Part]):
        segments: list[_Segment] = []
        tokens: list[str | None] = []
        starred = False
        for p in parts:
            if p[0] == "star":
                segments.append(_Segment(tokens))
                tokens = []
                starred = True
            elif p[0] == "one":
                tokens.append(None)
            else:
                tokens.extend(p[1])
        segments.append(_Segment(tokens))
        self.starred = starred
        self.head = segments[0]
        self.tail = segments[-1] if starred else None
        self.middle = tuple(s for s in segments[1:-1] if s.length)
        self.shortest = sum(s.length for s in segments)

    def match(self, value: str) -> bool:
        n = len(value)
        head = self.head
        if not self.starred:
            return n == head.length and head.at(value, 0)
        if n < self.shortest or not head.at(value, 0):
            return False
        tail = self.tail
        end = n - tail.length
        if not tail.at(value, end):
            return False
        pos = head.length
        for seg in self.middle:
            i = seg.find(value, pos, end)
            if i < 0:
                return False
            pos = i + seg.length
        return True


class ArnGlob:
    """A compiled ARN pattern: its first five colons cut it into six plain patterns, matched against the
    value's six pieces (a pattern with fewer than five colons is matched whole, as a plain pattern)."""

    __slots__ = ("pieces",)

    def __init__(self, parts: Sequence[Part]):
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
        self.pieces = tuple(Glob(p) for p in pieces)

    def match(self, value: str) -> bool:
        pieces = self.pieces
        if len(pieces) < 6:
            return pieces[0].match(value) if len(pieces) == 1 else False
        values = value.split(":", 5)
        return len(values) == 6 and all(g.match(v) for g, v in zip(pieces, values))


def compile_parts(parts: Sequence[Part], *, arn: bool = False, case_sensitive: bool = True) -> "Glob | ArnGlob":
    """The matcher of parsed pattern parts; literals folded when case-insensitive (fold the value too)."""
    if not case_sensitive:
        parts = [("lit", fold(p[1])) if p[0] == "lit" else p for p in parts]
    if arn and sum(p[1].count(":") for p in parts if p[0] == "lit") >= 5:
        return ArnGlob(parts)
    return Glob(parts)


@lru_cache(maxsize=65536)
def compiled(parts: tuple[Part, ...], arn: bool = False, case_sensitive: bool = True) -> "Glob | ArnGlob":
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
