"""Indexes that keep the graph's cost proportional to the grants that exist.

``GrantIndex`` answers "which principals have an Allow statement, for this family of actions, whose
Resource could match this ARN?" from a dictionary of exact ARNs and a dictionary of literal prefixes
(the text of a pattern before its first wildcard or policy variable), so that a bucket is paired only
with the principals whose policies can name it. Every candidate is then decided by the engine; the index
only has to be complete (never miss a principal), not exact.
"""
from __future__ import annotations

import bisect
from functools import lru_cache
from typing import Hashable, Iterable

from ..iam.actions import universe
from ..iam.logic import Tri
from ..iam.patterns import Pattern
from ..iam.policy import ActionMatcher


class GrantIndex:
    """Principals by the resource patterns of their Allow statements (one index per action family)."""

    def __init__(self) -> None:
        self._exact: dict[str, dict[Hashable, None]] = {}
        self._prefix: dict[str, list[tuple[Hashable, Pattern]]] = {}
        self._everything: dict[Hashable, None] = {}
        self._lengths: list[int] = []
        self._sorted: list[str] | None = None

    def add(self, principal: Hashable, pattern: Pattern | None) -> None:
        """Index one Resource pattern; None (NotResource, or unknown policies) matches everything."""
        if pattern is None or pattern.text == "*":
            self._everything[principal] = None
            return
        lp = pattern.literal_prefix
        if not pattern.is_wildcard and not pattern.has_variables:
            self._exact.setdefault(lp, {})[principal] = None
        else:
            if not lp:
                self._everything[principal] = None
                return
            self._prefix.setdefault(lp, []).append((principal, pattern))
        self._sorted = None

    def add_everything(self, principal: Hashable) -> None:
        self._everything[principal] = None

    def principals(self) -> dict[Hashable, None]:
        """Every principal with any grant in the family, whatever resource it names (for "any resource of a
        kind" when the resources themselves are not known)."""
        out: dict[Hashable, None] = dict(self._everything)
        for hit in self._exact.values():
            out.update(hit)
        for entries in self._prefix.values():
            out.update((principal, None) for principal, _ in entries)
        return out

    def _freeze(self) -> None:
        if self._sorted is None:
            self._sorted = sorted(set(self._exact) | set(self._prefix))
            self._lengths = sorted({len(k) for k in self._prefix})

    def query(self, arn: str, *, children: bool = False) -> dict[Hashable, None]:
        """Principals whose patterns may match ``arn`` (and, with ``children``, ARNs below it: ``arn/...``)."""
        self._freeze()
        out: dict[Hashable, None] = dict(self._everything)
        hit = self._exact.get(arn)
        if hit:
            out.update(hit)
        for n in self._lengths:
            if n > len(arn):
                break
            entries = self._prefix.get(arn[:n])
            if entries:
                for principal, pattern in entries:
                    if principal in out:
                        continue
                    # A prefix that reaches the end of the ARN, or a pattern that may match it, or one
                    # whose wildcard may span into the objects below it.
                    if children or pattern.matches(arn) is not Tri.FALSE:
                        out[principal] = None
        if children:
            below = arn + "/"
            keys = self._sorted
            i = bisect.bisect_left(keys, below)
            while i < len(keys) and keys[i].startswith(below):
                k = keys[i]
                out.update(self._exact.get(k, {}))
                for principal, _ in self._prefix.get(k, ()):
                    out[principal] = None
                i += 1
        return out


def matcher_actions(matcher: ActionMatcher, candidates: frozenset[str]) -> frozenset[str]:
    """The folded actions among ``candidates`` that an Action/NotAction element covers (fast path on the
    set of known actions it was compiled to)."""
    if not matcher.others:
        return candidates - matcher.known if matcher.negated else candidates & matcher.known
    return frozenset(a for a in candidates if matcher.matches(a))


def _actions_on(object_type: str, container_type: str) -> dict[str, str]:
    """S3 actions whose resource types include ``object_type`` ('object') or else ``container_type``
    ('bucket'), by folded name."""
    u = universe()
    out = {}
    for a in u.service_actions("s3"):
        res = u.get(a).resources
        if object_type in res:
            out[a] = "object"
        elif container_type in res:
            out[a] = "bucket"
    return out


@lru_cache(maxsize=1)
def s3_access_actions() -> dict[str, str]:
    """S3 actions on buckets and objects (folded name -> 'bucket' | 'object')."""
    return _actions_on("object", "bucket")


@lru_cache(maxsize=1)
def access_point_actions() -> dict[str, str]:
    """S3 actions on access points and objects through them (folded name -> 'bucket' | 'object')."""
    return _actions_on("accesspointobject", "accesspoint")


def fold_all(actions: Iterable[str]) -> frozenset[str]:
    return frozenset(a.lower() for a in actions)
