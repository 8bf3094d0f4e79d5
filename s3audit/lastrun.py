"""What a scan's last run wrote to findings.json, indexed (``DIR/last-run.json.gz``), so that the next night
compares with it without reading the whole file back: each finding's fingerprint, status and place in the file,
under the file's SHA-256. Only the findings that are gone (resolved, which the next run reports whole) are
read, each from its place. The digest of access.json is kept too: a file that is still the one written is
read without checking each row again.

The index is used only for the run it names and only while a file has the digest it recorded;
otherwise (another run, an edited or damaged file, no index) the file is read and checked whole, as before.
"""
from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
from typing import Any, Sequence

FILE = "last-run.json.gz"
FORMAT = "s3audit.last-run/v1"


def index(run_id: str, text: str, findings: Sequence[Any], offsets: Sequence[int]) -> dict:
    """The index of ``text`` (the run's findings.json, as written), whose list of findings is ``findings``, the
    i-th starting at ``offsets[i]``."""
    return {"format": FORMAT, "run": run_id, "sha256": digest(text),
            "findings": [[f.fingerprint, f.status.value, at] for f, at in zip(findings, offsets, strict=True)]}


def save(directory: str, doc: dict) -> None:
    from .fileio import write_atomic
    write_atomic(os.path.join(directory, FILE),
                 gzip.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"), compresslevel=1, mtime=0))


def compare(directory: str, previous: dict, findings: list, doc: dict | None) -> tuple[list, list, list]:
    """``audit.compare(the previous run's findings, findings)``: (new, resolved, unchanged). ``doc``:
    ``load(directory, previous)``."""
    from .audit import compare as compare_whole, new_and_unchanged
    from .findings import Status
    from .history import read_run_findings
    indexed = _indexed(directory, previous, doc)
    if indexed is None:
        return compare_whole(read_run_findings(directory, previous).findings, findings)
    path, text, rows = indexed
    new, unchanged = new_and_unchanged({fp: Status(st) for fp, st, _ in rows}, findings)  # _indexed checked them
    now = {f.fingerprint for f in findings}
    from .errors import InputError
    from .report.model import finding_from_json
    decode = json.JSONDecoder().raw_decode
    try:
        # The rows that decide something are read back and must be what the index says: every resolved one
        # (reported whole) and every one not open (a status that may make tonight's finding new).
        held = {i: decode(text, at)[0] for i, (fp, st, at) in enumerate(rows) if fp not in now or st != "open"}
        if not all(isinstance(raw, dict) and raw.get("fingerprint") == rows[i][0] and raw.get("status") == rows[i][1]
                   for i, raw in held.items()):
            raise ValueError("the index does not match findings.json")
        resolved = [finding_from_json(held[i], path, i) for i, (fp, _, _) in enumerate(rows) if fp not in now]
    except (ValueError, IndexError, InputError):  # places that do not hold their findings: read the file whole
        return compare_whole(read_run_findings(directory, previous).findings, findings)
    return new, resolved, unchanged


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def access(directory: str, previous: dict, doc: dict | None, kept: dict[str, str] | None = None
           ) -> dict[str, str] | None:
    """The previous run's access rows by bucket (``access_file.block``), or None when it wrote none.

    ``kept``: the rows a scan history's units file kept (``shards.store.Kept.previous_access``), taken when they
    make exactly the previous run's access.json (nothing is parsed then). Otherwise the file is read: while the
    index vouches for it (``doc["access"]``: the digest of the text written) its rows are taken without checking
    each again, else they are checked, a bad file being bad input. ``doc``: ``load(directory, previous)``."""
    from .access_file import blocks_of, text
    path = os.path.join(directory, previous["id"], "access.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        raw = None  # reported below, by the checked read
    if raw is not None:
        if kept is not None and text(kept).encode("utf-8") == raw:
            return kept
        if doc is not None and hashlib.sha256(raw).hexdigest() == doc.get("access"):
            try:
                return blocks_of(_access_map(json.loads(raw)["access"]))
            except (ValueError, KeyError, TypeError):
                pass  # not as written: read and checked below
    return blocks_of(_checked_access(path))


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


def _indexed(directory: str, previous: dict, doc: dict | None) -> tuple[str, str, list] | None:
    """(findings.json's path, its text, its rows) when the index is of this run and of this file, else None."""
    from .findings import Status
    if doc is None:
        return None
    try:
        path = os.path.join(directory, previous["id"], previous.get("files", {}).get("findings", "findings.json"))
        with open(path, "rb") as fh:
            raw = fh.read()
        if hashlib.sha256(raw).hexdigest() != doc.get("sha256"):
            return None
        rows = doc["findings"]
        statuses = {s.value for s in Status}
        if not all(isinstance(r, list) and len(r) == 3 and isinstance(r[0], str) and r[1] in statuses
                   and isinstance(r[2], int) and not isinstance(r[2], bool) for r in rows):
            return None
        return path, raw.decode("utf-8"), rows
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError):
        return None
