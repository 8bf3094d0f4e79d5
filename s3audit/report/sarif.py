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
from urllib.parse import quote

from .. import __version__
from ..findings import Finding, Location, Severity, Status
from .json import Splice, evidence_text, in_list, indented_list
from .model import Report, RuleInfo, sort_key
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


def _physical(loc: Location, uris: dict[str, str] | None = None) -> dict:
    region = {"startLine": max(1, int(loc.line or 1))}
    if loc.column:
        region["startColumn"] = max(1, int(loc.column))
    if uris is None:
        uri = artifact_uri(loc.file)
    else:
        uri = uris.get(loc.file)
        if uri is None:
            uri = uris[loc.file] = artifact_uri(loc.file)
    return {"artifactLocation": {"uri": uri}, "region": region}


def _location(f: Finding, report: Report, uris: dict[str, str] | None = None) -> dict:
    out: dict = {}
    loc = f.location or report.snapshot_lines.get(f.fingerprint)
    if loc is None:
        fallback = (report.snapshot or {}).get("file") or (report.inputs[0] if report.inputs else None)
        if fallback and not os.path.isdir(fallback):
            loc = Location(fallback, 1, 1)
    if loc is not None:
        out["physicalLocation"] = _physical(loc, uris)
    out["logicalLocations"] = [{"fullyQualifiedName": f.subject, "kind": "resource"}]
    return out


def _result(f: Finding, index: dict[str, int], report: Report) -> dict:
    message = f.message or f.rule
    if f.status is Status.UNKNOWN:
        message = f"could not be decided (something the rule needs was not collected): {message}"
    r = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": LEVELS[f.severity],
        "message": {"text": message},
        "locations": [_location(f, report)],
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
    run = {
        "tool": {"driver": {"name": "s3audit", "version": __version__, "semanticVersion": __version__,
                            "informationUri": INFORMATION_URI, "rules": [_descriptor(r) for r in rules]}},
        "results": results(report, index) if results is not None else
        [_result(f, index, report) for f in sorted(report.findings, key=sort_key)],
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
    """``dumps(to_sarif(report))``, each result written by ``_result_text`` (the estate's findings are most of a
    SARIF file, and the generic encoder is slow over them)."""
    splice = Splice()
    uris: dict[str, str] = {}  # artifact_uri of each file, once a run (most results name the snapshot file)

    def results(report: Report, index: dict[str, int]) -> str:
        return splice.mark(indented_list([_result_text(f, index, report, uris)
                                          for f in sorted(report.findings, key=sort_key)], 3))
    return splice.dumps(to_sarif(report, results))


def _result_text(f: Finding, index: dict[str, int], report: Report, uris: dict[str, str]) -> str:
    """``_result(f, index, report)`` as ``dumps`` writes it two levels deep; the common shape (no suggestion,
    not waived) by hand, with the evidence cut from the finding's JSON text; any other through ``dumps``."""
    if f.status is Status.WAIVED or report.suggestions.get(f.fingerprint) is not None:
        return in_list(_result(f, index, report))
    s = _string
    message = f.message or f.rule
    if f.status is Status.UNKNOWN:
        message = f"could not be decided (something the rule needs was not collected): {message}"
    loc = _location(f, report, uris)
    out = ["{\n      \"ruleId\": ", s(f.rule), ",\n      \"ruleIndex\": ", int.__repr__(index[f.rule]),
           ",\n      \"level\": ", s(LEVELS[f.severity]), ",\n      \"message\": {\n        \"text\": ", s(message),
           "\n      },\n      \"locations\": [\n        {\n"]
    physical = loc.get("physicalLocation")
    if physical is not None:
        region = physical["region"]
        out += ["          \"physicalLocation\": {\n            \"artifactLocation\": {\n              \"uri\": ",
                s(physical["artifactLocation"]["uri"]), "\n            },\n            \"region\": {\n"
                "              \"startLine\": ", int.__repr__(region["startLine"])]
        if "startColumn" in region:
            out += [",\n              \"startColumn\": ", int.__repr__(region["startColumn"])]
        out.append("\n            }\n          },\n")
    out += ["          \"logicalLocations\": [\n            {\n              \"fullyQualifiedName\": ", s(f.subject),
            ",\n              \"kind\": \"resource\"\n            }\n          ]\n        }\n      ],\n"
            "      \"partialFingerprints\": {\n        \"" + FINGERPRINT_KEY + "\": ", s(f.fingerprint),
            "\n      },\n      \"properties\": {\n        \"severity\": ", s(f.severity.label),
            ",\n        \"status\": ", s(f.status.value), ",\n        \"subject\": ", s(f.subject),
            ",\n        \"controls\": ",
            "[\n          " + ",\n          ".join(map(s, f.controls)) + "\n        ]" if f.controls else "[]",
            ",\n        \"evidence\": ", evidence_text(f).replace("\n", "\n        "), "\n      }\n    }"]
    return "".join(out)


# what dumps (ensure_ascii=False) writes for a string
_string = _json.encoder.encode_basestring
