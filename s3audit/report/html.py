"""One self-contained HTML page for auditors: no scripts, fonts or images from anywhere.

Sections (each an ``<section id=...>``): ``summary`` (verdict; counts by severity, framework, framework
control, rule and account), ``findings`` (each with its evidence in sentences and small tables, the raw
JSON one click away, and its rule's remediation beside it), ``paths`` (every reachable path to the data the
profile is about, one SVG per bucket drawn by ``drawing.svg``, each path saying in words why it is
conditional and what its actions are), ``changes`` (when there are any), ``waivers``, ``rules`` (the
catalogue used) and ``provenance``. A Content-Security-Policy forbids any network access, so the page
works offline and cannot leak what it shows.

Printing (or ``-o audit.pdf``) unfolds every finding, starts each section on a new page, fits pictures to
the page and heads each page with the report's title and the snapshot's date.

A report too big to read whole (``scale``) summarises: the most severe findings in full, counts for the
rest, and links to the complete lists in the sidecar files (``sidecar``) that ``render``'s ``sidecar``
option names.
"""
from __future__ import annotations

import html
import json
from collections import OrderedDict

from .. import __version__
from ..findings import Finding, Status
from ..iam.wording import describe
from . import evidence as ev
from .access import levels_of
from .drawing import node_lines, svg
from .json import to_plain
from .markdown_html import to_html as markdown
from .model import (SEVERITY_ORDER, PathPicture, Report, RuleInfo, access_change_text, first_in_report_order,
                    group_access_changes, in_report_order)
from .scale import (BUCKET_ROWS, PATH_ROWS, PICTURE_PATHS, PICTURED_BUCKETS, SUMMARY_PICTURE_PATHS, TOP_FINDINGS,
                    account_of, findings_summarised, paths_summarised)
from .tally import Tally

CSS = """
:root{--crit:#7f1d1d;--high:#c0392b;--med:#b45309;--low:#0e7490;--info:#52525b;--ok:#15803d;--line:#e4e4e7}
*{box-sizing:border-box}body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#18181b;
margin:0;background:#fafafa}header{background:#18181b;color:#fafafa;padding:20px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#d4d4d8}nav{padding:8px 32px;background:#27272a}nav a{color:#e4e4e7;margin-right:16px;
text-decoration:none}main{padding:8px 24px 48px;max-width:1560px}section{background:#fff;border:1px solid var(--line);
border-radius:8px;padding:16px 20px;margin:16px 0}h2{margin-top:0;font-size:18px}h3{font-size:15px;margin:18px 0 6px}
h4{font-size:13px;margin:10px 0 4px;text-transform:uppercase;letter-spacing:.04em;color:#52525b}
table{border-collapse:collapse;margin:6px 0}table.wide{width:100%}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f4f4f5;font-weight:600}th.n,td.n{text-align:right;font-variant-numeric:tabular-nums}
td table th,td table td{padding:2px 6px;font-size:13px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
code{overflow-wrap:break-word}pre{background:#f4f4f5;padding:8px;overflow:auto;max-height:360px;border-radius:4px}
.sev{display:inline-block;min-width:64px;padding:1px 6px;border-radius:4px;color:#fff;font-size:12px;text-align:center}
.sev.critical{background:var(--crit)}.sev.high{background:var(--high)}.sev.medium{background:var(--med)}
.sev.low{background:var(--low)}.sev.info{background:var(--info)}.status{font-size:12px;color:#52525b}
.verdict{font-size:16px;font-weight:600}.verdict.fail{color:var(--high)}.verdict.pass{color:var(--ok)}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid var(--line);border-radius:8px;padding:8px 16px;
min-width:110px}.card b{display:block;font-size:24px}.muted{color:#71717a}.bar{height:12px;display:inline-block;
vertical-align:middle}.grid{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
details.finding{border-top:1px solid var(--line);padding:6px 0}details.finding>summary{cursor:pointer}
details.finding>.note{margin-left:18px}
.fbody{display:grid;grid-template-columns:minmax(0,3fr) minmax(260px,2fr);gap:24px;padding:4px 0 8px 18px}
.fix{background:#f0fdf4;border-left:3px solid var(--ok);padding:4px 14px;border-radius:4px}
.fix p{margin:4px 0}.evidence p{margin:6px 0}.evidence ul{margin:4px 0;padding-left:20px}
details.raw>summary,details.acts>summary{cursor:pointer;color:#1d4ed8}details.raw pre{max-height:300px}
.picture{overflow-x:auto;border:1px solid var(--line);border-radius:6px;padding:8px;margin:8px 0;background:#fff}
svg.paths{display:block}.why{margin:0;padding-left:18px}.decision{font-weight:600}.decision.conditional{color:var(--med)}
.decision.allow{color:var(--high)}.outside{color:#fff;background:var(--high);border-radius:3px;padding:0 4px;font-size:12px}
.note{background:#fffbeb;border:1px solid #fde68a;padding:6px 12px;border-radius:6px}
@media (max-width:900px){.fbody{grid-template-columns:1fr}}
"""

