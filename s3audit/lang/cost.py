"""What a rule may cost, decided before it runs, so that every rule file that checks also finishes.

Rules are total (no recursion; quantifiers range over finite collections), but total is not enough: a
`def` that calls another twice doubles the work, and forty of them make 2^40 evaluations; a `def` that
returns `l + l`, applied to its own result, doubles a list each time; quantifiers nested over such lists
multiply. The checker therefore measures every `def` and rule on its AST, with every call written out
(defs are not recursive, so that ends), and refuses three things, each with its place and limit:

- **inlined size**: the expressions a `def` or rule evaluates once each call is replaced by the callee's
  body. More than ``MAX_INLINED`` is refused (exponential inlining); so is nesting deeper than
  ``MAX_NESTING`` (a long chain of defs), which the evaluator would have to recurse through.
- **collection size**: every list, set or map an expression can hold is bounded by ``k + m·N``, N being
  the size of the input (below): a literal has k = its items, the snapshot's and the profile's
  collections have m = 1, `+` adds the bounds, `-` keeps the left one. More than ``MAX_ELEMENTS`` when
  N = ``REFERENCE_SIZE`` is refused (lists doubled through defs).
- **steps** for one subject: each evaluation of a quantifier costs its iterations times the expressions its
  body evaluates besides nested quantifiers (which count their own), each `+` or `-` of collections the
  elements it copies, and membership in a list, `matches` against patterns and equality of collections
  the elements they walk. More than ``MAX_STEPS`` when N = ``REFERENCE_SIZE`` is refused (nested
  counts over large lists; three quantifiers nested over unrelated collections of the same subject).

N is the number of elements the snapshot's collections hold, every list of every record counted where the
language reaches it (a managed policy's statements once for each principal it is attached to), and of the
profile's parameter values. A quantifier nested in another over the outer element's own collection
(`any p in a.principals: any q in p.policies: ...`) is charged once per outer loop, not once per outer
element: the inner collections of distinct elements are distinct parts of the snapshot, so all of them
together hold at most N elements. (Fields that lead up or aside, such as a statement's `policy` or a
path's `target`, do not count as the element's own.)

The evaluator charges the same steps as it runs (``Budget``), so a run stops with an error naming the
rule, rather than hang, should a measure here ever fall short; the property test in
tests/lang/test_cost.py checks that it never does.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable

from . import ast as A
from . import types as T
from .diagnostics import Diagnostic, make

MAX_INLINED = 10_000
MAX_NESTING = 200  # expressions within expressions, calls written out: the evaluator recurses this deep
REFERENCE_SIZE = 1_000
MAX_ELEMENTS = 100_000
MAX_STEPS = 100_000_000
# What the evaluator allows at run time, as a backstop: steps of one rule over a whole run (about a minute
# of work), and elements of any one collection it builds.
RUN_STEPS = 2_000_000_000
RUN_ELEMENTS = 10_000_000

_CAP = 10 ** 30  # saturation: bounds past every limit stay small numbers
# Record fields that lead to a parent or to something shared, not to the record's own part of the snapshot.
_NOT_OWN = frozenset({("statement", "policy"), ("path", "start"), ("path", "target")})
GROWING_OPS = frozenset({"list-concat", "set-union", "set-difference"})  # they copy elements
_COLLECTIONS = (T.ListT, T.SetT, T.MapT)


def walked(meaning: str | None, left: T.Type | None, right: T.Type | None) -> tuple[bool, bool]:
    """Which operands a comparison walks element by element (the measure and the evaluator charge them):
    membership in a list, `matches` against a list or set of patterns, (in)equality of collections."""
    if meaning in ("in-collection", "not-in-collection"):
        return False, isinstance(right, T.ListT)
    if meaning == "matches":
        return False, isinstance(right, (T.ListT, T.SetT))
    if meaning in ("eq", "ne") and isinstance(left, _COLLECTIONS) and isinstance(right, _COLLECTIONS):
        return True, True
    return False, False


def _cap(n: int) -> int:
    return n if n < _CAP else _CAP


class StepsExceeded(BaseException):
    """Raised by the evaluator when a rule exceeds its run-time budget. A BaseException, so that the
    evaluator's guards that keep a message or an evidence fact from losing a finding do not swallow it."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class Budget:
    """Run-time steps left to the rule being evaluated (``Runtime.budget``): quantifiers subtract from
    ``left`` themselves and call ``exceeded`` below zero; `+` and `-` of collections call ``copy``."""

    __slots__ = ("steps", "left", "elements")

    def __init__(self, steps: int = RUN_STEPS, elements: int = RUN_ELEMENTS):
        self.steps = steps
        self.left = steps
        self.elements = elements

    def exceeded(self) -> None:
        raise StepsExceeded(f"it took more than {self.steps:,} steps, the most a rule may take in one run")

    def walk(self, elements: int) -> None:
        self.left -= elements
        if self.left < 0:
            self.exceeded()

    def copy(self, elements: int) -> None:
        if elements > self.elements:
            raise StepsExceeded(f"it built a collection of {elements:,} elements, more than the "
                                f"{self.elements:,} a rule may build")
        self.left -= elements
        if self.left < 0:
            self.exceeded()


