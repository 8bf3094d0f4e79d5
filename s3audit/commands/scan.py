"""``s3audit scan``: the nightly run. Collect (or take ``--snapshot``), check with a profile, keep a dated
record in ``--history DIR``, compare with the previous run, and alert only on what is new.

Exit status: 1 when a finding that the previous run did not have is open at or above the threshold
(waived findings never count; the first run compares against nothing, so everything is new), else 0;
2 for bad input. Standard output gets what changed (``--format``, default text).
"""
from __future__ import annotations

import os
import sys
import tempfile

from ..errors import UsageError
from . import _audit

DEFAULT_REPORTS = ("text", "markdown", "html", "sarif")
WHOLE_STATE = ("html", "sarif", "junit")  # the formats a run writes of the whole state (the others: of what changed)
FINDINGS_ALONE = ("sarif", "junit")  # of those, the ones that show the findings alone (no comparison, no pictures)
REPORT_FILES = {"text": "summary.txt", "markdown": "summary.md", "html": "report.html", "sarif": "findings.sarif",
                "junit": "junit.xml", "json": "diff.json"}


def run(args) -> int:
    from .. import history as hist
    from ..fileio import read_text
    from ..gcpause import no_cyclic_gc

    pairs = _audit.resolve_outputs(args.format, args.output)
    today = _audit.parse_today(args.today)
    profile = _audit.load_profile_arg(args.profile)
    threshold = profile.threshold(args.fail_on)
    formats = _audit.split_formats(args.report_format) if args.report_format else list(DEFAULT_REPORTS)
    directory = args.history
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise UsageError(f"--history `{directory}` is not a directory")

    from ..progress import Progress
    with hist.locked(directory), Progress("scan") as progress:
        for name in hist.remove_stale_files(directory):
            _audit.warn(f"removed {name}, left behind by an interrupted run")
        collected = None
        try:
            if args.snapshot:
                progress.stage("reading the snapshot")
                from ..shards.location import read_location  # a file, or s3://BUCKET/KEY
                source, text = args.snapshot, read_location(args.snapshot)
            else:
                progress.close()  # the collector draws its own progress
                source = collected = _collect(args, directory)
                text = read_text(source)
            with no_cyclic_gc():  # the run's millions of objects live until it ends: see gcpause.py
                written = _run(args, directory, source, text, profile, threshold, today, formats, progress)
        finally:
            if collected is not None:
                for leftover in (collected, collected + ".partial"):
                    try:
                        os.unlink(leftover)
                    except OSError:
                        pass
    delta, run_dir, files, shown = written
    print(f"wrote {run_dir}{os.sep} ({', '.join(files)}) and {os.path.join(directory, hist.INDEX)}",
          file=sys.stderr)
    _audit.write_outputs(delta, pairs, args.color, rendered=shown)
    return delta.exit_status


