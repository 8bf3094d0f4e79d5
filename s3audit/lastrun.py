"""What a scan's last run wrote to findings.json, indexed (``DIR/last-run.json.gz``), so that the next night
compares with it without reading the whole file back: each finding's fingerprint, status and place in the file,
under the file's SHA-256. Only the findings that are gone (resolved, which the next run reports whole) are
read, each from its place. The digest of access.json is kept too: a file that is still the one written is
read without checking each row again.

The index is used only for the run it names and only while a file has the digest it recorded;
otherwise (another run, an edited or damaged file, no index) the file is read and checked whole, as before.

The previous run's files are read and hashed on a thread while the night analyses (``Prefetch``): reading and
hashing release the GIL, so the other core does it while this one builds the principal stage.

The findings are kept as three columns (fingerprints, statuses, places), not a row per finding: hundreds of
thousands of small lists, made, written and read back each night, cost more than the rest of the index (and
keep the garbage collector walking the estate).
"""
from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import threading
from operator import attrgetter
from typing import Any, Iterable, Sequence

FILE = "last-run.json.gz"
FORMAT = "s3audit.last-run/v2"  # v1 had a row per finding


def index(run_id: str, sha256: str, listed: tuple[list, list], offsets: Sequence[int]) -> dict:
    """The index of the run's findings.json (``sha256``: the digest of the bytes written, ``digest``), whose
    findings have the ``columns`` ``listed``, the i-th starting at ``offsets[i]`` (in the text)."""
    fingerprints, statuses = listed
    if len(fingerprints) != len(offsets) or len(statuses) != len(offsets):
        raise ValueError("a place for each finding")
    return {"format": FORMAT, "run": run_id, "sha256": sha256, "fingerprints": fingerprints, "statuses": statuses,
            "places": list(offsets)}


def columns(findings: Sequence[Any]) -> tuple[list, list]:
    """The findings' fingerprints and statuses, as ``index`` keeps them (made while findings.json is written)."""
    return list(map(_FINGERPRINT, findings)), list(map(_STATUS, findings))


_FINGERPRINT, _STATUS = attrgetter("fingerprint"), attrgetter("status.value")


