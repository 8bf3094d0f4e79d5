"""The units' results kept in a scan history, by the digests of what they read.

Two files. ``DIR/units.jsonl`` is a log: a first line with the format and the log's id, then lines appended
night after night, one per unit computed, each a CRC-32 of its JSON and the JSON ``[name, entry]``: its static
key, the principals and buckets its rules asked about, its full key, and its results (findings with
everything that orders and places them, and their text in the reports' JSON; its rows of access.json as
text; pictures). ``DIR/units.index.json`` says which lines are current: the log's id, the global digest they
were made under, the length of the log it covers, and for each unit its line's byte range and its ``Head``
(the keys and names that say whether it can be reused). The index is written atomically and is what commits
a night: a night appends the lines of the units it computed and writes a new index, so the lines of the
units it reused are neither read twice nor written again. When the lines no index names would outweigh a
quarter of the ones it names, the log is written afresh (the current lines copied in the kernel, a run at a
time) under a new id.

A run decides which units it reuses from the index alone (``open_log``), sets the others computing, and
reads the lines while they compute (``Kept.read``). A line that then proves damaged, or not the one its head
describes, loses only its unit, which is computed after the others.

A night that stops before its index is written leaves the last index, which names only lines that were there
before it (the next night cuts the log back to the length it covers). A log or index of another format, of
another id, or that cannot be read, is not used (the run computes everything and starts a new log); a line
that is damaged (its checksum, its JSON or its shape) loses only its unit. Under another global digest
nothing is reused, but the entries still say what the run that wrote them found (the previous night's
access rows, see ``previous_access``).
"""
from __future__ import annotations

import json
import os
import secrets
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from .. import ownjson
from ..findings import Finding, Location, Severity, Status, make_finding
from ..gcpause import no_cyclic_gc
from .results import UnitResult

FILE = "units.jsonl"
INDEX = "units.index.json"
FORMAT = "s3audit.units/v5"  # v5: heads in the index; v4: a log with an index, each line checksummed
# (v3: rewritten whole; v2: gz)
_EARLIER = ("units.json.gz",)  # files of earlier formats, removed when this one is written
_MOST_UNNAMED = 0.25  # the log is written afresh when the lines no index names would be more than this share


@dataclass(frozen=True)
class Reused:
    """A unit's line as ``load`` read it: bytes ``start:end`` of the log (with its newline)."""

    start: int
    end: int


@dataclass(frozen=True)
class Head:
    """What the index keeps of a unit's line, enough to tell whether the unit can be reused without reading
    the line (``still_valid``): its static key, its full key, the principals and buckets its rules asked about,
    and whether its reads could not all be named (opaque: never reused)."""

    static: str
    key: str
    callers: tuple[str, ...]
    buckets: tuple[str, ...]
    opaque: bool


def head(entry: dict) -> Head:
    """A unit's head, from the entry ``entry`` makes."""
    return Head(entry["static"], entry["key"], tuple(entry["callers"]), tuple(entry["buckets"]),
                bool(entry["opaque"]))


@dataclass
class Kept:
    """A history's units: the global digest, each unit's head and where its line is in the log (from the
    index), and each unit's entry once ``read``. The log stays open (``file``) so that ``save`` appends to it or
    copies from it; ``close`` when done."""

    global_digest: str
    entries: dict[str, dict]
    spans: dict[str, Reused]
    file: BinaryIO
    directory: str
    log_id: str
    length: int  # of the log, as far as the index covers it
    heads: dict[str, Head]

    def close(self) -> None:
        self.file.close()

    def read(self) -> None:
        """Every line the index names, into ``entries`` (in the log's order, each byte once). A line that is
        damaged, or whose entry is not the one its head describes, is left out: its unit is computed again."""
        fd = self.file.fileno()
        with no_cyclic_gc():  # hundreds of thousands of findings' parts, all kept: see gcpause.py
            for name, span in sorted(self.spans.items(), key=lambda u: u[1].start):
                try:
                    entry = _entry_of(os.pread(fd, span.end - span.start, span.start))
                except OSError:
                    entry = None
                if entry is not None and entry[0] == name and _described(entry[1], self.heads[name]):
                    self.entries[name] = entry[1]

    def previous_access(self) -> dict[str, str] | None:
        """bucket -> its rows of access.json (``access_file.block``) as the run that wrote the file found them;
        None when an entry does not hold them, or a line could not be read."""
        if len(self.entries) != len(self.spans):
            return None
        out = {}
        for name, e in self.entries.items():
            block = e.get("result", {}).get("access") if isinstance(e.get("result"), dict) else None
            if not isinstance(block, str):
                return None
            if block:
                out[name] = block
        return out


def load(directory: str) -> Kept | None:
    """The kept units, every line read (``open_log``, then ``Kept.read``)."""
    kept = open_log(directory)
    if kept is not None:
        kept.read()
    return kept


