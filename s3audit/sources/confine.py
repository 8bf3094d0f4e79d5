"""Unknown values in a policy document confined to the statement, or the condition, they touch.

A value IaC knows only after apply or deploy (a KMS key's ARN, a CloudFront distribution id, a parameter without
default) may sit in one statement of a policy whose other statements are plain. Making the whole policy unknown
throws those away: a TLS-only deny is ignored because a neighbouring grant names a distribution by reference.
So each statement keeps what is known and says what is not, in the policy language itself, with one condition
operator of s3audit's own (``s3audit:Unknown``, see ``iam.conditions``) that the engine always evaluates as
"unknown" and whose key and value say which part is unknown and why:

* a condition clause with an unknown value is replaced by ``{"s3audit:Unknown": {"<operator>/<key>": [why]}}``:
  the statement applies only where the real clause would hold, which nobody knows yet;
* an unknown ``Resource``, ``Action`` or ``Principal`` (or its ``Not`` form), or one unknown entry of it, makes the
  statement cover every resource, action or principal, with the marker: it may apply to anything;
* an ``Fn::If`` whose condition is undecided around a whole statement, its ``Effect``, or a whole element, makes
  one statement per case, each marked with the case ("`IsProd` is true"); a case that removes the statement
  (``AWS::NoValue``) makes none;
* a statement nothing is known of (``!ImportValue``) becomes two: an ``Allow`` and a ``Deny`` of everything,
  both marked, since it may be either;
* an unknown ``Sid`` is dropped (it names the statement, it grants nothing).

The policy as a whole is unknown only when its ``Version`` or its list of statements is. This never makes access
look smaller than it may be: an unknown allow may allow, an unknown deny may deny, and the engine reports both as
"may be possible" with the reason; documented in docs/iac.md ("Unknown values").
"""
from __future__ import annotations

from typing import Any

from ..iam.conditions import UNKNOWN_OPERATOR
from .values import PDict, PList, Unknown, first_unknown

_ELEMENTS = (("Action", "NotAction", "*"), ("Resource", "NotResource", "*"), ("Principal", "NotPrincipal", "*"))
_WHOLE = {"resource": {"Principal": "*", "Action": "*", "Resource": "*"},
          "trust": {"Principal": "*", "Action": "*"},
          "identity": {"Action": "*", "Resource": "*"}}


def _undecided(value: Any):
    """The cases of an undecided ``Fn::If`` (cloudformation/intrinsics.Undecided): (condition, yes, no), else None."""
    cond = getattr(value, "condition", None)
    if isinstance(value, Unknown) and isinstance(cond, str):
        return cond, value.yes, value.no
    return None


def _novalue(value: Any) -> bool:
    # AWS::NoValue as intrinsics.NOVALUE: a bare object (not a value a policy can hold)
    return type(value) is object


def confine_policy(doc: Any, kind: str) -> Any:
    """``doc`` with its unknowns confined (see the module doc), or None when the policy as a whole is unknown.
    ``kind`` is ``resource`` (bucket, access point), ``trust`` or ``identity`` (also managed and organization
    policies): what a statement nothing is known of must cover."""
    if not isinstance(doc, dict):
        return None
    out = PDict(pos=getattr(doc, "pos", None))
    out.key_pos.update(getattr(doc, "key_pos", {}))
    for key, value in doc.items():
        if key == "Statement":
            continue
        if first_unknown(value) is not None:
            if key == "Id":
                out.key_pos.pop(key, None)
                continue
            return None  # the Version (or an element of its own) decides how every statement reads
        out[key] = value
    if "Statement" not in doc:
        return out
    statements = doc["Statement"]
    single = isinstance(statements, dict) or (isinstance(statements, Unknown) and not _undecided(statements))
    if isinstance(statements, Unknown) and _undecided(statements) is None:
        return None
    items = statements if isinstance(statements, list) else [statements]
    confined: list = []
    for s in items:
        confined += _statement(s, kind, ())
    if single and len(confined) == 1:
        out["Statement"] = confined[0]
    else:
        out["Statement"] = PList(confined, pos=getattr(statements, "pos", None))
    return out


