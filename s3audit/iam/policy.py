"""IAM policy documents: parse, normalise and compile once into immutable statements.

Covers the grammar of https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html:
``Version`` (policy variables only in 2012-10-17), ``Statement`` as one object or a list, ``Sid``,
``Effect``, ``Action``/``NotAction``, ``Resource``/``NotResource``, ``Principal``/``NotPrincipal`` in every
form, and ``Condition`` (see ``conditions.py``). Structural errors raise ``PolicyError`` with the JSON
pointer of the culprit; softer problems (an unknown action, a wildcard inside a principal ARN) are kept
as ``problems`` for the linter and never stop evaluation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from ..errors import Place, PolicyError, pointer_join
from ..snapshot.model import PolicyDocument, aws_managed_label
from .actions import universe
from .conditions import ConditionBlock, UnknownPart, compile_conditions
from .context import Context
from .logic import Tri

_TRUE, _FALSE, _UNKNOWN = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN
from .patterns import Pattern, interned

VERSIONS = ("2012-10-17", "2008-10-17")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
                   "NotPrincipal", "Condition"}


@dataclass(frozen=True)
class Problem:
    """A lint-level observation about a policy, with the pointer of the culprit."""

    code: str
    message: str
    pointer: str


@dataclass(frozen=True)
class ActionMatcher:
    """An Action or NotAction element, compiled to a set over the known action universe.

    ``others`` keeps entries that match no known action (typos, or actions newer than our data) as
    case-insensitive patterns, so that a request for an action we do not know is still matched exactly.
    """

    entries: tuple[str, ...]
    known: frozenset[str]
    others: tuple[Pattern, ...]
    negated: bool

    def matches(self, action: str) -> bool:
        a = action.lower()
        hit = a in self.known or any(p.matches(a) is _TRUE for p in self.others)
        return hit != self.negated

    def actions(self, candidates: Iterable[str]) -> frozenset[str]:
        """The subset of ``candidates`` (folded names) that this element allows or denies."""
        return frozenset(a for a in candidates if self.matches(a))


@dataclass(frozen=True)
class PrincipalEntry:
    """One value of a Principal element: ``kind`` is AWS, Service, Federated, CanonicalUser or ``*``."""

    kind: str
    value: str
    pattern: Pattern | None = None  # for the rare wildcard inside a value

    @property
    def account(self) -> str | None:
        """The account an AWS entry names (a bare id, an account root or any ARN in it)."""
        if self.kind != "AWS":
            return None
        if _ACCOUNT_ID.match(self.value):
            return self.value
        parts = self.value.split(":")
        if len(parts) >= 6 and parts[0] == "arn" and _ACCOUNT_ID.match(parts[4]):
            return parts[4]
        return None

    @property
    def is_account(self) -> bool:
        """A bare account id or an account root ARN: it delegates to the account's own IAM."""
        return self.kind == "AWS" and (_ACCOUNT_ID.match(self.value) is not None or
                                       (self.value.startswith("arn:") and self.value.endswith(":root")))

    @property
    def is_everyone(self) -> bool:
        return self.kind == "*" or (self.kind == "AWS" and self.value == "*")


@dataclass(frozen=True)
class Statement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    actions: ActionMatcher
    resources: tuple[Pattern, ...] | None  # None when the statement has no Resource element
    not_resource: bool
    principals: tuple[PrincipalEntry, ...] | None  # None when there is no Principal element
    not_principal: bool
    conditions: ConditionBlock
    pointer: str
    policy: "Policy" = field(repr=False, compare=False, default=None)  # set after construction

    @property
    def label(self) -> str:
        return self.sid if self.sid else f"#{self.index}"

    def resource_matches(self, resource: str, ctx: Context | None) -> Tri:
        if self.resources is None:
            return _TRUE  # trust policies have no Resource element: the role itself is the resource
        hit = _FALSE
        for p in self.resources:
            m = p.matches(resource, ctx)
            if m is _TRUE:
                hit = m
                break
            hit = hit | m
        return ~hit if self.not_resource else hit

    def describe(self) -> dict:
        """The statement's identity for a decision's reasons."""
        return {"source": self.policy.source_label if self.policy else None,
                "statement": self.label, "effect": self.effect,
                "pointer": self.policy.doc.pointer_to(self.pointer) if self.policy else self.pointer}


