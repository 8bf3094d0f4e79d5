"""The evaluator: checked rules compiled once into closures, then run over a snapshot to make findings.

    program = load_program()                      # the built-in packs (or load_program(["rules/"]))
    result = run_rules(program, snapshot)         # RunResult(findings, rules, packs)

``load_program`` reads rule files, checks them (a file with an error runs nothing: ``RuleError`` with
every diagnostic rendered as `file:line:column`), binds the audit profile's parameter values, and
compiles each rule once: every expression becomes a closure over a frame of slots (slot 0 is the run's
``Runtime``), names are resolved to slots, parameters to constants, calls to built-ins or compiled
`def`s, operators to the meaning the checker chose. ``run_rules`` then evaluates every rule for each of
its subjects; no I/O happens here.

Three-valued answers. A requirement that comes out *unknown* (it read a value the snapshot lacks, or
asked the engine something that hangs on one) makes a finding with status `unknown` and the missing
values as evidence; so does a `where` filter that cannot be decided for a subject that fails its
requirement. Nothing unknown ever passes silently.
"""
from __future__ import annotations

import json
import operator
from collections.abc import Mapping  # not typing.Mapping: its isinstance is several times slower
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from .. import packaged
from ..errors import Place, RuleError
from ..gcpause import no_cyclic_gc
from ..findings import Finding, Location, Severity, Status, make_finding
from . import ast as A
from . import builtins as B
from . import types as T
from .check import CheckResult, check_program
from .cost import GROWING_OPS, Budget, Measure, StepsExceeded, walked
from .diagnostics import render_all
from .program import Program as SourceProgram
from .records import (AccessPointView, AccountView, BucketView, PathView, PrincipalView, Record, StatementView,
                      World, to_json)
from .values import Duration, Unknown, is_unknown, parse_duration, render_value, unknown

Closure = Callable[[list], Any]


# ------------------------------------------------------------------------------------------ public API
@dataclass(frozen=True)
class RuleMeta:
    """A rule's own metadata: what catalogues, reports and SARIF show."""

    id: str
    title: str
    severity: Severity
    controls: tuple[str, ...]
    rationale: str
    remediation: str
    pack: str
    file: str
    line: int
    subject: str = "bucket"  # what the rule is checked for
    column: int = 0
    fixes: tuple[str, ...] = ()  # the kinds of change its `fix` clauses name, in order (lang/fixkinds.py)