def _statement(s: Any, kind: str, marks: tuple) -> list:
    """The statements ``s`` stands for, each with its marks (``(key, [values])`` of the marker operator)."""
    cases = _undecided(s)
    if cases is not None:
        cond, yes, no = cases
        out = []
        for branch, truth in ((yes, "true"), (no, "false")):
            if _novalue(branch):
                continue
            branches = branch if isinstance(branch, list) else [branch]
            for b in branches:
                out += _statement(b, kind, marks + ((f"Fn::If {cond}", [truth, s.reason]),))
        return out
    if isinstance(s, Unknown) or (not isinstance(s, dict) and first_unknown(s) is not None):
        reason = s.reason if isinstance(s, Unknown) else first_unknown(s).reason
        return [_marked(PDict({"Effect": effect, **_WHOLE[kind]}), marks + (("Statement", [reason]),))
                for effect in ("Allow", "Deny")]
    if not isinstance(s, dict) or first_unknown(s) is None:
        return [_marked(s, marks) if marks and isinstance(s, dict) else s]
    # one case per undecided `Fn::If` around the Effect or a whole element, then each case confined
    for key in ("Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"):
        cases = _undecided(s.get(key))
        if cases is not None:
            cond, yes, no = cases
            out = []
            for branch, truth in ((yes, "true"), (no, "false")):
                copy = PDict(s, pos=getattr(s, "pos", None))
                copy.key_pos.update(getattr(s, "key_pos", {}))
                if _novalue(branch):
                    del copy[key]
                else:
                    copy[key] = branch
                out += _statement(copy, kind, marks + ((f"Fn::If {cond}", [truth, s[key].reason]),))
            return out
    out = PDict(pos=getattr(s, "pos", None))
    out.key_pos.update(getattr(s, "key_pos", {}))
    new_marks = list(marks)
    effect = s.get("Effect")
    if isinstance(effect, Unknown):
        rest = PDict({k: v for k, v in s.items() if k != "Effect"}, pos=getattr(s, "pos", None))
        rest.key_pos.update(getattr(s, "key_pos", {}))
        return [x for e in ("Allow", "Deny")
                for x in _statement(PDict({"Effect": e, **rest}, pos=rest.pos), kind,
                                    marks + (("Effect", [effect.reason]),))]
    for key, value in s.items():
        u = first_unknown(value)
        if u is None:
            out[key] = value
            continue
        if key == "Sid":
            out.key_pos.pop(key, None)
            continue
        element = next((e for e in _ELEMENTS if key in e[:2]), None)
        if element is not None:
            positive, _, everything = element
            out.pop(element[1] if key == element[0] else element[0], None)
            out[positive] = everything
            if positive != key and key in out.key_pos:
                out.key_pos[positive] = out.key_pos.pop(key)
            new_marks.append((key, [u.reason]))
        elif key == "Condition":
            kept, cond_marks = _condition(value)
            if kept:
                out[key] = kept
            new_marks += cond_marks
        else:  # an element of no meaning to IAM: the policy grammar reports it; keep its key, not the value
            new_marks.append((key, [u.reason]))
    return [_marked(out, tuple(new_marks))]


def _condition(block: Any) -> tuple[Any, list]:
    """The known clauses of a Condition element and the marks for the unknown ones."""
    if isinstance(block, Unknown) or not isinstance(block, dict):
        return None, [("Condition", [first_unknown(block).reason])]
    kept = PDict(pos=getattr(block, "pos", None))
    kept.key_pos.update(getattr(block, "key_pos", {}))
    marks = []
    for op, clauses in block.items():
        if isinstance(clauses, Unknown) or not isinstance(clauses, dict):
            if first_unknown(clauses) is not None:
                marks.append((f"Condition/{op}", [first_unknown(clauses).reason]))
                kept.key_pos.pop(op, None)
                continue
            kept[op] = clauses
            continue
        known = PDict(pos=getattr(clauses, "pos", None))
        known.key_pos.update(getattr(clauses, "key_pos", {}))
        for key, values in clauses.items():
            u = first_unknown(values)
            if u is None:
                known[key] = values
            else:
                marks.append((f"{op}/{key}", [u.reason]))
                known.key_pos.pop(key, None)
        if known:
            kept[op] = known
        else:
            kept.key_pos.pop(op, None)
    return kept, marks


def _marked(s: Any, marks: tuple) -> Any:
    """The statement with the marker clauses added to its Condition element."""
    if not marks:
        return s
    out = PDict(s, pos=getattr(s, "pos", None))
    out.key_pos.update(getattr(s, "key_pos", {}))
    cond = out.get("Condition")
    cond = PDict(cond, pos=getattr(cond, "pos", None)) if isinstance(cond, dict) else PDict()
    marker = PDict(cond.get(UNKNOWN_OPERATOR) or {})
    for key, values in marks:
        marker[key] = list(values)
    cond[UNKNOWN_OPERATOR] = marker
    out["Condition"] = cond
    return out
