"""JSON: the ``s3audit.findings/v1`` contract (``format``, ``findings``, ``summary``) plus the run's context.

The keys are documented in docs/reports.md and checked by ``s3audit/schemas/findings.schema.json``;
findings come sorted (severity, then waived last, rule, subject) so that two runs diff cleanly.
"""
from __future__ import annotations

import enum
import itertools
import json as _json
import secrets
from typing import Any, Iterator

from ..chunked import joined
from ..findings import Finding
from .model import PathHop, PathPicture, Report


def to_plain(value: Any) -> Any:
    """``json.dumps`` fallback for evidence values: objects with ``to_json``, sets, enums, dataclasses."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses
        return dataclasses.asdict(value)
    if isinstance(value, type(Ellipsis)) or value is None:
        return None
    return str(value)


def dumps(document: Any) -> str:
    return _json.dumps(document, indent=2, ensure_ascii=False, default=to_plain) + "\n"


# A finding's text as it stands in a list of findings of the report (two levels deep).
_IN_LIST = "\n    "


def finding_text(f: Finding) -> str:
    """``f.to_json()`` as ``dumps`` writes it inside a report's list of findings. Kept on the finding (frozen:
    the text is a function of its fields), so a finding in several lists or outputs of a run — and, through a
    scan's history (``shards.store``), of several nights — is serialised once."""
    text = f.__dict__.get(TEXT)
    if text is None:
        text = f.__dict__[TEXT] = in_list(f.to_json())
    return text


def in_list(value: Any) -> str:
    """``value`` as ``dumps`` writes it as an item of a report's list (two levels deep)."""
    return _json.dumps(value, indent=2, ensure_ascii=False, default=to_plain).replace("\n", _IN_LIST)


TEXT = "_json_text"  # where finding_text and picture_text keep it


def picture_text(p: PathPicture) -> str:
    """``p.to_json()`` as ``dumps`` writes it inside a report's list of paths, kept on the picture (frozen) like
    ``finding_text``. Written by hand from the picture's fields: a scan draws tens of thousands of pictures,
    and the generic encoder indents each node in Python (the hops' conditions, arbitrary JSON, still go
    through it)."""
    text = p.__dict__.get(TEXT)
    if text is None:
        try:
            text = _picture_text(p)
        except TypeError:  # a field that is not the text the picture's type says: as the encoder writes it
            text = in_list(p.to_json())
        p.__dict__[TEXT] = text
    return text


# What PathPicture.to_json and PathHop.to_json hold, written two levels deep (a picture is an item of a report's
# list); ``_q`` is the string encoder ``dumps`` uses, which refuses anything but text (TypeError).
_q = _json.encoder.encode_basestring


def _picture_text(p: PathPicture) -> str:
    hops = "[]" if not p.hops else \
        "[\n        " + ",\n        ".join(_hop_text(h) for h in p.hops) + "\n      ]"
    return ('{\n      "principal": ' + _q(p.principal) + ',\n      "bucket": ' + _q(p.bucket)
            + ',\n      "access": ' + _strings(p.access, 8) + ',\n      "decision": ' + _q(p.decision)
            + ',\n      "hops": ' + hops + ',\n      "external": ' + _strings(p.external, 8)
            + ',\n      "sensitive": ' + _q(p.sensitive) + ',\n      "finding": ' + _q(p.finding) + "\n    }")


def _hop_text(h: PathHop) -> str:
    return ('{\n          "from": ' + _q(h.source) + ',\n          "to": ' + _q(h.target)
            + ',\n          "kind": ' + _q(h.kind) + ',\n          "decision": ' + _q(h.decision)
            + ',\n          "actions": ' + _strings(h.actions, 12) + ',\n          "detail": ' + _q(h.detail)
            + ',\n          "conditions": ' + _conditions_text(h.conditions)
            + (',\n          "assumed": ' + _strings(h.assumed, 12) if h.assumed else "") + "\n        }")


def _conditions_text(conditions: tuple) -> str:
    """A hop's conditions as ``dumps`` writes them in a picture (five levels deep). Tens of thousands of hops share a
    few hundred conditions (a bucket policy's TLS-only deny, repeated per bucket): each is indented by the generic
    encoder once, found again by its compact text (the C encoder's; the same values give the same text both ways)."""
    if not conditions:
        return "[]"
    value = list(conditions)
    compact = _COMPACT.encode(value)
    text = _INDENTED.get(compact)
    if text is None:
        if len(_INDENTED) >= 4096:  # bounded: a long-lived process renders many estates
            _INDENTED.clear()
        text = _INDENTED[compact] = _json.dumps(value, indent=2, ensure_ascii=False, default=to_plain).replace(
            "\n", "\n          ")
    return text


_COMPACT = _json.JSONEncoder(ensure_ascii=False, default=to_plain)
_INDENTED: dict[str, str] = {}  # compact text -> conditions_text