@dataclass(frozen=True)
class RunResult:
    findings: list[Finding]
    rules: list[RuleMeta]
    packs: list[tuple[str, str]]  # (pack name, version)
    data_classes: Mapping[str, frozenset] = field(default_factory=dict)  # pack -> `data-class` values it cares about
    # with run_rules(fixes=True): fingerprint of an open finding -> its rule's `fix` clauses, evaluated for it
    fixes: Mapping[str, tuple["FixCall", ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class FixCall:
    """One `fix` clause as evaluated for one finding: the kind of change, its arguments (by name; values as
    the rule language has them, absent arguments left out) and what the finding is about (``target``: plain
    facts of the subject, or of the path, for s3audit/fixes to find in the snapshot)."""

    kind: str
    args: Mapping[str, Any]
    target: Mapping[str, Any]


# A pack parameter whose name ends so lists the `data-class` tag values the pack is about (pci-dss:
# `cardholder_data_classes`); the report of a profile draws the paths to those buckets.
DATA_CLASSES_SUFFIX = "_data_classes"


def builtin_rules_dir() -> str:
    """The directory of the built-in rule packs shipped inside the package."""
    return packaged.path("rules")


class CompiledProgram:
    """Checked and compiled rules, with the parameter values they run with."""

    def __init__(self, source: SourceProgram, checked: CheckResult, rules: list["CompiledRule"],
                 packs: list[tuple[str, str]], params: Mapping[str, Any],
                 data_classes: Mapping[str, frozenset] | None = None):
        self.source = source
        self.checked = checked
        self.compiled = rules
        self.packs = packs
        self.params = dict(params)
        self.data_classes = dict(data_classes or {})  # pack -> `data-class` values (its *_data_classes params)

    @property
    def rules(self) -> list[RuleMeta]:
        return [r.meta for r in self.compiled]

    def rule(self, rule_id: str) -> "CompiledRule | None":
        return next((r for r in self.compiled if r.meta.id == rule_id), None)


Program = CompiledProgram  # the name the command line and reports use


def load_program(paths: Sequence[str] | None = None, params: Mapping[str, Any] | None = None, *,
                 root: str | None = None) -> CompiledProgram:
    """Read, check and compile rule files (None: the built-in packs) with the profile's parameter values.

    Raises ``RuleError`` with every diagnostic rendered (`file:line:column`, the line, a caret) when a
    file does not parse or check, or when a parameter value does not fit its declaration.
    """
    from .load import load_rules
    source = load_rules(list(paths) if paths else [builtin_rules_dir()], root=root)
    return compile_program(source, params)


def compile_program(source: SourceProgram, params: Mapping[str, Any] | None = None) -> CompiledProgram:
    """Check and compile an already loaded program (``Program.from_files`` for rules held in memory)."""
    params = dict(params or {})
    first = check_program(source)
    schema = None
    if params or any(p.decl.default is None for p in first.params.values()):
        schema = {name: (first.params[name].type if name in first.params else T.STRING) for name in params}
    checked = check_program(source, schema) if schema is not None else first
    errors = [d for d in checked.diagnostics if d.is_error]
    if errors:
        error = RuleError(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the rules",
                          errors[0].place, detail=render_all(checked.diagnostics))
        error.diagnostics = tuple(errors)  # for a caller that can place some of them (the profile's parameters)
        raise error
    compiler = _Compiler(checked, params, {f.path: f.pack.name.text for f in source.files if f.pack is not None})
    rules = [compiler.rule(info) for info in checked.rules if info.runs]
    packs: list[tuple[str, str]] = []
    data_classes: dict[str, frozenset] = {}
    for f in source.files:
        if f.pack is not None and f.path in source.entries:
            packs.append((f.pack.name.text, f.pack.version.value if f.pack.version else ""))
            values = [compiler._param(d) for d in f.params if d.name.text.endswith(DATA_CLASSES_SUFFIX)]
            if values:
                data_classes[f.pack.name.text] = frozenset(
                    str(x) for v in values if isinstance(v, (set, frozenset, tuple, list)) for x in v)
    return CompiledProgram(source, checked, rules, packs, params, data_classes)


def run_rules(program: CompiledProgram, snapshot: Any, *, engine: Any = None, graph: Any = None,
              select: Callable[[RuleMeta], bool] | None = None, budget: int | None = None,
              buckets: Iterable[str] | None = None, observer: Any = None, fixes: bool = False) -> RunResult:
    """Evaluate every (selected) rule over the snapshot. The access graph is built only if a selected rule
    needs it and ``graph`` is not given. ``fixes``: also evaluate the `fix` clauses of each open finding.

    Each rule may take ``budget`` steps (``cost.RUN_STEPS`` by default; the rule check bounds what a
    rule can cost, this is its backstop): past it the run stops with a ``RuleError`` naming the rule.

    ``buckets`` (names) limits the subjects of bucket, access point and path rules to those buckets and their
    access points (a shard of the estate: ``graph`` then needs only their data nodes); every other kind of
    subject, and everything a rule reads, stays the whole snapshot's. ``observer`` is told each subject as
    its evaluation starts (``observer.subject(view)``) and every engine question a rule asks about a resource
    (``observer.asked(runtime, selector or None, resource ARN, bucket name or None)``): what a shard read,
    for incremental runs (``s3audit.shards``)."""
    if engine is None:
        from ..iam.engine import Engine
        engine = Engine(snapshot)
    rules = [r for r in program.compiled if select is None or select(r.meta)]

    def make_graph():
        from ..graph.build import build_graph
        return build_graph(snapshot, engine)

    world = World(snapshot, engine, make_graph, only_buckets=buckets)
    if graph is not None:
        world._graph = graph
    rt = B.Runtime(world)
    rt.observer = observer
    rt.fixes = {} if fixes else None
    findings: list[Finding] = []
    # The snapshot, the engine's compiled policies and the graph are long-lived and large: keep the cyclic
    # garbage collector from scanning them again and again while rules make many small objects (which
    # reference counting frees).
    with no_cyclic_gc():
        try:
            # Findings come out ordered by (severity, highest first; rule; subject; key), ties in the order they
            # were found: rule ids are unique, so sorting the rules, then each rule's findings, gives that order
            # without a key per finding over the whole list.
            for r in sorted(rules, key=lambda r: (-int(r.meta.severity), r.meta.id)):
                rt.budget = Budget() if budget is None else Budget(budget)
                try:
                    found = r.run(rt)
                except StepsExceeded as stop:
                    raise _stopped(r.meta, stop) from None
                found.sort(key=_BY_SUBJECT if r.keyless else _SUBJECT_ORDER)
                findings.extend(found)
        finally:
            # The views and caches of the run refer to each other; undone here, reference counting frees them
            # at once instead of leaving a heap of cycles to the collector.
            rt.close()
    return RunResult(findings, [r.meta for r in rules], list(program.packs), dict(program.data_classes),
                     dict(rt.fixes or {}))


def _stopped(meta: RuleMeta, stop: StepsExceeded) -> RuleError:
    return RuleError(f"rule `{meta.id}` was stopped: {stop.what}",
                     Place(display_file(meta.file), meta.line or None, meta.column or None))


_SUBJECT_ORDER = operator.attrgetter("subject", "key")
_BY_SUBJECT = operator.attrgetter("subject")  # the same order where every key is empty
# Fact values whose evidence findings can share (not float: -0.0 == 0.0, yet they print apart).
_PLAIN = frozenset({type(None), bool, int, str, Duration})


# ---------------------------------------------------------------------------------------- parameters
def _param_value(value: Any, t: T.Type, name: str, top: T.Type | None = None, where: str = "") -> Any:
    """A profile's value for a parameter, as the language's value of its declared type."""
    top = top or t

    def bad(what: str) -> RuleError:
        return RuleError(f"parameter `{name}` is declared as `{top}` but the profile gives {what}{where}")

    if isinstance(t, T.EnumT) or t == T.STRING:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise bad(_describe_py(value))
        return str(value)
    if t == T.NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad(_describe_py(value))
        return value
    if t == T.BOOL:
        if not isinstance(value, bool):
            raise bad(_describe_py(value))
        return value
    if t == T.DURATION:
        if isinstance(value, str) and parse_duration(value) is not None:
            return parse_duration(value)
        raise bad(f"`{value}`" + (" (write durations as `30d`, `12h`, `2w` or `1y`)" if not where else ""))
    if isinstance(t, (T.ListT, T.SetT)):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, set, frozenset)):
            raise bad(_describe_py(value))
        items = [_param_value(x, t.elem, name, top, f" at position {i}") for i, x in enumerate(value)]
        return tuple(items) if isinstance(t, T.ListT) else frozenset(items)
    if isinstance(t, T.MapT):
        if not isinstance(value, Mapping):
            raise bad(_describe_py(value))
        return {str(k): _param_value(x, t.value, name, top, f" for key `{k}`") for k, x in value.items()}
    raise bad(_describe_py(value))


def _describe_py(v: Any) -> str:
    if isinstance(v, bool):
        return "a bool"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, Mapping):
        return "a map"
    if isinstance(v, (list, tuple, set, frozenset)):
        return "a list"
    return f"`{v!r}`"


# ------------------------------------------------------------------------------------------ compiler
def _const(value: Any) -> Closure:
    """A closure giving a value known at compile time; ``constant`` tells operators that take it as an
    operand (they then skip the call and the unknown test on that side)."""
    fn = lambda fr: value  # noqa: E731
    fn.constant = (value,)
    return fn


def _constant_of(fn: Closure) -> tuple | None:
    return getattr(fn, "constant", None)


@dataclass
class _Unit:
    """One frame layout: a rule's or a def's. Slot 0 holds the runtime."""

    size: int = 1

    def slot(self) -> int:
        self.size += 1
        return self.size - 1


@dataclass
class _Def:
    size: int
    arg_slots: tuple[int, ...]
    body: Closure


_SUBJECT_ARN = {"bucket": lambda v: v.arn, "account": lambda v: v.id, "principal": lambda v: v.arn,
                "access_point": lambda v: v.arn}


