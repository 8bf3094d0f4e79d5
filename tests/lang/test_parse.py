"""The rule language's parser: grammar, AST with spans, syntax errors as diagnostics.

Syntax-error cases are data (cases/parse_errors.yaml): each asserts the exact file:line:column, the
message and the plain-words hint.
"""
from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from s3audit.lang import ast as A
from s3audit.lang.diagnostics import Diagnostic, RuleSyntaxError
from s3audit.lang.parse import MAX_DEPTH, parse_rules
from s3audit.lang.types import RESERVED

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
PARSE_CASES = yaml.safe_load((HERE / "cases" / "parse_errors.yaml").read_text())


def expr_of(text: str) -> A.Expr:
    """The body of `def f() = TEXT`."""
    return parse_rules(f"def f() = {text}\n", "t.s3r").defs[0].body


def n(name: str) -> A.Name:
    return A.Name(name)


def binop(op, left, right) -> A.BinOp:
    return A.BinOp(op, left, right)


# ------------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("case", PARSE_CASES, ids=[c["name"] for c in PARSE_CASES])
def test_syntax_error(case):
    with pytest.raises(RuleSyntaxError) as info:
        parse_rules(case["source"], "r.s3r")
    got = [{"code": d.code, "at": str(d.span), "message": d.message, **({"hint": d.hint} if d.hint else {})}
           for d in info.value.diagnostics]
    assert got == case["expect"]


def test_syntax_error_renders_line_and_caret():
    with pytest.raises(RuleSyntaxError) as info:
        parse_rules('rule R "t"\n  severity high\n  for bucket b\n  require b.name "x"\n  message "m"\n', "r.s3r")
    assert str(info.value) == (
        'r.s3r:4:18: error: unexpected string `"x"`\n'
        '  require b.name "x"\n'
        '                 ^^^\n'
        "  expected an operator, a clause (`severity`, `for`, `require`, `message` ...) or a declaration "
        "(`rule`, `def`, `param` or `import`)")


def test_error_messages_follow_the_style_guide():
    """Lowercase, no trailing period, Lark's terminal names never shown."""
    for case in PARSE_CASES:
        for d in case["expect"]:
            for text in (d["message"], d.get("hint") or "x"):
                assert text[0].islower() or text[0] in "`\"", text
                assert not text.endswith("."), text
                assert not re.search(r"\b(_?[A-Z]{3,}|__ANON\w*|\$END)\b", re.sub(r"`[^`]*`", "", text)), text


def test_syntax_error_is_a_rule_error_with_a_place():
    from s3audit.errors import RuleError
    with pytest.raises(RuleError) as info:
        parse_rules("param x = 3\n", "rules/x.s3r")
    assert str(info.value.place) == "rules/x.s3r:1:9"


def test_diagnostic_rendering_matches_the_documented_form():
    """The form from RULE-LANGUAGE.md: the line dedented to two spaces, caret under the culprit."""
    line = "          require b.encrypton.algorithm == \"aws:kms\""
    d = Diagnostic("unknown-field", "bucket has no field `encrypton`",
                   A.Span("rules/pci-dss.s3r", 14, 21, 14, 30), hint="did you mean `encryption`?", line_text=line)
    assert d.render() == (
        "rules/pci-dss.s3r:14:21: error: bucket has no field `encrypton`\n"
        "  require b.encrypton.algorithm == \"aws:kms\"\n"
        "            ^^^^^^^^^\n"
        "  did you mean `encryption`?")


# -------------------------------------------------------------------------------------------- AST
def test_rule_file_structure():
    rf = parse_rules(
        'pack pci-dss "PCI DSS 4.0" "— cardholder data"\n  version "1.0.0"\n'
        'import "common.s3r"\n'
        'param trusted: set<string> = {"111122223333"}\n'
        'def cardholder(b: bucket) = b.tags["data-class"] == "pci"\n'
        'rule PCI-3.5.1 "Encrypted with KMS"\n'
        '  severity high\n'
        '  controls "PCI-DSS-4.0:3.5.1", "AWS-FSBP:S3.17"\n'
        '  rationale "why"\n'
        '  remediation "how"\n'
        '  for bucket b where cardholder(b)\n'
        '  require b.encryption.algorithm == "aws:kms"\n'
        '  message "{b.name} uses {b.encryption.algorithm}"\n', "rules/pci.s3r")
    assert rf.pack == A.PackDecl(A.Word("pci-dss"), A.Text("PCI DSS 4.0— cardholder data"), A.Text("1.0.0"))
    assert rf.imports == (A.ImportDecl(A.Text("common.s3r")),)
    assert rf.params == (A.ParamDecl(A.Word("trusted"), A.TypeExpr("set", (A.TypeExpr("string"),)),
                                     A.SetLit((A.StringLit("111122223333"),))),)
    bucket_b = A.DefParam(A.Word("b"), A.TypeExpr("bucket"))
    tag = A.Index(A.Field(n("b"), A.Word("tags")), A.StringLit("data-class"))
    assert rf.defs == (A.DefDecl(A.Word("cardholder"), (bucket_b,), binop("==", tag, A.StringLit("pci"))),)
    algorithm = A.Field(A.Field(n("b"), A.Word("encryption")), A.Word("algorithm"))
    assert rf.rules == (A.Rule(
        A.Word("PCI-3.5.1"), A.Text("Encrypted with KMS"), A.Word("high"),
        A.Subject(A.Word("bucket"), A.Word("b"), where=A.Call(A.Word("cardholder"), (A.Arg(None, n("b")),))),
        A.Require(binop("==", algorithm, A.StringLit("aws:kms"))),
        A.Template((A.Field(n("b"), A.Word("name")), " uses ", algorithm)),
        (A.Text("PCI-DSS-4.0:3.5.1"), A.Text("AWS-FSBP:S3.17")), A.Text("why"), A.Text("how")),)


