"""The units' results kept in a scan history (``DIR/units.json.gz``), by the digests of what they read.

One gzipped JSON document: the global digest it was made under, and per unit its static key, the principals
and buckets its rules asked about, its full key, and its results (findings with everything that orders and
places them, and their text in the reports' JSON; access rows; pictures). Written atomically after each run;
a file of another format, another global digest or one that cannot be read is simply not used (the run
computes everything and replaces it).
"""
from __future__ import annotations

import gzip
import json
import os
from ..findings import Finding, Location, Severity, Status, make_finding
from .results import UnitResult

FILE = "units.json.gz"
FORMAT = "s3audit.units/v2"  # v2: with the findings' text and fingerprints


def load(directory: str, global_digest: str) -> dict[str, dict]:
    """unit -> stored entry (``static``, ``key``, ``callers``, ``buckets``, ``opaque``, ``result``), for the
    units stored under this global digest; {} when there is nothing to reuse."""
    path = os.path.join(directory, FILE)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, EOFError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("global") != global_digest:
        return {}
    units = data.get("units")
    return units if isinstance(units, dict) else {}


def save(directory: str, global_digest: str, entries: dict[str, dict]) -> None:
    from ..fileio import write_atomic
    text = json.dumps({"format": FORMAT, "global": global_digest, "units": entries}, separators=(",", ":"))
    write_atomic(os.path.join(directory, FILE), gzip.compress(text.encode("utf-8"), compresslevel=1))


def entry(result: UnitResult, static: str, key: str) -> dict:
    return {"static": static, "key": key, "callers": list(result.callers), "buckets": list(result.buckets),
            "opaque": result.opaque, "result": result_to_json(result)}


def result_to_json(u: UnitResult) -> dict:
    from ..report.json import finding_text
    return {"findings": {rule: [_finding(f) for f in found] for rule, found in u.findings.items()},
            # each finding's text in findings.json, diff.json (report.json.finding_text), reused with it
            "texts": {rule: [finding_text(f) for f in found] for rule, found in u.findings.items()},
            "access": [list(r) for r in u.access],
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
    return UnitResult(name, findings,
                      [tuple(r) for r in d["access"]],
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
