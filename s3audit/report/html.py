"""One self-contained HTML page for auditors: no scripts, fonts or images from anywhere.

Sections (each an ``<section id=...>``): ``summary`` (verdict, counts by severity and by framework
control), ``findings`` (every finding with its evidence; path evidence drawn), ``paths`` (every reachable
path to sensitive data, one SVG per bucket, drawn by ``drawing.svg``), ``changes`` (what was fixed or
resolved, access gained and lost; when there is any), ``waivers``, ``rules`` (the catalogue used) and
``provenance`` (the snapshot, the profile, the rule packs, the tool). A Content-Security-Policy forbids
any network access, so the page works offline and cannot leak what it shows.
"""
from __future__ import annotations

import html
import json
from collections import OrderedDict

from .. import __version__
from ..findings import Finding, Status
from .drawing import svg
from .json import to_plain
from .model import SEVERITY_ORDER, PathPicture, Report, group_access_changes, sort_key
from .text import access_change_text

MAX_PATHS_PER_PICTURE = 40

CSS = """
:root{--crit:#7f1d1d;--high:#c0392b;--med:#b45309;--low:#0e7490;--info:#52525b;--ok:#15803d}
*{box-sizing:border-box}body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#18181b;
margin:0;background:#fafafa}header{background:#18181b;color:#fafafa;padding:20px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#d4d4d8}nav{padding:8px 32px;background:#27272a}nav a{color:#e4e4e7;margin-right:16px;
text-decoration:none}main{padding:8px 32px 48px;max-width:1400px}section{background:#fff;border:1px solid #e4e4e7;
border-radius:8px;padding:16px 20px;margin:16px 0}h2{margin-top:0;font-size:18px}table{border-collapse:collapse;
width:100%;margin:8px 0}th,td{border-bottom:1px solid #e4e4e7;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f5;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f4f4f5;padding:8px;overflow:auto;max-height:360px;border-radius:4px}
.sev{display:inline-block;min-width:64px;padding:1px 6px;border-radius:4px;color:#fff;font-size:12px;text-align:center}
.sev.critical{background:var(--crit)}.sev.high{background:var(--high)}.sev.medium{background:var(--med)}
.sev.low{background:var(--low)}.sev.info{background:var(--info)}.status{font-size:12px;color:#52525b}
.verdict{font-size:16px;font-weight:600}.verdict.fail{color:var(--high)}.verdict.pass{color:var(--ok)}
details.finding{border-top:1px solid #e4e4e7;padding:6px 0}details.finding summary{cursor:pointer}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #e4e4e7;border-radius:8px;padding:8px 16px;min-width:110px}
.card b{display:block;font-size:24px}.muted{color:#71717a}.picture{overflow:auto;border:1px solid #e4e4e7;
border-radius:6px;padding:8px;margin:8px 0;background:#fff}.bar{height:12px;display:inline-block;vertical-align:middle}
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _sev(label: str) -> str:
    return f'<span class="sev {_e(label)}">{_e(label)}</span>'


def _where(f: Finding) -> str:
    if not f.location:
        return ""
    parts = [f.location.file] + [str(x) for x in (f.location.line, f.location.column) if x is not None]
    return f"<code>{_e(':'.join(parts))}</code>"


def _evidence(f: Finding, pictures: dict[str, list[PathPicture]]) -> str:
    out = []
    for p in pictures.get(f.fingerprint, []):
        out.append(f'<div class="picture">{svg([p], f"{p.principal} to {p.bucket}")}</div>')
    if f.evidence:
        text = json.dumps(list(f.evidence), indent=2, ensure_ascii=False, default=to_plain)
        out.append(f"<pre>{_e(text)}</pre>")
    else:
        out.append('<p class="muted">no evidence recorded</p>')
    return "".join(out)


def _summary(report: Report) -> str:
    counts = OrderedDict((s.label, 0) for s in SEVERITY_ORDER)
    for f in report.counted:
        counts[f.severity.label] += 1
    waived = sum(1 for f in report.findings if f.status is Status.WAIVED)
    unknown = sum(1 for f in report.findings if f.status is Status.UNKNOWN)
    if report.fail_on is not None and report.failing:
        verdict = (f'<p class="verdict fail">{len(report.failing)} finding(s) at or above '
                   f'{_e(report.fail_on.label)}: the run fails</p>')
    else:
        verdict = f'<p class="verdict pass">nothing at or above {_e(report.fail_on_label)}</p>'
    cards = "".join(f'<div class="card">{_sev(k)}<b>{v}</b></div>' for k, v in counts.items())
    cards += f'<div class="card">waived<b>{waived}</b></div><div class="card">unknown<b>{unknown}</b></div>'
    rows = []
    total = max(1, max(counts.values()))
    for k, v in counts.items():
        rows.append(f'<tr><td>{_sev(k)}</td><td class="n">{v}</td><td><span class="bar" '
                    f'style="width:{int(240 * v / total)}px;background:var(--{_var(k)})"></span></td></tr>')
    by_control = report.by_control()
    frameworks: dict[str, dict[str, int]] = OrderedDict()
    for control, row in by_control.items():
        fw = control.split(":", 1)[0] if ":" in control else control
        agg = frameworks.setdefault(fw, {s.label: 0 for s in SEVERITY_ORDER})
        for k, v in row.items():
            agg[k] += v
    head = "".join(f"<th>{_e(s.label)}</th>" for s in SEVERITY_ORDER)
    fw_rows = "".join(f"<tr><td>{_e(fw)}</td>" + "".join(f'<td class="n">{row[s.label]}</td>' for s in SEVERITY_ORDER)
                      + f'<td class="n">{sum(row.values())}</td></tr>' for fw, row in frameworks.items())
    ctl_rows = "".join(f"<tr><td><code>{_e(c)}</code></td>" + "".join(
        f'<td class="n">{row[s.label]}</td>' for s in SEVERITY_ORDER) + f'<td class="n">{sum(row.values())}</td></tr>'
        for c, row in by_control.items())
    return (f'<section id="summary"><h2>Executive summary</h2>{verdict}<div class="cards">{cards}</div>'
            f'<h3>Findings by severity</h3><table><tr><th>severity</th><th>findings</th><th></th></tr>'
            f'{"".join(rows)}</table>'
            f'<h3>Findings by framework</h3><table><tr><th>framework</th>{head}<th>total</th></tr>{fw_rows}</table>'
            f'<h3>Findings by framework control</h3><table><tr><th>control</th>{head}<th>total</th></tr>'
            f'{ctl_rows}</table></section>')


def _var(label: str) -> str:
    return {"critical": "crit", "high": "high", "medium": "med", "low": "low", "info": "info"}[label]


def _findings(report: Report) -> str:
    pictures: dict[str, list[PathPicture]] = {}
    for p in report.paths:
        if p.finding:
            pictures.setdefault(p.finding, []).append(p)
    items = []
    for f in sorted(report.findings, key=sort_key):
        status = "" if f.status is Status.OPEN else f' <span class="status">[{_e(f.status.value)}]</span>'
        waiver = ""
        if f.waiver:
            w = f.waiver
            waiver = (f'<p>waived until {_e(w.get("expires"))} by {_e(w.get("owner"))}: {_e(w.get("reason"))} '
                      f'<span class="muted">({_e(w.get("file"))}:{_e(w.get("line"))})</span></p>')
        controls = ", ".join(f"<code>{_e(c)}</code>" for c in f.controls) or '<span class="muted">none</span>'
        items.append(
            f'<details class="finding" id="f-{_e(f.fingerprint)}"><summary>{_sev(f.severity.label)} '
            f'<code>{_e(f.rule)}</code> <b>{_e(f.subject)}</b>{status} — {_e(f.message)} {_where(f)}</summary>'
            f'{waiver}<p>controls: {controls}; fingerprint <code>{_e(f.fingerprint)}</code></p>'
            f'{_evidence(f, pictures)}</details>')
    body = "".join(items) or '<p class="muted">no findings</p>'
    return f'<section id="findings"><h2>Findings ({len(report.findings)})</h2>{body}</section>'


def _paths(report: Report) -> str:
    sensitive = [p for p in report.paths if p.sensitive]
    if not sensitive:
        why = ("; ".join(n for n in report.notes if "graph" in n) or
               "no principal can reach a bucket tagged as sensitive data")
        return (f'<section id="paths"><h2>Reachable paths to sensitive data</h2>'
                f'<p class="muted">{_e(why)}</p></section>')
    by_bucket: dict[str, list[PathPicture]] = OrderedDict()
    for p in sensitive:
        by_bucket.setdefault(p.bucket, []).append(p)
    parts = []
    for bucket, paths in by_bucket.items():
        external = sum(1 for p in paths if p.external)
        shown = paths[:MAX_PATHS_PER_PICTURE]
        rows = "".join(
            f"<tr><td><code>{_e(p.principal)}</code></td><td>{_e(p.decision)}</td><td>{len(p.hops)}</td>"
            f"<td title=\"{_e(', '.join(p.access))}\">{_e(_levels(p))}</td>"
            f"<td>{_e(' → '.join([p.hops[0].source] + [h.target for h in p.hops]) if p.hops else '')}</td></tr>"
            for p in paths)
        more = (f'<p class="muted">the picture shows the first {MAX_PATHS_PER_PICTURE} of {len(paths)} paths; '
                f'the table lists all</p>' if len(paths) > len(shown) else "")
        parts.append(
            f'<h3><code>{_e(bucket)}</code> <span class="muted">({_e(paths[0].sensitive)}; {len(paths)} '
            f'principal(s), {external} from outside the organization)</span></h3>'
            f'<div class="picture">{svg(shown, f"who can reach {bucket}")}</div>{more}'
            f'<table><tr><th>principal</th><th>decision</th><th>hops</th><th>access</th><th>route</th></tr>'
            f'{rows}</table>')
    legend = ('<p class="muted">red: outside the organization (or anyone); blue: the bucket; dashed: the hop '
              'depends on the request (conditions).</p>')
    return (f'<section id="paths"><h2>Reachable paths to sensitive data ({len(sensitive)})</h2>{legend}'
            f'{"".join(parts)}</section>')


def _levels(p: PathPicture) -> str:
    """What the final hop allows: its access levels (the actions are the cell's tooltip)."""
    last = p.hops[-1] if p.hops else None
    levels = last.detail.split(";")[0].strip() if last and last.detail else ""
    n = len(p.access)
    count = f"{n} action{'s' if n != 1 else ''}"
    if levels:
        return f"{levels} ({count})"
    return ", ".join(p.access) if n <= 3 else count


def _changes(report: Report) -> str:
    if not report.resolved and not report.access_changes:
        return ""
    parts = []
    if report.resolved:
        title = "Fixed by the change" if report.mode == "overlay" else "Resolved"
        rows = "".join(f"<tr><td>{_sev(f.severity.label)}</td><td><code>{_e(f.rule)}</code></td>"
                       f"<td>{_e(f.subject)}</td><td>{_e(f.message)}</td></tr>"
                       for f in sorted(report.resolved, key=sort_key))
        parts.append(f"<h3>{title} ({len(report.resolved)})</h3><table><tr><th>severity</th><th>rule</th>"
                     f"<th>subject</th><th>message</th></tr>{rows}</table>")
    if report.access_changes:
        grouped = group_access_changes(report.access_changes)
        items = "".join(f"<li><code>{_e(access_change_text(g))}</code></li>" for g in grouped)
        parts.append(f"<h3>Access changes ({len(grouped)})</h3><ul>{items}</ul>")
    return f'<section id="changes"><h2>Changes</h2>{"".join(parts)}</section>'


def _waivers(report: Report) -> str:
    if not report.waivers:
        return '<section id="waivers"><h2>Waivers</h2><p class="muted">the profile has no waivers</p></section>'
    rows = "".join(
        f"<tr><td>{_e(w.get('status'))}</td><td><code>{_e(w.get('rule'))}</code></td><td><code>"
        f"{_e(w.get('resource'))}</code></td><td>{_e(w.get('reason'))}</td><td>{_e(w.get('owner'))}</td>"
        f"<td>{_e(w.get('expires'))}</td><td class=\"n\">{len(w.get('matched') or ())}</td>"
        f"<td><code>{_e(w.get('file'))}:{_e(w.get('line'))}</code></td></tr>" for w in report.waivers)
    return (f'<section id="waivers"><h2>Waivers ({len(report.waivers)})</h2><table><tr><th>status</th><th>rule</th>'
            f'<th>resource</th><th>reason</th><th>owner</th><th>expires</th><th>matched</th><th>where</th></tr>'
            f'{rows}</table></section>')


def _rules(report: Report) -> str:
    rows = "".join(
        f"<tr><td><code>{_e(r.id)}</code></td><td>{_sev(r.severity.label)}</td><td>{_e(r.title)}</td>"
        f"<td>{'<br>'.join(f'<code>{_e(c)}</code>' for c in r.controls)}</td><td>{_e(r.pack)}</td>"
        f"<td>{_e(r.rationale)}</td><td>{_e(r.remediation)}</td></tr>" for r in report.rules)
    return (f'<section id="rules"><h2>Rule catalogue ({len(report.rules)} rules)</h2><table><tr><th>id</th>'
            f'<th>severity</th><th>title</th><th>controls</th><th>pack</th><th>rationale</th><th>remediation</th>'
            f'</tr>{rows}</table></section>')


def _provenance(report: Report) -> str:
    s = report.snapshot or {}
    source = s.get("source") or {}
    rows = [("taken at", s.get("taken_at")), ("source", " ".join(x for x in (source.get("kind"), source.get("detail"))
                                                               if x)),
            ("snapshot file", s.get("file")), ("organization", s.get("organization")),
            ("accounts", ", ".join(f"{a['id']}" + (f" ({a['name']})" if a.get("name") else "")
                                   for a in s.get("accounts") or [])),
            ("buckets", s.get("buckets")), ("principals (roles and users)", s.get("principals")),
            # every failed call the snapshot records, one per line (issue 11): never "every call succeeded"
            ("not collected", "; ".join(s.get("incomplete") or []) or "nothing: the snapshot records no failed call"),
            ("inputs", ", ".join(report.inputs)),
            ("profile", (report.profile or {}).get("name")), ("profile file", (report.profile or {}).get("file")),
            ("fails on", report.fail_on_label),
            ("rule packs", ", ".join(f"{n} {v}".strip() for n, v in report.packs)),
            ("tool", f"s3audit {__version__}")]
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows if v not in (None, ""))
    notes = "".join(f"<p class=\"muted\">{_e(n)}</p>" for n in report.notes)
    return f'<section id="provenance"><h2>Provenance</h2><table>{body}</table>{notes}</section>'


def render(report: Report) -> str:
    s = report.snapshot or {}
    subtitle = " · ".join(x for x in (
        f"snapshot taken {s.get('taken_at')}" if s.get("taken_at") else "",
        f"profile {(report.profile or {}).get('name')}" if report.profile else "",
        f"{len(report.findings)} findings") if x)
    changes = _changes(report)
    nav = "".join(f'<a href="#{i}">{t}</a>' for i, t in (
        ("summary", "Summary"), ("findings", "Findings"), ("paths", "Paths"), ("changes", "Changes"),
        ("waivers", "Waivers"), ("rules", "Rules"), ("provenance", "Provenance")) if i != "changes" or changes)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(report.title)} audit report</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_e(report.title)} audit report</h1><p>{_e(subtitle)}</p></header><nav>{nav}</nav><main>"
        f"{_summary(report)}{_findings(report)}{_paths(report)}{changes}{_waivers(report)}{_rules(report)}"
        f"{_provenance(report)}</main></body></html>\n")
