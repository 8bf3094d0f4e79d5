"""What a unit's rules read beyond the unit itself, recorded while they run (``evaluate.run_rules``'s observer).

The rules of a bucket read its own configuration, the organization and the accounts (in every unit's key),
the paths to it (the principal graph above its candidates, also in the key), and whatever the engine answers
about the principals a rule asks about (``allowed(external, ...)``: the bucket's owner, the principals its
policies name, a rule's own literal principals ...). Those callers, and any other bucket a rule asks about,
are recorded here per unit; an incremental run reuses the unit only if each of them is still as it was.
A question that cannot be tied to a bucket (a resource the snapshot does not describe as one) makes the
unit *opaque*: it is recomputed every time.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any


class UnitReads:
    def __init__(self, unit_of_arn: dict[str, str]):
        self.unit_of_arn = unit_of_arn
        self.current: str | None = None
        self.callers: dict[str, set[str]] = defaultdict(set)
        self.buckets: dict[str, set[str]] = defaultdict(set)
        self.opaque: set[str] = set()

    def subject(self, view: Any) -> None:
        from ..lang.records import AccessPointView, BucketView, PathView
        if isinstance(view, BucketView):
            self.current = view.name
        elif isinstance(view, AccessPointView):
            self.current = view.ap.bucket
        elif isinstance(view, PathView):
            self.current = view.target.name
        else:
            self.current = None

    def asked(self, rt: Any, selector: Any, arn: str, bucket: str | None) -> None:
        unit = self.current
        if unit is None:
            return
        if bucket is None:
            self.opaque.add(unit)
            return
        if bucket != unit:
            self.buckets[unit].add(bucket)
        if selector is not None:
            self.callers[unit].update(selector.candidates(rt, rt.scope(bucket)))
