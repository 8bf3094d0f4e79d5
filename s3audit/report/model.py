"""The one serialisable report every output format renders (``render(report) -> str``).

A ``Report`` holds what a run found and everything needed to say it in any format: the findings (with
their status after the profile's waivers), the rule catalogue that ran, the rule packs and their versions,
the snapshot's provenance, the profile, the threshold, waiver outcomes, the baseline, what a change fixed
(``resolved``), pictures of access paths, and access changes between two snapshots.

Its JSON form (``to_json``) is the ``s3audit.findings/v1`` contract — ``format``, ``findings`` and
``summary`` as documented in docs/reports.md — plus the context keys; ``from_json`` reads it back (for
baselines, ``diff`` and the scan history). Findings read back keep the fingerprint they were written with.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping

from .. import __version__
from ..errors import InputError, Place
from ..findings import SEVERITY_ORDER, FINDINGS_FORMAT, Finding, Location, Severity, Status, summarize, tally
from ..findings import failing as count_failing


@dataclass(frozen=True)
class StoredFinding(Finding):
    """A finding read back from a findings file: its fingerprint is the one written, not recomputed."""

    stored_fingerprint: str = ""

    @property
    def fingerprint(self) -> str:  # type: ignore[override]
        return self.stored_fingerprint


def finding_from_json(d: Mapping[str, Any], file: str | None = None, index: int = 0,
                      where: str = "/findings") -> Finding:
    problem = finding_problem(d)
    if problem is not None:
        at, message = problem
        raise InputError(f"not a findings/v1 file: {message}", Place(file, pointer=f"{where}/{index}{at}"))
    try:
        loc = d.get("location")
        location = Location(loc["file"], loc.get("line"), loc.get("column")) if loc else None
        return StoredFinding(
            rule=d["rule"], severity=Severity.parse(d["severity"]), controls=tuple(d.get("controls") or ()),
            subject=d["subject"], message=d.get("message", ""), status=Status(d.get("status", "open")),
            evidence=tuple(d.get("evidence") or ()), location=location, waiver=d.get("waiver"),
            stored_fingerprint=d["fingerprint"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = f"missing `{exc.args[0]}`" if isinstance(exc, KeyError) else str(exc).rstrip(".")
        raise InputError(f"not a findings/v1 finding: {what}", Place(file, pointer=f"{where}/{index}")) from None


_FINDING_KEYS = ("rule", "severity", "controls", "subject", "message", "status", "evidence", "location",
                 "fingerprint")
_SEVERITIES = tuple(s.label for s in Severity)
_STATUSES = tuple(s.value for s in Status)
_WAIVER_TEXT = ("rule", "resource", "reason", "owner", "expires")


def _whole(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())


def finding_problem(d: Any) -> tuple[str, str] | None:
    """(pointer inside the finding, sentence) of what breaks the findings schema's `finding`, or None.

    A findings file holds hundreds of thousands of findings: checked here, as the schema says, in a tenth of the
    time jsonschema takes (the rest of the file goes through jsonschema)."""
    from ..schemas.validate import json_type, short
    if not isinstance(d, dict):
        return "", f"expected object, found {json_type(d)}"
    for key in _FINDING_KEYS:
        if key not in d:
            return "", f"missing required key `{key}`"
    for key in ("rule", "subject", "message", "fingerprint"):
        if not isinstance(d[key], str):
            return f"/{key}", f"expected string, found {json_type(d[key])}"
    if not d["fingerprint"]:
        return "/fingerprint", "must not be empty"
    for key, allowed in (("severity", _SEVERITIES), ("status", _STATUSES)):
        if d[key] not in allowed or not isinstance(d[key], str):
            return f"/{key}", f"expected one of {', '.join(f'`{v}`' for v in allowed)}, found `{short(d[key])}`"
    if not isinstance(d["controls"], list):
        return "/controls", f"expected array, found {json_type(d['controls'])}"
    for i, c in enumerate(d["controls"]):
        if not isinstance(c, str):
            return f"/controls/{i}", f"expected string, found {json_type(c)}"
    if not isinstance(d["evidence"], list):
        return "/evidence", f"expected array, found {json_type(d['evidence'])}"
    loc = d["location"]
    if loc is not None:
        if not isinstance(loc, dict):
            return "/location", f"expected null or an object, found {json_type(loc)}"
        for key in ("file", "line", "column"):
            if key not in loc:
                return "/location", f"missing required key `{key}`"
        if not isinstance(loc["file"], str):
            return "/location/file", f"expected string, found {json_type(loc['file'])}"
        for key in ("line", "column"):
            if loc[key] is not None and not _whole(loc[key]):
                return f"/location/{key}", f"expected integer or null, found {json_type(loc[key])}"
    if "waiver" in d:
        w = d["waiver"]
        if not isinstance(w, dict):
            return "/waiver", f"expected object, found {json_type(w)}"
        for key in _WAIVER_TEXT:
            if key in w and not isinstance(w[key], str):
                return f"/waiver/{key}", f"expected string, found {json_type(w[key])}"
        if "file" in w and w["file"] is not None and not isinstance(w["file"], str):
            return "/waiver/file", f"expected string or null, found {json_type(w['file'])}"
        if "line" in w and w["line"] is not None and not _whole(w["line"]):
            return "/waiver/line", f"expected integer or null, found {json_type(w['line'])}"
    return None


def sort_key(f: Finding) -> tuple:
    """The reports' order: severity (highest first), waived last, rule, subject."""
    return (-f.severity, f.status is _WAIVED, f.rule, f.subject, f.fingerprint)


