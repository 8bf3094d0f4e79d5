"""Policy documents with unknown parts: each unknown is confined to the statement that holds it.

An IaC value known only at apply/deploy time (a resource ARN, a variable with no value, a name from
``random_id``) often sits inside one statement of a policy: the ARN a statement grants, a principal, one
condition's value. The rest of the policy is known and must stay decided: a bucket policy's TLS deny counts
even if another statement names a CloudFront distribution by reference. So a statement that holds an unknown
is kept, flagged as unknown (docs/snapshot-format.md, ``unknown_statements``), with a stand-in for each unknown
part that matches at least every value it could take:

* ``Action``/``Resource``: an unknown entry becomes ``*``, or the known text of a partly known string with
  ``*`` for what is unknown (``arn:aws:s3:::*/*`` for ``"arn:aws:s3:::${var.bucket}/*"``); ``NotAction`` or
  ``NotResource`` with an unknown entry becomes ``Action``/``Resource`` ``*``;
* ``Principal``/``NotPrincipal`` with an unknown entry: ``Principal: "*"``;
* a ``Condition`` entry (operator, key) with an unknown operator, key or value is left out;
* an unknown ``Effect``: the statement is kept twice, once as ``Allow`` and once as ``Deny``; an unknown ``Sid``
  is left out (it decides nothing);
* a statement that is unknown as a whole: ``Allow`` and ``Deny`` of every action on every resource (to every
  principal in a resource policy).
* a statement that is one of two known ones depending on a condition decided only at deploy time
  (CloudFormation's ``Fn::If`` on an undecided condition, around the statement, its ``Effect`` or a whole element):
  one statement per case, each flagged with its case; a case that removes it (``AWS::NoValue``) gives none.

The engine evaluates a flagged statement as one that *may* apply where its stand-in applies: an Allow may
allow, a Deny may deny, each with the reason; so the decision is "conditional", never "no access", and the
statements that hold no unknown decide as before. What cannot be confined (an unknown ``Version``, or the
``Statement`` list itself unknown) makes the whole document unknown, as before.
"""
from __future__ import annotations

from typing import Any

from .values import PartialString, PDict, PList, Unknown, first_unknown

# Policy kinds whose statements need a Principal (resource policies; RCPs name `*`).
_WITH_PRINCIPAL = frozenset({"bucket policy", "access point policy", "trust policy", "resource control policy"})


class Confined:
    """A document whose unknown parts are confined: ``doc`` (stand-ins in place of the unknowns), and the
    index of each flagged statement in ``doc["Statement"]`` with the reason; or ``unknown`` for a document
    that cannot be confined."""

    __slots__ = ("doc", "flagged", "unknown")

    def __init__(self, doc: Any = None, flagged: dict[int, str] | None = None, unknown: Unknown | None = None):
        self.doc, self.flagged, self.unknown = doc, flagged or {}, unknown


def confine(doc: dict, what: str) -> Confined:
    """``doc`` with each statement holding an unknown replaced by its stand-in (see the module docstring);
    ``what`` names the policy's kind (``bucket policy``, ``trust policy``, ...)."""
    for key in doc:
        if isinstance(key, Unknown):
            return Confined(unknown=key)
    for key in ("Version", "Statement"):
        if isinstance(doc.get(key), Unknown) and not (key == "Statement" and _undecided(doc[key])):
            return Confined(unknown=doc[key])
    raw = doc.get("Statement")
    statements = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out_statements = PList(pos=getattr(raw, "pos", None))
    flagged: dict[int, str] = {}
    for written in statements:
        for s, case in _cases(written, ""):
            u = first_unknown(s)
            if u is None:
                if case:
                    flagged[len(out_statements)] = case
                out_statements.append(s)
                continue
            for stand_in in _stand_ins(s, what):
                flagged[len(out_statements)] = _joined(case, _reason(s, u))
                out_statements.append(stand_in)
    out = PDict(((k, v) for k, v in doc.items() if k != "Id" or not isinstance(v, Unknown)), pos=getattr(doc, "pos", None))
    out.key_pos.update(getattr(doc, "key_pos", {}))
    if "Statement" in doc:
        out["Statement"] = out_statements if isinstance(raw, list) or len(out_statements) != 1 else out_statements[0]
    return Confined(out, flagged)


