"""``s3audit check``: run the rules over a snapshot or an IaC change, apply a profile, report, gate.

Inputs: a snapshot, or IaC (Terraform directories, plans, CloudFormation templates — as ``--terraform``,
``--terraform-plan``, ``--cloudformation`` or positional files the pre-commit hook passes), optionally
overlaid on the live estate (``--live``, or a positional snapshot given together with IaC). With a live
estate, only what the change introduces is reported (and what it fixes is listed): the rules run on the
live snapshot and on the overlaid one and the findings are compared by fingerprint. What a plan destroys
is taken out of the live snapshot first; a finding that only a destroyed resource explains is placed on
that resource's declaration (or its entry in the plan file). Without a live estate, deletions are noted
and ignored.

Exit status: 0 when nothing open (or unknown) is at or above ``--fail-on`` (waived findings never
count), 1 when something is, 2 for bad input or usage.
"""
from __future__ import annotations

import sys

from ..errors import S3AuditError, UsageError
from . import _audit, _inputs


def run(args) -> int:
    from ..gcpause import no_cyclic_gc
    from ..progress import Progress
    with no_cyclic_gc():  # what a check builds lives until it ends: see gcpause.py
        with Progress("check") as progress:
            found = _check(args, progress)
        if found is None:
            return 0
        report, pairs = found
        _audit.write_outputs(report, pairs, args.color)
        return report.exit_status


def _check(args, progress):
    """The report of a check and where to write it (None: nothing to check)."""
    from ..audit import apply_baseline, evaluate, introduced_and_fixed, locate, set_by_the_input
    from ..report.model import Report, snapshot_provenance
    from ..subjects import SubjectIndex

    pairs = _audit.resolve_outputs(args.format, args.output)
    today = _audit.parse_today(args.today)
    profile = _audit.load_profile_arg(args.profile)
    threshold = profile.threshold(args.fail_on)
    baseline = _audit.load_baseline(args.baseline)

    snapshot_path, iac_paths, skipped = _split_inputs(args.inputs, getattr(args, "skip_unrecognized", False))
    terraform, plans, templates = list(args.terraform or ()), list(args.terraform_plan or ()), \
        list(args.cloudformation or ())
    _inputs.require_inputs(iac_paths, terraform, plans, templates, args.live)
    if getattr(args, "terraform_dir", None) is not None:  # a plan's configuration, named: it must be there
        _inputs.require_inputs([], [args.terraform_dir], [], [], None)
    has_iac = bool(iac_paths or terraform or plans or templates)
    live_path = args.live
    if snapshot_path and live_path and has_iac:
        raise UsageError("give the live estate once: either --live or a snapshot argument, not both")
    if snapshot_path and has_iac:
        live_path = snapshot_path  # a snapshot next to IaC inputs is the estate they change
    if live_path and not has_iac:
        raise UsageError("--live needs a change to overlay: --terraform, --terraform-plan or --cloudformation")
    for path in skipped:
        print(f"s3audit: skipped {path}: not a snapshot, Terraform or CloudFormation template", file=sys.stderr)
    if not snapshot_path and not has_iac:
        if skipped:
            print("s3audit: nothing to check", file=sys.stderr)
            return None
        raise UsageError("give a snapshot, or IaC with --terraform, --terraform-plan or --cloudformation")

    wants_pictures = any(fmt in ("markdown", "html") for fmt, _ in pairs)
    wants_graph = any(fmt == "html" for fmt, _ in pairs)  # the HTML page draws every path to sensitive data
    notes: list[str] = []
    resolved = []
    drawn = None  # pictures of paths to sensitive data, when a run split into tasks drew them
    progress.stage("reading the inputs")
    if has_iac:
        from ..fileio import read_json
        from ..snapshot.load import snapshot_from_dict
        from ..sources.iac import placed_in_change, typed_snapshot
        live_doc = read_json(live_path) if live_path else None
        change = _inputs.iac_change(args, iac_paths, live_doc)
        doc = change.snapshot
        if change.removals and live_doc is None:
            n = len({r.address for r in change.removals})
            notes.append(f"the change destroys {n} resource{'s' if n != 1 else ''}: deletions are only checked "
                         f"against the live estate (--live)")
        snap = typed_snapshot(change, [*iac_paths, *terraform, *plans, *templates], remember_valid=live_doc is None)
        try:
            subjects = SubjectIndex(snap)
            graph = _graph(snap, wants_graph, notes, progress)
            progress.stage("running the rules")
            ev = evaluate(snap, profile, rule_files=args.rules or (), today=today, subjects=subjects,
                          engine=graph.engine if graph else None, graph=graph)
        except S3AuditError as exc:  # a value the change wrote: say where it wrote it
            raise placed_in_change(exc, doc) from None
        findings = ev.findings
        if live_doc is not None:
            from ..sources.locations import carry_locations
            from ..sources.removals import RemovalLocator
            live_snap = snapshot_from_dict(live_doc, file=live_path)
            progress.stage("running the rules on the live estate")
            before = evaluate(live_snap, profile, rule_files=args.rules or (), today=today)
            findings, resolved = introduced_and_fixed(before.findings, ev.findings)
            # What the change introduces is on the overlaid snapshot, what it fixes on the live one: both
            # are placed on the change's files, a destroyed resource's declaration included.
            removed = RemovalLocator(change.removals, live_doc)
            findings = locate(findings, snap, subjects, fallback=lambda f: removed.location_for(f, doc), inside=True)
            resolved = locate(resolved, live_snap, locations=carry_locations(doc, live_doc),
                              fallback=lambda f: removed.location_for(f, live_doc), inside=True)
            mode = "overlay"
        else:
            # `inside`: a bucket the change only names is placed where the change sets something of it (its policy)
            findings, unjudged = set_by_the_input(locate(findings, snap, subjects, inside=True), snap, subjects)
            if unjudged:
                n = len(unjudged)
                notes.append(f"{n} check{'s' if n != 1 else ''} not judged: about settings the change does not "
                             f"declare (such as the account's Block Public Access); give the live estate (--live) "
                             f"to judge them")
            mode = "iac"
        inputs = [*(live_path and [live_path] or []), *iac_paths, *terraform, *plans, *templates]
    else:
        from . import _scale
        loaded = _scale.load(snapshot_path)
        snap = loaded.snapshot
        doc = loaded.document  # --suggest: the suggestions are patches of the document itself
        subjects = SubjectIndex(snap)
        # --suggest reruns the rules on changed estates: one process, with the whole graph
        how = None if args.suggest else _scale.executors(args, snap)
        if how is not None:  # split into tasks: the graph is never whole here
            graph = None
            progress.stage("analysing the estate as tasks")
            done = _scale.evaluate(loaded, profile, how, rule_files=args.rules or (), today=today, subjects=subjects,
                                   pictures=wants_pictures)
            ev, drawn = done.ev, done.drawn
        else:
            graph = _graph(snap, wants_graph, notes, progress)
            progress.stage("running the rules")
            ev = evaluate(snap, profile, rule_files=args.rules or (), today=today, subjects=subjects,
                          engine=graph.engine if graph else None, graph=graph)
        findings = locate(ev.findings, snap, subjects)
        mode, inputs = "snapshot", [snapshot_path]

    baseline_info = None
    if baseline is not None:
        findings, known = apply_baseline(findings, baseline)
        baseline_info = {"file": args.baseline, "known": known}

    report = Report(findings=findings, rules=ev.rules, packs=ev.packs, snapshot=snapshot_provenance(snap),
                    profile=_profile_info(profile), fail_on=threshold,
                    waivers=[w.to_json() for w in ev.waivers], baseline=baseline_info, resolved=resolved,
                    mode=mode, inputs=inputs, notes=notes)
    if getattr(args, "suggest", False):
        from ..audit import compiled_rules
        from ..fixes.suggest import suggest
        program = compiled_rules([*profile.rule_files, *(args.rules or ())], profile.params)
        found = suggest(doc, snap, program, report.findings, graph=graph)
        report.suggestions = {fp: s.to_json() for fp, s in found.items()}
        if any(fmt == "sarif" for fmt, _ in pairs):
            _audit.fix_regions(report, snap, doc)
    if any(fmt == "html" for fmt, _ in pairs):
        from ..history import account_of_findings
        report.accounts = account_of_findings(report.findings, subjects)
    if wants_pictures:
        from ..report.access import report_pictures
        report.paths = report_pictures(report.findings, snap, graph, profile, ev.data_classes, drawn)
    if any(fmt == "sarif" for fmt, _ in pairs) and mode == "snapshot":
        _audit.sarif_lines(report, snap, subjects)
    return report, pairs