def open_log(directory: str) -> Kept | None:
    """The kept units as the index names them, their lines not yet read; None when there are none (no index
    or log, another format or id, a broken index)."""
    index = _read_index(directory)
    if index is None:
        return None
    log_id, global_digest, length, spans, heads = index
    try:
        fh = open(os.path.join(directory, FILE), "rb")
    except OSError:
        return None
    try:
        first = _head(fh.readline(1 << 16))  # a first line is short: never read a whole file as one
        if first != log_id or os.fstat(fh.fileno()).st_size < length:
            fh.close()
            return None
    except OSError:
        fh.close()
        return None
    return Kept(global_digest, {}, spans, fh, directory, log_id, length, heads)


def _read_index(directory: str) -> tuple[str, str, int, dict[str, Reused], dict[str, Head]] | None:
    """(log id, global digest, length of the log covered, unit -> its line's byte range, unit -> its head), or
    None when the index is not there or not one this module writes."""
    try:
        with open(os.path.join(directory, INDEX), "rb") as fh:
            doc = ownjson.loads(fh.read())
        log_id, global_digest, length, units = doc["log"], doc["global"], doc["length"], doc["units"]
        if doc.get("format") != FORMAT or not isinstance(log_id, str) or not isinstance(global_digest, str) \
                or type(length) is not int or not isinstance(units, dict):
            return None
        spans, heads = {}, {}
        for name, (start, end, static, key, callers, buckets, opaque) in units.items():
            if not (type(start) is int and type(end) is int and 0 < start < end <= length
                    and type(static) is str and type(key) is str and type(opaque) is bool
                    and type(callers) is list and type(buckets) is list):
                return None
            if set(map(type, callers)) - {str} or set(map(type, buckets)) - {str}:
                return None
            spans[name] = Reused(start, end)
            heads[name] = Head(static, key, tuple(callers), tuple(buckets), opaque)
        read_to = 0
        for span in sorted(spans.values(), key=lambda r: r.start):
            if span.start < read_to:  # lines overlap: not an index this module wrote (no byte is read twice)
                return None
            read_to = span.end
        return log_id, global_digest, length, spans, heads
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None


def _described(entry: dict, h: Head) -> bool:
    """Whether a line's entry is the one its head in the index describes (a head and a line of different
    nights, by a hand edit, would reuse results the keys do not vouch for)."""
    try:
        return entry["static"] == h.static and entry["key"] == h.key and entry["opaque"] is h.opaque \
            and entry["callers"] == list(h.callers) and entry["buckets"] == list(h.buckets)
    except (KeyError, TypeError):
        return False


def _head(raw: bytes) -> str | None:
    """The id a log's first line gives, or None when it is not a first line this module writes."""
    try:
        head = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(head, dict) or head.get("format") != FORMAT or not isinstance(head.get("log"), str):
        return None
    return head["log"]


def _entry_of(raw: bytes) -> tuple[str, dict] | None:
    """A line's (name, entry); None for a line that is damaged (its checksum says so) or not shaped as ``line``
    writes it: its unit is computed again."""
    check, _, body = raw.rstrip(b"\n").partition(b" ")
    try:
        if int(check, 16) != zlib.crc32(body):
            return None
        name, e = ownjson.loads(body)
    except (ValueError, TypeError, RecursionError):  # (nested too deep for the standard library's parser)
        return None
    return (name, e) if isinstance(name, str) and isinstance(e, dict) else None


def line(name: str, entry: dict) -> str:
    """A unit's line of the log: a checksum of its JSON, then the JSON (without the newline)."""
    body = json.dumps([name, entry], separators=(",", ":"))  # ASCII: non-ASCII characters are escaped
    return f"{zlib.crc32(body.encode()):08x} {body}"


def save(directory: str, global_digest: str, lines: dict[str, str | Reused], kept: Kept | None = None,
         heads: dict[str, Head] | None = None) -> None:
    """Keep the units' ``lines`` (unit -> a line made by ``line``, or ``Reused``: its line in ``kept``'s log,
    as it was): appended to ``kept``'s log when it is this directory's and would stay mostly current, else in
    a new log; then the index that names them. ``heads``: the head of each new line (``head(entry)``); a line
    reused keeps its own."""
    heads = {**(kept.heads if kept is not None else {}), **(heads or {})}
    missing = [n for n in lines if n not in heads]
    if missing:
        raise ValueError(f"no head for the line of {missing[0]}")
    new_bytes = sum(len(x) + 1 for x in lines.values() if not isinstance(x, Reused))
    current = new_bytes + sum(x.end - x.start for x in lines.values() if isinstance(x, Reused))
    if kept is not None and os.path.abspath(kept.directory) == os.path.abspath(directory) \
            and kept.length + new_bytes - current <= _MOST_UNNAMED * current:
        log_id, length, spans = kept.log_id, *_append(directory, kept, lines)
    else:
        log_id, length, spans = _write_log(directory, lines, kept)
    from ..fileio import write_atomic
    write_atomic(os.path.join(directory, INDEX), json.dumps(
        {"format": FORMAT, "log": log_id, "global": global_digest, "length": length,
         "units": {name: [r.start, r.end, h.static, h.key, list(h.callers), list(h.buckets), h.opaque]
                   for name, r in spans.items() for h in (heads[name],)}}, separators=(",", ":")))
    for name in _EARLIER:
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass  # none there (or not ours to remove): nothing reads it


