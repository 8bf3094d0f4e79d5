"""Values shared by the IaC readers: unknowns, values that remember where they were written, and a JSON
reader that keeps line and column of every object and array.

A value that Terraform or CloudFormation only knows at apply/deploy time is an ``Unknown``: it carries the
reason (which reference could not be resolved) and propagates through every operation that uses it.
Mappings and lists read from source text are ``PDict``/``PList``, which behave as plain dict/list (they
compare, serialise and copy as such) but also carry ``pos`` (a ``Loc``) and, for mappings, ``key_pos``
(the ``Loc`` of each key).
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, NamedTuple

from ..errors import InputError, Place


class Loc(NamedTuple):
    file: str
    line: int
    column: int

    def as_json(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column}


class Unknown:
    """A value known only after apply/deploy; ``reason`` names what it depends on."""

    __slots__ = ("reason",)

    def __init__(self, reason: str = "known after apply"):
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"

    def __eq__(self, other: object) -> bool:  # two unknowns are never known to be equal
        return False

    __hash__ = object.__hash__


class PDict(dict):
    """A dict that remembers where it (and each of its keys) was written."""

    __slots__ = ("pos", "key_pos")

    def __init__(self, *args: Any, pos: Loc | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.pos = pos
        self.key_pos: dict[str, Loc] = {}


class PList(list):
    """A list that remembers where it was written."""

    __slots__ = ("pos",)

    def __init__(self, *args: Any, pos: Loc | None = None):
        super().__init__(*args)
        self.pos = pos


class PStr(str):
    """A string that remembers where its text starts (for JSON documents inside heredocs and files)."""

    __slots__ = ("pos", "encoded", "index_loc")

    def __new__(cls, text: str, pos: Loc | None = None, encoded: Any = None,
                index_loc: Callable[[int], Loc] | None = None):
        obj = super().__new__(cls, text)
        obj.pos = pos
        obj.encoded = encoded  # for jsonencode(...) results: the value that was encoded, positions intact
        # For text that is not laid out as it reads (a JSON string literal, escapes and all, on one line):
        # the file position of each character index, used instead of counting lines from ``pos``.
        obj.index_loc = index_loc
        return obj


def first_unknown(value: Any) -> Unknown | None:
    """The first Unknown found anywhere inside ``value`` (depth first), or None when all is known."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, PStr) and value.encoded is not None:
        return first_unknown(value.encoded)
    if isinstance(value, dict):
        for k, v in value.items():
            u = first_unknown(k) or first_unknown(v)
            if u is not None:
                return u
    elif isinstance(value, (list, tuple)):
        for v in value:
            u = first_unknown(v)
            if u is not None:
                return u
    return None


