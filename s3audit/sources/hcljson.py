"""Terraform's JSON configuration syntax (``.tf.json``, ``.tfvars.json``) -> the Block/Attr structures of hcl.py.

https://developer.hashicorp.com/terraform/language/syntax/json (HCL's JSON mapping:
https://github.com/hashicorp/hcl/blob/main/json/spec.md). A ``.tf.json`` file is one JSON object whose
properties are top-level block types; each label is one more level of nested object (``"resource":
{"aws_s3_bucket": {"logs": {...body...}}}``), and at any level an array of objects stands for several
(``"provider": {"aws": [{...}, {"alias": "west", ...}]}``). In a block body, a property is an argument or a
nested block (an object, or an array of objects for several blocks of the type); ``"//"`` properties are
comments. Arguments are expressions: a JSON string is a string template (``"${aws_s3_bucket.x.arn}/*"``; a
template that is only one interpolation is its value, unconverted), objects and arrays are object and tuple
constructors, whose property names are templates too. Some arguments are not expressions (the "block-type
specific exceptions"): ``provider``/``depends_on``/``ignore_changes`` are references written as strings, and
every argument of a ``variable`` block, an output's ``description``, a module's ``source``/``version``, a
provider's ``alias`` and all of ``terraform`` are taken literally. ``.tfvars.json`` values are literal too
(Terraform evaluates variable files without a context).

Whether a property of a body is an argument or a nested block is decided, in Terraform, by the provider's
schema. s3audit has no provider schemas: ``AWS_NESTED_BLOCKS`` lists the nested block types of the resources
and data sources it reads (from the AWS provider's documentation); anything else is an argument, which
yields the same object (or list of objects) for the mapping.

Every block and argument gets the position of its property name (an element of an array of blocks: its
``{``); string values carry the position of each of their characters (``string_literal_index_loc``), so a
policy written as an escaped JSON string, or an interpolation inside one, is located on its line and column.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import InputError, Place
from .hcl import Attr, Block, EvalError, Scope, Source, evaluate, kids, parse, template, to_string
from .values import (Loc, PDict, PList, PStr, Unknown, parse_json_with_positions, plain,
                     string_literal_index_loc)

LITERAL, TEMPLATE, REFERENCE = "literal", "template", "reference"


class JsonSource(Source):
    """One JSON file's text: turns the position of a string literal back into its index."""

    def index_of(self, at: Loc) -> int:
        starts = self.__dict__.get("_starts")
        if starts is None:
            starts = self.__dict__["_starts"] = [0] + [i + 1 for i, c in enumerate(self.text) if c == "\n"]
        return starts[at.line - 1] + at.column - 1


