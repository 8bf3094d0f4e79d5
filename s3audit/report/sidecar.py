"""The complete lists beside a summarised HTML report: every finding and every path, as CSV.

``audit.html`` gets ``audit.findings.csv`` and ``audit.paths.csv`` (the same stem) when it summarises
(``scale``); the page links to them by their names, so the three files travel together. CSV opens in a
spreadsheet and any tool; ``s3audit check --format json`` has the same findings with their evidence.
"""
from __future__ import annotations

import csv
import io
import os

from ..iam.wording import describe
from .model import Report
from .scale import account_of, findings_summarised, paths_summarised

FINDINGS_COLUMNS = ("severity", "status", "rule", "title", "subject", "account", "message", "location", "controls",
                    "fingerprint")
PATHS_COLUMNS = ("bucket", "data_class", "principal", "outside_organization", "decision", "why_conditional", "hops",
                 "access_levels", "actions", "route")


def names(html_path: str, report: Report) -> dict[str, str]:
    """kind -> path of the sidecars a report written to ``html_path`` needs (none when it is whole)."""
    stem = html_path[:-5] if html_path.lower().endswith(".html") else os.path.splitext(html_path)[0]
    out = {}
    if findings_summarised(report):
        out["findings"] = stem + ".findings.csv"
    if paths_summarised(report):
        out["paths"] = stem + ".paths.csv"
    return out


def _csv(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def findings_csv(report: Report) -> str:
    titles = {r.id: r.title for r in report.rules}

    def row(f):
        loc = f.location
        where = ":".join([loc.file] + [str(x) for x in (loc.line, loc.column) if x is not None]) if loc else ""
        return (f.severity.label, f.status.value, f.rule, titles.get(f.rule, ""), f.subject,
                account_of(f.subject, report.accounts, f.fingerprint), f.message, where, " ".join(f.controls),
                f.fingerprint)

    return _csv(FINDINGS_COLUMNS, (row(f) for f in report.sorted_findings))


def paths_csv(report: Report, assume=()) -> str:
    from .access import levels_of

    def row(p):
        why = "; ".join(dict.fromkeys(describe(c, assume) for h in p.hops for c in h.conditions))
        route = " -> ".join([p.hops[0].source] + [h.target for h in p.hops]) if p.hops else ""
        return (p.bucket, p.sensitive, p.principal, "yes" if p.principal in p.external else "no", p.decision, why,
                len(p.hops), ", ".join(levels_of(p.access)), " ".join(p.access), route)

    return _csv(PATHS_COLUMNS, (row(p) for p in report.paths if p.sensitive))


def contents(report: Report, html_path: str) -> dict[str, str]:
    """path -> text of every sidecar the report written to ``html_path`` needs."""
    wanted = names(html_path, report)
    assume = tuple((report.profile or {}).get("assume") or ())
    out = {}
    if "findings" in wanted:
        out[wanted["findings"]] = findings_csv(report)
    if "paths" in wanted:
        out[wanted["paths"]] = paths_csv(report, assume)
    return out