def test_clauses_in_any_order_give_the_same_rule():
    a = parse_rules('rule R "t" severity low for bucket b require true message "m"', "a.s3r")
    b = parse_rules('rule R "t"\n message "m"\n require true\n for bucket b\n severity low\n', "b.s3r")
    assert a.rules == b.rules


def test_spans_do_not_take_part_in_equality_or_hashing():
    a = expr_of("b.name == \"x\"")
    b = parse_rules("\n\n   def g() =\n      b.name   ==   \"x\"", "other.s3r").defs[0].body
    assert a == b and hash(a) == hash(b)
    assert a.span != b.span


def test_spans_point_at_their_text():
    src = 'rule R "t"\n  severity high\n  for bucket b\n  require b.encryption.algorithm == "aws:kms"\n  message "x {b.name}"\n'
    rf = parse_rules(src, "r.s3r")
    rule = rf.rules[0]
    cmp = rule.requirement.expr
    assert (cmp.span.line, cmp.span.column, cmp.span.end_column) == (4, 11, 46)
    field = cmp.left
    assert (field.name.span.line, field.name.span.column, field.name.span.end_column) == (4, 24, 33)
    assert (rule.id.span.line, rule.id.span.column) == (1, 6)
    assert (rule.severity.span.line, rule.severity.span.column) == (2, 12)
    interp = rule.message.parts[1]
    # `{b.name}` starts at column 14 of line 5; b at 15
    assert (interp.span.line, interp.span.column, interp.span.end_column) == (5, 15, 21)
    lines = src.splitlines()
    for node, text in ((cmp, 'b.encryption.algorithm == "aws:kms"'), (interp, "b.name"), (rule.id, "R")):
        s = node.span
        assert lines[s.line - 1][s.column - 1:s.end_column - 1] == text


@pytest.mark.parametrize("text, expected", [
    ("a or b and c", binop("or", n("a"), binop("and", n("b"), n("c")))),
    ("a and b or c", binop("or", binop("and", n("a"), n("b")), n("c"))),
    ("not a == b", A.Not(binop("==", n("a"), n("b")))),
    ("not a and b", binop("and", A.Not(n("a")), n("b"))),
    ("a + b - c == d", binop("==", binop("-", binop("+", n("a"), n("b")), n("c")), n("d"))),
    ("-a.b", A.Neg(A.Field(n("a"), A.Word("b")))),
    ("x not in y", binop("not in", n("x"), n("y"))),
    ("x matches \"eu-*\"", binop("matches", n("x"), A.StringLit("eu-*"))),
    ("(external or anonymous) - t", binop("-", binop("or", n("external"), n("anonymous")), n("t"))),
    # a quantifier's condition extends as far right as possible, also after `and`/`or`
    ("any x in c: p or q", A.Quant("any", A.Word("x"), n("c"), binop("or", n("p"), n("q")))),
    ("a and all x in c: p or q",
     binop("and", n("a"), A.Quant("all", A.Word("x"), n("c"), binop("or", n("p"), n("q"))))),
    ("(any x in c: p) or q", binop("or", A.Quant("any", A.Word("x"), n("c"), n("p")), n("q"))),
    ("not any x in c: p", A.Not(A.Quant("any", A.Word("x"), n("c"), n("p")))),
    ("count(x in c: p) > 2", binop(">", A.Quant("count", A.Word("x"), n("c"), n("p")), A.NumberLit(2))),
    ("m[\"k\"][0].f", A.Field(A.Index(A.Index(n("m"), A.StringLit("k")), A.NumberLit(0)), A.Word("f"))),
    ("h.from == h.to and p.path == \"/\"",
     binop("and", binop("==", A.Field(n("h"), A.Word("from")), A.Field(n("h"), A.Word("to"))),
           binop("==", A.Field(n("p"), A.Word("path")), A.StringLit("/")))),
    ("paths(from: anyone, to: b, access: \"read\", via: \"any\")",
     A.Call(A.Word("paths"), (A.Arg(A.Word("from"), n("anyone")), A.Arg(A.Word("to"), n("b")),
                              A.Arg(A.Word("access"), A.StringLit("read")), A.Arg(A.Word("via"), A.StringLit("any"))))),
    ("[1, 2.5, 30d, 12h, 2w, 1y, true, false, \"s\"]",
     A.ListLit((A.NumberLit(1), A.NumberLit(2.5), A.DurationLit("30d", 30 * 86400), A.DurationLit("12h", 12 * 3600),
                A.DurationLit("2w", 14 * 86400), A.DurationLit("1y", 365 * 86400), A.BoolLit(True),
                A.BoolLit(False), A.StringLit("s")))),
    ("{}", A.SetLit(())),
    ("{1, 2,}", A.SetLit((A.NumberLit(1), A.NumberLit(2)))),
    ("{\"aws:SecureTransport\": false}",
     A.MapLit((A.MapEntry(A.StringLit("aws:SecureTransport"), A.BoolLit(False)),))),
    ("\"a\\\"b\\\\c\\n\\{\"", A.StringLit("a\"b\\c\n{")),
    ("notable or anyone or true_x", binop("or", binop("or", n("notable"), n("anyone")), n("true_x"))),
])
def test_expression_shapes(text, expected):
    assert expr_of(text) == expected