_WAIVED = Status.WAIVED  # a global, not an attribute of the enum, for the calls per finding


class InReportOrder(list):
    """Findings in the reports' order (``sort_key``): made by ``in_report_order``, which sorts, or by taking a part
    of such a list in its order (a scan's new and unchanged findings are parts of the night's). Every report and
    list that shows it takes it as it is: an estate's hundreds of thousands of findings are sorted once a run."""


def in_report_order(findings: Iterable[Finding]) -> InReportOrder:
    """``sorted(findings, key=sort_key)``: the list itself when it is in that order already (``InReportOrder``)."""
    if isinstance(findings, InReportOrder):
        return findings
    return InReportOrder(sorted(findings, key=sort_key))


def first_in_report_order(findings: Iterable[Finding], n: int) -> list[Finding]:
    """``in_report_order(findings)[:n]``, without sorting them all to take a few."""
    if isinstance(findings, InReportOrder):
        return findings[:n]
    return heapq.nsmallest(n, findings, key=sort_key)  # stable: sorted(...)[:n]


@dataclass(frozen=True)
class RuleInfo:
    """A rule's own metadata, as the catalogue, SARIF and JUnit show it."""

    id: str
    title: str
    severity: Severity
    controls: tuple[str, ...] = ()
    rationale: str = ""
    remediation: str = ""
    pack: str = ""
    file: str | None = None
    line: int | None = None
    builtin: bool = True

    @classmethod
    def from_meta(cls, meta: Any, builtin: bool) -> "RuleInfo":
        return cls(meta.id, meta.title, meta.severity, tuple(meta.controls), meta.rationale or "",
                   meta.remediation or "", meta.pack or "", meta.file, meta.line, builtin)

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "severity": self.severity.label, "controls": list(self.controls),
                "rationale": self.rationale, "remediation": self.remediation, "pack": self.pack,
                "file": self.file, "line": self.line}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "RuleInfo":
        return cls(d["id"], d.get("title", ""), Severity.parse(d.get("severity", "info")),
                   tuple(d.get("controls") or ()), d.get("rationale", ""), d.get("remediation", ""),
                   d.get("pack", ""), d.get("file"), d.get("line"))


@dataclass(frozen=True)
class PathHop:
    source: str
    target: str
    kind: str  # member-of | assume | act-as | access
    decision: str = "allow"  # allow | conditional
    actions: tuple[str, ...] = ()
    detail: str = ""
    # what the hop still depends on: residuals as the engine's JSON has them (with their "explanation")
    conditions: tuple[dict, ...] = ()
    # conditions the audit profile assumes met (``assume: {tls: true}``) that made a conditional hop allowed
    assumed: tuple[str, ...] = ()

    def to_json(self) -> dict:
        out = {"from": self.source, "to": self.target, "kind": self.kind, "decision": self.decision,
               "actions": list(self.actions), "detail": self.detail, "conditions": list(self.conditions)}
        if self.assumed:
            out["assumed"] = list(self.assumed)
        return out

    @classmethod
    def from_json(cls, h: Mapping[str, Any]) -> "PathHop":
        return cls(h["from"], h["to"], h.get("kind", "access"), h.get("decision", "allow"),
                   tuple(h.get("actions") or ()), h.get("detail", ""),
                   tuple(c for c in h.get("conditions") or () if isinstance(c, dict)), tuple(h.get("assumed") or ()))


