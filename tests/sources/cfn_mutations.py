"""Hypothesis strategies that mutate CloudFormation templates into the bad, odd and hostile inputs a reader meets.

The seeds are the templates of ``fixtures/cloudformation/`` (SAM ones included), read into plain values with
intrinsics in their long form. A mutation picks a place in the tree and deletes a key, swaps a value for one of
another type (list, string, map, number, null), wraps it in an intrinsic function (one CloudFormation has, with
any arity, or one it has not), nests it thousands deep, makes it huge, renames a key, changes a resource's type,
or points a reference elsewhere. The result is written as JSON, as YAML in flow style with the short tags
(``!Ref``, ``!Sub`` ...), or as YAML with constructs only YAML has: anchors and aliases (an alias bomb, a
self-referencing alias), merge keys, unknown and Python tags, binary scalars.

Used by the fuzz test (``tests/sources/test_cloudformation_fuzz.py``) and the crash-site survey
(``bench/cfn_fuzz.py``).
"""
from __future__ import annotations

import glob
import json
import os
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED_DIR = os.path.join(ROOT, "fixtures", "cloudformation")

INTRINSICS = ("Ref", "Condition", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::If",
              "Fn::FindInMap", "Fn::Base64", "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Fn::ImportValue",
              "Fn::GetAZs", "Fn::Cidr", "Fn::Transform", "Fn::ToJsonString", "Fn::Length", "Fn::ForEach",
              "Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn", "Fn::RefAll", "Fn::ValueOf",
              "Fn::ValueOfAll", "Fn::Bogus", "Fn::", "Ref::")
RESOURCE_TYPES = ("AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::S3::AccessPoint", "AWS::IAM::Role",
                  "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group",
                  "AWS::IAM::UserToGroupAddition", "AWS::Serverless::Function", "AWS::Serverless::StateMachine",
                  "AWS::Serverless::Connector", "AWS::Serverless::Application", "AWS::Lambda::Function",
                  "AWS::SQS::Queue", "Custom::Thing", "AWS::Nope::Nope")
PSEUDO = ("AWS::AccountId", "AWS::Region", "AWS::StackName", "AWS::NoValue", "AWS::Partition", "AWS::StackId",
          "AWS::URLSuffix", "AWS::NotificationARNs")


class Tagged:
    """A YAML node with an explicit tag, written as ``!tag value`` (only in YAML output)."""

    def __init__(self, tag: str, value: Any):
        self.tag, self.value = tag, value


class RawYaml:
    """YAML text put in place of a value as it is (anchors, aliases, merge keys ...)."""

    def __init__(self, text: str):
        self.text = text


@lru_cache(maxsize=None)
def _seed_texts() -> tuple[tuple[str, str], ...]:
    out = []
    for path in sorted(glob.glob(os.path.join(SEED_DIR, "*.yaml")) + glob.glob(os.path.join(SEED_DIR, "*.json"))):
        with open(path, encoding="utf-8") as fh:
            out.append((os.path.basename(path), fh.read()))
    return tuple(out)


def seed_names() -> list[str]:
    return [name for name, _ in _seed_texts()]


@lru_cache(maxsize=None)
def _seed(name: str) -> str:
    """A seed template as JSON text of its plain values (parsed once; each example gets a fresh copy)."""
    from s3audit.sources.cloudformation import read_template
    from s3audit.sources.values import plain
    text = dict(_seed_texts())[name]
    return json.dumps(plain(read_template(text, name)))


def seed(name: str) -> Any:
    return json.loads(_seed(name))


# --- values of every type ------------------------------------------------------------------------------------

_names = st.sampled_from(["Bucket", "Role", "Policy", "Logs", "Data", "Exchange", "IsProd", "Env", "Stage", "",
                          "AWS::NoValue", "AWS::Region", "AWS::StackName", "Bucket.Arn", "Role.Arn", "x.y.z"])
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), _names,
    st.text(max_size=30), st.sampled_from(["${AWS::Region}", "${Missing}", "${!Literal}", "${", "}", "${Bucket.Arn}",
                                           "arn:aws:s3:::b/*", "*", "s3:*", "2012-10-17", "Allow", "Deny",
                                           "true", "false", "012345678901", "0x1F", "1e400", "-0", ".nan"]))


