"""Markdown for a pull-request comment: verdict, summary table, the top findings, pictures of new paths.

Sized for a comment: GitHub accepts 65,536 characters, so the full list goes in a collapsed section
that stops well before that, and at most ``MAX_PICTURES`` Mermaid pictures are drawn.
"""
from __future__ import annotations

from ..findings import Finding, Status
from ..iam.wording import describe
from .drawing import mermaid
from .model import SEVERITY_ORDER, Report, access_change_text, first_in_report_order, group_access_changes
from .tally import Tally

TOP = 10
MAX_PICTURES = 5
MAX_ACCESS = 30
MAX_FIXES = 10  # suggested fixes shown with their diffs
LIMIT = 60000  # characters; GitHub's comment limit is 65,536


def _cell(text: str, limit: int = 200) -> str:
    text = str(text).replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(f: Finding) -> str:
    if not f.location:
        return ""
    parts = [f.location.file] + [str(x) for x in (f.location.line,) if x is not None]
    return f"`{':'.join(parts)}`"


def _row(f: Finding) -> str:
    status = "" if f.status is Status.OPEN else f" ({f.status.value})"
    return (f"| {f.severity.label}{status} | `{_cell(f.rule, 80)}` | `{_cell(f.subject, 120)}` | "
            f"{_cell(f.message)} | {_where(f)} |")


