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
TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\w+|[^\w\s]|\s+')
PIECES = sorted(RESERVED) + ["b", "b.name", "(", ")", "[", "]", "{", "}", "{}", "\"", "\"{b.name}\"", ":", ",", ".",
                             "==", "<", "-", "+", "30d", "1.5", "\n", "#", "\\", "\t", "é", "\x00", "any x in",
                             "rule R \"t\"", "import \"x.s3r\"", "def f() =", "param p: set<string> ="]


@st.composite
def mutated_from(draw, corpus: list[str]) -> str:
    """A text of ``corpus`` with one to four random edits."""
    text = draw(st.sampled_from(corpus))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "swap-tokens", "delete-token", "swap-lines", "dup-line"]))
        if kind in ("delete", "insert") or not text:
            pos = draw(st.integers(0, len(text)))
            if kind == "delete" and text:
                end = min(len(text), pos + draw(st.integers(1, 12)))
                text = text[:pos] + text[end:]
            else:
                piece = draw(st.sampled_from(PIECES) | st.text(max_size=3))
                text = text[:pos] + piece + text[pos:]
        elif kind in ("swap-tokens", "delete-token"):
            tokens = TOKEN.findall(text)
            if len(tokens) < 2:
                continue
            i = draw(st.integers(0, len(tokens) - 1))
            if kind == "delete-token":
                del tokens[i]
            else:
                j = draw(st.integers(0, len(tokens) - 1))
                tokens[i], tokens[j] = tokens[j], tokens[i]
            text = "".join(tokens)
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "swap-lines":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines[i])
            text = "\n".join(lines)
    return text


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
