"""Text for a terminal: findings grouped by severity, one line each, then waivers and a summary line.

Each line: rule id, subject, message, and ``(file:line:column)`` when the finding has a location.
Colour (ANSI) only when the caller asks for it — the command line does when stdout is a terminal and
``NO_COLOR`` is not set.
"""
from __future__ import annotations

from ..findings import Finding, Severity, Status
from .suggestion import lines as suggestion_lines
from .model import SEVERITY_ORDER, Report, access_change_text, group_access_changes, in_report_order
from .tally import Tally

MAX_ACCESS_LINES = 50

_COLOURS = {Severity.CRITICAL: "1;31", Severity.HIGH: "31", Severity.MEDIUM: "33", Severity.LOW: "36",
            Severity.INFO: "2"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _where(f: Finding) -> str:
    if f.location is None:
        return ""
    loc = f.location
    parts = [loc.file] + [str(x) for x in (loc.line, loc.column) if x is not None]
    return f"  ({':'.join(parts)})"


def finding_line(f: Finding) -> str:
    mark = " [unknown]" if f.status is Status.UNKNOWN else ""
    return f"  {f.rule}  {f.subject}{mark}  {f.message}{_where(f)}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary_line(report: Report, tally: Tally | None = None) -> str:
    """The last line; ``tally``: the report's findings counted already (``Tally(report.findings)``)."""
    tally = tally or Tally(report.findings)
    by_sev = tally.counted_by_severity()
    counted = sum(by_sev.values())
    by_status = tally.by_status()
    waived, unknown = by_status[Status.WAIVED], by_status[Status.UNKNOWN]
    failing = tally.failing(report.fail_on)
    noun = "new finding" if report.mode in ("overlay", "scan", "diff") or report.baseline else "finding"
    head = f"{_plural(counted, noun)}"
    if counted:
        head += " (" + ", ".join(f"{n} {s.label}" for s, n in by_sev.items() if n) + ")"
    extra = []
    if unknown:
        extra.append(f"{unknown} unknown")
    if waived:
        extra.append(f"{waived} waived")
    if report.resolved:
        extra.append(f"{len(report.resolved)} fixed" if report.mode == "overlay" else f"{len(report.resolved)} resolved")
    if report.baseline:
        extra.append(f"{report.baseline.get('known', 0)} in the baseline")
    if extra:
        head += "; " + ", ".join(extra)
    if report.fail_on is None:
        verdict = "pass (--fail-on never)"
    elif failing:
        verdict = f"FAIL: {failing} at or above {report.fail_on.label}"
    else:
        verdict = f"pass: nothing at or above {report.fail_on.label}"
    return f"summary: {head}; {verdict}"


def render(report: Report, *, color: bool = False) -> str:
    lines: list[str] = []
    snap = report.snapshot or {}
    head = "s3audit"
    if report.inputs:
        head += ": " + ", ".join(report.inputs)
    if snap.get("taken_at"):
        head += f" (taken {snap['taken_at']})"
    if report.profile:
        head += f", profile {report.profile.get('name')}"
    lines.append(head)
    if report.mode == "overlay":
        lines.append("only what the change introduces is listed; what it fixes comes after")
    groups, waived = _by_severity(report.findings)
    suggestions = report.suggestions
    for sev, group in groups.items():
        if not group:
            continue
        lines.append("")
        lines.append(_paint(f"{sev.name} ({len(group)})", _COLOURS[sev], color))
        for f in group:
            lines.append(finding_line(f))
            s = suggestions.get(f.fingerprint) if suggestions else None  # most reports have none
            if s is not None:
                lines.extend("      " + x for x in suggestion_lines(s))
    if waived:
        lines.append("")
        lines.append(_paint(f"WAIVED ({len(waived)})", "2", color))
        for f in waived:
            w = f.waiver or {}
            lines.append(f"  {f.rule}  {f.subject}  [{f.severity.label}] waived until {w.get('expires')} "
                         f"({w.get('owner')}: {w.get('reason')})")
    if report.resolved:
        lines.append("")
        title = "FIXED BY THE CHANGE" if report.mode == "overlay" else "RESOLVED"
        lines.append(_paint(f"{title} ({len(report.resolved)})", "32", color))
        for f in in_report_order(report.resolved):
            lines.append(f"  {f.rule}  {f.subject}  [{f.severity.label}] {f.message}{_where(f)}")
    if report.access_changes:
        grouped = group_access_changes(report.access_changes)
        lines.append("")
        lines.append(f"ACCESS CHANGES ({len(grouped)})")
        for g in grouped[:MAX_ACCESS_LINES]:
            lines.append(f"  {access_change_text(g)}")
        if len(grouped) > MAX_ACCESS_LINES:
            lines.append(f"  … and {len(grouped) - MAX_ACCESS_LINES} more (see the JSON output)")
    odd = [w for w in report.waivers if w.get("status") in ("expired", "stale")]
    if odd:
        lines.append("")
        lines.append(_paint(f"WAIVERS NEEDING ATTENTION ({len(odd)})", "33", color))
        for w in odd:
            lines.append(f"  {waiver_text(w)}")
    missing = (report.snapshot or {}).get("incomplete") or []
    if missing:
        lines.append("")
        lines.append(_paint(f"NOT COLLECTED ({len(missing)}): what depends on these is unknown, never assumed",
                            "33", color))
        lines.extend(f"  {m}" for m in missing[:MAX_ACCESS_LINES])
        if len(missing) > MAX_ACCESS_LINES:
            lines.append(f"  … and {len(missing) - MAX_ACCESS_LINES} more (see the JSON output)")
    for note in report.notes:
        lines.append(f"note: {note}")
    lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _by_severity(findings: list[Finding]) -> tuple[dict[Severity, list[Finding]], list[Finding]]:
    """The findings not waived by severity (most severe first), and the waived, each in report order: one sort
    (``sort_key`` orders by severity first, and a sorted list filtered stays sorted)."""
    groups: dict[Severity, list[Finding]] = {sev: [] for sev in SEVERITY_ORDER}
    waived: list[Finding] = []
    for f in in_report_order(findings):
        (waived if f.status is Status.WAIVED else groups[f.severity]).append(f)
    return groups, waived


def waiver_text(w: dict) -> str:
    where = f"{w.get('file')}:{w.get('line')}" if w.get("line") else str(w.get("file"))
    what = f"waiver for {w.get('rule')} on {w.get('resource')} (owner {w.get('owner')})"
    if w.get("status") == "expired":
        n = len(w.get("matched") or ())
        return (f"{where}: expired {w.get('expires')}: {what}; "
                f"{_plural(n, 'finding')} no longer waived")
    if w.get("status") == "stale":
        return f"{where}: stale: {what} matched nothing"
    return f"{where}: {what}"
