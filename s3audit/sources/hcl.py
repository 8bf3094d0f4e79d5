"""HCL2 (Terraform's language): parsing with python-hcl2's grammar, and evaluation of expressions.

python-hcl2 supplies the grammar and a Lark parser that keeps positions (``propagate_positions``; built by
``hcl_parser`` without importing python-hcl2's own modules); the evaluation is ours, because Terraform's
meaning of an expression (references, templates, functions) is what decides the values s3audit checks. The
evaluator works on the raw Lark tree: a small, stable shape (``attribute``, ``block``, ``expr_term``,
``get_attr_expr_term`` ...), pinned by the python-hcl2 major version in pyproject.toml.

Values are Python values: str, int/float, bool, None, ``PList``/``PDict`` (lists and objects that remember
their position), ``PStr`` (strings from heredocs, ``file()`` and ``jsonencode()`` that remember where
their text is, or what was encoded), and ``Unknown`` for whatever Terraform only knows after apply. A
reference is resolved through a ``Resolver`` (the Terraform module reader supplies it); an expression that
Terraform would reject evaluates to Unknown with the reason, since reporting Terraform's own errors is not
s3audit's job and guessing a value would be worse.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import InputError, Place
from .re2 import Re2SyntaxError, Re2TooCostly, Re2Unsupported, compile_re2, find_all, replace_all
from .values import (Fresh, Loc, PartialJson, PartialString, PDict, PList, PStr, Unknown, first_unknown,
                     unknown_like)

_NOT_TREES = ("new_line_or_comment",)


class EvalError(Exception):
    """An expression Terraform itself would reject (wrong type, missing key...)."""


@dataclass
class Source:
    """One HCL text: its file name (as shown to the user), the text, and where it starts in the file."""

    file: str
    text: str
    line_offset: int = 0

    def loc(self, node: Any) -> Loc:
        own = getattr(node, "own_loc", None)  # expressions of Terraform's JSON syntax know their place
        if own is not None:
            return own
        meta = getattr(node, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            return Loc(self.file, meta.line + self.line_offset, meta.column)
        line = getattr(node, "line", None)
        if line is not None:
            return Loc(self.file, line + self.line_offset, getattr(node, "column", 1) or 1)
        return Loc(self.file, 1 + self.line_offset, 1)

    def snippet(self, node: Any) -> str:
        if hasattr(node, "own_snippet"):
            return node.own_snippet()
        meta = getattr(node, "meta", None)
        if meta is None or getattr(meta, "empty", True):
            return "?"
        text = self.text[meta.start_pos:meta.end_pos]
        text = " ".join(text.split())
        return text if len(text) <= 80 else text[:77] + "..."


_HEREDOC_OPEN = re.compile(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n")


def _heredoc_ends_tidied(text: str) -> str:
    """The text with what Terraform accepts around a heredoc's end marker and python-hcl2's grammar does not:
    spaces or tabs after the marker, and no newline after a marker that ends the file. Only the end-marker
    lines change (their trailing blanks go), so every other line and column stays where it was."""
    if "<<" not in text:
        return text if text.endswith("\n") or not text else text + "\n"
    lines = text.split("\n")
    width = [len(line) for line in lines]
    row, at = 0, 0  # a line, and the offset where it starts
    for m in _HEREDOC_OPEN.finditer(text):
        if m.start() < at:
            continue  # an opener inside a body already handled is text
        while at + width[row] < m.end() - 1:  # to the opener's line (the match ends with its newline)
            at += width[row] + 1
            row += 1
        while True:  # to the end marker
            at += width[row] + 1
            row += 1
            if row >= len(lines) or lines[row].strip(" \t\r") == m.group(1):
                break
        if row >= len(lines):
            break  # no end marker: python-hcl2 says where
        lines[row] = lines[row].rstrip(" \t")
        at += width[row] + 1
        row += 1
        if row >= len(lines):
            break
    tidied = "\n".join(lines)
    return tidied if tidied.endswith("\n") else tidied + "\n"


def parse(text: str, file: str):
    """Parse HCL text into python-hcl2's Lark tree; syntax errors become InputError at file:line:column."""
    from ..lark_import import import_lark
    from .hcl_parser import parse_tree
    import_lark()
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

    text = _heredoc_ends_tidied(text)
    try:
        return parse_tree(text)
    except UnexpectedToken as exc:
        tok = str(exc.token).strip().splitlines()[0] if str(exc.token).strip() else exc.token.type
        what = ("end of file" if exc.token.type == "$END" else "end of line" if exc.token.type == "NL_OR_COMMENT"
                or not tok else f"`{tok[:40]}`")
        raise InputError(f"invalid HCL: unexpected {what}", Place(file, exc.line, exc.column)) from None
    except UnexpectedCharacters as exc:
        ch = text[exc.pos_in_stream] if 0 <= exc.pos_in_stream < len(text) else "?"
        raise InputError(f"invalid HCL: unexpected character `{ch}`", Place(file, exc.line, exc.column)) from None
    except UnexpectedEOF:
        lines = text.count("\n") + 1
        raise InputError("invalid HCL: unexpected end of file", Place(file, lines, 1)) from None
    except UnexpectedInput as exc:  # pragma: no cover - other lark input errors
        raise InputError("invalid HCL", Place(file, getattr(exc, "line", None), getattr(exc, "column", None))) from None
    except LarkError as exc:  # pragma: no cover - e.g. python-hcl2's own transformer checks
        raise InputError(f"invalid HCL: {str(exc).splitlines()[0].lower()}", Place(file)) from None


def kids(node) -> list:
    """The sub-trees of a node that carry meaning (no punctuation tokens, no newlines or comments), worked out
    once per node (an expression of a resource with count or for_each is evaluated once per instance)."""
    try:
        return node._kids
    except AttributeError:
        pass
    tree = _tree_class()
    out = node._kids = [c for c in node.children if isinstance(c, tree) and c.data not in _NOT_TREES]
    return out


_TREE: list = []


def _tree_class():
    if not _TREE:
        from ..lark_import import import_lark
        import_lark()
        from lark import Tree
        _TREE.append(Tree)
    return _TREE[0]


def name_of(node) -> str:
    """The text of an identifier, keyword, literal_value or a plain string label."""
    if node.data == "string":
        return "".join(str(p.children[0]) for p in kids(node) if p.children and not hasattr(p.children[0], "data"))
    return str(node.children[0])