PRINT_CSS = """
@page{size:A4;margin:18mm 12mm 16mm 12mm;
@top-left{content:"%(title)s";font:9pt system-ui,sans-serif;color:#52525b}
@top-right{content:"%(taken)s";font:9pt system-ui,sans-serif;color:#52525b}
@bottom-right{content:"page " counter(page) " of " counter(pages);font:9pt system-ui,sans-serif;color:#52525b}}
@media print{
body{background:#fff;font-size:10pt}header{background:none;color:#000;padding:0 0 8px}header p{color:#333}
nav{display:none}main{padding:0;max-width:none}
section{border:none;border-radius:0;padding:0;margin:0;break-before:page}section#summary{break-before:auto}
details.finding>summary{list-style:none;font-weight:600}details.finding>summary::-webkit-details-marker{display:none}
details.finding::details-content{content-visibility:visible;display:block}
details.acts>summary{color:inherit;list-style:none}
details.raw{display:none}
details.finding{break-inside:avoid-page}.fbody{display:block;padding-left:0}.fix{margin-top:6px}
.picture{overflow:visible;border:none;padding:0;break-inside:avoid}
svg.paths{max-width:100%%;height:auto}
tr{break-inside:avoid}h2,h3{break-after:avoid}
.sev,.bar{-webkit-print-color-adjust:exact;print-color-adjust:exact}
a{color:inherit}
}
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")


def _sev(label: str) -> str:
    return f'<span class="sev {_e(label)}">{_e(label)}</span>'


def _var(label: str) -> str:
    return {"critical": "crit", "high": "high", "medium": "med", "low": "low", "info": "info"}[label]


def _table(headers, rows, numeric=(), cls="") -> str:
    """A table whose numeric columns (indexes in ``numeric``) are right-aligned, header and cells alike."""
    nums = set(numeric)
    head = "".join(f'<th class="n">{_e(h)}</th>' if i in nums else f"<th>{_e(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if i in nums else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# ---- evidence blocks (evidence.py) as HTML ----

def _parts(parts) -> str:
    out = []
    for p in parts:
        if isinstance(p, ev.Code):
            out.append(f"<code>{_e(p.text)}</code>")
        elif isinstance(p, ev.Strong):
            out.append(f"<strong>{_e(p.text)}</strong>")
        else:
            out.append(_e(p))
    return "".join(out)


def _cell(c) -> str:
    return _block(c) if isinstance(c, ev.Table) else _parts(c)


def _block(b) -> str:
    if isinstance(b, ev.Para):
        return f"<p>{_parts(b.parts)}</p>"
    if isinstance(b, ev.Items):
        return "<ul>" + "".join(f"<li>{_parts(x)}</li>" for x in b.entries) + "</ul>"
    if isinstance(b, ev.Table):
        numeric = [i for i in range(len(b.headers)) if b.rows and all(
            isinstance(r[i], tuple) and len(r[i]) == 1 and isinstance(r[i][0], str) and r[i][0].isdigit()
            for r in b.rows)]
        return _table(b.headers, [[_cell(c) for c in r] for r in b.rows], numeric=numeric)
    return ""


# ---- summary ----

def _summary(report: Report, tally: Tally) -> str:
    counted = tally.counted_by_severity()
    counts = OrderedDict((s.label, counted[s]) for s in SEVERITY_ORDER)
    by_status = tally.by_status()
    waived, unknown = by_status[Status.WAIVED], by_status[Status.UNKNOWN]
    failing = tally.failing(report.fail_on)
    if report.fail_on is not None and failing:
        verdict = (f'<p class="verdict fail">{failing} finding(s) at or above '
                   f'{_e(report.fail_on.label)}: the run fails</p>')
    else:
        verdict = f'<p class="verdict pass">nothing at or above {_e(report.fail_on_label)}</p>'
    cards = "".join(f'<div class="card">{_sev(k)}<b>{v}</b></div>' for k, v in counts.items())
    cards += f'<div class="card">waived<b>{waived}</b></div><div class="card">unknown<b>{unknown}</b></div>'
    top = max(1, max(counts.values()))
    sev_rows = [[_sev(k), str(v), f'<span class="bar" style="width:{int(240 * v / top)}px;background:var(--{_var(k)})">'
                 f'</span>'] for k, v in counts.items()]
    labels = [s.label for s in SEVERITY_ORDER]
    by_control = tally.by_control()
    frameworks: dict[str, dict[str, int]] = OrderedDict()
    for control, row in by_control.items():
        fw = control.split(":", 1)[0] if ":" in control else control
        agg = frameworks.setdefault(fw, {s: 0 for s in labels})
        for k, v in row.items():
            agg[k] += v
    count_cols = range(1, len(labels) + 2)
    fw_rows = [[_e(fw)] + [str(row[s]) for s in labels] + [str(sum(row.values()))] for fw, row in frameworks.items()]
    ctl_rows = [[f"<code>{_e(c)}</code>"] + [str(row[s]) for s in labels] + [str(sum(row.values()))]
                for c, row in by_control.items()]
    return (f'<section id="summary"><h2>Executive summary</h2>{verdict}<div class="cards">{cards}</div>'
            f'<div class="grid"><div><h3>Findings by severity</h3>'
            f'{_table(("severity", "findings", ""), sev_rows, numeric=(1,))}</div>'
            f'<div><h3>Findings by framework</h3>'
            f'{_table(("framework", *labels, "total"), fw_rows, numeric=count_cols)}</div></div>'
            f'<h3>Findings by framework control</h3>'
            f'{_table(("control", *labels, "total"), ctl_rows, numeric=count_cols)}'
            f'{_by_rule(report, tally)}{_by_account(report, tally)}</section>')


def _by_rule(report: Report, tally: Tally) -> str:
    rows = tally.by_rule()
    if not rows:
        return ""
    info = {r.id: r for r in report.rules}
    sev = tally.rule_severity
    order = sorted(rows, key=lambda k: (-int(sev[k]), -sum(rows[k]), k))
    body = [[f'<a href="#rule-{_e(k)}"><code>{_e(k)}</code></a>', _e(info[k].title if k in info else ""),
             _sev(sev[k].label), *map(str, rows[k]), str(sum(rows[k]))] for k in order]
    return ("<h3>Findings by rule</h3>" + _table(("rule", "title", "severity", "open", "unknown", "waived", "total"),
                                                   body, numeric=(3, 4, 5, 6), cls="wide"))


def _by_account(report: Report, tally: Tally) -> str:
    labels = [s.label for s in SEVERITY_ORDER]
    rows = tally.by_account()
    if not rows:
        return ""
    names = {a.get("id"): a.get("name") for a in (report.snapshot or {}).get("accounts") or []}
    order = sorted(rows, key=lambda a: (-sum(v for k, v in rows[a].items() if k != "waived"), a))
    body = [[f"<code>{_e(a)}</code>", _e(names.get(a) or "")] + [str(rows[a][s]) for s in labels]
            + [str(rows[a]["waived"]), str(sum(rows[a].values()))] for a in order]
    return ("<h3>Findings by account</h3>" + _table(("account", "name", *labels, "waived", "total"), body,
                                                     numeric=range(2, len(labels) + 4)))


def _account(report: Report):
    """The account a finding is counted under in the table of accounts."""
    accounts = report.accounts
    return lambda f: account_of(f.subject, accounts, f.fingerprint) or "(none)"


# ---- findings ----

def _where(f: Finding) -> str:
    if not f.location:
        return ""
    parts = [f.location.file] + [str(x) for x in (f.location.line, f.location.column) if x is not None]
    return f"<code>{_e(':'.join(parts))}</code>"


def _raw(f: Finding) -> str:
    text = json.dumps(list(f.evidence), indent=2, ensure_ascii=False, default=to_plain)
    return f'<details class="raw"><summary>raw evidence (JSON)</summary><pre>{_e(text)}</pre></details>'


def _suggested(s: dict | None) -> str:
    """The suggested change: in words, proved or not, with the changed value as a diff."""
    if s is None:
        return ""
    from . import suggestion
    out = [f"<h4>Suggested fix</h4><p>{_e(suggestion.headline(s))}</p>"]
    for e in s.get("edits") or ():
        place = ":".join(str(x) for x in (e.get("file"), e.get("line"), e.get("column")) if x is not None)
        out.append(f'<p class="muted">edit at <code>{_e(place)}</code></p>')
    d = suggestion.diff(s)
    if d:
        out.append(f'<pre class="diff">{_e(d)}</pre>')
    more = suggestion.collateral_lines(s)
    if more:
        out.append("<ul>" + "".join(f"<li><code>{_e(x)}</code></li>" for x in more) + "</ul>")
    return "".join(out)


def _fix(f: Finding, rule: RuleInfo | None, suggested: dict | None = None) -> str:
    out = [_suggested(suggested)] if suggested is not None else []
    if rule is not None and rule.remediation:
        out.append(f"<h4>Remediation</h4>{markdown(rule.remediation)}")
    elif rule is not None:
        out.append('<h4>Remediation</h4><p class="muted">the rule gives none</p>')
    if rule is not None and rule.rationale:
        out.append(f"<h4>Why it matters</h4>{markdown(rule.rationale)}")
    controls = ", ".join(f"<code>{_e(c)}</code>" for c in f.controls) or '<span class="muted">none</span>'
    out.append(f'<p class="muted">controls: {controls}<br>fingerprint <code>{_e(f.fingerprint)}</code></p>')
    return "".join(out)


def _finding(f: Finding, pictures: list[PathPicture], rule: RuleInfo | None, assume,
             suggested: dict | None = None) -> str:
    status = "" if f.status is Status.OPEN else f' <span class="status">[{_e(f.status.value)}]</span>'
    waiver = ""
    if f.waiver:
        w = f.waiver
        waiver = (f'<p class="note">waived until {_e(w.get("expires"))} by {_e(w.get("owner"))}: '
                  f'{_e(w.get("reason"))} <span class="muted">({_e(w.get("file"))}:{_e(w.get("line"))})</span></p>')
    drawn = "".join(f'<div class="picture">{svg([p], f"{p.principal} to {p.bucket}")}</div>' for p in pictures)
    body = "".join(_block(b) for b in ev.blocks(f.evidence, assume)) if f.evidence else \
        '<p class="muted">no evidence recorded</p>'
    return (f'<details class="finding" id="f-{_e(f.fingerprint)}"><summary>{_sev(f.severity.label)} '
            f'<code>{_e(f.rule)}</code> <b>{_e(f.subject)}</b>{status} — {_e(f.message)} {_where(f)}</summary>'
            f'{waiver}{drawn}<div class="fbody"><div class="evidence"><h4>Evidence <span class="muted">· '
            f'{_e(f.fingerprint[:8])}</span></h4>{body}'
            f'{_raw(f) if f.evidence else ""}</div><aside class="fix">{_fix(f, rule, suggested)}</aside></div></details>')


def _findings(report: Report, sidecar: dict) -> str:
    pictures: dict[str, list[PathPicture]] = {}
    for p in report.paths:
        if p.finding:
            pictures.setdefault(p.finding, []).append(p)
    rules = {r.id: r for r in report.rules}
    assume = _assume(report)
    intro = ""
    if not findings_summarised(report):
        ordered = report.sorted_findings
    else:
        ordered = first_in_report_order(report.findings, TOP_FINDINGS)
        if sidecar.get("findings"):
            where = (f'every finding is listed in <a href="{_e(sidecar["findings"])}">{_e(sidecar["findings"])}</a> '
                     f'(CSV, beside this file)')
        else:
            where = ("every finding is in the output of <code>s3audit check --format json</code> (a report written "
                     "to a file gets a CSV of them beside it)")
        intro = (f'<p class="note">{len(report.findings)} findings: the {len(ordered)} most severe are shown in full '
                 f'below, the counts per rule and per account are in the summary, and {where}.</p>')
    items = "".join(_finding(f, pictures.get(f.fingerprint, []), rules.get(f.rule), assume,
                             report.suggestions.get(f.fingerprint)) for f in ordered)
    body = items or '<p class="muted">no findings</p>'
    return f'<section id="findings"><h2>Findings ({len(report.findings)})</h2>{intro}{body}</section>'


# ---- paths ----

def _assume(report: Report) -> tuple[str, ...]:
    return tuple((report.profile or {}).get("assume") or ())


def why_words(p: PathPicture, assume=()) -> list[str]:
    """Why a path is conditional (or what was assumed to call it allowed), one line per distinct condition."""
    words = list(dict.fromkeys(describe(c, assume, brief=True) for h in p.hops for c in h.conditions))
    if p.decision != "allow" and not words:
        words = ["a hop rests on a policy or setting that could not be read"]
    return words


def _decision_cell(p: PathPicture, assume) -> str:
    words = why_words(p, assume)
    head = f'<span class="decision {_e(p.decision)}">{_e(p.decision)}</span>'
    if not words:
        return head
    return head + '<ul class="why">' + "".join(f"<li>{_e(w)}</li>" for w in words) + "</ul>"


def _actions_cell(actions) -> str:
    """The access levels of a path's last hop, and its actions by level behind one click."""
    by_level = levels_of(actions)
    n = len(actions)
    if n <= 3:
        return ", ".join(f"<code>{_e(a)}</code>" for a in actions) + (
            f' <span class="muted">({_e(", ".join(by_level))})</span>' if by_level else "")
    head = " · ".join(f"{_e(lv)} {len(acts)}" for lv, acts in by_level.items())
    lists = "".join(f"<p><b>{_e(lv)}</b>: {', '.join(f'<code>{_e(a)}</code>' for a in acts)}</p>"
                    for lv, acts in by_level.items())
    return (f'<details class="acts"><summary>{head} <span class="muted">({n} actions)</span></summary>{lists}'
            f'</details>')