def plain(value: Any) -> Any:
    """A deep copy made of plain dict/list/str (what goes into a snapshot)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, PStr):
        return str(value)
    return value


# --- JSON with positions -------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_scanstring = json.decoder.scanstring  # the C accelerated string scanner json itself uses


class _JsonReader:
    def __init__(self, text: str, file: str, line: int, column: int, string_pos: bool = False,
                 index_loc: Callable[[int], Loc] | None = None, max_depth: int = 200):
        self.text = text
        self.max_depth = max_depth
        self.depth = 0
        self.file = file
        # Positions of the first character: documents embedded in heredocs start mid-file.
        self.line0, self.col0 = line, column
        self.string_pos = string_pos
        self.index_loc = index_loc
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def loc(self, idx: int) -> Loc:
        if self.index_loc is not None:
            return self.index_loc(idx)
        import bisect
        row = bisect.bisect_right(self._line_starts, idx) - 1
        col = idx - self._line_starts[row] + 1
        return Loc(self.file, self.line0 + row, col + (self.col0 - 1 if row == 0 else 0))

    def fail(self, idx: int, message: str) -> InputError:
        at = self.loc(min(idx, len(self.text)))
        return InputError(message, Place(at.file, at.line, at.column))

    def ws(self, idx: int) -> int:
        return _WS.match(self.text, idx).end()

    def value(self, idx: int) -> tuple[Any, int]:
        text = self.text
        idx = self.ws(idx)
        if idx >= len(text):
            raise self.fail(idx, "invalid JSON: unexpected end of document")
        ch = text[idx]
        if ch in "{[":
            self.depth += 1
            if self.depth > self.max_depth:
                raise self.fail(idx, f"invalid JSON: nested more than {self.max_depth} deep")
            try:
                return self.obj(idx) if ch == "{" else self.arr(idx)
            finally:
                self.depth -= 1
        if ch == '"':
            try:
                s, end = _scanstring(text, idx + 1, True)
            except json.JSONDecodeError as exc:
                raise self.fail(exc.pos, f"invalid JSON: {exc.msg.lower()}") from None
            return (PStr(s, self.loc(idx)) if self.string_pos else s), end
        for word, val in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, idx):
                return val, idx + len(word)
        m = _NUMBER.match(text, idx)
        if m and m.end() > idx:
            num = m.group(0)
            try:
                value = float(num) if m.group(1) or m.group(2) else int(num)
            except ValueError:  # more digits than Python converts
                value = float("inf")
            if value in (float("inf"), float("-inf")):
                raise self.fail(idx, "invalid JSON: a number too large for a 64-bit float")
            return value, m.end()
        raise self.fail(idx, f"invalid JSON: unexpected character `{ch}`")

    def obj(self, idx: int) -> tuple[PDict, int]:
        out = PDict(pos=self.loc(idx))
        idx = self.ws(idx + 1)
        if self.text.startswith("}", idx):
            return out, idx + 1
        while True:
            idx = self.ws(idx)
            if not self.text.startswith('"', idx):
                raise self.fail(idx, "invalid JSON: expected a property name in double quotes")
            key_at = idx
            try:
                key, idx = _scanstring(self.text, idx + 1, True)
            except json.JSONDecodeError as exc:
                raise self.fail(exc.pos, f"invalid JSON: {exc.msg.lower()}") from None
            if key in out:
                raise self.fail(key_at, f"duplicate key `{key}`")
            idx = self.ws(idx)
            if not self.text.startswith(":", idx):
                raise self.fail(idx, "invalid JSON: expected `:` after a property name")
            val, idx = self.value(idx + 1)
            out[key] = val
            out.key_pos[key] = self.loc(key_at)
            idx = self.ws(idx)
            if self.text.startswith(",", idx):
                idx += 1
                continue
            if self.text.startswith("}", idx):
                return out, idx + 1
            raise self.fail(idx, "invalid JSON: expected `,` or `}`")

    def arr(self, idx: int) -> tuple[PList, int]:
        out = PList(pos=self.loc(idx))
        idx = self.ws(idx + 1)
        if self.text.startswith("]", idx):
            return out, idx + 1
        while True:
            val, idx = self.value(idx)
            out.append(val)
            idx = self.ws(idx)
            if self.text.startswith(",", idx):
                idx += 1
                continue
            if self.text.startswith("]", idx):
                return out, idx + 1
            raise self.fail(idx, "invalid JSON: expected `,` or `]`")


def parse_json_with_positions(text: str, file: str, line: int = 1, column: int = 1, *, string_pos: bool = False,
                               index_loc: Callable[[int], Loc] | None = None, max_depth: int = 200) -> Any:
    """Parse JSON into PDict/PList carrying positions; syntax errors become InputError at file:line:column.

    ``line``/``column`` give the position of the text's first character in ``file`` (for JSON embedded in
    another document); ``index_loc`` instead maps each character index of ``text`` to its file position
    (for JSON inside a JSON string literal, where escapes make the text longer in the file than it reads).
    ``string_pos``: strings come back as ``PStr`` whose ``pos`` is their opening quote. A duplicate key is an
    error: which of the two a service would keep is not documented, so guessing could hide the statement
    that matters. Objects and arrays nested more than ``max_depth`` deep are an error at the one too deep.
    """
    reader = _JsonReader(text, file, line, column, string_pos, index_loc, max_depth)
    value, idx = reader.value(0)
    idx = reader.ws(idx)
    if idx != len(text):
        raise reader.fail(idx, "invalid JSON: unexpected text after the document")
    return value


def string_literal_index_loc(text: str, quote: int, file: str, line: int, column: int) -> Callable[[int], Loc]:
    """For a JSON string literal whose opening quote is ``text[quote]`` at ``line``/``column`` of ``file``:
    the file position of each character index of its decoded value (escapes such as ``\\"`` or ``\\u00e9``
    take more room in the file than in the value, and ``\\n`` does not start a new line there)."""
    offsets: list[int] = []  # column offset from the quote of each decoded character, then of the closing quote

    def index_loc(i: int) -> Loc:
        if not offsets:
            j = quote + 1
            while j < len(text) and text[j] != '"':
                offsets.append(j - quote)
                j += _width(text, j)
            offsets.append(j - quote)
        return Loc(file, line, column + offsets[min(max(i, 0), len(offsets) - 1)])
    return index_loc


def _width(text: str, j: int) -> int:
    """How many characters of JSON string literal source make the decoded character at ``text[j]``."""
    if text[j] != "\\" or j + 1 >= len(text):
        return 1
    if text[j + 1] != "u":
        return 2
    try:
        cp = int(text[j + 2:j + 6], 16)
    except ValueError:
        return 2
    if 0xD800 <= cp < 0xDC00 and text.startswith("\\u", j + 6):  # a surrogate pair decodes to one character
        return 12
    return 6