# --- configuration structure ------------------------------------------------------------------------------

@dataclass
class Attr:
    name: str
    expr: Any  # Lark tree
    loc: Loc
    src: Source


@dataclass
class Block:
    type: str
    labels: list[str]
    loc: Loc
    src: Source
    attrs: dict[str, Attr] = field(default_factory=dict)
    blocks: list["Block"] = field(default_factory=list)

    def children(self, type_: str) -> list["Block"]:
        return [b for b in self.blocks if b.type == type_]


def read_body(body, src: Source) -> tuple[dict[str, Attr], list[Block]]:
    attrs: dict[str, Attr] = {}
    blocks: list[Block] = []
    for node in kids(body):
        if node.data == "attribute":
            k = kids(node)
            name = name_of(k[0])
            if name in attrs:
                loc = src.loc(node)
                raise InputError(f"attribute `{name}` is set twice in the same block", Place(loc.file, loc.line, loc.column))
            attrs[name] = Attr(name, k[-1], src.loc(node), src)
        elif node.data == "block":
            k = kids(node)
            inner = k[-1]
            labels = [name_of(x) for x in k[1:-1]]
            a, b = read_body(inner, src)
            blocks.append(Block(name_of(k[0]), labels, src.loc(node), src, a, b))
    return attrs, blocks


def read_file(text: str, file: str, line_offset: int = 0) -> list[Block | Attr]:
    """Top-level blocks (and attributes, for .tfvars files) of one HCL file."""
    src = Source(file, text, line_offset)
    tree = parse(text, file)
    attrs, blocks = read_body(kids(tree)[0], src)
    return list(attrs.values()) + blocks


# --- evaluation -------------------------------------------------------------------------------------------

class Resolver:
    """Resolves the root names of references (``var``, ``local``, ``aws_s3_bucket``...); see terraform/evaluate.py."""

    def root(self, name: str, scope: "Scope", node) -> Any:  # pragma: no cover - interface
        raise EvalError(f"unknown name `{name}`")

    def read_file(self, path: str, scope: "Scope") -> PStr:  # pragma: no cover - interface
        raise EvalError("file() is not available here")

    def charge(self, steps: int) -> None:
        """Count ``steps`` of evaluation work (each element a ``for`` expression visits) against the budget of
        the configuration being read, if any (see terraform/evaluate.py)."""


# No collection s3audit evaluates holds more than this many elements, and no text more than MAX_TEXT characters
# (below): a configuration that doubles a list at each of a few dozen nested locals, or asks for range(1e9),
# would otherwise take time and memory exponential (or just enormous) in what it writes. Such a value is
# unknown, with the reason.
MAX_ELEMENTS = 1_000_000
TOO_MANY = f"the value would have more than {MAX_ELEMENTS:,} elements, which s3audit does not evaluate"


def _bounded(value):
    if len(value) > MAX_ELEMENTS:
        raise EvalError(TOO_MANY)
    return value


@dataclass
class Scope:
    resolver: Resolver
    src: Source
    names: dict[str, Any] = field(default_factory=dict)  # for-expression and iterator variables, each, count

    def with_names(self, **names: Any) -> "Scope":
        return Scope(self.resolver, self.src, {**self.names, **names})

    def with_src(self, src: Source) -> "Scope":
        return Scope(self.resolver, src, self.names)


class Namespace:
    """Something references traverse into (``var``, ``aws_s3_bucket``, a module call)."""

    def attr(self, name: str) -> Any:  # pragma: no cover - interface
        raise EvalError(f"unsupported attribute `{name}`")

    def index(self, key: Any) -> Any:
        raise EvalError("cannot index this value")


class Obj(PDict):
    """An object whose missing attributes are unknown rather than errors (a resource, a data source)."""

    __slots__ = ("label",)

    def __init__(self, *args: Any, label: str = "", pos: Loc | None = None, **kwargs: Any):
        super().__init__(*args, pos=pos, **kwargs)
        self.label = label


def evaluate(node, scope: Scope) -> Any:
    """Evaluate one expression; an expression Terraform would reject evaluates to Unknown with the reason."""
    try:
        return _ev(node, scope)
    except EvalError as exc:
        return Unknown(f"`{scope.src.snippet(node)}` cannot be evaluated ({exc})")
    except RecursionError:
        return Unknown(f"`{scope.src.snippet(node)}` is nested too deeply to evaluate")


def _ev(node, scope: Scope) -> Any:
    handler = _HANDLERS.get(node.data)
    if handler is None:
        raise EvalError(f"unsupported expression `{node.data}`")
    return handler(node, scope)


def _expr_term(node, scope):
    k = kids(node)
    return _ev(k[0], scope)


def _int(node, scope):
    return int(str(node.children[0]))


def _float(node, scope):
    v = float(str(node.children[0]))
    return int(v) if v.is_integer() and abs(v) < 2**53 and "e" not in str(node.children[0]).lower() else v


def _literal(node, scope):
    return {"true": True, "false": False, "null": None}[str(node.children[0])]


def _identifier(node, scope):
    name = str(node.children[0])
    if name in scope.names:
        return scope.names[name]
    return scope.resolver.root(name, scope, node)


def _keyword(node, scope):
    raise EvalError(f"`{node.children[0]}` is a keyword")


def _tuple(node, scope):
    return PList((_ev(k, scope) for k in kids(node)), pos=scope.src.loc(node))


def _object(node, scope):
    out = PDict(pos=scope.src.loc(node))
    for elem in kids(node):
        key_node, value_node = kids(elem)
        key = _object_key(key_node, scope)
        if isinstance(key, Unknown):
            return unknown_like(key)
        out[key] = _ev(value_node, scope)
        out.key_pos[key] = scope.src.loc(elem)
    return out


def _object_key(key_node, scope):
    inner = kids(key_node)[0]
    if inner.data == "keyword":
        return str(inner.children[0])
    k = kids(inner)
    # A bare name is the key itself; anything else (a string, a parenthesised expression) is evaluated.
    if inner.data == "expr_term" and len(k) == 1 and k[0].data == "identifier" and len(inner.children) == 1:
        return str(k[0].children[0])
    key = _ev(inner, scope)
    if isinstance(key, Unknown):
        return unknown_like(key)
    if isinstance(key, bool) or key is None or isinstance(key, (dict, list)):
        raise EvalError("object keys must be strings")
    return to_string(key)