def _short(name: str) -> str:
    first, second = node_lines(name)
    return first


def _route(p: PathPicture) -> str:
    names = [p.hops[0].source] + [h.target for h in p.hops] if p.hops else []
    return " → ".join(f'<span title="{_e(n)}">{_e(_short(n))}</span>' for n in names)


def _principal(name: str, outside: bool) -> str:
    first, second = node_lines(name)
    return (f'<span title="{_e(name)}">{_e(first)}</span>' + (f' <span class="muted">{_e(second)}</span>'
                                                              if second and second != "root" else "")
            + (' <span class="outside">outside</span>' if outside else ""))


def _path_rows(paths: list[PathPicture], assume) -> list[list[str]]:
    return [[_principal(p.principal, p.principal in p.external),
             _decision_cell(p, assume), str(len(p.hops)), _actions_cell(p.access), _route(p)] for p in paths]


def _paths(report: Report, sidecar: dict) -> str:
    sensitive = [p for p in report.paths if p.sensitive]
    if not sensitive:
        why = ("; ".join(n for n in report.notes if "graph" in n) or
               "no principal can reach a bucket of the data classes this profile covers")
        return (f'<section id="paths"><h2>Reachable paths to sensitive data</h2>'
                f'<p class="muted">{_e(why)}</p></section>')
    assume = _assume(report)
    by_bucket: dict[str, list[PathPicture]] = OrderedDict()
    for p in sensitive:
        by_bucket.setdefault(p.bucket, []).append(p)
    classes = sorted({p.sensitive for p in sensitive})
    construction = "assumed met by the audit profile (assume: tls)" if "tls" in assume else (
        "met by construction: every caller that uses HTTPS, as AWS's SDKs and tools do, meets it")
    legend = ('<p class="muted">Buckets tagged ' + ", ".join(f"<code>{_e(c)}</code>" for c in classes) +
              '. Red: outside the organization (or anyone); blue: the bucket; dashed arrow: the hop depends on the '
              'request — the table says on what. Hover a box or an arrow for its full name. A bucket\'s own '
              f'TLS-only deny ("only over TLS") is {construction}.</p>')
    summarised = paths_summarised(report)
    drawn = list(by_bucket)
    intro = ""
    if summarised:
        def exposure(b):
            ps = by_bucket[b]
            return (-sum(1 for p in ps if p.principal in p.external), -sum(1 for p in ps if p.decision == "allow"),
                    -len(ps), b)
        ranked = sorted(by_bucket, key=exposure)
        drawn = ranked[:PICTURED_BUCKETS]
        rows = [[(f'<a href="#b-{_e(b)}"><code>{_e(b)}</code></a>' if b in drawn else f"<code>{_e(b)}</code>"),
                 _e(by_bucket[b][0].sensitive), str(len(by_bucket[b])),
                 str(sum(1 for p in by_bucket[b] if p.principal in p.external)),
                 str(sum(1 for p in by_bucket[b] if p.decision == "allow")),
                 str(sum(1 for p in by_bucket[b] if p.decision != "allow"))] for b in ranked[:BUCKET_ROWS]]
        where = (f'<a href="{_e(sidecar["paths"])}">{_e(sidecar["paths"])}</a> (CSV, beside this file)'
                 if sidecar.get("paths") else "the output of <code>s3audit paths SNAPSHOT --to BUCKET</code> (a "
                                              "report written to a file gets a CSV of them beside it)")
        listed = (f"the {min(BUCKET_ROWS, len(ranked))} most exposed are in this table"
                  if len(ranked) > BUCKET_ROWS else "every bucket is in this table")
        intro = (f'<p class="note">{len(sensitive)} paths to {len(by_bucket)} buckets: the {len(drawn)} most exposed '
                 f'buckets are drawn below (at most {PATH_ROWS} paths listed each); {listed}, and every path is '
                 f'in {where}.</p>'
                 + _table(("bucket", "data class", "principals", "outside the organization", "allowed",
                           "conditional"), rows, numeric=(2, 3, 4, 5)))
    parts = []
    for bucket in drawn:
        paths = by_bucket[bucket]
        external = sum(1 for p in paths if p.external)
        shown = paths[:SUMMARY_PICTURE_PATHS if summarised else PICTURE_PATHS]
        listed = paths[:PATH_ROWS] if summarised else paths
        more = (f'<p class="muted">the picture shows the first {len(shown)} of {len(paths)} paths; the table lists '
                f'{"all" if len(listed) == len(paths) else f"the first {len(listed)}"}</p>'
                if len(paths) > len(shown) else "")
        parts.append(
            f'<h3 id="b-{_e(bucket)}"><code>{_e(bucket)}</code> <span class="muted">({_e(paths[0].sensitive)}; '
            f'{len(paths)} principal(s), {external} from outside the organization)</span></h3>'
            f'<div class="picture">{svg(shown, f"who can reach {bucket}")}</div>{more}'
            + _table(("principal", "decision", "hops", "access", "route"), _path_rows(listed, assume),
                     numeric=(2,), cls="wide"))
    return (f'<section id="paths"><h2>Reachable paths to sensitive data ({len(sensitive)})</h2>{legend}{intro}'
            f'{"".join(parts)}</section>')


