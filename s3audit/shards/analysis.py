"""A run over a snapshot as tasks: what ``check``, ``scan``, ``report`` and ``paths`` call with ``--workers`` or
``--scheduler``, and ``scan`` for its incremental nights (see the package docstring).

``analyse`` returns what the one-process path gives: the rule run (findings in the same order), the access
map, the pictures of paths to sensitive data, the paths from chosen principals. With ``history``, units whose
digests are unchanged since the last run are taken from the history (``store.py``) instead of computed, and
the units computed are kept there for the next run.
"""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..gcpause import no_cyclic_gc
from . import store, worker
from .executors import Runner
from .job import Job
from .results import UnitResult, merge_access, merge_findings, merge_paths, merge_pictures
from .units import shard_count, split, unit_names, unit_of_arn


@dataclass
class Source:
    """The snapshot as the parent has it, and where workers read it."""

    location: str  # what workers read (an absolute path or an s3:// URL)
    digest: str  # SHA-256 of its text
    snapshot: Any  # the model
    document: dict | None = None  # the parsed JSON (needed for incremental runs)


@dataclass
class Analysis:
    run: Any  # audit.RuleRun (without the INPUT-not-read findings: audit.with_unread adds them)
    access: dict[str, str] | None = None  # bucket -> its rows of access.json (access_file.block)
    # with a history: the access rows its units file kept (store.Kept.previous_access), the previous night's
    # if that night wrote it; None when it kept none
    previous_access: dict[str, str] | None = None
    pictures: list | None = None
    paths: list | None = None
    stats: dict = field(default_factory=dict)


def analyse(source: Source, *, rule_files: Iterable[str] = (), params: Mapping[str, Any] | None = None,
            access: bool = False, sensitive: Mapping[str, Iterable[str]] | None = None,
            assume: Iterable[str] = (), paths_from: tuple | None = None, rules: bool = True,
            workers: int = 1, scheduler: str | None = None, shards: int | None = None,
            history: str | None = None, full: bool = False) -> Analysis:
    from ..audit import compiled_rules, rule_run
    from ..lang.evaluate import RunResult
    params_text = json.dumps(dict(params or {}), sort_keys=True, default=str)
    rule_files = tuple(rule_files)
    program = compiled_rules(rule_files, params or {})
    job = Job(source.location, source.digest, rule_files, params_text, access,
              tuple((k, tuple(v)) for k, v in sensitive.items()) if sensitive is not None else None,
              tuple(sorted(assume)), paths_from, record=history is not None)
    snap = source.snapshot
    names = unit_names(snap)
    runner = Runner(workers, scheduler)
    local = scheduler is None
    stats = {"units": len(names), "reused": 0}

    # The parent builds the principal stage itself when it runs tasks (one process), forks a pool (whose
    # workers inherit it) or needs it for the digests; Dask workers build their own.
    keys = None
    reused: dict[str, UnitResult] = {}
    kept_lines: dict[str, store.Reused] = {}  # where each unit reused has its line in the units log
    statics: dict[str, str] = {}
    kept = previous_access = None
    todo = names
    with contextlib.ExitStack() as held:
        if local or history is not None:
            engine, principals = principal_stage(snap)
            worker.prepare(job, snap, engine, principals)
            if history is not None:
                from ..graph.data_stage import pair_data
                from .keys import Keys, program_fingerprint
                from .units import resources_of
                keys = Keys(source.document, snap, principals,
                            program_fingerprint(program, params_text) + repr((job.access, job.sensitive, job.assume)))
                with no_cyclic_gc():
                    pairing = pair_data(snap, principals, resources_of(snap, names), engine)
                candidates: dict[str, set[str]] = {}
                unit_of = unit_of_arn(snap)
                for arn, found in pairing.candidates:
                    candidates.setdefault(unit_of[arn], set()).update(found)
                kept = store.load(history)
                if kept is not None:
                    held.callback(kept.close)  # save copies the lines it reuses from the file
                    previous_access = kept.previous_access()
                stored = kept.entries if kept is not None and kept.global_digest == keys.global_digest and not full \
                    else {}
                todo = []
                for n in names:
                    statics[n] = keys.static_key(n, candidates.get(n, ()))
                    old = stored.get(n)
                    result = store.reusable(n, old) if store.still_valid(old, statics[n], keys.full_key) else None
                    if result is not None:
                        reused[n] = result
                        kept_lines[n] = kept.spans[n]
                    else:
                        todo.append(n)
                stats["reused"] = len(reused)
                if kept is not None:
                    kept.entries.clear()  # what is reused is in `reused` now; the rest is not needed
        try:
            with runner:
                parts = split(todo, shards or shard_count(len(todo), runner.capacity()))
                stats["shards"] = len(parts)
                # task 0 is the global one; shard i is task i (S3AUDIT_KILL_SHARD=i drills its loss)
                calls = ([(job, 0, None)] if rules else []) + [(job, i + 1, p) for i, p in enumerate(parts)]
                results = runner.run(worker.run_task, calls, lambda i: "the account and statement rules"
                                     if calls[i][2] is None else f"shard {calls[i][1]} of {len(parts)}")
        finally:
            if local:
                worker.forget()
        meters: dict[int, dict] = {}
        for _, m in results:
            seen = meters.setdefault(m.pid, {"peak_rss_mib": 0.0, "cpu_s": 0.0, "tasks": 0})
            seen["peak_rss_mib"] = max(seen["peak_rss_mib"], round(m.peak_rss_mib))
            seen["cpu_s"] = max(seen["cpu_s"], round(m.cpu_s, 2))
            seen["tasks"] += 1
        stats["processes"] = list(meters.values())
        results = [r for r, _ in results]
        glob = results[0] if rules else None
        computed: dict[str, UnitResult] = {u.name: u for part in results[1 if rules else 0:] for u in part}
        units = {**reused, **computed}
        ordered = [units[n] for n in names]

        out = Analysis(None, stats=stats, previous_access=previous_access)
        if rules:
            order = [r.meta.id for r in sorted(program.compiled, key=lambda r: (-int(r.meta.severity), r.meta.id))]
            findings = merge_findings(order, [glob.findings, *(u.findings for u in ordered)])
            out.run = rule_run(program, RunResult(findings, program.rules, list(program.packs),
                                                  dict(program.data_classes)))
        if access:
            out.access = merge_access(ordered)
        if sensitive is not None:
            out.pictures = merge_pictures([b.name for b in snap.buckets], units)
        if paths_from is not None:
            out.paths = merge_paths(ordered)
        if history is not None:
            store.save(history, keys.global_digest, {
                n: kept_lines[n] if n in kept_lines else
                store.line(n, store.entry(units[n], statics[n], keys.full_key(statics[n], units[n].callers,
                                                                             units[n].buckets)))
                for n in names}, kept)
            del kept_lines
        stats["computed"] = len(computed)
        stats["edges"] = sum(u.edges for u in ordered) + (glob.principal_edges if glob is not None else 0)
        return out


def principal_stage(snapshot):
    """The engine (policies compiled) and the principal stage of a snapshot."""
    from ..graph.principal_stage import build_principal_graph
    from ..iam.engine import Engine
    engine = Engine(snapshot)
    with no_cyclic_gc():
        engine.compile_all()
        return engine, build_principal_graph(snapshot, engine)
