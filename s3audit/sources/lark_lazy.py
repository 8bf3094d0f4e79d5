"""Lark plugins that load an LALR parser's table one state at a time, when a parse first reaches the state.

Loading python-hcl2's parser from its table cache builds all of its ~1,000 parser states (each a dict of
actions) and a lexer for each distinct set of terminals they accept (~100), although a Terraform file visits
a small part of them: a third of the HCL parser's start-up in a pre-merge check. With these plugins a state's
actions and its lexer are built from the loaded table on first use, and kept; the actions, the lexers and so
the trees and errors are the ones Lark builds (``tests/sources/test_hcl_parser.py`` compares them with
python-hcl2's own parser on every Terraform file of the repository).

They use Lark's plugin hooks (``_plugins``: ``LALR_Parser``, ``ContextualLexer``) and the table's serialised
form, which are Lark's internals: ``plugins()`` offers them only for the Lark versions they were written
against (others get Lark's own, eager loading).
"""
from __future__ import annotations

from copy import copy

TESTED_LARK = ("1.3.",)  # the Lark versions whose table format and parser internals these were checked against


def plugins() -> dict:
    """The ``_plugins`` option for ``Lark(...)``: empty (Lark's own loading) on a Lark these were not written for."""
    import lark
    if not lark.__version__.startswith(TESTED_LARK):
        return {}
    try:
        return {"LALR_Parser": _lazy_parser_class(), "ContextualLexer": _lazy_lexer_class()}
    except (ImportError, AttributeError):  # pragma: no cover - a Lark without these internals
        return {}


def _lazy_parser_class():
    from lark.grammar import Rule
    from lark.parsers.lalr_analysis import IntParseTable, Reduce, Shift
    from lark.parsers.lalr_parser import LALR_Parser, _Parser

    class States(dict):
        """The parse table's states, each built from its serialised actions on first lookup. ``items()`` gives
        each state's accepted terminal names (what the contextual lexer is made from) without building it."""

        def __init__(self, data: dict, tokens: dict, memo: dict):
            super().__init__()
            self._data, self._tokens, self._memo = data, tokens, memo

        def __missing__(self, state):
            tokens, memo = self._tokens, self._memo
            actions = {tokens[t]: ((Reduce, Rule.deserialize(arg, memo)) if kind == 1 else (Shift, arg))
                       for t, (kind, arg) in self._data[state].items()}
            self[state] = actions
            return actions

        def items(self):
            # what Lark asks of a table's states once loaded: each state's acceptable terminals (for error
            # messages); not its actions, so a lazily loaded table cannot be serialised again (Lark.save)
            tokens = self._tokens
            return [(state, dict.fromkeys([tokens[t] for t in actions])) for state, actions in self._data.items()]

    class LazyLALRParser(LALR_Parser):
        @classmethod
        def deserialize(cls, data, memo, callbacks, debug=False):
            inst = cls.__new__(cls)
            inst._parse_table = IntParseTable(States(data["states"], data["tokens"], memo), data["start_states"],
                                              data["end_states"])
            inst.parser = _Parser(inst._parse_table, callbacks, debug)
            return inst

    return LazyLALRParser


def _lazy_lexer_class():
    from lark.lexer import ContextualLexer

    class Lexers(dict):
        """The lexer of each parser state, made on first lookup (one per distinct set of accepted terminals, as
        Lark's ContextualLexer makes them)."""

        def __init__(self, owner):
            super().__init__()
            self._owner = owner

        def __missing__(self, state):
            owner = self._owner
            accepts = owner._accepts[state]
            key = frozenset(accepts)
            lexer = owner._by_accepts.get(key)
            if lexer is None:
                conf = copy(owner._conf)
                names = set(accepts) | set(conf.ignore) | set(owner._always_accept)
                conf.terminals = [owner._by_name[n] for n in names if n in owner._by_name]
                lexer = owner._by_accepts[key] = owner.BasicLexer(conf, None)
            self[state] = lexer
            return lexer

    class LazyContextualLexer(ContextualLexer):
        def __init__(self, conf, states, always_accept=()):  # noqa: super().__init__ would build every lexer
            self._conf = copy(conf)
            self._conf.terminals = list(conf.terminals)
            self._by_name = conf.terminals_by_name
            self._accepts, self._always_accept, self._by_accepts = states, always_accept, {}
            self.lexers = Lexers(self)
            root = copy(self._conf)
            root.skip_validation = True  # the state lexers' terminals are the grammar's, checked when it was built
            self.root_lexer = self.BasicLexer(root, None)

    return LazyContextualLexer