def _conditional(node, scope):
    cond, yes, no = kids(node)
    c = _ev(cond, scope)
    if isinstance(c, Unknown):
        a, b = _ev(yes, scope), _ev(no, scope)
        if first_unknown(a) is None and first_unknown(b) is None and a == b:
            return a
        return Unknown(f"the condition `{scope.src.snippet(cond)}` is undecided ({c.reason})")
    if not isinstance(c, bool):
        raise EvalError("a condition must be true or false")
    return _ev(yes if c else no, scope)


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "%": lambda a, b: math.fmod(a, b),
    "<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}


def _binary(node, scope):
    left_node, term = kids(node)
    op_node, right_node = kids(term)
    op = str(op_node.children[0]).strip()
    a = _ev(left_node, scope)
    if op in ("&&", "||"):
        short = op == "||"  # the value that decides alone: true || x, false && x
        if a is short:
            return a
        b = _ev(right_node, scope)
        if b is short:
            return b
        if isinstance(a, Unknown):
            return unknown_like(a)
        if isinstance(b, Unknown):
            return unknown_like(b)
        if not isinstance(a, bool) or not isinstance(b, bool):
            raise EvalError(f"`{op}` needs true or false on both sides")
        return (a and b) if op == "&&" else (a or b)
    b = _ev(right_node, scope)
    if op in ("==", "!="):
        if first_unknown(a) is not None or first_unknown(b) is not None:
            return first_unknown(a) or first_unknown(b)
        return (_norm(a) == _norm(b)) == (op == "==")
    if isinstance(a, Unknown):
        return unknown_like(a)
    if isinstance(b, Unknown):
        return unknown_like(b)
    a, b = to_number(a), to_number(b)
    if op in ("/", "%") and b == 0:
        raise EvalError("division by zero")
    result = _ARITH[op](a, b)
    if isinstance(result, float) and result.is_integer() and op != "/":
        return int(result)
    return result


