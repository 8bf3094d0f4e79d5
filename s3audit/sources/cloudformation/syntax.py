"""Reading a CloudFormation template (YAML or JSON) into values that keep their positions.

YAML is composed with PyYAML (libyaml when present) into nodes, which keep the line and column of every
mapping, key and value, and converted here: the short intrinsic tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...)
become their long forms (``{"Ref": ...}``), timestamps stay the strings the template wrote (CloudFormation
reads ``Version: 2012-10-17`` as text). JSON templates are read by the position-keeping reader in
values.py.
"""
from __future__ import annotations

from typing import Any

from ...errors import InputError, Place
from ..values import Loc, PDict, PList, parse_json_with_positions

_SHORT_TAGS = {"Ref": "Ref", "Condition": "Condition"}
_FUNCTIONS = ("Sub", "GetAtt", "Join", "If", "Select", "Split", "FindInMap", "ImportValue", "Base64", "Equals",
              "Not", "And", "Or", "GetAZs", "Cidr", "Transform", "ToJsonString", "Length")


def read_template(text: str, file: str) -> PDict:
    """A template as PDict/PList with positions; syntax errors become InputError at file:line:column."""
    if text.lstrip().startswith("{"):
        doc = parse_json_with_positions(text, file)
    else:
        doc = _read_yaml(text, file)
    if not isinstance(doc, dict):
        raise InputError("a CloudFormation template is a mapping with a `Resources` section", Place(file, 1, 1))
    return doc


def _read_yaml(text: str, file: str) -> Any:
    import yaml
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader_cls)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "syntax error").strip()
        raise InputError(f"invalid YAML: {problem}", Place(file, mark.line + 1 if mark else None,
                                                           mark.column + 1 if mark else None)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {str(exc).splitlines()[0]}", Place(file)) from None
    if node is None:
        raise InputError("the template is empty", Place(file, 1, 1))
    return _Converter(file).convert(node)


class _Converter:
    def __init__(self, file: str):
        import yaml
        self.yaml = yaml
        self.file = file
        self.scalars = yaml.constructor.SafeConstructor()

    def loc(self, node) -> Loc:
        return Loc(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node) -> Any:
        y = self.yaml
        tag = node.tag or ""
        if tag.startswith("!"):
            name = tag[1:]
            if name not in _SHORT_TAGS and name not in _FUNCTIONS:
                raise InputError(f"unknown tag `{tag}`", Place(self.file, *self.loc(node)[1:]))
            if isinstance(node, y.ScalarNode):
                inner: Any = node.value
                if name == "GetAtt":
                    inner = PList(inner.split(".", 1), pos=self.loc(node))
            else:
                inner = self.convert_plain(node)
            key = _SHORT_TAGS.get(name, f"Fn::{name}")
            out = PDict({key: inner}, pos=self.loc(node))
            out.key_pos[key] = self.loc(node)
            return out
        return self.convert_plain(node)

    def convert_plain(self, node) -> Any:
        y = self.yaml
        if isinstance(node, y.MappingNode):
            out = PDict(pos=self.loc(node))
            for k, v in node.value:
                if k.tag == "tag:yaml.org,2002:merge":
                    raise InputError("YAML merge keys (`<<`) are not supported in CloudFormation templates",
                                     Place(self.file, *self.loc(k)[1:]))
                key = self.convert(k)
                if not isinstance(key, (str, int, float, bool)):
                    raise InputError("a mapping key must be a plain value", Place(self.file, *self.loc(k)[1:]))
                key = str(key) if not isinstance(key, bool) else ("true" if key else "false")
                if key in out:
                    raise InputError(f"duplicate key `{key}`", Place(self.file, *self.loc(k)[1:]))
                out[key] = self.convert(v)
                out.key_pos[key] = self.loc(k)
            return out
        if isinstance(node, y.SequenceNode):
            return PList((self.convert(v) for v in node.value), pos=self.loc(node))
        tag = node.tag
        if tag == "tag:yaml.org,2002:str" or tag.startswith("tag:yaml.org,2002:timestamp"):
            return node.value
        if tag == "tag:yaml.org,2002:int":
            digits = node.value.lstrip("+-")
            if len(digits) > 1 and digits.startswith("0") and not digits.startswith(("0x", "0o", "0b")):
                return node.value  # "012345678901" is an account id, not YAML 1.1 octal
            return self.scalars.construct_yaml_int(node)
        if tag == "tag:yaml.org,2002:float":
            return self.scalars.construct_yaml_float(node)
        if tag == "tag:yaml.org,2002:bool":
            return self.scalars.construct_yaml_bool(node)
        if tag == "tag:yaml.org,2002:null":
            return None
        return node.value