def _split_inputs(paths, skip_unrecognized: bool = False):
    snapshot, iac, skipped = None, [], []
    for p in paths or ():
        kind = _audit.snapshot_kind(p)
        if kind == "other" and not skip_unrecognized:
            raise _audit.unrecognized(p, "not a snapshot, a Terraform file or directory, a plan or a "
                                         "CloudFormation template")
        if kind == "snapshot":
            if snapshot is not None:
                raise UsageError(f"one snapshot at a time (got `{snapshot}` and `{p}`); use `s3audit diff` to "
                                 f"compare two")
            snapshot = p
        elif kind == "iac":
            iac.append(p)
        elif kind == "findings":
            raise UsageError(f"`{p}` is a findings file, not a snapshot; give it with --baseline, or compare "
                             f"findings with `s3audit diff`")
        else:
            skipped.append(p)
    return snapshot, iac, skipped


def _graph(snap, wanted: bool, notes: list[str], progress=None):
    if not wanted:
        return None
    if progress is not None:
        progress.stage("building the access graph")
    from ..report.access import build_graph
    graph = build_graph(snap)
    if graph is None:
        notes.append("the access graph is not part of this build: no pictures of paths to sensitive data")
    return graph


def _profile_info(profile) -> dict:
    out = {"name": profile.name, "file": profile.file, "description": profile.description,
           "fail_on": profile.fail_on}
    if profile.assume:
        out["assume"] = sorted(profile.assume)
    return out
