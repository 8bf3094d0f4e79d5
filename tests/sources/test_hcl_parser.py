"""s3audit's HCL parser (``sources/hcl_parser.py``) is python-hcl2's parser, built without importing python-hcl2:
it must give exactly the tree ``hcl2.api.parses_to_tree`` gives (rule names, tokens with their types, and every
position the evaluator reports), or raise the same error; and a pre-merge check of Terraform must not import
python-hcl2's own modules, nor the ``regex`` module that Lark would import (the start-up they cost is why
the parser is built here)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from s3audit.sources.hcl import _heredoc_ends_tidied
from s3audit.sources.hcl_parser import _OperatorNewlines, parse_tree

ROOT = Path(__file__).resolve().parents[2]
TF_FILES = sorted(str(p.relative_to(ROOT)) for d in ("fixtures", "bench/corpus", "tests")
                  for p in (ROOT / d).rglob("*.tf"))


def shape(node) -> list | tuple:
    """Everything of a Lark tree the evaluator can see: rule names, token types and texts, positions."""
    if hasattr(node, "data"):
        meta = node.meta
        where = None if getattr(meta, "empty", True) else (meta.line, meta.column, meta.end_line, meta.end_column,
                                                            meta.start_pos, meta.end_pos)
        return [str(node.data), where, [shape(c) for c in node.children]]
    if node is None:
        return ("None",)
    return (node.type, str(node), node.line, node.column, node.end_line, node.end_column, node.start_pos)


def hcl2_tree(text: str):
    from hcl2.api import parses_to_tree
    return parses_to_tree(text)


def test_the_repository_has_terraform_files_to_compare():
    assert len(TF_FILES) > 50


def outcome(parse, text: str):
    """The tree's shape, or the kind and place of the syntax error."""
    from lark.exceptions import UnexpectedInput
    try:
        return shape(parse(text))
    except UnexpectedInput as exc:
        return (type(exc).__name__, exc.line, exc.column)


@pytest.mark.parametrize("path", TF_FILES)
def test_same_tree_as_python_hcl2(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    assert outcome(parse_tree, text) == outcome(hcl2_tree, text)
    tidied = _heredoc_ends_tidied(text)  # as sources/hcl.py gives it
    assert outcome(parse_tree, tidied) == outcome(hcl2_tree, tidied)


CONTINUATIONS = [
    'a = 1\n  + 2\nb = -3\n',
    'x = var.a\n  ? "y"\n  : "z"\n',
    'x = (1 # one\n  * 2)\nok = true\n  && false\n',
    'v = [\n  1,\n  2\n]\nw = {\n  k = 1 // c\n}\n',
    'locals {\n  n = 4\n    / 2\n  m = 1\n   == 1\n}\n',
]


@pytest.mark.parametrize("text", CONTINUATIONS)
def test_same_tree_where_newlines_join_operators(text):
    assert shape(parse_tree(text)) == shape(hcl2_tree(text))


@pytest.mark.parametrize("text", ['a = \n', 'resource "x" {\n', 'a = 1 +\n', 'a = "x\n', 'a = 1 $ 2\n'])
def test_same_error_as_python_hcl2(text):
    from lark.exceptions import UnexpectedInput
    with pytest.raises(UnexpectedInput) as ours:
        parse_tree(text)
    with pytest.raises(UnexpectedInput) as theirs:
        hcl2_tree(text)
    assert type(ours.value) is type(theirs.value)
    assert (ours.value.line, ours.value.column) == (theirs.value.line, theirs.value.column)
    # what the error says was expected there comes from the lazily built state and lexer
    for what in ("expected", "allowed"):
        assert getattr(ours.value, what, None) == getattr(theirs.value, what, None)


def test_the_table_is_loaded_lazily_on_the_lark_it_was_written_for():
    import lark

    from s3audit.sources.hcl_parser import _package_dir, parser
    from s3audit.sources.lark_lazy import TESTED_LARK
    # The first parser of a fresh install is compiled from the grammar and writes python-hcl2's table cache;
    # the lazy loading is that of the cache, so build one more to load it.
    parser.__wrapped__()
    if not os.path.exists(os.path.join(_package_dir(), ".lark_cache.bin")):
        pytest.skip("python-hcl2's directory holds no table cache (it is not writable here)")
    p = parser.__wrapped__()
    lazy = lark.__version__.startswith(TESTED_LARK)
    assert (type(p.parser.parser).__name__ == "LazyLALRParser") is lazy
    if lazy:
        states = p.parser.parser._parse_table.states
        p.parse('a = 1\n\n')
        assert 0 < len(dict(states)) < len(states._data) / 2  # a small file reaches few states


def test_a_grammar_compiled_without_a_table_cache_parses_alike_with_the_plugins():
    """When python-hcl2's table cache is missing or stale, Lark compiles the grammar: the plugins then serve a
    table built in memory (no serialised form)."""
    from lark import Lark

    from s3audit.sources.hcl_parser import _OperatorNewlines, _package_dir
    from s3audit.sources.lark_lazy import plugins
    grammar = (Path(_package_dir()) / "hcl2.lark").read_text(encoding="utf8")
    compiled = Lark(grammar, parser="lalr", propagate_positions=True, postlex=_OperatorNewlines(), _plugins=plugins())
    for path in TF_FILES[::10]:
        text = _heredoc_ends_tidied((ROOT / path).read_text(encoding="utf-8"))
        assert outcome(lambda t: compiled.parse(t + "\n"), text) == outcome(hcl2_tree, text), path


TOKEN_TYPES = ["NL_OR_COMMENT", "PLUS", "MINUS", "QMARK", "DOUBLE_EQ", "NAME", "DECIMAL", "COLON", "ASTERISK"]


@given(st.lists(st.sampled_from(TOKEN_TYPES), max_size=12))
def test_post_lexer_does_what_python_hcl2_s_does(types):
    from hcl2.postlexer import PostLexer
    from lark import Token
    stream = [Token(t, "\n" if t == "NL_OR_COMMENT" else f"<{i}>", line=i + 1, column=1) for i, t in enumerate(types)]
    ours = [(t.type, str(t), t.line) for t in _OperatorNewlines().process(iter(stream))]
    theirs = [(t.type, str(t), t.line) for t in PostLexer().process(iter(stream))]
    assert ours == theirs


PROBE = """
import json, sys
from s3audit.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("hcl2", "regex"))}))
"""


def test_a_terraform_check_imports_neither_python_hcl2_nor_regex():
    done = subprocess.run([sys.executable, "-c", PROBE, "check", "--terraform", "fixtures/terraform/v4-public-policy",
                           "--format", "json"], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["status"] in (0, 1)
    assert last["modules"] == []