class _Compiler:
    def __init__(self, checked: CheckResult, params: Mapping[str, Any], pack_of: Mapping[str, str] | None = None):
        self.r = checked
        self.measure = Measure(checked)  # what one iteration of each quantifier costs, charged as it runs
        self.pack_of = dict(pack_of or {})
        self.slots: dict[int, int] = {}
        self.defs: dict[int, _Def] = {}
        self.param_values: dict[int, Any] = {}
        declared = checked.params
        for name, value in params.items():
            if name in declared:
                self.param_values[("name", name)] = _param_value(value, declared[name].type, name)
        self.def_graph: dict[int, bool] = {}
        for info in checked.defs:
            self.def_graph[id(info.decl)] = self._uses_graph([info.decl.body])
            self._def(info)

    def _uses_graph(self, exprs: Iterable[A.Expr]) -> bool:
        """Whether evaluating these expressions asks the access graph (directly or through a `def`)."""
        for top in exprs:
            for x in A.walk(top):
                if isinstance(x, A.Call):
                    t = self.r.calls.get(x)
                    if t is None:
                        continue
                    if t.kind == "builtin" and t.name in B.GRAPH_FUNCTIONS:
                        return True
                    if t.kind == "def" and self.def_graph.get(id(t.definition)):
                        return True
        return False

    # ---- parameters: the profile's value, else the declaring file's own default
    def _param(self, decl: A.ParamDecl) -> Any:
        name = decl.name.text
        if ("name", name) in self.param_values:
            return self.param_values[("name", name)]
        key = id(decl)
        if key not in self.param_values:
            unit = _Unit()
            fn = self.expr(decl.default, unit)
            value = fn([None] * unit.size)
            info = self.r.params.get(name)
            if info is not None and isinstance(info.type, T.SetT) and isinstance(value, tuple):
                value = frozenset(value)
            self.param_values[key] = value
        return self.param_values[key]

    def _def(self, info: Any) -> None:
        unit = _Unit()
        arg_slots = []
        for p in info.decl.params:
            s = unit.slot()
            self.slots[id(p.name)] = s
            arg_slots.append(s)
        holder = _Def(0, tuple(arg_slots), None)  # registered first: callers compile against it
        self.defs[id(info.decl)] = holder
        holder.body = self.expr(info.decl.body, unit)
        holder.size = unit.size

    # ---- expressions
    def expr(self, e: A.Expr, unit: _Unit) -> Closure:
        method = getattr(self, "_" + type(e).__name__)
        fn = method(e, unit)
        if not isinstance(e, (A.StringLit, A.NumberLit, A.BoolLit, A.DurationLit, A.Name)) and self._constant(e):
            # folded once: parameters are bound, so `external - trusted_accounts` is a constant
            try:
                value = fn([None] * unit.size)
            except Exception:  # leave anything surprising to run time, where it is reported in context
                return fn
            if not is_unknown(value):
                return _const(value)
        return fn

    def _constant(self, e: A.Expr) -> bool:
        """No local names, no engine or graph question, no membership in a selector (which needs the
        snapshot): the value is the same for every subject."""
        for x in A.walk(e):
            if isinstance(x, A.Name):
                b = self.r.names.get(x)
                if b is None or b.kind == "local":
                    return False
            elif isinstance(x, A.Call):
                t = self.r.calls.get(x)
                if t is None or t.kind != "builtin" or (t.signature and t.signature.backed_by != "pure"):
                    return False
            elif isinstance(x, A.BinOp) and str(self.r.ops.get(x, "")).endswith("-selector"):
                return False
            elif isinstance(x, A.Quant):
                return False
        return True

    def _StringLit(self, e, unit):
        return _const(e.value)

    def _NumberLit(self, e, unit):
        return _const(e.value)

    def _DurationLit(self, e, unit):
        return _const(Duration(e.seconds))

    def _BoolLit(self, e, unit):
        return _const(e.value)

    def _ListLit(self, e, unit):
        items = [self.expr(x, unit) for x in e.items]

        def f(fr):
            vals = tuple(i(fr) for i in items)
            bad = [v for v in vals if is_unknown(v)]
            return unknown(*bad) if bad else vals
        return f

    def _SetLit(self, e, unit):
        items = [self.expr(x, unit) for x in e.items]
        t = self.r.types.get(e)
        empty_map = isinstance(t, T.MapT)

        def f(fr):
            if not items:
                return {} if empty_map else frozenset()
            vals = [i(fr) for i in items]
            bad = [v for v in vals if is_unknown(v)]
            return unknown(*bad) if bad else frozenset(vals)
        return f

    def _MapLit(self, e, unit):
        entries = [(en.key.value, self.expr(en.value, unit)) for en in e.entries]

        def f(fr):
            out = {k: v(fr) for k, v in entries}
            bad = [v for v in out.values() if is_unknown(v)]
            return unknown(*bad) if bad else out
        return f

    def _Name(self, e, unit):
        b = self.r.names[e]
        if b.kind == "param":
            return _const(self._param(b.binder))
        if b.kind == "constant":
            return _const(B.CONSTANT_SELECTORS[b.name])
        s = self.slots[id(b.binder)]
        return lambda fr: fr[s]

    def _Field(self, e, unit):
        # A chain of fields on a local (`b.versioning.mfa_delete`) is one closure: the hot path of most rules.
        names: list[str] = []
        x: A.Expr = e
        while isinstance(x, A.Field):
            names.append(x.name.text)
            x = x.target
        names.reverse()
        binding = self.r.names.get(x) if isinstance(x, A.Name) else None
        if binding is not None and binding.kind == "local" and id(binding.binder) in self.slots:
            slot = self.slots[id(binding.binder)]
            if len(names) == 1:
                (n1,) = names

                def f1(fr):
                    v = fr[slot]
                    if v is None or type(v) is Unknown:
                        return v
                    return getattr(v, n1)
                return f1
            if len(names) == 2:
                n1, n2 = names

                def f2(fr):
                    v = fr[slot]
                    if v is None or type(v) is Unknown:
                        return v
                    v = getattr(v, n1)
                    if v is None or type(v) is Unknown:
                        return v
                    return getattr(v, n2)
                return f2

            def fn(fr):
                v = fr[slot]
                for n in names:
                    if v is None or type(v) is Unknown:
                        return v
                    v = getattr(v, n)
                return v
            return fn
        target = self.expr(e.target, unit)
        name = e.name.text
        get = operator.attrgetter(name)

        def f(fr):
            t = target(fr)
            if t is None:
                return None
            if type(t) is Unknown:
                return t
            return get(t)
        return f

    def _Index(self, e, unit):
        target = self.expr(e.target, unit)
        index = self.expr(e.index, unit)
        is_map = isinstance(self.r.types.get(e.target), T.MapT)
        key = _constant_of(index)
        if is_map and key is not None and key[0] is not None:
            (k,) = key

            def f_key(fr):  # `b.tags["owner"]`: a map read with a key known at compile time
                t = target(fr)
                if type(t) is Unknown:
                    return unknown(t)
                if t is None:
                    return None
                return t.get(k)
            return f_key

        def f(fr):
            t = target(fr)
            i = index(fr)
            if type(t) is Unknown or type(i) is Unknown:
                return unknown(t, i)
            if t is None or i is None:
                return None
            if is_map:
                return t.get(i)
            if isinstance(i, bool) or not isinstance(i, (int, float)) or int(i) != i:
                return None
            i = int(i)
            return t[i] if -len(t) <= i < len(t) else None
        return f

    def _Not(self, e, unit):
        inner = self.expr(e.operand, unit)

        def f(fr):
            v = inner(fr)
            if type(v) is Unknown:
                return v
            return not v
        return f

    def _Neg(self, e, unit):
        inner = self.expr(e.operand, unit)

        def f(fr):
            v = inner(fr)
            if v is None or type(v) is Unknown:
                return v
            return -v
        return f

    def _Quant(self, e, unit):
        coll = self.expr(e.collection, unit)
        s = unit.slot()
        self.slots[id(e.var)] = s
        body = self.expr(e.body, unit)
        kind = e.kind
        weight = self.measure.weight(e.body)

        def f(fr):
            c = coll(fr)
            if type(c) is Unknown:
                return c
            if c is None:
                c = ()
            elif isinstance(c, frozenset):
                c = sorted(c, key=_order)
            budget = fr[0].budget  # charged up front: the check bounded this, the budget is the backstop
            budget.left -= len(c) * weight
            if budget.left < 0:
                budget.exceeded()
            unknowns = []
            count = 0
            for x in c:
                fr[s] = x
                v = body(fr)
                if type(v) is Unknown:
                    unknowns.append(v)
                elif v:
                    if kind == "any":
                        return True
                    count += 1
                elif kind == "all":
                    return False
            if unknowns:
                return unknown(*unknowns)
            if kind == "count":
                return count
            return kind == "all"
        return f

    def _Call(self, e, unit):
        target = self.r.calls[e]
        if target.kind == "def":
            inlined = self._inline(target, unit)
            if inlined is not None:
                return inlined
            callee = self.defs[id(target.definition)]
            args = [self.expr(a, unit) for _, a in target.args]

            def call_def(fr):
                nf = [None] * callee.size
                nf[0] = fr[0]
                for s, a in zip(callee.arg_slots, args):
                    nf[s] = a(fr)
                return callee.body(nf)
            return call_def
        fn = B.FUNCTIONS[target.name]
        sig = target.signature
        compiled: list[Closure] = []
        for (pname, a) in target.args:
            if a is not None:
                compiled.append(self.expr(a, unit))
            else:
                default = _default_value(sig.param(pname))
                compiled.append(lambda fr, d=default: d)
        if len(compiled) == 1:
            (a0,) = compiled
            return lambda fr: fn(fr[0], a0(fr))
        if len(compiled) == 2:
            a0, a1 = compiled
            return lambda fr: fn(fr[0], a0(fr), a1(fr))
        return lambda fr: fn(fr[0], *[a(fr) for a in compiled])

    def _inline(self, target: Any, unit: _Unit) -> Closure | None:
        """A `def` called with local names only (`cardholder(b)`) compiled into the caller, its parameters
        read from the caller's slots: no frame made per call. Defs are not recursive, so this ends; the
        body's quantifiers get slots of the caller's frame."""
        decl = target.definition
        params = decl.params
        args = [a for _, a in target.args]
        if len(args) != len(params):
            return None
        slots = []
        for a in args:
            b = self.r.names.get(a) if isinstance(a, A.Name) else None
            if b is None or b.kind != "local" or id(b.binder) not in self.slots:
                return None
            slots.append(self.slots[id(b.binder)])
        saved = [self.slots.get(id(p.name)) for p in params]
        for p, slot in zip(params, slots):
            self.slots[id(p.name)] = slot
        try:
            return self.expr(decl.body, unit)
        finally:
            for p, old in zip(params, saved):
                if old is None:
                    del self.slots[id(p.name)]
                else:
                    self.slots[id(p.name)] = old

    def _BinOp(self, e, unit):
        meaning = self.r.ops.get(e)
        left = self.expr(e.left, unit)
        right = self.expr(e.right, unit)
        if meaning == "bool-and":
            def f_and(fr):
                a = left(fr)
                if a is not True and type(a) is not Unknown:
                    return False
                b = right(fr)
                if type(a) is Unknown:
                    return False if (b is not True and type(b) is not Unknown) else unknown(a, b)
                if type(b) is Unknown:
                    return b
                return b is True
            return f_and
        if meaning == "bool-or":
            def f_or(fr):
                a = left(fr)
                if a is True:
                    return True
                b = right(fr)
                if b is True:
                    return True
                if type(a) is Unknown or type(b) is Unknown:
                    return unknown(a, b)
                return False
            return f_or
        op = _BINARY[meaning]
        absent = _ABSENT.get(meaning, _NONE)
        lc, rc = _constant_of(left), _constant_of(right)
        if meaning in GROWING_OPS:
            return _charged(op, absent, left, right, True, True, copies=True)
        walks_left, walks_right = walked(meaning, self.r.types.get(e.left), self.r.types.get(e.right))
        if (walks_left and lc is None) or (walks_right and rc is None):
            return _charged(op, absent, left, right, walks_left, walks_right, copies=False)
        world_op = meaning.endswith("-selector")
        if not world_op and (lc is None) != (rc is None):
            return _binop_constant(meaning, op, absent, left, right, lc, rc)

        def f(fr):
            a = left(fr)
            b = right(fr)
            if type(a) is Unknown or type(b) is Unknown:
                return unknown(a, b)
            if world_op:
                return op(a, b, fr[0].world)
            if (a is None or b is None) and absent is not _NONE:
                return absent
            return op(a, b)
        return f

    def template(self, t: A.Template, unit: _Unit) -> Callable[[list], str]:
        # literal text and expressions alternate: texts[0], exprs[0], texts[1], ... texts[-1]
        texts: list[str] = [""]
        exprs: list[tuple[Closure, Any]] = []
        for p in t.parts:
            if isinstance(p, str):
                texts[-1] += p
            else:
                exprs.append((self.expr(p, unit), self.r.types.get(p)))
                texts.append("")

        def shown(fn: Closure, ty: Any, fr: list) -> str:
            try:
                v = fn(fr)
                return v if v.__class__ is str else render_value(v, ty)  # a string shows as itself
            except Exception:  # a message must never lose a finding
                return "unknown"

        if not exprs:
            text = texts[0]
            return lambda fr: text
        if len(exprs) == 1:
            (fn0, ty0), (before, after) = exprs[0], texts
            return lambda fr: before + shown(fn0, ty0, fr) + after
        last = texts[-1]
        pairs = list(zip(texts, exprs))

        def render(fr):
            out = []
            for text, (fn, ty) in pairs:
                out.append(text)
                out.append(shown(fn, ty, fr))
            out.append(last)
            return "".join(out)
        return render

    # ---- rules
    def fix(self, f: A.Call, unit: _Unit) -> tuple[str, list[tuple[str, Closure]]]:
        """A `fix` clause: its kind and its arguments by name, each compiled in the rule's scope."""
        from .fixkinds import FIX_KINDS
        names = [p.name for p in FIX_KINDS[f.func.text].params]
        args = []
        for i, a in enumerate(f.args):
            args.append((a.name.text if a.name is not None else names[i], self.expr(a.value, unit)))
        return f.func.text, args

    def rule(self, info: Any) -> "CompiledRule":
        rule: A.Rule = info.rule
        unit = _Unit()
        s = rule.subject
        kind = s.kind.text
        subject_slot = unit.slot()
        self.slots[id(s.var)] = subject_slot
        pack = self.pack_of.get(info.file, "")
        meta = RuleMeta(
            id=rule.id.text, title=rule.title.value, severity=Severity.parse(rule.severity.text),
            controls=tuple(c.value for c in rule.controls), rationale=rule.rationale.value if rule.rationale else "",
            remediation=rule.remediation.value if rule.remediation else "", pack=pack, file=info.file,
            line=rule.id.span.line if rule.id.span else 0, subject=kind,
            column=rule.id.span.column if rule.id.span else 0, fixes=tuple(f.func.text for f in rule.fixes))
        cr = CompiledRule(meta, kind, subject_slot)
        if kind == "path":
            cr.source = self.expr(s.source, unit) if s.source is not None else None
            cr.access = s.access.text if s.access is not None else "any"
            cr.via = s.via.text if s.via is not None else "any"
            if s.where is not None:
                conjuncts = _conjuncts(s.where)
                pre = [c for c in conjuncts if _only_target(c, s.var.text, self.r)]
                rest = [c for c in conjuncts if c not in pre]
                cr.prefilter = [self.expr(c, unit) for c in pre]
                cr.where = _all_of([self.expr(c, unit) for c in rest]) if rest else None
        elif s.where is not None:
            cr.where = self.expr(s.where, unit)
        req = rule.requirement
        if isinstance(req, A.ForbidPath):
            cr.mode = "forbid-path"
            cr.path_source = self.expr(req.source, unit)
            cr.path_target = self.expr(req.target, unit)
            cr.path_access = req.access.text if req.access is not None else "any"
            cr.path_via = req.via.text if req.via is not None else "any"
            cr.path_slot = unit.slot()
            self.slots[id(req.var)] = cr.path_slot
        else:
            cr.mode = "require" if isinstance(req, A.Require) else "forbid"
            cr.test = self.expr(req.expr, unit)
            cr.facts = [(text, self.expr(x, unit)) for text, x in _facts(req.expr, s.var.text, self.r)]
            if kind == "statement":
                # the linter's problems a hygiene rule asks about are its evidence
                cr.lint_codes = frozenset(x.value for x in A.walk(req.expr)
                                          if isinstance(x, A.StringLit) and x.value in T.LINT_CODE.values)
        cr.message = self.template(rule.message, unit)
        cr.fix_calls = [self.fix(f, unit) for f in rule.fixes]
        cr.message_asks = any(isinstance(x, A.Call) and getattr(self.r.calls.get(x), "signature", None) is not None
                              and self.r.calls[x].signature.explains
                              or isinstance(x, A.Call) and getattr(self.r.calls.get(x), "kind", "") == "def"
                              for e in rule.message.exprs for x in A.walk(e))
        cr.size = unit.size
        cr.needs_graph = kind == "path" or isinstance(req, A.ForbidPath) or self._uses_graph(A.rule_exprs(rule))
        return cr