def any_value(depth: int = 2) -> st.SearchStrategy:
    if depth <= 0:
        return _scalars
    inner = any_value(depth - 1)
    return st.one_of(
        _scalars,
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(_names, st.text(max_size=8)), inner, max_size=4),
        st.builds(lambda fn, arg: {fn: arg}, st.sampled_from(INTRINSICS), inner),
    )


# --- paths into the tree -------------------------------------------------------------------------------------

def _places(tree: Any, max_depth: int = 40) -> list[tuple]:
    """Every path to a value in the tree (the root excluded), down to ``max_depth`` (the deep values other
    mutations make are not walked to the bottom)."""
    out = []
    todo = [((), tree)]
    while todo:
        prefix, node = todo.pop()
        if len(prefix) >= max_depth:
            continue
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            out.append(prefix + (k,))
            todo.append((prefix + (k,), v))
    return out


def _get(tree: Any, path: tuple) -> Any:
    for step in path:
        tree = tree[step]
    return tree


def _set(tree: Any, path: tuple, value: Any) -> None:
    _get(tree, path[:-1])[path[-1]] = value


# --- mutations -----------------------------------------------------------------------------------------------

def _deep(kind: str, depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        if kind == "list":
            value = [value]
        elif kind == "map":
            value = {"k": value}
        elif kind == "if":
            value = {"Fn::If": ["IsProd", value, value]} if depth < 12 else {"Fn::If": ["IsProd", value, "x"]}
        elif kind == "join":
            value = {"Fn::Join": ["", [value]]}
        else:
            value = {"Fn::Select": [0, [value]]}
    return value


@st.composite
def mutation(draw, tree: Any) -> Any:
    """Apply one mutation to ``tree`` in place (and return the tree, which the root mutations replace)."""
    places = _places(tree)
    op = draw(st.sampled_from(["delete", "swap", "wrap", "arity", "deep", "huge", "rename", "retype", "reref",
                               "tag", "raw", "swap", "wrap", "delete", "unknown", "unknown", "unknown", "scalar",
                               "scalar"]))
    if not places:
        return draw(any_value())
    path = draw(st.sampled_from(places))
    parent = _get(tree, path[:-1])
    here = parent[path[-1]]
    if op == "delete":
        if isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
    elif op == "swap":
        _set(tree, path, draw(any_value()))
    elif op == "wrap":
        fn = draw(st.sampled_from(INTRINSICS))
        shape = draw(st.sampled_from(["bare", "list1", "list2", "list3", "list4", "map"]))
        arg: Any = {"bare": here, "list1": [here], "list2": [here, here], "list3": ["IsProd", here, here],
                    "list4": [here, here, here, here], "map": {"Key": here}}[shape]
        _set(tree, path, {fn: arg})
    elif op == "arity":
        fn = draw(st.sampled_from(INTRINSICS))
        _set(tree, path, {fn: draw(st.lists(any_value(1), max_size=5))})
    elif op == "deep":
        kind = draw(st.sampled_from(["list", "map", "if", "join", "select"]))
        depth = draw(st.sampled_from([50, 300, 1200, 5000]))
        _set(tree, path, _deep(kind, depth, here if not isinstance(here, (dict, list)) else "x"))
    elif op == "huge":
        unit = draw(st.sampled_from(["x", "${AWS::Region}", "${", "a.", "*a", "\u00e9", "${Missing}"]))
        _set(tree, path, unit * draw(st.sampled_from([10_000, 200_000])))
    elif op == "rename" and isinstance(parent, dict):
        new = draw(st.one_of(_names, st.sampled_from(["Type", "Properties", "Condition", "Statement", "Fn::If",
                                                      "Ref", "DependsOn", "Metadata", "1", "true"])))
        if new not in parent:
            parent[new] = parent.pop(path[-1])
    elif op == "retype":
        resources = tree.get("Resources") if isinstance(tree, dict) else None
        if isinstance(resources, dict) and resources:
            logical = draw(st.sampled_from(sorted(resources)))
            if isinstance(resources[logical], dict):
                resources[logical]["Type"] = draw(st.sampled_from(RESOURCE_TYPES))
    elif op == "reref":
        targets = [k for section in ("Resources", "Parameters") if isinstance(tree, dict)
                   and isinstance(tree.get(section), dict) for k in tree[section]]
        name = draw(st.sampled_from(targets + list(PSEUDO) + ["Missing"]))
        form = draw(st.sampled_from(["Ref", "GetAtt", "GetAttStr", "Sub"]))
        attr = draw(st.sampled_from(["Arn", "DomainName", "RegionalDomainName", "Name", "PolicyArn", "Nope"]))
        _set(tree, path, {"Ref": name} if form == "Ref" else {"Fn::GetAtt": [name, attr]} if form == "GetAtt"
             else {"Fn::GetAtt": f"{name}.{attr}"} if form == "GetAttStr" else {"Fn::Sub": f"x-${{{name}}}-y"})
    elif op == "tag":
        tag = draw(st.sampled_from(["!Ref", "!Sub", "!GetAtt", "!If", "!Join", "!Select", "!Split", "!Equals",
                                    "!Condition", "!Base64", "!FindInMap", "!ImportValue", "!GetAZs", "!Cidr",
                                    "!ToJsonString", "!Length", "!ForEach", "!ValueOf", "!Contains", "!Foo",
                                    "!!binary", "!!python/object:os.system", "!!set", "!!omap", "!!timestamp",
                                    "!!float", "!!int", "!!str", "!!null", "!!bool", "!<tag:yaml.org,2002:str>"]))
        value = draw(st.one_of(st.just(here if not isinstance(here, (dict, list)) else "x"), any_value(1)))
        _set(tree, path, Tagged(tag, value))
    elif op == "raw":
        _set(tree, path, RawYaml(draw(st.sampled_from(_RAW))))
    elif op == "scalar" and not isinstance(here, (dict, list)):
        _set(tree, path, draw(_scalars))
    elif op == "unknown" and isinstance(tree, dict):
        # a value only a deployment knows, where the template had one it knows: the reader must carry it
        _undecided_condition(tree)
        _set(tree, path, draw(st.sampled_from([
            {"Fn::ImportValue": "shared-value"}, {"Ref": "AWS::StackName"}, {"Ref": "NoDefault"},
            {"Fn::Sub": "${AWS::StackName}-${NoDefault}"}, {"Fn::GetAZs": ""},
            {"Fn::If": ["Undecided", here, {"Ref": "AWS::NoValue"}]},
            {"Fn::If": ["Undecided", here, "other"]},
            {"Fn::Select": [0, {"Fn::GetAZs": ""}]}])))
    return tree


def _undecided_condition(tree: dict) -> None:
    """A parameter without default and a condition that depends on it (so an `Fn::If` on it is undecided)."""
    params = tree.get("Parameters")
    if not isinstance(params, dict):
        params = tree["Parameters"] = {}
    params.setdefault("NoDefault", {"Type": "String"})
    conditions = tree.get("Conditions")
    if not isinstance(conditions, dict):
        conditions = tree["Conditions"] = {}
    conditions.setdefault("Undecided", {"Fn::Equals": [{"Ref": "NoDefault"}, "prod"]})


_RAW = [
    "&a [*a]",                      # an alias inside its own anchor
    "*nowhere",                     # an alias to no anchor
    "&x {a: 1, <<: *x}",            # a merge key referring to itself
    "{<<: {Type: 'AWS::S3::Bucket'}}",
    "!!binary aGVsbG8=",
    "!!python/object/apply:os.system ['true']",
    "2001-12-14t21:59:43.10-05:00",
    "0o17", "0x_1F", "+.inf", "-.Inf", ".NaN", "~", "1_000", "0b1010", "12:30:00", "=", "<<",
    "? [a, b]\n: c",                # a complex (sequence) key
    "{[1, 2]: x}",
    "{null: x}", "{1.5: x}", "{true: x, True: y}",
    "|\n  a literal block\n  on two lines",
    "'\t tabs \t'",
    "\"\\ud800 lone surrogate\"",
]


@st.composite
def mutated_template(draw, names: list[str] | None = None) -> tuple[str, str, str]:
    """(seed name, format "json" | "yaml", text) of a seed mutated 1-4 times."""
    name = draw(st.sampled_from(names or seed_names()))
    tree = seed(name)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        tree = draw(mutation(tree))
    fmt = draw(st.sampled_from(["json", "yaml", "yaml", "yaml-bomb"]))
    if fmt == "json":
        text = to_json(tree)
    elif fmt == "yaml":
        text = to_yaml(tree, short_tags=draw(st.booleans()))
    else:
        fmt = "yaml"
        if isinstance(tree, dict):
            tree = {"Metadata": RawYaml(alias_bomb(draw(st.sampled_from([3, 6, 9]))))} | tree
        text = to_yaml(tree, short_tags=True)
    return name, fmt, text


def alias_bomb(levels: int) -> str:
    """A flow mapping holding a billion-laughs alias expansion (``levels`` deep, width 9): a reader that expands
    aliases eagerly meets 9 ** levels values."""
    items = ["\"L0\": &L0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        items.append(f"\"L{i}\": &L{i} [" + ", ".join([f"*L{i - 1}"] * 9) + "]")
    return "{" + ", ".join(items) + "}"


_SHORT = {"Ref": "!Ref", "Condition": "!Condition"}


def to_json(value: Any) -> str:
    """JSON text (tags dropped, raw YAML as a string, NaN and infinities as Python's json writes them)."""
    return to_yaml(value, short_tags=False, json_only=True)


def to_yaml(value: Any, short_tags: bool = True, json_only: bool = False) -> str:
    """YAML in flow style (JSON with tags): intrinsics as short tags when ``short_tags``. Iterative, so values
    nested thousands deep are written too."""
    out: list[str] = []
    todo: list = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, _Text):
            out.append(item.text)
        elif isinstance(item, Tagged):
            if not json_only:
                out.append(item.tag + " ")
            todo.append(item.value)
        elif isinstance(item, RawYaml):
            out.append(item.text if "\n" not in item.text and not json_only else json.dumps(item.text))
        elif isinstance(item, dict):
            tag = _short_tag(item) if short_tags else None
            if tag is not None:
                out.append(tag + " ")
                todo.append(next(iter(item.values())))
                continue
            parts: list = [_Text("{")]
            for i, (k, v) in enumerate(item.items()):
                parts += [_Text((", " if i else "") + json.dumps(str(k)) + ": "), v]
            parts.append(_Text("}"))
            todo.extend(reversed(parts))
        elif isinstance(item, list):
            parts = [_Text("[")]
            for i, v in enumerate(item):
                parts += ([_Text(", ")] if i else []) + [v]
            parts.append(_Text("]"))
            todo.extend(reversed(parts))
        else:
            out.append(json.dumps(item) if json_only else _scalar(item))
    return "".join(out) + "\n"


class _Text:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _short_tag(value: dict) -> str | None:
    tag = _tag_name(value)
    if tag is None:
        return None
    (inner,) = value.values()
    if isinstance(inner, dict) and _tag_name(inner) is not None:
        return None  # a node has one tag: `!Length !Ref Teams` is not YAML, `{"Fn::Length": !Ref Teams}` is
    return tag


def _tag_name(value: dict) -> str | None:
    """The short tag of a one-key function mapping, looking no deeper (values nest thousands deep)."""
    if len(value) != 1:
        return None
    (k, v), = value.items()
    if not isinstance(v, (str, list, dict)) or not isinstance(k, str):
        return None
    if k in _SHORT:
        return _SHORT[k]
    return "!" + k[4:] if k.startswith("Fn::") and len(k) > 4 and "::" not in k[4:] else None


def _scalar(v: Any) -> str:
    if isinstance(v, float) and v != v:
        return ".nan"
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        return ".inf" if v > 0 else "-.inf"
    return json.dumps(v)
