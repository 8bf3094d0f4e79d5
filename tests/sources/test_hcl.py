"""The HCL evaluator: Terraform's expression semantics on python-hcl2's tree.

https://developer.hashicorp.com/terraform/language/expressions
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3audit.sources.hcl import EvalError, Resolver, Scope, Source, evaluate, kids, parse
from s3audit.sources.values import PStr, Unknown


class Names(Resolver):
    def __init__(self, **names):
        self.names = names

    def root(self, name, scope, node):
        if name in self.names:
            return self.names[name]
        raise EvalError(f"unknown `{name}`")


def ev(expr: str, **names):
    text = f"x = {expr}\n"
    tree = parse(text, "t.tf")
    node = kids(kids(kids(tree)[0])[0])[-1]
    return evaluate(node, Scope(Names(**names), Source("t.tf", text)))


@pytest.mark.parametrize("expr, value", [
    ('"a-${1 + 2}-b"', "a-3-b"),
    ('"${[1, 2]}"', [1, 2]),  # a template that is one interpolation is the value itself
    ('"$${literal}"', "${literal}"),
    ('"tab\\tquote\\""', 'tab\tquote"'),
    ("true ? \"yes\" : \"no\"", "yes"),
    ("!false && 3 > 2", True),
    ("10 % 4 * 2", 4),
    ('[for s in ["a", "b", ""] : upper(s) if s != ""]', ["A", "B"]),
    ('{for k, v in {a = 1, b = 2} : v => k}', {"1": "a", "2": "b"}),
    ('{for s in ["a", "a", "b"] : s => s...}', {"a": ["a", "a"], "b": ["b"]}),
    ('[{a = 1}, {a = 2}][*].a', [1, 2]),
    ('{ "data-class" = "pci", plain = 1, (upper("k")) = 2 }', {"data-class": "pci", "plain": 1, "K": 2}),
    ('jsondecode(jsonencode({a = [1, "x"]}))', {"a": [1, "x"]}),
    ('format("%s-%03d", "n", 7)', "n-007"),
    ('join(",", concat(["a"], ["b"]))', "a,b"),
    ('merge({a = 1}, {a = 2, b = 3})', {"a": 2, "b": 3}),
    ('lookup({a = 1}, "b", 9)', 9),
    ('replace("a.b.c", ".", "-")', "a-b-c"),
    ('replace("a1b22", "/[0-9]+/", "#")', "a#b#"),
    ('try(nope.x, "fallback")', "fallback"),
    ('can(nope.x)', False),
    ('coalesce("", "x")', "x"),
    ('element(["a", "b"], 3)', "b"),
    ('toset(["b", "a", "b"])', ["a", "b"]),
    ('length({a = 1, b = 2})', 2),
    ("-1.5e1", -15.0),
])
def test_expressions(expr, value):
    assert ev(expr) == value


def test_unknown_propagates_with_its_reason():
    u = Unknown("`aws_kms_key.k.arn` is known only after apply")
    for expr in ('"${k}/x"', "upper(k)", "k == \"a\"", "[for x in k : x]", "k ? 1 : 2", "jsonencode({a = k})"):
        got = ev(expr, k=u)
        assert isinstance(got, Unknown) and "aws_kms_key.k.arn" in got.reason, expr
    # a decided branch does not need the unknown one; false && unknown is false
    assert ev('true ? "x" : k', k=u) == "x"
    assert ev("false && k", k=u) is False and ev("k || true", k=u) is True


def test_expressions_terraform_would_reject_are_unknown_with_the_reason():
    got = ev("{a = 1}.b")
    assert isinstance(got, Unknown) and "no attribute `b`" in got.reason
    assert isinstance(ev("[1][5]"), Unknown)
    assert "not evaluated" in ev("sha256(\"x\")").reason


def test_heredoc_text_keeps_its_position_for_json_documents():
    text = 'x = <<EOT\n{\n  "a": "${v}"\n}\nEOT\n'
    tree = parse(text, "t.tf")
    node = kids(kids(kids(tree)[0])[0])[-1]
    got = evaluate(node, Scope(Names(v="1"), Source("t.tf", text)))
    assert isinstance(got, PStr) and got.pos.line == 2 and json.loads(got) == {"a": "1"}
    text = 'x = <<-EOT\n    indented\n      more\n    EOT\n'
    tree = parse(text, "t.tf")
    node = kids(kids(kids(tree)[0])[0])[-1]
    assert evaluate(node, Scope(Names(), Source("t.tf", text))) == "indented\n  more\n"


# A property: any JSON-like value written as an HCL literal evaluates back to itself.
scalars = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\$%'), max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(alphabet="abcxyz-_", min_size=1, max_size=5), inner, max_size=4)),
    max_leaves=12)


def to_hcl(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, str)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(to_hcl(x) for x in v) + "]"
    return "{" + ", ".join(f'"{k}" = {to_hcl(x)}' for k, x in v.items()) + "}"


@settings(max_examples=60, deadline=None)
@given(values)
def test_literals_round_trip(v):
    assert ev(to_hcl(v)) == v
    assert json.loads(ev(f"jsonencode({to_hcl(v)})")) == v
