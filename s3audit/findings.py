"""Findings: what a rule found, about which subject, with its evidence and a stable identity.

A fingerprint comes from logical facts only (rule, subject, the finding's key facts), never from line
numbers or message wording, so the same problem on tomorrow's snapshot — or in a reformatted file — keeps
its identity for baselines, diffs and SARIF ``partialFingerprints``.
"""
from __future__ import annotations

import enum
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Any, Iterable

FINDINGS_FORMAT = "s3audit.findings/v1"


class Severity(enum.IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity `{text}` (expected info, low, medium, high or critical)") from None

    @property
    def label(self) -> str:
        return self.name.lower()


SEVERITY_ORDER = tuple(reversed(Severity))  # critical first: the order reports list severities in


class Status(str, enum.Enum):
    OPEN = "open"
    WAIVED = "waived"
    UNKNOWN = "unknown"  # the rule could not be decided: something it needs was not collected


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    controls: tuple[str, ...]
    subject: str  # an ARN (or account id / principal ARN / path description)
    message: str
    status: Status = Status.OPEN
    evidence: tuple[Any, ...] = ()
    location: Location | None = None
    pointer: str | None = None  # JSON pointer in the snapshot of what the finding is about
    key: tuple[str, ...] = ()  # extra logical facts that distinguish findings of one rule on one subject
    waiver: dict | None = field(default=None, compare=False)

    @cached_property
    def fingerprint(self) -> str:
        # kept beside the fields once computed, where reading it again is a plain attribute read, at C speed
        # (reports sort, compare, index and count hundreds of thousands of findings by it); the fields it hashes
        # never change: the dataclass is frozen. A finding a scan history kept comes with it (shards.store).
        return fingerprint(self.rule, self.subject, self.key)

    def to_json(self) -> dict:
        out = {
            "rule": self.rule,
            "severity": self.severity.label,
            "controls": list(self.controls),
            "subject": self.subject,
            "message": self.message,
            "status": self.status.value,
            "evidence": list(self.evidence),
            "location": self.location.to_json() if self.location else None,
            "fingerprint": self.fingerprint,
        }
        if self.waiver is not None:
            out["waiver"] = self.waiver
        return out


def make_finding(rule: str, severity: Severity, controls: tuple[str, ...], subject: str, message: str,
                 status: Status = Status.OPEN, evidence: tuple[Any, ...] = (), location: Location | None = None,
                 pointer: str | None = None, key: tuple[str, ...] = ()) -> Finding:
    """``Finding(...)`` for producers that make hundreds of thousands (the rule evaluator): the same frozen
    object, built without the per-field ``object.__setattr__`` of a frozen dataclass's ``__init__`` (every
    field is set here, waiver to its default: a test holds it to the constructor)."""
    f = _new(Finding)
    d = f.__dict__
    d["rule"] = rule
    d["severity"] = severity
    d["controls"] = controls
    d["subject"] = subject
    d["message"] = message
    d["status"] = status
    d["evidence"] = evidence
    d["location"] = location
    d["pointer"] = pointer
    d["key"] = key
    d["waiver"] = None
    return f


_new = object.__new__


def fingerprint(rule: str, subject: str, key: Iterable[str] = ()) -> str:
    """A short stable hash of the logical identity of a finding."""
    material = json.dumps([rule, subject, list(key)], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def tally(findings: Iterable[Finding]) -> Counter:
    """(status, severity) -> how many of the findings (counted in one pass at C speed: a report holds hundreds of
    thousands of findings, and the summaries, the index and the threshold all count them)."""
    return Counter(map(_STATUS_AND_SEVERITY, findings))


_STATUS_AND_SEVERITY = attrgetter("status", "severity")


def failing(counts: Counter, fail_on: Severity | None) -> int:
    """How many findings fail a run whose threshold is ``fail_on``: those that count (not waived) at or above it.
    ``counts``: (status, severity) -> how many (``tally``)."""
    if fail_on is None:
        return 0
    return sum(n for (status, severity), n in counts.items() if status is not Status.WAIVED and severity >= fail_on)


def summarize(findings: Iterable[Finding], counts: Counter | None = None) -> dict:
    """Totals by severity (of the findings that count: not waived) and by status. ``counts``: ``tally(findings)``
    when the caller has it already."""
    by_sev = {s.label: 0 for s in Severity}
    by_status = {s.value: 0 for s in Status}
    for (status, severity), n in (tally(findings) if counts is None else counts).items():
        by_status[status.value] += n
        if status is not Status.WAIVED:
            by_sev[severity.label] += n
    return {"total": sum(by_status.values()), "by_severity": by_sev, "by_status": by_status}
