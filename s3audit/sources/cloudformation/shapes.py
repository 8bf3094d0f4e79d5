"""The shapes of the resource properties s3audit reads, checked and converted as CloudFormation does.

CloudFormation checks a resource's properties against the type's schema before it creates anything: a property
of the wrong kind fails the deployment. It also converts scalars where the schema asks for another scalar type: a
number or a boolean given for a string becomes its text (``Value: 4711``), ``"true"``/``"false"`` given for a
boolean become booleans, a numeric string given for an integer becomes the number
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html: property
values are of the type the resource reference gives). ``conform`` does both for the properties a mapping reads,
so that the mapping meets only values of the kind it expects, and a property of the wrong kind is an input error at
its own line, not a crash or an error about the generated snapshot. Values only a deployment knows (``Unknown``)
are left where they are; what the mapping does with them is its business. Properties the shape does not name
are kept as they are (s3audit does not read them).
"""
from __future__ import annotations

from typing import Any

from ...errors import InputError, Place
from ..values import Loc, PDict, PList, Unknown


class Shape:
    kind = "a value"

    def conform(self, value: Any, at: Loc, what: str) -> Any:
        return value


class _Str(Shape):
    kind = "a string"

    def conform(self, value, at, what):
        if isinstance(value, (str, Unknown)):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)) and value == value and value not in (float("inf"), float("-inf")):
            return str(value)
        raise _wrong(what, self.kind, value, at)


class _Bool(Shape):
    kind = "true or false"

    def conform(self, value, at, what):
        if isinstance(value, (bool, Unknown)):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _wrong(what, self.kind, value, at)


class _Int(Shape):
    kind = "a whole number"

    def conform(self, value, at, what):
        if isinstance(value, Unknown) or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")) \
                and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value) < 20:
            return int(value)
        raise _wrong(what, self.kind, value, at)


class ListOf(Shape):
    kind = "a list"

    def __init__(self, item: Shape):
        self.item = item

    def conform(self, value, at, what):
        if isinstance(value, Unknown):
            return value
        if not isinstance(value, list):
            raise _wrong(what, self.kind, value, at)
        return PList((self.item.conform(v, getattr(v, "pos", None) or at, f"{what}[{i}]")
                      for i, v in enumerate(value)), pos=getattr(value, "pos", None))


class Obj(Shape):
    kind = "a mapping"

    def __init__(self, fields: dict[str, Shape] | None = None, required: tuple[str, ...] = (),
                 values: Shape | None = None):
        self.fields, self.required, self.values = fields or {}, required, values

    def conform(self, value, at, what):
        if isinstance(value, Unknown):
            return value
        if not isinstance(value, dict):
            raise _wrong(what, self.kind, value, at)
        key_pos = getattr(value, "key_pos", {})
        for key in self.required:
            if key not in value:
                raise InputError(f"`{what}` needs `{key}`", _place(getattr(value, "pos", None) or at))
        out = PDict(pos=getattr(value, "pos", None))
        out.key_pos.update(key_pos)
        for k, v in value.items():
            shape = self.fields.get(k, self.values)
            out[k] = shape.conform(v, key_pos.get(k) or at, f"{what}.{k}") if shape is not None else v
        return out


STR, BOOL, INT, ANY = _Str(), _Bool(), _Int(), Shape()
TAGS = ListOf(Obj({"Key": STR, "Value": STR}, required=("Key", "Value")))


def conform(value: Any, shape: Shape, at: Loc, what: str) -> Any:
    """``value`` checked against ``shape`` and converted as CloudFormation converts it (see the module doc)."""
    return shape.conform(value, at, what)


def _place(at: Loc | None) -> Place:
    return Place(at.file, at.line, at.column) if at is not None else Place()


def _wrong(what: str, kind: str, value: Any, at: Loc) -> InputError:
    found = ("a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else
             "null" if value is None else "true or false" if isinstance(value, bool) else
             "a number" if isinstance(value, (int, float)) else "a string")
    return InputError(f"`{what}` must be {kind}, found {found}", _place(at))
