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
from typing import Any, Callable, Iterable, Mapping

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
            history: str | None = None, full: bool = False,
            before_forking: Callable[[], None] | None = None) -> Analysis:
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
        if before_forking is not None and runner.parallel and local:
            before_forking()  # (a pool forks its workers at the first task; a thread should not be running then)
        try:
            with runner:
                # task 0 is the global one, set going first: it needs nothing the history says
                glob = runner.start(worker.run_task, [(job, 0, None)] if rules else [],
                                    lambda i: "the account and statement rules")
                if history is not None:
                    from .keys import Keys, program_fingerprint
                    keys = Keys(source.document, snap, principals,
                                program_fingerprint(program, params_text) + repr((job.access, job.sensitive, job.assume)))
                    reuse = plan_reuse(history, keys, snap, principals, engine, names, full)
                    if reuse.kept is not None:
                        held.callback(reuse.kept.close)  # save appends to the log, or copies from it
                todo = [n for n in names if n not in reuse.planned]
                parts = split(todo, shards or shard_count(len(todo), runner.capacity()))
                stats["shards"] = len(parts)
                # shard i is task i (S3AUDIT_KILL_SHARD=i drills its loss)
                computing = runner.start(worker.run_task, [(job, i + 1, p) for i, p in enumerate(parts)],
                                         lambda i: f"shard {i + 1} of {len(parts)}")
                if reuse.kept is not None:
                    read_reused(reuse)  # while the workers compute the rest
                results = glob.results() + computing.results()
                if reuse.lost:  # kept lines that proved damaged: their units are computed now, after the others
                    more = split(reuse.lost, shard_count(len(reuse.lost), runner.capacity()))
                    results += runner.run(worker.run_task, [(job, len(parts) + i + 1, p) for i, p in enumerate(more)],
                                          lambda i: f"shard {len(parts) + i + 1} of {len(parts) + len(more)}")
                    stats["shards"] += len(more)
        finally:
            if local:
                worker.forget()
        stats["reused"] = len(reuse.results)
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
            lines: dict[str, str | store.Reused] = {}
            heads: dict[str, store.Head] = {}
            for n in names:
                if n in reuse.lines:
                    lines[n] = reuse.lines[n]
                else:
                    u = units[n]
                    e = store.entry(u, statics[n], keys.full_key(statics[n], u.callers, u.buckets))
                    lines[n], heads[n] = store.line(n, e), store.head(e)
            store.save(history, keys.global_digest, lines, reuse.kept, heads)
        stats["computed"] = len(computed)
        stats["edges"] = sum(u.edges for u in ordered) + (glob.principal_edges if glob is not None else 0)
        return out


@dataclass
class Reuse:
    """What a scan history lets a run reuse: planned from the index (``plan_reuse``), then read
    (``read_reused``)."""

    kept: store.Kept | None = None  # the history's units (its log open until the run has saved)
    planned: set[str] = field(default_factory=set)  # units whose kept keys still hold: not computed
    results: dict[str, UnitResult] = field(default_factory=dict)  # unit -> its results, reused
    lines: dict[str, store.Reused] = field(default_factory=dict)  # unit reused -> its line in the log
    lost: list[str] = field(default_factory=list)  # units planned whose lines did not read back whole
    statics: dict[str, str] = field(default_factory=dict)  # unit -> its static key tonight (keys.py)
    previous_access: dict[str, str] | None = None  # the kept access rows (store.Kept.previous_access)


def plan_reuse(history: str, keys, snap, principals, engine, names: list[str], full: bool) -> Reuse:
    """Every unit's static key tonight, and the units whose kept keys still hold (unless ``full``), by the
    history's index alone: their lines are read by ``read_reused``."""
    from ..graph.data_stage import pair_data
    from .units import resources_of
    with no_cyclic_gc():
        pairing = pair_data(snap, principals, resources_of(snap, names), engine)
    candidates: dict[str, set[str]] = {}
    unit_of = unit_of_arn(snap)
    for arn, found in pairing.candidates:
        candidates.setdefault(unit_of[arn], set()).update(found)
    kept = store.open_log(history)
    if kept is None:
        return Reuse(statics={n: keys.static_key(n, candidates.get(n, ())) for n in names})
    try:
        reuse = Reuse(kept)
        heads = kept.heads if kept.global_digest == keys.global_digest and not full else {}
        for n in names:
            static = reuse.statics[n] = keys.static_key(n, candidates.get(n, ()))
            if store.still_valid(heads.get(n), static, keys.full_key):
                reuse.planned.add(n)
    except BaseException:
        kept.close()
        raise
    return reuse


def read_reused(reuse: Reuse) -> None:
    """The kept lines: the results of the units planned for reuse (those that do not read back whole are
    ``lost``, to be computed) and the previous night's access rows."""
    kept = reuse.kept
    kept.read()  # every line, not only the planned ones': the previous access rows are all of them
    reuse.previous_access = kept.previous_access()
    for n in sorted(reuse.planned, key=lambda n: kept.spans[n].start):
        result = store.reusable(n, kept.entries[n]) if n in kept.entries else None
        if result is None:
            reuse.lost.append(n)
        else:
            reuse.results[n] = result
            reuse.lines[n] = kept.spans[n]
    kept.entries.clear()  # what is reused is in `results` now; the rest is not needed


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