@dataclass(frozen=True)
class Policy:
    doc: PolicyDocument
    version: str | None
    statements: tuple[Statement, ...]
    problems: tuple[Problem, ...]

    @property
    def source_label(self) -> str:
        d = self.doc
        if d.kind == "key":  # a key's policy; one AWS documents (aws/s3's, the key not collected) says so
            return f"key policy of {d.owner}" + (" (as AWS documents it)" if d.origin else "")
        if d.kind == "vpc-endpoint":
            return f"VPC endpoint policy of {d.owner}"
        if d.origin:  # an AWS managed policy from the shipped data: say so, so that an auditor knows
            what = aws_managed_label(d.name, d.origin)
            return f"permissions boundary {what} of {d.owner}" if d.kind == "boundary" else what
        if d.kind == "identity":
            return f"identity policy {d.name} of {d.owner}" if d.name and d.name != d.owner else \
                f"identity policy of {d.owner}"
        if d.kind == "boundary":
            return f"permissions boundary {d.name} of {d.owner}"
        if d.kind == "trust":
            return f"trust policy of {d.owner}"
        if d.kind == "bucket":
            return f"bucket policy of {d.owner}"
        if d.kind == "access-point":
            return f"access point policy of {d.owner}"
        if d.kind in ("scp", "rcp"):
            return f"{d.kind.upper()} {d.name} ({d.owner})"
        return f"{d.kind} policy of {d.owner}"


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


class _Compiler:
    def __init__(self, doc: PolicyDocument, file: str | None):
        self.doc = doc
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, message: str, pointer: str) -> PolicyError:
        return PolicyError(message, Place(self.file, pointer=self.doc.pointer + pointer))

    def compile(self) -> Policy:
        d = self.doc.document
        if not isinstance(d, dict):
            raise self.fail("a policy document is a JSON object", "")
        version = d.get("Version")
        if version is not None and version not in VERSIONS:
            raise self.fail(f"unknown policy version `{version}` (expected 2012-10-17 or 2008-10-17)", "/Version")
        if "Statement" not in d:
            raise self.fail("a policy needs a `Statement` element", "")
        raw = d["Statement"]
        items = raw if isinstance(raw, list) else [raw]
        statements = []
        for i, s in enumerate(items):
            ptr = f"/Statement/{i}" if isinstance(raw, list) else "/Statement"
            statements.append(self.statement(i, s, ptr, version))
        policy = Policy(self.doc, version, tuple(statements), tuple(self.problems))
        for s in statements:
            object.__setattr__(s, "policy", policy)
        return policy

    def statement(self, index: int, s: Any, ptr: str, version: str | None) -> Statement:
        if not isinstance(s, dict):
            raise self.fail("a statement is a JSON object", ptr)
        for k in s:
            if k not in _STATEMENT_KEYS:
                raise self.fail(f"unknown statement element `{k}`", pointer_join(ptr, k))
        effect = s.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise self.fail(f"`Effect` must be `Allow` or `Deny`, found `{effect}`", ptr + "/Effect")
        sid = s.get("Sid")
        if sid is not None and not isinstance(sid, str):
            raise self.fail("`Sid` must be a string", ptr + "/Sid")
        actions = self.actions(s, ptr)
        resources, not_resource = self.resources(s, ptr, version == "2012-10-17")
        principals, not_principal = self.principals(s, ptr)
        conditions = compile_conditions(s.get("Condition"), version=version, pointer=self.doc.pointer + ptr + "/Condition",
                                        file=self.file) if "Condition" in s else compile_conditions(
            None, version=version, pointer="", file=self.file)
        for message in getattr(conditions, "problems", ()):
            self.problems.append(Problem("condition", message, ptr + "/Condition"))
        unknown = self.doc.unknown.get(ptr)
        if unknown is not None:  # a part the producer could not know: the statement may or may not apply
            conditions = conditions.with_unknown(UnknownPart(unknown.removeprefix("Unknown: "), self.doc.pointer_to(ptr)))
        if not_principal and effect == "Allow":
            self.problems.append(Problem("allow-not-principal", "`Allow` with `NotPrincipal` grants access to "
                                         "everyone not listed, anonymous callers included", ptr + "/NotPrincipal"))
        return Statement(index, sid, effect, actions, resources, not_resource, principals, not_principal,
                         conditions, ptr)

    def actions(self, s: dict, ptr: str) -> ActionMatcher:
        if ("Action" in s) == ("NotAction" in s):
            raise self.fail("a statement needs exactly one of `Action` or `NotAction`", ptr)
        key = "Action" if "Action" in s else "NotAction"
        values = _as_list(s[key])
        for j, v in enumerate(values):
            if not isinstance(v, str) or not v:
                raise self.fail(f"`{key}` entries must be non-empty strings", self._entry(ptr, s, key, j))
            if v != "*" and ":" not in v:
                raise self.fail(f"action `{v}` has no service prefix (expected `service:Action`)",
                                self._entry(ptr, s, key, j))
        if not values:
            raise self.fail(f"`{key}` must not be empty", f"{ptr}/{key}")
        matcher, unknown = _action_matcher(tuple(values), key == "NotAction")
        for j in unknown:
            self.problems.append(Problem("unknown-action", f"`{values[j]}` matches no known action",
                                         self._entry(ptr, s, key, j)))
        return matcher

    @staticmethod
    def _entry(ptr: str, s: dict, key: str, j: int) -> str:
        """The pointer of entry ``j`` of the statement's element ``key`` (a list, or one value)."""
        return f"{ptr}/{key}" + (f"/{j}" if isinstance(s[key], list) else "")

    def resources(self, s: dict, ptr: str, variables: bool):
        if "Resource" in s and "NotResource" in s:
            raise self.fail("a statement cannot have both `Resource` and `NotResource`", ptr)
        key = "Resource" if "Resource" in s else "NotResource" if "NotResource" in s else None
        if key is None:
            if self.doc.kind not in ("trust",):
                raise self.fail("a statement needs `Resource` or `NotResource`", ptr)
            return None, False
        values = _as_list(s[key])
        if not values:
            raise self.fail(f"`{key}` must not be empty", f"{ptr}/{key}")
        out = []
        for j, v in enumerate(values):
            if not isinstance(v, str) or not v:
                raise self.fail(f"`{key}` entries must be non-empty strings", self._entry(ptr, s, key, j))
            if v != "*" and not v.startswith("arn:"):
                raise self.fail(f"resource `{v}` is not an ARN", self._entry(ptr, s, key, j))
            out.append(interned(v, True, True, variables))
        return tuple(out), key == "NotResource"

    def principals(self, s: dict, ptr: str):
        if "Principal" in s and "NotPrincipal" in s:
            raise self.fail("a statement cannot have both `Principal` and `NotPrincipal`", ptr)
        key = "Principal" if "Principal" in s else "NotPrincipal" if "NotPrincipal" in s else None
        if key is None:
            if self.doc.kind in ("bucket", "access-point", "trust", "key", "vpc-endpoint"):
                raise self.fail(f"a statement of a {self.doc.kind} policy needs `Principal` or `NotPrincipal`", ptr)
            return None, False
        if self.doc.kind in ("identity", "boundary", "scp"):
            raise self.fail(f"`{key}` is not allowed in {self.doc.kind} policies", f"{ptr}/{key}")
        value = s[key]
        entries: list[PrincipalEntry] = []
        if value == "*":
            entries.append(PrincipalEntry("*", "*"))
        elif isinstance(value, dict) and value:
            for kind, vals in value.items():
                if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
                    raise self.fail(f"unknown principal type `{kind}` (expected AWS, Service, Federated or "
                                    "CanonicalUser)", pointer_join(f"{ptr}/{key}", kind))
                for j, v in enumerate(_as_list(vals)):
                    if not isinstance(v, str) or not v:
                        raise self.fail("principal values must be non-empty strings",
                                        _principal_pointer(ptr, key, kind, vals, j))
                    pattern = None
                    if v != "*" and ("*" in v or "?" in v):
                        self.problems.append(Problem("principal-wildcard", f"`{v}`: AWS does not allow wildcards "
                                                     "inside a principal; treated as a pattern",
                                                     _principal_pointer(ptr, key, kind, vals, j)))
                        pattern = Pattern(v, arn=v.startswith("arn:"))
                    entries.append(PrincipalEntry(kind, v, pattern))
        else:
            raise self.fail(f"`{key}` must be `*` or an object such as {{\"AWS\": ...}}", f"{ptr}/{key}")
        return tuple(entries), key == "NotPrincipal"