class _StringSource(Source):
    """Places the nodes of an expression parsed out of a JSON string literal (``x = <expr>`` text, as
    hcl.template builds it) at their character in the file."""

    def __init__(self, file: str, index_loc, base: int):
        super().__init__(file, "", 0)
        self.index_loc, self.base = index_loc, base  # base + start_pos = index in the decoded string

    def loc(self, node: Any) -> Loc:
        own = getattr(node, "own_loc", None)
        if own is not None:
            return own
        meta = getattr(node, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            return self.index_loc(max(self.base + meta.start_pos, 0))
        return self.index_loc(max(self.base + 4, 0))


class JsonExpr:
    """An argument's JSON value and how Terraform reads it (``mode``); evaluates like an HCL expression."""

    data = "json_expr"  # hcl._HANDLERS dispatches on it
    __slots__ = ("value", "own_loc", "mode", "src")

    def __init__(self, value: Any, loc: Loc, mode: str, src: JsonSource):
        self.value, self.own_loc, self.mode, self.src = value, loc, mode, src

    def own_snippet(self) -> str:
        text = json.dumps(plain(self.value), separators=(",", ":"))
        return text if len(text) <= 80 else text[:77] + "..."

    def as_identifier(self) -> str:
        return str(self.value) if isinstance(self.value, str) else self.own_snippet()

    def evaluate(self, scope: Scope) -> Any:
        return _value(self.value, scope.with_src(self.src), self.mode, self.own_loc, self.src)

    def expression(self) -> tuple[Any, Source] | None:
        """A string argument Terraform parses as an expression (a variable's ``type``): (tree node, Source)."""
        if not isinstance(self.value, str):
            return None
        at = self.value.pos if isinstance(self.value, PStr) and self.value.pos else self.own_loc
        return _parse_expression(str(self.value), at, self.src)


def _number(v: int | float) -> int | float:
    return int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 else v


def _value(v: Any, scope: Scope, mode: str, loc: Loc, src: JsonSource) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return _number(v)
    if isinstance(v, str):
        at = v.pos if isinstance(v, PStr) and v.pos else loc
        if mode == LITERAL:
            return str(v)
        if mode == REFERENCE:
            node, sub = _parse_expression(str(v), at, src)
            return evaluate(node, scope.with_src(sub))
        return _template(str(v), at, scope, src)
    if isinstance(v, list):
        pos = getattr(v, "pos", None) or loc
        return PList((_value(x, scope, mode, pos, src) for x in v), pos=pos)
    if isinstance(v, dict):
        out = PDict(pos=getattr(v, "pos", None) or loc)
        key_pos = getattr(v, "key_pos", {})
        for k, x in v.items():
            kloc = key_pos.get(k, loc)
            key = str(k) if mode == LITERAL else _template(str(k), kloc, scope, src)
            if isinstance(key, Unknown):
                return Unknown(f"an object key is unknown ({key.reason})")
            if key is None or isinstance(key, (dict, list)):
                raise EvalError("object keys must be strings")
            key = to_string(key)
            if key in out:
                raise EvalError(f"the object key `{key}` is given twice")
            out[key] = _value(x, scope, mode, kloc, src)
            out.key_pos[key] = kloc
        return out
    raise EvalError(f"unexpected JSON value {v!r}")  # pragma: no cover - the JSON reader makes no others


def _index_loc(at: Loc, src: JsonSource):
    quote = src.index_of(at)
    if not (0 <= quote < len(src.text)) or src.text[quote] != '"':  # not a literal of this file: no columns
        return lambda i: at
    return string_literal_index_loc(src.text, quote, src.file, at.line, at.column)


def _template(text: str, at: Loc, scope: Scope, src: JsonSource) -> Any:
    """A JSON string where an expression is expected: a string template (hcl.template), placed in the file."""
    index_loc = _index_loc(at, src)
    started: list[int] = []

    def source_at(i: int) -> Source:
        started.append(i)
        return _StringSource(src.file, index_loc, i + 2 - 4)  # "x = " precedes the expression's text

    try:
        value = template(text, scope, None, source_at)
    except InputError as exc:
        i = started[-1] + 2 if started else 0
        where = index_loc(i + max((exc.place.column or 5) - 5, 0) if exc.place and exc.place.line == 1 else i)
        raise InputError(exc.message.replace("invalid HCL", "invalid expression in a string template"),
                         Place(where.file, where.line, where.column)) from None
    if type(value) is str or (isinstance(value, PStr) and value.pos is None and value.encoded is None
                              and value.index_loc is None):
        # Text from this literal: a policy written as JSON text is placed character by character when the
        # text is the literal itself, else (interpolations changed its length) at the literal's start.
        exact = "${" not in text and "%{" not in text
        return PStr(value, index_loc=index_loc if exact else (lambda i: index_loc(0)))
    return value


def _parse_expression(text: str, at: Loc, src: JsonSource) -> tuple[Any, Source]:
    index_loc = _index_loc(at, src)
    sub = _StringSource(src.file, index_loc, -4)
    sub.text = "x = " + text + "\n"
    try:
        tree = parse(sub.text, src.file)
    except InputError as exc:
        where = index_loc(max((exc.place.column or 5) - 5, 0) if exc.place and exc.place.line == 1 else 0)
        raise InputError(exc.message.replace("invalid HCL", "invalid expression"),
                         Place(where.file, where.line, where.column)) from None
    return kids(kids(kids(tree)[0])[0])[-1], sub


# --- block structure --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Schema:
    """What a block body holds: nested block types, and how arguments are read (default: expressions)."""

    blocks: Mapping[str, "Nested"] = field(default_factory=dict)
    modes: Mapping[str, str] = field(default_factory=dict)
    default: str = TEMPLATE
    dynamic: bool = False  # `dynamic "x"` blocks may generate nested blocks (resource and data bodies)


@dataclass(frozen=True)
class Nested:
    labels: tuple[str, ...]  # the labels' names, for messages
    schema: Schema
    # Terraform's own block types must be objects; a provider's (taken from its documentation) that is not
    # shaped like blocks is read as an argument rather than rejected on s3audit's word.
    strict: bool = True


_CONDITION = Schema()
_CONNECTION = Schema(modes={"type": LITERAL})
_LIFECYCLE = Schema(modes={"ignore_changes": REFERENCE, "replace_triggered_by": REFERENCE},
                    blocks={"precondition": Nested((), _CONDITION), "postcondition": Nested((), _CONDITION)})
_REFS = {"provider": REFERENCE, "depends_on": REFERENCE}
_ANY_NESTED = Schema(dynamic=True)

# Nested block types of the resources and data sources s3audit reads, as the AWS provider documents them
# (https://registry.terraform.io/providers/hashicorp/aws/latest/docs); a name maps to its own nested blocks.
_FILTER = {"and": {}, "tag": {}}
AWS_NESTED_BLOCKS: dict[str, dict] = {
    "aws_s3_bucket": {
        "versioning": {}, "logging": {}, "grant": {}, "cors_rule": {}, "website": {}, "timeouts": {},
        "server_side_encryption_configuration": {"rule": {"apply_server_side_encryption_by_default": {}}},
        "lifecycle_rule": {"expiration": {}, "transition": {}, "noncurrent_version_expiration": {},
                           "noncurrent_version_transition": {}},
        "replication_configuration": {"rules": {
            "destination": {"access_control_translation": {}, "metrics": {}, "replication_time": {}},
            "filter": {}, "source_selection_criteria": {"sse_kms_encrypted_objects": {}}}},
        "object_lock_configuration": {"rule": {"default_retention": {}}},
    },
    "aws_s3_bucket_acl": {"access_control_policy": {"grant": {"grantee": {}}, "owner": {}}},
    "aws_s3_bucket_ownership_controls": {"rule": {}},
    "aws_s3_bucket_server_side_encryption_configuration": {"rule": {"apply_server_side_encryption_by_default": {}}},
    "aws_s3_bucket_versioning": {"versioning_configuration": {}},
    "aws_s3_bucket_logging": {"target_grant": {"grantee": {}},
                              "target_object_key_format": {"partitioned_prefix": {}, "simple_prefix": {}}},
    "aws_s3_bucket_lifecycle_configuration": {"timeouts": {}, "rule": {
        "filter": _FILTER, "expiration": {}, "transition": {}, "noncurrent_version_expiration": {},
        "noncurrent_version_transition": {}, "abort_incomplete_multipart_upload": {}}},
    "aws_s3_bucket_object_lock_configuration": {"rule": {"default_retention": {}}},
    "aws_s3_bucket_replication_configuration": {"rule": {
        "destination": {"access_control_translation": {}, "encryption_configuration": {},
                        "metrics": {"event_threshold": {}}, "replication_time": {"time": {}}},
        "filter": _FILTER, "delete_marker_replication": {}, "existing_object_replication": {},
        "source_selection_criteria": {"replica_modifications": {}, "sse_kms_encrypted_objects": {}}}},
    "aws_s3_bucket_website_configuration": {
        "index_document": {}, "error_document": {}, "redirect_all_requests_to": {},
        "routing_rule": {"condition": {}, "redirect": {}}},
    "aws_s3_access_point": {"vpc_configuration": {}, "public_access_block_configuration": {}},
    "aws_iam_role": {"inline_policy": {}},
}
AWS_NESTED_DATA_BLOCKS: dict[str, dict] = {
    "aws_iam_policy_document": {"statement": {"principals": {}, "not_principals": {}, "condition": {}}},
}
AWS_PROVIDER_BLOCKS = {"default_tags": {}, "assume_role": {}, "assume_role_with_web_identity": {},
                       "endpoints": {}, "ignore_tags": {}}


def _provider_nested(tree: dict) -> dict[str, Nested]:
    return {name: Nested((), Schema(blocks=_provider_nested(sub), dynamic=True), strict=False)
            for name, sub in tree.items()}


def _resource_schema(rtype: str) -> Schema:
    return Schema(blocks={"lifecycle": Nested((), _LIFECYCLE), "provisioner": Nested(
        ("type",), Schema(blocks={"connection": Nested((), _CONNECTION)})), "connection": Nested((), _CONNECTION),
        **_provider_nested(AWS_NESTED_BLOCKS.get(rtype, {}))}, modes=_REFS, dynamic=True)


def _data_schema(dtype: str) -> Schema:
    return Schema(blocks={"lifecycle": Nested((), _LIFECYCLE),
                          **_provider_nested(AWS_NESTED_DATA_BLOCKS.get(dtype, {}))}, modes=_REFS, dynamic=True)


_LITERAL_BODY = Schema(default=LITERAL)
_TOP_LABELS: dict[str, tuple[str, ...]] = {
    "resource": ("type", "name"), "data": ("type", "name"), "ephemeral": ("type", "name"),
    "variable": ("name",), "output": ("name",), "module": ("name",), "provider": ("name",), "check": ("name",),
    "locals": (), "terraform": (), "moved": (), "import": (), "removed": (),
}


def _top_schema(btype: str, labels: list[str]) -> Schema:
    if btype == "resource":
        return _resource_schema(labels[0])
    if btype in ("data", "ephemeral"):
        return _data_schema(labels[0])
    if btype == "variable":
        return Schema(default=LITERAL, blocks={"validation": Nested((), _CONDITION)})
    if btype == "output":
        return Schema(modes={"description": LITERAL, "sensitive": LITERAL, "ephemeral": LITERAL,
                             "depends_on": REFERENCE}, blocks={"precondition": Nested((), _CONDITION)})
    if btype == "module":
        return Schema(modes={"source": LITERAL, "version": LITERAL, "providers": LITERAL, "depends_on": REFERENCE})
    if btype == "provider":
        return Schema(modes={"alias": LITERAL, "version": LITERAL},
                      blocks=_provider_nested(AWS_PROVIDER_BLOCKS) if labels[0] == "aws" else {})
    if btype == "terraform":
        return Schema(default=LITERAL, blocks={
            "backend": Nested(("type",), _LITERAL_BODY), "required_providers": Nested((), _LITERAL_BODY),
            "provider_meta": Nested(("provider",), _LITERAL_BODY),
            "cloud": Nested((), Schema(default=LITERAL, blocks={"workspaces": Nested((), _LITERAL_BODY)}))})
    if btype in ("moved", "removed"):
        return Schema(modes={"from": REFERENCE, "to": REFERENCE}, blocks={"lifecycle": Nested((), _LIFECYCLE)})
    if btype == "import":
        return Schema(modes={"to": REFERENCE, "provider": REFERENCE})
    if btype == "check":
        return Schema(blocks={"data": Nested(("type", "name"), _data_schema("")), "assert": Nested((), _CONDITION)})
    return Schema()  # locals: arguments only


def _header(btype: str, labels: list[str]) -> str:
    return "`" + " ".join([btype] + [json.dumps(x) for x in labels]) + "`"


class _Reader:
    def __init__(self, src: JsonSource):
        self.src = src

    @staticmethod
    def fail(at: Loc, message: str) -> InputError:
        return InputError(message, Place(at.file, at.line, at.column))

    @staticmethod
    def at(value: Any, fallback: Loc) -> Loc:
        return getattr(value, "pos", None) or fallback

    def props(self, value: Any, loc: Loc, what: str) -> list[tuple[str, Any, Loc]]:
        """The properties of an object, or of each object of an array (HCL reads both the same way)."""
        if value is None:
            return []
        objects = [value] if isinstance(value, dict) else value if isinstance(value, list) else None
        if objects is None:
            raise self.fail(self.at(value, loc), f"invalid Terraform JSON: expected an object or an array of objects {what}")
        out = []
        for obj in objects:
            if not isinstance(obj, dict):
                raise self.fail(self.at(obj, self.at(value, loc)), f"invalid Terraform JSON: expected an object {what}")
            out.extend((k, v, obj.key_pos.get(k, loc)) for k, v in obj.items())
        return out

    def unpack(self, value: Any, btype: str, label_names: tuple[str, ...], loc: Loc) -> list[tuple[list[str], Any, Loc]]:
        """(labels, body, position) of each block a property's value stands for."""
        if label_names:
            props = self.props(value, loc, f"naming the {label_names[0]} of a `{btype}` block")
            if not props:
                raise self.fail(self.at(value, loc),
                                f"invalid Terraform JSON: a `{btype}` block needs a property naming its {label_names[0]}")
            out = []
            for name, v, k in props:
                out.extend(([name] + labels, body, at) for labels, body, at in self.unpack(v, btype, label_names[1:], k))
            return out
        if value is None:
            return []
        if isinstance(value, dict):
            return [([], value, loc)]
        if isinstance(value, list):
            for el in value:
                if not isinstance(el, dict):
                    raise self.fail(self.at(el, self.at(value, loc)),
                                    f"invalid Terraform JSON: expected an object for the body of a `{btype}` block")
            return [([], el, self.at(el, loc)) for el in value]
        raise self.fail(self.at(value, loc),
                        f"invalid Terraform JSON: expected an object or an array of objects for a `{btype}` block")

    def body(self, value: Any, schema: Schema, header: str, loc: Loc) -> tuple[dict[str, Attr], list[Block]]:
        attrs: dict[str, Attr] = {}
        blocks: list[Block] = []
        for name, v, k in self.props(value, loc, f"for the body of {header}"):
            if name == "//":  # a comment
                continue
            if name == "dynamic" and schema.dynamic:
                for labels, b, at in self.unpack(v, "dynamic", ("type",), k):
                    target = schema.blocks.get(labels[0])
                    inner = Schema(modes={"iterator": LITERAL}, blocks={
                        "content": Nested((), target.schema if target is not None else _ANY_NESTED)})
                    a, bl = self.body(b, inner, _header("dynamic", labels), at)
                    blocks.append(Block("dynamic", labels, at, self.src, a, bl))
                continue
            nested = schema.blocks.get(name)
            if nested is not None and (nested.strict or _block_shaped(v)):
                for labels, b, at in self.unpack(v, name, nested.labels, k):
                    a, bl = self.body(b, nested.schema, _header(name, labels), at)
                    blocks.append(Block(name, labels, at, self.src, a, bl))
                continue
            if name in attrs:
                raise self.fail(k, f"attribute `{name}` is set twice in the same block")
            mode = schema.modes.get(name, schema.default)
            if mode == REFERENCE:  # never evaluated (depends_on, provider...), but Terraform parses them
                self.check_references(v, k)
            attrs[name] = Attr(name, JsonExpr(v, k, mode, self.src), k, self.src)
        return attrs, blocks


    def check_references(self, v: Any, loc: Loc) -> None:
        if isinstance(v, str):
            _parse_expression(str(v), self.at(v, loc), self.src)
        elif isinstance(v, list):
            for x in v:
                self.check_references(x, self.at(v, loc))


def _block_shaped(v: Any) -> bool:
    return v is None or isinstance(v, dict) or (isinstance(v, list) and all(isinstance(x, dict) for x in v))


def read_config(text: str, file: str) -> list[Block]:
    """The top-level blocks of one ``.tf.json`` file; malformed JSON or a wrong shape is an InputError."""
    src = JsonSource(file, text)
    root = parse_json_with_positions(text, file, string_pos=True)
    reader = _Reader(src)
    out: list[Block] = []
    for name, value, k in reader.props(root, Loc(file, 1, 1), "at the top level of a Terraform JSON configuration"):
        if name == "//" or name not in _TOP_LABELS:  # comments; block types s3audit does not know are not read
            continue
        for labels, body, at in reader.unpack(value, name, _TOP_LABELS[name], k):
            attrs, blocks = reader.body(body, _top_schema(name, labels), _header(name, labels), at)
            out.append(Block(name, labels, at, src, attrs, blocks))
    return out


def read_values(text: str, file: str) -> list[Attr]:
    """The variable values of one ``.tfvars.json`` file (taken literally, as Terraform reads them)."""
    src = JsonSource(file, text)
    root = parse_json_with_positions(text, file, string_pos=True)
    attrs: dict[str, Attr] = {}
    for name, value, k in _Reader(src).props(root, Loc(file, 1, 1), "at the top level of a variables file"):
        if name == "//":
            continue
        if name in attrs:  # only possible across the objects of an array
            raise _Reader.fail(k, f"variable `{name}` is given twice in the same file")
        attrs[name] = Attr(name, JsonExpr(value, k, LITERAL, src), k, src)
    return list(attrs.values())