# Where an undecided ``Fn::If`` makes one statement per case: around the statement, its Effect or a whole element.
_SPLIT_AT = ("Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition")


def _undecided(value: Any) -> tuple[str, Any, Any] | None:
    """(condition, value if true, value if false) of a value decided by a condition only a deployment decides
    (``cloudformation/intrinsics.Undecided``), else None."""
    cond = getattr(value, "condition", None)
    if isinstance(value, Unknown) and isinstance(cond, str):
        return cond, value.yes, value.no  # type: ignore[attr-defined]
    return None


def _removed(value: Any) -> bool:
    return type(value) is object  # ``AWS::NoValue`` (intrinsics.NOVALUE): the case removes what it stands in


def _joined(*reasons: str) -> str:
    return "; ".join(r for r in reasons if r)


def _cases(s: Any, case: str):
    """(statement, why it is one only in some deployments, or "") for each statement ``s`` may be."""
    cases = _undecided(s)
    if cases is not None:
        cond, yes, no = cases
        for branch, truth in ((yes, "true"), (no, "false")):
            if _removed(branch):
                continue
            why = _joined(case, f"the statement is written so where condition `{cond}` is {truth} ({s.reason})")
            for b in branch if isinstance(branch, list) else [branch]:
                yield from _cases(b, why)
        return
    if isinstance(s, dict):
        for key in _SPLIT_AT:
            cases = _undecided(s.get(key))
            if cases is None:
                continue
            cond, yes, no = cases
            for branch, truth in ((yes, "true"), (no, "false")):
                copy = PDict(s, pos=getattr(s, "pos", None))
                copy.key_pos.update(getattr(s, "key_pos", {}))
                if _removed(branch):
                    del copy[key]
                else:
                    copy[key] = branch
                yield from _cases(copy, _joined(case, f"its `{key}` is written so where condition `{cond}` is {truth} "
                                                      f"({s[key].reason})"))
            return
    yield s, case


def _reason(s: Any, u: Unknown) -> str:
    if isinstance(s, dict):
        for key, value in s.items():
            inner = first_unknown(value) if not isinstance(key, Unknown) else key
            if inner is not None:
                return f"its `{key}` holds a value known only at deploy time: {inner.reason}" if isinstance(key, str) \
                    else f"one of its elements is known only at deploy time: {inner.reason}"
    return f"the statement is known only at deploy time: {u.reason}"


def _stand_ins(s: Any, what: str) -> list[dict]:
    """The statements that stand in for ``s`` (one, or two when its Effect is unknown)."""
    needs_principal = what in _WITH_PRINCIPAL
    if not isinstance(s, dict) or any(isinstance(k, Unknown) for k in s):
        everything = {"Action": "*", "Resource": "*"}
        if needs_principal:
            everything["Principal"] = "*"
        return [PDict({"Effect": e, **everything}, pos=getattr(s, "pos", None)) for e in ("Allow", "Deny")]
    base = PDict(pos=getattr(s, "pos", None))
    base.key_pos.update(getattr(s, "key_pos", {}))
    for key, value in s.items():
        if key == "Sid":
            if not isinstance(value, Unknown):
                base[key] = value
        elif key in ("Action", "NotAction", "Resource", "NotResource"):
            positive = key.removeprefix("Not")
            if first_unknown(value) is None:
                base[key] = value
            elif key.startswith("Not"):
                base[positive] = "*"
            else:
                base[key] = _patterns(value, arn=key == "Resource")
        elif key in ("Principal", "NotPrincipal"):
            if first_unknown(value) is None:
                base[key] = value
            else:
                base["Principal"] = "*"
        elif key == "Condition":
            condition = _known_conditions(value)
            if condition:
                base[key] = condition
        elif first_unknown(value) is None:  # an element of no meaning to IAM holding an unknown is left out
            base[key] = value
    effect = s.get("Effect")
    if isinstance(effect, Unknown):
        return [PDict({**base, "Effect": e}, pos=base.pos) for e in ("Allow", "Deny")]
    return [base]


