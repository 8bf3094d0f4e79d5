"""Rule text -> typed AST (``ast.RuleFile``), or a ``RuleSyntaxError`` listing what is wrong and where.

Lark parses with ``parser="lalr"`` and ``propagate_positions``; the grammar is read from the package
on first use. The parse tree becomes AST nodes in a non-recursive transformer (so no input can exhaust
Python's stack), which also reports what the grammar alone cannot: missing and repeated clauses,
reserved words used as names, bad escapes, over-long numbers, errors inside `{...}` in messages, and
expressions nested too deeply. After a syntax error the parser resumes at the next line that starts a
declaration, so one run reports several independent mistakes.

Nothing here reads files: imports are resolved by ``lang/load.py``.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

from ..lark_import import import_lark

import_lark()  # before the names below: without the `regex` module
from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..packaged import read_text
from . import ast as A
from .diagnostics import DEFAULT_LIMIT, Diagnostic, RuleSyntaxError, make
from .types import RESERVED

MAX_DEPTH = 100  # expression nesting; deeper is certainly a mistake and would strain evaluation
MAX_NUMBER_DIGITS = 15


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = read_text("lang", "grammar.lark")
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=False, start=["rule_file", "template_expr"], cache=_parser_cache() or False)


def _parser_cache() -> str | None:
    """Where Lark keeps the built LALR tables: building them costs ~0.3 s, a third of a pre-merge check.

    In s3audit's private per-user cache directory (``s3audit.cache``); Lark checks the grammar's hash stored
    in the file and rebuilds on mismatch. ``S3AUDIT_NO_CACHE=1`` turns it off.
    """
    from ..cache import cache_dir, used
    directory = cache_dir()
    if directory is None:
        return None
    path = os.path.join(directory, "rule-grammar.lark-cache")
    used(path)
    return path


def parse_rules(text: str, path: str) -> A.RuleFile:
    """Parse one rule file. Raises ``RuleSyntaxError`` (with every diagnostic found) if it is malformed."""
    diagnostics: list[Diagnostic] = []
    tree = _parse_with_recovery(text, path, diagnostics)
    if tree is None:
        raise RuleSyntaxError(diagnostics)
    builder = _Builder(path, text, diagnostics)
    try:
        result = builder.transform(tree)
    except VisitError as exc:  # our own errors surface as themselves, not as Lark's wrapper
        raise exc.orig_exc from None
    _check_depth(result, path, text, diagnostics)
    if diagnostics:
        raise RuleSyntaxError(diagnostics)
    return A.RuleFile(result.path, result.pack, result.imports, result.params, result.defs, result.rules,
                      source=text, span=result.span)


# ------------------------------------------------------------------------------------ syntax errors
_RESYNC = re.compile(r"^[ \t]*(rule|def|param|import)\b", re.M)


def _parse_with_recovery(text: str, path: str, diagnostics: list[Diagnostic]):
    """The parse tree, or None after recording syntax errors (resuming at later declarations)."""
    parser = _parser()
    current = text
    first_tree = None
    failed = False
    while True:
        try:
            tree = parser.parse(current, start="rule_file")
        except UnexpectedInput as exc:
            failed = True
            diagnostics.append(_syntax_diagnostic(exc, text, path))
            if len(diagnostics) >= DEFAULT_LIMIT:
                return None
            line = getattr(exc, "line", None)
            if not isinstance(line, int):
                return None
            # blank everything up to the next declaration after the error, keeping lines and columns
            offset = _offset_of_line(text, line + 1)
            m = _RESYNC.search(text, offset) if offset is not None else None
            if m is None:
                return None
            current = re.sub(r"[^\n]", " ", text[:m.start()]) + text[m.start():]
            continue
        if not failed:
            first_tree = tree
        return first_tree


def _offset_of_line(text: str, line: int) -> int | None:
    pos = 0
    for _ in range(line - 1):
        nl = text.find("\n", pos)
        if nl < 0:
            return None
        pos = nl + 1
    return pos


_EXPR_START = {"NAME", "STRING", "NUMBER", "DURATION", "LPAR", "LSQB", "LBRACE", "MINUS", "_NOT", "_ANY",
               "_ALL", "_COUNT", "_TRUE", "_FALSE"}
_EXPR_CORE = {"NAME", "STRING", "NUMBER", "DURATION", "LPAR", "LSQB", "LBRACE"}
_OPERATORS = {"DOT", "LSQB", "PLUS", "MINUS", "_AND", "_OR", "_IN", "_NOT", "_MATCHES", "LESSTHAN", "MORETHAN"}
_CLAUSES = {"_SEVERITY", "_CONTROLS", "_RATIONALE", "_REMEDIATION", "_FOR", "_REQUIRE", "_FORBID", "_MESSAGE", "_FIX"}
_DECLS = {"_RULE", "_DEF", "_PARAM", "_IMPORT"}
_WORDS = {"NAME": "a name", "WORD": "a name", "ID": "an id such as `PCI-3.5.1`", "STRING": "a string",
          "NUMBER": "a number", "DURATION": "a duration such as `30d`", "$END": "the end of the file"}
_SPELLED = {"&": "and", "|": "or", "!": "not"}  # operators other languages spell with symbols
_KEYWORD = re.compile(r"^([a-z]+)\(\?!")


def _terminal_text(name: str) -> str:
    if name in _WORDS:
        return _WORDS[name]
    term = _parser().get_terminal(name) if name in _terminal_names() else None
    if term is not None:
        if type(term.pattern).__name__ == "PatternStr":
            return f"`{term.pattern.value}`"
        keyword = _KEYWORD.match(term.pattern.value)
        if keyword:
            return f"`{keyword.group(1)}`"
    return f"`{name.lower().lstrip('_')}`"


@lru_cache(maxsize=1)
def _terminal_names() -> frozenset[str]:
    return frozenset(t.name for t in _parser().terminals)


def describe_expected(expected: set[str]) -> str:
    """Lark's acceptable terminals in plain words: "an expression", "`:`", "a clause such as `require`"."""
    names = set(expected)
    phrases: list[str] = []
    if _EXPR_CORE <= names:
        phrases.append("an expression")
        names -= _EXPR_START
    if {"_AND", "_OR"} <= names and names & {"DOT", "PLUS"}:
        phrases.append("an operator")
        names -= _OPERATORS
        names = {n for n in names if not _is_comparison(n)}
    if _CLAUSES <= names:
        phrases.append("a clause (`severity`, `for`, `require`, `message` ...)")
        names -= _CLAUSES
    if _DECLS <= names:
        phrases.append("a declaration (`rule`, `def`, `param` or `import`)")
        names -= _DECLS
        names.discard("$END")
    phrases.extend(sorted(_terminal_text(n) for n in names))
    if not phrases:
        return "something else"
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _is_comparison(name: str) -> bool:
    term = _parser().get_terminal(name) if name in _terminal_names() else None
    return term is not None and getattr(term.pattern, "value", None) in ("==", "!=", "<=", ">=")


