"""CloudFormation's intrinsic functions (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::If`` ...), each resolved on a
``Template`` (template.py), which holds what they refer to.

Each function checks its arguments as CloudFormation does (their number and kind) and a misuse is a
``TemplateError``, which the template places at the function. A string only a deployment knows is ``Symbolic``
(symbolic.py): the text around its unknowns is kept, so that names built from it can be recognised; an undecided
``Fn::If`` is ``Undecided`` and keeps both of its values, so a policy can keep both cases.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
"""
from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from ..symbolic import Symbolic, atom, concat
from ..values import Loc, PDict, PList, PStr, Unknown, first_unknown

if TYPE_CHECKING:
    from .template import Template

NOVALUE = object()  # AWS::NoValue: the property is removed


class TemplateError(Exception):
    """An intrinsic function used in a way CloudFormation rejects."""

    def __init__(self, message: str):
        super().__init__(message)
        self.at: Loc | None = None


class Undecided(Unknown):
    """The value of an ``Fn::If`` whose condition cannot be decided before deploy: ``yes`` or ``no`` (resolved;
    either may be ``NOVALUE``), depending on condition ``condition``."""

    __slots__ = ("condition", "yes", "no")

    def __init__(self, reason: str, condition: str, yes: Any, no: Any):
        super().__init__(reason)
        self.condition, self.yes, self.no = condition, yes, no


def _args(arg: Any, n: int, fn: str, what: str = "") -> list:
    if not isinstance(arg, list) or len(arg) != n:
        raise TemplateError(f"`{fn}` takes a list of {n} values" + (f" ({what})" if what else ""))
    return list(arg)


def _name(t: Template, arg: Any, fn: str) -> str:
    """A name given to Ref or Fn::GetAtt: a string, or (AWS::LanguageExtensions) a function that gives one."""
    if isinstance(arg, dict):
        arg = t.resolve(arg)
        if isinstance(arg, Unknown):
            raise _Unnamed(arg)
    if not isinstance(arg, str) or not arg:
        raise TemplateError(f"`{fn}` takes the name of a parameter or resource")
    return arg


class _Unnamed(Exception):
    def __init__(self, unknown: Unknown):
        self.unknown = unknown


def _i_ref(t: Template, arg: Any) -> Any:
    try:
        return t.named(t.ref(_name(t, arg, "Ref")))
    except _Unnamed as exc:
        return exc.unknown


def _i_getatt(t: Template, arg: Any) -> Any:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    logical, attr = _args(arg, 2, "Fn::GetAtt", "a resource and an attribute")
    try:
        logical = _name(t, logical, "Fn::GetAtt")
    except _Unnamed as exc:
        return exc.unknown
    attr = t.resolve(attr)
    if isinstance(attr, Unknown):
        return attr
    if not isinstance(attr, str) or not attr:
        raise TemplateError("`Fn::GetAtt` takes an attribute name")
    return t.named(t.getatt(logical, attr))


def _placeholders(text: str):
    r"""(start, end, name) of each ``${name}`` of an ``Fn::Sub`` string, left to right: what the pattern
    ``\$\{([^}]*)\}`` finds, in linear time (the pattern rescans to the end of the text from every ``${`` that
    no ``}`` follows: a 400 KB string of ``${`` took minutes)."""
    i = 0
    while True:
        start = text.find("${", i)
        if start < 0:
            return
        end = text.find("}", start + 2)
        if end < 0:
            return
        yield start, end + 1, text[start + 2:end]
        i = end + 1


def _i_sub(t: Template, arg: Any) -> Any:
    variables: Any = {}
    if isinstance(arg, list):
        text, variables = _args(arg, 2, "Fn::Sub", "a string and a map of variables")
        variables = _resolved_as(t, variables, dict, "the variables of `Fn::Sub` must be a map")
        if isinstance(variables, Unknown):
            return variables
    else:
        text = arg
    if not isinstance(text, str):
        raise TemplateError("`Fn::Sub` takes a string")
    pieces: list = []
    last = 0
    for start, end, name in _placeholders(text):
        pieces.append(text[last:start])
        last = end
        name = name.strip()
        if name.startswith("!"):
            pieces.append("${" + name[1:] + "}")
            continue
        if name in variables:
            value = variables[name]
        elif "." in name and name.split(".", 1)[0] in t.resources:
            value = t.getatt(*name.split(".", 1))
        else:
            value = t.ref(name)
        if value is NOVALUE or isinstance(value, (dict, list)) or value is None:
            raise TemplateError(f"`${{{name}}}` in `Fn::Sub` is not a string")
        pieces.append(value if isinstance(value, Unknown) else _text(value))
    pieces.append(text[last:])
    return t.named(concat(pieces))