@dataclass(frozen=True)
class PathPicture:
    """One reachable-data path, hop by hop, as the pictures draw it (names as the graph displays them)."""

    principal: str
    bucket: str
    access: tuple[str, ...]
    decision: str
    hops: tuple[PathHop, ...]
    external: tuple[str, ...] = ()  # nodes outside the organization (drawn in red), anonymous included
    sensitive: str = ""  # why the bucket counts as sensitive (for example data-class=pci)
    finding: str = ""  # fingerprint of the finding whose evidence this path is, if any

    def to_json(self) -> dict:
        return {"principal": self.principal, "bucket": self.bucket, "access": list(self.access),
                "decision": self.decision, "hops": [h.to_json() for h in self.hops],
                "external": list(self.external), "sensitive": self.sensitive, "finding": self.finding}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "PathPicture":
        hops = tuple(PathHop.from_json(h) for h in d.get("hops") or ())
        return cls(d["principal"], d["bucket"], tuple(d.get("access") or ()), d.get("decision", "allow"), hops,
                   tuple(d.get("external") or ()), d.get("sensitive", ""), d.get("finding", ""))


@dataclass(frozen=True)
class AccessChange:
    """A principal's access of one level to one bucket, before and after (None: no access)."""

    principal: str
    bucket: str
    level: str  # list | read | write | permissions
    before: str | None  # allow | conditional | None
    after: str | None

    @property
    def change(self) -> str:
        if self.before is None:
            return "gained"
        if self.after is None:
            return "lost"
        return "changed"

    def to_json(self) -> dict:
        return {"change": self.change, "principal": self.principal, "bucket": self.bucket, "level": self.level,
                "before": self.before, "after": self.after}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "AccessChange":
        return cls(d["principal"], d["bucket"], d["level"], d.get("before"), d.get("after"))


def group_access_changes(changes: Iterable[AccessChange]) -> list[tuple[str, str, str, tuple[str, ...], str | None,
                                                                      str | None]]:
    """(change, principal, bucket, levels, before, after): one line per principal and bucket, levels joined."""
    out: dict[tuple, list[str]] = {}
    for c in changes:
        out.setdefault((c.change, c.principal, c.bucket, c.before, c.after), []).append(c.level)
    return [(k[0], k[1], k[2], tuple(v), k[3], k[4]) for k, v in out.items()]


def access_change_text(g) -> str:
    """One line for a grouped access change (``group_access_changes``)."""
    change, principal, bucket, levels, before, after = g
    what = ", ".join(levels)
    if change == "gained":
        return f"+ {principal} gained {what} access to {bucket} ({after})"
    if change == "lost":
        return f"- {principal} lost {what} access to {bucket} (was {before})"
    return f"~ {principal} {what} access to {bucket}: {before} -> {after}"