def _principal_pointer(ptr: str, key: str, kind: str, vals: Any, j: int) -> str:
    """The pointer of value ``j`` of a Principal element's ``kind`` entry (a list, or one value)."""
    return pointer_join(f"{ptr}/{key}", kind) + (f"/{j}" if isinstance(vals, list) else "")


@lru_cache(maxsize=1 << 12)
def _action_matcher(values: tuple[str, ...], negated: bool) -> tuple[ActionMatcher, tuple[int, ...]]:
    """The matcher of an Action (or NotAction) element's entries, and the positions of the entries that match
    no known action of a service we know (policies repeat their Action elements: one matcher for each)."""
    u = universe()
    expansions: list[frozenset[str]] = []
    others: list[Pattern] = []
    unknown: list[int] = []
    for j, v in enumerate(values):
        expanded = u.expand(v)
        expansions.append(expanded)
        if not expanded:
            service = v.split(":", 1)[0].lower()
            if service in u.services() or "*" in service:
                unknown.append(j)
            others.append(Pattern(v.lower(), case_sensitive=False))
    # Union without copying when one entry decides (`*` expands to every known action).
    known = expansions[0] if len(expansions) == 1 else frozenset().union(*expansions)
    return ActionMatcher(values, known, tuple(others), negated), tuple(unknown)


def compile_policy(doc: PolicyDocument, file: str | None = None) -> Policy:
    """Compile one policy document. Raises PolicyError with the document's pointer for malformed input."""
    return _Compiler(doc, file).compile()
