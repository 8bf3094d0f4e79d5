"""Robustness: random and mutated rule text gives either an AST or clean diagnostics, never another
exception. Valid files (the examples, the README's rules, the error cases) are mutated by deleting,
inserting, duplicating and swapping characters, tokens and lines."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from s3audit.lang import ast as A
from s3audit.lang.check import check
from s3audit.lang.diagnostics import Diagnostic, RuleSyntaxError
from s3audit.lang.parse import parse_rules
from s3audit.lang.types import RESERVED

from ..fuzz.mutations import text_mutation

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def _corpus() -> list[str]:
    texts = [(ROOT / "rules" / "examples.s3r").read_text()]
    texts += re.findall(r"```s3r\n(.*?)```", (ROOT / "rules" / "README.md").read_text(), re.S)
    for name in ("parse_errors.yaml", "check_errors.yaml"):
        for case in yaml.safe_load((HERE / "cases" / name).read_text()):
            texts.extend([case["source"]] if "source" in case else case["files"].values())
    return texts


CORPUS = _corpus()
PIECES = sorted(RESERVED) + ["b", "b.name", "(", ")", "[", "]", "{", "}", "{}", "\"", "\"{b.name}\"", ":", ",", ".",
                             "==", "<", "-", "+", "30d", "1.5", "\n", "#", "\\", "\t", "é", "\x00", "any x in",
                             "rule R \"t\"", "import \"x.s3r\"", "def f() =", "param p: set<string> ="]


def mutated_from(corpus: list[str]) -> st.SearchStrategy[str]:
    """A text of ``corpus`` with one to four random edits (the fuzzing harness's text mutation)."""
    return st.sampled_from(corpus).flatmap(lambda text: text_mutation(text, PIECES)).map(lambda r: r[0])


def mutated() -> st.SearchStrategy[str]:
    return mutated_from(CORPUS)


def assert_clean(diagnostics: list[Diagnostic], text: str) -> None:
    assert diagnostics
    n_lines = text.count("\n") + 1
    for d in diagnostics:
        assert isinstance(d, Diagnostic) and d.code and d.message
        assert d.message[0].islower() or d.message[0] in "`\"", d.message
        assert not d.message.endswith(".")
        if d.span is not None:
            assert 1 <= d.span.line <= n_lines + 1 and d.span.column >= 1
        d.render()  # never raises


def parse_and_check(text: str) -> None:
    try:
        rf = parse_rules(text, "fuzz.s3r")
    except RuleSyntaxError as exc:
        assert_clean(exc.diagnostics, text)
        return
    assert isinstance(rf, A.RuleFile)
    ds = check(rf)
    if ds:
        assert_clean(ds, text)


FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(mutated())
def test_mutated_rule_text_gives_an_ast_or_diagnostics(text):
    parse_and_check(text)


@FUZZ
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=40).map(" ".join))
def test_random_token_soup_gives_an_ast_or_diagnostics(text):
    parse_and_check(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_gives_an_ast_or_diagnostics(text):
    parse_and_check(text)