def _patterns(value: Any, *, arn: bool) -> Any:
    """Action or Resource entries with each unknown entry replaced by the widest pattern it could match."""
    if isinstance(value, Unknown):
        return _pattern(value, arn)
    if isinstance(value, list):
        out = PList((_pattern(x, arn) if isinstance(x, Unknown) else "*" if first_unknown(x) is not None else x
                     for x in value), pos=getattr(value, "pos", None))
        return "*" if "*" in out else out
    return "*" if first_unknown(value) is not None else value  # not a string or list, and holds an unknown


def _pattern(u: Unknown, arn: bool) -> str:
    if isinstance(u, PartialString):
        p = u.pattern()
        # an ARN pattern must still read as an ARN (``arn:...``); an action as ``service:...``
        if (arn and p.startswith("arn:")) or (not arn and ":" in p and not p.startswith("*")):
            return p
    return "*"


def _known_conditions(value: Any) -> Any:
    """The Condition element without the entries that hold an unknown (each may or may not hold)."""
    if not isinstance(value, dict):
        return None
    out = PDict(pos=getattr(value, "pos", None))
    for op, entries in value.items():
        if isinstance(op, Unknown):
            continue
        if not isinstance(entries, dict):
            if first_unknown(entries) is None:
                out[op] = entries  # malformed: the policy compiler says so
            continue
        kept = PDict({k: v for k, v in entries.items() if not isinstance(k, Unknown) and first_unknown(v) is None},
                     pos=getattr(entries, "pos", None))
        if kept:
            out[op] = kept
    return out


# --- JSON text with unknown pieces (a heredoc or template with an interpolation known only at apply time) ----

_MARK = "@@s3audit-unknown-{}@@"


def with_marks(text: PartialString) -> tuple[str, list[Unknown]]:
    """The text of ``text`` with a mark for each unknown piece, so that it parses as JSON: inside a JSON string
    the mark is text, elsewhere a string of its own. ``unmark`` turns the marks back into the unknowns."""
    out: list[str] = []
    unknowns: list[Unknown] = []
    in_string = escaped = False
    for piece in text.pieces:
        if isinstance(piece, str):
            out.append(piece)
            for c in piece:
                if escaped:
                    escaped = False
                elif c == "\\" and in_string:
                    escaped = True
                elif c == '"':
                    in_string = not in_string
            continue
        mark = _MARK.format(len(unknowns))
        unknowns.append(piece)
        out.append(mark if in_string else f'"{mark}"')
    return "".join(out), unknowns


def unmark(value: Any, unknowns: list[Unknown]) -> Any:
    """``value`` (parsed from ``with_marks`` text) with its marks replaced by the unknowns they stand for."""
    if isinstance(value, str):
        if "@@s3audit-unknown-" not in value:
            return value
        pieces: list = []
        rest = value
        while True:
            start = rest.find("@@s3audit-unknown-")
            end = rest.find("@@", start + 18) if start >= 0 else -1
            if start < 0 or end < 0:
                break
            if rest[:start]:
                pieces.append(rest[:start])
            index = rest[start + 18:end]
            pieces.append(unknowns[int(index)] if index.isdigit() and int(index) < len(unknowns) else rest[start:end + 2])
            rest = rest[end + 2:]
        if rest:
            pieces.append(rest)
        if len(pieces) == 1 and isinstance(pieces[0], Unknown):
            return pieces[0]
        first = next((p for p in pieces if isinstance(p, Unknown)), None)
        return PartialString(pieces, first.reason) if first is not None else "".join(pieces)
    if isinstance(value, dict):
        out = PDict(pos=getattr(value, "pos", None))
        for k, v in value.items():
            key = unmark(k, unknowns)
            if isinstance(key, Unknown):
                key = Unknown(key.reason)  # an unknown key: what it holds is unknown
            out[key] = unmark(v, unknowns)
            if k in getattr(value, "key_pos", {}):
                out.key_pos[key] = value.key_pos[k]
        return out
    if isinstance(value, list):
        return PList((unmark(v, unknowns) for v in value), pos=getattr(value, "pos", None))
    return value
