"""The first schema violation of a JSON document, as one sentence and the JSON pointer of the value.

Shared by the readers of JSON documents s3audit validates (snapshots, findings files): "first" is first in the
document as written, and the sentence says what was expected there.

jsonschema walks a document about fifteen times slower than code compiled from the schema (fastjsonschema), which
matters for a snapshot of tens of thousands of buckets (4 s of a nightly scan's reading at 20,000). So large
documents pass through ``compiled_gate`` first: it only answers "valid" or "not sure", and everything it does
not accept is checked again by jsonschema, which decides and words the error. The gate must read the schema
exactly as jsonschema does (stricter in one place can be looser under ``not`` or ``oneOf``): ``GATE_KEYWORDS``
are the keywords whose meaning is the same in draft 2020-12, which the schemas are written in, and draft-07,
which the gate implements, and each pattern's ``$`` is spelt out before fastjsonschema would make it ``\\Z``.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from ..errors import pointer_join


# Keywords the gate implements exactly as draft 2020-12 defines them (a schema with any other is refused).
GATE_KEYWORDS = frozenset({
    "$schema", "$id", "$defs", "$ref", "title", "description", "type", "properties", "additionalProperties",
    "patternProperties", "propertyNames", "required", "items", "minItems", "maxItems", "uniqueItems", "enum",
    "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "oneOf", "anyOf", "allOf", "not"})


def compiled_gate(schema: dict) -> Callable[[Any], bool]:
    """``document -> True`` when it certainly satisfies ``schema``; False: not sure, ask jsonschema."""
    problem = gate_problem(schema)
    if problem is not None:
        raise ValueError(f"the schema cannot be compiled to a gate: {problem}")
    own = _refs_inlined(_dollars_spelt_out(json.loads(json.dumps(schema))))  # a copy: the compiler rewrites each $ref
    check = _validator_of({**own, "$schema": "http://json-schema.org/draft-07/schema#"})

    def gate(document: Any) -> bool:
        try:
            check(document)
        except Exception:  # noqa: BLE001 — any doubt goes to jsonschema, which is the judge
            return False
        return True
    return gate


def _validator_of(definition: dict) -> Callable[[Any], Any]:
    """``fastjsonschema.compile(definition)``, its code kept in the per-user cache (``s3audit.cache``): generating
    and compiling the snapshot schema's costs 0.15 s, a third of reading a large snapshot. The entry is the
    compiled code (marshal) and its function's name, keyed by the definition, fastjsonschema's version and
    Python's; any problem with it means compiling afresh."""
    import marshal
    import os
    import sys

    import fastjsonschema

    from ..cache import cache_dir, key, used
    directory = cache_dir()
    entry = os.path.join(directory, "gate-" + key(fastjsonschema.VERSION, sys.version, json.dumps(
        definition, sort_keys=True)) + ".marshal") if directory is not None else None
    if entry is not None:
        try:
            with open(entry, "rb") as fh:
                name, code = marshal.load(fh)
            namespace: dict = {}
            exec(code, namespace)
            check = namespace[name]
            used(entry)
            return check
        except Exception:  # noqa: BLE001 — missing, truncated or from another build: compile instead
            pass
    check = fastjsonschema.compile(json.loads(json.dumps(definition)), use_default=False, use_formats=False)
    if entry is not None:
        try:
            from ..fileio import write_atomic
            source = fastjsonschema.compile_to_code(definition, use_default=False, use_formats=False)
            write_atomic(entry, marshal.dumps((check.__name__, compile(source, "<snapshot schema gate>", "exec"))))
        except Exception:  # noqa: BLE001 — a cache that cannot be written is no cache, not an error
            pass
    return check


# Keywords whose value is a schema, a list of schemas, or a mapping of names to schemas (as gate_problem reads them).
_SCHEMA_VALUED = ("items", "additionalProperties", "propertyNames", "not")
_SCHEMA_LISTS = ("oneOf", "anyOf", "allOf")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs")


