"""Variable type constraints, and the conversions Terraform makes to them."""
from __future__ import annotations

from typing import Any

from ..hcl import FUNCTIONS, Attr, EvalError, Namespace, kids, to_number, to_string
from ..values import PDict, PList, Unknown


def type_constraint(attr: Attr | None) -> tuple:
    """A variable's ``type`` as s3audit converts values to it: ("string",), ("number",), ("bool",),
    ("list"|"set"|"map", element), ("any",); ("?",) for structural types (object, tuple), left unconverted."""
    if attr is None:
        return ("any",)
    node = attr.expr
    if hasattr(node, "expression"):  # JSON syntax: the type expression is a string
        parsed = node.expression()
        if parsed is None:
            return ("?",)
        node = parsed[0]
    return _type_of(node)


def _type_of(node) -> tuple:
    k = kids(node)
    if node.data == "expr_term" and len(k) == 1:
        return _type_of(k[0])
    if node.data == "identifier":
        name = str(node.children[0])
        return (name,) if name in ("string", "number", "bool", "any") else ("?",)
    if node.data == "function_call":
        name = str(next(x for x in k if x.data == "identifier").children[0])
        args = [x for x in k if x.data == "arguments"]
        argv = kids(args[0]) if args else []
        if name in ("list", "set", "map") and len(argv) == 1:
            return (name, _type_of(argv[0]))
        if name == "optional" and argv:
            return _type_of(argv[0])
    return ("?",)


def convert(value: Any, vtype: tuple) -> Any:
    """``value`` converted to a variable's type as Terraform converts it (``"true"`` to true, 3 to ``"3"``);
    EvalError when it cannot be (https://developer.hashicorp.com/terraform/language/expressions/type-constraints#conversion-of-primitive-types)."""
    kind = vtype[0]
    if kind in ("any", "?") or value is None or isinstance(value, Unknown):
        return value
    if kind == "string":
        if isinstance(value, (bool, int, float, str)):
            return value if isinstance(value, str) else to_string(value)
        raise EvalError("a string is required")
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise EvalError("a number is required")
        return to_number(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        raise EvalError("a bool is required")
    if kind in ("list", "set"):
        if not isinstance(value, list):
            raise EvalError(f"a {kind} is required")
        out = PList((convert(x, vtype[1]) for x in value), pos=getattr(value, "pos", None))
        if kind == "set":
            out = PList(FUNCTIONS["toset"](out), pos=out.pos)
        return out
    if kind == "map":
        if not isinstance(value, dict) or isinstance(value, Namespace):
            raise EvalError("a map is required")
        out_m = PDict({k: convert(x, vtype[1]) for k, x in value.items()}, pos=getattr(value, "pos", None))
        out_m.key_pos.update(getattr(value, "key_pos", {}))
        return out_m
    return value