def render(report: Report) -> str:
    out: list[str] = []
    tally = Tally(report.findings)
    ordered = report.sorted_findings  # once: a sorted list filtered stays sorted
    counted = [f for f in ordered if f.status is not Status.WAIVED]
    new = report.mode in ("overlay", "scan", "diff") or bool(report.baseline)
    noun = "new finding" if new else "finding"
    failing = tally.failing(report.fail_on)
    if report.fail_on is not None and failing:
        verdict = f"❌ **{failing} {noun}{'s' if failing != 1 else ''} at or above " \
                  f"{report.fail_on.label}**"
    else:
        verdict = "✅ **nothing at or above " + report.fail_on_label + "**"
    out.append(f"## s3audit: {verdict}")
    out.append("")
    facts = []
    if report.inputs:
        facts.append("inputs " + ", ".join(f"`{i}`" for i in report.inputs))
    if (report.snapshot or {}).get("taken_at"):
        facts.append(f"snapshot taken {report.snapshot['taken_at']}")
    if report.profile:
        facts.append(f"profile `{report.profile.get('name')}`")
    if report.packs:
        facts.append("rule packs " + ", ".join(f"{n} {v}".strip() for n, v in report.packs))
    if report.mode == "overlay":
        facts.append("only what the change introduces or fixes")
    if report.baseline:
        facts.append(f"{report.baseline.get('known', 0)} findings already in the baseline are not shown")
    if facts:
        out.append("; ".join(facts) + ".")
        out.append("")

    out.append("| severity | open | unknown | waived |")
    out.append("|---|---:|---:|---:|")
    counts = tally.by_severity_and_status()
    for sev in SEVERITY_ORDER:
        row = [counts.get((sev, st), 0) for st in (Status.OPEN, Status.UNKNOWN, Status.WAIVED)]
        out.append(f"| {sev.label} | {row[0]} | {row[1]} | {row[2]} |")
    out.append("")
    if report.resolved:
        what = "fixed by this change" if report.mode == "overlay" else "resolved"
        out.append(f"{len(report.resolved)} finding{'s' if len(report.resolved) != 1 else ''} {what}.")
        out.append("")

    top = counted[:TOP]
    if top:
        out.append(f"### Top {noun}s" if len(counted) > 1 else f"### The {noun}")
        out.append("")
        out.append("| severity | rule | subject | message | location |")
        out.append("|---|---|---|---|---|")
        out.extend(_row(f) for f in top)
        out.append("")

    fixes = [f for f in counted if f.fingerprint in report.suggestions][:MAX_FIXES] if report.suggestions else []
    if fixes:
        from .suggestion import diff, headline
        out.append("### Suggested fixes")
        out.append("")
        for f in fixes:
            s = report.suggestions[f.fingerprint]
            out.append(f"**`{_cell(f.rule, 80)}`** on `{_cell(f.subject, 120)}`: {_cell(headline(s), 600)}")
            out.append("")
            for e in s.get("edits") or ():
                place = ":".join(str(x) for x in (e.get("file"), e.get("line"), e.get("column")) if x is not None)
                out.append(f"edit at `{place}`")
                out.append("")
            d = diff(s)
            if d and sum(len(x) + 1 for x in out) + len(d) < LIMIT // 2:
                out.append("```diff")
                out.append(d.rstrip("\n"))
                out.append("```")
                out.append("")

    pictures, drawn = [], set()
    for p in report.paths:  # one picture per distinct path, though several rules may report it
        shape = tuple((h.source, h.target, h.kind, h.decision) for h in p.hops)
        if p.finding and shape not in drawn and len(pictures) < MAX_PICTURES:
            drawn.add(shape)
            pictures.append(p)
    if pictures:
        out.append("### New access paths" if new else "### Access paths")
        out.append("")
        assume = tuple((report.profile or {}).get("assume") or ())
        for p in pictures:
            out.append(f"**{_cell(p.principal, 120)}** → **{_cell(p.bucket, 80)}** ({p.decision}, "
                       f"{len(p.hops)} hop{'s' if len(p.hops) != 1 else ''})")
            out.append("")
            out.append("```mermaid")
            out.append(mermaid([p]).rstrip("\n"))
            out.append("```")
            out.append("")
            words = list(dict.fromkeys(describe(c, assume) for h in p.hops for c in h.conditions))
            if words:
                out.append("Conditional: " + "; ".join(_cell(w, 300) for w in words) + ".")
                out.append("")

    if report.access_changes:
        grouped = group_access_changes(report.access_changes)
        out.append(f"### Access changes ({len(grouped)})")
        out.append("")
        for g in grouped[:MAX_ACCESS]:
            out.append(f"- `{_cell(access_change_text(g), 300)}`")
        if len(grouped) > MAX_ACCESS:
            out.append(f"- … and {len(grouped) - MAX_ACCESS} more (see the JSON output)")
        out.append("")

    if report.resolved:
        what = "Fixed by this change" if report.mode == "overlay" else "Resolved"
        out.append(f"<details><summary>{what} ({len(report.resolved)})</summary>")
        out.append("")
        out.append("| severity | rule | subject | message | location |")
        out.append("|---|---|---|---|---|")
        out.extend(_row(f) for f in first_in_report_order(report.resolved, 100))
        out.append("")
        out.append("</details>")
        out.append("")

    odd = [w for w in report.waivers if w.get("status") in ("expired", "stale")]
    if odd:
        out.append("### Waivers needing attention")
        out.append("")
        for w in odd:
            where = f"`{w.get('file')}:{w.get('line')}`"
            if w.get("status") == "expired":
                out.append(f"- {where}: waiver for `{w.get('rule')}` on `{w.get('resource')}` expired "
                           f"{w.get('expires')} (owner {w.get('owner')})")
            else:
                out.append(f"- {where}: stale waiver for `{w.get('rule')}` on `{w.get('resource')}` matched nothing")
        out.append("")

    missing = (report.snapshot or {}).get("incomplete") or []
    if missing:
        # before the full list of findings, which fills what is left of the comment
        out.append(f"### Not collected ({len(missing)})")
        out.append("")
        out.append("What depends on these calls is unknown to the rules, never assumed.")
        out.append("")
        if len(missing) > TOP:
            out.append(f"<details><summary>{len(missing)} calls failed</summary>")
            out.append("")
        budget = LIMIT // 3
        for i, m in enumerate(missing):
            line = f"- {_cell(m, 300)}"
            budget -= len(line) + 1
            if budget < 0:
                out.append(f"- … and {len(missing) - i} more (see the JSON output)")
                break
            out.append(line)
        out.append("")
        if len(missing) > TOP:
            out.append("</details>")
            out.append("")

    if len(ordered) > len(top):
        head = f"<details><summary>All {len(ordered)} findings</summary>"
        out.append(head)
        out.append("")
        out.append("| severity | rule | subject | message | location |")
        out.append("|---|---|---|---|---|")
        used = sum(len(x) + 1 for x in out)
        shown = 0
        for f in ordered:
            line = _row(f)
            if used + len(line) > LIMIT - 500:
                break
            out.append(line)
            used += len(line) + 1
            shown += 1
        if shown < len(ordered):
            out.append("")
            out.append(f"… and {len(ordered) - shown} more (see the JSON or SARIF output).")
        out.append("")
        out.append("</details>")
        out.append("")
    for note in report.notes:
        out.append(f"> {note}")
    return "\n".join(out).rstrip("\n") + "\n"
