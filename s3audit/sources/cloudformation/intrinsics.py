"""CloudFormation's intrinsic functions (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::If`` ...), each resolved on a
``Template`` (template.py), which holds what they refer to."""
from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

from ..values import Loc, PList, PStr, Unknown, first_unknown

if TYPE_CHECKING:
    from .template import Template

NOVALUE = object()  # AWS::NoValue: the property is removed


class TemplateError(Exception):
    """An intrinsic function used in a way CloudFormation rejects."""

    def __init__(self, message: str):
        super().__init__(message)
        self.at: Loc | None = None


def _args(arg: Any, n: int, fn: str) -> list:
    if not isinstance(arg, list) or len(arg) != n:
        raise TemplateError(f"`{fn}` takes a list of {n} values")
    return list(arg)


def _i_ref(t: Template, arg: Any) -> Any:
    if not isinstance(arg, str):
        raise TemplateError("`Ref` takes a name")
    return t.ref(arg)


def _i_getatt(t: Template, arg: Any) -> Any:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    logical, attr = _args(arg, 2, "Fn::GetAtt")
    attr = t.resolve(attr)
    if isinstance(attr, Unknown):
        return attr
    return t.getatt(str(logical), str(attr))


_SUB = re.compile(r"\$\{([^}]*)\}")


def _i_sub(t: Template, arg: Any) -> Any:
    variables: dict = {}
    if isinstance(arg, list):
        text, variables = _args(arg, 2, "Fn::Sub")
        variables = t.resolve(variables)
    else:
        text = arg
    if not isinstance(text, str):
        raise TemplateError("`Fn::Sub` takes a string")
    unknown: list[Unknown] = []

    def sub(m: re.Match) -> str:
        name = m.group(1).strip()
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            value = variables[name]
        elif "." in name and name.split(".", 1)[0] in t.resources:
            value = t.getatt(*name.split(".", 1))
        else:
            value = t.ref(name)
        if isinstance(value, Unknown):
            unknown.append(value)
            return ""
        if isinstance(value, (dict, list)) or value is NOVALUE:
            raise TemplateError(f"`${{{name}}}` in `Fn::Sub` is not a string")
        return _text(value)
    result = _SUB.sub(sub, text)
    return unknown[0] if unknown else result


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _i_join(t: Template, arg: Any) -> Any:
    delim, items = _args(arg, 2, "Fn::Join")
    items = t.resolve(items)
    if isinstance(items, Unknown):
        return items
    if not isinstance(items, list):
        raise TemplateError("`Fn::Join` takes a list to join")
    u = first_unknown(items)
    return u if u is not None else str(delim).join(_text(x) for x in items)


def _i_select(t: Template, arg: Any) -> Any:
    index, items = _args(arg, 2, "Fn::Select")
    index, items = t.resolve(index), t.resolve(items)
    if isinstance(index, Unknown):
        return index
    if isinstance(items, Unknown):
        return items
    try:
        return items[int(index)]
    except (ValueError, IndexError, TypeError):
        raise TemplateError("`Fn::Select` index is out of range") from None


def _i_split(t: Template, arg: Any) -> Any:
    delim, text = _args(arg, 2, "Fn::Split")
    text = t.resolve(text)
    if isinstance(text, Unknown):
        return text
    return PList(str(text).split(str(delim)))


def _i_if(t: Template, arg: Any) -> Any:
    name, yes, no = _args(arg, 3, "Fn::If")
    cond = t.condition(str(name))
    if isinstance(cond, Unknown):
        a, b = t.resolve(yes), t.resolve(no)
        if first_unknown(a) is None and first_unknown(b) is None and a == b:
            return a
        return Unknown(f"condition `{name}` is undecided ({cond.reason})")
    return t.resolve(yes if cond else no)


def _i_findinmap(t: Template, arg: Any) -> Any:
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        raise TemplateError("`Fn::FindInMap` takes a map name and two keys")
    keys = [t.resolve(a) for a in arg[:3]]
    for k in keys:
        if isinstance(k, Unknown):
            return k
    try:
        return t.resolve(t.mappings[keys[0]][keys[1]][keys[2]])
    except (KeyError, TypeError):
        if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
            return t.resolve(arg[3]["DefaultValue"])
        raise TemplateError(f"`Fn::FindInMap` finds no `{keys[0]}.{keys[1]}.{keys[2]}`") from None


def _i_base64(t: Template, arg: Any) -> Any:
    v = t.resolve(arg)
    return v if isinstance(v, Unknown) else base64.b64encode(_text(v).encode()).decode()


def _i_equals(t: Template, arg: Any) -> Any:
    a, b = (t.resolve(x) for x in _args(arg, 2, "Fn::Equals"))
    u = first_unknown(a) or first_unknown(b)
    return u if u is not None else _text(a) == _text(b) if not isinstance(a, (dict, list)) else a == b


def _i_not(t: Template, arg: Any) -> Any:
    (v,) = _args(arg, 1, "Fn::Not")
    v = t.resolve(v)
    return v if isinstance(v, Unknown) else not v


def _i_and(t: Template, arg: Any) -> Any:
    values = [t.resolve(x) for x in arg]
    if any(v is False for v in values):
        return False
    return next((v for v in values if isinstance(v, Unknown)), True)


def _i_or(t: Template, arg: Any) -> Any:
    values = [t.resolve(x) for x in arg]
    if any(v is True for v in values):
        return True
    return next((v for v in values if isinstance(v, Unknown)), False)


def _i_condition(t: Template, arg: Any) -> Any:
    return t.condition(str(arg))


def _i_tojson(t: Template, arg: Any) -> Any:
    v = t.resolve(arg)
    u = first_unknown(v)
    return u if u is not None else PStr(json.dumps(v), encoded=v)


def _i_length(t: Template, arg: Any) -> Any:
    v = t.resolve(arg)
    return v if isinstance(v, Unknown) else len(v)


def _unknown_fn(what: str):
    return lambda t, arg: Unknown(what)


INTRINSICS = {
    "Ref": _i_ref, "Fn::GetAtt": _i_getatt, "Fn::Sub": _i_sub, "Fn::Join": _i_join, "Fn::Select": _i_select,
    "Fn::Split": _i_split, "Fn::If": _i_if, "Fn::FindInMap": _i_findinmap, "Fn::Base64": _i_base64,
    "Fn::Equals": _i_equals, "Fn::Not": _i_not, "Fn::And": _i_and, "Fn::Or": _i_or, "Condition": _i_condition,
    "Fn::ToJsonString": _i_tojson, "Fn::Length": _i_length,
    "Fn::ImportValue": _unknown_fn("`Fn::ImportValue` is exported by another stack"),
    "Fn::GetAZs": _unknown_fn("`Fn::GetAZs` is known only at deploy time"),
    "Fn::Cidr": _unknown_fn("`Fn::Cidr` is not evaluated by s3audit"),
    "Fn::Transform": _unknown_fn("`Fn::Transform` runs a macro at deploy time"),
}
