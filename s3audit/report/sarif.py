"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

- ``tool.driver.rules``: every rule that ran, with its title, rationale and remediation as help text
  (plain and Markdown), its controls as ``tags``, and GitHub's ``security-severity`` score;
- ``results``: one per finding, with ``partialFingerprints`` (the finding's stable fingerprint, so GitHub
  keeps one alert per problem across runs), a ``physicalLocation`` — the IaC file and line for a change, the
  snapshot file and the line of the subject for the live estate — and a ``logicalLocation`` naming the ARN;
- waived findings carry an ``external`` suppression with the waiver's reason, owner and expiry.

GitHub shows only results with a file position, so every result has one: the finding's location, else
the subject's line in the snapshot file, else the first input file.
"""
from __future__ import annotations

import json as _json
import os
import secrets
from typing import Iterator
from urllib.parse import quote

from .. import __version__, chunked
from ..findings import Finding, Location, Severity, Status
from .json import dumps, evidence_text, in_list
from .model import Report, RuleInfo
from .suggestion import sarif_fix

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/s3audit/s3audit"
FINGERPRINT_KEY = "s3audit/v1"

LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note",
          Severity.INFO: "note"}
# GitHub maps security-severity to critical (> 9.0), high (7.0-8.9), medium (4.0-6.9), low (0.1-3.9)
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0",
                     Severity.INFO: "1.0"}


def artifact_uri(path: str) -> str:
    """A relative path stays relative (to the repository root, where CI runs); others become file URIs."""
    p = path.replace(os.sep, "/")
    if os.path.isabs(path):
        try:
            rel = os.path.relpath(path)
        except ValueError:
            rel = None
        if rel is not None and not rel.startswith(".."):
            p = rel.replace(os.sep, "/")
        else:
            return "file://" + quote(p if p.startswith("/") else "/" + p, safe="/:")
    if p.startswith("./"):
        p = p[2:]
    return quote(p, safe="/:@")


def _help(rule: RuleInfo) -> tuple[str, str]:
    text = [rule.title]
    md = [f"**{rule.title}**"]
    if rule.rationale:
        text += ["", rule.rationale]
        md += ["", rule.rationale]
    if rule.remediation:
        text += ["", f"Remediation: {rule.remediation}"]
        md += ["", f"**Remediation:** {rule.remediation}"]
    if rule.controls:
        text += ["", "Controls: " + ", ".join(rule.controls)]
        md += ["", "**Controls:** " + ", ".join(f"`{c}`" for c in rule.controls)]
    text += ["", f"Severity: {rule.severity.label}" + (f"; rule pack {rule.pack}" if rule.pack else "")]
    md += ["", f"Severity: {rule.severity.label}" + (f"; rule pack `{rule.pack}`" if rule.pack else "")]
    return "\n".join(text), "\n".join(md)


def _descriptor(rule: RuleInfo) -> dict:
    text, md = _help(rule)
    d = {
        "id": rule.id,
        "shortDescription": {"text": rule.title or rule.id},
        "fullDescription": {"text": rule.rationale or rule.title or rule.id},
        "help": {"text": text, "markdown": md},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": ["security", *rule.controls],
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "precision": "high",
            "severity": rule.severity.label,
        },
    }
    if rule.pack:
        d["properties"]["pack"] = rule.pack
    return d


class _Places:
    """Where a run's results point: each file's URI worked out once, and the position of a finding that has
    none of its own (the snapshot file or the first input) settled once a render, not once a result."""

    def __init__(self, report: Report) -> None:
        self._lines = report.snapshot_lines
        self._uris: dict[str, str] = {}  # most results name the snapshot file
        fallback = (report.snapshot or {}).get("file") or (report.inputs[0] if report.inputs else None)
        self.fallback = Location(fallback, 1, 1) if fallback and not os.path.isdir(fallback) else None

    def of(self, f: Finding) -> Location | None:
        return f.location or self._lines.get(f.fingerprint) or self.fallback

    def uri(self, path: str) -> str:
        uri = self._uris.get(path)
        if uri is None:
            uri = self._uris[path] = artifact_uri(path)
        return uri


def _physical(loc: Location, places: _Places) -> dict:
    region = {"startLine": max(1, int(loc.line or 1))}
    if loc.column:
        region["startColumn"] = max(1, int(loc.column))
    return {"artifactLocation": {"uri": places.uri(loc.file)}, "region": region}


def _location(f: Finding, places: _Places) -> dict:
    out: dict = {}
    loc = places.of(f)
    if loc is not None:
        out["physicalLocation"] = _physical(loc, places)
    out["logicalLocations"] = [{"fullyQualifiedName": f.subject, "kind": "resource"}]
    return out


def _message(f: Finding) -> str:
    message = f.message or f.rule
    if f.status is Status.UNKNOWN:
        message = f"could not be decided (something the rule needs was not collected): {message}"
    return message


def _result(f: Finding, index: dict[str, int], report: Report, places: _Places) -> dict:
    r = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": LEVELS[f.severity],
        "message": {"text": _message(f)},
        "locations": [_location(f, places)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {"severity": f.severity.label, "status": f.status.value, "subject": f.subject,
                       "controls": list(f.controls), "evidence": list(f.evidence)},
    }
    s = report.suggestions.get(f.fingerprint)
    if s is not None:
        r["properties"]["suggestion"] = s
        placed = report.fix_regions.get(f.fingerprint)
        fix = sarif_fix(s, placed, artifact_uri(placed[0]) if placed else None)
        if fix is not None:
            r["fixes"] = [fix]
    if f.status is Status.WAIVED:
        w = f.waiver or {}
        r["suppressions"] = [{
            "kind": "external", "status": "accepted",
            "justification": f"{w.get('reason', 'waived')} (owner {w.get('owner')}, until {w.get('expires')})",
        }]
    return r


def to_sarif(report: Report, results=None) -> dict:
    """The SARIF document; ``results(report, index)``, when given, stands in for the list of results."""
    rules = list(report.rules)
    known = {r.id for r in rules}
    for f in report.findings:  # a finding of a rule the catalogue lacks still needs a descriptor
        if f.rule not in known:
            rules.append(RuleInfo(f.rule, f.rule, f.severity, tuple(f.controls)))
            known.add(f.rule)
    index = {r.id: i for i, r in enumerate(rules)}
    if results is None:
        def results(report: Report, index: dict[str, int]) -> list[dict]:
            places = _Places(report)
            return [_result(f, index, report, places) for f in report.sorted_findings]
    run = {
        "tool": {"driver": {"name": "s3audit", "version": __version__, "semanticVersion": __version__,
                            "informationUri": INFORMATION_URI, "rules": [_descriptor(r) for r in rules]}},
        "results": results(report, index),
        "columnKind": "unicodeCodePoints",
        "properties": {
            "taken_at": (report.snapshot or {}).get("taken_at"),
            "profile": (report.profile or {}).get("name"),
            "rule_packs": [{"name": n, "version": v} for n, v in report.packs],
            "fail_on": report.fail_on_label,
            "mode": report.mode,
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    """``dumps(to_sarif(report))``, each result written by ``_ResultTexts`` (the estate's findings are most of a
    SARIF file, and the generic encoder is slow over them)."""
    return "".join(render_pieces(report))


def render_pieces(report: Report) -> Iterator[str]:
    """The text of ``render(report)`` in pieces, the results a few thousand at a time (``chunked.CHUNK``), for a
    file written as they come: at an estate's size the whole text is hundreds of megabytes, and its bytes as
    many."""
    mark = f"\0{secrets.token_hex(16)}"
    made: list[dict[str, int]] = []

    def results(report: Report, index: dict[str, int]) -> str:
        made.append(index)
        return mark

    before, after = dumps(to_sarif(report, results)).split(_json.dumps(mark, ensure_ascii=False), 1)
    yield before
    text = _ResultTexts(report, made[0])  # (to_sarif has called results: the rules' index is made)
    findings = report.sorted_findings
    if not findings:
        yield "[]"
    chunk = chunked.CHUNK
    for at in range(0, len(findings), chunk):
        pieces: list[str] = []
        for f in findings[at:at + chunk]:
            pieces.append("," + _ITEM)
            pieces.extend(text(f))
        if at == 0:
            pieces[0] = "[" + _ITEM
        yield "".join(pieces)
    if findings:
        yield "\n      ]"
    yield after


# Where a result starts in the list of results, which is three levels deep, and how much deeper than the top
# level (or than an item of a report's list: ``in_list``) its lines are.
_ITEM = "\n        "
_FROM_TOP = "\n            "
_FROM_LIST = "\n    "


class _ResultTexts:
    """Each result as ``dumps`` writes it in the list of results, in pieces joined with the other results of its
    piece of the file (``render_pieces``). The
    common shape (no suggestion, not waived) by hand: from pieces worked out once a render (a rule's head, a file
    position, a set of controls), the finding's own strings, and its evidence cut from its JSON text
    (``evidence_text``); any other result through ``dumps``."""

    def __init__(self, report: Report, index: dict[str, int]) -> None:
        self.report = report
        self.index = index
        self.places = _Places(report)
        self._heads: dict[tuple[str, Severity], str] = {}
        self._states: dict[tuple[Severity, Status], str] = {}
        self._physical: dict[Location | None, str] = {}
        self._controls: dict[tuple[str, ...], str] = {}

    def __call__(self, f: Finding) -> tuple[str, ...]:
        if f.status is Status.WAIVED or self.report.suggestions.get(f.fingerprint) is not None:
            return (in_list(_result(f, self.index, self.report, self.places)).replace("\n", _FROM_LIST),)
        s = _string
        subject = s(f.subject)
        return (
            self._head(f), s(_message(f)),
            '\n          },\n          "locations": [\n            {\n', self._where(self.places.of(f)),
            '              "logicalLocations": [\n                {\n                  "fullyQualifiedName": ', subject,
            ',\n                  "kind": "resource"\n                }\n              ]\n            }\n          ],\n'
            '          "partialFingerprints": {\n            "' + FINGERPRINT_KEY + '": ', s(f.fingerprint),
            self._state(f), subject, ',\n            "controls": ', self._controls_text(f.controls),
            ',\n            "evidence": ', evidence_text(f).replace("\n", _FROM_TOP), "\n          }\n        }")

    def _head(self, f: Finding) -> str:
        """From the result's opening brace to its message's text: a function of the rule and severity."""
        key = (f.rule, f.severity)
        head = self._heads.get(key)
        if head is None:
            head = self._heads[key] = (
                '{\n          "ruleId": ' + _string(f.rule) + ',\n          "ruleIndex": ' + str(self.index[f.rule])
                + ',\n          "level": ' + _string(LEVELS[f.severity]) + ',\n          "message": {\n'
                '            "text": ')
        return head

    def _where(self, loc: Location | None) -> str:
        """The ``physicalLocation`` entry (nothing without a position)."""
        text = self._physical.get(loc)
        if text is None:
            text = ""
            if loc is not None:
                region = _physical(loc, self.places)["region"]
                text = ('              "physicalLocation": {\n                "artifactLocation": {\n'
                        '                  "uri": ' + _string(self.places.uri(loc.file)) + '\n                },\n'
                        '                "region": {\n                  "startLine": ' + str(region["startLine"])
                        + (',\n                  "startColumn": ' + str(region["startColumn"])
                           if "startColumn" in region else "") + '\n                }\n              },\n')
            self._physical[loc] = text
        return text

    def _state(self, f: Finding) -> str:
        """From after the fingerprint to the subject in the properties: a function of severity and status."""
        key = (f.severity, f.status)
        text = self._states.get(key)
        if text is None:
            text = self._states[key] = (
                '\n          },\n          "properties": {\n            "severity": ' + _string(f.severity.label)
                + ',\n            "status": ' + _string(f.status.value) + ',\n            "subject": ')
        return text

    def _controls_text(self, controls: tuple[str, ...]) -> str:
        text = self._controls.get(controls)
        if text is None:
            text = self._controls[controls] = (
                "[\n              " + ",\n              ".join(map(_string, controls)) + "\n            ]"
                if controls else "[]")
        return text


# what dumps (ensure_ascii=False) writes for a string
_string = _json.encoder.encode_basestring