_NONE = object()


def display_file(path: str) -> str:
    """Built-in packs are shown by their place in the package, wherever it is installed."""
    base = builtin_rules_dir().replace("\\", "/").rstrip("/") + "/"
    p = path.replace("\\", "/")
    return "s3audit/rules/" + p[len(base):] if p.startswith(base) else path


def _default_value(spec: T.ParamSpec | None) -> Any:
    if spec is None or spec.default is None:
        return None
    text = spec.default
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if text == "{}":
        return {}
    return None


def _order(x: Any) -> Any:
    if isinstance(x, Record):
        return str(x.ident)
    return (type(x).__name__, x) if isinstance(x, (str, int, float)) else str(x)


def _eq(a, b):
    return a == b


def _in_collection(a, b):
    return a in b


def _matches(a, b):
    if isinstance(b, str):
        return B.glob_match(a, b)
    return any(B.glob_match(a, p) for p in b if p is not None)


def _set_union(a, b):  # an absent side is empty
    return frozenset(a or ()) | frozenset(b or ())


def _set_difference(a, b):
    return frozenset(a or ()) - frozenset(b or ())


def _duration(fn):
    return lambda a, b: Duration(fn(a, b))


_BINARY: dict[str, Callable] = {
    "eq": _eq, "ne": lambda a, b: a != b,
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
    "in-collection": _in_collection, "not-in-collection": lambda a, b: a not in b,
    "in-map": lambda a, b: a in b, "not-in-map": lambda a, b: a not in b,
    "in-string": lambda a, b: a in b, "not-in-string": lambda a, b: a not in b,
    "in-selector": lambda a, b, w: B.member(a, b, w),
    "not-in-selector": lambda a, b, w: _not3(B.member(a, b, w)),
    "matches": _matches,
    "number-add": operator.add, "number-sub": operator.sub,
    "duration-add": _duration(operator.add), "duration-sub": _duration(operator.sub),
    "set-union": _set_union, "set-difference": _set_difference,
    "list-concat": lambda a, b: tuple(a) + tuple(b),
    "selector-union": lambda a, b: B.union(a, b),
    "selector-difference": lambda a, b: B.difference(a, b),
}
# What an operator gives when an operand is absent (not configured). Selectors treat absent as nobody.
_ABSENT: dict[str, Any] = {
    "eq": False, "ne": True, "lt": False, "le": False, "gt": False, "ge": False,
    "in-collection": False, "not-in-collection": True, "in-map": False, "not-in-map": True,
    "in-string": False, "not-in-string": True, "matches": False,
    "number-add": None, "number-sub": None, "duration-add": None, "duration-sub": None, "list-concat": None,
}