# ------------------------------------------------------------------------------------------ measures
@dataclass(frozen=True)
class _Val:
    """What the measure knows of a value: for a collection, at most ``k + m·N`` elements, each like
    ``elem``; ``owner``, the loop whose current element this value is part of (a chain of own fields)."""

    k: int = 0
    m: int = 0
    collection: bool = False
    elem: "_Val | None" = None
    owner: object | None = None

    def size(self, n: int) -> int:
        return _cap(self.k + self.m * n)


_SCALAR = _Val()


def _input_of(t: T.Type | None) -> _Val:
    """A value of type ``t`` read from the input."""
    if isinstance(t, (T.ListT, T.SetT)):
        return _Val(0, 1, True, _input_of(t.elem))
    if isinstance(t, T.MapT):
        return _Val(0, 1, True, _input_of(t.value))
    return _SCALAR


def _join(a: _Val | None, b: _Val | None) -> _Val | None:
    if a is None:
        return b
    if b is None:
        return a
    return _Val(max(a.k, b.k), max(a.m, b.m), a.collection or b.collection, _join(a.elem, b.elem),
                a.owner if a.owner is b.owner else None)


@dataclass
class _Cost:
    steps: int = 0  # for one evaluation
    owned: dict | None = None  # loop -> steps over one whole evaluation of that loop (amortised parts)

    def add(self, other: "_Cost") -> None:
        self.steps = _cap(self.steps + other.steps)
        if other.owned:
            own = self.owned if self.owned is not None else {}
            for k, v in other.owned.items():
                own[k] = _cap(own.get(k, 0) + v)
            self.owned = own


class _Loop:
    """One quantifier being measured: the multiplicity of its collection's elements (an element of
    `l + l` comes twice)."""

    __slots__ = ("multiplicity",)

    def __init__(self, multiplicity: int):
        self.multiplicity = multiplicity


class _Violation(Exception):
    def __init__(self, node: A.Node, code: str, amount: int):
        self.node, self.code, self.amount = node, code, amount


