"""Condition element — interim minimal version (StringEquals/Like, Bool, Null, negations); the full
operator set lands from the conditions branch. Unknown operators evaluate UNKNOWN."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import Place, PolicyError
from .context import ABSENT, UNKNOWN_VALUE, Context
from .logic import Tri, all_of
from .patterns import Pattern

KNOWN_OPERATORS = frozenset({"StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "Bool", "Null"})


@dataclass(frozen=True)
class Clause:
    operator: str
    key: str
    values: tuple[str, ...]
    pointer: str

    def to_json(self) -> dict:
        return {"operator": self.operator, "key": self.key, "values": list(self.values)}

    def evaluate(self, ctx: Context) -> Tri:
        op = self.operator
        if_exists = op.endswith("IfExists")
        base = op[:-8] if if_exists else op
        found = ctx.lookup(self.key)
        if found is UNKNOWN_VALUE:
            return Tri.UNKNOWN
        if base == "Null":
            want = self.values[0].lower() == "true"
            return Tri.of((found is ABSENT) == want)
        if found is ABSENT:
            return Tri.TRUE if if_exists or "Not" in base else Tri.FALSE
        if base in ("StringEquals", "Bool"):
            vals = {v.lower() for v in self.values} if base == "Bool" else set(self.values)
            got = {f.lower() for f in found} if base == "Bool" else set(found)
            return Tri.of(bool(vals & got))
        if base == "StringNotEquals":
            return Tri.of(not (set(self.values) & set(found)))
        if base in ("StringLike", "StringNotLike"):
            hit = any(Pattern(v).matches(f) is Tri.TRUE for v in self.values for f in found)
            return Tri.of(hit != (base == "StringNotLike"))
        return Tri.UNKNOWN


@dataclass(frozen=True)
class ConditionBlock:
    clauses: tuple[Clause, ...] = ()
    keys: frozenset[str] = frozenset()
    problems: tuple[str, ...] = ()

    def evaluate(self, ctx: Context) -> tuple[Tri, tuple[Clause, ...]]:
        results = [(c, c.evaluate(ctx)) for c in self.clauses]
        out = all_of(r for _, r in results)
        if out is Tri.UNKNOWN:
            return out, tuple(c for c, r in results if r is Tri.UNKNOWN)
        return out, ()


def compile_conditions(block, *, version, pointer, file=None) -> ConditionBlock:
    if block is None:
        return ConditionBlock()
    if not isinstance(block, dict):
        raise PolicyError("`Condition` must be an object", Place(file, pointer=pointer))
    clauses = []
    for op, kv in block.items():
        if not isinstance(kv, dict):
            raise PolicyError(f"`{op}` must map condition keys to values", Place(file, pointer=f"{pointer}/{op}"))
        for k, v in kv.items():
            vals = v if isinstance(v, list) else [v]
            clauses.append(Clause(op, k, tuple(str(x).lower() if isinstance(x, bool) else str(x) for x in vals),
                                  f"{pointer}/{op}/{k}"))
    return ConditionBlock(tuple(clauses), frozenset(c.key.lower() for c in clauses))
