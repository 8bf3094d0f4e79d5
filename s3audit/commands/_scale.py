"""``--workers`` and ``--scheduler`` for check, scan, report and paths: when a run is split into tasks
(``s3audit.shards``), and the glue between the tasks' results and what the commands report.

A run stays in one process, exactly as before, for small estates (``shards.units.LARGE_ESTATE``), for
``--workers 1`` and for pre-merge checks of IaC (whose start-up must not grow); the pool or the cluster is used
for large estates (every core by default) or when asked. Both give the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Loaded:
    location: str
    text: str
    document: dict
    snapshot: Any

    def source(self):
        from ..shards.analysis import Source
        from ..shards.location import digest_of, for_workers
        return Source(for_workers(self.location), digest_of(self.text), self.snapshot, self.document)


def load(location: str) -> Loaded:
    """A snapshot file or s3:// object, kept with its text (workers check they read the same)."""
    from ..shards.location import read_location
    from ..snapshot.load import document_and_snapshot
    text = read_location(location)
    doc, snapshot = document_and_snapshot(text, location)
    return Loaded(location, text, doc, snapshot)


def executors(args, snapshot, *, always: bool = False) -> tuple[int, str | None] | None:
    """(workers, scheduler) when this run is split into tasks, else None (one process, as ever); ``always``:
    as tasks even in one process (scan, whose history keeps the tasks' results)."""
    from .. import audit
    if audit._evaluator is not audit.lang_evaluator:  # a test's own evaluator: the one-process path
        return None
    scheduler = getattr(args, "scheduler", None)
    workers = getattr(args, "workers", None)
    if workers is None:
        from ..shards.units import cores, default_workers
        workers = default_workers(snapshot, cores())
    if scheduler is None and workers <= 1 and not always:
        return None
    return workers, scheduler


@dataclass
class Evaluated:
    ev: Any  # audit.Evaluation
    access: dict[str, str] | None  # bucket -> its rows of access.json (access_file.block)
    drawn: list | None  # pictures of the paths to sensitive data (the graph's part of report_pictures)
    stats: dict
    previous_access: dict[str, str] | None = None  # shards.analysis.Analysis.previous_access


def evaluate(loaded: Loaded, profile, how: tuple[int, str | None], *, rule_files=(), today, subjects,
             access: bool = False, pictures: bool = False, history: str | None = None,
             full: bool = False, before_forking=None) -> Evaluated:
    """``audit.evaluate`` (and what the reports ask of the graph) as tasks."""
    from ..audit import RuleRun, apply_profile, compiled_rules, rule_run, with_unread
    from ..lang.evaluate import RunResult
    from ..report.access import data_scope
    from ..shards.analysis import analyse
    files = [*profile.rule_files, *rule_files]
    sensitive = None
    if pictures:
        program = compiled_rules(files, profile.params)
        empty: RuleRun = with_unread(rule_run(program, RunResult([], program.rules, list(program.packs),
                                                                 dict(program.data_classes))), loaded.snapshot)
        classes = apply_profile(empty, profile, loaded.snapshot, today=today, subjects=subjects).data_classes
        sensitive = data_scope(classes, getattr(profile, "sensitive", None) or None)
    workers, scheduler = how
    result = analyse(loaded.source(), rule_files=files, params=profile.params, access=access, sensitive=sensitive,
                     assume=getattr(profile, "assume", ()) or (), workers=workers, scheduler=scheduler,
                     history=history, full=full, before_forking=before_forking)
    ev = apply_profile(with_unread(result.run, loaded.snapshot), profile, loaded.snapshot, today=today,
                       subjects=subjects)
    return Evaluated(ev, result.access, result.pictures, result.stats, result.previous_access)