@dataclass
class Report:
    findings: list[Finding]
    rules: list[RuleInfo] = field(default_factory=list)
    packs: list[tuple[str, str]] = field(default_factory=list)
    snapshot: dict = field(default_factory=dict)  # provenance: taken_at, source, file, accounts, buckets
    profile: dict | None = None  # name, file, description
    fail_on: Severity | None = Severity.HIGH  # None: nothing fails the run
    waivers: list[dict] = field(default_factory=list)  # WaiverOutcome.to_json()
    baseline: dict | None = None  # {"file", "known"}: findings already in the baseline were left out
    resolved: list[Finding] = field(default_factory=list)  # fixed by the change / since the previous run
    unchanged: list[Finding] = field(default_factory=list)  # diff and scan: findings in both
    paths: list[PathPicture] = field(default_factory=list)
    access_changes: list[AccessChange] = field(default_factory=list)
    mode: str = "snapshot"  # snapshot | iac | overlay | diff | scan
    inputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    title: str = "s3audit"
    # fingerprint -> where in the snapshot file the finding's subject is (for SARIF, which needs a file
    # position for every result); filled by the command line when the snapshot is a file; not serialised
    snapshot_lines: dict[str, Location] = field(default_factory=dict)
    # fingerprint -> the account the finding is about (a bucket's ARN names none), filled by the command
    # line from the snapshot for the per-account counts; not serialised
    accounts: dict[str, str | None] = field(default_factory=dict)
    # fingerprint -> the suggested fix (``check --suggest``; report/suggestion.py says its keys), serialised as
    # each finding's "suggestion"
    suggestions: dict[str, dict] = field(default_factory=dict)
    # fingerprint -> (file, [(SARIF region, text to put there or None to delete)]): a suggestion as exact edits
    # of a file the run read, for SARIF's fix; filled by the command line from the file; not serialised
    fix_regions: dict[str, tuple[str, list]] = field(default_factory=dict)

    # ---- what the run concluded ----
    @property
    def counted(self) -> list[Finding]:
        """Findings that count toward the threshold: open and unknown (an undecided rule may be failing)."""
        return [f for f in self.findings if f.status is not _WAIVED]

    @property
    def failing(self) -> list[Finding]:
        """Counted findings at or above the threshold."""
        if self.fail_on is None:
            return []
        fail_on = self.fail_on
        return [f for f in self.findings if f.status is not _WAIVED and f.severity >= fail_on]

    @property
    def exit_status(self) -> int:
        return 1 if self.failing else 0

    @property
    def sorted_findings(self) -> InReportOrder:
        return in_report_order(self.findings)

    def rule(self, rule_id: str) -> RuleInfo | None:
        for r in self.rules:
            if r.id == rule_id:
                return r
        return None

    @property
    def fail_on_label(self) -> str:
        return self.fail_on.label if self.fail_on is not None else "never"

    def summary(self) -> dict:
        counts = tally(self.findings)  # one pass for the totals and the threshold
        s = summarize(self.findings, counts)
        failing = count_failing(counts, self.fail_on)
        s["fail_on"] = self.fail_on_label
        s["failing"] = failing
        s["passed"] = not failing
        s["resolved"] = len(self.resolved)
        if self.mode in ("diff", "scan"):
            s["unchanged"] = len(self.unchanged)
        s["waivers"] = {st: sum(1 for w in self.waivers if w.get("status") == st)
                        for st in ("active", "expired", "stale")}
        return s

    def by_control(self) -> dict[str, dict[str, int]]:
        """Framework control -> severity -> count of counted findings (for the executive summary)."""
        from .tally import Tally
        return Tally(self.findings).by_control()

    # ---- serialisation ----
    def finding_json(self, f: Finding) -> dict:
        out = f.to_json()
        s = self.suggestions.get(f.fingerprint)
        if s is not None:
            out["suggestion"] = s
        return out

    def to_json(self, *, lists=None) -> dict:
        """The findings/v1 document. ``lists(name, items, with_suggestions)``, when given, stands in for each
        long list — of findings, and of path pictures (``"paths"``) — (``report.json.render`` puts there the
        items' text, rendered once each)."""
        if lists is None:
            def lists(name, items, with_suggestions):
                return [self.finding_json(x) if with_suggestions else x.to_json() for x in items]
        return {
            "format": FINDINGS_FORMAT,
            "findings": lists("findings", self.sorted_findings, True),
            "summary": self.summary(),
            "tool": {"name": "s3audit", "version": __version__},
            "mode": self.mode,
            "inputs": list(self.inputs),
            "taken_at": self.snapshot.get("taken_at"),
            "snapshot": dict(self.snapshot),
            "profile": self.profile,
            "rule_packs": [{"name": n, "version": v} for n, v in self.packs],
            "rules": [r.to_json() for r in self.rules],
            "waivers": list(self.waivers),
            "baseline": self.baseline,
            "resolved": lists("resolved", in_report_order(self.resolved), False),
            "unchanged": lists("unchanged", in_report_order(self.unchanged), False),
            "paths": lists("paths", self.paths, False),
            "access_changes": [c.to_json() for c in self.access_changes],
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, d: Any, file: str | None = None) -> "Report":
        if not isinstance(d, dict) or d.get("format") != FINDINGS_FORMAT:
            found = d.get("format") if isinstance(d, dict) else None
            from ..schemas.validate import short
            raise InputError(f"not an s3audit findings file (expected \"format\": \"{FINDINGS_FORMAT}\""
                             + (f", found `{short(found)}`)" if found else ")"), Place(file, pointer="/format"))
        _validate(d, file)
        findings = [finding_from_json(f, file, i) for i, f in enumerate(d["findings"])]
        suggestions = {f.fingerprint: raw["suggestion"] for f, raw in zip(findings, d["findings"])
                       if isinstance(raw, dict) and isinstance(raw.get("suggestion"), dict)}
        summary = d.get("summary") or {}
        fail_on = summary.get("fail_on", "high")
        return cls(
            findings=findings,
            rules=[RuleInfo.from_json(r) for r in d.get("rules") or []],
            packs=[(p["name"], p.get("version", "")) for p in d.get("rule_packs") or []],
            snapshot=dict(d.get("snapshot") or {"taken_at": d.get("taken_at")}),
            profile=d.get("profile"),
            fail_on=None if fail_on == "never" else Severity.parse(fail_on),
            waivers=list(d.get("waivers") or []),
            baseline=d.get("baseline"),
            resolved=[finding_from_json(f, file, i, "/resolved") for i, f in enumerate(d.get("resolved") or [])],
            unchanged=[finding_from_json(f, file, i, "/unchanged") for i, f in enumerate(d.get("unchanged") or [])],
            paths=[PathPicture.from_json(p) for p in d.get("paths") or []],
            access_changes=[AccessChange.from_json(c) for c in d.get("access_changes") or []],
            mode=d.get("mode", "snapshot"), inputs=list(d.get("inputs") or []), notes=list(d.get("notes") or []),
            suggestions=suggestions)


