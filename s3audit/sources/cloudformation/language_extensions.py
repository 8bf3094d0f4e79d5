"""The ``AWS::LanguageExtensions`` transform's loops: ``Fn::ForEach`` expanded before the template is resolved.

``"Fn::ForEach::<Loop>": [Identifier, Collection, {OutputKey: OutputValue}]`` stands, in the ``Conditions``,
``Resources`` (their properties included) and ``Outputs`` sections, for one copy of the fragment per item of the
collection, with ``${Identifier}`` and ``&{Identifier}`` replaced in keys and strings and ``Ref: Identifier``
replaced by the item; ``&{}`` drops the characters of the item that are not alphanumeric. Loops nest. A collection
is a list or a ``Ref`` to a ``CommaDelimitedList`` parameter (any function that resolves to a list is accepted).
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-foreach.html

A collection known only at deploy time (a parameter without default) cannot be expanded: the loop is left out and
reported as not read (``Template.unread``), never guessed. The transform's other functions (``Fn::Length``,
``Fn::ToJsonString``, ``Fn::FindInMap`` with ``DefaultValue``, functions inside ``Ref`` and ``Fn::GetAtt``) are
intrinsics.py's; ``DeletionPolicy``/``UpdateReplacePolicy`` do not decide access and are not read.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/transform-aws-languageextensions.html
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...errors import InputError, Place
from ..values import Loc, PDict, PList, Unknown
from .intrinsics import TemplateError, _text

if TYPE_CHECKING:
    from .template import Template

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
FOR_EACH = "Fn::ForEach::"
MAX_COPIES = 10_000  # fragments all loops of a template may make (CloudFormation allows 500 resources)
_SECTIONS = ("Conditions", "Resources", "Outputs")


def expand_loops(t: Template) -> None:
    """Replace every ``Fn::ForEach`` of the template's sections by its copies (in place)."""
    state = {"copies": 0}
    for section in _SECTIONS:
        value = t.doc.get(section)
        if isinstance(value, dict):
            expanded = _expand(t, value, state)
            t.doc[section] = expanded
            if section == "Resources":
                t.resources = expanded
            elif section == "Conditions":
                t.conditions = expanded


def _expand(t: Template, node: Any, state: dict) -> Any:
    if isinstance(node, dict):
        if not any(isinstance(k, str) and k.startswith(FOR_EACH) for k in node):
            changed = {k: _expand(t, v, state) for k, v in node.items()}
            if all(changed[k] is node[k] for k in node):
                return node
            out = PDict(changed, pos=getattr(node, "pos", None))
            out.key_pos.update(getattr(node, "key_pos", {}))
            return out
        out = PDict(pos=getattr(node, "pos", None))
        for k, v in node.items():
            at = node.key_pos.get(k) if isinstance(node, PDict) else None
            if isinstance(k, str) and k.startswith(FOR_EACH):
                for key, value, key_at in _loop(t, k, v, at or getattr(node, "pos", None), state):
                    if key in out:
                        raise _error(f"`{k}` makes `{key}`, which is already defined", at, t)
                    out[key] = _expand(t, value, state)
                    out.key_pos[key] = key_at
            else:
                if k in out:
                    raise _error(f"`{k}` is defined twice (once by a `Fn::ForEach` loop)", at, t)
                out[k] = _expand(t, v, state)
                if at is not None:
                    out.key_pos[k] = at
        return out
    if isinstance(node, list):
        items = [_expand(t, v, state) for v in node]
        if all(a is b for a, b in zip(items, node)):
            return node
        return PList(items, pos=getattr(node, "pos", None))
    return node


def _loop(t: Template, key: str, value: Any, at: Loc | None, state: dict):
    """(key, value, position) of each copy a loop makes."""
    loop = key[len(FOR_EACH):]
    if not isinstance(value, list) or len(value) != 3 or not isinstance(value[0], str) or not isinstance(
            value[2], dict):
        raise _error(f"`{key}` takes an identifier, a collection and a fragment (a mapping)", at, t)
    ident, collection, fragment = value
    if not re.fullmatch(r"[A-Za-z0-9]+", ident):
        raise _error(f"the identifier of `{key}` must be alphanumeric", at, t)
    try:
        items = t.resolve(collection)
    except TemplateError as exc:
        raise _error(str(exc), exc.at or at, t) from None
    if isinstance(items, Unknown):
        t.unread.append((f"Fn::ForEach::{loop}", "its collection is known only at deploy time "
                                                 f"({items.reason}): what the loop makes was not read",
                         at or Loc(t.file, 1, 1)))
        return
    if not isinstance(items, list) or any(isinstance(x, (dict, list)) or x is None for x in items):
        raise _error(f"the collection of `{key}` must be a list of strings", at, t)
    if any(isinstance(x, Unknown) for x in items):
        t.unread.append((f"Fn::ForEach::{loop}", "an item of its collection is known only at deploy time: "
                                                 "what the loop makes was not read", at or Loc(t.file, 1, 1)))
        return
    for item in items:
        text = _text(item)
        state["copies"] += 1
        if state["copies"] > MAX_COPIES:
            raise _error(f"`Fn::ForEach` loops make more than {MAX_COPIES} copies", at, t)
        for out_key, out_value in fragment.items():
            new_key = _substitute(out_key, ident, text)
            if new_key == out_key:
                raise _error(f"the output key `{out_key}` of `{key}` must contain `${{{ident}}}` or `&{{{ident}}}`",
                             fragment.key_pos.get(out_key) if isinstance(fragment, PDict) else at, t)
            key_at = fragment.key_pos.get(out_key) if isinstance(fragment, PDict) else at
            yield new_key, _replace(out_value, ident, text), key_at or at


def _substitute(s: str, ident: str, item: str) -> str:
    return s.replace("${" + ident + "}", item).replace("&{" + ident + "}", re.sub(r"[^A-Za-z0-9]", "", item))


def _replace(node: Any, ident: str, item: str) -> Any:
    """A copy of the fragment for one item."""
    if isinstance(node, str):
        return _substitute(node, ident, item)
    if isinstance(node, dict):
        if len(node) == 1 and node.get("Ref") == ident:
            return item
        out = PDict(pos=getattr(node, "pos", None))
        for k, v in node.items():
            nk = _substitute(k, ident, item) if isinstance(k, str) else k
            out[nk] = _replace(v, ident, item)
            if isinstance(node, PDict) and k in node.key_pos:
                out.key_pos[nk] = node.key_pos[k]
        return out
    if isinstance(node, list):
        return PList((_replace(v, ident, item) for v in node), pos=getattr(node, "pos", None))
    return node


def _error(message: str, at: Loc | None, t: Template) -> InputError:
    at = at or Loc(t.file, 1, 1)
    return InputError(message, Place(at.file, at.line, at.column))
