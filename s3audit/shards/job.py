"""What a shard task is asked to do: a plain, picklable description that every worker reads the same way."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    snapshot: str  # a path or an s3:// URL every worker can read
    digest: str  # SHA-256 of the snapshot's text: a worker that reads something else refuses to go on
    rule_files: tuple[str, ...] = ()  # rule files run beside the built-in packs (paths the workers can read)
    params: str = "{}"  # the profile's parameter values, as JSON
    access: bool = False  # who can reach each bucket at each level (scan's access map)
    sensitive: tuple[tuple[str, tuple[str, ...]], ...] | None = None  # data scope of the path pictures, if any
    assume: tuple[str, ...] = ()  # residual conditions the profile assumes met (for the pictures)
    paths_from: tuple[tuple[str, ...], str, int | None] | None = None  # (start principals, access, max hops)
    record: bool = False  # record what each unit read (for an incremental run)
