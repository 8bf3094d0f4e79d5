"""The checker: names, types and the rules' own metadata, before anything runs.

``check(files)`` returns the diagnostics (sorted by place, at most ten errors); ``check_program``
returns a ``CheckResult`` that the evaluator compiles from: the type of every expression node, what
every name refers to, which function every call reaches with its arguments bound to parameter names,
which meaning each operator has (`or` of two principal selectors is a union, of two bools a
disjunction), the parameters, and the definitions in an order where each comes after those it calls.

A file with errors runs nothing. An expression that already has an error gets the type ``ERROR``,
which every later check accepts silently, so one mistake yields one message.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Generic, Iterator, Mapping, Sequence, TypeVar, Union

from . import ast as A
from . import types as T
from .cost import check_costs
from .diagnostics import DEFAULT_LIMIT, Diagnostic, did_you_mean, finish, make
from .program import Program

V = TypeVar("V")

CONTROL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*:\S+$")


class NodeMap(Generic[V]):
    """A map keyed by node identity (AST nodes compare by value, so equal nodes in different places
    would collide in a dict). It keeps its nodes alive, so identities stay valid."""

    def __init__(self) -> None:
        self._items: dict[int, tuple[Any, V]] = {}

    def __setitem__(self, node: Any, value: V) -> None:
        self._items[id(node)] = (node, value)

    def __getitem__(self, node: Any) -> V:
        return self._items[id(node)][1]

    def get(self, node: Any, default: Any = None) -> Any:
        item = self._items.get(id(node))
        return default if item is None else item[1]

    def __contains__(self, node: Any) -> bool:
        return id(node) in self._items

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> Iterator[tuple[Any, V]]:
        return iter(self._items.values())


# ------------------------------------------------------------------------------------------ results
@dataclass(frozen=True)
class Binding:
    """What a name refers to. ``kind``: param | local | constant.

    A local is bound by a rule's subject (`for bucket b`), a `forbid path p`, a quantifier or a `def`'s
    argument; ``binder`` is the Word that introduced it.
    """

    kind: str
    name: str
    type: T.Type
    binder: Any = None  # ParamDecl | Word | Constant


@dataclass(frozen=True)
class CallTarget:
    """A call resolved: a built-in (``signature``) or a `def` (``definition`` in ``file``).

    ``args`` maps every parameter name, in declaration order, to the argument expression (None where a
    built-in's default applies).
    """

    kind: str  # builtin | def
    name: str
    args: tuple[tuple[str, A.Expr | None], ...]
    signature: T.Signature | None = None
    definition: A.DefDecl | None = None
    file: str | None = None


@dataclass
class ParamInfo:
    decl: A.ParamDecl
    file: str
    type: T.Type


@dataclass
class DefInfo:
    decl: A.DefDecl
    file: str
    param_types: tuple[T.Type, ...]
    returns: T.Type = T.ERROR


@dataclass
class RuleInfo:
    rule: A.Rule
    file: str
    runs: bool  # the file was given (not only imported): its rules run


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic]
    types: NodeMap = field(default_factory=NodeMap)  # Expr -> Type
    names: NodeMap = field(default_factory=NodeMap)  # Name -> Binding
    calls: NodeMap = field(default_factory=NodeMap)  # Call -> CallTarget
    # BinOp -> meaning: bool-and, bool-or, selector-union, selector-difference, set-union,
    # set-difference, list-concat, number-add, number-sub, duration-add, duration-sub, eq, ne, lt, le,
    # gt, ge, in-collection, in-map, in-string, in-selector (and not-in-...), matches
    ops: NodeMap = field(default_factory=NodeMap)
    params: dict[str, ParamInfo] = field(default_factory=dict)
    defs: list[DefInfo] = field(default_factory=list)  # callees before callers
    rules: list[RuleInfo] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    def type_of(self, expr: A.Expr) -> T.Type:
        return self.types[expr]


def check(files: Union[A.RuleFile, Sequence[A.RuleFile], Program], params_schema: Mapping[str, Any] | None = None,
          *, limit: int | None = DEFAULT_LIMIT) -> list[Diagnostic]:
    """Every problem in the rule files, sorted by place (the first ``limit`` errors)."""
    return check_program(files, params_schema, limit=limit).diagnostics


def check_program(files: Union[A.RuleFile, Sequence[A.RuleFile], Program],
                  params_schema: Mapping[str, Any] | None = None, *,
                  limit: int | None = DEFAULT_LIMIT) -> CheckResult:
    """Check rule files together. ``params_schema`` maps the parameter names an audit profile sets to
    the types of their values (``Type`` objects or type text such as `"set<string>"`)."""
    if isinstance(files, A.RuleFile):
        program = Program.from_files([files])
    elif isinstance(files, Program):
        program = files
    else:
        program = Program.from_files(list(files))
    checker = _Checker(program)
    try:
        checker.run(params_schema)
    except RecursionError:  # only for hand-built trees: the parser bounds the nesting depth
        checker.result.diagnostics.append(Diagnostic("too-deep", "expression is nested too deeply", None))
    checker.result.diagnostics = finish(list(program.diagnostics) + checker.result.diagnostics, limit)
    return checker.result


# ------------------------------------------------------------------------------------------ checker
class _Scope:
    """What one file can see: its own and its direct imports' parameters and definitions."""

    def __init__(self, rf: A.RuleFile):
        self.file = rf
        self.params: dict[str, ParamInfo] = {}
        self.defs: dict[str, DefInfo] = {}


def _fmt_list(words: Sequence[str]) -> str:
    ws = [f"`{w}`" for w in words]
    return ws[0] if len(ws) == 1 else ", ".join(ws[:-1]) + " or " + ws[-1]


class _Checker:
    def __init__(self, program: Program):
        self.program = program
        self.result = CheckResult([])
        self.sources = {f.path: f.source for f in program.files}
        self.scopes: dict[str, _Scope] = {f.path: _Scope(f) for f in program.files}
        self.def_infos: dict[int, DefInfo] = {}  # id(DefDecl) -> info
        self.def_state: dict[int, str] = {}  # id(DefDecl) -> checking | done
        self.cyclic: set[int] = set()
        # files with an import that could not be loaded: their bodies are not checked, since every use of
        # an imported name would be reported again as unknown
        self.tainted: set[str] = set()

    # ---- reporting
    def error(self, code: str, message: str, span: A.Span | None, hint: str | None = None) -> None:
        source = self.sources.get(span.file) if span is not None else None
        self.result.diagnostics.append(make(code, message, span, source, hint=hint))

    # ---- the stages, in order
    def run(self, params_schema: Mapping[str, Any] | None) -> None:
        self.declarations()
        self.imports()
        self.param_consistency()
        self.recursion()
        # callees first, so that checking a def never recurses into the defs it calls (a long chain of
        # definitions written callers first would otherwise exhaust the stack)
        self.result.defs = self.def_order()
        for info in self.result.defs:
            self.check_def(info)
        self.rules()
        if params_schema is not None:
            self.profile(params_schema)
        if self.result.ok:  # measured only once everything has a type and a meaning
            self.result.diagnostics.extend(check_costs(self.result, self.sources))

    def declarations(self) -> None:
        """Each file's own parameters and definitions, their types, and repeated names within a file."""
        for rf in self.program.files:
            scope = self.scopes[rf.path]
            for p in rf.params:
                name = p.name.text
                if name in scope.params:
                    self.error("duplicate-definition", f"parameter `{name}` is already declared",
                               p.name.span, hint=f"first declared at {scope.params[name].decl.name.span}")
                    continue
                if name in T.CONSTANTS:
                    self.error("duplicate-definition", f"`{name}` is a built-in constant", p.name.span)
                ptype = self.resolve_type(p.type, for_param=True)
                info = ParamInfo(p, rf.path, ptype)
                scope.params[name] = info
                self.check_default(info)
            for d in rf.defs:
                name = d.name.text
                if name in scope.defs:
                    self.error("duplicate-definition", f"`{name}` is already defined", d.name.span,
                               hint=f"first defined at {scope.defs[name].decl.name.span}")
                    continue
                if name in T.FUNCTIONS:
                    self.error("duplicate-definition", f"`{name}` is a built-in function", d.name.span)
                    continue
                info = DefInfo(d, rf.path, tuple(self.resolve_type(a.type) for a in d.params))
                scope.defs[name] = info
                self.def_infos[id(d)] = info

    def imports(self) -> None:
        """Resolve imports, make their names visible, and report missing files, cycles and clashes."""
        own = {path: (dict(s.params), dict(s.defs)) for path, s in self.scopes.items()}
        graph: dict[str, list[tuple[str, A.ImportDecl]]] = {}
        for rf in self.program.files:
            targets = self.program.resolved.get(rf.path, ())
            scope = self.scopes[rf.path]
            graph[rf.path] = []
            seen: dict[str, A.ImportDecl] = {}
            for i, imp in enumerate(rf.imports):
                target = targets[i] if i < len(targets) else None
                if target is None:
                    self.tainted.add(rf.path)
                    continue  # the loader reported it
                if target not in self.scopes:
                    self.tainted.add(rf.path)
                    self.error("import-not-found", f"cannot find `{imp.path.value}` (looked for `{target}`)",
                               imp.path.span)
                    continue
                if target == rf.path:
                    self.error("import-cycle", f"`{rf.path}` imports itself", imp.path.span)
                    continue
                if target in seen:
                    self.error("duplicate-import", f"`{imp.path.value}` is imported twice", imp.path.span)
                    continue
                seen[target] = imp
                graph[rf.path].append((target, imp))
                params, defs = own[target]
                for name, info in params.items():
                    if name in scope.params and scope.params[name].file != info.file:
                        if scope.params[name].file == rf.path:
                            self.error("duplicate-definition",
                                       f"parameter `{name}` is also declared in `{info.file}`, imported here",
                                       scope.params[name].decl.name.span)
                        else:
                            self.error("duplicate-definition", f"parameter `{name}` comes from two imports "
                                       f"(`{scope.params[name].file}` and `{info.file}`)", imp.path.span)
                        continue
                    scope.params[name] = info
                for name, info in defs.items():
                    if name in scope.defs and scope.defs[name].file != info.file:
                        if scope.defs[name].file == rf.path:
                            self.error("duplicate-definition",
                                       f"`{name}` is also defined in `{info.file}`, imported here",
                                       scope.defs[name].decl.name.span)
                        else:
                            self.error("duplicate-definition", f"`{name}` comes from two imports "
                                       f"(`{scope.defs[name].file}` and `{info.file}`)", imp.path.span)
                        continue
                    scope.defs[name] = info
        # import cycles (longer than one file): report each once, at an import that closes it
        reported: set[frozenset[str]] = set()
        for start in graph:
            stack: list[tuple[str, list[str]]] = [(start, [start])]
            while stack:
                node, trail = stack.pop()
                for target, imp in graph.get(node, ()):
                    if target == start and len(trail) > 1:
                        key = frozenset(trail)
                        if key not in reported:
                            reported.add(key)
                            chain = " -> ".join(f"`{t}`" for t in trail + [start])
                            self.error("import-cycle", f"imports form a cycle: {chain}", imp.path.span)
                    elif target not in trail and len(trail) < 64:
                        stack.append((target, trail + [target]))

    def param_consistency(self) -> None:
        """A parameter is one value from the profile: files that declare it must agree on its type."""
        first: dict[str, ParamInfo] = {}
        for rf in self.program.files:
            for name, info in self.scopes[rf.path].params.items():
                if info.file != rf.path:
                    continue
                prev = first.get(name)
                if prev is None:
                    first[name] = info
                    self.result.params[name] = info
                elif T.ERROR not in (prev.type, info.type) and prev.type != info.type:
                    self.error("param-conflict", f"parameter `{name}` is declared as `{info.type}` here and as "
                               f"`{prev.type}` in `{prev.file}`", info.decl.type.span)

    # ---- types written by the user
    def resolve_type(self, te: A.TypeExpr, *, for_param: bool = False) -> T.Type:
        t = self._resolve_type(te)
        if for_param and t != T.ERROR and not T.param_type_ok(t):
            self.error("bad-param-type", f"a parameter cannot hold `{t}`", te.span,
                       hint="parameters hold strings, numbers, bools, durations, or lists, sets or maps of them")
            return T.ERROR
        return t

    def _resolve_type(self, te: A.TypeExpr) -> T.Type:
        if te.name in T.GENERIC_TYPES:
            if len(te.args) != 1:
                self.error("bad-type", f"`{te.name}` takes one type: `{te.name}<string>`", te.span)
                return T.ERROR
            inner = self._resolve_type(te.args[0])
            if inner == T.ERROR:
                return T.ERROR
            return {"list": T.ListT, "set": T.SetT, "map": T.MapT}[te.name](inner)
        if te.name in T.TYPE_NAMES:
            if te.args:
                self.error("bad-type", f"`{te.name}` takes no type arguments", te.span)
                return T.ERROR
            return T.TYPE_NAMES[te.name]
        self.error("unknown-type", f"unknown type `{te.name}`", te.span,
                   hint=did_you_mean(te.name, list(T.TYPE_NAMES) + list(T.GENERIC_TYPES)))
        return T.ERROR

    def check_default(self, info: ParamInfo) -> None:
        d = info.decl.default
        if d is None:
            return
        bad = next((e for e in A.walk(d) if not isinstance(
            e, (A.StringLit, A.NumberLit, A.DurationLit, A.BoolLit, A.ListLit, A.SetLit, A.MapLit, A.Neg))), None)
        if bad is not None:
            self.error("not-constant", f"the default of `{info.decl.name.text}` must be a literal value", bad.span,
                       hint="write strings, numbers, durations, bools, or lists, sets and maps of them")
            return
        got = self.expr(d, _Env(self.scopes[info.file], {}))
        if info.type != T.ERROR and got != T.ERROR and not T.assignable(got, info.type):
            self.error("type-mismatch", f"the default of `{info.decl.name.text}` is {T.describe(got)}, "
                       f"not {T.describe(info.type)}", d.span)
        else:
            self.check_enum_values(d, info.type)

    # ---- definitions
    def recursion(self) -> None:
        """Definitions must not call themselves, directly or through others: every rule terminates."""
        edges: dict[int, list[tuple[int, A.Call]]] = {}
        for key, info in self.def_infos.items():
            scope = self.scopes[info.file]
            out = []
            for e in A.walk(info.decl.body):
                if isinstance(e, A.Call) and e.func.text in scope.defs:
                    out.append((id(scope.defs[e.func.text].decl), e))
            edges[key] = out
        from ..sccs import strongly_connected
        sccs = strongly_connected(list(edges), lambda n: [t for t, _ in edges.get(n, [])])
        for comp in sccs:
            members = set(comp)
            if len(comp) == 1 and not any(t == comp[0] for t, _ in edges[comp[0]]):
                continue
            self.cyclic |= members
            # report at the first call (by place) that stays inside the cycle
            calls = sorted(((c, src) for src in comp for t, c in edges[src] if t in members),
                           key=lambda x: x[0].span.sort_key if x[0].span else ("", 0, 0))
            call, src = calls[0]
            name = self.def_infos[src].decl.name.text
            chain = self._cycle_names(src, members, edges)
            message = f"`{name}` calls itself" if len(chain) == 1 else \
                f"`{name}` calls itself through " + " and ".join(f"`{n}`" for n in chain[1:])
            self.error("recursion", message, call.func.span,
                       hint="definitions cannot be recursive, so that every rule terminates")

    def _cycle_names(self, start: int, members: set[int], edges) -> list[str]:
        names, node, seen = [], start, set()
        while node not in seen:
            seen.add(node)
            names.append(self.def_infos[node].decl.name.text)
            node = next(t for t, _ in edges[node] if t in members)
        return names

    def check_def(self, info: DefInfo) -> T.Type:
        key = id(info.decl)
        state = self.def_state.get(key)
        if state == "done":
            return info.returns
        if state == "checking" or info.file in self.tainted:  # a cycle, already reported by `recursion`
            return T.ERROR
        self.def_state[key] = "checking"
        env = _Env(self.scopes[info.file], {})
        for arg, t in zip(info.decl.params, info.param_types):
            self.bind(env, arg.name, t, arg.name)
        body = self.expr(info.decl.body, env)
        info.returns = T.ERROR if key in self.cyclic else body
        self.def_state[key] = "done"
        return info.returns

    def def_order(self) -> list[DefInfo]:
        order: list[DefInfo] = []
        placed: set[int] = set()
        for key in self.def_infos:
            work = [(key, False)]
            while work:
                node, expanded = work.pop()
                if node in placed:
                    continue
                if expanded:
                    placed.add(node)
                    order.append(self.def_infos[node])
                    continue
                work.append((node, True))
                info = self.def_infos[node]
                scope = self.scopes[info.file]
                for e in A.walk(info.decl.body):
                    if isinstance(e, A.Call) and e.func.text in scope.defs:
                        callee = id(scope.defs[e.func.text].decl)
                        if callee not in placed and callee not in self.cyclic:
                            work.append((callee, False))
        return order

    # ---- rules
    def rules(self) -> None:
        entries = set(self.program.entries)
        seen_ids: dict[str, A.Rule] = {}
        packs: dict[str, A.PackDecl] = {}
        for rf in self.program.files:
            if rf.pack is not None:
                prev = packs.get(rf.pack.name.text)
                if prev is not None:
                    self.error("duplicate-pack", f"pack `{rf.pack.name.text}` is already declared at {prev.name.span}",
                               rf.pack.name.span)
                else:
                    packs[rf.pack.name.text] = rf.pack
            scope = self.scopes[rf.path]
            for rule in rf.rules:
                rid = rule.id.text
                if rid in seen_ids:
                    self.error("duplicate-rule", f"rule id `{rid}` is already used at {seen_ids[rid].id.span}",
                               rule.id.span)
                else:
                    seen_ids[rid] = rule
                self.result.rules.append(RuleInfo(rule, rf.path, rf.path in entries))
                if rf.path not in self.tainted:
                    self.check_rule(rule, scope)

    def check_rule(self, rule: A.Rule, scope: _Scope) -> None:
        sev = rule.severity
        if sev.text not in T.SEVERITIES:
            self.error("unknown-severity", f"unknown severity `{sev.text}`", sev.span,
                       hint=did_you_mean(sev.text.lower(), T.SEVERITIES) or f"use {_fmt_list(T.SEVERITIES)}")
        for c in rule.controls:
            if not CONTROL.match(c.value):
                self.error("bad-control", f"control `{c.value}` is not of the form `FRAMEWORK:ID`", c.span,
                           hint="for example `PCI-DSS-4.0:3.5.1` or `AWS-FSBP:S3.5`")
        env = _Env(scope, {})
        s = rule.subject
        kind = s.kind.text
        if kind not in T.SUBJECT_KINDS:
            self.error("unknown-kind", f"unknown subject kind `{kind}`", s.kind.span,
                       hint=did_you_mean(kind, T.SUBJECT_KINDS) or f"rules are for {_fmt_list(T.SUBJECT_KINDS)}")
            subject_type: T.Type = T.ERROR
        else:
            subject_type = T.RecordT(kind)
        self.bind(env, s.var, subject_type, s.var)
        if kind == "path" or subject_type == T.ERROR:
            if s.source is not None:
                self.expect_selector(s.source, env, "`from`")
            self.check_word(s.access, T.ACCESS_LEVEL)
            self.check_word(s.via, T.VIA)
        else:
            for part, word in ((s.source, "from"), (s.access, "with access"), (s.via, "via")):
                if part is not None:
                    self.error("misplaced-clause", f"`{word}` only narrows `for path` rules", part.span)
        if s.where is not None:
            self.expect(s.where, env, T.BOOL, "`where`")
        req = rule.requirement
        if isinstance(req, A.ForbidPath):
            self.expect_selector(req.source, env, "`from`")
            self.expect(req.target, env, T.RecordT("bucket"), "`to`")
            self.check_word(req.access, T.ACCESS_LEVEL)
            self.check_word(req.via, T.VIA)
            self.bind(env, req.var, T.RecordT("path"), req.var)
        else:
            self.expect(req.expr, env, T.BOOL, "`require`" if isinstance(req, A.Require) else "`forbid`")
        for e in rule.message.exprs:
            self.expr(e, env)
        target = "path" if isinstance(req, A.ForbidPath) else kind
        for f in rule.fixes:
            self.check_fix(f, env, target)

    def check_fix(self, f: A.Call, env: "_Env", target: str) -> None:
        """A `fix` clause: a known kind of change, for what the rule's findings are about, with arguments of
        the kind's types."""
        from .fixkinds import FIX_KINDS
        name = f.func.text
        arg_types = [self.expr(a.value, env) for a in f.args]
        kind = FIX_KINDS.get(name)
        if kind is None:
            self.error("unknown-fix", f"unknown fix `{name}`", f.func.span,
                       hint=did_you_mean(name, list(FIX_KINDS)) or f"fixes are {_fmt_list(sorted(FIX_KINDS))}")
            return
        if target not in kind.subjects and target in T.SUBJECT_KINDS:
            self.error("misplaced-fix", f"fix `{name}` changes {_fmt_list(kind.subjects)}, not a {target}",
                       f.func.span)
        specs = [(p.name, p.type, p.required) for p in kind.params]
        bound = self.bind_args(f, specs, arg_types)
        if bound is None:
            return
        for (pname, ptype, _req), (arg, at) in zip(specs, bound):
            if arg is None or at == T.ERROR:
                continue
            if not T.assignable(at, ptype):
                self.error("type-mismatch", f"argument `{pname}` of fix `{name}` must be {T.describe_a(ptype)}, "
                           f"not {T.describe(at)}", arg.span)
            else:
                self.check_enum_values(arg, ptype)

    def check_word(self, word: A.Word | None, enum: T.EnumT) -> None:
        if word is not None and word.text not in enum.values:
            self.error("bad-value", f"`{word.text}` is not {enum.a}", word.span,
                       hint=did_you_mean(word.text, enum.values) or f"use {_fmt_list(enum.values)}")

    # ---- the audit profile's parameter values
    def profile(self, schema: Mapping[str, Any]) -> None:
        declared = self.result.params
        for name, raw in schema.items():
            t = T.parse_type(raw) if isinstance(raw, str) else raw
            if name not in declared:
                self.error("unknown-parameter", f"the profile sets `{name}`, which no rule file declares", None,
                           hint=did_you_mean(name, declared))
                continue
            info = declared[name]
            if t is not None and info.type != T.ERROR and not T.assignable(t, info.type):
                self.error("type-mismatch", f"parameter `{name}` is declared as `{info.type}` but the profile "
                           f"gives {T.describe(t)}", info.decl.type.span)
        for name, info in declared.items():
            if info.decl.default is None and name not in schema:
                self.error("missing-parameter", f"parameter `{name}` has no default and the profile does not set it",
                           info.decl.name.span)

    # ---- expressions
    def bind(self, env: "_Env", word: A.Word, t: T.Type, binder: Any) -> None:
        name = word.text
        if name in env.locals or name in env.scope.params or name in T.CONSTANTS:
            what = "a parameter" if name in env.scope.params else \
                "a built-in constant" if name in T.CONSTANTS else "already bound"
            self.error("shadowing", f"`{name}` is {what}; choose another name", word.span)
        env.locals[name] = Binding("local", name, t, binder)

    def expect(self, e: A.Expr, env: "_Env", want: T.Type, where: str) -> T.Type:
        got = self.expr(e, env)
        if got != T.ERROR and not T.assignable(got, want):
            self.error("type-mismatch", f"{where} needs {T.describe_a(want)}, not {T.describe(got)}", e.span)
        else:
            self.check_enum_values(e, want)
        return got

    def expect_selector(self, e: A.Expr, env: "_Env", where: str) -> None:
        got = self.expr(e, env)
        if not T.selector_compatible(got):
            self.error("type-mismatch", f"{where} needs principals (such as `external`, `anonymous`, an account id "
                       f"or an ARN pattern), not {T.describe(got)}", e.span)

    def check_enum_values(self, e: A.Expr, want: T.Type) -> None:
        """A string literal where a closed set of values is expected must be one of them."""
        if isinstance(want, T.EnumT) and isinstance(e, A.StringLit) and e.value not in want.values:
            self.error("bad-value", f"`{e.value}` is not {want.a}", e.span,
                       hint=did_you_mean(e.value, want.values) or f"use {_fmt_list(want.values)}")
        elif isinstance(want, (T.ListT, T.SetT)) and isinstance(e, (A.ListLit, A.SetLit)):
            for item in e.items:
                self.check_enum_values(item, want.elem)

    def expr(self, e: A.Expr, env: "_Env") -> T.Type:
        t = self._expr(e, env)
        self.result.types[e] = t
        return t

    def _expr(self, e: A.Expr, env: "_Env") -> T.Type:
        if isinstance(e, A.StringLit):
            return T.STRING
        if isinstance(e, A.NumberLit):
            return T.NUMBER
        if isinstance(e, A.DurationLit):
            return T.DURATION
        if isinstance(e, A.BoolLit):
            return T.BOOL
        if isinstance(e, A.Name):
            return self.name(e, env)
        if isinstance(e, (A.ListLit, A.SetLit)):
            elem = T.NEVER
            for item in e.items:
                it = self.expr(item, env)
                joined = T.join(elem, it)
                if joined is None:
                    self.error("type-mismatch", f"a {'list' if isinstance(e, A.ListLit) else 'set'} cannot mix "
                               f"{T.describe(elem)} and {T.describe(it)}", item.span)
                    return T.ERROR
                elem = joined
            return T.ListT(elem) if isinstance(e, A.ListLit) else T.SetT(elem)
        if isinstance(e, A.MapLit):
            value: T.Type = T.NEVER
            for entry in e.entries:
                vt = self.expr(entry.value, env)
                self.result.types[entry.key] = T.STRING
                value = T.join(value, vt) or T.ANY  # a request context mixes bools, strings and numbers
            return T.MapT(value)
        if isinstance(e, A.Field):
            return self.field(e, env)
        if isinstance(e, A.Index):
            return self.index(e, env)
        if isinstance(e, A.Call):
            return self.call(e, env)
        if isinstance(e, A.Not):
            t = self.expr(e.operand, env)
            if t != T.ERROR and t != T.BOOL:
                self.error("type-mismatch", f"`not` needs a bool, not {T.describe(t)}", e.operand.span)
                return T.ERROR
            return T.BOOL
        if isinstance(e, A.Neg):
            t = self.expr(e.operand, env)
            if t != T.ERROR and t != T.NUMBER:
                self.error("type-mismatch", f"`-` needs a number, not {T.describe(t)}", e.operand.span)
                return T.ERROR
            return t
        if isinstance(e, A.BinOp):
            return self.binop(e, env)
        if isinstance(e, A.Quant):
            return self.quant(e, env)
        raise TypeError(f"not an expression node: {type(e).__name__}")  # pragma: no cover

    def name(self, e: A.Name, env: "_Env") -> T.Type:
        b = env.lookup(e.id)
        if b is None:
            if e.id in env.scope.defs or e.id in T.FUNCTIONS:
                self.error("unknown-name", f"`{e.id}` is a function; call it with arguments", e.span,
                           hint=f"for example `{e.id}(...)`")
            else:
                candidates = list(env.locals) + list(env.scope.params) + list(T.CONSTANTS)
                hint = did_you_mean(e.id, candidates)
                subject = [b.name for b in env.locals.values() if b.type == T.RecordT(e.id)]
                if hint is None and subject:
                    hint = f"the {e.id} is named `{subject[0]}` here"
                self.error("unknown-name", f"unknown name `{e.id}`", e.span, hint=hint)
            return T.ERROR
        self.result.names[e] = b
        return b.type

    def field(self, e: A.Field, env: "_Env") -> T.Type:
        t = self.expr(e.target, env)
        name = e.name.text
        if t == T.ERROR:
            return T.ERROR
        fields = T.fields_of(t)
        if fields is not None:
            spec = fields.get(name)
            if spec is None:
                self.error("unknown-field", f"{T.describe(t)} has no field `{name}`", e.name.span,
                           hint=did_you_mean(name, fields))
                return T.ERROR
            return spec.type
        if isinstance(t, T.MapT):
            self.error("unknown-field", "a map has no fields", e.name.span,
                       hint=f"look a key up with `[\"{name}\"]`")
        elif isinstance(t, (T.ListT, T.SetT)):
            self.error("unknown-field", f"{T.describe(t)} has no field `{name}`", e.name.span,
                       hint=f"use a quantifier: `any x in ...: x.{name} ...`")
        else:
            self.error("unknown-field", f"{T.describe(t)} has no field `{name}`", e.name.span)
        return T.ERROR

    def index(self, e: A.Index, env: "_Env") -> T.Type:
        t = self.expr(e.target, env)
        it = self.expr(e.index, env)
        if t == T.ERROR:
            return T.ERROR
        if isinstance(t, T.MapT):
            if it != T.ERROR and not T.is_stringish(it):
                self.error("type-mismatch", f"a map key is a string, not {T.describe(it)}", e.index.span)
            return t.value
        if isinstance(t, T.ListT):
            if it != T.ERROR and it != T.NUMBER:
                self.error("type-mismatch", f"a list position is a number, not {T.describe(it)}", e.index.span)
            return t.elem
        self.error("type-mismatch", f"{T.describe(t)} cannot be indexed", e.span,
                   hint="only maps (by key) and lists (by position) can")
        return T.ERROR

    def call(self, e: A.Call, env: "_Env") -> T.Type:
        fname = e.func.text
        # argument types first, so their own errors are reported whatever happens to the call
        arg_types = [self.expr(a.value, env) for a in e.args]
        sig = T.FUNCTIONS.get(fname)
        info = env.scope.defs.get(fname)
        if sig is None and info is None:
            if env.lookup(fname) is not None:
                self.error("unknown-function", f"`{fname}` is not a function", e.func.span)
            else:
                self.error("unknown-function", f"unknown function `{fname}`", e.func.span,
                           hint=did_you_mean(fname, list(T.FUNCTIONS) + list(env.scope.defs)))
            return T.ERROR
        if sig is not None:
            specs = [(p.name, p.type, p.required) for p in sig.params]
        else:
            specs = [(p.name.text, t, True) for p, t in zip(info.decl.params, info.param_types)]
        bound = self.bind_args(e, specs, arg_types)
        if bound is None:
            return T.ERROR
        ok = True
        for (pname, ptype, _req), (arg, at) in zip(specs, bound):
            if arg is None or at == T.ERROR or ptype == T.ERROR:
                continue
            if not T.assignable(at, ptype):
                self.error("type-mismatch", f"argument `{pname}` of `{fname}` must be {T.describe_a(ptype)}, "
                           f"not {T.describe(at)}", arg.span)
                ok = False
            else:
                self.check_enum_values(arg, ptype)
        args = tuple((name, arg) for (name, _t, _r), (arg, _at) in zip(specs, bound))
        if sig is not None:
            self.result.calls[e] = CallTarget("builtin", fname, args, signature=sig)
            return sig.returns if ok else T.ERROR
        self.result.calls[e] = CallTarget("def", fname, args, definition=info.decl, file=info.file)
        returns = self.check_def(info)
        return returns if ok else T.ERROR

    def bind_args(self, e: A.Call, specs, arg_types) -> list[tuple[A.Expr | None, T.Type]] | None:
        """Match arguments to parameters: positional first, then by name. None after reporting a problem."""
        fname = e.func.text
        slots: list[tuple[A.Expr | None, T.Type]] = [(None, T.ERROR)] * len(specs)
        names = [s[0] for s in specs]
        ok, seen_named = True, False
        for i, (arg, at) in enumerate(zip(e.args, arg_types)):
            if arg.name is None:
                if seen_named:
                    self.error("bad-argument", "a positional argument cannot follow a named one", arg.span)
                    ok = False
                    continue
                if i >= len(specs):
                    count = len(specs)
                    self.error("arity", f"`{fname}` takes {count} argument{'s' if count != 1 else ''} but "
                               f"{len(e.args)} were given", arg.span)
                    return None
                slots[i] = (arg.value, at)
                continue
            seen_named = True
            aname = arg.name.text
            if aname not in names:
                self.error("unknown-argument", f"`{fname}` has no argument `{aname}`", arg.name.span,
                           hint=did_you_mean(aname, names) or (f"its arguments are {_fmt_list(names)}" if names
                                                              else f"`{fname}` takes no arguments"))
                ok = False
                continue
            j = names.index(aname)
            if slots[j][0] is not None:
                self.error("duplicate-argument", f"argument `{aname}` is given twice", arg.name.span)
                ok = False
                continue
            slots[j] = (arg.value, at)
        if not ok:
            return None
        missing = [s[0] for s, (a, _) in zip(specs, slots) if a is None and s[2]]
        if missing:
            what = "argument" if len(missing) == 1 else "arguments"
            self.error("arity", f"`{fname}` needs the {what} " + " and ".join(f"`{m}`" for m in missing),
                       e.func.span, hint=f"`{T.FUNCTIONS[fname]}`" if fname in T.FUNCTIONS else None)
            return None
        return slots

    def binop(self, e: A.BinOp, env: "_Env") -> T.Type:
        lt = self.expr(e.left, env)
        rt = self.expr(e.right, env)
        op = e.op
        if T.ERROR in (lt, rt):
            return T.ERROR if op in ("+", "-") or (op == "or" and T.PRINCIPALS in (lt, rt)) else T.BOOL
        ops = self.result.ops

        def mismatch(message: str, node: A.Expr, hint: str | None = None) -> T.Type:
            self.error("type-mismatch", message, node.span, hint=hint)
            return T.ERROR

        if op in ("and", "or"):
            if op == "or" and T.PRINCIPALS in (lt, rt) and T.selector_compatible(lt) and T.selector_compatible(rt):
                ops[e] = "selector-union"
                return T.PRINCIPALS
            for side, t in ((e.left, lt), (e.right, rt)):
                if t != T.BOOL:
                    return mismatch(f"`{op}` needs bools on both sides, not {T.describe(t)}", side)
            ops[e] = f"bool-{op}"
            return T.BOOL
        if op in ("==", "!="):
            if T.PRINCIPALS in (lt, rt):
                return mismatch("principals cannot be compared with `" + op + "`", e,
                                hint="ask whether one is in the other: `p in external`")
            if not T.comparable(lt, rt):
                return mismatch(f"cannot compare {T.describe(lt)} with {T.describe(rt)}", e.right,
                                hint=_duration_hint(lt, rt))
            self.check_enum_values(e.right, lt)
            self.check_enum_values(e.left, rt)
            ops[e] = "eq" if op == "==" else "ne"
            return T.BOOL
        if op in ("<", "<=", ">", ">="):
            for side, t in ((e.left, lt), (e.right, rt)):
                if t not in (T.NUMBER, T.DURATION):
                    return mismatch(f"`{op}` compares numbers or durations, not {T.describe(t)}", side)
            if lt != rt:
                return mismatch(f"cannot compare {T.describe(lt)} with {T.describe(rt)}", e.right,
                                hint=_duration_hint(lt, rt))
            ops[e] = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[op]
            return T.BOOL
        if op in ("in", "not in"):
            prefix = "not-in" if op == "not in" else "in"
            if isinstance(rt, (T.ListT, T.SetT)):
                if not T.comparable(lt, rt.elem):
                    return mismatch(f"cannot look for {T.describe(lt)} in {T.describe(rt)}", e.left)
                self.check_enum_values(e.left, rt.elem)
                if isinstance(e.right, (A.ListLit, A.SetLit)):
                    self.check_enum_values(e.right, T.ListT(lt))
                ops[e] = f"{prefix}-collection"
            elif isinstance(rt, T.MapT):
                if not T.is_stringish(lt):
                    return mismatch(f"a map's keys are strings, not {T.describe(lt)}", e.left)
                ops[e] = f"{prefix}-map"
            elif T.is_stringish(rt):
                if not T.is_stringish(lt):
                    return mismatch(f"cannot look for {T.describe(lt)} in a string", e.left)
                ops[e] = f"{prefix}-string"
            elif rt == T.PRINCIPALS:
                if lt != T.RecordT("principal") and not T.is_stringish(lt):
                    return mismatch(f"only a principal or an ARN can be in principals, not {T.describe(lt)}", e.left)
                ops[e] = f"{prefix}-selector"
            else:
                return mismatch(f"`{op}` needs a list, set, map, string or principals on the right, "
                                f"not {T.describe(rt)}", e.right)
            return T.BOOL
        if op == "matches":
            if not T.is_stringish(lt):
                return mismatch(f"`matches` needs a string on the left, not {T.describe(lt)}", e.left)
            if not (T.is_stringish(rt) or isinstance(rt, (T.ListT, T.SetT)) and T.is_stringish(rt.elem)
                    or rt in (T.ListT(T.NEVER), T.SetT(T.NEVER))):
                return mismatch(f"`matches` needs a pattern or a list of patterns, not {T.describe(rt)}", e.right)
            ops[e] = "matches"
            return T.BOOL
        if op in ("+", "-"):
            word = "add" if op == "+" else "sub"
            if lt == rt == T.NUMBER or lt == rt == T.DURATION:
                ops[e] = f"{lt}-{word}"
                return lt
            if T.PRINCIPALS in (lt, rt) and T.selector_compatible(lt) and T.selector_compatible(rt):
                ops[e] = "selector-union" if op == "+" else "selector-difference"
                return T.PRINCIPALS
            if isinstance(lt, T.SetT) and isinstance(rt, (T.SetT, T.ListT)):
                joined = T.join(lt.elem, rt.elem)
                if joined is not None:
                    ops[e] = "set-union" if op == "+" else "set-difference"
                    return T.SetT(joined)
            if op == "+" and isinstance(lt, T.ListT) and isinstance(rt, T.ListT):
                joined = T.join(lt.elem, rt.elem)
                if joined is not None:
                    ops[e] = "list-concat"
                    return T.ListT(joined)
            return mismatch(f"cannot {'add' if op == '+' else 'subtract'} {T.describe(rt)} "
                            f"{'to' if op == '+' else 'from'} {T.describe(lt)}", e, hint=_duration_hint(lt, rt))
        raise ValueError(f"unknown operator {op}")  # pragma: no cover

    def quant(self, e: A.Quant, env: "_Env") -> T.Type:
        ct = self.expr(e.collection, env)
        elem = T.elem_of(ct)
        if elem is None:
            if isinstance(ct, T.MapT):
                hint = "iterate over its keys: `keys(...)`"
            elif ct == T.PRINCIPALS:
                hint = "principals are resolved by the engine; use `reachers(...)` or `paths(...)`"
            else:
                hint = None
            self.error("type-mismatch", f"`{e.kind}` needs a list or a set, not {T.describe(ct)}", e.collection.span,
                       hint=hint)
            elem = T.ERROR
        inner = env.child()
        self.bind(inner, e.var, elem, e.var)
        bt = self.expr(e.body, inner)
        if bt != T.ERROR and bt != T.BOOL:
            self.error("type-mismatch", f"the condition of `{e.kind}` must be a bool, not {T.describe(bt)}",
                       e.body.span)
        return T.NUMBER if e.kind == "count" else T.BOOL


class _Env:
    def __init__(self, scope: _Scope, locals_: dict[str, Binding]):
        self.scope = scope
        self.locals = locals_

    def child(self) -> "_Env":
        return _Env(self.scope, dict(self.locals))

    def lookup(self, name: str) -> Binding | None:
        b = self.locals.get(name)
        if b is not None:
            return b
        p = self.scope.params.get(name)
        if p is not None:
            return Binding("param", name, p.type, p.decl)
        c = T.CONSTANTS.get(name)
        if c is not None:
            return Binding("constant", name, c.type, c)
        return None


def _duration_hint(a: T.Type, b: T.Type) -> str | None:
    if {a, b} == {T.NUMBER, T.DURATION}:
        return "write the number as a duration, such as `30d`, `12h`, `2w` or `1y`"
    return None
