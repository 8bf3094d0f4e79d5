"""The typed AST of a rule file.

Every node is a frozen dataclass with a source ``span``. The span does not take part in equality or
hashing (as in Cedar), so two parses of the same rule that differ only in layout compare equal, and
tests can build expected trees without positions.

The evaluator compiles these nodes to closures; the checker's result (``check.CheckResult``) says, per
node, what type it has, what each name refers to and which function each call reaches.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union


@dataclass(frozen=True)
class Span:
    """A region of a source file: 1-based line and column; the end column is exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def sort_key(self) -> tuple[str, int, int]:
        return (self.file, self.line, self.column)


@dataclass(frozen=True)
class Node:
    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)


# ---------------------------------------------------------------------------------------------- leaves
@dataclass(frozen=True)
class Word(Node):
    """A bare word with a meaning fixed by its place: a rule id, a severity, a subject kind, a name."""

    text: str


@dataclass(frozen=True)
class Text(Node):
    """Literal text (a title, rationale, ...): adjacent string literals joined, escapes decoded."""

    value: str


# ---------------------------------------------------------------------------------------- expressions
@dataclass(frozen=True)
class Expr(Node):
    def children(self) -> tuple["Expr", ...]:
        return ()


@dataclass(frozen=True)
class Name(Expr):
    """A parameter, a `def`'s argument, a bound variable or a built-in constant such as `anonymous`."""

    id: str


@dataclass(frozen=True)
class StringLit(Expr):
    value: str


@dataclass(frozen=True)
class NumberLit(Expr):
    value: int | float


@dataclass(frozen=True)
class DurationLit(Expr):
    """`30d`, `12h`, `2w`, `1y` (a year is 365 days). ``seconds`` is the canonical value."""

    text: str
    seconds: int

    @property
    def days(self) -> float:
        return self.seconds / 86400


@dataclass(frozen=True)
class BoolLit(Expr):
    value: bool


@dataclass(frozen=True)
class ListLit(Expr):
    items: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.items


@dataclass(frozen=True)
class SetLit(Expr):
    """`{a, b}`; `{}` is an empty set, also accepted where a map is expected."""

    items: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.items


@dataclass(frozen=True)
class MapEntry(Node):
    key: StringLit
    value: Expr


@dataclass(frozen=True)
class MapLit(Expr):
    """`{"aws:SecureTransport": false}`: keys are strings (used for request context)."""

    entries: tuple[MapEntry, ...]

    def children(self) -> tuple[Expr, ...]:
        return tuple(e.value for e in self.entries)


@dataclass(frozen=True)
class Field(Expr):
    """`target.name`; ``name`` keeps its own span so a caret can point at the misspelt field."""

    target: Expr
    name: Word

    def children(self) -> tuple[Expr, ...]:
        return (self.target,)


@dataclass(frozen=True)
class Index(Expr):
    """`target[index]`: a map by string key (`b.tags["owner"]`) or a list by position."""

    target: Expr
    index: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.target, self.index)


@dataclass(frozen=True)
class Arg(Node):
    """One argument of a call: positional when ``name`` is None."""

    name: Word | None
    value: Expr


@dataclass(frozen=True)
class Call(Expr):
    """A call of a built-in function or a `def`. Only names can be called (no higher-order values)."""

    func: Word
    args: tuple[Arg, ...]

    def children(self) -> tuple[Expr, ...]:
        return tuple(a.value for a in self.args)


@dataclass(frozen=True)
class Not(Expr):
    operand: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)


# Binary operators, by group. `or` on principal selectors means union, `+`/`-` on sets and selectors
# mean union/difference; the checker decides which meaning applies and records the operand types.
LOGIC_OPS = ("and", "or")
COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "matches")
ARITH_OPS = ("+", "-")


@dataclass(frozen=True)
class BinOp(Expr):
    op: str  # one of LOGIC_OPS + COMPARE_OPS + ARITH_OPS
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Quant(Expr):
    """`any x in coll: body` / `all x in coll: body` (bool), `count(x in coll: body)` (number)."""

    kind: str  # any | all | count
    var: Word
    collection: Expr
    body: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.collection, self.body)


