"""Variable type constraints, and the conversions Terraform makes to them.

A type is a tuple: ("string",), ("number",), ("bool",), ("any",); ("list"|"set"|"map", element type);
("object", {attribute: (type, optional, default)}); ("tuple", (element types...)); ("?",) for what s3audit
does not read as a type (left unconverted).
(https://developer.hashicorp.com/terraform/language/expressions/type-constraints)
"""
from __future__ import annotations

from typing import Any

from ..hcl import FUNCTIONS, Attr, EvalError, Namespace, Scope, evaluate, kids, name_of, to_number, to_string
from ..values import PDict, PList, Unknown

ANY = ("any",)


def type_constraint(attr: Attr | None) -> tuple:
    """A variable's ``type`` as s3audit converts values to it (see the module docstring)."""
    if attr is None:
        return ANY
    node = attr.expr
    if hasattr(node, "expression"):  # JSON syntax: the type expression is a string
        parsed = node.expression()
        if parsed is None:
            return ("?",)
        node = parsed[0]
    return _type_of(node, attr)


def _type_of(node, attr: Attr) -> tuple:
    k = kids(node)
    if node.data == "expr_term" and len(k) == 1:
        return _type_of(k[0], attr)
    if node.data == "identifier":
        name = str(node.children[0])
        return (name,) if name in ("string", "number", "bool", "any") else ("?",)
    if node.data == "function_call":
        name = str(next(x for x in k if x.data == "identifier").children[0])
        args = [x for x in k if x.data == "arguments"]
        argv = kids(args[0]) if args else []
        if name in ("list", "set", "map") and len(argv) == 1:
            return (name, _type_of(argv[0], attr))
        if name == "object" and len(argv) == 1:
            inner = _unwrap(argv[0])
            if inner is not None and inner.data == "object":
                return ("object", _attributes(inner, attr))
        if name == "tuple" and len(argv) == 1:
            inner = _unwrap(argv[0])
            if inner is not None and inner.data == "tuple":
                return ("tuple", tuple(_type_of(e, attr) for e in kids(inner)))
    return ("?",)


def _unwrap(node):
    while node.data == "expr_term" and len(kids(node)) == 1 and len(node.children) == 1:
        node = kids(node)[0]
    return node


def _attributes(obj, attr: Attr) -> dict:
    """``{name: (type, optional, default)}`` of an object type's attributes; ``optional(type, default)`` marks
    an attribute that may be left out, and the default it then takes (null without one)."""
    out: dict[str, tuple] = {}
    for elem in kids(obj):
        key_node, value_node = kids(elem)
        key = _unwrap(kids(key_node)[0])
        name = name_of(key) if key.data in ("identifier", "string") else None
        if name is None:
            continue
        inner = _unwrap(value_node)
        if inner.data == "function_call":
            fk = kids(inner)
            fname = str(next(x for x in fk if x.data == "identifier").children[0])
            args = [x for x in fk if x.data == "arguments"]
            argv = kids(args[0]) if args else []
            if fname == "optional" and argv:
                default = None
                if len(argv) > 1:
                    from .config import NoRefs
                    default = evaluate(argv[1], Scope(NoRefs(), attr.src))
                out[name] = (_type_of(argv[0], attr), True, default)
                continue
        out[name] = (_type_of(value_node, attr), False, None)
    return out


def convert(value: Any, vtype: tuple) -> Any:
    """``value`` converted to a variable's type as Terraform converts it (``"true"`` to true, 3 to ``"3"``, an
    object's missing optional attributes to their defaults); EvalError when it cannot be
    (https://developer.hashicorp.com/terraform/language/expressions/type-constraints#conversion-of-primitive-types)."""
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
    if kind in ("list", "set", "tuple"):
        if not isinstance(value, list):
            raise EvalError(f"a {kind} is required")
        if kind == "tuple":
            if len(value) != len(vtype[1]):
                raise EvalError(f"a tuple of {len(vtype[1])} elements is required")
            return PList((convert(x, t) for x, t in zip(value, vtype[1])), pos=getattr(value, "pos", None))
        out = PList((convert(x, vtype[1]) for x in value), pos=getattr(value, "pos", None))
        if kind == "set":
            out = PList(FUNCTIONS["toset"](out), pos=out.pos)
        return out
    if kind in ("map", "object"):
        if not isinstance(value, dict) or isinstance(value, Namespace):
            raise EvalError(f"{'a map' if kind == 'map' else 'an object'} is required")
        if kind == "map":
            out_m = PDict({k: convert(x, vtype[1]) for k, x in value.items()}, pos=getattr(value, "pos", None))
        else:
            out_m = PDict(pos=getattr(value, "pos", None))
            for name, (atype, optional, default) in vtype[1].items():
                if name in value and value[name] is not None:
                    out_m[name] = convert(value[name], atype)
                elif name in value or optional:
                    out_m[name] = convert(default, atype) if default is not None else None
                else:
                    raise EvalError(f"attribute `{name}` is required")
        out_m.key_pos.update({k: v for k, v in getattr(value, "key_pos", {}).items() if k in out_m})
        return out_m
    return value
