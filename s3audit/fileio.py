"""Reading and writing files at the edges: atomic writes, JSON (optionally gzip) reads with clear errors.

Every JSON document s3audit reads goes through ``parse_json`` (or ``loads_strict`` for JSON embedded in
another document): strict JSON only (no ``NaN`` or ``Infinity``, no number too large for a float), nested at
most ``MAX_DEPTH`` deep, and no lone UTF-16 surrogate in a string; each refusal names the place in the file.
Reports are written by ``write_atomic`` (or, a piece at a time, ``write_atomic_pieces``) only to regular files,
never through a symbolic link or onto a device.
"""
from __future__ import annotations

import gzip
import json
import math
import os
import re
import stat
import tempfile
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import InputError, OutputError, Place, pointer_join

# Deeper than any document s3audit reads has reason to be (a snapshot is about 13 deep, a Terraform plan a few
# dozen), and far below Python's recursion limit, so that nothing downstream recurses out of stack.
MAX_DEPTH = 200
# A gzip file that inflates beyond this is refused rather than read into memory.
MAX_INFLATED = 1 << 30


# ---- writing ----

def check_writable_target(path: str | os.PathLike) -> None:
    """Refuse to write over what is not a regular file: a symbolic link, a device, a FIFO, a directory."""
    p = os.fspath(path)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot write: {_reason(exc)}", Place(p)) from None
    if stat.S_ISLNK(st.st_mode):
        raise OutputError("is a symbolic link; s3audit writes only regular files (give the file it points to)",
                          Place(p))
    if stat.S_ISDIR(st.st_mode):
        raise OutputError("is a directory, expected a file to write", Place(p))
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise OutputError(f"is {kind}; s3audit writes only regular files", Place(p))


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part.

    Only a regular file (or a new one) is written: a symbolic link, device or FIFO at ``path`` is refused, not
    replaced. Any failure (a read-only directory, a full disk) is an OutputError naming the file, and leaves
    neither a partial file nor the temporary one behind. A name ending in ``.gz`` gets the data compressed.
    """
    raw = _compressed_if_named(path, data.encode("utf-8") if isinstance(data, str) else data)
    write_atomic_with(path, lambda fd: write_all(fd, raw))


def _compressed_if_named(path: str | os.PathLike, raw: bytes) -> bytes:
    if Path(path).name.endswith(".gz") and not raw[:2] == b"\x1f\x8b":
        return gzip.compress(raw, compresslevel=6, mtime=0)  # 9: 3-4 times the CPU for ~8% less (JSON)
    return raw


def write_atomic_with(path: str | os.PathLike, write: Callable[[int], None]) -> None:
    """``write_atomic`` of what ``write(fd)`` writes to the (unbuffered) file descriptor it is given: for a file
    made of pieces, some copied from another file (``copy_range``)."""
    path = Path(path)
    check_writable_target(path)
    tmp = None
    try:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        # mkstemp makes the file 0600; give it the mode a plain open() would (or the replaced file's), so
        # reports written for a CI job or a web server stay readable as the user's umask allows
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        except OSError:
            pass
        try:
            write(fd)
            os.fsync(fd)
        finally:
            os.close(fd)
        check_writable_target(path)  # nothing became a link or a device while we wrote
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise OutputError(f"cannot write: {_reason(exc)}", Place(str(path))) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def write_atomic_pieces(path: str | os.PathLike, pieces: Iterable[str], *, hashed: bool = False) -> str | None:
    """``write_atomic`` of the text the pieces make, in order: each piece is encoded and written as it comes, so
    that the whole text (a night's report is hundreds of megabytes) is never in memory, as text nor as bytes.
    With ``hashed``, the SHA-256 (hex) of the bytes written. What making the pieces raises is raised as it is
    (an OSError there is not the file's), once the temporary file is gone. A name ending in ``.gz`` gets the
    text compressed, whole (as ``write_atomic`` does)."""
    import hashlib
    if Path(path).name.endswith(".gz"):
        raw = _compressed_if_named(path, "".join(pieces).encode("utf-8"))
        write_atomic_with(path, lambda fd: write_all(fd, raw))
        return hashlib.sha256(raw).hexdigest() if hashed else None
    digest = hashlib.sha256() if hashed else None

    def write(fd: int) -> None:
        made = iter(pieces)
        while True:
            try:
                piece = next(made)
            except StopIteration:
                return
            except OSError as exc:
                raise _NotTheFile(exc) from None
            raw = piece.encode("utf-8")
            if digest is not None:
                digest.update(raw)
            write_all(fd, raw)
    try:
        write_atomic_with(path, write)
    except _NotTheFile as failed:
        raise failed.error from None
    return digest.hexdigest() if digest is not None else None


class _NotTheFile(Exception):
    """An OSError raised while the pieces of a file were made, carried past ``write_atomic_with`` (which takes
    an OSError for a failure to write the file)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def write_all(fd: int, raw: bytes | memoryview) -> None:
    view = memoryview(raw)
    while view:
        view = view[os.write(fd, view):]


def copy_range(source: int, fd: int, start: int, end: int) -> None:
    """Append bytes ``start:end`` of the open file ``source`` to ``fd`` (in the kernel where it can: a units
    history copies hundreds of megabytes of lines it reused as they were)."""
    at = start
    while at < end:
        try:
            n = os.copy_file_range(source, fd, end - at, at)
        except (AttributeError, OSError):  # not Linux, or a file system that cannot: copy through memory
            n = 0
        if n == 0:
            chunk = os.pread(source, min(end - at, 1 << 24), at)
            if not chunk:
                raise OSError(f"the file being copied from ended at byte {at}, before {end}")
            write_all(fd, chunk)
            n = len(chunk)
        at += n


def is_temporary(name: str) -> bool:
    """Whether a file name is one of write_atomic's temporary files (left behind only by a killed process)."""
    return name.startswith(".") and name.endswith(".tmp")


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).rstrip(".").lower() if isinstance(exc, OSError) else str(exc)


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


# ---- reading ----

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
        raw = _inflate(raw, where)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", Place(where)) from None


def _inflate(raw: bytes, file: str) -> bytes:
    """The gzip data decompressed (every member, as gunzip does), at most MAX_INFLATED bytes of it."""
    out: list[bytes] = []
    size = 0
    data = raw
    try:
        while data:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while data:
                chunk = d.decompress(data, 1 << 20)
                size += len(chunk)
                if size > MAX_INFLATED:
                    raise InputError(f"decompresses to more than {MAX_INFLATED >> 20} MiB; refusing to read it",
                                     Place(file))
                out.append(chunk)
                data = d.unconsumed_tail
                if d.eof:
                    break
            if not d.eof:
                raise InputError("not a valid gzip file (it ends before its data does)", Place(file))
            data = d.unused_data.lstrip(b"\0")  # members may follow; trailing zeros are padding
            if data and data[:2] != b"\x1f\x8b":
                raise InputError("not a valid gzip file (unexpected data after the compressed stream)",
                                 Place(file))
    except zlib.error as exc:
        raise InputError(f"not a valid gzip file ({str(exc).removeprefix('Error -3 while decompressing data: ')})",
                         Place(file)) from None
    return b"".join(out)


class NotStrictJSON(ValueError):
    """A strict-JSON refusal raised inside the decoder (the position is found afterwards)."""


def _no_constant(name: str) -> Any:
    raise NotStrictJSON(f"`{name}` is not JSON (JSON numbers are finite)")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise NotStrictJSON(f"the number `{text[:40]}` is too large")
    return value


STRICT_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)
# What a lone surrogate can only come from: a \uD800-\uDFFF escape (UTF-8 text cannot hold one raw).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]")