# ---------------------------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class TypeExpr(Node):
    """A written type: `string`, `set<string>`, `bucket` ..."""

    name: str
    args: tuple["TypeExpr", ...] = ()

    def __str__(self) -> str:
        return self.name + (f"<{', '.join(map(str, self.args))}>" if self.args else "")


@dataclass(frozen=True)
class PackDecl(Node):
    name: Word
    title: Text
    version: Text | None


@dataclass(frozen=True)
class ImportDecl(Node):
    """`import "common.s3r"`: a path relative to the importing file, inside the rules tree."""

    path: Text


@dataclass(frozen=True)
class ParamDecl(Node):
    """`param NAME: TYPE = DEFAULT`; the audit profile may set the value. No default: the profile must."""

    name: Word
    type: TypeExpr
    default: Expr | None


@dataclass(frozen=True)
class DefParam(Node):
    name: Word
    type: TypeExpr


@dataclass(frozen=True)
class DefDecl(Node):
    """`def NAME(ARGS) = EXPR`: a named, non-recursive function (a predicate when EXPR is a bool)."""

    name: Word
    params: tuple[DefParam, ...]
    body: Expr


@dataclass(frozen=True)
class Subject(Node):
    """`for KIND VAR [from EXPR] [with access LEVEL] [via direct|any] [where EXPR]`.

    ``source``, ``access`` and ``via`` narrow the paths of a `for path` rule and are only allowed there.
    """

    kind: Word
    var: Word
    source: Expr | None = None
    access: Word | None = None
    via: Word | None = None
    where: Expr | None = None


@dataclass(frozen=True)
class Require(Node):
    """`require EXPR`: a finding for each subject where EXPR does not hold."""

    expr: Expr


@dataclass(frozen=True)
class Forbid(Node):
    """`forbid EXPR`: a finding for each subject where EXPR holds."""

    expr: Expr


@dataclass(frozen=True)
class ForbidPath(Node):
    """`forbid path VAR from PRINCIPALS to BUCKET [with access LEVEL] [via direct|any]`.

    A finding for each path of the access graph from a principal in PRINCIPALS to BUCKET with the
    access level; VAR names that path in the message. (Sugar for "`paths(...)` is empty", but with one
    finding per path, each carrying its hops as evidence.)
    """

    var: Word
    source: Expr
    target: Expr
    access: Word | None = None
    via: Word | None = None


Requirement = Union[Require, Forbid, ForbidPath]


@dataclass(frozen=True)
class Template(Node):
    """A message: literal text and `{expr}` interpolations, in order."""

    parts: tuple[Union[str, Expr], ...]

    @property
    def exprs(self) -> tuple[Expr, ...]:
        return tuple(p for p in self.parts if isinstance(p, Expr))


@dataclass(frozen=True)
class Rule(Node):
    id: Word
    title: Text
    severity: Word
    subject: Subject
    requirement: Requirement
    message: Template
    controls: tuple[Text, ...] = ()
    rationale: Text | None = None
    remediation: Text | None = None
    fixes: tuple["Call", ...] = ()  # `fix KIND(ARGS)` clauses, alternatives in order (lang/fixkinds.py)


@dataclass(frozen=True)
class RuleFile(Node):
    path: str
    pack: PackDecl | None
    imports: tuple[ImportDecl, ...]
    params: tuple[ParamDecl, ...]
    defs: tuple[DefDecl, ...]
    rules: tuple[Rule, ...]
    source: str = field(default="", compare=False, repr=False)


def walk(expr: Expr) -> Iterator[Expr]:
    """Every expression node under ``expr`` (itself included), parents before children, iteratively."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children()))


def rule_exprs(rule: Rule) -> Iterator[Expr]:
    """The top-level expressions of a rule, in source order."""
    s = rule.subject
    for e in (s.source, s.where):
        if e is not None:
            yield e
    req = rule.requirement
    if isinstance(req, ForbidPath):
        yield req.source
        yield req.target
    else:
        yield req.expr
    yield from rule.message.exprs
    for f in rule.fixes:
        yield from (a.value for a in f.args)