def _refs_inlined(schema: dict) -> dict:
    """``schema`` with each ``$ref`` to one of its ``$defs`` replaced by that definition (its own references
    inlined too), except where a definition refers back to itself. The same checks: gate_problem allows no
    keyword beside a ``$ref`` but words, and a local reference stands for its definition. Why: fastjsonschema
    makes a function of each definition and, calling it for an item of an array, formats the item's name for
    a message first; a third of the gate's time on a snapshot of 20,000 buckets."""
    defs = schema.get("$defs") if isinstance(schema.get("$defs"), dict) else {}

    def inline(node: Any, open_: frozenset) -> Any:
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        name = ref[len("#/$defs/"):] if isinstance(ref, str) and ref.startswith("#/$defs/") else None
        if name in defs and "/" not in name and "~" not in name and name not in open_:
            return inline(defs[name], open_ | {name})
        out = {}
        for k, v in node.items():
            if k in _SCHEMA_VALUED:
                out[k] = inline(v, open_)
            elif k in _SCHEMA_LISTS and isinstance(v, list):
                out[k] = [inline(x, open_) for x in v]
            elif k in _SCHEMA_MAPS and k != "$defs" and isinstance(v, dict):
                out[k] = {n: inline(sub, open_) for n, sub in v.items()}
            else:
                out[k] = v
        merged = _types_of_one_of(out.get("oneOf"))
        if merged is not None and "type" not in out:
            del out["oneOf"]
            out["type"] = merged
        return out
    return inline(schema, frozenset())


def _types_of_one_of(alternatives: Any) -> list[str] | None:
    """The types of a ``oneOf`` whose alternatives say nothing but a type each, types no two of them share (then
    it is the same check as ``type`` with them all, which fastjsonschema makes without raising an exception in
    the alternatives that fail); else None."""
    if not isinstance(alternatives, list) or not alternatives:
        return None
    types: list[str] = []
    for alt in alternatives:
        if not isinstance(alt, dict) or "type" not in alt or set(alt) - {"type", "description", "title"}:
            return None
        these = alt["type"] if isinstance(alt["type"], list) else [alt["type"]]
        if not all(isinstance(t, str) for t in these):
            return None
        types.extend(these)
    if len(set(types)) != len(types) or ("integer" in types and "number" in types):
        return None
    return types


