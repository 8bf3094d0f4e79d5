"""``s3audit report SNAPSHOT -o report.html``: one self-contained HTML page for auditors.

Executive summary (by severity and by framework control), every finding with its evidence, every
reachable path to sensitive data drawn as SVG, the rule catalogue, and the snapshot's provenance. No
network is needed to view it. Exit status 0 (the page is written whatever it finds), or with ``--fail-on`` 1
when an open finding is at or above that severity; 2 for bad input.
"""
from __future__ import annotations

import sys

from . import _audit


def run(args) -> int:
    from ..audit import evaluate, locate
    from ..fileio import write_atomic
    from ..report import render
    from ..report.access import build_graph, pictures_from_findings, sensitive_paths
    from ..report.model import Report, snapshot_provenance
    from ..snapshot.load import load_snapshot
    from ..subjects import SubjectIndex
    from .check import _profile_info

    from ..progress import Progress

    today = _audit.parse_today(args.today)
    profile = _audit.load_profile_arg(args.profile)
    if args.output and args.output != "-":
        from ..fileio import check_writable_target
        check_writable_target(args.output)  # before the work, not after it
    with Progress("report") as progress:
        progress.stage("reading the snapshot")
        snap = load_snapshot(args.snapshot)
        subjects = SubjectIndex(snap)
        progress.stage("building the access graph")
        graph = build_graph(snap)
        notes = [] if graph is not None else [
            "the access graph is not part of this build: no pictures of paths to sensitive data"]
        progress.stage("running the rules")
        ev = evaluate(snap, profile, rule_files=args.rules or (), today=today, subjects=subjects,
                      engine=graph.engine if graph else None, graph=graph)
        report = Report(findings=locate(ev.findings, snap, subjects), rules=ev.rules, packs=ev.packs,
                        snapshot=snapshot_provenance(snap), profile=_profile_info(profile),
                        fail_on=profile.threshold(args.fail_on), waivers=[w.to_json() for w in ev.waivers],
                        mode="snapshot", inputs=[args.snapshot], notes=notes, title=args.title or "s3audit")
        report.paths = pictures_from_findings(report.findings, snap)
        if graph is not None:
            report.paths += sensitive_paths(graph, snap, profile.sensitive or None)
        progress.stage("drawing the report")
        page = render("html", report)
    if args.output and args.output != "-":
        write_atomic(args.output, page)
        from ..report.text import summary_line
        print(f"wrote {args.output}; {summary_line(report)}", file=sys.stderr)
    else:
        sys.stdout.write(page)
    # --fail-on given: gate as check does; else the page is the product and the status 0 whatever it shows
    return report.exit_status if args.fail_on is not None else 0

