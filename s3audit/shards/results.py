"""What the tasks return, and the deterministic merge of their parts.

The merge gives exactly what one process gives: a rule's findings in the order of its subjects and keys,
ties (findings of one subject with the same key) in the order they were found — a tie never spans two units,
as a finding's subject or key names its unit; the access map as a mapping; the pictures of paths in the
order of the snapshot's buckets; paths from principals by principal, then bucket.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ..findings import Finding

_SUBJECT_ORDER = operator.attrgetter("subject", "key")  # what evaluate.run_rules sorts a rule's findings by


@dataclass
class UnitResult:
    """One unit's share of a run (plain data: it is pickled to the parent and kept in a scan history)."""

    name: str
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # rule id -> findings, in order
    access: str = ""  # its rows of access.json (access_file.block): who can reach its buckets
    pictures: list[list[Any]] = field(default_factory=list)  # per bucket of the unit (snapshot order): pictures
    paths: list[Any] = field(default_factory=list)  # paths from the chosen principals to the unit's buckets
    edges: int = 0  # can-access edges to its data nodes (the benchmarks' cost per edge)
    # what the unit's rules read beyond the unit (incremental runs): principals the engine was asked about,
    # other buckets asked about, and whether something was read that cannot be named (never reused then)
    callers: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    opaque: bool = False


@dataclass
class GlobalResult:
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    principal_edges: int = 0


@dataclass
class Meter:
    """Where a task ran and what its process had used by its end (for the benchmarks)."""

    pid: int
    peak_rss_mib: float
    cpu_s: float


def meter() -> Meter:
    import os
    import resource
    import time
    return Meter(os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, time.process_time())


def merge_findings(rule_order: Sequence[str], parts: Iterable[dict[str, list[Finding]]]) -> list[Finding]:
    """The findings of every rule, rules in ``rule_order`` (evaluate.run_rules' order), each rule's findings
    merged from the parts as one run sorts them."""
    by_rule: dict[str, list[list[Finding]]] = {}
    for part in parts:
        for rule, found in part.items():
            if found:
                by_rule.setdefault(rule, []).append(found)
    out: list[Finding] = []
    for rule in rule_order:
        lists = by_rule.pop(rule, None)
        if not lists:
            continue
        if len(lists) == 1:
            out.extend(lists[0])
        else:
            # each part is sorted already (a stable sort of their concatenation merges the runs; ties, which
            # are within one part, keep its order)
            found = [f for part in lists for f in part]
            found.sort(key=_SUBJECT_ORDER)
            out.extend(found)
    if by_rule:  # pragma: no cover - a rule the program does not have
        raise AssertionError(f"findings of unknown rules: {sorted(by_rule)}")
    return out


def merge_access(units: Iterable[UnitResult]) -> dict[str, str]:
    """bucket -> its rows of access.json (``access_file.block``), for the units with any."""
    return {u.name: u.access for u in units if u.access}


def merge_pictures(bucket_names: Sequence[str], units: dict[str, UnitResult]) -> list[Any]:
    """Pictures in the order of the snapshot's buckets (``bucket_names``: snapshot.buckets' names, in order)."""
    seen: dict[str, int] = {}
    out: list[Any] = []
    for name in bucket_names:
        i = seen.get(name, 0)
        seen[name] = i + 1
        u = units.get(name)
        if u is not None and i < len(u.pictures):
            out.extend(u.pictures[i])
    return out


def merge_paths(units: Iterable[UnitResult]) -> list[Any]:
    return sorted((p for u in units for p in u.paths), key=lambda p: (p.principal, p.bucket))
