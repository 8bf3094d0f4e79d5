"""The units' results kept in a scan history (``DIR/units.jsonl``), by the digests of what they read.

A text file: a first line with the format and the global digest it was made under, then one line per unit,
a CRC-32 of its JSON and the JSON ``[name, entry]``: its static key, the principals and buckets its rules
asked about, its full key, and its results (findings with everything that orders and places them, and their
text in the reports' JSON; its rows of access.json as text; pictures). One line per unit, not compressed, so
that a night reads it fast and copies the line of every unit it reused from the old file to the new one as
it is (in the kernel, a run of lines at a time). Written atomically after each run. A file of another
format, or that cannot be read, is not used (the run computes everything and replaces it); a damaged line
(its checksum, its JSON or its shape) loses only its unit. Under another global digest nothing is reused,
but the entries still say what the run that wrote them found (the previous night's access rows, see
``previous_access``).
"""
from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from ..findings import Finding, Location, Severity, Status, make_finding
from ..gcpause import no_cyclic_gc
from .results import UnitResult

FILE = "units.jsonl"
FORMAT = "s3audit.units/v4"  # v4: each line checksummed (v3: not; v2: units.json.gz)
_EARLIER = ("units.json.gz",)  # files of earlier formats, removed when this one is written


@dataclass(frozen=True)
class Reused:
    """A unit's line as ``load`` read it: bytes ``start:end`` of the file (with its newline), copied as they are."""

    start: int
    end: int


@dataclass
class Kept:
    """What ``load`` read: the global digest, each unit's entry and where its line is in the file, which stays
    open (``file``) so that ``save`` copies the lines of reused units from it; ``close`` when done."""

    global_digest: str
    entries: dict[str, dict]
    spans: dict[str, Reused]
    file: BinaryIO

    def close(self) -> None:
        self.file.close()

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
    spans: dict[str, Reused] = {}
    try:
        fh = open(os.path.join(directory, FILE), "rb")
    except OSError:
        return None
    try:
        first = fh.readline()
        try:
            head = json.loads(first)
        except ValueError:
            head = None
        if not isinstance(head, dict) or head.get("format") != FORMAT or not isinstance(head.get("global"), str):
            fh.close()
            return None
        at = len(first)
        with no_cyclic_gc():  # hundreds of thousands of findings' parts, all kept: see gcpause.py
            for raw in fh:  # a line at a time: the file is never held whole beside what it holds
                start, at = at, at + len(raw)
                entry = _entry_of(raw)
                if entry is not None:
                    entries[entry[0]], spans[entry[0]] = entry[1], Reused(start, at)
    except (OSError, UnicodeDecodeError):
        fh.close()
        return None
    return Kept(head["global"], entries, spans, fh)


def _entry_of(raw: bytes) -> tuple[str, dict] | None:
    """A line's (name, entry); None for a line that is empty, damaged (its checksum says so) or not shaped as
    ``line`` writes it: its unit, if any, is computed again."""
    check, _, body = raw.rstrip(b"\n").partition(b" ")
    try:
        if int(check, 16) != zlib.crc32(body):
            return None
        name, e = json.loads(body)
    except (ValueError, TypeError):
        return None
    return (name, e) if isinstance(name, str) and isinstance(e, dict) else None


def line(name: str, entry: dict) -> str:
    """A unit's line of the file: a checksum of its JSON, then the JSON (without the newline)."""
    body = json.dumps([name, entry], separators=(",", ":"))  # ASCII: non-ASCII characters are escaped
    return f"{zlib.crc32(body.encode()):08x} {body}"


def save(directory: str, global_digest: str, lines: list[str | Reused], kept: Kept | None = None) -> None:
    """Write the file: the units' ``lines``, each made by ``line`` or, for a unit reused as it was, ``Reused``:
    its line in ``kept``'s file, copied from there (consecutive lines in one copy)."""
    from ..fileio import copy_range, write_atomic_with
    head = json.dumps({"format": FORMAT, "global": global_digest}, separators=(",", ":"))

    def write(fd: int) -> None:
        new: list[str] = [head]
        run: list[int] = []  # [start, end] of consecutive kept lines not yet copied

        def flush() -> None:
            if new:
                _write_text(fd, "\n".join(new) + "\n")
                new.clear()
            if run:
                copy_range(kept.file.fileno(), fd, run[0], run[1])
                run.clear()

        for item in lines:
            if isinstance(item, Reused):
                if new or (run and run[1] != item.start):
                    flush()
                run[:] = [run[0] if run else item.start, item.end]
            else:
                if run:
                    flush()
                new.append(item)
        flush()

    write_atomic_with(os.path.join(directory, FILE), write)
    for name in _EARLIER:
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass  # none there (or not ours to remove): nothing reads it


def _write_text(fd: int, text: str) -> None:
    from ..fileio import write_all
    write_all(fd, text.encode("utf-8"))


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
        # a text per finding, as ``entry`` wrote them (the line's checksum says they are as written)
        for f, text in zip(findings[rule], kept, strict=True):
            if not isinstance(text, str):
                raise ValueError(f"a text kept for a finding of {rule} is not text")
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
    f = make_finding(rule, _SEVERITY[severity], tuple(controls), subject, message, _STATUS[status],
                     tuple(evidence), None if loc is None else Location(*loc), pointer, tuple(key))
    if not isinstance(fp, str):
        raise ValueError("a fingerprint is not text")
    f.__dict__["_fingerprint"] = fp  # as Finding.fingerprint keeps it (a hash of rule, subject and key)
    return f


_SEVERITY = {int(s): s for s in Severity}  # (a KeyError for another value: the unit is computed again)
_STATUS = {s.value: s for s in Status}


def still_valid(stored: dict | None, static: str, full_key) -> bool:
    """Whether a unit's stored entry can be reused: what it read is unchanged (``full_key(static, callers,
    buckets)`` is as stored)."""
    if not stored or stored.get("opaque") or stored.get("static") != static:
        return False
    return full_key(static, stored.get("callers") or (), stored.get("buckets") or ()) == stored.get("key")
