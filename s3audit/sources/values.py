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
from typing import Any, NamedTuple

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

    __slots__ = ("pos", "encoded")

    def __new__(cls, text: str, pos: Loc | None = None, encoded: Any = None):
        obj = super().__new__(cls, text)
        obj.pos = pos
        obj.encoded = encoded  # for jsonencode(...) results: the value that was encoded, positions intact
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
    def __init__(self, text: str, file: str, line: int, column: int):
        self.text = text
        self.file = file
        # Positions of the first character: documents embedded in heredocs start mid-file.
        self.line0, self.col0 = line, column
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def loc(self, idx: int) -> Loc:
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
        if ch == "{":
            return self.obj(idx)
        if ch == "[":
            return self.arr(idx)
        if ch == '"':
            try:
                s, end = _scanstring(text, idx + 1, True)
            except json.JSONDecodeError as exc:
                raise self.fail(exc.pos, f"invalid JSON: {exc.msg.lower()}") from None
            return s, end
        for word, val in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, idx):
                return val, idx + len(word)
        m = _NUMBER.match(text, idx)
        if m and m.end() > idx:
            num = m.group(0)
            return (float(num) if m.group(1) or m.group(2) else int(num)), m.end()
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


def parse_json_with_positions(text: str, file: str, line: int = 1, column: int = 1) -> Any:
    """Parse JSON into PDict/PList carrying positions; syntax errors become InputError at file:line:column.

    ``line``/``column`` give the position of the text's first character in ``file`` (for JSON embedded in
    another document). A duplicate key is an error: which of the two a service would keep is not
    documented, so guessing could hide the statement that matters.
    """
    reader = _JsonReader(text, file, line, column)
    value, idx = reader.value(0)
    idx = reader.ws(idx)
    if idx != len(text):
        raise reader.fail(idx, "invalid JSON: unexpected text after the document")
    return value
