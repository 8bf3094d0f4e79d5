"""The types of the arguments s3audit maps, and the conversions Terraform makes to them.

Terraform converts a value given to an argument to the argument's type before the provider sees it:
``"true"``/``"false"`` to a bool, ``"30"`` to a number, a number or bool to a string; anything else that does
not fit is an error of the configuration
(https://developer.hashicorp.com/terraform/language/expressions/type-constraints#conversion-of-primitive-types).
Each resource family declares the types of the arguments and nested blocks it reads (``arguments(...)`` in
resources/); ``convert_arguments`` converts a resource's values in place before it is mapped, so the snapshot
gets AWS's types, and a value Terraform would refuse is an input error at the argument's own line.
"""
from __future__ import annotations

from typing import Any

from ...errors import InputError, Place, pointer_join
from ..hcl import EvalError
from ..values import Loc, Unknown
from .resource import Res
from .variables import convert

# A schema: argument -> "string" | "number" | "bool" | ("list", element type) | ("map", element type), or a
# nested schema (a dict) for a nested block (a list of objects; one object when written as an argument).
Schema = dict


def convert_arguments(r: Res, schema: Schema) -> None:
    """Convert ``r.values`` to the types ``schema`` gives, in place; InputError where Terraform would refuse."""
    _convert_object(r, r.values, schema, (), r.key_pos)


def _convert_object(r: Res, obj: dict, schema: Schema, path: tuple, key_pos: dict) -> None:
    for name, kind in schema.items():
        if name not in obj:
            continue
        value = obj[name]
        if value is None or isinstance(value, Unknown):
            continue
        where = key_pos.get(name) if isinstance(key_pos, dict) else None
        if isinstance(kind, dict):
            items = [value] if isinstance(value, dict) else value if isinstance(value, list) else None
            if items is None:
                raise _refused(r, path + (name,), where, f"`{name}` must be a block or an object")
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    _convert_object(r, item, kind, path + (name, i), getattr(item, "key_pos", None) or {})
                elif item is not None and not isinstance(item, Unknown):
                    raise _refused(r, path + (name, i), where, f"`{name}` must be a block or an object")
            continue
        try:
            converted = convert(value, kind if isinstance(kind, tuple) else (kind,))
        except EvalError as exc:
            raise _refused(r, path + (name,), where, f"`{name}`: {exc} (found {_shown(value)})") from None
        if converted is not value:
            obj[name] = converted


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"`{value[:40]}`"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def _refused(r: Res, path: tuple, where: Loc | None, message: str) -> InputError:
    """The error at the argument's own position: its line in the configuration, else the JSON pointer of the
    value in the plan file, else the resource's block."""
    if where is not None:
        return InputError(message, Place(where.file, where.line, where.column))
    if r.origin is not None:
        file, pointer = r.origin
        return InputError(message, Place(file, pointer=pointer_join(pointer, *path)))
    loc = r.loc
    return InputError(f"{r.address}: {message}", Place(loc.file, loc.line, loc.column) if loc else None)