def _resolved_as(t: Template, value: Any, kind: type, message: str) -> Any:
    """``value`` resolved: of ``kind``, or unknown; anything else is the input error ``message``."""
    v = t.resolve(value)
    if isinstance(v, (kind, Unknown)):
        return v
    raise TemplateError(message)


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _scalar_text(v: Any, fn: str) -> Any:
    """A string, number or boolean as the text CloudFormation makes of it; an unknown stays unknown."""
    if isinstance(v, Unknown):
        return v
    if v is NOVALUE or v is None or isinstance(v, (dict, list)):
        raise TemplateError(f"`{fn}` takes strings")
    return _text(v)


def _i_join(t: Template, arg: Any) -> Any:
    delim, items = _args(arg, 2, "Fn::Join", "a delimiter and a list")
    delim = _resolved_as(t, delim, str, "the delimiter of `Fn::Join` must be a string")
    if isinstance(delim, Unknown):
        return delim
    items = _resolved_as(t, items, list, "`Fn::Join` takes a list to join")
    if isinstance(items, Unknown):
        return items
    pieces: list = []
    for i, x in enumerate(items):
        if i:
            pieces.append(delim)
        pieces.append(_scalar_text(x, "Fn::Join"))
    return t.named(concat(pieces))


def _i_select(t: Template, arg: Any) -> Any:
    index, items = _args(arg, 2, "Fn::Select", "an index and a list")
    index, items = t.resolve(index), t.resolve(items)
    if isinstance(index, Unknown):
        return index
    if isinstance(items, Unknown):
        return items
    if not isinstance(items, list):
        raise TemplateError("`Fn::Select` selects from a list")
    try:
        i = int(index) if not isinstance(index, (bool, float)) else None
    except (TypeError, ValueError):  # a list, a mapping or null where the index goes
        i = None
    if i is None:
        raise TemplateError("the index of `Fn::Select` must be a whole number")
    if not 0 <= i < len(items):
        raise TemplateError("`Fn::Select` index is out of range")
    return items[i]


def _i_split(t: Template, arg: Any) -> Any:
    delim, text = _args(arg, 2, "Fn::Split", "a delimiter and a string")
    delim, text = t.resolve(delim), t.resolve(text)
    if isinstance(delim, Unknown):
        return delim
    if isinstance(text, Unknown):
        return Unknown(text.reason)  # the pieces of an unknown text: not one string
    if not isinstance(delim, str) or not delim:
        raise TemplateError("the delimiter of `Fn::Split` must be a string")
    return PList(_scalar_text(text, "Fn::Split").split(delim))


def _i_if(t: Template, arg: Any) -> Any:
    name, yes, no = _args(arg, 3, "Fn::If", "a condition and two values")
    if not isinstance(name, str):
        raise TemplateError("`Fn::If` takes the name of a condition")
    cond = t.condition(name)
    if isinstance(cond, Unknown):
        a, b = t.resolve(yes), t.resolve(no)
        if a is NOVALUE and b is NOVALUE:
            return NOVALUE
        if first_unknown(a) is None and first_unknown(b) is None and a == b and a is not NOVALUE:
            return a
        return Undecided(f"condition `{name}` is undecided ({cond.reason})", name, a, b)
    return t.resolve(yes if cond else no)


def _i_findinmap(t: Template, arg: Any) -> Any:
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        raise TemplateError("`Fn::FindInMap` takes a map name and two keys")
    keys = [t.resolve(a) for a in arg[:3]]
    for k in keys:
        if isinstance(k, Unknown):
            return Unknown(k.reason)
        if not isinstance(k, (str, int, float)) or isinstance(k, bool):
            raise TemplateError("the map name and keys of `Fn::FindInMap` must be strings")
    first, second, third = (_text(k) for k in keys)
    found = t.mappings.get(first) if isinstance(t.mappings, dict) else None
    found = found.get(second) if isinstance(found, dict) else None
    if isinstance(found, dict) and third in found:
        return t.resolve(found[third])
    if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
        # AWS::LanguageExtensions: the value when the keys find nothing
        return t.resolve(arg[3]["DefaultValue"])
    raise TemplateError(f"`Fn::FindInMap` finds no `{first}.{second}.{third}`")


def _i_base64(t: Template, arg: Any) -> Any:
    v = t.resolve(arg)
    if isinstance(v, Unknown):
        return Unknown(v.reason)
    return base64.b64encode(_scalar_text(v, "Fn::Base64").encode("utf-8", "surrogatepass")).decode()


def _i_equals(t: Template, arg: Any) -> Any:
    a, b = (t.resolve(x) for x in _args(arg, 2, "Fn::Equals", "two values"))
    u = first_unknown(a) or first_unknown(b)
    if u is not None:
        return u
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return a == b
    return _text(a) == _text(b)