def _charged(op: Callable, absent: Any, left: Closure, right: Closure, charge_left: bool, charge_right: bool, *,
             copies: bool) -> Closure:
    """An operator whose work grows with its operands (cost.walked, `+` and `-` of collections): the elements
    it walks or copies are charged to the rule's budget before it does."""
    def f(fr):
        a = left(fr)
        b = right(fr)
        if type(a) is Unknown or type(b) is Unknown:
            return unknown(a, b)
        if (a is None or b is None) and absent is not _NONE:
            return absent
        rt = fr[0]
        if rt is not None:  # None while a constant is folded at compile time
            n = (len(a) if charge_left and a is not None else 0) + (len(b) if charge_right and b is not None else 0)
            if copies:
                rt.budget.copy(n)
            else:
                rt.budget.walk(n)
        return op(a, b)
    return f


def _binop_constant(meaning: str, op: Callable, absent: Any, left: Closure, right: Closure, lc: tuple | None,
                    rc: tuple | None) -> Closure:
    """A binary operator with one operand known at compile time (`b.ownership == "BucketOwnerEnforced"`,
    `"unknown-action" in s.problem_codes`): the same answers as the general case, the constant side neither
    called nor tested; equality and membership written out."""
    has_absent = absent is not _NONE
    var = left if rc is not None else right
    (c,) = rc if rc is not None else lc
    if c is None and has_absent:
        def f_absent(fr):
            v = var(fr)
            return unknown(v) if type(v) is Unknown else absent
        return f_absent
    member = meaning in ("in-collection", "in-map", "in-string")
    if rc is not None:
        if meaning == "eq":
            def f(fr):
                a = left(fr)
                if type(a) is Unknown:
                    return unknown(a)
                if a is None:
                    return absent
                return a == c
        elif member:
            def f(fr):
                a = left(fr)
                if type(a) is Unknown:
                    return unknown(a)
                if a is None:
                    return absent
                return a in c
        else:
            def f(fr):
                a = left(fr)
                if type(a) is Unknown:
                    return unknown(a)
                if a is None and has_absent:
                    return absent
                return op(a, c)
        return f
    if meaning == "eq":
        def g(fr):
            b = right(fr)
            if type(b) is Unknown:
                return unknown(b)
            if b is None:
                return absent
            return c == b
    elif member:
        def g(fr):
            b = right(fr)
            if type(b) is Unknown:
                return unknown(b)
            if b is None:
                return absent
            return c in b
    else:
        def g(fr):
            b = right(fr)
            if type(b) is Unknown:
                return unknown(b)
            if b is None and has_absent:
                return absent
            return op(c, b)
    return g