# ---- the rest ----

def _changes(report: Report) -> str:
    if not report.resolved and not report.access_changes:
        return ""
    parts = []
    if report.resolved:
        title = "Fixed by the change" if report.mode == "overlay" else "Resolved"
        rows = [[_sev(f.severity.label), f"<code>{_e(f.rule)}</code>", _e(f.subject), _e(f.message)]
                for f in in_report_order(report.resolved)]
        parts.append(f"<h3>{title} ({len(report.resolved)})</h3>"
                     + _table(("severity", "rule", "subject", "message"), rows, cls="wide"))
    if report.access_changes:
        grouped = group_access_changes(report.access_changes)
        items = "".join(f"<li><code>{_e(access_change_text(g))}</code></li>" for g in grouped)
        parts.append(f"<h3>Access changes ({len(grouped)})</h3><ul>{items}</ul>")
    return f'<section id="changes"><h2>Changes</h2>{"".join(parts)}</section>'


def _waivers(report: Report) -> str:
    if not report.waivers:
        return '<section id="waivers"><h2>Waivers</h2><p class="muted">the profile has no waivers</p></section>'
    rows = [[_e(w.get("status")), f"<code>{_e(w.get('rule'))}</code>", f"<code>{_e(w.get('resource'))}</code>",
             _e(w.get("reason")), _e(w.get("owner")), _e(w.get("expires")), str(len(w.get("matched") or ())),
             f"<code>{_e(w.get('file'))}:{_e(w.get('line'))}</code>"] for w in report.waivers]
    return (f'<section id="waivers"><h2>Waivers ({len(report.waivers)})</h2>'
            + _table(("status", "rule", "resource", "reason", "owner", "expires", "matched", "where"), rows,
                     numeric=(6,), cls="wide") + "</section>")


