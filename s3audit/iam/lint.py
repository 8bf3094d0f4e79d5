"""Policy hygiene: statements that cannot do what they seem to, or say more than they should.

The linter's classic findings, each pointing at the statement (JSON pointer inside the policy):
- ``unknown-action`` — an action that matches nothing AWS documents (kept by the compiler);
- ``resource-type-mismatch`` — an action named explicitly whose resource types none of the statement's
  resources can match (``s3:GetObject`` on a bucket ARN without ``/*``, ``s3:ListBucket`` on object ARNs),
  per the Service Authorization Reference's resource types for each action;
- ``allow-not-principal`` — ``Allow`` with ``NotPrincipal`` (kept by the compiler);
- ``allow-not-action-all`` — ``Allow`` with ``NotAction`` on every resource;
- ``public-principal`` — a resource policy that allows ``*`` with no condition at all;
- ``condition-key-never-present`` — an S3 condition key that none of the statement's S3 actions carries;
- ``redundant-statement`` — a statement whose every grant another statement of the policy already makes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .actions import universe
from .policy import Policy, Problem, Statement

_ANY, _NOSEP = ("any",), ("nosep",)
# Keys that come from the resource (an access point) rather than the action.
_RESOURCE_KEYS = frozenset({"s3:dataaccesspointarn", "s3:dataaccesspointaccount", "s3:accesspointnetworkorigin",
                            "s3:resourceaccount"})


def _tokens_of_glob(text: str) -> tuple:
    """A policy pattern as tokens: (charset, many?) with * many-any and ? one-any."""
    out = []
    text = re.sub(r"\$\{[^}]*\}", "*", text)  # a policy variable may stand for anything
    for ch in text:
        if ch == "*":
            out.append((_ANY, True))
        elif ch == "?":
            out.append((_ANY, False))
        else:
            out.append((("lit", ch), False))
    return tuple(out)


def _tokens_of_template(template: str) -> tuple:
    """An ARN template of the Service Authorization Reference (``${BucketName}``) as tokens."""
    out = []
    for part in re.split(r"(\$\{[^}]+\})", template):
        if not part:
            continue
        if part.startswith("${"):
            # Object names and tokens may hold slashes; other names are one path segment.
            wide = part in ("${ObjectName}", "${Token}")
            out.append((_ANY if wide else _NOSEP, True))
        else:
            out.extend((("lit", ch), False) for ch in part)
    return tuple(out)


def _meet(a, b) -> bool:
    if a is _ANY or b is _ANY:
        return True
    if a is _NOSEP and b is _NOSEP:
        return True
    if a is _NOSEP:
        return b[1] not in "/:"
    if b is _NOSEP:
        return a[1] not in "/:"
    return a[1] == b[1]


def overlaps(p: tuple, q: tuple) -> bool:
    """Whether two token patterns can match a common string (intersection of two simple languages)."""
    seen = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(p) and j == len(q):
            return True
        if i < len(p) and p[i][1]:
            stack.append((i + 1, j))
        if j < len(q) and q[j][1]:
            stack.append((i, j + 1))
        if i < len(p) and j < len(q) and _meet(p[i][0], q[j][0]):
            pi, qj = p[i][1], q[j][1]
            if not pi and not qj:
                stack.append((i + 1, j + 1))
            elif pi and not qj:
                stack.append((i, j + 1))
            elif qj and not pi:
                stack.append((i + 1, j))
    return False


@lru_cache(maxsize=None)
def _type_tokens(service: str, rtype: str) -> tuple | None:
    template = universe().resource_arns.get(service, {}).get(rtype)
    return _tokens_of_template(template) if template else None


_PLAIN_BUCKET = re.compile(r"^(arn:[^:]*:s3:::)([^/:*?$\[]+)(/.*)?$")


def _resource_can_be(pattern_text: str, service: str, types: tuple[str, ...]) -> bool:
    if pattern_text == "*":
        return True
    # Every literal bucket name (no `/`, `:`, wildcard or variable) stands where the templates have
    # ${BucketName}, which matches any such name: one answer serves every bucket.
    m = _PLAIN_BUCKET.match(pattern_text)
    if m is not None:
        pattern_text = m.group(1) + "b" + (m.group(3) or "")
    return _can_be(pattern_text, service, types)


@lru_cache(maxsize=65536)
def _can_be(pattern_text: str, service: str, types: tuple[str, ...]) -> bool:
    p = _tokens_of_glob(pattern_text)
    for t in types:
        tokens = _type_tokens(service, t)
        if tokens is None or overlaps(p, tokens):
            return True
    return False


@dataclass(frozen=True)
class LintFinding:
    code: str
    message: str
    pointer: str  # inside the policy document
    statement: str


def lint_policy(policy: Policy) -> list[LintFinding]:
    """Every hygiene problem of one compiled policy, in statement order."""
    out: list[LintFinding] = []
    problems = _problems_by_statement(policy)
    for s in policy.statements:
        for prob in problems.get(s.pointer, ()):
            out.append(LintFinding(prob.code, prob.message, prob.pointer, s.label))
        out.extend(_statement_checks(policy, s))
    out.extend(_redundant(policy))
    return out


def _problems_by_statement(policy: Policy) -> dict[str, list[Problem]]:
    """The compiler's problems under each statement's pointer (the statement itself or inside it), in order:
    one pass over the problems, not one per statement."""
    pointers = {s.pointer for s in policy.statements}
    out: dict[str, list[Problem]] = {}
    for prob in policy.problems:
        tokens = prob.pointer.split("/")
        for n in range(1, len(tokens) + 1):  # every statement whose pointer is a prefix, shortest first
            prefix = "/".join(tokens[:n])
            if prefix in pointers:
                out.setdefault(prefix, []).append(prob)
    return out


def _statement_checks(policy: Policy, s: Statement) -> list[LintFinding]:
    u = universe()
    out = []
    negated = s.actions.negated
    if not negated and s.resources is not None and not s.not_resource:
        for j, entry in enumerate(s.actions.entries):
            if not isinstance(entry, str) or "*" in entry or "?" in entry:
                continue
            info = u.get(entry)
            if info is None or not info.resources:
                continue
            service = entry.split(":", 1)[0].lower()
            if service != "s3":  # the ARN templates we model precisely are S3's
                continue
            if not any(_resource_can_be(p.text, service, info.resources) for p in s.resources):
                hint = ""
                if set(info.resources) & {"object", "accesspointobject"} and all("/" not in p.text.split(":::", 1)[-1]
                                                                                    for p in s.resources):
                    hint = "; object actions need an object ARN such as `arn:aws:s3:::BUCKET/*`"
                elif "bucket" in info.resources:
                    hint = "; bucket actions need the bucket ARN itself, such as `arn:aws:s3:::BUCKET`"
                where = s.pointer + "/Action" + (f"/{j}" if len(s.actions.entries) > 1 else "")
                out.append(LintFinding("resource-type-mismatch",
                                       f"`{entry}` applies to {', '.join(info.resources)} resources, and no resource of "
                                       f"this statement can be one{hint}", where, s.label))
    if s.effect == "Allow" and negated and s.resources is not None and not s.not_resource and \
            any(p.text == "*" for p in s.resources):
        out.append(LintFinding("allow-not-action-all", "`Allow` with `NotAction` on `*` grants every other action of "
                               "every AWS service, including ones added later", s.pointer + "/NotAction", s.label))
    if s.effect == "Allow" and s.principals is not None and not s.not_principal and \
            any(p.is_everyone for p in s.principals) and not s.conditions.clauses and \
            policy.doc.kind in ("bucket", "access-point", "trust"):
        out.append(LintFinding("public-principal", "allows `*` (everyone, anonymous callers included) with no "
                               "condition", s.pointer + "/Principal", s.label))
    # Condition keys the statement's S3 actions never carry (asked only when some clause tests an S3 key).
    s3_clauses = [c for c in s.conditions.clauses if c.key.lower().startswith("s3:")]
    if not negated and s3_clauses and s.actions.known and not s.actions.others:
        actions = [u.get(a) for a in s.actions.known]
        if all(a is not None and a.name.lower().startswith("s3:") for a in actions):
            s3keys = u.service_condition_keys.get("s3", frozenset())
            for c in s3_clauses:
                k = c.key.lower()
                if k not in s3keys or "/" in k or k in _RESOURCE_KEYS:
                    continue
                if not any(k in a.condition_keys for a in actions):
                    names = sorted(a.name for a in actions)
                    shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
                    out.append(LintFinding("condition-key-never-present",
                                           f"condition key `{c.key}` is never present on {shown}; "
                                           f"`{c.operator}` on a missing key decides the statement regardless of "
                                           "the request", s.pointer + "/Condition", s.label))
    return out


def _covers(big: Statement, small: Statement) -> bool:
    if big is small or big.effect != small.effect:
        return False
    if big.actions.negated or small.actions.negated or big.not_resource or small.not_resource:
        return False
    if big.not_principal or small.not_principal or big.actions.others or small.actions.others:
        return False
    if big.conditions.clauses and big.conditions.clauses != small.conditions.clauses:
        return False
    if not small.actions.known <= big.actions.known:
        return False
    if (big.resources is None) != (small.resources is None):
        return False
    if small.resources is not None:
        for r in small.resources:
            if not any(b.text == "*" or b.text == r.text or (b.text.endswith("*") and "?" not in b.text and
                                                            r.text.startswith(b.text[:-1]))
                       for b in big.resources):
                return False
    if small.principals != big.principals:
        if big.principals is None or not any(p.is_everyone for p in big.principals):
            return False
    return True


def _redundant(policy: Policy) -> list[LintFinding]:
    out = []
    stmts = policy.statements
    # a short policy is compared pair by pair; a long one looks up the statements that may cover each
    index = _CoverIndex(stmts) if len(stmts) >= _INDEXED_FROM else None
    for s in stmts:
        for other in stmts if index is None else index.candidates(s):
            # For two identical statements, report only the later one.
            if _covers(other, s) and not (_covers(s, other) and other.index > s.index):
                out.append(LintFinding("redundant-statement", f"every grant of this statement is already made by "
                                       f"statement {other.label}", s.pointer, s.label))
                break
    return out


_EVERYONE = object()  # the principals key of a statement whose Principal includes everyone
_INDEXED_FROM = 16  # statements in a policy
_BROAD = 64  # known actions past which a statement is not filed under each (`s3:*`, `*`): it is always a candidate


def _plain(s: Statement) -> bool:
    """A statement _covers can compare: no NotAction, NotResource, NotPrincipal or unknown actions."""
    return not (s.actions.negated or s.not_resource or s.not_principal or s.actions.others)


class _CoverIndex:
    """The statements that may cover a given one, in statement order: a superset of those ``_covers``
    accepts, found without comparing every pair (a policy of 10,000 statements has 10^8 pairs).

    A statement can only be covered by one of the same effect, with no conditions or the same ones, with the
    same principals or everyone's, that names each of its actions and covers each of its resources. The
    statements are grouped by the first three; within a group, by action (a statement naming more than
    ``_BROAD`` actions, such as `s3:*`, is a candidate for every other) and by the literal text each resource
    pattern must start with, and the smaller of the two candidate lists is checked."""

    def __init__(self, statements: tuple[Statement, ...]):
        self.groups: dict[tuple, tuple[dict, list, dict, list, list]] = {}
        for s in statements:
            if not _plain(s):
                continue
            everyone = s.principals is not None and any(p.is_everyone for p in s.principals)
            key = (s.effect, s.conditions.clauses, _EVERYONE if everyone else s.principals)
            by_action, broad, by_prefix, no_resource, members = self.groups.setdefault(key, ({}, [], {}, [], []))
            members.append(s)
            if len(s.actions.known) > _BROAD:
                broad.append(s)
            else:
                for a in s.actions.known:
                    by_action.setdefault(a, []).append(s)
            if s.resources is None:
                no_resource.append(s)
                continue
            for prefix in {_cover_prefix(b.text) for b in s.resources}:
                by_prefix.setdefault(prefix, []).append(s)

    def candidates(self, small: Statement) -> list[Statement]:
        if not _plain(small):
            return []
        keys = {(small.effect, c, p) for c in ((), small.conditions.clauses) for p in (_EVERYONE, small.principals)}
        found: dict[int, Statement] = {}
        for key in keys:
            group = self.groups.get(key)
            if group is None:
                continue
            by_action, broad, by_prefix, no_resource, members = group
            lists = []
            known = small.actions.known
            if len(known) > _BROAD:  # only a statement as broad can name all of them
                lists.append(broad)
            elif known:
                lists.append(min((by_action.get(a, []) for a in known), key=len) + broad)
            if small.resources is None:
                lists.append(no_resource)
            elif small.resources:
                text = small.resources[0].text
                lists.append([b for n in range(len(text) + 1) for b in by_prefix.get(text[:n], ())] +
                             by_prefix.get(("exact", text), []))
            best = min(lists, key=len) if lists else members
            for b in best:
                found[b.index] = b
        return [found[i] for i in sorted(found)]


def _cover_prefix(text: str):
    """What a resource pattern of a covering statement is filed under: `*` and `prefix*` by the prefix (they
    cover every text starting with it), any other text by itself."""
    if text.endswith("*") and "?" not in text:
        return text[:-1]
    return ("exact", text)
