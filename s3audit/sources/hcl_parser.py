"""The HCL parser: python-hcl2's grammar and its Lark parser, built without importing python-hcl2.

Importing the ``hcl2`` package imports its transformer, builder, reconstructor, formatter and query modules
too, which s3audit does not use (the evaluator walks the raw Lark tree). What s3audit needs of python-hcl2 is
its grammar, the options of its parser and its post-lexer; this module builds the parser
``hcl2.parser.parser()`` builds from them: the same grammar file, the same options in the same order (so
Lark's cache key is the same, and the parse tables python-hcl2 keeps beside its grammar serve both), and a
post-lexer doing what python-hcl2's does. Its table is loaded a state at a time (``lark_lazy``).
``tests/sources/test_hcl_parser.py`` checks that both parsers give the same tree for every Terraform file of the
repository.
"""
from __future__ import annotations

import importlib.util
import os
from functools import lru_cache

# Binary operators that may start a continuation line: a newline (or comment) just before one belongs to the
# operator, not to the end of a statement. Not MINUS: a line may start with a negative number.
_CONTINUING_OPERATORS = frozenset({
    "DOUBLE_EQ", "NEQ", "LT", "GT", "LEQ", "GEQ", "ASTERISK", "SLASH", "PERCENT", "DOUBLE_AMP",
    "DOUBLE_PIPE", "PLUS", "QMARK",
})


class _OperatorNewlines:
    """Lark post-lexer: a newline-or-comment token directly followed by a continuing operator is folded into
    the operator's text (an LALR parser cannot otherwise tell it from the newline that ends a statement)."""

    always_accept: tuple = ()

    def process(self, stream):
        newline = None  # the newline token held back until the next token says what it is
        for token in stream:
            if newline is not None:
                if token.type in _CONTINUING_OPERATORS:
                    token = token.update(value=str(newline) + str(token))
                else:
                    yield newline
                newline = None
            if token.type == "NL_OR_COMMENT":
                newline = token
            else:
                yield token
        if newline is not None:
            yield newline


def _package_dir() -> str:
    """python-hcl2's installed directory, found without importing the package."""
    spec = importlib.util.find_spec("hcl2")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("python-hcl2 is not installed")
    return os.path.realpath(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def parser():
    """The Lark parser python-hcl2 builds (loaded from its table cache when that is current)."""
    from ..lark_import import import_lark
    import_lark()
    from lark import Lark

    from .lark_lazy import plugins
    here = _package_dir()
    with open(os.path.join(here, "hcl2.lark"), encoding="utf8") as fh:
        # the keyword arguments in python-hcl2's order: Lark's cache key is made from them (not from _plugins)
        return Lark(fh, parser="lalr", cache=os.path.join(here, ".lark_cache.bin"), propagate_positions=True,
                    postlex=_OperatorNewlines(), _plugins=plugins())


def parse_tree(text: str):
    """The Lark tree of HCL ``text`` (as ``hcl2.api.parses_to_tree``: a newline is added, since the grammar ends
    every body with one)."""
    return parser().parse(text + "\n")
