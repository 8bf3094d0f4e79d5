"""Strategies that make bad inputs from good ones, for any kind of file the harness feeds.

- ``typed_mutation``: a value the JSON Schema types (a string, an enum, a number ...) replaced by one of
  another type — always unacceptable where the reader validates against that schema;
- ``hostile_value``: NaN, Infinity, nesting past the limit, a lone surrogate — unacceptable anywhere;
- ``any_mutation``: any value of the document replaced by anything — maybe acceptable;
- ``text_mutation``: characters, tokens and lines deleted, inserted, swapped — maybe acceptable;
- ``truncation`` and ``hostile_text``: a cut file, an empty one, bytes that are not UTF-8, a document nested
  100,000 deep — unacceptable.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from hypothesis import strategies as st

DEEP = 100_000  # far past any nesting limit: the readers must refuse it without recursing
TOO_DEEP = 250  # past s3audit's limit of 200, within Python's recursion limit

_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")


def json_types(value: Any) -> set[str]:
    if value is None:
        return {"null"}
    if isinstance(value, bool):
        return {"boolean"}
    if isinstance(value, int):
        return {"integer", "number"}
    if isinstance(value, float):
        return {"number", "integer"} if value.is_integer() else {"number"}
    if isinstance(value, str):
        return {"string"}
    if isinstance(value, list):
        return {"array"}
    return {"object"}


class SchemaPositions:
    """Where a document's values are typed by a JSON Schema: (path, allowed JSON types, allowed values)."""

    def __init__(self, schema: dict):
        self.root = schema
        self._found: dict[int, tuple[Any, list]] = {}  # id of a base document -> (it, its positions)

    def _resolve(self, s: Any) -> dict:
        seen = 0
        while isinstance(s, dict) and "$ref" in s and seen < 20:
            node: Any = self.root
            for part in s["$ref"].lstrip("#/").split("/"):
                node = node[part]
            s, seen = node, seen + 1
        return s if isinstance(s, dict) else {}

    def _allowed(self, s: dict) -> tuple[frozenset[str] | None, tuple | None]:
        if "const" in s:
            return frozenset(json_types(s["const"])), (s["const"],)
        if "enum" in s:
            return frozenset().union(*(json_types(v) for v in s["enum"])), tuple(s["enum"])
        if "type" in s:
            t = s["type"]
            return frozenset([t] if isinstance(t, str) else t), None
        for key in ("oneOf", "anyOf"):
            if key in s:
                parts = [self._allowed(self._resolve(b)) for b in s[key]]
                if all(p[0] is not None for p in parts):
                    return frozenset().union(*(p[0] for p in parts)), None
        return None, None

    def positions(self, document: Any) -> list[tuple[tuple, frozenset[str], tuple | None]]:
        """Every typed value of ``document`` (computed once per base document: the bases never change)."""
        held = self._found.get(id(document))
        if held is not None and held[0] is document:
            return held[1]
        out: list[tuple[tuple, frozenset[str], tuple | None]] = []

        def walk(s: Any, node: Any, path: tuple) -> None:
            s = self._resolve(s)
            types, values = self._allowed(s)
            if types is not None:
                out.append((path, types, values))
            if isinstance(node, dict):
                props = s.get("properties", {})
                extra = s.get("additionalProperties")
                for k, v in node.items():
                    sub = props.get(k, extra if isinstance(extra, dict) else None)
                    if sub is not None:
                        walk(sub, v, path + (k,))
            elif isinstance(node, list) and isinstance(s.get("items"), dict):
                for i, v in enumerate(node):
                    walk(s["items"], v, path + (i,))

        walk(self.root, document, ())
        self._found[id(document)] = (document, out)
        return out