def _show(value: str) -> str:
    value = value if len(value) <= 40 else value[:37] + "..."
    return f"`{value}`"


def _end_position(text: str) -> tuple[int, int]:
    """Line and column just after the last non-blank character (where "end of file" is reported)."""
    stripped = text.rstrip()
    if not stripped:
        return 1, 1
    line = stripped.count("\n") + 1
    col = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return line, col


def _syntax_diagnostic(exc: UnexpectedInput, text: str, path: str, *, line_base: int = 1, col_base: int = 1,
                       end_hint: tuple[int, int] | None = None) -> Diagnostic:
    """One diagnostic for a Lark error, positioned in the file (``*_base`` place a `{...}` fragment)."""
    def at(line: int, col: int, width: int = 1) -> A.Span:
        if line == 1:
            col = col + col_base - 1
        line = line + line_base - 1
        return A.Span(path, line, col, line, col + max(width, 1))

    expected = _accepted(exc)
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            if end_hint is not None:
                line, col = end_hint
                span = A.Span(path, line, col, line, col + 1)
                message = "unexpected `}`"
            else:
                line, col = _end_position(text)
                span = A.Span(path, line, col, line, col + 1)
                message = "unexpected end of file"
        else:
            value = str(tok)
            span = at(tok.line, tok.column, len(value.split("\n")[0]))
            what = "string " if tok.type == "STRING" else ""
            message = f"unexpected {what}{_show(value)}"
            if value == "=" and "_AND" in expected:
                return _diag(message, span, text, line_base, "compare with `==`")
            if value in ("==", "!=", "<", "<=", ">", ">=", "matches", "in") and "_AND" in expected:
                return _diag(message, span, text, line_base, "comparisons do not chain: write `a < b and b < c`")
            if "NAME" in expected and value in RESERVED and tok.type != "NAME":
                hint = f"expected {describe_expected(expected)}; `{value}` is a reserved word"
                return _diag(message, span, text, line_base, hint)
    elif isinstance(exc, UnexpectedCharacters):
        span = at(exc.line, exc.column)
        char = exc.char
        if char == '"':
            message = "string is not closed on its line"
            return _diag(message, span, text, line_base, "close it with `\"`; a string cannot span lines")
        shown = _show(char) if char.isprintable() and char.strip() else f"U+{ord(char):04X}"
        message = f"unexpected character {shown}"
        if char in _SPELLED and {"_AND", "_NOT"} & expected:
            return _diag(message, span, text, line_base, f"write `{_SPELLED[char]}`")
    elif isinstance(exc, UnexpectedEOF):
        line, col = end_hint or _end_position(text)
        span = A.Span(path, line, col, line, col + 1)
        message = "unexpected end of file"
    else:  # pragma: no cover - Lark has no other kinds
        span, message = None, "syntax error"
    hint = f"expected {describe_expected(expected)}" if expected else None
    return _diag(message, span, text, line_base, hint)