def _rules(report: Report) -> str:
    rows = [[f'<code id="rule-{_e(r.id)}">{_e(r.id)}</code>', _sev(r.severity.label), _e(r.title),
             "<br>".join(f"<code>{_e(c)}</code>" for c in r.controls), _e(r.pack), markdown(r.rationale),
             markdown(r.remediation)] for r in report.rules]
    return (f'<section id="rules"><h2>Rule catalogue ({len(report.rules)} rules)</h2>'
            + _table(("id", "severity", "title", "controls", "pack", "rationale", "remediation"), rows, cls="wide")
            + "</section>")


def _provenance(report: Report) -> str:
    s = report.snapshot or {}
    source = s.get("source") or {}
    profile = report.profile or {}
    rows = [("taken at", s.get("taken_at")),
            ("source", " ".join(x for x in (source.get("kind"), source.get("detail")) if x)),
            ("snapshot file", s.get("file")), ("organization", s.get("organization")),
            ("accounts", ", ".join(f"{a['id']}" + (f" ({a['name']})" if a.get("name") else "")
                                   for a in s.get("accounts") or [])),
            ("buckets", s.get("buckets")), ("principals (roles and users)", s.get("principals")),
            # every failed call the snapshot records, one per line (issue 11): never "every call succeeded"
            ("not collected", "; ".join(s.get("incomplete") or []) or "nothing: the snapshot records no failed call"),
            ("inputs", ", ".join(report.inputs)),
            ("profile", profile.get("name")), ("profile file", profile.get("file")),
            ("assumed met", ", ".join(profile.get("assume") or ()) or None),
            ("fails on", report.fail_on_label),
            ("rule packs", ", ".join(f"{n} {v}".strip() for n, v in report.packs)),
            ("tool", f"s3audit {__version__}")]
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows if v not in (None, ""))
    notes = "".join(f"<p class=\"muted\">{_e(n)}</p>" for n in report.notes)
    return f'<section id="provenance"><h2>Provenance</h2><table>{body}</table>{notes}</section>'


