"""Reading and writing files at the edges: atomic writes, JSON (optionally gzip) reads with clear errors."""
from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import InputError, Place


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if path.name.endswith(".gz") and not raw[:2] == b"\x1f\x8b":
        raw = gzip.compress(raw, mtime=0)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would (or the replaced file's), so
        # reports written for a CI job or a web server stay readable as the user's umask allows
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        except OSError:
            pass
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask would, briefly, for every thread)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def read_text(path: str | os.PathLike) -> str:
    """Read a text file (transparently gunzipping ``.gz``) or raise an InputError naming it."""
    p = str(path)
    try:
        if p == "-":
            import sys
            return sys.stdin.read()
        raw = Path(p).read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", Place(p)) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", Place(p)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", Place(p)) from None
    return text_of(raw, p)


def text_of(raw: bytes, where: str) -> str:
    """The text of a file's bytes (gunzipped when they are gzip), or an InputError naming ``where``."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"not a valid gzip file ({exc})", Place(where)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", Place(where)) from None


def parse_json(text: str, file: str) -> Any:
    """Parse JSON or raise an InputError with the line and column of the syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg.lower()}", Place(file, exc.lineno, exc.colno)) from None


def read_json(path: str | os.PathLike) -> Any:
    return parse_json(read_text(path), str(path))