def _not3(v):
    return v if is_unknown(v) else not v



def _conjuncts(e: A.Expr) -> list[A.Expr]:
    if isinstance(e, A.BinOp) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


def _only_target(e: A.Expr, var: str, r: CheckResult) -> bool:
    """Whether ``e`` reads the path variable only through `VAR.target` (so it can be decided per bucket,
    before the graph is asked for paths)."""
    uses: list[bool] = []

    def walk(x: A.Expr, parent: A.Expr | None) -> None:
        if isinstance(x, A.Name):
            b = r.names.get(x)
            if b is not None and b.kind == "local" and x.id == var:
                uses.append(isinstance(parent, A.Field) and parent.name.text == "target" and parent.target is x)
            return
        for c in x.children():
            walk(c, x)
        if isinstance(x, A.Call):
            target = r.calls.get(x)
            if target is not None and target.kind == "builtin" and target.name in B.GRAPH_FUNCTIONS:
                uses.append(False)

    walk(e, None)
    return bool(uses) and all(uses)


def _all_of(fns: list[Closure]) -> Closure:
    def f(fr):
        unknowns = []
        for fn in fns:
            v = fn(fr)
            if type(v) is Unknown:
                unknowns.append(v)
            elif not v:
                return False
        return unknown(*unknowns) if unknowns else True
    return f


def _text_of(e: A.Expr) -> str | None:
    if isinstance(e, A.Name):
        return e.id
    if isinstance(e, A.Field):
        t = _text_of(e.target)
        return None if t is None else f"{t}.{e.name.text}"
    if isinstance(e, A.Index) and isinstance(e.index, A.StringLit):
        t = _text_of(e.target)
        return None if t is None else f'{t}["{e.index.value}"]'
    return None


def _facts(e: A.Expr, var: str, r: CheckResult) -> list[tuple[str, A.Expr]]:
    """The subject's fields a requirement reads (the longest chains, outside quantifier bodies and calls):
    shown as evidence, so a finding says what the rule saw."""
    found: dict[str, A.Expr] = {}

    def root_is_subject(x: A.Expr) -> bool:
        while isinstance(x, (A.Field, A.Index)):
            x = x.target
        return isinstance(x, A.Name) and x.id == var and getattr(r.names.get(x), "kind", "") == "local"

    def walk(x: A.Expr) -> None:
        if isinstance(x, (A.Field, A.Index)) and root_is_subject(x):
            text = _text_of(x)
            if text is not None and isinstance(r.types.get(x), (T.Prim, T.EnumT, T.ListT, T.SetT, T.MapT)):
                found.setdefault(text, x)
                return
        if isinstance(x, A.Quant):
            walk(x.collection)
            return
        if isinstance(x, A.Call):
            return
        for c in x.children():
            walk(c)

    walk(e)
    return list(found.items())