class Measure:
    """The measures of a checked program's defs and rules (``checked`` is a ``CheckResult``)."""

    def __init__(self, checked: Any, n: int = REFERENCE_SIZE):
        self.r = checked
        self.n = n
        self._inlined: dict[int, int] = {}
        self._weight: dict[int, int] = {}
        self._depth: dict[int, int] = {}
        for info in checked.defs:  # callees first, so that no def's measure is computed recursively
            self.inlined(info.decl.body)
            self.weight(info.decl.body)
            self.nesting(info.decl.body)

    # ---- sizes of the written-out tree
    def inlined(self, e: A.Expr) -> int:
        """Expressions evaluated by one evaluation of ``e`` with every quantifier body once: its size with
        calls written out."""
        return self._memo(e, self._inlined, True)

    def weight(self, body: A.Expr) -> int:
        """Expressions one iteration of a quantifier with this body evaluates, nested quantifiers' bodies
        not counted (they charge their own iterations)."""
        return self._memo(body, self._weight, False)

    def _memo(self, e: A.Expr, memo: dict[int, int], bodies: bool) -> int:
        hit = memo.get(id(e))
        if hit is None:
            hit = memo[id(e)] = self._size(e, memo, bodies)
        return hit

    def _size(self, root: A.Expr, memo: dict[int, int], bodies: bool) -> int:
        total = 0
        stack = [root]
        while stack:
            e = stack.pop()
            total += 1
            if isinstance(e, A.Quant) and not bodies:
                stack.append(e.collection)
                continue
            if isinstance(e, A.Call):
                target = self.r.calls.get(e)
                if target is not None and target.kind == "def":
                    body = target.definition.body
                    total = _cap(total + self._memo(body, memo, bodies) - 1)  # the call is its body
            stack.extend(e.children())
        return _cap(total)

    def nesting(self, root: A.Expr) -> int:
        """How deep expressions nest in ``root`` with calls written out (a call is one level above both its
        arguments and the callee's body). Iterative: this is what bounds the recursion of everything else."""
        hit = self._depth.get(id(root))
        if hit is not None:
            return hit
        depth: dict[int, int] = {}
        stack: list[tuple[A.Expr, bool]] = [(root, False)]
        while stack:
            e, done = stack.pop()
            if not done:
                stack.append((e, True))
                stack.extend((c, False) for c in e.children())
                continue
            d = max((depth[id(c)] for c in e.children()), default=0)
            if isinstance(e, A.Call):
                target = self.r.calls.get(e)
                if target is not None and target.kind == "def":
                    d = max(d, self._depth.get(id(target.definition.body), 0))
            depth[id(e)] = d + 1
        self._depth[id(root)] = depth[id(root)]
        return depth[id(root)]

    # ---- the walk
    def measure(self, e: A.Expr, env: dict[int, _Val], own: bool = True) -> tuple[_Val, _Cost]:
        """The value and cost of ``e``. ``own``: ``e`` is written in the def or rule being measured (a limit
        exceeded there is reported at ``e``); inside a callee the call is reported instead."""
        val, cost = self._measure(e, env, own)
        if own:
            if val.collection and val.size(self.n) > MAX_ELEMENTS:
                raise _Violation(e, "collection-too-large", val.size(self.n))
            if _total(cost) > MAX_STEPS:
                raise _Violation(e, "too-many-steps", _total(cost))
        return val, cost

    def _measure(self, e: A.Expr, env: dict[int, _Val], own: bool) -> tuple[_Val, _Cost]:
        r = self.r
        if isinstance(e, A.Name):
            b = r.names.get(e)
            if b is None or b.kind == "constant":
                return _SCALAR, _Cost()
            if b.kind == "param":
                return _input_of(b.type), _Cost()
            return env.get(id(b.binder), _input_of(b.type)), _Cost()
        if isinstance(e, (A.StringLit, A.NumberLit, A.DurationLit, A.BoolLit)):
            return _SCALAR, _Cost()
        if isinstance(e, (A.ListLit, A.SetLit, A.MapLit)):
            cost = _Cost()
            elem = None
            items = e.children()
            for item in items:
                v, c = self.measure(item, env, own)
                cost.add(c)
                elem = _join(elem, v)
            return _Val(len(items), 0, True, elem or _SCALAR), cost
        if isinstance(e, A.Field):
            target, cost = self.measure(e.target, env, own)
            tt = r.types.get(e.target)
            owner = target.owner
            if owner is not None and isinstance(tt, T.RecordT) and (tt.name, e.name.text) in _NOT_OWN:
                owner = None
            return replace(_input_of(r.types.get(e)), owner=owner), cost
        if isinstance(e, A.Index):
            target, cost = self.measure(e.target, env, own)
            _, c = self.measure(e.index, env, own)
            cost.add(c)
            elem = target.elem or _input_of(r.types.get(e))
            return replace(elem, owner=target.owner), cost
        if isinstance(e, A.Call):
            return self._call(e, env, own)
        if isinstance(e, (A.Not, A.Neg)):
            _, cost = self.measure(e.operand, env, own)
            return _SCALAR, cost
        if isinstance(e, A.BinOp):
            left, cost = self.measure(e.left, env, own)
            right, c = self.measure(e.right, env, own)
            cost.add(c)
            meaning = r.ops.get(e)
            if meaning in GROWING_OPS:
                cost.steps = _cap(cost.steps + left.size(self.n) + right.size(self.n))
                if meaning == "set-difference":
                    return replace(left, owner=None), cost
                return _Val(_cap(left.k + right.k), _cap(left.m + right.m), True, _join(left.elem, right.elem)), cost
            walks_left, walks_right = walked(meaning, r.types.get(e.left), r.types.get(e.right))
            cost.steps = _cap(cost.steps + (left.size(self.n) if walks_left else 0) +
                              (right.size(self.n) if walks_right else 0))
            return _SCALAR, cost
        if isinstance(e, A.Quant):
            return _SCALAR, self._quant(e, env, own)
        raise TypeError(f"not an expression node: {type(e).__name__}")  # pragma: no cover

    def _call(self, e: A.Call, env: dict[int, _Val], own: bool) -> tuple[_Val, _Cost]:
        target = self.r.calls.get(e)
        cost = _Cost()
        args: list[_Val] = []
        for _, a in (target.args if target is not None else ()):
            if a is None:
                args.append(_SCALAR)
                continue
            v, c = self.measure(a, env, own)
            cost.add(c)
            args.append(v)
        if target is None:
            return _SCALAR, cost
        if target.kind == "def":
            decl = target.definition
            inner = {id(p.name): v for p, v in zip(decl.params, args)}
            val, c = self.measure(decl.body, inner, False)
            cost.add(c)
            return val, cost
        if target.name == "keys" and args:
            return _Val(args[0].k, args[0].m, True, _SCALAR), cost
        return _input_of(self.r.types.get(e)), cost

    def _quant(self, e: A.Quant, env: dict[int, _Val], own: bool) -> _Cost:
        coll, cost = self.measure(e.collection, env, own)
        loop = _Loop(max(1, _cap(coll.k + coll.m)))
        elem = coll.elem or _SCALAR
        if not elem.collection:
            elem = replace(elem, owner=loop)
        inner = dict(env)
        inner[id(e.var)] = elem
        _, body = self.measure(e.body, inner, own)
        per_iteration = _cap(self.weight(e.body) + body.steps)
        whole_loop = 0
        for key, steps in (body.owned or {}).items():
            if key is loop:
                whole_loop = steps
            else:  # amortised over a loop further out: at most that much for one iteration here
                per_iteration = _cap(per_iteration + steps)
        owner = coll.owner
        if isinstance(owner, _Loop) and coll.k == 0 and coll.m == 1:
            # the outer element's own collection: all of them together hold at most N elements
            reach = _cap(owner.multiplicity * self.n)
            amortised = _cap(reach * per_iteration + owner.multiplicity * whole_loop)
            cost.add(_Cost(0, {owner: amortised}))
        else:
            cost.steps = _cap(cost.steps + coll.size(self.n) * per_iteration + whole_loop)
        return cost