def _run(args, directory, source, text, profile, threshold, today, formats, progress):
    """Check one snapshot and record the run in the history (under its lock): (the report of what is new,
    the run's folder, the files written there, the report's texts rendered for them by format, as
    ``_audit.write_outputs`` takes them)."""
    from .. import access_file, lastrun
    from .. import history as hist
    from ..aside import Aside
    from ..audit import evaluate
    from ..fileio import write_atomic
    from ..report import render
    from ..report.access import access_map, build_graph, report_pictures
    from ..report.json import render as render_json
    from ..report.model import InReportOrder, Report, in_report_order, snapshot_provenance
    from ..snapshot.load import document_and_snapshot
    from ..subjects import SubjectIndex
    from . import _scale
    from .check import _profile_info

    doc, snap = document_and_snapshot(text, source)
    index = hist.load_index(directory, warn=_audit.warn)
    prev = hist.previous_run(index, snap.taken_at)
    # the previous run's files, read and hashed on the other core while this one analyses
    prefetched = lastrun.Prefetch(directory, prev) if prev is not None else None
    rid = hist.run_id(snap.taken_at)
    run_dir = os.path.join(directory, rid)
    subjects = SubjectIndex(snap)
    notes: list[str] = []
    how = _scale.executors(args, snap, always=True)
    drawn = access_now = kept_access = None
    if how is not None:
        # as tasks, reusing from the history the buckets whose inputs did not change (unless --full)
        graph = None
        progress.stage("analysing the estate as tasks")
        done = _scale.evaluate(_scale.Loaded(source, text, doc, snap), profile, how, rule_files=args.rules or (),
                               today=today, subjects=subjects, access=True, pictures=True, history=directory,
                               full=args.full, before_forking=prefetched.wait if prefetched is not None else None)
        ev, drawn, access_now, kept_access = done.ev, done.drawn, done.access, done.previous_access
    else:
        progress.stage("building the access graph")
        graph = build_graph(snap)
        if graph is None:
            notes.append("the access graph is not part of this build: no access changes or path pictures")
        progress.stage("running the rules")
        ev = evaluate(snap, profile, rule_files=args.rules or (), today=today, subjects=subjects,
                      engine=graph.engine if graph else None, graph=graph)
        access_now = access_file.blocks_of(access_map(graph)) if graph is not None else None
    # sorted once: what is new and what is unchanged are parts of it, taken in its order (compare keeps it)
    findings = in_report_order(ev.findings)
    # the provenance, one dict for every report of the run, whole before any is written
    provenance = {**snapshot_provenance(snap, file=source), "previous": prev["taken_at"] if prev else None}
    common = dict(rules=ev.rules, packs=ev.packs, snapshot=provenance,
                  profile=_profile_info(profile), fail_on=threshold,
                  waivers=[w.to_json() for w in ev.waivers], inputs=[source], notes=notes)
    state = Report(findings=findings, mode="snapshot", **common)
    files = {"snapshot": "snapshot.json.gz", "findings": "findings.json", "diff": "diff.json"}
    if access_now is not None:
        files["access"] = "access.json"
    files.update((fmt, REPORT_FILES[fmt]) for fmt in formats if fmt != "json")  # json: findings and diff

    # The large files are written by forked children (aside.py) while this process goes on, each as soon as
    # what it shows is known: the snapshot (compressed), SARIF and JUnit, which show the findings alone, at
    # once; findings.json and the page, which show the comparison and the pictures too, once those are made.
    # This process writes diff.json and the summaries, of what changed, then access.json.
    early = [fmt for fmt in formats if fmt in FINDINGS_ALONE]
    if prefetched is not None:
        prefetched.wait()  # (read long since: the children are forked with no other thread running)
    with Aside() as aside:
        aside.start(lambda: _write_whole(run_dir, state, early, snapshot_text=text),
                    what=", ".join([files["snapshot"], *(REPORT_FILES[fmt] for fmt in early)]))
        last = lastrun.load(directory, prev) if prev is not None else None  # the previous run, indexed
        if prev is not None:
            new, resolved, unchanged = lastrun.compare(directory, prev, findings, last, prefetched)
            new, unchanged = InReportOrder(new), InReportOrder(unchanged)
        else:
            new, resolved, unchanged = findings, [], []
        changes = []
        if access_now is not None and prev is not None:
            before_access = lastrun.access(directory, prev, last, kept_access, prefetched)
            if before_access is not None:
                changes = access_file.changes(before_access, access_now)
        prefetched = None  # (what it read is not needed any more)

        state.resolved, state.access_changes = resolved, changes
        delta = Report(findings=new, mode="scan", resolved=resolved, unchanged=unchanged, access_changes=changes,
                       **common)
        state.paths = report_pictures(ev.findings, snap, graph, profile, ev.data_classes, drawn)  # in the rules' order
        fresh = {f.fingerprint for f in new}  # once, not once per path (a first night: every finding is new)
        delta.paths = [p for p in state.paths if p.finding and p.finding in fresh]

        progress.stage("writing the run")
        accounts = hist.account_of_findings(findings, subjects)
        state.accounts = accounts  # the page groups findings by account
        # findings.json, then the page, in one child: each child copies the pages of the findings it touches, so
        # the two are written by the same one (findings.json's digest and places come back, for the next night's
        # comparison: lastrun.index). This process writes access.json last, when it has no other work left.
        late = [fmt for fmt in formats if fmt in WHOLE_STATE and fmt not in FINDINGS_ALONE]
        late_files = aside.start(lambda: _write_late(run_dir, state, late),
                                 what=", ".join([files["findings"], *(REPORT_FILES[fmt] for fmt in late)]))
        # what was rendered of `delta` (by format): standard output shows one of them again
        shown = {"json": render_json(delta).encode("utf-8")}  # encoded once, for diff.json and standard output
        write_atomic(os.path.join(run_dir, "diff.json"), shown["json"])
        for fmt in formats:
            if fmt not in WHOLE_STATE and fmt != "json":
                shown[fmt] = render(fmt, delta)
                write_atomic(os.path.join(run_dir, REPORT_FILES[fmt]), shown[fmt])
        entry = hist.entry_for(rid, snap.taken_at, findings, accounts, new=new, resolved=resolved,
                               profile=profile.name, fail_on=delta.fail_on_label, failing_new=len(delta.failing),
                               files=files)
        listed = lastrun.columns(findings)
        access_sha = _write_access(run_dir, access_now)
    # every file written (the block waited for the children's): the run is recorded
    sha, offsets = late_files.value
    indexed = lastrun.index(rid, sha, listed, offsets)
    if access_sha is not None:
        indexed["access"] = access_sha
    hist.record(index, entry)
    lastrun.save(directory, indexed)
    hist.save_index(directory, index)
    return delta, run_dir, list(files.values()), shown


