"""``s3audit report SNAPSHOT -o report.html``: one self-contained HTML page for auditors (or ``-o audit.pdf``).

Executive summary (by severity, framework control, rule and account), every finding with its evidence and
remediation, every reachable path to the data the profile is about drawn as SVG, the rule catalogue, and
the snapshot's provenance. No network is needed to view it. A report too big to read whole summarises and
writes the complete lists beside it (``AUDIT.findings.csv``, ``AUDIT.paths.csv``). A file name ending in
``.pdf`` prints the page with a headless Chromium (exit 2, naming the browsers looked for, when there is
none). Exit status 0 (the report is written whatever it finds), or with ``--fail-on`` 1 when an open finding
is at or above that severity; 2 for bad input.
"""
from __future__ import annotations

import os
import sys

from . import _audit
from ..errors import UsageError


def run(args) -> int:
    from ..gcpause import no_cyclic_gc
    with no_cyclic_gc():  # what a report builds lives until it ends: see gcpause.py
        return _report(args)


def _report(args) -> int:
    from ..audit import evaluate, locate
    from ..fileio import write_atomic
    from ..history import account_of_findings
    from ..report import render
    from ..report.access import build_graph, report_pictures
    from ..report.model import Report, snapshot_provenance
    from ..subjects import SubjectIndex
    from . import _scale
    from .check import _profile_info

    from ..progress import Progress

    output = args.output if args.output and args.output != "-" else None
    pdf = output is not None and output.lower().endswith(".pdf")
    chromium = _browser(output) if pdf else None  # before the work: a missing browser fails at once
    today = _audit.parse_today(args.today)
    profile = _audit.load_profile_arg(args.profile)
    if output is not None:
        from ..fileio import check_writable_target
        check_writable_target(output)  # before the work, not after it
    with Progress("report") as progress:
        progress.stage("reading the snapshot")
        loaded = _scale.load(args.snapshot)
        snap = loaded.snapshot
        subjects = SubjectIndex(snap)
        how = _scale.executors(args, snap)
        drawn = None
        if how is not None:  # split into tasks (the pictures come drawn)
            graph, notes = None, []
            progress.stage("analysing the estate as tasks")
            done = _scale.evaluate(loaded, profile, how, rule_files=args.rules or (), today=today,
                                   subjects=subjects, pictures=True)
            ev, drawn = done.ev, done.drawn
        else:
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
        report.accounts = account_of_findings(report.findings, subjects)
        report.paths = report_pictures(report.findings, snap, graph, profile, ev.data_classes, drawn)
        progress.stage("drawing the report")
        if output is None:
            page, links = render("html", report), {}
        else:
            links = _audit.write_sidecars(report, output)
            page = render("html", report, sidecar=links)
            if pdf:
                page = _print(page, output, chromium)
    # --fail-on given: gate as check does; else the report is the product and the status 0 whatever it shows
    status = report.exit_status if args.fail_on is not None else 0
    from ..report.text import summary_line
    if output is None:
        sys.stdout.write(page)
        return status
    write_atomic(output, page)
    beside = f" (and {', '.join(links.values())} beside it)" if links else ""
    print(f"wrote {output}{beside}; {summary_line(report)}", file=sys.stderr)
    return status


def _browser(output: str) -> str:
    from ..report.browser import find_chromium, missing_message
    path = find_chromium()
    if path is None:
        raise UsageError(missing_message(f"writing {output} (a PDF)") + f"; or write HTML: -o "
                         f"{os.path.splitext(output)[0]}.html")
    return path


def _print(page: str, output: str, chromium: str) -> bytes:
    from ..report.browser import BrowserError, MissingBrowser, print_pdf
    try:
        return print_pdf(page, chromium)
    except (BrowserError, MissingBrowser) as exc:
        raise UsageError(f"cannot print {output} with {chromium}: {exc}") from None