def _append(directory: str, kept: Kept, lines: dict[str, str | Reused]) -> tuple[int, dict[str, Reused]]:
    """Append the new lines to the log (cut back first to what its index covers: a run that stopped before
    writing its index may have left lines after it)."""
    from ..fileio import write_all
    spans: dict[str, Reused] = {}
    chunks: list[bytes] = []
    at = kept.length
    for name, x in lines.items():
        if isinstance(x, Reused):
            spans[name] = x
        else:
            raw = x.encode() + b"\n"
            spans[name] = Reused(at, at + len(raw))
            chunks.append(raw)
            at += len(raw)
    fd = os.open(os.path.join(directory, FILE), os.O_WRONLY)
    try:
        os.ftruncate(fd, kept.length)
        os.lseek(fd, kept.length, os.SEEK_SET)
        write_all(fd, b"".join(chunks))
        os.fsync(fd)
    finally:
        os.close(fd)
    return at, spans


def _write_log(directory: str, lines: dict[str, str | Reused], kept: Kept | None) -> tuple[str, int, dict]:
    """A new log of the current lines under a new id (lines reused copied from ``kept``'s log, a run of
    consecutive ones at a time)."""
    from ..fileio import copy_range, write_all, write_atomic_with
    log_id = secrets.token_hex(8)
    head = json.dumps({"format": FORMAT, "log": log_id}, separators=(",", ":")).encode() + b"\n"
    spans: dict[str, Reused] = {}
    at = len(head)
    plan: list[bytes | Reused] = [head]  # what to write, in order: bytes, or a range of the old log
    for name, x in lines.items():
        if isinstance(x, Reused):
            size = x.end - x.start
            last = plan[-1]
            plan[-1:] = [Reused(last.start, x.end)] if isinstance(last, Reused) and last.end == x.start \
                else [last, x]
        else:
            raw = x.encode() + b"\n"
            size = len(raw)
            plan.append(raw)
        spans[name] = Reused(at, at + size)
        at += size

    def write(fd: int) -> None:
        pending: list[bytes] = []  # new lines, written together
        for piece in plan:
            if isinstance(piece, Reused):
                write_all(fd, b"".join(pending))
                pending.clear()
                copy_range(kept.file.fileno(), fd, piece.start, piece.end)
            else:
                pending.append(piece)
        write_all(fd, b"".join(pending))

    write_atomic_with(os.path.join(directory, FILE), write)
    return log_id, at, spans


def entry(result: UnitResult, static: str, key: str) -> dict:
    return {"static": static, "key": key, "callers": list(result.callers), "buckets": list(result.buckets),
            "opaque": result.opaque, "result": result_to_json(result)}


def result_to_json(u: UnitResult) -> dict:
    from ..report.json import finding_text, picture_text
    return {"findings": {rule: [_finding(f) for f in found] for rule, found in u.findings.items()},
            # each finding's text in findings.json, diff.json (report.json.finding_text), reused with it
            "texts": {rule: [finding_text(f) for f in found] for rule, found in u.findings.items()},
            "access": u.access,
            "pictures": [[p.to_json() for p in pics] for pics in u.pictures],
            # and each picture's in findings.json's paths (report.json.picture_text)
            "picture_texts": [[picture_text(p) for p in pics] for pics in u.pictures], "edges": u.edges}


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
    pictures = [[PathPicture.from_json(p) for p in pics] for pics in d["pictures"]]
    for pics, kept in zip(pictures, d["picture_texts"], strict=True):
        for p, text in zip(pics, kept, strict=True):
            if not isinstance(text, str):
                raise ValueError("a text kept for a picture is not text")
            p.__dict__[TEXT] = text
    return UnitResult(name, findings, d["access"], pictures, [], d.get("edges", 0),
                      tuple(e.get("callers") or ()), tuple(e.get("buckets") or ()), bool(e.get("opaque")))


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
    f.__dict__["fingerprint"] = fp  # where Finding.fingerprint keeps it once computed (a hash of rule, subject, key)
    return f


_SEVERITY = {int(s): s for s in Severity}  # (a KeyError for another value: the unit is computed again)
_STATUS = {s.value: s for s in Status}


def still_valid(h: Head | None, static: str, full_key) -> bool:
    """Whether a unit kept with the head ``h`` can be reused: what it read is unchanged (``full_key(static,
    callers, buckets)`` is as kept)."""
    if h is None or h.opaque or h.static != static:
        return False
    return full_key(static, h.callers, h.buckets) == h.key
