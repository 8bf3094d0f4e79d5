"""Reading a CloudFormation template (YAML or JSON) into values that keep their positions.

YAML is composed with PyYAML (libyaml when present) into nodes, which keep the line and column of every
mapping, key and value, and converted here: the short intrinsic tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...)
become their long forms (``{"Ref": ...}``), timestamps stay the strings the template wrote (CloudFormation
reads ``Version: 2012-10-17`` as text). JSON templates are read by the position-keeping reader in
values.py.

What CloudFormation does not accept is an input error at its place, never a crash or a hang: YAML aliases and
merge keys, and the ``!!binary``, ``!!omap``, ``!!pairs`` and ``!!set`` tags ("CloudFormation doesn't support the
following features", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html), which
also rules out alias bombs and aliases that contain themselves; values nested deeper than ``MAX_DEPTH``.
"""
from __future__ import annotations

from typing import Any

from ...errors import InputError, Place
from ..values import Loc, PDict, PList, Unknown, parse_json_with_positions

_SHORT_TAGS = {"Ref": "Ref", "Condition": "Condition"}
# Every short form CloudFormation documents: the intrinsic functions, the condition functions, the functions of the
# AWS::LanguageExtensions transform, and the rule functions of the `Rules` section.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-rules.html
_FUNCTIONS = ("Sub", "GetAtt", "Join", "If", "Select", "Split", "FindInMap", "ImportValue", "Base64", "Equals",
              "Not", "And", "Or", "GetAZs", "Cidr", "Transform", "ToJsonString", "Length", "ForEach",
              "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll")
# How deep a template's values may nest (a real one stays within about twenty levels).
MAX_DEPTH = 100


def read_template(text: str, file: str) -> PDict:
    """A template as PDict/PList with positions; syntax errors become InputError at file:line:column."""
    # A `.yaml`/`.yml` file is YAML even in flow style (`{Resources: ...}`); otherwise JSON when it looks like it.
    is_yaml = file.lower().endswith((".yaml", ".yml"))
    if not is_yaml and text.lstrip().startswith("{"):
        doc = parse_json_with_positions(text, file, max_depth=MAX_DEPTH)
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
    return _Converter(file, text).convert(node, 0)


class _Converter:
    def __init__(self, file: str, text: str):
        import yaml
        self.yaml = yaml
        self.file = file
        self.text = text
        self.scalars = yaml.constructor.SafeConstructor()
        self.seen: set[int] = set()  # every node converted: meeting one again means an alias

    def loc(self, node) -> Loc:
        return Loc(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def place(self, node) -> Place:
        return Place(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node, depth: int) -> Any:
        if id(node) in self.seen:
            raise InputError("YAML aliases (`*name`) are not supported in CloudFormation templates",
                             self._alias_place() or self.place(node))
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise InputError(f"values nested more than {MAX_DEPTH} deep", self.place(node))
        y = self.yaml
        tag = node.tag or ""
        if tag.startswith("!") and not tag.startswith("!!"):
            name = tag[1:]
            if name not in _SHORT_TAGS and name not in _FUNCTIONS:
                raise InputError(f"unknown tag `{tag}`", self.place(node))
            if isinstance(node, y.ScalarNode):
                inner: Any = node.value
                if name == "GetAtt":
                    inner = PList(inner.split(".", 1), pos=self.loc(node))
            else:
                inner = self.convert_plain(node, depth)
            key = _SHORT_TAGS.get(name, f"Fn::{name}")
            out = PDict({key: inner}, pos=self.loc(node))
            out.key_pos[key] = self.loc(node)
            return out
        return self.convert_plain(node, depth)

    def convert_plain(self, node, depth: int) -> Any:
        y = self.yaml
        if isinstance(node, y.MappingNode):
            self._check_collection_tag(node, "map")
            out = PDict(pos=self.loc(node))
            for k, v in node.value:
                if k.tag == "tag:yaml.org,2002:merge":
                    raise InputError("YAML merge keys (`<<`) are not supported in CloudFormation templates",
                                     self.place(k))
                if not isinstance(k, y.ScalarNode):
                    raise InputError("a mapping key must be a plain value", self.place(k))
                key = self.convert(k, depth + 1)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    raise InputError("a mapping key must be a plain value", self.place(k))
                key = str(key) if not isinstance(key, bool) else ("true" if key else "false")
                if key in out:
                    if depth == 0:  # a section twice: "undefined behavior" (template-formats.html)
                        raise InputError(f"duplicate key `{key}`", self.place(k))
                    # CloudFormation deploys templates with a key written twice, but which value it keeps is not
                    # documented: the value is unknown (confined to the statement or property it is in), never
                    # a guess that could hide the statement that matters
                    first = out.key_pos[key]
                    self.convert(v, depth + 1)  # still checked as YAML CloudFormation reads
                    out[key] = Unknown(f"`{key}` is written twice (lines {first.line} and {k.start_mark.line + 1}); "
                                       "which value CloudFormation keeps is not documented")
                    out.key_pos[key] = self.loc(k)
                    continue
                out[key] = self.convert(v, depth + 1)
                out.key_pos[key] = self.loc(k)
            return out
        if isinstance(node, y.SequenceNode):
            self._check_collection_tag(node, "seq")
            return PList((self.convert(v, depth + 1) for v in node.value), pos=self.loc(node))
        tag = node.tag or ""
        if tag == "tag:yaml.org,2002:str" or tag.startswith("tag:yaml.org,2002:timestamp"):
            return node.value
        try:
            if tag == "tag:yaml.org,2002:int":
                digits = node.value.lstrip("+-")
                if len(digits) > 1 and digits.startswith("0") and not digits.startswith(("0x", "0o", "0b")):
                    return node.value  # "012345678901" is an account id, not YAML 1.1 octal
                return self.scalars.construct_yaml_int(node)
            if tag == "tag:yaml.org,2002:float":
                return self.scalars.construct_yaml_float(node)
            if tag == "tag:yaml.org,2002:bool":
                return self.scalars.construct_yaml_bool(node)
        except (ValueError, KeyError, IndexError, y.YAMLError):  # `!!int abc`, `!!int -`, `!!bool maybe`
            raise InputError(f"`{node.value[:40]}` is not a valid `{tag.rsplit(':', 1)[-1]}`", self.place(node)) \
                from None
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag.startswith("tag:yaml.org,2002:"):
            raise InputError(f"the YAML tag `!!{tag.rsplit(':', 1)[-1]}` is not supported in CloudFormation templates",
                             self.place(node))
        return node.value

    def _check_collection_tag(self, node, kind: str) -> None:
        tag = node.tag or ""
        plain = "tag:yaml.org,2002:" + kind
        if tag != plain and not (tag.startswith("!") and not tag.startswith("!!")):
            short = tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag
            raise InputError(f"the YAML tag `!!{short}` is not supported in CloudFormation templates"
                             if tag.startswith("tag:yaml.org,2002:") else f"unknown tag `{tag}`", self.place(node))

    def _alias_place(self) -> Place | None:
        """Where the first alias of the text is (composed nodes do not keep where an alias was written)."""
        y = self.yaml
        try:
            for event in y.parse(self.text, Loader=getattr(y, "CSafeLoader", y.SafeLoader)):
                if isinstance(event, y.AliasEvent):
                    return self.place(event)
        except y.YAMLError:
            return None
        return None