def _dollars_spelt_out(schema: Any) -> Any:
    """``schema`` with each pattern's ``$`` written so that fastjsonschema keeps its meaning: it turns every
    unescaped ``$`` into ``\\Z`` (end of text), but in a pattern (searched with Python's ``re``, as jsonschema
    does) ``$`` also matches before a final newline, and inside ``[...]`` it is a plain dollar."""
    if isinstance(schema, list):
        return [_dollars_spelt_out(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    return {k: (_spell_out_dollars(v) if k == "pattern" and isinstance(v, str) else
                {_spell_out_dollars(p): _dollars_spelt_out(sub) for p, sub in v.items()}
                if k == "patternProperties" and isinstance(v, dict) else
                {n: _dollars_spelt_out(sub) for n, sub in v.items()} if k in ("properties", "$defs") and
                isinstance(v, dict) else _dollars_spelt_out(v)) for k, v in schema.items()}


def _spell_out_dollars(pattern: str) -> str:
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append("\\$" if c == "$" else c)
        elif c == "[":
            in_class = True
            start = i + 1 + (pattern[i + 1:i + 2] == "^")
            head = pattern[i:start]
            if pattern[start:start + 1] == "]":  # a ']' first in a set is one of its characters
                head, start = head + "]", start + 1
            out.append(head)
            i = start
            continue
        else:
            out.append("(?=\\n?\\Z)" if c == "$" else c)
        i += 1
    return "".join(out)


def gate_problem(schema: Any, pointer: str = "") -> str | None:
    """Why the gate could read ``schema`` differently from draft 2020-12, or None."""
    if isinstance(schema, list):
        for i, item in enumerate(schema):
            found = gate_problem(item, f"{pointer}/{i}")
            if found:
                return found
        return None
    if not isinstance(schema, dict):
        return None
    unknown = sorted(set(schema) - GATE_KEYWORDS)
    if unknown:
        return f"keyword `{unknown[0]}` at {pointer or '/'}"
    if "$ref" in schema and set(schema) - {"$ref", "description", "title"}:
        return f"`$ref` beside other keywords at {pointer or '/'} (draft-07 ignores them)"
    for key in ("enum", "const"):
        values = schema.get(key, []) if key == "enum" else [schema.get(key, "")]
        if not all(isinstance(v, str) for v in values):  # Python's 1 == True == 1.0; JSON's are three values
            return f"`{key}` with a value that is not a string at {pointer}/{key}"
    for pattern in [schema.get("pattern")] + list(schema.get("patternProperties") or ()):
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error:
                return f"pattern `{pattern}` at {pointer or '/'}, which Python's re does not read"
    if isinstance(schema.get("items"), list):
        return f"`items` as a list at {pointer}/items (2020-12 spells it prefixItems)"
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "$defs"):
            for name, sub in value.items():
                found = gate_problem(sub, f"{pointer}/{key}/{name}")
                if found:
                    return found
        elif key in ("items", "additionalProperties", "propertyNames", "oneOf", "anyOf", "allOf", "not"):
            found = gate_problem(value, f"{pointer}/{key}")
            if found:
                return found
    return None


def first_error(validator: Any, document: Any) -> tuple[str, str] | None:
    """(JSON pointer, sentence) of the first value of ``document`` that ``validator`` rejects, or None."""
    errors = list(validator.iter_errors(document))
    if not errors:
        return None
    import jsonschema.exceptions as jx
    # a missing key is noticed at the end of its object, after what the object does hold
    first = min(errors, key=lambda e: _document_order(document, e.absolute_path) + (
        [len(e.instance)] if e.validator == "required" and isinstance(e.instance, dict) else []))
    if first.context:  # oneOf / anyOf: the branch that came closest says the most
        first = jx.best_match(first.context) or first
    return pointer_join("", *first.absolute_path), describe(first)


def _document_order(document: Any, path) -> list[int]:
    """Positions of a path's steps in the document as written, so 'first' means first in the file."""
    order, node = [], document
    for step in path:
        if isinstance(node, dict):
            order.append(list(node).index(step) if step in node else len(node))
        else:
            order.append(step if isinstance(step, int) else 0)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
    return order


def describe(error) -> str:
    kind, value = error.validator, error.instance
    if kind == "required":
        missing = [k for k in error.validator_value if isinstance(value, dict) and k not in value]
        return f"missing required key `{missing[0] if missing else error.validator_value[0]}`"
    if kind == "type":
        want = error.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"expected {want}, found {json_type(value)}"
    if kind == "const":
        return f"expected `{error.validator_value}`, found `{short(value)}`"
    if kind == "enum":
        return f"expected one of {', '.join(f'`{v}`' for v in error.validator_value)}, found `{short(value)}`"
    if kind == "pattern":
        hint = _PATTERNS.get(error.validator_value)
        if hint is None and "\\d{4}-\\d{2}-\\d{2}" in error.validator_value:
            hint = "an RFC 3339 timestamp such as 2026-11-24T02:00:00Z"
        return f"expected {hint or 'a value matching ' + error.validator_value}, found `{short(value)}`"
    if kind == "minLength":
        return "must not be empty"
    if kind == "minimum":
        return f"must be at least {error.validator_value}"
    return short(error.message, 200)


_PATTERNS = {  # what a pattern of the schemas asks for, in words
    "^\\d{12}$": "a 12-digit account id",
    "^arn:[^:]+:[^:]*:[^:]*:[^:]*:.+$": "an ARN (arn:partition:service:region:account:resource)",
    "^[A-Za-z0-9-]+$": "a region name such as eu-west-1",
    "^[^/:*?\\s\\u0000-\\u001f\\u007f]+$": "a bucket or access point name (no `/`, `:`, wildcard, space or control "
                                             "character)",
}


def json_type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def short(value: Any, limit: int = 60) -> str:
    """A value as a message may quote it: on one line, control characters escaped, at most ``limit`` long."""
    text = json.dumps(value) if not isinstance(value, str) else value
    if not text.isprintable():
        text = json.dumps(text)[1:-1]
    return text if len(text) <= limit else text[:limit - 3] + "..."
