"""The first schema violation of a JSON document, as one sentence and the JSON pointer of the value.

Shared by the readers of JSON documents s3audit validates (snapshots, findings files): "first" is first in the
document as written, and the sentence says what was expected there.
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import pointer_join


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