def _strings(values, indent: int) -> str:
    """A list of strings whose items are ``indent`` spaces in, as ``dumps`` writes it."""
    if not values:
        return "[]"
    return ("[\n" + " " * indent + (",\n" + " " * indent).join(map(_q, values)) + "\n"
            + " " * (indent - 2) + "]")


class Splice:
    """``dumps`` of a document some of whose lists, at its top level, are of items that are text already (two
    levels deep): ``mark(items)`` is a placeholder to put in the document where such a list goes;
    ``pieces(document)`` is the text of the document with each list in its place, in pieces (each list's items
    a few thousand at a time), for a file written as they come; joined, it is ``dumps(document)``."""

    def __init__(self) -> None:
        self._token = secrets.token_hex(16)
        self._lists: dict[str, list[str]] = {}

    def mark(self, items: list[str]) -> str:
        mark = f"\0{self._token}:{len(self._lists)}"
        self._lists[_json.dumps(mark, ensure_ascii=False)] = items
        return mark

    def layout(self, document: Any) -> list[str | list[str]]:
        """The document as text between its lists, each list as its items; ``starts``: where each list starts in
        the document's text."""
        shell = dumps(document)
        out: list[str | list[str]] = []
        at = 0
        self.starts = []
        for mark, items in self._lists.items():  # in the order they were made, which is the document's order
            before, shell = shell.split(mark, 1)
            out += (before, items)
            self.starts.append(at + len(before))
            at += len(before) + list_length(items)
        out.append(shell)
        return out

    def pieces(self, document: Any) -> Iterator[str]:
        """The document's text in pieces (``layout`` is made at once, so ``starts`` is known on return)."""
        return _pieces(self.layout(document))


def _pieces(layout: list[str | list[str]]) -> Iterator[str]:
    for piece in layout:
        if isinstance(piece, str):
            yield piece
        else:
            yield from list_pieces(piece)


_OPEN, _BETWEEN, _CLOSE = "[" + _IN_LIST, "," + _IN_LIST, "\n  ]"  # a top-level list of items two levels deep


def list_length(items: list[str]) -> int:
    """The length of a top-level list of these items (two levels deep) as ``dumps`` writes it, without writing it."""
    if not items:
        return 2
    return len(_OPEN) + sum(map(len, items)) + len(_BETWEEN) * (len(items) - 1) + len(_CLOSE)


def list_pieces(items: list[str]) -> Iterator[str]:
    """A top-level list of these items (two levels deep) as ``dumps`` writes it, a few thousand items at a time."""
    if not items:
        yield "[]"
        return
    yield _OPEN
    yield from joined(items, _BETWEEN)
    yield _CLOSE


def render(report: Report) -> str:
    """``dumps(report.to_json())``, with each finding's text from ``finding_text``."""
    pieces, _, _ = render_streamed(report)
    return "".join(pieces)


def render_pieces(report: Report) -> Iterator[str]:
    """``render(report)`` in pieces (``Splice.pieces``), for a file written as they come."""
    return render_streamed(report)[0]


def render_streamed(report: Report) -> tuple[Iterator[str], list[Finding], list[int]]:
    """``render(report)`` in pieces (``Splice.pieces``), for a file written as they come; and its list of
    findings (in the file's order) with where each starts in the text."""
    splice = Splice()
    listed: dict[str, tuple[list[Finding], list[str]]] = {}

    def placeholder(name: str, found: list, with_suggestions: bool) -> str:
        if name == "paths":
            texts = list(map(picture_text, found))
        elif with_suggestions and report.suggestions:
            texts = [finding_text(f) if f.fingerprint not in report.suggestions else in_list(report.finding_json(f))
                     for f in found]
        else:
            texts = list(map(finding_text, found))
        listed[name] = (found, texts)
        return splice.mark(texts)

    pieces = splice.pieces(report.to_json(lists=placeholder))
    found, texts = listed["findings"]  # the first list the document holds, so the first place marked
    # the i-th item starts after the list's opening and the items before it, each with the separator after it
    steps = itertools.accumulate(map(len(_BETWEEN).__add__, map(len, texts)), initial=splice.starts[0] + len(_OPEN))
    return pieces, found, list(itertools.islice(steps, len(texts)))


def evidence_text(f: Finding) -> str:
    """The finding's evidence as ``dumps`` writes it at the top level (cut from ``finding_text``: a raw line
    break never occurs inside a JSON string, and only the finding's own keys are six spaces in)."""
    text = finding_text(f)
    start = text.index(_EVIDENCE) + len(_EVIDENCE)
    return text[start:text.index(_LOCATION, start)].replace("\n      ", "\n")


_EVIDENCE = '\n      "evidence": '
_LOCATION = ',\n      "location": '