_FINDING_LISTS = ("findings", "resolved", "unchanged")


@lru_cache(maxsize=1)
def _validator():
    """The findings schema without its lists of findings, which ``finding_problem`` checks much faster."""
    import json

    import jsonschema

    from .. import packaged
    schema = json.loads(packaged.read_text("schemas", "findings.schema.json"))
    for key in _FINDING_LISTS:
        schema["properties"][key] = {"type": "array"}
    return jsonschema.Draft202012Validator(schema)


def _validate(document: dict, file: str | None) -> None:
    """A findings file is read only as far as its schema holds: anything else is an error at its pointer."""
    from ..schemas.validate import first_error
    for key in _FINDING_LISTS:  # the findings first: what the file is for
        items = document.get(key)
        for i, f in enumerate(items if isinstance(items, list) else ()):
            problem = finding_problem(f)
            if problem is not None:
                raise InputError(f"not a findings/v1 file: {problem[1]}", Place(file, pointer=f"/{key}/{i}{problem[0]}"))
    found = first_error(_validator(), document)
    if found is not None:
        pointer, message = found
        raise InputError(f"not a findings/v1 file: {message}", Place(file, pointer=pointer))


def load_findings(path: str) -> Report:
    """Read a findings file (the JSON output of check, or a scan's findings.json)."""
    from ..fileio import read_json
    return Report.from_json(read_json(path), path)


def snapshot_provenance(snapshot: Any, file: str | None = None) -> dict:
    """What the report says about where its data came from (the snapshot model, or None)."""
    if snapshot is None:
        return {"taken_at": None}
    accounts = list(snapshot.accounts)
    return {
        "taken_at": snapshot.taken_at,
        "source": {"kind": snapshot.source_kind, "detail": snapshot.source_detail},
        "file": file or snapshot.file,
        "organization": snapshot.organization.id if snapshot.organization else None,
        "accounts": [{"id": a.id, "name": a.name} for a in accounts],
        "buckets": sum(len(a.buckets) for a in accounts),
        "principals": sum(len(a.roles) + len(a.users) for a in accounts),
        # every call that failed, one sentence each (the text, Markdown and HTML reports list them too)
        "incomplete": [f"{where}: {call}: {error}" for where, call, error in snapshot.collection_errors()],
    }


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    out = {s.label: 0 for s in SEVERITY_ORDER}
    for f in findings:
        out[f.severity.label] += 1
    return out
