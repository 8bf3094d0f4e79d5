"""``s3audit report SNAPSHOT -o report.html``: one self-contained HTML page for auditors.

Executive summary (by severity and by framework control), every finding with its evidence, every
reachable path to sensitive data drawn as SVG, the rule catalogue, and the snapshot's provenance. No
network is needed to view it. Exit status 0 (the page is written whatever it finds), 2 for bad input.
"""
from __future__ import annotations

import sys

from . import _audit


def run(args) -> int:
    from ..audit import evaluate, locate
    from ..fileio import write_atomic
    from ..report import render
    from ..report.access import build_graph, report_pictures
    from ..report.model import Report, snapshot_provenance
    from ..snapshot.load import load_snapshot
    from ..subjects import SubjectIndex
    from .check import _profile_info

    today = _audit.parse_today(args.today)
    profile = _audit.load_profile_arg(args.profile)
    snap = load_snapshot(args.snapshot)
    subjects = SubjectIndex(snap)
    graph = build_graph(snap)
    notes = [] if graph is not None else [
        "the access graph is not part of this build: no pictures of paths to sensitive data"]
    ev = evaluate(snap, profile, rule_files=args.rules or (), today=today, subjects=subjects,
                  engine=graph.engine if graph else None, graph=graph)
    report = Report(findings=locate(ev.findings, snap, subjects), rules=ev.rules, packs=ev.packs,
                    snapshot=snapshot_provenance(snap), profile=_profile_info(profile),
                    fail_on=profile.threshold(args.fail_on), waivers=[w.to_json() for w in ev.waivers],
                    mode="snapshot", inputs=[args.snapshot], notes=notes, title=args.title or "s3audit")
    report.paths = report_pictures(report.findings, snap, graph, profile, ev.data_classes)
    page = render("html", report)
    if args.output and args.output != "-":
        write_atomic(args.output, page)
        from ..report.text import summary_line
        print(f"wrote {args.output}; {summary_line(report)}", file=sys.stderr)
    else:
        sys.stdout.write(page)
    return 0