def _norm(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _unary(node, scope):
    op = str(node.children[0])
    v = _ev(kids(node)[0], scope)
    if isinstance(v, Unknown):
        return unknown_like(v)
    if op == "!":
        if not isinstance(v, bool):
            raise EvalError("`!` needs true or false")
        return not v
    return -to_number(v)


# -- strings and templates

_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def unescape(text: str) -> str:
    def sub(m):
        s = m.group(1)
        if s[0] in "uU" and len(s) > 1:
            return chr(int(s[1:], 16))
        return _SIMPLE.get(s, "\\" + s)
    return _ESCAPE.sub(sub, text) if "\\" in text else text


def _string(node, scope):
    parts = []
    for part in kids(node):
        child = part.children[0]
        if hasattr(child, "data"):
            if child.data == "interpolation":
                parts.append(_ev(kids(child)[0], scope))
            else:  # %{ if } / %{ for } directives
                return Unknown(f"the template `{scope.src.snippet(node)}` uses directives s3audit does not evaluate")
        else:
            text = str(child)
            if child.type == "ESCAPED_INTERPOLATION":
                parts.append(text[1:])
            elif child.type == "ESCAPED_DIRECTIVE":
                parts.append(text[1:])
            else:
                parts.append(unescape(text))
    return _join_template(parts, [isinstance(p, str) for p in parts], scope, node)


def _join_template(parts: list, literal: list[bool], scope, node, pos: Loc | None = None):
    """The text of a template's parts; with unknown parts, a ``PartialString`` of what is known."""
    # "${x}" alone is x itself, unconverted (a list stays a list).
    if len(parts) == 1 and not literal[0]:
        return parts[0]
    out: list = []
    unknown: Unknown | None = None
    size = 0
    for value, is_literal in zip(parts, literal):
        if is_literal:
            text = value
        elif isinstance(value, PartialString):
            out.extend(value.pieces)
            unknown = unknown or value
            continue
        elif isinstance(value, Unknown):
            out.append(value if isinstance(value, Fresh) else unknown_like(value))
            unknown = unknown or value
            continue
        elif value is None:
            raise EvalError("a null value cannot be used in a template")
        elif isinstance(value, (dict, list)):
            raise EvalError("a list or object cannot be used in a template")
        else:
            text = to_string(value)
        size += len(text)
        if size > MAX_TEXT:
            raise EvalError(TOO_LONG)
        out.append(text)
    if unknown is not None:
        return PartialString(out, unknown.reason, pos)
    return "".join(out)


# No value s3audit evaluates is longer than this: a template or jsonencode() that doubles its input at each of
# a few dozen nested levels would otherwise take time and memory exponential in the nesting (values in the
# resources s3audit reads are bounded far below: a bucket policy is at most 20 KB).
MAX_TEXT = 8 * 1024 * 1024
TOO_LONG = f"the text would be longer than {MAX_TEXT // (1024 * 1024)} MiB, which s3audit does not evaluate"


_HEREDOC = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n(.*?)^[ \t]*\2\r?\n?\Z", re.S | re.M)


def _heredoc(node, scope):
    raw = str(node.children[0])
    m = _HEREDOC.match(raw)
    if m is None:
        raise EvalError("malformed heredoc")
    trim, body = m.group(1) == "-", m.group(3)
    lines = body.split("\n")
    if trim:
        indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
        cut = min(indents) if indents else 0
        lines = [line[cut:] for line in lines]
        body = "\n".join(lines)
    start = scope.src.loc(node)
    pos = Loc(start.file, start.line + 1, 1)
    value = template(body, scope, pos)
    if isinstance(value, str) and not isinstance(value, PStr):
        value = PStr(value, pos)
    return value


def template(text: str, scope: Scope, pos: Loc | None = None,
             source_at: Callable[[int], Source] | None = None) -> Any:
    """Evaluate a template's text (heredoc body, templatefile): ``${...}`` interpolations, ``$${`` escapes.

    ``source_at(i)``: the Source that places the expression of the interpolation starting at index ``i``
    (default: counted in lines from ``pos``)."""
    if "${" not in text and "%{" not in text:
        return PStr(text, pos)
    parts: list = []
    literal: list[bool] = []
    i, buf = 0, []
    while i < len(text):
        if text.startswith("$${", i) or text.startswith("%%{", i):
            buf.append(text[i + 1:i + 3])
            i += 3
            continue
        if text.startswith("%{", i):
            return Unknown("a template uses directives s3audit does not evaluate")
        if text.startswith("${", i):
            end = _closing_brace(text, i + 2)
            if end < 0:
                raise EvalError("unterminated `${` in template")
            if buf:
                parts.append("".join(buf))
                literal.append(True)
                buf = []
            if source_at is not None:
                sub = source_at(i)
            else:
                line = (pos.line if pos else 1) + text.count("\n", 0, i)
                sub = Source(scope.src.file, "", line - 1)
            expr_text = text[i + 2:end]
            sub.text = "x = " + expr_text + "\n"
            tree = parse(sub.text, sub.file)
            expr = kids(kids(kids(tree)[0])[0])[-1]
            parts.append(_ev(expr, scope.with_src(sub)))
            literal.append(False)
            i = end + 1
            continue
        buf.append(text[i])
        i += 1
    if buf:
        parts.append("".join(buf))
        literal.append(True)
    value = _join_template(parts, literal, scope, None, pos) if parts else ""
    if isinstance(value, str) and pos is not None and not any(
            not lit and isinstance(p, str) and "\n" in p for p, lit in zip(parts, literal)):
        return PStr(value, pos)  # substitutions added no lines, so JSON positions still hold
    return value


def _closing_brace(text: str, i: int) -> int:
    depth, quote = 0, False
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote = True
        elif c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def _template_string(node, scope):
    return Unknown(f"`{scope.src.snippet(node)}` is a template form s3audit does not evaluate")


# -- traversals

def get_attr(value: Any, name: str) -> Any:
    if isinstance(value, Unknown):
        return unknown_like(value)
    if isinstance(value, Namespace):
        return value.attr(name)
    if isinstance(value, dict):
        if name in value:
            return value[name]
        if isinstance(value, Obj):
            return Unknown(f"`{value.label}.{name}` is known only after apply")
        raise EvalError(f"no attribute `{name}`")
    if isinstance(value, list) and name.isdigit():
        return get_index(value, int(name))
    if value is None:
        raise EvalError(f"cannot read `{name}` of null")
    raise EvalError(f"cannot read attribute `{name}` of a {type(value).__name__}")


def get_index(value: Any, key: Any) -> Any:
    if isinstance(value, Unknown):
        return unknown_like(value)
    if isinstance(key, Unknown):
        return unknown_like(key)
    if isinstance(value, Namespace):
        return value.index(key)
    if isinstance(value, list):
        try:
            idx = int(to_number(key))
        except EvalError:
            raise EvalError("a list index must be a number") from None
        if not 0 <= idx < len(value):
            raise EvalError(f"index {idx} is out of range")
        return value[idx]
    if isinstance(value, dict):
        k = to_string(key)
        if k in value:
            return value[k]
        if isinstance(value, Obj):
            return Unknown(f"`{value.label}[{json.dumps(k)}]` is known only after apply")
        raise EvalError(f"no key `{k}`")
    raise EvalError("cannot index this value")


def _get_attr_term(node, scope):
    base, step = kids(node)
    name_node = kids(step)[0]
    return get_attr(_ev(base, scope), str(name_node.children[0]))


def _index_term(node, scope):
    base, step = kids(node)
    return get_index(_ev(base, scope), _index_key(step, scope))


def _index_key(step, scope):
    if step.data == "short_index":
        return int(str(step.children[-1]))
    return _ev(kids(step)[0], scope)


def _splat(node, scope):
    base, splat = kids(node)
    value = _ev(base, scope)
    if isinstance(value, Unknown):
        return unknown_like(value)
    if value is None:
        return PList()
    items = value if isinstance(value, list) else [value]
    out = PList()
    for item in items:
        for step in kids(splat):
            if step.data == "get_attr":
                item = get_attr(item, str(kids(step)[0].children[0]))
            else:
                item = get_index(item, _index_key(step, scope))
        out.append(item)
    return out


# -- for expressions

def _for_intro(node, scope):
    intro = next(k for k in kids(node) if k.data == "for_intro")
    idents = [str(k.children[0]) for k in kids(intro) if k.data == "identifier"]
    coll_node = [k for k in kids(intro) if k.data != "identifier"][0]
    coll = _ev(coll_node, scope)
    return idents, coll


def _iterate(idents, coll):
    if isinstance(coll, dict):
        pairs = list(coll.items())
    elif isinstance(coll, list):
        pairs = list(enumerate(coll))
    else:
        raise EvalError("a for expression needs a list, set or map")
    for k, v in pairs:
        if len(idents) == 1:
            yield {idents[0]: v}
        else:
            yield {idents[0]: k, idents[1]: v}


def _for_cond(node):
    conds = [k for k in kids(node) if k.data == "for_cond"]
    return kids(conds[0])[0] if conds else None


def _for_tuple(node, scope):
    idents, coll = _for_intro(node, scope)
    if isinstance(coll, Unknown):
        return unknown_like(coll)
    if isinstance(coll, (list, dict)):
        scope.resolver.charge(len(coll))
    body = [k for k in kids(node) if k.data not in ("for_intro", "for_cond")][0]
    cond = _for_cond(node)
    out = PList(pos=scope.src.loc(node))
    for names in _iterate(idents, coll):
        inner = scope.with_names(**names)
        if cond is not None:
            c = _ev(cond, inner)
            if isinstance(c, Unknown):
                return unknown_like(c)
            if not c:
                continue
        out.append(_ev(body, inner))
    return out


def _for_object(node, scope):
    idents, coll = _for_intro(node, scope)
    if isinstance(coll, Unknown):
        return unknown_like(coll)
    if isinstance(coll, (list, dict)):
        scope.resolver.charge(len(coll))
    key_node, value_node = [k for k in kids(node) if k.data not in ("for_intro", "for_cond")][:2]
    grouping = any(not hasattr(c, "data") and str(c) == "..." for c in node.children)
    cond = _for_cond(node)
    out = PDict(pos=scope.src.loc(node))
    for names in _iterate(idents, coll):
        inner = scope.with_names(**names)
        if cond is not None:
            c = _ev(cond, inner)
            if isinstance(c, Unknown):
                return unknown_like(c)
            if not c:
                continue
        k = _ev(key_node, inner)
        if isinstance(k, Unknown):
            return unknown_like(k)
        k = to_string(k)
        v = _ev(value_node, inner)
        if grouping:
            out.setdefault(k, PList()).append(v)
        elif k in out:
            raise EvalError(f"duplicate key `{k}` in a for expression")
        else:
            out[k] = v
    return out


# -- functions

def _function(node, scope):
    k = kids(node)
    idents = [x for x in k if x.data == "identifier"]
    name = "::".join(str(i.children[0]) for i in idents)
    args_nodes = [x for x in k if x.data == "arguments"]
    arg_exprs = kids(args_nodes[0]) if args_nodes else []
    expand = bool(args_nodes) and any(not hasattr(c, "data") and str(c) == "..." for c in args_nodes[0].children)
    if name in ("try", "can"):
        return _try(name, arg_exprs, scope)
    fn = FUNCTIONS.get(name)
    if fn is None:
        return Unknown(f"function `{name}` is not evaluated by s3audit")
    args = [_ev(a, scope) for a in arg_exprs]
    if expand:
        last = args.pop()
        if isinstance(last, Unknown):
            return unknown_like(last)
        args.extend(last)
    if name in ("file", "templatefile", "fileexists"):
        return fn(scope, *args)
    partial_aware = name in _PARTIAL_AWARE
    for a in args:  # an unknown argument makes the result unknown (Terraform's rule for all but try/can)
        if isinstance(a, Unknown) and not (partial_aware and isinstance(a, (PartialJson, PartialString))):
            return unknown_like(a)
    try:
        return fn(*args)
    except EvalError:
        raise
    except BadPattern as exc:
        loc = scope.src.loc(node)
        raise InvalidPattern(f"`{name}`: {exc}", Place(loc.file, loc.line, loc.column)) from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise EvalError(f"bad arguments to `{name}`: {exc}") from None


def _try(name, arg_exprs, scope):
    for a in arg_exprs:
        try:
            v = _ev(a, scope)
        except (EvalError, InvalidPattern):
            continue
        if name == "can":
            u = first_unknown(v)
            return True if u is None else unknown_like(u)
        return v
    if name == "can":
        return False
    raise EvalError("no argument of try() could be evaluated")


def to_string(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, str):
        return str(v)
    if v is None:
        raise EvalError("null where a string is needed")
    raise EvalError("a list or object where a string is needed")


def to_number(v: Any) -> int | float:
    if isinstance(v, bool) or v is None:
        raise EvalError("a number is needed")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            raise EvalError(f"`{v}` is not a number") from None
        return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f
    raise EvalError("a number is needed")


def _jsonencode(v):
    """The JSON text Terraform's jsonencode() writes (Go's encoding: compact, with ``<``, ``>`` and ``&``
    escaped, other characters as they are), remembering the value it encodes; with unknown parts, a
    ``PartialJson`` that keeps the structure."""
    u = first_unknown(v)
    if u is not None:
        return PartialJson(v, u.reason)
    if _json_size(v, MAX_TEXT) > MAX_TEXT:
        raise EvalError(TOO_LONG)
    text = json.dumps(_plain_for_json(v), separators=(",", ":"), ensure_ascii=False)
    if any(c in text for c in "<>&\u2028\u2029"):
        text = text.translate(_GO_ESCAPES)
    return PStr(text, encoded=v)


_GO_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028",
               0x2029: "\\u2029"}