def test_message_template_parts():
    rf = parse_rules('rule R "t" severity low for bucket b require true\n'
                     '  message "a \\{literal\\} {b.tags["owner"]} and "\n          "{len(b.name)}!"', "r.s3r")
    parts = rf.rules[0].message.parts
    assert parts == ("a {literal} ", A.Index(A.Field(n("b"), A.Word("tags")), A.StringLit("owner")), " and ",
                     A.Call(A.Word("len"), (A.Arg(None, A.Field(n("b"), A.Word("name"))),)), "!")


def test_forbid_path_and_path_subject():
    rf = parse_rules(
        'rule A "t" severity critical for bucket b\n'
        '  forbid path p from (external or anonymous) - trusted to b with access read via direct\n'
        '  message "{p}"\n'
        'rule B "t" severity low for path p from external with access write via any where p.length > 1\n'
        '  require p.length < 3 message "{p}"\n', "r.s3r")
    a, b = rf.rules
    assert a.requirement == A.ForbidPath(
        A.Word("p"), binop("-", binop("or", n("external"), n("anonymous")), n("trusted")), n("b"),
        A.Word("read"), A.Word("direct"))
    assert b.subject == A.Subject(A.Word("path"), A.Word("p"), n("external"), A.Word("write"), A.Word("any"),
                                  binop(">", A.Field(n("p"), A.Word("length")), A.NumberLit(1)))


def test_comments_and_blank_lines_are_ignored():
    rf = parse_rules("# header\n\n  # indented\ndef f() = 1 # trailing\n# end", "r.s3r")
    assert rf.defs[0].body == A.NumberLit(1)


def test_empty_file_is_valid():
    rf = parse_rules("", "r.s3r")
    assert (rf.pack, rf.imports, rf.params, rf.defs, rf.rules) == (None, (), (), (), ())


def test_deep_nesting_is_bounded_without_exhausting_the_stack():
    ok = "def f() = " + "-" * (MAX_DEPTH - 2) + "1 == 1"
    parse_rules(ok, "r.s3r")
    with pytest.raises(RuleSyntaxError) as info:
        parse_rules("def f() = " + "not " * 5000 + "true", "r.s3r")
    assert info.value.diagnostics[0].code == "too-deep"
    with pytest.raises(RuleSyntaxError):
        parse_rules("def f() = " + "(" * 3000 + "1" + ")" * 3000 + " + " + "x." * 3000 + "y", "r.s3r")


# ------------------------------------------------------------------------------------- the grammar
def test_grammar_has_no_conflicts(caplog):
    """LALR conflicts would be resolved silently (as shift); the grammar must not have any."""
    from importlib import resources

    from lark import Lark, logger
    grammar = resources.files("s3audit.lang").joinpath("grammar.lark").read_text()
    logger.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger="lark"):
            Lark(grammar, parser="lalr", start=["rule_file", "template_expr"], debug=True)
    finally:
        logger.setLevel(logging.WARNING)
    assert not [r for r in caplog.records if "conflict" in r.getMessage().lower()]


def test_reserved_words_are_exactly_the_grammars_keywords():
    from importlib import resources
    grammar = resources.files("s3audit.lang").joinpath("grammar.lark").read_text()
    keywords = set(re.findall(r"^_?[A-Z]+: /([a-z]+)\(\?!", grammar, re.M))
    excluded = set(re.search(r"^NAME: /\(\?!\(\?:([a-z|]+)\)", grammar, re.M).group(1).split("|"))
    assert keywords == excluded == set(RESERVED)


@pytest.mark.parametrize("word", sorted(RESERVED))
def test_keywords_do_not_swallow_longer_names(word):
    """`requires` is a name, never the keyword `require` followed by `s`."""
    assert expr_of(f"{word}_x + {word}s") == binop("+", n(f"{word}_x"), n(f"{word}s"))


def test_importing_the_cli_does_not_load_lark():
    code = "import sys, s3audit.cli as c; c.build_parser(); import s3audit.lang; print('lark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT)}, check=True)
    assert out.stdout.strip() == "False"
