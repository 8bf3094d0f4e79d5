"""JUnit XML for CI systems that display test results (GitLab, Jenkins, Azure DevOps, CircleCI ...).

One ``<testsuite>`` per rule pack; one ``<testcase>`` per rule and subject (``classname`` the rule id,
``name`` the subject): an open finding is a ``<failure>`` (its ``type`` the severity), a finding the rule
could not decide is an ``<error>``, a waived one is ``<skipped>`` with the waiver. A rule that found
nothing is one passing test case, so the suite shows what was checked and passed too.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import OrderedDict

from ..findings import Finding, Status
from .json import to_plain
from .model import Report, RuleInfo

PASSED_NAME = "(no findings)"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(f: Finding, suggestions: dict | None = None) -> str:
    lines = [f"{f.severity.label}: {f.message}", f"subject: {f.subject}"]
    if f.location:
        where = ":".join(str(x) for x in (f.location.file, f.location.line, f.location.column) if x is not None)
        lines.append(f"location: {where}")
    if f.controls:
        lines.append("controls: " + ", ".join(f.controls))
    for e in f.evidence[:20]:
        lines.append("evidence: " + json.dumps(e, ensure_ascii=False, default=to_plain))
    s = (suggestions or {}).get(f.fingerprint)
    if s is not None:
        from .suggestion import lines as suggestion_lines
        lines.extend("suggestion: " + x for x in suggestion_lines(s))
    lines.append(f"fingerprint: {f.fingerprint}")
    return "\n".join(lines)


def _case(suite: ET.Element, rule: RuleInfo | None, rule_id: str, subject: str, group: list[Finding],
          suggestions: dict | None = None) -> str:
    case = ET.SubElement(suite, "testcase", {"classname": rule_id, "name": subject, "time": "0"})
    opened = [f for f in group if f.status is Status.OPEN]
    unknown = [f for f in group if f.status is Status.UNKNOWN]
    if opened:
        worst = max(opened, key=lambda f: f.severity)
        el = ET.SubElement(case, "failure", {"type": worst.severity.label, "message": worst.message})
        el.text = "\n\n".join(_text(f, suggestions) for f in opened + unknown)
        return "failure"
    if unknown:
        el = ET.SubElement(case, "error", {"type": "unknown", "message": f"could not be decided: {unknown[0].message}"})
        el.text = "\n\n".join(_text(f) for f in unknown)
        return "error"
    if group:
        w = group[0].waiver or {}
        ET.SubElement(case, "skipped", {"message": f"waived until {w.get('expires')} by {w.get('owner')}: "
                                                  f"{w.get('reason')}"})
        return "skipped"
    return "passed"


def render(report: Report) -> str:
    findings = report.sorted_findings
    by_rule: dict[str, dict[str, list[Finding]]] = OrderedDict()
    for r in report.rules:
        by_rule.setdefault(r.id, OrderedDict())
    for f in findings:
        by_rule.setdefault(f.rule, OrderedDict()).setdefault(f.subject, []).append(f)
    rules = {r.id: r for r in report.rules}
    suites: dict[str, list[str]] = OrderedDict()
    for rule_id in by_rule:
        r = rules.get(rule_id)
        suites.setdefault((r.pack if r and r.pack else "s3audit"), []).append(rule_id)

    root = ET.Element("testsuites", {"name": "s3audit"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for pack, rule_ids in suites.items():
        suite = ET.SubElement(root, "testsuite", {"name": pack})
        props = ET.SubElement(suite, "properties")
        for name, value in (("profile", (report.profile or {}).get("name")),
                            ("taken_at", (report.snapshot or {}).get("taken_at")),
                            ("fail_on", report.fail_on_label),
                            ("pack_version", dict(report.packs).get(pack))):
            if value:
                ET.SubElement(props, "property", {"name": name, "value": str(value)})
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for rule_id in rule_ids:
            subjects = by_rule[rule_id]
            cases = subjects.items() if subjects else [(PASSED_NAME, [])]
            for subject, group in cases:
                outcome = _case(suite, rules.get(rule_id), rule_id, subject, group, report.suggestions)
                counts["tests"] += 1
                if outcome == "failure":
                    counts["failures"] += 1
                elif outcome == "error":
                    counts["errors"] += 1
                elif outcome == "skipped":
                    counts["skipped"] += 1
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", "0")
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode")
    # XML 1.0 cannot carry most control characters, escaped or not; markup never contains them
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _NOT_XML.sub("\ufffd", text) + "\n"