def loads_strict(text: str, file: str | None, *, pointer: str | None = None, max_depth: int = MAX_DEPTH,
                 line: int | None = None) -> Any:
    """``json.loads`` for input: strict JSON, bounded nesting, no lone surrogates; InputError otherwise.

    The error's place is the line and column in ``text`` (``line``: ``text`` is that line of its file, as in a
    JSON-lines file); for JSON embedded in a string of another document, ``pointer`` places that string and
    the message says where inside it.
    """
    first = line or 1

    def place(pos: int | None) -> Place:
        if pointer is not None:
            return Place(file, pointer=pointer)
        if pos is None:
            return Place(file, line)
        return Place(file, text.count("\n", 0, pos) + first, pos - (text.rfind("\n", 0, pos) + 1) + 1)

    def inner(pos: int | None) -> str:
        return f" (character {pos + 1} of the text)" if pointer is not None and pos is not None else ""

    try:
        value = STRICT_DECODER.decode(text)
    except json.JSONDecodeError as exc:
        if pointer is not None:
            raise InputError(f"invalid JSON: {exc.msg.lower()}{inner(exc.pos)}", place(None)) from None
        raise InputError(f"invalid JSON: {exc.msg.lower()}", Place(file, exc.lineno + first - 1, exc.colno)) from None
    except NotStrictJSON as exc:
        pos = _first_refused(text)
        raise InputError(f"{exc}{inner(pos)}", place(pos)) from None
    except RecursionError:
        pos = _too_deep(text, max_depth)
        raise InputError(f"nested more than {max_depth} deep{inner(pos)}", place(pos)) from None
    except ValueError as exc:  # an integer literal longer than Python converts (sys.get_int_max_str_digits)
        m = re.search(r"\d{1000,}", text)
        raise InputError(f"a number too long to read ({str(exc).split(';')[0].lower()})",
                         place(m.start() if m else None)) from None
    if isinstance(value, (dict, list)) and not _within_depth(value, max_depth):
        pos = _too_deep(text, max_depth)
        raise InputError(f"nested more than {max_depth} deep{inner(pos)}", place(pos))
    if _SURROGATE_ESCAPE.search(text):
        where = _lone_surrogate(value, "")
        if where is not None:
            found, at = where
            at = pointer_join(pointer, *_split(at)) if pointer else at
            raise InputError(f"a string holds a lone surrogate ({found}), which is not text", Place(file, line, pointer=at))
    return value


