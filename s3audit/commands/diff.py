"""``s3audit diff OLD NEW``: what changed between two snapshots or findings files.

Each side is a snapshot (checked with the profile and rules given) or a findings file (the JSON output of
``check`` or a scan's ``findings.json``). Findings are compared by fingerprint: new, resolved, unchanged
(a finding that was waived and now counts is new). When both sides are snapshots, the access changes
too: who gained or lost which access (list, read, write, permissions) to which bucket, by any path.

Exit status: 1 when a new finding is at or above the threshold, 0 otherwise, 2 for bad input.
"""
from __future__ import annotations

from . import _audit


def run(args) -> int:
    from ..audit import compare, evaluate
    from ..report.access import access_changes, access_map, build_graph
    from ..report.model import Report, load_findings, snapshot_provenance
    from ..snapshot.load import load_snapshot
    from .check import _profile_info

    pairs = _audit.resolve_outputs(args.format, args.output)
    today = _audit.parse_today(args.today)
    profile = _audit.load_profile_arg(args.profile)
    threshold = profile.threshold(args.fail_on)
    kinds = [_audit.snapshot_kind(p) for p in (args.old, args.new)]
    for path, kind in zip((args.old, args.new), kinds):
        if kind not in ("snapshot", "findings"):
            raise _audit.unrecognized(path, "neither a snapshot nor a findings file")
    sides, snaps, notes = [], [], []
    rules, packs, waivers = [], [], []
    graphs = []
    both_snapshots = kinds == ["snapshot", "snapshot"]
    for path, kind in zip((args.old, args.new), kinds):
        if kind == "findings":
            report = load_findings(path)
            sides.append(report.findings)
            snaps.append(None)
            rules, packs = report.rules or rules, report.packs or packs
            prov = report.snapshot
        else:
            snap = load_snapshot(path)
            graph = build_graph(snap) if both_snapshots else None
            ev = evaluate(snap, profile, rule_files=args.rules or (), today=today,
                          engine=graph.engine if graph else None, graph=graph)
            sides.append(ev.findings)
            snaps.append(snap)
            graphs.append(graph)
            rules, packs, waivers = ev.rules, ev.packs, [w.to_json() for w in ev.waivers]
            prov = snapshot_provenance(snap)
    new, resolved, unchanged = compare(sides[0], sides[1])
    changes = []
    if both_snapshots:
        if graphs and all(g is not None for g in graphs):
            changes = access_changes(access_map(graphs[0]), access_map(graphs[1]))
        else:
            notes.append("the access graph is not part of this build: no access changes")
    prov = dict(prov)
    prov["previous"] = (snapshot_provenance(snaps[0]) if snaps[0] is not None else {}).get("taken_at")
    report = Report(findings=new, rules=rules, packs=packs, snapshot=prov, profile=_profile_info(profile),
                    fail_on=threshold, waivers=waivers, resolved=resolved, unchanged=unchanged,
                    access_changes=changes, mode="diff", inputs=[args.old, args.new], notes=notes)
    if any(fmt == "markdown" or fmt == "html" for fmt, _ in pairs) and snaps[1] is not None:
        from ..report.access import pictures_from_findings
        report.paths = pictures_from_findings(new, snaps[1])
    _audit.write_outputs(report, pairs, args.color)
    return report.exit_status
