"""``access.json``: a scan's record of who can reach which bucket, read by the next night for its access changes.

``{"format": "s3audit.access/v1", "access": [[principal, bucket, level, decision], ...]}`` on one line, the
rows sorted by bucket, then principal, then level. Sorting by bucket first makes the file a join of one
**block** of text per bucket (its rows, sorted): the tasks of a run write their buckets' blocks, a night keeps
the blocks of the buckets it did not recompute, and two nights' files are compared block by block: only the
buckets whose block differs are parsed (``changes``).
"""
from __future__ import annotations

import json
from typing import Iterable, Iterator, Mapping

from .chunked import joined

FORMAT = "s3audit.access/v1"
_HEAD = '{"format": "%s", "access": [' % FORMAT
_TAIL = "]}\n"

Key = tuple[str, str, str]  # (principal, bucket, level)


def block(rows: Iterable[tuple[str, str, str, str]]) -> str:
    """One bucket's rows as the file holds them (sorted; the items of the list, without its brackets)."""
    return json.dumps(sorted(rows))[1:-1]


def pieces(blocks: Mapping[str, str]) -> Iterator[str]:
    """The file, from every bucket's block (bucket name -> block), in pieces for a file written as they come (a
    night's is a hundred megabytes)."""
    yield _HEAD
    yield from joined([blocks[b] for b in sorted(blocks) if blocks[b]], ", ")
    yield _TAIL


def blocks_of(access: Mapping[Key, str]) -> dict[str, str]:
    """bucket -> block, from an access map ((principal, bucket, level) -> decision)."""
    by_bucket: dict[str, list[tuple[str, str, str, str]]] = {}
    for (p, b, lv), d in access.items():
        by_bucket.setdefault(b, []).append((p, b, lv, d))
    return {b: block(rows) for b, rows in by_bucket.items()}


def rows_of(blocks: Mapping[str, str], buckets: Iterable[str]) -> dict[Key, str]:
    """The access map of these buckets (their blocks parsed)."""
    wanted = [blocks[b] for b in buckets if blocks.get(b)]
    return {(p, b, lv): d for p, b, lv, d in json.loads("[" + ", ".join(wanted) + "]")}


def changes(before: Mapping[str, str], after: Mapping[str, str]) -> list:
    """``report.access.access_changes`` between two nights given as blocks: only the buckets whose blocks
    differ are read (the others hold the same rows, which change nothing)."""
    from .report.access import access_changes
    differ = [b for b in {**before, **after} if before.get(b, "") != after.get(b, "")]
    return access_changes(rows_of(before, differ), rows_of(after, differ))