def _write_whole(run_dir: str, state, formats: list[str], snapshot_text: str | None = None) -> None:
    """What a forked child writes (``_run``): the snapshot, compressed, and reports of the whole state, each
    written as it is rendered (``render_pieces``)."""
    from ..fileio import write_atomic, write_atomic_pieces
    from ..report import render_pieces
    if snapshot_text is not None:
        write_atomic(os.path.join(run_dir, "snapshot.json.gz"), snapshot_text)
    for fmt in formats:
        # a page too big to show whole links to findings.json beside it for the complete lists
        options = {"sidecar": {"findings": "findings.json", "paths": "findings.json"}} if fmt == "html" else {}
        write_atomic_pieces(os.path.join(run_dir, REPORT_FILES[fmt]), render_pieces(fmt, state, **options))


def _write_late(run_dir: str, state, formats: list[str]) -> tuple[str, list[int]]:
    """What a forked child writes (``_run``) once the comparison and pictures are made: findings.json, then the
    reports of the whole state that show them (the page); findings.json's digest and places (``_write_findings``)."""
    placed = _write_findings(run_dir, state)
    _write_whole(run_dir, state, formats)
    return placed


def _write_access(run_dir: str, access_now: dict | None) -> str | None:
    """access.json, and its digest (None when the run has no access map, so writes none)."""
    from .. import access_file
    from ..fileio import write_atomic_pieces
    if access_now is None:
        return None
    return write_atomic_pieces(os.path.join(run_dir, "access.json"), access_file.pieces(access_now), hashed=True)


def _write_findings(run_dir: str, state) -> tuple[str, list[int]]:
    """findings.json, written as it is rendered; the file's digest and where each of its findings
    (``state.sorted_findings``, in that order) starts in the text."""
    from ..fileio import write_atomic_pieces
    from ..report.json import render_streamed
    pieces, listed, offsets = render_streamed(state)
    if listed is not state.sorted_findings:  # pragma: no cover - the parent indexes them in that order
        raise AssertionError("findings.json lists the findings in another order than the report's")
    return write_atomic_pieces(os.path.join(run_dir, "findings.json"), pieces, hashed=True), offsets


def _collect(args, directory: str) -> str:
    """Collect a snapshot from AWS into a file in the history directory (removed after the run)."""
    from .. import history as hist
    try:
        from ..sources import aws
    except ImportError:
        raise UsageError("this build has no AWS collector; give the snapshot with --snapshot") from None
    fd, path = tempfile.mkstemp(prefix=hist.COLLECTING, suffix=".json.gz", dir=directory)
    os.close(fd)
    accounts = tuple(a.strip() for a in (args.accounts or "").split(",") if a.strip())
    options = aws.CollectOptions(
        output=path, profile=args.aws_profile, region=args.region, role_name=args.role_name,
        role_arns=tuple(args.role_arn), accounts=accounts, organization=args.organization,
        endpoint_url=args.endpoint_url,
        regions=tuple(r.strip() for r in (args.regions or "").split(",") if r.strip()), resume=False)
    aws.collect(options, aws.Progress(sys.stderr))
    return path
