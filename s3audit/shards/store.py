"""The units' results kept in a scan history (``DIR/units.jsonl``), by the digests of what they read.

A text file: a first line with the format and the global digest it was made under, then one line per unit,
``[name, entry]``: its static key, the principals and buckets its rules asked about, its full key, and its
results (findings with everything that orders and places them, and their text in the reports' JSON; its rows
of access.json as text; pictures). One line per unit, not compressed, so that a night reads it fast and
writes the line of every unit it reused back as it read it. Written atomically after each run. A file of
another format, or that cannot be read, is not used (the run computes everything and replaces it); a damaged
line loses only its unit. Under another global digest nothing is reused, but the entries still say what the
run that wrote them found (the previous night's access rows, see ``previous_access``).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from ..findings import Finding, Location, Severity, Status, make_finding
from ..gcpause import no_cyclic_gc
from .results import UnitResult

FILE = "units.jsonl"
FORMAT = "s3audit.units/v3"  # v3: a line per unit, uncompressed, access rows as text (v2: units.json.gz)
_EARLIER = ("units.json.gz",)  # files of earlier formats, removed when this one is written


@dataclass
class Kept:
    """What ``load`` read: the global digest, each unit's entry and its line as read."""

    global_digest: str
    entries: dict[str, dict]
    lines: dict[str, str]

    def previous_access(self) -> dict[str, str] | None:
        """bucket -> its rows of access.json (``access_file.block``) as the run that wrote the file found them;
        None when an entry does not hold them."""
        out = {}
        for name, e in self.entries.items():
            block = e.get("result", {}).get("access") if isinstance(e.get("result"), dict) else None
            if not isinstance(block, str):
                return None
            if block:
                out[name] = block
        return out


def load(directory: str) -> Kept | None:
    """The kept units, or None when there are none (no file, another format, a broken first line)."""
    entries: dict[str, dict] = {}
    raw: dict[str, str] = {}
    try:
        with open(os.path.join(directory, FILE), encoding="utf-8") as fh:
            try:
                head = json.loads(fh.readline())
            except ValueError:
                return None
            if not isinstance(head, dict) or head.get("format") != FORMAT or not isinstance(head.get("global"), str):
                return None
            with no_cyclic_gc():  # hundreds of thousands of findings' parts, all kept: see gcpause.py
                for line in fh:  # a line at a time: the file is never held whole beside what it holds
                    line = line.rstrip("\n")
                    try:
                        name, e = json.loads(line)
                    except (ValueError, TypeError):
                        continue  # an empty or damaged line: its unit (if any) is computed again
                    if isinstance(name, str) and isinstance(e, dict):
                        entries[name], raw[name] = e, line
    except (OSError, UnicodeDecodeError):
        return None
    return Kept(head["global"], entries, raw)


def line(name: str, entry: dict) -> str:
    """A unit's line of the file."""
    return json.dumps([name, entry], separators=(",", ":"))


def save(directory: str, global_digest: str, lines: list[str]) -> None:
    """Write the file: the units' ``lines`` (``line``, or the line ``load`` read for a unit reused as it was)."""
    from ..fileio import write_atomic
    head = json.dumps({"format": FORMAT, "global": global_digest}, separators=(",", ":"))
    write_atomic(os.path.join(directory, FILE), "\n".join([head, *lines]) + "\n")
    for name in _EARLIER:
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass  # none there (or not ours to remove): nothing reads it


def entry(result: UnitResult, static: str, key: str) -> dict:
    return {"static": static, "key": key, "callers": list(result.callers), "buckets": list(result.buckets),
            "opaque": result.opaque, "result": result_to_json(result)}


def result_to_json(u: UnitResult) -> dict:
    from ..report.json import finding_text
    return {"findings": {rule: [_finding(f) for f in found] for rule, found in u.findings.items()},
            # each finding's text in findings.json, diff.json (report.json.finding_text), reused with it
            "texts": {rule: [finding_text(f) for f in found] for rule, found in u.findings.items()},
            "access": u.access,
            "pictures": [[p.to_json() for p in pics] for pics in u.pictures], "edges": u.edges}


def reusable(name: str, stored: dict) -> UnitResult | None:
    """The unit's results from its stored entry, or None when the entry does not hold a unit's results as this
    module writes them (a damaged or edited history: the unit is computed again, never half-reused)."""
    try:
        return result_from_json(name, stored["result"], stored)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None


def result_from_json(name: str, d: dict, e: dict) -> UnitResult:
    from ..report.json import TEXT
    from ..report.model import PathPicture
    findings = {rule: [_from(x) for x in found] for rule, found in d["findings"].items()}
    texts = d["texts"]
    if set(texts) != set(findings):
        raise ValueError("the texts are not those of the findings")
    for rule, kept in texts.items():
        for f, text in zip(findings[rule], kept, strict=True):
            # the text is the finding's own: it names the same rule, severity and fingerprint
            if not (isinstance(text, str) and f'"fingerprint": "{f.fingerprint}"' in text
                    and f'"severity": "{f.severity.label}"' in text and f'"rule": {json.dumps(f.rule)}' in text):
                raise ValueError(f"the text kept for a finding of {rule} is not its own")
            f.__dict__[TEXT] = text
    if not isinstance(d["access"], str):
        raise ValueError("the access rows are not text")
    return UnitResult(name, findings, d["access"],
                      [[PathPicture.from_json(p) for p in pics] for pics in d["pictures"]],
                      [], d.get("edges", 0), tuple(e.get("callers") or ()), tuple(e.get("buckets") or ()),
                      bool(e.get("opaque")))


def _finding(f: Finding) -> list:
    loc = f.location
    return [f.rule, int(f.severity), list(f.controls), f.subject, f.message, f.status.value, list(f.evidence),
            None if loc is None else [loc.file, loc.line, loc.column], f.pointer, list(f.key), f.fingerprint]


def _from(x: list) -> Finding:
    rule, severity, controls, subject, message, status, evidence, loc, pointer, key, fp = x
    f = make_finding(rule, Severity(severity), tuple(controls), subject, message, Status(status), tuple(evidence),
                     None if loc is None else Location(*loc), pointer, tuple(key))
    f.__dict__["_fingerprint"] = fp  # as Finding.fingerprint keeps it (a hash of rule, subject and key)
    return f


def still_valid(stored: dict | None, static: str, full_key) -> bool:
    """Whether a unit's stored entry can be reused: what it read is unchanged (``full_key(static, callers,
    buckets)`` is as stored)."""
    if not stored or stored.get("opaque") or stored.get("static") != static:
        return False
    return full_key(static, stored.get("callers") or (), stored.get("buckets") or ()) == stored.get("key")