def save(directory: str, doc: dict) -> None:
    from .fileio import write_atomic
    write_atomic(os.path.join(directory, FILE),
                 gzip.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"), compresslevel=1, mtime=0))


class Prefetch:
    """The previous run's findings.json and access.json, read and hashed on a thread from the moment it starts;
    ``compare`` and ``access`` take them from it instead of reading them."""

    def __init__(self, directory: str, previous: dict) -> None:
        self._got: dict[str, tuple[bytes, str]] = {}
        paths = [_findings_path(directory, previous), os.path.join(directory, previous["id"], "access.json")]
        self._thread = threading.Thread(target=self._read, args=(paths,), name="s3audit-prefetch", daemon=True)
        self._thread.start()

    def _read(self, paths: list[str]) -> None:
        for path in paths:
            try:
                with open(path, "rb") as fh:
                    raw = fh.read()
                self._got[path] = (raw, hashlib.sha256(raw).hexdigest())
            except Exception:  # noqa: BLE001 - whatever it is, the caller's own read meets it and reports it
                continue

    def wait(self) -> None:
        """Until the files are read: before this process forks (a child of a process whose other thread is
        midway through something has only half of it)."""
        self._thread.join()

    def take(self, path: str) -> tuple[bytes, str] | None:
        """(the file's bytes, their SHA-256), once; None when it could not be read."""
        self._thread.join()
        return self._got.pop(path, None)


def _read_hashed(path: str, prefetched: Prefetch | None) -> tuple[bytes, str]:
    got = prefetched.take(path) if prefetched is not None else None
    if got is None:
        with open(path, "rb") as fh:
            raw = fh.read()
        got = raw, digest(raw)
    return got


def _findings_path(directory: str, previous: dict) -> str:
    return os.path.join(directory, previous["id"], previous.get("files", {}).get("findings", "findings.json"))


def compare(directory: str, previous: dict, findings: list, doc: dict | None,
            prefetched: Prefetch | None = None) -> tuple[list, list, list]:
    """``audit.compare(the previous run's findings, findings)``: (new, resolved, unchanged), new and unchanged in
    the order of ``findings``. ``doc``: ``load(directory, previous)``."""
    from .audit import compare as compare_whole, new_and_unchanged
    from .findings import Status
    from .history import read_run_findings
    indexed = _indexed(directory, previous, doc, prefetched)
    if indexed is None:
        return compare_whole(read_run_findings(directory, previous).findings, findings)
    path, text, fps, statuses, places = indexed
    status_of = {s.value: s for s in Status}  # _indexed checked them
    new, unchanged = new_and_unchanged(dict(zip(fps, map(status_of.__getitem__, statuses))), findings)
    now = set(map(_FINGERPRINT, findings))
    from .errors import InputError
    from .report.model import finding_from_json
    decode = json.JSONDecoder().raw_decode
    try:
        # The findings that decide something are read back and must be what the index says: every resolved one
        # (reported whole) and every one not open (a status that may make tonight's finding new). Their
        # positions are picked at C speed: a few among hundreds of thousands.
        gone = list(itertools.compress(range(len(fps)), map((set(fps) - now).__contains__, fps)))
        not_open = itertools.compress(range(len(fps)), map("open".__ne__, statuses))
        held = {i: decode(text, places[i])[0] for i in sorted({*gone, *not_open})}
        if not all(isinstance(raw, dict) and raw.get("fingerprint") == fps[i] and raw.get("status") == statuses[i]
                   for i, raw in held.items()):
            raise ValueError("the index does not match findings.json")
        resolved = [finding_from_json(held[i], path, i) for i in gone]
    except (ValueError, IndexError, InputError):  # places that do not hold their findings: read the file whole
        return compare_whole(read_run_findings(directory, previous).findings, findings)
    return new, resolved, unchanged


def digest(written: str | bytes) -> str:
    """The SHA-256 of a file as written: its bytes, or its text in UTF-8 (a caller that has the bytes gives them:
    a night's findings.json is hundreds of megabytes, each encoding a copy)."""
    return hashlib.sha256(written.encode("utf-8") if isinstance(written, str) else written).hexdigest()


def access(directory: str, previous: dict, doc: dict | None, kept: dict[str, str] | None = None,
           prefetched: Prefetch | None = None) -> dict[str, str] | None:
    """The previous run's access rows by bucket (``access_file.block``), or None when it wrote none.

    ``kept``: the rows a scan history's units file kept (``shards.store.Kept.previous_access``), taken when they
    make exactly the previous run's access.json (nothing is parsed then). Otherwise the file is read: while the
    index vouches for it (``doc["access"]``: the digest of the text written) its rows are taken without checking
    each again, else they are checked, a bad file being bad input. ``doc``: ``load(directory, previous)``."""
    from .access_file import blocks_of, pieces
    path = os.path.join(directory, previous["id"], "access.json")
    if not os.path.exists(path):
        return None
    try:
        raw, sha = _read_hashed(path, prefetched)
    except OSError:
        raw = None  # reported below, by the checked read
    if raw is not None:
        if kept is not None and _is_text(pieces(kept), raw):
            return kept
        if doc is not None and sha == doc.get("access"):
            try:
                return blocks_of(_access_map(json.loads(raw)["access"]))
            except (ValueError, KeyError, TypeError):
                pass  # not as written: read and checked below
    return blocks_of(_checked_access(path))


def _is_text(pieces: Iterable[str], raw: bytes) -> bool:
    """Whether ``raw`` is the UTF-8 of the text these pieces make (compared a piece at a time: a night's
    access.json is a hundred megabytes)."""
    at = 0
    for piece in pieces:
        encoded = piece.encode("utf-8")
        if not raw.startswith(encoded, at):
            return False
        at += len(encoded)
    return at == len(raw)


def _checked_access(path: str) -> dict:
    from .errors import InputError, Place
    from .fileio import read_json
    data = read_json(path)
    try:
        rows = data["access"]
        # the checks run over all rows at once (an estate has hundreds of thousands)
        if not isinstance(rows, list) or set(map(type, rows)) - {list} or set(map(len, rows)) - {4} or \
                set(map(type, itertools.chain.from_iterable(rows))) - {str}:
            raise TypeError
        return _access_map(rows)
    except (KeyError, TypeError, ValueError):
        raise InputError("not an s3audit access file (expected \"access\": [[principal, bucket, level, "
                         "decision], ...])", Place(path, pointer="/access")) from None


def _access_map(rows: list) -> dict:
    return {(p, b, lv): d for p, b, lv, d in rows}


def load(directory: str, previous: dict) -> dict | None:
    """The index, when it is of this run (the previous one)."""
    try:
        with gzip.open(os.path.join(directory, FILE), "rt", encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, EOFError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT and doc.get("run") == previous.get("id") \
        else None


def _indexed(directory: str, previous: dict, doc: dict | None, prefetched: Prefetch | None = None
             ) -> tuple[str, str, list, list, list] | None:
    """(findings.json's path, its text, and the index's fingerprints, statuses and places) when the index is of
    this run and of this file, else None."""
    from .findings import Status
    if doc is None:
        return None
    try:
        path = _findings_path(directory, previous)
        raw, sha = _read_hashed(path, prefetched)
        if sha != doc.get("sha256"):
            return None
        fps, statuses, places = doc["fingerprints"], doc["statuses"], doc["places"]
        # checked column by column, at C speed (bool is not int here: a place is a number)
        if not (type(fps) is list and type(statuses) is list and type(places) is list
                and len(fps) == len(statuses) == len(places)):
            return None
        if set(map(type, fps)) - {str} or set(statuses) - {s.value for s in Status} or set(map(type, places)) - {int}:
            return None
        return path, raw.decode("utf-8"), fps, statuses, places
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError):
        return None
