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


def unknown_like(u: Unknown) -> Unknown:
    """A plain Unknown with ``u``'s reason: what an operation on a value partly known (``PartialString``,
    ``PartialJson``) yields, since its known parts say nothing of the operation's result."""
    return u if type(u) is Unknown else Unknown(u.reason)


class Fresh(Unknown):
    """A value AWS or a provider makes at apply time for a resource the change creates, fresh: unlike any value
    that exists before (a ``random_pet``'s name, a random id). Unknown to every operation, but two references to
    it are the same value, so a name built from it is a name of its own: ``symbol`` (``<random_pet.this.id>``)
    stands for it where a name is needed (``"logs-${random_pet.this.id}"`` is the bucket ``logs-<random_pet.this.id>``
    in every place that names it). See ``with_symbols``."""

    __slots__ = ("symbol",)

    def __init__(self, symbol: str, reason: str):
        super().__init__(reason)
        self.symbol = symbol


class PartialString(Unknown):
    """A string built from known text and unknown values (``"arn:aws:s3:::${var.bucket}/*"``). It is unknown to
    everything but the few readers that can use its known text: a policy element reads it as a wildcard
    pattern that matches every value it could take (``arn:aws:s3:::*/*``)."""

    __slots__ = ("pieces", "pos")

    def __init__(self, pieces: list, reason: str, pos: "Loc | None" = None):
        super().__init__(reason)
        self.pieces = tuple(pieces)  # str and Unknown, in order
        self.pos = pos  # where its text starts (a heredoc's), for JSON documents inside it

    def symbolic(self) -> str | None:
        """The text with each unknown piece's symbol, when every unknown piece is ``Fresh``; else None."""
        if all(isinstance(p, (str, Fresh)) for p in self.pieces):
            return "".join(p if isinstance(p, str) else p.symbol for p in self.pieces)
        return None

    def pattern(self) -> str:
        """The known text with ``*`` for each unknown piece (IAM's wildcard for "any characters")."""
        out: list[str] = []
        for p in self.pieces:
            if isinstance(p, str):
                out.append(p)
            elif not out or out[-1] != "*":
                out.append("*")
        return "".join(out)


class PartialJson(Unknown):
    """The JSON text of a value that is known except for some of its parts (``jsonencode()`` of an object with an
    unknown inside, or ``aws_iam_policy_document.json`` with an unknown ARN): the text is unknown, the structure
    is kept (``value``, with its Unknowns) for readers that decode it, so a policy keeps every statement the
    unknown does not touch."""

    __slots__ = ("value",)

    def __init__(self, value: Any, reason: str):
        super().__init__(reason)
        self.value = value


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


def with_symbols(value: Any) -> Any:
    """``value`` with what is unknown only through ``Fresh`` values written with their symbols: a ``Fresh`` value
    as its symbol, a string of known text and fresh pieces as its symbolic text, the JSON text of a structure
    whose unknowns are all fresh as that structure's JSON text. Anything else unknown stays unknown. Used where a
    change names what it creates (a bucket, a role, an ARN in a policy), so that every mention of one fresh name
    is the same name."""
    if isinstance(value, Fresh):
        return value.symbol
    if isinstance(value, PartialString):
        text = value.symbolic()
        return value if text is None else (PStr(text, value.pos) if value.pos else text)
    if isinstance(value, PartialJson):
        inner = with_symbols(value.value)
        u = first_unknown(inner)
        if u is not None:
            return value if inner is value.value else PartialJson(inner, u.reason)
        return PStr(json.dumps(plain(inner)), encoded=inner)
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        changed = False
        items = []
        for k, v in value.items():
            nk, nv = with_symbols(k), with_symbols(v)
            changed = changed or nk is not k or nv is not v
            items.append((nk, nv))
        if not changed:
            return value
        if not isinstance(value, PDict):
            return dict(items)
        out = PDict(items, pos=value.pos)
        for k, p in value.key_pos.items():
            nk = with_symbols(k)
            out.key_pos[nk if isinstance(nk, str) else k] = p
        return out
    if isinstance(value, list):
        items_l = [with_symbols(v) for v in value]
        if all(a is b for a, b in zip(items_l, value)):
            return value
        return PList(items_l, pos=getattr(value, "pos", None))
    return value


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


def top_level_elements(text: str, key: str, file: str) -> list[Loc]:
    """Where each element of the array under ``key`` of the top-level JSON object in ``text`` starts (line and
    column), read at the speed of the json module: each value is skipped with the C decoder. Empty when the text is
    not such an object (the caller reports its errors)."""
    decoder = json.JSONDecoder()
    starts: list[int] = []
    try:
        i = _WS.match(text, 0).end()
        if not text.startswith("{", i):
            return []
        i = _WS.match(text, i + 1).end()
        while i < len(text) and text[i] != "}":
            name, i = _scanstring(text, i + 1, True)
            i = _WS.match(text, i).end() + 1  # the colon
            i = _WS.match(text, i).end()
            if name == key and text.startswith("[", i):
                i = _WS.match(text, i + 1).end()
                while i < len(text) and text[i] != "]":
                    starts.append(i)
                    _, i = decoder.raw_decode(text, i)
                    i = _WS.match(text, i).end()
                    if text.startswith(",", i):
                        i = _WS.match(text, i + 1).end()
                break
            _, i = decoder.raw_decode(text, i)
            i = _WS.match(text, i).end()
            if text.startswith(",", i):
                i = _WS.match(text, i + 1).end()
    except (ValueError, IndexError):
        return []
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)] if starts else []
    import bisect
    out = []
    for s in starts:
        row = bisect.bisect_right(line_starts, s) - 1
        out.append(Loc(file, row + 1, s - line_starts[row] + 1))
    return out
