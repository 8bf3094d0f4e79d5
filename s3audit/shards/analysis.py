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
    with contextlib.ExitStack() as held:
        reuse = Reuse()
        if local or history is not None:
            engine, principals = principal_stage(snap)
            worker.prepare(job, snap, engine, principals)
            if history is not None:
                from .keys import Keys, program_fingerprint
                keys = Keys(source.document, snap, principals,
                            program_fingerprint(program, params_text) + repr((job.access, job.sensitive, job.assume)))
                reuse = plan_reuse(history, keys, snap, principals, engine, names, full)
                if reuse.kept is not None:
                    held.callback(reuse.kept.close)  # save appends to the log, or copies from it
                stats["reused"] = len(reuse.results)
        todo = [n for n in names if n not in reuse.results]
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
        stats["processes"] = _meters(m for _, m in results)
        results = [r for r, _ in results]
        glob = results[0] if rules else None
        computed: dict[str, UnitResult] = {u.name: u for part in results[1 if rules else 0:] for u in part}
        units = {**reuse.results, **computed}
        ordered = [units[n] for n in names]

        out = Analysis(None, stats=stats, previous_access=reuse.previous_access)
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
            statics = reuse.statics
            store.save(history, keys.global_digest, {
                n: reuse.lines[n] if n in reuse.lines else
                store.line(n, store.entry(units[n], statics[n], keys.full_key(statics[n], units[n].callers,
                                                                             units[n].buckets)))
                for n in names}, reuse.kept)
        stats["computed"] = len(computed)
        stats["edges"] = sum(u.edges for u in ordered) + (glob.principal_edges if glob is not None else 0)
        return out


@dataclass
class Reuse:
    """What a scan history lets a run reuse (``plan_reuse``)."""

    kept: store.Kept | None = None  # the history's units, read (its log open until the run has saved)
    results: dict[str, UnitResult] = field(default_factory=dict)  # unit -> its results, reused
    lines: dict[str, store.Reused] = field(default_factory=dict)  # unit reused -> its line in the log
    statics: dict[str, str] = field(default_factory=dict)  # unit -> its static key tonight (keys.py)
    previous_access: dict[str, str] | None = None  # the kept access rows (store.Kept.previous_access)


def plan_reuse(history: str, keys, snap, principals, engine, names: list[str], full: bool) -> Reuse:
    """Every unit's static key tonight, and the units whose kept results still hold (unless ``full``): those
    whose keys are as stored and whose stored results read back whole."""
    from ..graph.data_stage import pair_data
    from .units import resources_of
    with no_cyclic_gc():
        pairing = pair_data(snap, principals, resources_of(snap, names), engine)
    candidates: dict[str, set[str]] = {}
    unit_of = unit_of_arn(snap)
    for arn, found in pairing.candidates:
        candidates.setdefault(unit_of[arn], set()).update(found)
    kept = store.load(history)
    if kept is None:
        return Reuse(statics={n: keys.static_key(n, candidates.get(n, ())) for n in names})
    try:
        reuse = Reuse(kept, previous_access=kept.previous_access())
        stored = kept.entries if kept.global_digest == keys.global_digest and not full else {}
        for n in names:
            static = reuse.statics[n] = keys.static_key(n, candidates.get(n, ()))
            old = stored.get(n)
            result = store.reusable(n, old) if store.still_valid(old, static, keys.full_key) else None
            if result is not None:
                reuse.results[n] = result
                reuse.lines[n] = kept.spans[n]
    except BaseException:
        kept.close()
        raise
    kept.entries.clear()  # what is reused is in `results` now; the rest is not needed
    return reuse


def _meters(meters: Iterable) -> list[dict]:
    """Per process that ran tasks: its peak memory, its CPU by the end of its last task, how many tasks."""
    seen: dict[int, dict] = {}
    for m in meters:
        p = seen.setdefault(m.pid, {"peak_rss_mib": 0.0, "cpu_s": 0.0, "tasks": 0})
        p["peak_rss_mib"] = max(p["peak_rss_mib"], round(m.peak_rss_mib))
        p["cpu_s"] = max(p["cpu_s"], round(m.cpu_s, 2))
        p["tasks"] += 1
    return list(seen.values())


def principal_stage(snapshot):
    """The engine (policies compiled) and the principal stage of a snapshot."""
    from ..graph.principal_stage import build_principal_graph
    from ..iam.engine import Engine
    engine = Engine(snapshot)
    with no_cyclic_gc():
        engine.compile_all()
        return engine, build_principal_graph(snapshot, engine)
