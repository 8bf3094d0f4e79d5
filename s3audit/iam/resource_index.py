"""Which statements of a long list can match a resource of a request's scope, without matching each.

A pattern of a Resource element matches only resources that start with its literal prefix (the text before
its first wildcard or policy variable; resource patterns are case-sensitive). The statements are filed by
those prefixes. The engine decides the requests of one scope (a bucket, or the objects of a bucket or of an
access point) with one plan of the statements that matter to them (engine._Plan), so what is asked is
"which statements may match some resource of this resource's scope": for an object, every pattern whose
prefix and the scope's prefix (`arn:aws:s3:::bucket/`) are one a prefix of the other; for anything else, the
patterns whose prefix starts the resource itself. A role policy of 10,000 statements, each on its own bucket
or prefix, then costs a few dictionary lookups per scope instead of 10,000 pattern matches per request.
Statements that may match anything as far as the index can tell (NotResource, no Resource element, a
case-insensitive pattern) are always candidates. Candidates are a superset: each is still matched in full.
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Sequence

from .policy import Statement

# Below this many statements, matching each is as fast as looking them up.
INDEXED_FROM = 16


def scope_prefix(resource: str) -> tuple[str, bool]:
    """(text, exact): the resources of this one's scope are exactly ``text`` (exact) or every text that starts
    with it (the objects of a bucket or of an access point, whatever their key)."""
    if resource.startswith("arn:") and resource.split(":", 3)[2:3] == ["s3"]:
        at = resource.find("/object/") if ":accesspoint/" in resource else -1
        if at >= 0:
            return resource[:at + len("/object/")], False
        rest = resource.find(":::")
        slash = resource.find("/", rest + 3) if rest >= 0 else -1
        if slash >= 0:
            return resource[:slash + 1], False
    return resource, True


def _prefixes(s: Statement) -> set[str] | None:
    """The literal prefixes of the statement's Resource patterns, or None when it must always be matched."""
    if s.resources is None or s.not_resource:
        return None
    if any(not p.case_sensitive for p in s.resources):
        return None
    return {p.literal_prefix for p in s.resources}


class ResourceIndex:
    """Positions of statements in a list, filed by the literal prefixes of their Resource patterns."""

    __slots__ = ("always", "filed", "lengths", "ordered")

    def __init__(self, statements: Sequence[Statement]):
        self.always: list[int] = []
        self.filed: dict[str, list[int]] = {}
        for i, s in enumerate(statements):
            prefixes = _prefixes(s)
            if prefixes is None:
                self.always.append(i)
                continue
            for p in prefixes:
                self.filed.setdefault(p, []).append(i)
        self.lengths = sorted({len(p) for p in self.filed})
        self.ordered = sorted(self.filed)  # for the prefixes that extend a scope's

    def candidates(self, resource: str) -> set[int]:
        """Positions of the statements that may match some resource of ``resource``'s scope."""
        scope, exact = scope_prefix(resource)
        out = set(self.always)
        filed = self.filed
        size = len(scope)
        for n in self.lengths:  # patterns whose literal prefix starts the scope's text
            if n > size:
                break
            hit = filed.get(scope[:n])
            if hit is not None:
                out.update(hit)
        if not exact:  # patterns whose literal prefix extends it: they may match some object of the scope
            ordered = self.ordered
            i = bisect_left(ordered, scope)
            while i < len(ordered) and ordered[i].startswith(scope):
                out.update(filed[ordered[i]])
                i += 1
        return out