def deep(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def copy_of(document: Any) -> Any:
    return json.loads(json.dumps(document))


def set_at(document: Any, path: tuple, value: Any) -> Any:
    """A copy of ``document`` with the value at ``path`` replaced."""
    if not path:
        return value
    copy = copy_of(document)
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copy


def paths_of(document: Any) -> list[tuple]:
    out: list[tuple] = []
    stack: list[tuple[Any, tuple]] = [(document, ())]
    while stack:
        node, path = stack.pop()
        out.append(path)
        if isinstance(node, dict):
            stack.extend((v, path + (k,)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, path + (i,)) for i, v in enumerate(node))
    return sorted(out, key=lambda p: [str(x) for x in p])


# A value of each JSON type, and the ones no reader may accept anywhere (NaN and Infinity are written as such
# by json.dumps, which is how a hostile file holds them).
SAMPLES = [None, True, False, 0, -7, 2 ** 40, 1.5, -0.25, "", "x", "2026-02-30", "arn:aws:iam::1:role/x",
           "\x1b[31mred\x1b[0m", "\u202etxt", "日本", [], [1, "a"], [[]], {}, {"a": 1}, {"Key": None}]
HOSTILE = [math.nan, math.inf, -math.inf, "\ud800", "lone \udfff", {"\udc80": 1}, deep(TOO_DEEP), 1e400]


def dumps(document: Any) -> bytes:
    """JSON text as a file would hold it (NaN and Infinity written literally, surrogates escaped)."""
    return json.dumps(document, allow_nan=True, indent=1).encode("utf-8")


@st.composite
def typed_mutation(draw, document: Any, positions: SchemaPositions) -> tuple[Any, str]:
    """``document`` with one schema-typed value replaced by a value of a type (or outside the values) the
    schema does not allow there."""
    spots = positions.positions(document)
    path, types, values = draw(st.sampled_from(spots))
    wrong = [v for v in SAMPLES if not (json_types(v) & types)]
    if values is not None:
        wrong += [v for v in ("not-one-of-them", 3, "S3:GetObject") if v not in values and json_types(v) & types]
    value = draw(st.sampled_from(wrong))
    return set_at(document, path, value), f"typed: {'/'.join(map(str, path))} = {json.dumps(value)[:60]}"


@st.composite
def hostile_value(draw, document: Any) -> tuple[Any, str]:
    path = draw(st.sampled_from(paths_of(document)))
    value = draw(st.sampled_from(HOSTILE))
    return set_at(document, path, value), f"hostile: {'/'.join(map(str, path))}"


@st.composite
def any_mutation(draw, document: Any) -> tuple[Any, str]:
    path = draw(st.sampled_from(paths_of(document)))
    if path and draw(st.booleans()) and draw(st.booleans()):
        parent = copy_of(document)
        node = parent
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]
        return parent, f"removed: {'/'.join(map(str, path))}"
    value = draw(st.sampled_from(SAMPLES) | st.recursive(
        st.none() | st.booleans() | st.integers(-2 ** 63, 2 ** 63) | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=6))
    return set_at(document, path, value), f"any: {'/'.join(map(str, path))}"


TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\w+|[^\w\s]|\s+')
PIECES = ["{", "}", "[", "]", ",", ":", '"', "\\", "\n", "\t", " ", "-", "*", "&a", "*a", "!!python/object", "\x00",
          "é", "\ud800", "NaN", "1e999", "null", "true", "#", "'", "`", "${", "\r"]


@st.composite
def text_mutation(draw, text: str, pieces: list[str] | None = None) -> tuple[str, str]:
    """``text`` with one to four character, token or line edits (insertions drawn from ``pieces``)."""
    notes = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "swap-tokens", "delete-token", "swap-lines", "dup-line"]))
        notes.append(kind)
        if kind in ("delete", "insert") or not text:
            pos = draw(st.integers(0, len(text)))
            if kind == "delete" and text:
                text = text[:pos] + text[min(len(text), pos + draw(st.integers(1, 12))):]
            else:
                text = text[:pos] + draw(st.sampled_from(pieces or PIECES) | st.text(max_size=3)) + text[pos:]
        elif kind in ("swap-tokens", "delete-token"):
            tokens = TOKEN.findall(text)
            if len(tokens) < 2:
                continue
            i = draw(st.integers(0, len(tokens) - 1))
            if kind == "delete-token":
                del tokens[i]
            else:
                j = draw(st.integers(0, len(tokens) - 1))
                tokens[i], tokens[j] = tokens[j], tokens[i]
            text = "".join(tokens)
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "swap-lines":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines[i])
            text = "\n".join(lines)
    return text, "text: " + ", ".join(notes)


def encode(text: str) -> bytes:
    """UTF-8, with any lone surrogate an edit left written as the bytes a broken encoder would write."""
    return text.encode("utf-8", "surrogatepass")


@st.composite
def truncation(draw, data: bytes) -> tuple[bytes, str]:
    """A file cut short (a cut strictly inside it: never empty, never whole)."""
    cut = draw(st.integers(1, max(1, len(data.rstrip()) - 1)))
    return data[:cut], f"cut at byte {cut}"


HOSTILE_TEXTS = [
    (b"", "empty"), (b"   \n\t\n", "blank"), (b"\xef\xbb\xbf", "a byte-order mark only"),
    (b"\xff\xfe{\x00}\x00", "UTF-16"), (b"\x80\x81\xfe", "not UTF-8"), (b"\x00" * 64, "NUL bytes"),
    (b"[" * DEEP + b"]" * DEEP, "nested 100,000 deep"), (b'{"a":' * DEEP + b"1" + b"}" * DEEP, "objects 100,000 deep"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", "a gzip header alone"),
]


def hostile_text() -> st.SearchStrategy:
    return st.sampled_from(HOSTILE_TEXTS)
