"""Units and shards: how the data of an estate is split into independent pieces of work.

A **unit** is a bucket name: the bucket of that name and the access points attached to it (an access point's
edges and findings go with its bucket, whose data nodes a path query asks for together). Units come in the
snapshot's order of its buckets and access points (per account, the buckets, then the access points), so a
shard of consecutive units holds buckets of few accounts, whose decisions the engine shares most.

A **shard** is a run of consecutive units. The split changes nothing in the results (the data stage of a part
is the whole's part, rules read the whole snapshot): it only balances the work.
"""
from __future__ import annotations

from typing import Sequence

from ..graph.data_stage import data_resources
from ..snapshot.model import AccessPoint, Bucket, Snapshot

# Below this many buckets and access points a run stays in one process: starting workers and building the
# principal stage in each costs more than the pool gains.
LARGE_ESTATE = 2000
# Enough pieces to even out uneven shards, few enough that what each one repeats stays small: each shard copies
# the principal graph and rediscovers, principal by principal, which of its buckets decide alike.
SHARDS_PER_WORKER = 2


def unit_names(snapshot: Snapshot) -> list[str]:
    """The units of the snapshot (bucket names), each once, in the order of their first bucket or access point."""
    return list(dict.fromkeys(_unit_of(x) for x in data_resources(snapshot)))


def resources_of(snapshot: Snapshot, names: Sequence[str] | set[str]) -> list[Bucket | AccessPoint]:
    """The buckets and access points of these units, in the snapshot's order."""
    wanted = set(names)
    return [x for x in data_resources(snapshot) if _unit_of(x) in wanted]


def unit_of_arn(snapshot: Snapshot) -> dict[str, str]:
    """ARN of every bucket and access point -> its unit."""
    return {x.arn: _unit_of(x) for x in data_resources(snapshot)}


def _unit_of(x: Bucket | AccessPoint) -> str:
    return x.name if isinstance(x, Bucket) else x.bucket


def split(names: Sequence[str], shards: int) -> list[list[str]]:
    """Consecutive runs of units, as even as can be, at most ``shards`` of them (none empty)."""
    n = len(names)
    shards = max(1, min(shards, n))
    if n == 0:
        return []
    size, extra = divmod(n, shards)
    out, start = [], 0
    for i in range(shards):
        end = start + size + (1 if i < extra else 0)
        out.append(list(names[start:end]))
        start = end
    return out


def cores() -> int:
    """The cores this process may run on."""
    import os
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_workers(snapshot: Snapshot | None, cores: int | None) -> int:
    """``--workers`` when not given: every core for a large estate, one process otherwise."""
    if snapshot is None or cores is None or cores < 2:
        return 1
    return cores if len(data_resources(snapshot)) >= LARGE_ESTATE else 1


def shard_count(units: int, workers: int) -> int:
    return max(1, min(units, workers * SHARDS_PER_WORKER)) if workers > 1 else 1
