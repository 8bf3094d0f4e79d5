"""The tasks, as they run in a worker process (or in the parent, for a run in one process).

A worker keeps one estate in memory: the snapshot it read (from the path or URL the job names, checked against
the job's digest), the engine and the principal stage. They are made by the first task of a run that reaches
the worker and serve every later one, so a worker reads the snapshot once, not once per task. A Dask worker
runs tasks in threads of one process: the engine memoises and is not safe to share between threads, so the
tasks of one process run one at a time (they would share one core under the GIL anyway).
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from ..gcpause import no_cyclic_gc
from .job import Job
from .results import GlobalResult, Meter, UnitResult, meter

SHARD_KINDS = frozenset({"bucket", "access_point", "path"})  # rules whose subjects belong to one unit

_run_lock = threading.Lock()
_states: dict[tuple[str, str], "_State"] = {}


@dataclass
class _State:
    snapshot: Any
    engine: Any
    principals: Any
    unit_of_arn: dict[str, str]


def prepare(job: Job, snapshot=None, engine=None, principals=None) -> None:
    """Hand a worker (or the parent) the estate it would otherwise read: the parent has it already, and a
    process pool forked from the parent inherits it."""
    from .units import unit_of_arn
    if (job.snapshot, job.digest) not in _states and snapshot is not None and principals is not None:
        _states.clear()
        _states[(job.snapshot, job.digest)] = _State(snapshot, engine, principals, unit_of_arn(snapshot))


def forget() -> None:
    _states.clear()


def _state(job: Job) -> _State:
    key = (job.snapshot, job.digest)
    st = _states.get(key)
    if st is None:
        from ..graph.principal_stage import build_principal_graph
        from ..iam.engine import Engine
        from .location import read_snapshot
        from .units import unit_of_arn
        snapshot = read_snapshot(job.snapshot, job.digest)
        engine = Engine(snapshot)
        with no_cyclic_gc():
            engine.compile_all()
            principals = build_principal_graph(snapshot, engine)
        _states.clear()  # one estate per worker: a new run's replaces the last one's
        st = _states[key] = _State(snapshot, engine, principals, unit_of_arn(snapshot))
    return st


def _program(job: Job):
    from ..audit import compiled_rules
    return compiled_rules(job.rule_files, json.loads(job.params))


def describe_worker() -> dict:
    """What a worker runs (checked by the parent before a Dask run: a worker with another s3audit would give
    other findings)."""
    from .keys import code_fingerprint
    return {"code": code_fingerprint()}


# ---------------------------------------------------------------------------------------------- the tasks
def run_task(job: Job, index: int, names: list[str] | None) -> tuple[list[UnitResult] | GlobalResult, Meter]:
    """Task ``index``: the global task (``names`` None) or a shard of units; with its process's meter."""
    out = run_global(job) if names is None else run_shard(job, index, names)
    return out, meter()


def run_shard(job: Job, index: int, names: list[str]) -> list[UnitResult]:
    """The data stage, the unit rules and what the outputs ask of the graph, for the units ``names``."""
    with _run_lock, no_cyclic_gc():
        _fault_point(index)
        return _run_shard(job, names)


def _run_shard(job: Job, names: list[str]) -> list[UnitResult]:
    from ..graph.build import assemble
    from ..graph.data_stage import build_data_graph
    from ..lang import evaluate as ev
    from .reads import UnitReads
    from .units import resources_of
    st = _state(job)
    program = _program(job)
    snap = st.snapshot
    data = build_data_graph(snap, st.principals, resources_of(snap, names), st.engine)
    graph = assemble(st.principals, data, snap, st.engine)
    out = {n: UnitResult(n) for n in names}
    reads = UnitReads(st.unit_of_arn) if job.record else None
    run = ev.run_rules(program, snap, engine=st.engine, graph=graph, buckets=names, observer=reads,
                       select=lambda m: m.subject in SHARD_KINDS)
    for f in run.findings:
        unit = st.unit_of_arn.get(f.subject) or (st.unit_of_arn.get(f.key[0]) if f.key else None)
        if unit not in out:  # pragma: no cover - a finding that names no unit of the shard
            raise AssertionError(f"finding {f.rule} on {f.subject} belongs to no unit of its shard")
        out[unit].findings.setdefault(f.rule, []).append(f)
    unit_of = st.unit_of_arn
    for _, d, _, _ in data.edges:
        out[unit_of[d]].edges += 1
    if job.access:
        from ..access_file import blocks_of
        from ..report.access import access_map
        for b, text in blocks_of(access_map(graph)).items():
            out[b].access = text
    if job.sensitive is not None:
        from ..report.access import picture, sensitive_reason
        from ..graph.paths import paths_to
        scope = dict(job.sensitive)
        assume = frozenset(job.assume)
        for b in snap.buckets:  # sensitive_paths, bucket by bucket, kept per bucket of the unit
            if b.name not in out:
                continue
            why = sensitive_reason(b.tags, scope)
            found = [picture(graph, p, why, assume=assume) for p in paths_to(graph, b.name, "any")] \
                if why and graph.data_nodes_of(b.name) else []
            out[b.name].pictures.append(found)
    if job.paths_from is not None:
        from ..graph.paths import paths_from
        starts, access, max_hops = job.paths_from
        for p in paths_from(graph, [s for s in starts if s in graph.g], access, max_hops):
            out[p.bucket].paths.append(p)
    if reads is not None:
        for n, u in out.items():
            u.callers = tuple(sorted(reads.callers.get(n, ())))
            u.buckets = tuple(sorted(reads.buckets.get(n, ())))
            u.opaque = n in reads.opaque
    return [out[n] for n in names]


def run_global(job: Job) -> GlobalResult:
    """The account, principal and statement rules (the whole graph is built only if one of them asks it)."""
    from ..lang import evaluate as ev
    with _run_lock, no_cyclic_gc():
        st = _state(job)
        run = ev.run_rules(_program(job), st.snapshot, engine=st.engine,
                           select=lambda m: m.subject not in SHARD_KINDS)
        out = GlobalResult(principal_edges=len(st.principals.edge_order))
        for f in run.findings:
            out.findings.setdefault(f.rule, []).append(f)
        return out


# ------------------------------------------------------------------------------------------ fault drills
FAULT_ENV = "S3AUDIT_KILL_SHARD"  # see drill.py


def _fault_point(index: int) -> None:
    from .drill import kill_point
    kill_point(FAULT_ENV, str(index))