def _accepted(exc: UnexpectedInput) -> set[str]:
    """The terminals that would really let the parse go on (LALR's own table lists more)."""
    ip = getattr(exc, "interactive_parser", None)
    if ip is not None:
        try:
            return set(ip.accepts())
        except Exception:  # pragma: no cover - fall back to Lark's coarser set
            pass
    return set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())


def _diag(message: str, span: A.Span | None, text: str, line_base: int, hint: str | None) -> Diagnostic:
    return make("syntax", message, span, text if line_base == 1 else None, hint=hint)


# ------------------------------------------------------------------------------------ tree -> AST
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "{": "{", "}": "}"}
_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


class _Clause:
    __slots__ = ("key", "value", "span")

    def __init__(self, key: str, value: Any, span: A.Span):
        self.key, self.value, self.span = key, value, span


@v_args(meta=True)
class _Builder(Transformer_NonRecursive):
    """Parse tree -> AST. ``line_base``/``col_base`` place a `{...}` fragment parsed on its own."""

    def __init__(self, path: str, source: str, diagnostics: list[Diagnostic], line_base: int = 1,
                 col_base: int = 1):
        super().__init__()
        self.path, self.source, self.diagnostics = path, source, diagnostics
        self.line_base, self.col_base = line_base, col_base

    # ---- positions and reports
    def _pos(self, line: int, col: int) -> tuple[int, int]:
        if line == 1:
            col += self.col_base - 1
        return line + self.line_base - 1, col

    def span(self, meta) -> A.Span | None:
        if getattr(meta, "empty", True):
            return None
        line, col = self._pos(meta.line, meta.column)
        end_line, end_col = self._pos(meta.end_line, meta.end_column)
        return A.Span(self.path, line, col, end_line, end_col)

    def tspan(self, tok: Token) -> A.Span:
        line, col = self._pos(tok.line, tok.column)
        end_line, end_col = self._pos(tok.end_line, tok.end_column)
        return A.Span(self.path, line, col, end_line, end_col)

    def error(self, code: str, message: str, span: A.Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(make(code, message, span, self.source, hint=hint))

    def word(self, tok: Token) -> A.Word:
        return A.Word(str(tok), span=self.tspan(tok))

    def binding(self, tok: Token, what: str) -> A.Word:
        w = self.word(tok)
        if w.text in RESERVED:
            self.error("reserved-word", f"`{w.text}` is a reserved word and cannot name {what}", w.span)
        return w

    # ---- strings
    def decode(self, tok: Token) -> str:
        raw = str(tok)[1:-1]
        out: list[str] = []
        i = 0
        while i < len(raw):
            ch = raw[i]
            if ch == "\\":
                nxt = raw[i + 1] if i + 1 < len(raw) else ""
                if nxt in _ESCAPES and nxt:
                    out.append(_ESCAPES[nxt])
                else:
                    line, col = self._pos(tok.line, tok.column + 1 + i)
                    self.error("bad-escape", f"unknown escape `\\{nxt}` in a string",
                               A.Span(self.path, line, col, line, col + 2),
                               hint="the escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\{` and `\\}`")
                i += 2
                continue
            out.append(ch)
            i += 1
        return "".join(out)

    def text_of(self, meta, tokens: list[Token]) -> A.Text:
        tokens = [t for t in tokens if isinstance(t, Token) and t.type == "STRING"]
        first, last = self.tspan(tokens[0]), self.tspan(tokens[-1])
        span = A.Span(self.path, first.line, first.column, last.end_line, last.end_column)
        return A.Text("".join(self.decode(t) for t in tokens), span=span)

    def template(self, meta, tokens: list[Token]) -> A.Template:
        parts: list[Any] = []

        def add_text(s: str) -> None:
            if parts and isinstance(parts[-1], str):
                parts[-1] += s
            elif s:
                parts.append(s)

        for tok in tokens:
            raw = str(tok)[1:-1]
            i, start = 0, 0
            while i < len(raw):
                ch = raw[i]
                if ch == "\\":
                    i += 2
                    continue
                if ch == "{":
                    close = raw.find("}", i + 1)
                    lit = raw[start:i]
                    add_text(self.decode(Token("STRING", f'"{lit}"', line=tok.line, column=tok.column + start,
                                               end_line=tok.line, end_column=tok.column + i + 2)))
                    line, col = self._pos(tok.line, tok.column + 1 + i)
                    if close < 0:
                        self.error("bad-template", "`{` is not closed in the message",
                                   A.Span(self.path, line, col, line, col + 1),
                                   hint="write `\\{` for a literal brace")
                        return A.Template(tuple(parts), span=self.span(meta))
                    inner = raw[i + 1:close]
                    if not inner.strip():
                        self.error("bad-template", "empty `{}` in the message",
                                   A.Span(self.path, line, col, line, col + 2),
                                   hint="put an expression inside, such as `{b.name}`, or write `\\{`")
                    else:
                        expr = self._template_expr(inner, line, col + 1, (line, col + 1 + len(inner)))
                        if expr is not None:
                            parts.append(expr)
                    i = start = close + 1
                    continue
                i += 1
            if start < len(raw):
                lit = raw[start:]
                add_text(self.decode(Token("STRING", f'"{lit}"', line=tok.line, column=tok.column + start,
                                           end_line=tok.line, end_column=tok.column + len(raw) + 2)))
        return A.Template(tuple(parts), span=self.span(meta))

    def _template_expr(self, inner: str, line: int, col: int, end: tuple[int, int]) -> A.Expr | None:
        try:
            tree = _parser().parse(inner, start="template_expr")
        except UnexpectedInput as exc:
            d = _syntax_diagnostic(exc, inner, self.path, line_base=line, col_base=col, end_hint=end)
            self.diagnostics.append(make(d.code, d.message, d.span, self.source, hint=d.hint))
            return None
        sub = _Builder(self.path, self.source, self.diagnostics, line_base=line, col_base=col)
        return sub.transform(tree)

    # ---- declarations
    def rule_file(self, meta, children):
        pack = None
        imports, params, defs, rules = [], [], [], []
        for c in children:
            if isinstance(c, A.PackDecl):
                pack = c
            elif isinstance(c, A.ImportDecl):
                imports.append(c)
            elif isinstance(c, A.ParamDecl):
                params.append(c)
            elif isinstance(c, A.DefDecl):
                defs.append(c)
            elif isinstance(c, A.Rule):
                rules.append(c)
        return A.RuleFile(self.path, pack, tuple(imports), tuple(params), tuple(defs), tuple(rules),
                          span=self.span(meta))

    def template_expr(self, meta, children):
        return children[0]

    def pack_decl(self, meta, children):
        version = children[2] if len(children) > 2 else None
        return A.PackDecl(self.word(children[0]), children[1], version, span=self.span(meta))

    def version_clause(self, meta, children):
        return self.text_of(meta, children)

    def import_decl(self, meta, children):
        return A.ImportDecl(self.text_of(meta, children), span=self.span(meta))

    def param_decl(self, meta, children):
        name = self.binding(children[0], "a parameter")
        default = children[2] if len(children) > 2 else None
        return A.ParamDecl(name, children[1], default, span=self.span(meta))

    def def_decl(self, meta, children):
        name = self.binding(children[0], "a definition")
        params = tuple(children[1:-1])
        seen: set[str] = set()
        for p in params:
            if p.name.text in seen:
                self.error("duplicate-definition", f"`{name.text}` has two arguments named `{p.name.text}`",
                           p.name.span)
            seen.add(p.name.text)
        return A.DefDecl(name, params, children[-1], span=self.span(meta))

    def def_param(self, meta, children):
        return A.DefParam(self.binding(children[0], "an argument"), children[1], span=self.span(meta))

    def type_expr(self, meta, children):
        return A.TypeExpr(str(children[0]), tuple(children[1:]), span=self.span(meta))

    def text(self, meta, children):
        return self.text_of(meta, children)

    # ---- rules
    def severity_clause(self, meta, children):
        return _Clause("severity", self.word(children[0]), self.span(meta))

    def controls_clause(self, meta, children):
        controls = tuple(A.Text(self.decode(t), span=self.tspan(t)) for t in children)
        return _Clause("controls", controls, self.span(meta))

    def rationale_clause(self, meta, children):
        return _Clause("rationale", children[0], self.span(meta))

    def remediation_clause(self, meta, children):
        return _Clause("remediation", children[0], self.span(meta))

    def from_clause(self, meta, children):
        return ("from", children[-1])

    def access_clause(self, meta, children):
        return ("access", self.word(children[-1]))

    def via_clause(self, meta, children):
        return ("via", self.word(children[-1]))

    def where_clause(self, meta, children):
        return ("where", children[0])

    def subject_clause(self, meta, children):
        kind = self.word(children[0])
        var = self.binding(children[1], "a variable")
        opts = dict(children[2:])
        subject = A.Subject(kind, var, opts.get("from"), opts.get("access"), opts.get("via"), opts.get("where"),
                            span=self.span(meta))
        return _Clause("for", subject, self.span(meta))

    def require_clause(self, meta, children):
        return _Clause("requirement", A.Require(children[0], span=self.span(meta)), self.span(meta))

    def forbid_clause(self, meta, children):
        return _Clause("requirement", A.Forbid(children[0], span=self.span(meta)), self.span(meta))

    def forbid_path_clause(self, meta, children):
        children = [c for c in children if not (isinstance(c, Token) and c.type in ("FROM", "TO"))]
        var = self.binding(children[0], "a variable")
        opts = dict(children[3:])
        req = A.ForbidPath(var, children[1], children[2], opts.get("access"), opts.get("via"), span=self.span(meta))
        return _Clause("requirement", req, self.span(meta))

    def message_clause(self, meta, children):
        return _Clause("message", self.template(meta, children), self.span(meta))

    def fix_clause(self, meta, children):
        call = A.Call(self.word(children[0]), tuple(c for c in children[1:] if c is not None), span=self.span(meta))
        return _Clause("fix", call, self.span(meta))

    _CLAUSE_WORDS = {"severity": "`severity`", "controls": "`controls`", "rationale": "`rationale`",
                     "remediation": "`remediation`", "for": "`for`", "requirement": "`require` or `forbid`",
                     "message": "`message`"}

    def rule_decl(self, meta, children):
        rid = self.word(children[0])
        title = children[1]
        got: dict[str, Any] = {}
        fixes = []
        for clause in children[2:]:
            if clause.key == "fix":  # repeatable: alternatives, in order
                fixes.append(clause.value)
                continue
            if clause.key in got:
                what = "more than one requirement (`require` or `forbid`)" if clause.key == "requirement" \
                    else f"{self._CLAUSE_WORDS[clause.key]} twice"
                self.error("duplicate-clause", f"rule `{rid.text}` has {what}", clause.span)
                continue
            got[clause.key] = clause.value
        missing = [k for k in ("severity", "for", "requirement", "message") if k not in got]
        if missing:
            names = [{"requirement": "a requirement (`require` or `forbid`)"}.get(k, f"`{k}`") for k in missing]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            self.error("missing-clause", f"rule `{rid.text}` is missing {listed}", rid.span,
                       hint="a rule needs `severity`, `for`, `require` or `forbid`, and `message`")
            return None
        return A.Rule(rid, title, got["severity"], got["for"], got["requirement"], got["message"],
                      got.get("controls", ()), got.get("rationale"), got.get("remediation"), tuple(fixes),
                      span=self.span(meta))

    # ---- expressions
    def _bin(op):
        def build(self, meta, children):
            return A.BinOp(op, children[0], children[-1], span=self.span(meta))
        return build

    or_ = _bin("or")
    and_ = _bin("and")
    eq = _bin("==")
    ne = _bin("!=")
    lt = _bin("<")
    le = _bin("<=")
    gt = _bin(">")
    ge = _bin(">=")
    in_ = _bin("in")
    not_in = _bin("not in")
    matches = _bin("matches")
    add = _bin("+")
    sub = _bin("-")
    del _bin

    def not_(self, meta, children):
        return A.Not(children[0], span=self.span(meta))

    def neg(self, meta, children):
        return A.Neg(children[0], span=self.span(meta))

    def any_(self, meta, children):
        return A.Quant("any", self.binding(children[0], "a variable"), children[1], children[2], span=self.span(meta))

    def all_(self, meta, children):
        return A.Quant("all", self.binding(children[0], "a variable"), children[1], children[2], span=self.span(meta))

    def count(self, meta, children):
        return A.Quant("count", self.binding(children[0], "a variable"), children[1], children[2],
                       span=self.span(meta))

    def field(self, meta, children):
        return A.Field(children[0], self.word(children[1]), span=self.span(meta))

    def index(self, meta, children):
        return A.Index(children[0], children[1], span=self.span(meta))

    def name(self, meta, children):
        return A.Name(str(children[0]), span=self.span(meta))

    def string(self, meta, children):
        return A.StringLit(self.decode(children[0]), span=self.span(meta))

    def number(self, meta, children):
        text = str(children[0])
        if len(text.split(".")[0]) > MAX_NUMBER_DIGITS:
            self.error("bad-number", f"number `{_show(text)[1:-1]}` is too large", self.span(meta))
            return A.NumberLit(0, span=self.span(meta))
        value: int | float = float(text) if "." in text else int(text)
        return A.NumberLit(value, span=self.span(meta))

    def duration(self, meta, children):
        text = str(children[0])
        digits, unit = text[:-1], text[-1]
        if len(digits) > MAX_NUMBER_DIGITS:
            self.error("bad-number", f"duration `{_show(text)[1:-1]}` is too large", self.span(meta))
            return A.DurationLit(text, 0, span=self.span(meta))
        return A.DurationLit(text, int(digits) * _UNITS[unit], span=self.span(meta))

    def true(self, meta, children):
        return A.BoolLit(True, span=self.span(meta))

    def false(self, meta, children):
        return A.BoolLit(False, span=self.span(meta))

    def list(self, meta, children):
        return A.ListLit(tuple(children), span=self.span(meta))

    def empty_braces(self, meta, children):
        return A.SetLit((), span=self.span(meta))

    def set(self, meta, children):
        return A.SetLit(tuple(children), span=self.span(meta))

    def map(self, meta, children):
        seen: dict[str, A.MapEntry] = {}
        for e in children:
            if e.key.value in seen:
                self.error("duplicate-key", f"key `{e.key.value}` appears twice in the map", e.key.span)
            seen[e.key.value] = e
        return A.MapLit(tuple(children), span=self.span(meta))

    def map_entry(self, meta, children):
        key = A.StringLit(self.decode(children[0]), span=self.tspan(children[0]))
        return A.MapEntry(key, children[1], span=self.span(meta))

    def call(self, meta, children):
        return A.Call(self.word(children[0]), tuple(children[1:]), span=self.span(meta))

    def pos_arg(self, meta, children):
        return A.Arg(None, children[0], span=self.span(meta))

    def named_arg(self, meta, children):
        return A.Arg(self.word(children[0]), children[1], span=self.span(meta))


def _check_depth(rf: A.RuleFile, path: str, text: str, diagnostics: list[Diagnostic]) -> None:
    """Reject expressions nested more than MAX_DEPTH deep (iteratively: this must not recurse)."""
    roots: list[A.Expr] = [p.default for p in rf.params if p.default is not None]
    roots += [d.body for d in rf.defs]
    for r in rf.rules:
        roots += list(A.rule_exprs(r))
    for root in roots:
        stack = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                diagnostics.append(make("too-deep", f"expression is nested more than {MAX_DEPTH} levels deep",
                                        node.span, text))
                break
            stack.extend((c, depth + 1) for c in node.children())