def parse_json(text: str, file: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a JSON document (see ``loads_strict``) or raise an InputError with its line and column."""
    return loads_strict(text, file, max_depth=max_depth)


def read_json(path: str | os.PathLike) -> Any:
    return parse_json(read_text(path), str(path))


def _split(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def _within_depth(value: Any, limit: int) -> bool:
    """Whether no container in ``value`` is nested deeper than ``limit`` (iterative: it must not recurse)."""
    stack = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > limit:
            return False
        if type(node) is dict:
            node = node.values()
        for v in node:
            if type(v) is dict or type(v) is list:
                push((v, depth + 1))
    return True


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]|-?Infinity|NaN|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?', re.S)


def _too_deep(text: str, limit: int) -> int | None:
    """Offset of the first bracket that opens level ``limit + 1`` (for the error message)."""
    depth = 0
    for m in _TOKENS.finditer(text):
        tok = m.group()
        if tok in ("[", "{"):
            depth += 1
            if depth > limit:
                return m.start()
        elif tok in ("]", "}"):
            depth -= 1
    return None


def _first_refused(text: str) -> int | None:
    """Offset of the first NaN, Infinity or overflowing number outside a string."""
    for m in _TOKENS.finditer(text):
        tok = m.group()
        if tok[0] in "NI-0123456789" and tok not in ("[", "]", "{", "}"):
            if tok in ("NaN", "Infinity", "-Infinity"):
                return m.start()
            try:
                if math.isinf(float(tok)):
                    return m.start()
            except ValueError:
                pass
    return None


def _lone_surrogate(value: Any, pointer: str) -> tuple[str, str] | None:
    """(the surrogate as an escape, JSON pointer) of the first string holding a lone surrogate."""
    stack = [(value, pointer)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, str):
            m = _LONE_SURROGATE.search(node)
            if m:
                return f"\\u{ord(m.group()):04x}", at
        elif isinstance(node, dict):
            for k, v in reversed(list(node.items())):
                m = _LONE_SURROGATE.search(k)
                if m:
                    # the key itself goes into the message escaped, never raw
                    return f"\\u{ord(m.group()):04x}", at + "/" + k.encode("utf-8", "backslashreplace").decode()
                stack.append((v, pointer_join(at, k)))
        elif isinstance(node, list):
            stack.extend((v, pointer_join(at, i)) for i, v in reversed(list(enumerate(node))))
    return None