def _total(cost: _Cost) -> int:
    return _cap(cost.steps + sum((cost.owned or {}).values()))


# ------------------------------------------------------------------------------------------ the check
def rule_exprs_per_subject(rule: A.Rule) -> list[tuple[A.Expr, int]]:
    """The expressions a rule evaluates for one subject, each with how many times (a `forbid path` rule's
    message once per path: at most N)."""
    out = [(x, 1) for x in (rule.subject.source, rule.subject.where) if x is not None]
    req = rule.requirement
    fix_args = [a.value for f in rule.fixes for a in f.args]  # evaluated with the message, when asked
    if isinstance(req, A.ForbidPath):
        out += [(req.source, 1), (req.target, 1)]
        out += [(x, -1) for x in (*rule.message.exprs, *fix_args)]  # -1: once per path
    else:
        out.append((req.expr, 1))
        out += [(x, 1) for x in (*rule.message.exprs, *fix_args)]
    return out


def subject_steps(measure: Measure, rule: A.Rule) -> int:
    """The steps one subject of the rule may take (raises ``_Violation`` past a limit)."""
    total = 0
    for x, times in rule_exprs_per_subject(rule):
        _, cost = measure.measure(x, {})
        total = _cap(total + _total(cost) * (measure.n if times < 0 else times))
    if total > MAX_STEPS:
        raise _Violation(rule.id, "too-many-steps", total)
    return total