def _plain_for_json(v):
    if isinstance(v, dict):
        return {str(k): _plain_for_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain_for_json(x) for x in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return str(v) if isinstance(v, PStr) else v


def _json_size(v, limit: int) -> int:
    """An upper bound of the length of ``v``'s JSON text, counted until it passes ``limit`` (each nested
    jsonencode() doubles the escapes of the text it encodes: the bound is what keeps nesting linear)."""
    if isinstance(v, str):
        return len(v) + 2 + 5 * sum(map(v.count, '"\\<>&\n\r\t'))
    if isinstance(v, dict):
        total = 2
        for k, x in v.items():
            total += _json_size(str(k), limit) + _json_size(x, limit - total) + 2
            if total > limit:
                break
        return total
    if isinstance(v, list):
        total = 2
        for x in v:
            total += _json_size(x, limit - total) + 1
            if total > limit:
                break
        return total
    return 24


def _jsondecode(s):
    from .values import parse_json_with_positions
    if isinstance(s, PStr) and s.encoded is not None:
        return s.encoded
    if isinstance(s, PartialJson):
        return s.value
    if isinstance(s, Unknown):
        return unknown_like(s)
    pos = s.pos if isinstance(s, PStr) and s.pos else None
    index_loc = s.index_loc if isinstance(s, PStr) else None
    try:
        if pos or index_loc:
            return parse_json_with_positions(str(s), pos.file if pos else "", pos.line if pos else 1,
                                             pos.column if pos else 1, index_loc=index_loc)
        return json.loads(to_string(s))
    except (InputError, json.JSONDecodeError) as exc:
        raise EvalError(f"jsondecode: {exc}") from None


def _format(fmt, *args):
    fmt = to_string(fmt)
    out, ai, i = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        m = re.match(r"%([-+# 0]*)(\d*)(?:\.(\d+))?([svdfqtbeEgGxXo%])", fmt[i:])
        if not m:
            raise EvalError("bad format verb")
        if int(m.group(2) or 0) > 4096 or int(m.group(3) or 0) > 4096:
            raise EvalError("a format width or precision over 4096 is not evaluated")
        verb = m.group(4)
        i += m.end()
        if verb == "%":
            out.append("%")
            continue
        if ai >= len(args):
            raise EvalError("too few arguments for format")
        a = args[ai]
        ai += 1
        if verb in "sv":
            out.append(to_string(a) if not isinstance(a, (dict, list)) else json.dumps(a))
        elif verb == "q":
            out.append(json.dumps(to_string(a)))
        elif verb == "d":
            spec = "%" + m.group(1) + m.group(2) + "d"
            out.append(spec % int(to_number(a)))
        elif verb == "t":
            out.append("true" if a else "false")
        else:
            spec = "%" + m.group(1) + m.group(2) + ("." + m.group(3) if m.group(3) else "") + verb
            out.append(spec % to_number(a))
    return "".join(out)


def _replace(s, old, new):
    old, new = to_string(old), to_string(new)
    pattern = _regex(old[1:-1]) if len(old) > 1 and old.startswith("/") and old.endswith("/") else None
    if isinstance(s, PartialJson):
        return _replace_in_json(s, old, new)
    if isinstance(s, PartialString):
        return _replace_in_pieces(s, old, new)
    s = to_string(s)
    if pattern is not None:
        # Go's regexp, as Terraform runs it: linear in the text, never Python's backtracking re
        try:
            return replace_all(pattern, s, new, max_len=MAX_TEXT)
        except Re2TooCostly as exc:
            raise EvalError(f"{exc}, which s3audit does not evaluate") from None
    out = s.replace(old, new)
    if len(out) > MAX_TEXT:
        raise EvalError(TOO_LONG)
    return out


class BadPattern(Exception):
    """A regular expression Terraform refuses (its function fails: the input is wrong, not unknown)."""


class InvalidPattern(InputError):
    """BadPattern at its place: exit 2, unless try() or can() takes the error as Terraform does."""


def _regex(pattern: str):
    try:
        return compile_re2(pattern)
    except Re2SyntaxError as exc:
        raise BadPattern(f"invalid regular expression: {exc}") from None
    except (Re2Unsupported, Re2TooCostly) as exc:
        raise EvalError(str(exc)) from None


def _regex_result(rx, text: str, m: list):
    """One match as Terraform's regex() gives it: the matched text (no groups), a list (unnamed groups; null for
    one that took no part) or an object (named groups)."""
    def group(g):
        return None if m[2 * g] < 0 else text[m[2 * g]:m[2 * g + 1]]
    if rx.ngroups == 0:
        return text[m[0]:m[1]]
    if not rx.names:
        return PList(group(g) for g in range(1, rx.ngroups + 1))
    if len(rx.names) != rx.ngroups:
        raise BadPattern("invalid regular expression: named and unnamed capture groups cannot be mixed")
    return PDict({name: group(g) for g, name in rx.names.items()})


def _regex_fn(pattern, s):
    rx, text = _regex(to_string(pattern)), to_string(s)
    try:
        found = find_all(rx, text)[:1]
    except Re2TooCostly as exc:
        raise EvalError(f"{exc}, which s3audit does not evaluate") from None
    if not found:
        raise EvalError("pattern did not match any part of the given string")
    return _regex_result(rx, text, found[0])


def _regexall(pattern, s):
    rx, text = _regex(to_string(pattern)), to_string(s)
    try:
        return PList(_regex_result(rx, text, m) for m in find_all(rx, text))
    except Re2TooCostly as exc:
        raise EvalError(f"{exc}, which s3audit does not evaluate") from None


# Characters JSON text holds outside its strings (structure, numbers, true/false/null, blanks); characters that
# Terraform's jsonencode() writes escaped inside them (text to replace with one of them is not in the text as
# written); and characters that, inserted as they are, change what the JSON text means.
_JSON_OUTSIDE_STRINGS = frozenset('{}[]:,0123456789+-.eEtrufalsn \t\r\n')
_JSON_ESCAPED = frozenset('"\\<>&\u2028\u2029') | frozenset(chr(c) for c in range(32))
_JSON_BREAKING = frozenset('"\\') | frozenset(chr(c) for c in range(32))


def _replace_in_json(s: PartialJson, old: str, new: str) -> Unknown:
    """replace() on the JSON text of a partly known value: when ``old`` can only be found inside JSON strings
    (it has a character JSON text holds nowhere else) and neither ``old`` nor ``new`` has a character written
    escaped, replacing in the text is replacing in each string of the value, keys included, so the structure
    stays known (the placeholders popular modules put in policy documents: ``replace(json, "_BUCKET_", id)``)."""
    if (not old or (old.startswith("/") and old.endswith("/") and len(old) > 1) or set(old) <= _JSON_OUTSIDE_STRINGS
            or _JSON_ESCAPED & set(old) or _JSON_BREAKING & set(new)):
        return unknown_like(s)

    def walk(v):
        if isinstance(v, PartialString):
            return _replace_in_pieces(v, old, new)
        if isinstance(v, Unknown):
            return v
        if isinstance(v, str):
            return v.replace(old, new)
        if isinstance(v, dict):
            out = PDict({(k.replace(old, new) if isinstance(k, str) else k): walk(x) for k, x in v.items()},
                        pos=getattr(v, "pos", None))
            out.key_pos.update({(k.replace(old, new) if isinstance(k, str) else k): p
                                for k, p in getattr(v, "key_pos", {}).items()})
            return out
        if isinstance(v, list):
            return PList((walk(x) for x in v), pos=getattr(v, "pos", None))
        return v
    value = walk(s.value)
    u = first_unknown(value)
    return PartialJson(value, u.reason) if u is not None else _jsonencode(value)


def _replace_in_pieces(s: PartialString, old: str, new: str) -> Unknown:
    """replace() on a string with unknown pieces: in its known text, unless ``old`` could also straddle a known
    and an unknown piece (then the result is unknown)."""
    if not old or (old.startswith("/") and old.endswith("/") and len(old) > 1):
        return unknown_like(s)
    pieces = list(s.pieces)
    for i, p in enumerate(pieces):
        if isinstance(p, str):
            before = i > 0 and not isinstance(pieces[i - 1], str)
            after = i + 1 < len(pieces) and not isinstance(pieces[i + 1], str)
            if (before and any(p.startswith(old[k:]) for k in range(1, len(old)))) or (
                    after and any(p.endswith(old[:k]) for k in range(1, len(old)))):
                return unknown_like(s)
            pieces[i] = p.replace(old, new)
    return PartialString(pieces, s.reason, s.pos)


def _flatten(v):
    out = PList()
    for x in v:
        if isinstance(x, Unknown):
            return unknown_like(x)
        if isinstance(x, list):
            inner = _flatten(x)
            if isinstance(inner, Unknown):
                return unknown_like(inner)
            out.extend(inner)
            _bounded(out)
        else:
            out.append(x)
    return out


def _merge(*maps):
    out = PDict()
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            raise EvalError("merge() takes maps or objects")
        out.update(m)
        out.key_pos.update(getattr(m, "key_pos", {}))
        if out.pos is None:
            out.pos = getattr(m, "pos", None)
    return out


def _concat(*lists):
    out = PList()
    for lst in lists:
        if not isinstance(lst, list):
            raise EvalError("concat() takes lists")
        out.extend(lst)
        _bounded(out)
    return out


def _range(*args):
    return PList(_bounded(range(*[int(to_number(x)) for x in args])))


def _coalesce(*vals):
    for v in vals:
        if isinstance(v, Unknown):
            return v
        if v is not None and v != "":
            return v
    raise EvalError("no non-null argument to coalesce()")


def _lookup(m, key, *default):
    if isinstance(m, Unknown):
        return unknown_like(m)
    k = to_string(key)
    if isinstance(m, dict) and k in m:
        return m[k]
    if default:
        return default[0]
    if isinstance(m, Obj):
        return Unknown(f"`{m.label}[{json.dumps(k)}]` is known only after apply")
    raise EvalError(f"no key `{k}`")


def _element(lst, idx):
    if not lst:
        raise EvalError("element() of an empty list")
    return lst[int(to_number(idx)) % len(lst)]


def _toset(v):
    """toset(): the distinct elements (in a set of strings, sorted, as Terraform lists a set of strings)."""
    if all(isinstance(x, (str, int, float, bool)) and not isinstance(x, Unknown) for x in v):
        seen: dict = {}
        for x in v:
            seen.setdefault((type(x) is bool, x), x)  # True and 1 stay distinct
        out = PList(seen.values())
    else:
        out = PList()
        for x in v:
            if x not in out:
                out.append(x)
    if all(isinstance(x, str) for x in out):
        out.sort()
    return out


def _tobool(v):
    if isinstance(v, bool) or v is None:
        return v
    if v in ("true", "false"):
        return v == "true"
    raise EvalError(f"`{v}` is not a bool")


def _one(v):
    if not v:
        return None
    if len(v) > 1:
        raise EvalError("one() of more than one element")
    return v[0]


def _file(scope, path):
    if isinstance(path, Unknown):
        return unknown_like(path)
    return scope.resolver.read_file(to_string(path), scope)


def _templatefile(scope, path, variables):
    if isinstance(path, Unknown):
        return path
    if isinstance(variables, Unknown):
        return unknown_like(variables)
    text = scope.resolver.read_file(to_string(path), scope)
    sub = Scope(_VarsOnly(), Source(text.pos.file if text.pos else "?", str(text)), dict(variables))
    return template(str(text), sub, text.pos)


def _fileexists(scope, path):
    try:
        scope.resolver.read_file(to_string(path), scope)
        return True
    except (EvalError, InputError):
        return False


class _VarsOnly(Resolver):
    def root(self, name, scope, node):
        raise EvalError(f"`{name}` is not a variable of the template")

    def read_file(self, path, scope):
        raise EvalError("file() inside templatefile() is not evaluated")


def _b64encode(s):
    import base64
    return base64.b64encode(to_string(s).encode()).decode()


def _b64decode(s):
    import base64
    return base64.b64decode(to_string(s)).decode()


def _substr(s, offset, length):
    s, offset, length = to_string(s), int(to_number(offset)), int(to_number(length))
    if offset < 0:
        offset += len(s)
    return s[offset:] if length < 0 else s[offset:offset + length]


def _split(sep, s):
    return PList(to_string(s).split(to_string(sep)))


def _join(sep, *lists):
    sep = to_string(sep)
    pieces: list = []
    unknown: Unknown | None = None
    for lst in lists:
        if isinstance(lst, Unknown):
            return unknown_like(lst)
        for x in lst:
            if pieces:
                pieces.append(sep)
            if isinstance(x, PartialString):
                pieces.extend(x.pieces)
            elif isinstance(x, Unknown):
                pieces.append(x if isinstance(x, Fresh) else unknown_like(x))
            else:
                pieces.append(to_string(x))
                continue
            unknown = unknown or x
    if unknown is not None:
        return PartialString(pieces, unknown.reason)
    out = "".join(pieces)
    if len(out) > MAX_TEXT:
        raise EvalError(TOO_LONG)
    return out


def _tolist(v):
    return PList(v) if isinstance(v, list) else PList(v.values()) if isinstance(v, dict) else _bad("a list")


def _bad(what):
    raise EvalError(f"{what} is needed")


def _setop(op):
    def fn(*sets):
        acc = list(sets[0])
        for s in sets[1:]:
            if op == "union":
                acc += [x for x in s if x not in acc]
            elif op == "intersection":
                acc = [x for x in acc if x in s]
            else:
                acc = [x for x in acc if x not in s]
        return _toset(acc)
    return fn


def _chomp(s: str) -> str:
    return s.rstrip("\r\n")


def _trimmed(s, left, right):
    """trimspace()/chomp(): a partly known value keeps what it can (JSON text is the same JSON trimmed)."""
    if isinstance(s, PartialJson):
        return s
    if isinstance(s, PartialString):
        pieces = list(s.pieces)
        if left is not None and isinstance(pieces[0], str):
            pieces[0] = left(pieces[0])
        if isinstance(pieces[-1], str):
            pieces[-1] = right(pieces[-1])
        return PartialString(pieces, s.reason, s.pos)
    s = to_string(s)
    s = left(s) if left is not None else s
    return right(s)


# Functions that take a partly known argument (PartialJson, PartialString) and keep what stays known.
_PARTIAL_AWARE = frozenset({"jsondecode", "jsonencode", "replace", "coalesce", "tostring", "trimspace", "chomp"})

FUNCTIONS: dict[str, Callable] = {
    "jsonencode": _jsonencode, "jsondecode": _jsondecode, "format": _format, "join": _join,
    "concat": _concat, "merge": _merge, "flatten": _flatten, "coalesce": _coalesce,
    "coalescelist": lambda *ls: next((x for x in ls if x), PList()),
    "lower": lambda s: to_string(s).lower(), "upper": lambda s: to_string(s).upper(),
    "title": lambda s: to_string(s).title(), "replace": _replace, "regex": _regex_fn, "regexall": _regexall,
    "trimspace": lambda s: _trimmed(s, str.lstrip, str.rstrip), "chomp": lambda s: _trimmed(s, None, _chomp),
    "trim": lambda s, cs: to_string(s).strip(to_string(cs)),
    "trimprefix": lambda s, p: to_string(s).removeprefix(to_string(p)),
    "trimsuffix": lambda s, p: to_string(s).removesuffix(to_string(p)),
    "startswith": lambda s, p: to_string(s).startswith(to_string(p)),
    "endswith": lambda s, p: to_string(s).endswith(to_string(p)),
    "strcontains": lambda s, p: to_string(p) in to_string(s),
    "substr": _substr, "split": _split,
    "tostring": lambda v: v if v is None or isinstance(v, (PartialJson, PartialString)) else to_string(v), "tonumber": lambda v: v if v is None else to_number(v),
    "tobool": _tobool, "tolist": _tolist, "toset": _toset, "tomap": lambda m: PDict(m) if isinstance(m, dict) else _bad("a map"),
    "lookup": _lookup, "element": _element, "length": lambda v: len(v),
    "keys": lambda m: PList(sorted(m.keys())), "values": lambda m: PList(m[k] for k in sorted(m.keys())),
    "contains": lambda lst, v: v in lst, "distinct": lambda lst: PList(dict.fromkeys(lst)) if all(
        isinstance(x, (str, int, float, bool)) for x in lst) else PList([x for i, x in enumerate(lst) if x not in lst[:i]]),
    "compact": lambda lst: PList(x for x in lst if x not in (None, "")),
    "zipmap": lambda ks, vs: PDict(zip([to_string(k) for k in ks], vs)),
    "range": _range,
    "sort": lambda lst: PList(sorted(to_string(x) for x in lst)), "reverse": lambda lst: PList(reversed(lst)),
    "min": lambda *a: min(to_number(x) for x in a), "max": lambda *a: max(to_number(x) for x in a),
    "abs": lambda x: abs(to_number(x)), "ceil": lambda x: math.ceil(to_number(x)),
    "floor": lambda x: math.floor(to_number(x)), "sum": lambda lst: sum(to_number(x) for x in lst),
    "index": lambda lst, v: lst.index(v), "slice": lambda lst, a, b: PList(lst[int(a):int(b)]),
    "one": _one, "base64encode": _b64encode, "base64decode": _b64decode,
    "setunion": _setop("union"), "setintersection": _setop("intersection"), "setsubtract": _setop("subtract"),
    "file": _file, "templatefile": _templatefile, "fileexists": _fileexists,
}


_HANDLERS: dict[str, Callable] = {
    "expr_term": _expr_term, "int_lit": _int, "float_lit": _float, "literal_value": _literal,
    "identifier": _identifier, "keyword": _keyword, "string": _string, "template_string": _template_string,
    "tuple": _tuple, "object": _object, "conditional": _conditional, "binary_op": _binary,
    "unary_op": _unary, "heredoc_template": _heredoc, "heredoc_template_trim": _heredoc,
    "get_attr_expr_term": _get_attr_term, "index_expr_term": _index_term,
    "attr_splat_expr_term": _splat, "full_splat_expr_term": _splat,
    "for_tuple_expr": _for_tuple, "for_object_expr": _for_object, "function_call": _function,
    # an expression of Terraform's JSON syntax (hcljson.JsonExpr) evaluates itself
    "json_expr": lambda node, scope: node.evaluate(scope),
}


# --- blocks as values -------------------------------------------------------------------------------------

META_ARGUMENTS = frozenset({"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"})


def block_value(block: Block, scope: Scope, *, label: str = "", skip=META_ARGUMENTS) -> Obj:
    """A block's attributes and nested blocks as one object, nested blocks as lists (as plan JSON has them).

    ``dynamic "x" { for_each = ...  content { ... } }`` expands into ``x`` blocks when its collection is
    known; when it is not, the whole ``x`` list is unknown.
    """
    out = Obj(label=label, pos=block.loc)
    for name, attr in block.attrs.items():
        if name in skip:
            continue
        out[name] = evaluate(attr.expr, scope.with_src(attr.src))
        out.key_pos[name] = attr.loc
    for b in block.blocks:
        if b.type in skip:
            continue
        if b.type == "dynamic" and b.labels:
            target = b.labels[0]
            if target in block.attrs:
                raise InputError(f"`{target}` is set both as an argument and as a block",
                                 Place(b.loc.file, b.loc.line, b.loc.column))
            expanded = _dynamic(b, scope)
            current = out.get(target)
            if isinstance(expanded, Unknown) or isinstance(current, Unknown):
                out[target] = expanded if isinstance(expanded, Unknown) else current
            else:
                out.setdefault(target, PList(pos=b.loc)).extend(expanded)
            out.key_pos.setdefault(target, b.loc)
            continue
        current = out.get(b.type)
        if isinstance(current, Unknown):
            continue
        if b.type in block.attrs:
            raise InputError(f"`{b.type}` is set both as an argument and as a block",
                             Place(b.loc.file, b.loc.line, b.loc.column))
        out.setdefault(b.type, PList(pos=b.loc)).append(block_value(b, scope, skip=()))
        out.key_pos.setdefault(b.type, b.loc)
    return out


def _dynamic(b: Block, scope: Scope) -> Any:
    iterator = b.labels[0]
    if "iterator" in b.attrs:
        it_node = b.attrs["iterator"].expr
        if hasattr(it_node, "as_identifier"):  # Terraform's JSON syntax: the name as a string
            iterator = it_node.as_identifier()
        else:
            iterator = scope.src.snippet(it_node) if not kids(it_node) else name_of(kids(it_node)[0])
    if "for_each" not in b.attrs:
        return Unknown(f"dynamic block `{b.labels[0]}` has no for_each")
    coll = evaluate(b.attrs["for_each"].expr, scope.with_src(b.attrs["for_each"].src))
    if isinstance(coll, Unknown):
        return Unknown(f"the for_each of dynamic block `{b.labels[0]}` is unknown ({coll.reason})")
    contents = b.children("content")
    if not contents:
        return PList()
    out = PList(pos=b.loc)
    pairs = coll.items() if isinstance(coll, dict) else enumerate(coll) if isinstance(coll, list) else None
    if pairs is None:
        return Unknown(f"the for_each of dynamic block `{b.labels[0]}` is not a collection")
    for k, v in pairs:
        inner = scope.with_names(**{iterator: PDict({"key": k, "value": v})})
        out.append(block_value(contents[0], inner, skip=()))
    return out