# --------------------------------------------------------------------------------------- compiled rules
class CompiledRule:
    def __init__(self, meta: RuleMeta, kind: str, subject_slot: int):
        self.meta = meta
        self.kind = kind
        self.subject_slot = subject_slot
        self.where: Closure | None = None
        self.prefilter: list[Closure] = []
        self.source: Closure | None = None
        self.access = "any"
        self.via = "any"
        self.mode = "require"
        self.test: Closure | None = None
        self.facts: list[tuple[str, Closure]] = []
        self.path_source = self.path_target = None
        self.path_access = self.path_via = "any"
        self.path_slot = 0
        self.message: Callable[[list], str] = lambda fr: ""
        self.size = 2
        self.needs_graph = False
        self.lint_codes: frozenset[str] = frozenset()
        self.fix_calls: list[tuple[str, list[tuple[str, Closure]]]] = []
        self.message_asks = True  # whether the message calls built-ins that record evidence
        self.identity: Callable[[Any, World], tuple] = _IDENTITY.get(kind, _identity)

    @property
    def keyless(self) -> bool:
        """Whether every finding of the rule has an empty key (one finding per subject, no path or
        statement facts in its identity)."""
        return self.kind in ("bucket", "account", "principal", "access_point") and self.mode != "forbid-path"

    # ---- subjects
    def _subjects(self, rt: B.Runtime) -> Iterable[Any]:
        w = rt.world
        if self.kind == "bucket":
            return w.buckets()
        if self.kind == "account":
            return w.account_views()
        if self.kind == "principal":
            return w.principals()
        if self.kind == "access_point":
            return w.access_points()
        if self.kind == "statement":
            return w.statements()
        return self._paths(rt)

    def _paths(self, rt: B.Runtime) -> Iterable[PathView]:
        fr = [rt] + [None] * (self.size - 1)
        for b in rt.world.buckets():
            if self.prefilter:
                stub = _TargetOnly(b)
                fr[self.subject_slot] = stub
                verdicts = [f(fr) for f in self.prefilter]
                if any(v is not True and not is_unknown(v) for v in verdicts):
                    continue
            sel = B.to_selector(self.source(fr)) if self.source is not None else None
            if sel is None or is_unknown(sel):
                yield from B.graph_paths(rt, b, self.access, self.via)
            else:
                yield from B.selected_paths(rt, sel, b, self.access, self.via)

    # ---- running
    def run(self, rt: B.Runtime) -> list[Finding]:
        out: list[Finding] = []
        template = [None] * self.size
        template[0] = rt
        slot = self.subject_slot
        where = self.where
        test = self.test
        require = self.mode == "require"
        forbid_path = self.mode == "forbid-path"
        passes = require  # the answer that passes at once: true for `require`, false for `forbid`
        finding = self._finding_maker(rt)
        trim = rt.trim
        evidence = rt.evidence = []
        evaluated = 0
        observer = rt.observer
        for subject in self._subjects(rt):
            fr = template.copy()
            fr[slot] = subject
            if observer is not None:
                observer.subject(subject)
            if evidence:  # each subject's evidence starts empty
                evidence = rt.evidence = []
            evaluated += 1
            if not evaluated & 511:  # keep per-request caches bounded on large estates
                trim()
            w_unknown: Unknown | None = None
            if where is not None:
                w = where(fr)
                if w is False:
                    continue
                if type(w) is Unknown:
                    w_unknown = w
                elif not w:
                    continue
            if forbid_path:
                out.extend(self._forbid_path(rt, fr, subject, w_unknown, finding))
                evidence = rt.evidence
                continue
            v = test(fr)
            if v is passes:
                continue
            if type(v) is Unknown:
                status, missing = Status.UNKNOWN, v.reasons + (w_unknown.reasons if w_unknown is not None else ())
            elif (not v) if require else bool(v):
                status, missing = (Status.UNKNOWN, w_unknown.reasons) if w_unknown is not None else (Status.OPEN, ())
            else:
                continue
            f = finding(fr, subject, status, missing, rt.evidence)
            out.append(f)
            if rt.fixes is not None and self.fix_calls and status is Status.OPEN:
                self._record_fixes(rt, fr, f, subject, None)
            evidence = rt.evidence
        return out

    def _record_fixes(self, rt: B.Runtime, fr: list, f: Finding, subject: Any, path: Any) -> None:
        calls = []
        target = _fix_target(subject, path)
        for kind, args in self.fix_calls:
            values = {}
            for name, fn in args:
                try:
                    v = fn(fr)
                except Exception:  # an argument that cannot be had (a key of an empty `{}`) is left out
                    continue
                if is_unknown(v):  # a change made of what s3audit could not read is no change to offer
                    values = None
                    break
                if v is not None:  # absent: the kind's default
                    values[name] = v
            if values is not None:
                calls.append(FixCall(kind, values, target))
        rt.fixes[f.fingerprint] = tuple(calls)

    def _forbid_path(self, rt: B.Runtime, fr: list, subject: Any, w_unknown: Unknown | None,
                     finding: Callable[..., Finding]) -> list[Finding]:
        target = self.path_target(fr)
        source = self.path_source(fr)
        if type(target) is Unknown or is_unknown(B.to_selector(source)):
            u = unknown(target, B.to_selector(source))
            return [finding(fr, subject, Status.UNKNOWN, u.reasons, [])]
        found = B.paths(rt, source, target, self.path_access, self.path_via)
        out = []
        for p in found:
            fr[self.path_slot] = p
            missing = p.unknown_reasons + (w_unknown.reasons if w_unknown is not None else ())
            status = Status.UNKNOWN if missing else Status.OPEN
            evidence = [h.to_json() for h in p.hops]
            f = finding(fr, subject, status, missing, evidence, key=(p.start.arn, p.access))
            out.append(f)
            if rt.fixes is not None and self.fix_calls and status is Status.OPEN:
                self._record_fixes(rt, fr, f, subject, p)
        return out

    def _finding_maker(self, rt: B.Runtime) -> Callable[..., Finding]:
        """``finding(frame, subject, status, missing, evidence, key=())`` for this rule in this run, with
        what every finding of the rule shares looked up once."""
        world = rt.world
        identity = self.identity
        of_bucket = identity is _bucket_identity
        asks = self.message_asks
        message_of = self.message
        facts = self.facts
        lint_codes = self.lint_codes
        located = bool(world.snapshot.locations)
        m = self.meta
        rule_id, severity, controls = m.id, m.severity, m.controls
        shared_facts: dict[tuple, tuple] = {}  # the plain values the facts saw -> their evidence
        one_fact = facts[0][1] if len(facts) == 1 else None

        def finding(fr: list, subject: Any, status: Status, missing: Sequence[str], evidence: list,
                    key: tuple = ()) -> Finding:
            if of_bucket:
                arn, pointer, own_key = subject.arn, subject.b.pointer, ()
            else:
                arn, pointer, own_key = identity(subject, world)
            if asks:
                evidence = list(evidence)  # the message asks the engine too; its answers are not the evidence
            message = message_of(fr)
            if not evidence and not missing and not lint_codes:
                # Evidence of facts alone: findings that saw the same plain values share one (immutable)
                # evidence tuple, instead of a tuple and dicts each.
                try:
                    if one_fact is not None:
                        v = one_fact(fr)
                        seen = (v.__class__, v) if v.__class__ in _PLAIN else None
                        values = (v,)
                    else:
                        values = tuple([fn(fr) for _, fn in facts])
                        seen = tuple([(v.__class__, v) for v in values]) \
                            if all(v.__class__ in _PLAIN for v in values) else None
                except Exception:  # evidence must never lose a finding: the general way below skips the fact
                    seen = None
                if seen is not None:
                    shared = shared_facts.get(seen)
                    if shared is None:
                        shared = shared_facts[seen] = tuple(
                            [{"kind": "fact", "expression": text, "value": to_json(v)}
                             for (text, _), v in zip(facts, values)])
                    location = _location(world, pointer, list(shared)) if located else None
                    return make_finding(rule_id, severity, controls, arn, message, status, shared, location,
                                        pointer, own_key + key if key else own_key)
            ev: list = []
            for text, fn in facts:
                try:
                    ev.append({"kind": "fact", "expression": text, "value": to_json(fn(fr))})
                except Exception:  # evidence must never lose a finding
                    continue
            if lint_codes and isinstance(subject, StatementView):
                for prob in subject.problems:
                    if prob.code in lint_codes:
                        ev.append({"kind": "lint", "code": prob.code, "message": prob.message,
                                   "pointer": subject.policy.doc.pointer + prob.pointer})
            if evidence:
                ev.extend(_dedupe(evidence) if len(evidence) > 1 else evidence)
            if missing:
                ev.append({"kind": "unknown", "missing": list(dict.fromkeys(missing))})
            location = _location(world, pointer, ev) if located else None
            return make_finding(rule_id, severity, controls, arn, message, status, tuple(ev), location, pointer,
                                own_key + key if key else own_key)
        return finding