def check_costs(checked: Any, sources: dict[str, str]) -> list[Diagnostic]:
    """The defs and rules that exceed a limit: one diagnostic each, at the place where the limit is passed;
    a def or rule that calls one already reported is not reported again."""
    m = Measure(checked)
    out: list[Diagnostic] = []
    bad: set[int] = set()  # ids of DefDecls reported

    def calls_bad(exprs: Iterable[A.Expr]) -> bool:
        for top in exprs:
            for x in A.walk(top):
                t = checked.calls.get(x) if isinstance(x, A.Call) else None
                if t is not None and t.kind == "def" and id(t.definition) in bad:
                    return True
        return False

    def report(kind: str, name: str, node: A.Node, code: str, amount: int, span: A.Span | None) -> None:
        what = f"{kind} `{name}`"
        if code == "nested-too-deeply":
            msg = (f"{what} nests expressions {amount:,} deep once the definitions it calls are written out, "
                   f"more than the {MAX_NESTING:,} allowed")
            hint = "each call nests the body of the definition it calls one level deeper"
        elif code == "too-large":
            msg = (f"{what} is {amount:,} expressions once the definitions it calls are written out, "
                   f"more than the {MAX_INLINED:,} allowed")
            hint = "each call evaluates the whole body of the definition it calls"
        elif code == "collection-too-large":
            msg = (f"{what} can build a collection of {_amount(amount)} elements when the input holds {REFERENCE_SIZE:,}, "
                   f"more than the {MAX_ELEMENTS:,} allowed")
            hint = "each `+` of a collection and itself doubles it"
        else:
            msg = (f"{what} can take {_amount(amount)} steps for one subject when the input holds "
                   f"{REFERENCE_SIZE:,} elements, more than the {MAX_STEPS:,} allowed")
            hint = "nested quantifiers multiply their collections' sizes"
        span = span or getattr(node, "span", None)
        out.append(make(code, msg, span, sources.get(span.file) if span is not None else None, hint=hint))

    for info in checked.defs:  # callees first
        decl = info.decl
        if calls_bad([decl.body]):
            bad.add(id(decl))
            continue
        size, depth = m.inlined(decl.body), m.nesting(decl.body)
        if size > MAX_INLINED or depth > MAX_NESTING:
            code, amount = ("too-large", size) if size > MAX_INLINED else ("nested-too-deeply", depth)
            report("definition", decl.name.text, decl, code, amount, decl.name.span)
            bad.add(id(decl))
            continue
        env = {id(p.name): _input_of(t) for p, t in zip(decl.params, info.param_types)}
        try:
            m.measure(decl.body, env)
        except _Violation as v:
            report("definition", decl.name.text, v.node, v.code, v.amount, v.node.span)
            bad.add(id(decl))
    for info in checked.rules:
        rule = info.rule
        exprs = [x for x, _ in rule_exprs_per_subject(rule)]
        if calls_bad(exprs):
            continue
        size, depth = sum(m.inlined(x) for x in exprs), max(m.nesting(x) for x in exprs)
        if size > MAX_INLINED or depth > MAX_NESTING:
            code, amount = ("too-large", size) if size > MAX_INLINED else ("nested-too-deeply", depth)
            report("rule", rule.id.text, rule, code, amount, rule.id.span)
            continue
        try:
            subject_steps(m, rule)
        except _Violation as v:
            report("rule", rule.id.text, v.node, v.code, v.amount, v.node.span)
    return out


def _amount(n: int) -> str:
    """A count as a message shows it: exact up to a billion, then as a power of ten."""
    if n >= _CAP:
        return "more than 10^30"
    if n < 10 ** 9:
        return f"{n:,}"
    return f"about 10^{len(str(n)) - 1}"