def _condition_value(v: Any, fn: str) -> Any:
    if isinstance(v, (bool, Unknown)):
        return v
    raise TemplateError(f"`{fn}` takes conditions (true or false)")


def _i_not(t: Template, arg: Any) -> Any:
    (v,) = _args(arg, 1, "Fn::Not", "one condition")
    v = _condition_value(t.resolve(v), "Fn::Not")
    return v if isinstance(v, Unknown) else not v


def _conditions(t: Template, arg: Any, fn: str) -> list:
    if not isinstance(arg, list) or not 2 <= len(arg) <= 10:
        raise TemplateError(f"`{fn}` takes a list of 2 to 10 conditions")
    return [_condition_value(t.resolve(x), fn) for x in arg]


def _i_and(t: Template, arg: Any) -> Any:
    values = _conditions(t, arg, "Fn::And")
    if any(v is False for v in values):
        return False
    return next((v for v in values if isinstance(v, Unknown)), True)


def _i_or(t: Template, arg: Any) -> Any:
    values = _conditions(t, arg, "Fn::Or")
    if any(v is True for v in values):
        return True
    return next((v for v in values if isinstance(v, Unknown)), False)


def _i_condition(t: Template, arg: Any) -> Any:
    if not isinstance(arg, str):
        raise TemplateError("`Condition` takes the name of a condition")
    return t.condition(arg)


def _i_tojson(t: Template, arg: Any) -> Any:
    # AWS::LanguageExtensions: an object or a list as JSON text, written compactly as CloudFormation writes it
    # ("{\"key1\":\"value1\"}": intrinsic-function-reference-ToJsonString.html)
    v = t.resolve(arg)
    if isinstance(v, Unknown):
        return Unknown(v.reason)
    if not isinstance(v, (dict, list)):
        raise TemplateError("`Fn::ToJsonString` takes an object or a list")
    u = first_unknown(v)
    return Unknown(u.reason) if u is not None else PStr(json.dumps(v, separators=(",", ":")), encoded=v)


def _i_length(t: Template, arg: Any) -> Any:
    # AWS::LanguageExtensions: the number of elements of a list
    v = t.resolve(arg)
    if isinstance(v, Unknown):
        return Unknown(v.reason)
    if not isinstance(v, list):
        raise TemplateError("`Fn::Length` takes a list")
    return len(v)


def _i_importvalue(t: Template, arg: Any) -> Any:
    name = t.resolve(arg)
    if isinstance(name, Unknown):
        return Unknown(f"`Fn::ImportValue` of a name known only at deploy time ({name.reason})")
    if not isinstance(name, str):
        raise TemplateError("`Fn::ImportValue` takes the name of an export")
    return t.named(atom(f"import:{name}", f"`Fn::ImportValue {name}` is exported by another stack"))


def _i_transform(t: Template, arg: Any) -> Any:
    name = arg.get("Name") if isinstance(arg, dict) else None
    return t.macro(name if isinstance(name, str) else "?")


def _unknown_fn(what: str):
    return lambda t, arg: Unknown(what)


def _rule_only(fn: str):
    def refuse(t, arg):
        raise TemplateError(f"`{fn}` is a rule function: it is allowed only in the assertions of `Rules`")
    return refuse


INTRINSICS = {
    "Ref": _i_ref, "Fn::GetAtt": _i_getatt, "Fn::Sub": _i_sub, "Fn::Join": _i_join, "Fn::Select": _i_select,
    "Fn::Split": _i_split, "Fn::If": _i_if, "Fn::FindInMap": _i_findinmap, "Fn::Base64": _i_base64,
    "Fn::Equals": _i_equals, "Fn::Not": _i_not, "Fn::And": _i_and, "Fn::Or": _i_or, "Condition": _i_condition,
    "Fn::ToJsonString": _i_tojson, "Fn::Length": _i_length, "Fn::ImportValue": _i_importvalue,
    "Fn::GetAZs": _unknown_fn("`Fn::GetAZs` is known only at deploy time"),
    "Fn::Cidr": _unknown_fn("`Fn::Cidr` is not evaluated by s3audit"),
    "Fn::Transform": _i_transform,
    **{fn: _rule_only(fn) for fn in ("Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn", "Fn::RefAll",
                                     "Fn::ValueOf", "Fn::ValueOfAll")},
}


def is_intrinsic(value: Any) -> bool:
    """A one-key mapping naming a function CloudFormation knows (``Fn::ForEach::<loop>`` included)."""
    if isinstance(value, dict) and len(value) == 1:
        (k,) = value
        return isinstance(k, str) and (k in INTRINSICS or k.startswith("Fn::ForEach::"))
    return False


__all__ = ["INTRINSICS", "NOVALUE", "TemplateError", "Undecided", "Symbolic", "is_intrinsic", "PDict"]
