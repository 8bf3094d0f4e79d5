"""A finding's evidence as an auditor reads it: sentences and small tables instead of raw JSON.

The rules record evidence as JSON objects of a few kinds (``kind``): ``fact`` (an expression the rule read
and its value), ``decision`` (a request the engine decided, with its reasons and residual conditions),
``public`` (a public-access verdict), ``lint`` (a problem in a policy statement), ``unknown`` (what could
not be read), ``path`` and bare hops (a route to a bucket). ``blocks`` turns them into a few plain
structures that any reporter can draw:

- ``Para(parts)``: a sentence; each part is text, or ``Code(text)`` / ``Strong(text)``;
- ``Table(headers, rows)``: rows of cells, a cell being parts as above, or a nested ``Table``;
- ``Items(entries)``: a bulleted list of parts.

Anything unfamiliar is shown as compact JSON in a ``Code`` part; the raw JSON of every finding stays one
click away in the HTML.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence, Union

from ..iam.wording import CONSTRUCTION_WHY, clause_text, describe, met_by_construction
from .drawing import node_lines


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Strong:
    text: str


Part = Union[str, Code, Strong]


@dataclass(frozen=True)
class Para:
    parts: tuple


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple, ...]  # cells: tuple of parts, or a Table


@dataclass(frozen=True)
class Items:
    entries: tuple[tuple, ...]


Block = Union[Para, Table, Items]
MAX_ROWS = 25  # rows of a nested table before "and N more"


def _is_hop(e: Any) -> bool:
    return isinstance(e, Mapping) and isinstance(e.get("from"), str) and isinstance(e.get("to"), str)


def blocks(evidence: Iterable[Any], assume: Iterable[str] = ()) -> list[Block]:
    """The evidence of one finding, in order; consecutive facts share one table, consecutive hops one."""
    out: list[Block] = []
    facts: list[Mapping] = []
    hops: list[Mapping] = []

    def flush_facts() -> None:
        if facts:
            out.append(Para(("What the rule read:",)))
            out.append(Table(("checked", "found"), tuple(_fact_row(f) for f in facts)))
            facts.clear()

    def flush_hops() -> None:
        if hops:
            out.extend(_hops_blocks(hops, assume))
            hops.clear()

    for e in evidence:
        if _is_hop(e):
            flush_facts()
            hops.append(e)
            continue
        flush_hops()
        if isinstance(e, Mapping) and e.get("kind") == "fact":
            value = e.get("value")
            if isinstance(value, list) and value and all(map(_is_hop, value)):
                flush_facts()
                out.extend(_hops_blocks(value, assume))
            else:
                facts.append(e)
            continue
        flush_facts()
        out.extend(_one(e, assume))
    flush_facts()
    flush_hops()
    return out


def _one(e: Any, assume: Iterable[str]) -> list[Block]:
    if not isinstance(e, Mapping):
        return [Para((Code(_compact(e)),))]
    kind = e.get("kind")
    if kind == "decision":
        return _decision(e, assume)
    if kind == "public":
        verdict = e.get("public")
        state = "public" if verdict is True else ("not public" if verdict is False else f"possibly public ({verdict})")
        out: list[Block] = [Para((Code(str(e.get("resource", ""))), " is ", Strong(state),
                                  f" for {e.get('access', 'access')}", " because:" if e.get("reasons") else "."))]
        if e.get("reasons"):
            out.append(Items(tuple((str(r),) for r in e["reasons"])))
        return out
    if kind == "lint":
        where = (" (at ", Code(str(e["pointer"])), ")") if e.get("pointer") else ()
        return [Para(("Policy problem ", Code(str(e.get("code", ""))), ": ", *_inline_code(str(e.get("message", ""))),
                      *where, "."))]
    if kind == "unknown":
        # what the rule needed and the snapshot lacks: a value's expression, or the engine's sentence
        missing = [str(m) for m in e.get("missing") or ()] or ["something it needs could not be read"]
        parts: list = ["Could not be decided: "]
        for i, m in enumerate(missing):
            parts += ["; " if i else "", Code(m) if not any(c.isspace() for c in m) else m]
        parts.append(".")
        return [Para(tuple(parts))]
    if kind == "path" and isinstance(e.get("hops"), list):
        return _hops_blocks(e["hops"], assume, e)
    return [Para(("Recorded: ", Code(_compact(e))))]


def _compact(value: Any, limit: int = 400) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_BACKTICKS = re.compile(r"`([^`]+)`")


def _inline_code(text: str) -> tuple:
    """Text whose `backticked` words become Code parts."""
    parts: list = []
    last = 0
    for m in _BACKTICKS.finditer(text):
        if m.start() > last:
            parts.append(text[last:m.start()])
        parts.append(Code(m.group(1)))
        last = m.end()
    if last < len(text):
        parts.append(text[last:])
    return tuple(parts)


# ---- facts ----

_SUBSCRIPT = re.compile(r'\[\s*"([^"]*)"\s*\]')


def humanise(expression: str) -> str:
    """``b.logging.enabled`` -> "logging enabled"; ``b.tags["data-class"]`` -> "tag data-class"."""
    text = expression.strip()
    head, dot, rest = text.partition(".")
    if dot and head.isidentifier() and len(head) <= 2:
        text = rest  # the rule's own variable (b, a, s, p): the finding's subject says what it is
    text = _SUBSCRIPT.sub(lambda m: f" {m.group(1)}", text)
    text = text.replace("tags ", "tag ").replace(".", " ").replace("_", " ")
    return " ".join(text.split()) or expression


def _fact_row(f: Mapping) -> tuple:
    expr = str(f.get("expression", ""))
    return ((humanise(expr), " ", Code(expr)), value_cell(f.get("value")))


def value_cell(v: Any) -> Any:
    """A value as a table cell: words for booleans and absence, a nested table for records."""
    if v is True:
        return ("yes",)
    if v is False:
        return ("no",)
    if v is None:
        return ("not set",)
    if isinstance(v, str):
        return (Code(v),) if v else ("(empty)",)
    if isinstance(v, (int, float)):
        return (str(v),)
    if isinstance(v, Mapping):
        if not v:
            return ("none",)
        return Table(("key", "value"), tuple(((str(k),), value_cell(x)) for k, x in list(v.items())[:MAX_ROWS]))
    if isinstance(v, (list, tuple)):
        if not v:
            return ("none",)
        if all(isinstance(x, Mapping) for x in v):
            keys: list[str] = []
            for x in v:
                keys.extend(k for k in x if k not in keys)
            rows = tuple(tuple(value_cell(x.get(k)) for k in keys) for x in v[:MAX_ROWS])
            if len(v) > MAX_ROWS:
                rows += (((f"and {len(v) - MAX_ROWS} more",),) + tuple(("",) for _ in keys[1:]),)
            return Table(tuple(keys), rows)
        shown = [str(x) if not isinstance(x, (dict, list)) else _compact(x, 120) for x in v[:MAX_ROWS]]
        parts: list = []
        for i, x in enumerate(shown):
            parts += [", " if i else "", Code(x)]
        if len(v) > MAX_ROWS:
            parts.append(f" and {len(v) - MAX_ROWS} more")
        return tuple(parts)
    return (Code(_compact(v)),)


# ---- decisions ----

def _context_words(ctx: Mapping) -> tuple:
    if not ctx:
        return ()
    parts: list = [" for a request with "]
    for i, (k, v) in enumerate(ctx.items()):
        parts += [", " if i else "", Code(f"{k} = {json.dumps(v) if not isinstance(v, str) else v}")]
    return tuple(parts)


def reasons_table(reasons: Sequence[Mapping]) -> Table:
    rows = []
    for r in reasons:
        stmt = r.get("statement")
        note = r.get("note") or ""
        rows.append(((str(r.get("effect", "")),), (str(r.get("source", "")),),
                     (Code(str(stmt)),) if stmt else ("",), tuple(_inline_code(str(note)))))
    return Table(("effect", "policy", "statement", "note"), tuple(rows))


def condition_items(conditions: Sequence[Mapping], assume: Iterable[str] = ()) -> Items:
    """Each residual in words, with its machine form and where it is written."""
    entries = []
    for c in conditions:
        machine = "; ".join(clause_text(x) for x in c.get("conditions") or () if isinstance(x, Mapping))
        where = f" ({c.get('source')}, statement {c.get('statement')})" if c.get("source") else ""
        entries.append((Strong(describe(c, assume)), where, " — ", Code(machine)) if machine else
                       (Strong(describe(c, assume)), where))
    return Items(tuple(entries))


def _decision(e: Mapping, assume: Iterable[str]) -> list[Block]:
    decision = str(e.get("decision", ""))
    out: list[Block] = [Para(("The engine decided whether ", Code(str(e.get("principal", ""))), " may ",
                              Code(str(e.get("action", ""))), " on ", Code(str(e.get("resource", ""))),
                              *_context_words(e.get("context") or {}), ": ", Strong(decision), "."))]
    if e.get("reasons"):
        out.append(reasons_table([r for r in e["reasons"] if isinstance(r, Mapping)]))
    conds = [c for c in e.get("conditions") or () if isinstance(c, Mapping)]
    if conds:
        out.append(Para(("It depends on the request:",)))
        out.append(condition_items(conds, assume))
    if e.get("assumptions"):
        out.append(Para(("Assumed, since it could not be read: ",)))
        out.append(Items(tuple((str(a),) for a in e["assumptions"])))
    return out


# ---- paths ----

_VERBS = {"assume": "may assume", "act-as": "may act as", "access": "may access", "member-of": "is a member of"}


def _hops_blocks(hops: Sequence[Mapping], assume: Iterable[str], facts: Mapping | None = None) -> list[Block]:
    hops = [h for h in hops if _is_hop(h)]
    if not hops:
        return []
    principal = (facts or {}).get("principal") or hops[0]["from"]
    bucket = (facts or {}).get("bucket") or hops[-1]["to"]
    n = len(hops)
    out: list[Block] = [Para((Code(str(principal)), " can reach ", Code(str(bucket)),
                              f" in {n} hop{'s' if n != 1 else ''}:"))]
    rows = []
    for i, h in enumerate(hops, 1):
        acts = [str(a) for a in h.get("actions") or ()]
        how = _VERBS.get(str(h.get("kind")), str(h.get("kind")))
        what = (Code(", ".join(acts[:3]) + (f" and {len(acts) - 3} more" if len(acts) > 3 else "")),) if acts else ()
        allows = [r for r in h.get("reasons") or () if isinstance(r, Mapping) and r.get("effect") in ("Allow", "Grant")]
        # what grants the hop; the guard rails that merely do not block it (SCPs, RCPs, boundaries) are left
        # to the raw JSON unless nothing else allows it
        grants = [r for r in allows if r.get("layer") not in _GUARD_RAILS] or allows
        why = tuple(p for r in grants[:3] for p in (shorten_arns(str(r.get("source", ""))),
                                                    f", statement {r['statement']}" if r.get("statement") else "",
                                                    "; "))[:-1] or ("",)
        conds = [c for c in h.get("conditions") or () if isinstance(c, Mapping)]
        when = tuple(p for c in conds for p in (Strong(describe(c, assume, brief=True)), "; "))[:-1] if conds \
            else ("always",)
        rows.append(((str(i),), (Code(short_name(str(h["from"]))), f" {how} ", Code(short_name(str(h["to"]))),
                                 *((" (", *what, ")") if what else ())),
                     why, when))
    out.append(Table(("#", "hop", "granted by", "when"), tuple(rows)))
    kinds = {met_by_construction(c) for h in hops for c in h.get("conditions") or () if isinstance(c, Mapping)}
    for kind in sorted(k for k in kinds if k):
        out.append(Para((f"Met by construction: {CONSTRUCTION_WHY[kind]}.",)))
    return out


_GUARD_RAILS = frozenset({"scp", "rcp", "boundary", "block-public-access"})
_IAM_ARN = re.compile(r"arn:aws:(?:iam|sts)::(\d{12}):([^\s,;]+)")


def shorten_arns(text: str) -> str:
    """IAM ARNs inside a sentence said as ``role/x (111111111111)``."""
    return _IAM_ARN.sub(lambda m: short_name(m.group(0)), text)


def short_name(name: str) -> str:
    """``arn:aws:iam::111111111111:role/x`` -> ``role/x (111111111111)``; buckets and others as they are."""
    first, second = node_lines(name)
    return f"{first} ({second})" if second and second != "root" else first