def render(report: Report, sidecar: dict | None = None) -> str:
    """The page. ``sidecar`` maps ``findings`` and ``paths`` to the names of the complete lists written
    beside it (``sidecar.names``), for a report that summarises."""
    sidecar = sidecar or {}
    s = report.snapshot or {}
    title = f"{report.title} audit report"
    subtitle = " · ".join(x for x in (
        f"snapshot taken {s.get('taken_at')}" if s.get("taken_at") else "",
        f"profile {(report.profile or {}).get('name')}" if report.profile else "",
        f"{len(report.findings)} findings") if x)
    changes = _changes(report)
    tally = Tally(report.findings, _account(report))  # every table of the summary is read off this one count
    nav = "".join(f'<a href="#{i}">{t}</a>' for i, t in (
        ("summary", "Summary"), ("findings", "Findings"), ("paths", "Paths"), ("changes", "Changes"),
        ("waivers", "Waivers"), ("rules", "Rules"), ("provenance", "Provenance")) if i != "changes" or changes)
    taken = f"snapshot taken {s.get('taken_at')}" if s.get("taken_at") else ""
    print_css = PRINT_CSS % {"title": _css_string(title), "taken": _css_string(taken)}
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(title)}</title><style>{CSS}{print_css}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{_e(subtitle)}</p></header><nav>{nav}</nav><main>"
        f"{_summary(report, tally)}{_findings(report, sidecar)}{_paths(report, sidecar)}{changes}{_waivers(report)}"
        f"{_rules(report)}{_provenance(report)}</main></body></html>\n")