def _fix_target(subject: Any, path: Any) -> dict:
    """Plain facts of what a finding is about, for the change a `fix` clause makes (s3audit/fixes)."""
    if path is None and isinstance(subject, PathView):
        path = subject
    if path is not None:
        hops = path.hops
        return {"kind": "path", "start": path.start.arn, "bucket": path.target.name, "access": path.access,
                "first_hop": hops[0].kind if hops else None, "pointer": path.target.b.pointer}
    if isinstance(subject, BucketView):
        return {"kind": "bucket", "arn": subject.arn, "name": subject.name, "pointer": subject.b.pointer,
                "account": subject.b.account}
    if isinstance(subject, AccountView):
        return {"kind": "account", "id": subject.id, "pointer": subject.a.pointer}
    if isinstance(subject, AccessPointView):
        return {"kind": "access_point", "arn": subject.arn, "pointer": subject.ap.pointer}
    if isinstance(subject, StatementView):
        doc = subject.policy.doc
        return {"kind": "statement", "pointer": subject.pointer, "document": doc.pointer, "policy_kind": doc.kind,
                "owner": doc.owner, "effect": subject.effect, "label": subject.label, "source": doc.label,
                "shipped": doc.origin is not None}
    if isinstance(subject, PrincipalView):
        return {"kind": "principal", "arn": subject.arn,
                "pointer": subject.entity.pointer if subject.entity is not None else None}
    return {"kind": "other"}


def _exact(world: World, pointer: str | None) -> Mapping | None:
    """The file position of a pointer or of an object enclosing it, but never of a whole account or the root
    (an account's position says nothing about one of its buckets)."""
    locations = world.snapshot.locations
    p = pointer or ""
    while p.count("/") > 2:
        if p in locations:
            return locations[p]
        p = p.rsplit("/", 1)[0]
    return None


def _evidence_pointers(world: World, evidence: Any) -> Iterable[str]:
    """Pointers named by evidence, in order; for a path, hop by hop: what decided the hop, then the
    principals it joins, so the first one with a position is what opened the path."""
    if isinstance(evidence, Mapping):
        if isinstance(evidence.get("pointer"), str):
            yield evidence["pointer"]
        for value in evidence.values():
            if isinstance(value, (Mapping, list, tuple)):
                yield from _evidence_pointers(world, value)
        for end in ("to", "from"):
            e = world.entity(evidence[end]) if isinstance(evidence.get(end), str) else None
            if e is not None:
                yield e.pointer
    elif isinstance(evidence, (list, tuple)):
        for item in evidence:
            yield from _evidence_pointers(world, item)


def _location(world: World, pointer: str | None, evidence: list) -> Location | None:
    """Where a finding is in the files the snapshot came from (IaC inputs record positions): what it is
    about, else the first thing its evidence names that has a position."""
    if not world.snapshot.locations:
        return None
    hit = _exact(world, pointer)
    if hit is None:
        for p in _evidence_pointers(world, evidence):
            hit = _exact(world, p)
            if hit is not None:
                break
    if hit is None:
        return None
    return Location(hit.get("file"), hit.get("line"), hit.get("column"))


class _TargetOnly:
    """A path with only its target known: what a `for path` filter may read before paths are found."""

    def __init__(self, target: BucketView):
        self.target = target


def _dedupe(items: Iterable[Any]) -> list:
    items = list(items)
    if len(items) < 2:
        return items
    seen, out = set(), []
    for x in items:
        k = json.dumps(x, sort_keys=True, default=str)
        if k not in seen:
            seen.add(k)
            out.append(x)
    return out


def _bucket_identity(subject: BucketView, world: World) -> tuple[str, str | None, tuple[str, ...]]:
    return subject.arn, subject.b.pointer, ()


_IDENTITY = {"bucket": _bucket_identity}  # the common kind without _identity's type tests


def _identity(subject: Any, world: World) -> tuple[str, str | None, tuple[str, ...]]:
    """(subject ARN, JSON pointer, extra key facts) of a subject."""
    if isinstance(subject, BucketView):
        return subject.arn, subject.b.pointer, ()
    if isinstance(subject, AccountView):
        return subject.id, subject.a.pointer, ()
    if isinstance(subject, PrincipalView):
        return subject.arn, subject.entity.pointer if subject.entity is not None else None, ()
    if isinstance(subject, AccessPointView):
        return subject.arn, subject.ap.pointer, ()
    if isinstance(subject, StatementView):
        doc = subject.policy.doc
        owner = doc.owner
        if doc.kind in ("scp", "rcp"):
            org = world.org
            if org is not None and org.id and org.management_account:
                ptype = "service_control_policy" if doc.kind == "scp" else "resource_control_policy"
                owner = f"arn:aws:organizations::{org.management_account}:policy/{org.id}/{ptype}/{doc.owner}"
        return owner, subject.pointer, (doc.kind, doc.name or "", subject.label)
    if isinstance(subject, PathView):
        e = subject.start.entity
        return subject.start.arn, e.pointer if e is not None else subject.target.b.pointer, \
            (subject.target.arn, subject.access)
    return str(subject), None, ()
