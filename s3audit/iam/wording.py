"""Residual conditions in words an auditor reads: "only over TLS", "only with external ID xyz-123".

A residual (``Residual.to_json()``: ``{"effect", "source", "statement", "conditions": [clause or note]}``) is
what a conditional answer still depends on. An ``Allow`` residual needs every clause to hold; a ``Deny``
residual blocks the request when every clause holds, so access needs at least one of them to fail. Each
clause ``{"operator", "key", "values"}`` is said as a phrase that reads after "only" ("over TLS", "from VPC
endpoint vpce-1", "when aws:UserAgent is X"); a ``Deny`` residual is said through its clauses' negations
joined by "or". When the request may lack the key and the clause then lets the request through, the phrase
says so ("or with no aws:MultiFactorAuthPresent in the request"), since that is where audits go wrong
(AWS's operator page: a missing key makes a plain operator false and a negated one true).

``met_by_construction`` marks the one condition every caller of a well-configured bucket meets: the
bucket's own TLS-only deny (``Deny`` when ``aws:SecureTransport`` is false, in the bucket policy).
Reports may treat it as met when the audit profile says ``assume: {tls: true}``.

Pure functions on plain dicts (no engine, no I/O): the engine's JSON, the graph's text and every reporter
call them. Memoised by content: the same few conditions recur on thousands of paths.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Iterable, Mapping

from .conditions import UNKNOWN_OPERATOR, parse_operator

TLS = "tls"

# Keys a request always carries (AWS's global condition keys page): no "or when it is missing" for them.
_ALWAYS_PRESENT = frozenset({
    "aws:securetransport", "aws:currenttime", "aws:epochtime", "aws:principalarn", "aws:principalaccount",
    "aws:principaltype", "aws:userid", "aws:requestedregion", "aws:viaawsservice", "s3:authtype",
    "s3:signatureversion", "s3:resourceaccount"})

# key -> (phrase when the comparison holds, phrase when it does not); {v} is the values.
_STRING_KEYS = {
    "sts:externalid": ("with external ID {v}", "without external ID {v}"),
    "aws:sourcevpce": ("from VPC endpoint {v}", "not from VPC endpoint {v}"),
    "aws:sourcevpc": ("from VPC {v}", "not from VPC {v}"),
    "aws:sourceip": ("from IP addresses {v}", "from IP addresses outside {v}"),
    "aws:vpcsourceip": ("from VPC addresses {v}", "from VPC addresses outside {v}"),
    "aws:principalorgid": ("by principals of organization {v}", "by principals outside organization {v}"),
    "aws:principalorgpaths": ("by principals under organization path {v}",
                              "by principals outside organization path {v}"),
    "aws:principalaccount": ("by principals of account {v}", "by principals of accounts other than {v}"),
    "aws:principalarn": ("by principal {v}", "by principals other than {v}"),
    "aws:principaltype": ("by principals of type {v}", "by principals not of type {v}"),
    "aws:userid": ("by caller ID {v}", "by caller IDs other than {v}"),
    "aws:username": ("by user name {v}", "by user names other than {v}"),
    "aws:sourceaccount": ("on behalf of account {v}", "on behalf of accounts other than {v}"),
    "aws:sourcearn": ("on behalf of {v}", "on behalf of resources other than {v}"),
    "aws:sourceorgid": ("on behalf of organization {v}", "on behalf of organizations other than {v}"),
    "aws:calledvia": ("through service {v}", "not through service {v}"),
    "aws:requestedregion": ("in region {v}", "in regions other than {v}"),
    "aws:referer": ("with referer {v}", "with a referer other than {v}"),
    "aws:useragent": ("with user agent {v}", "with a user agent other than {v}"),
    "s3:prefix": ("listing keys under prefix {v}", "listing keys not under prefix {v}"),
    "s3:delimiter": ("listing with delimiter {v}", "listing with a delimiter other than {v}"),
    "s3:x-amz-server-side-encryption": ("with server-side encryption {v}", "without server-side encryption {v}"),
    "s3:x-amz-server-side-encryption-aws-kms-key-id": ("with KMS key {v}", "with a KMS key other than {v}"),
    "s3:x-amz-acl": ("with canned ACL {v}", "with a canned ACL other than {v}"),
    "s3:dataaccesspointaccount": ("through an access point of account {v}",
                                  "not through an access point of account {v}"),
    "s3:dataaccesspointarn": ("through access point {v}", "not through access point {v}"),
    "s3:accesspointnetworkorigin": ("through an access point of network origin {v}",
                                    "not through an access point of network origin {v}"),
    "s3:authtype": ("with authentication {v}", "with authentication other than {v}"),
    "s3:signatureversion": ("with signature version {v}", "with a signature version other than {v}"),
    "s3:versionid": ("on object version {v}", "on object versions other than {v}"),
    "sts:rolesessionname": ("with session name {v}", "with a session name other than {v}"),
    "sts:sourceidentity": ("with source identity {v}", "with a source identity other than {v}"),
}
_BOOL_KEYS = {  # key -> (phrase when the key is true, phrase when it is false)
    "aws:securetransport": ("over TLS", "over plain HTTP"),
    "aws:multifactorauthpresent": ("with MFA", "without MFA"),
    "aws:viaawsservice": ("through an AWS service", "not through an AWS service"),
    "aws:principalisawsservice": ("by an AWS service principal", "by a principal that is not an AWS service"),
}
_TAG_KEYS = {  # key prefix -> phrase with {tag} and {v}
    "aws:principaltag/": ("by principals tagged {tag}={v}", "by principals not tagged {tag}={v}"),
    "aws:resourcetag/": ("on resources tagged {tag}={v}", "on resources not tagged {tag}={v}"),
    "s3:existingobjecttag/": ("on objects tagged {tag}={v}", "on objects not tagged {tag}={v}"),
    "aws:requesttag/": ("with request tag {tag}={v}", "without request tag {tag}={v}"),
    "s3:requestobjecttag/": ("tagging objects {tag}={v}", "not tagging objects {tag}={v}"),
}
# Comparison families: (holds, does not hold) for the generic phrase "when KEY is ... VALUES".
_RELATIONS = {
    "StringEquals": ("is", "is not"), "StringNotEquals": ("is not", "is"),
    "StringEqualsIgnoreCase": ("is (ignoring case)", "is not (ignoring case)"),
    "StringNotEqualsIgnoreCase": ("is not (ignoring case)", "is (ignoring case)"),
    "StringLike": ("matches", "does not match"), "StringNotLike": ("does not match", "matches"),
    "ArnEquals": ("matches", "does not match"), "ArnLike": ("matches", "does not match"),
    "ArnNotEquals": ("does not match", "matches"), "ArnNotLike": ("does not match", "matches"),
    "IpAddress": ("is in", "is not in"), "NotIpAddress": ("is not in", "is in"),
    "BinaryEquals": ("is", "is not"),
    "NumericEquals": ("is", "is not"), "NumericNotEquals": ("is not", "is"),
    "NumericLessThan": ("is less than", "is at least"), "NumericLessThanEquals": ("is at most", "is more than"),
    "NumericGreaterThan": ("is more than", "is at most"),
    "NumericGreaterThanEquals": ("is at least", "is less than"),
    "DateEquals": ("is", "is not"), "DateNotEquals": ("is not", "is"),
    "DateLessThan": ("is before", "is at or after"), "DateLessThanEquals": ("is at or before", "is after"),
    "DateGreaterThan": ("is after", "is at or before"), "DateGreaterThanEquals": ("is at or after", "is before"),
    "Bool": ("is", "is not"),
}
_TIME_KEYS = {"aws:currenttime": "the request is made", "aws:epochtime": "the request is made",
              "aws:tokenissuetime": "the credentials were issued"}


def _values(values: Iterable[Any]) -> str:
    vals = [str(v) for v in values]
    if not vals:
        return "(no value)"
    if len(vals) == 1:
        return vals[0]
    return ", ".join(vals[:-1]) + " or " + vals[-1]


def _absent_truth(base: str, negated: bool, set_op: str | None, if_exists: bool) -> bool:
    """Whether the clause holds for a request without its key (AWS's condition operator page)."""
    if base == "Null":
        return True  # `Null K true` holds when K is missing; handled by its own wording
    if if_exists or set_op == "ForAllValues":
        return True
    if set_op == "ForAnyValue":
        return False
    return negated


def _positive(op, key: str, folded: str, values: tuple[str, ...], holds: bool) -> str:
    """The phrase for the clause holding (``holds``) or failing, its key's absence left aside."""
    base = op.base
    v = _values(values)
    if op.set_op:
        rel = _RELATIONS.get(base, ("is", "is not"))[0]
        if op.set_op == "ForAnyValue":
            return f"when some value of {key} {rel} {v}" if holds else f"when no value of {key} {rel} {v}"
        return f"when every value of {key} {rel} {v}" if holds else f"when some value of {key} does not satisfy " \
                                                                     f"`{op.base}` {v}"
    if base == "Bool":
        truths = {str(x).strip().lower() for x in values}
        if truths <= {"true", "false"} and len(truths) == 1:
            value = (truths == {"true"}) == holds
            phrases = _BOOL_KEYS.get(folded)
            if phrases:
                return phrases[0] if value else phrases[1]
            return f"when {key} is {'true' if value else 'false'}"
    if base in _RELATIONS and (base.startswith("String") or base.startswith("Arn") or base in (
            "IpAddress", "NotIpAddress", "BinaryEquals")):
        affirmative = not op.negated
        phrases = _STRING_KEYS.get(folded)
        if phrases is None:
            for prefix, tag_phrases in _TAG_KEYS.items():
                if folded.startswith(prefix):
                    phrases = tuple(p.replace("{tag}", key[len(prefix):]) for p in tag_phrases)
                    break
        if phrases is not None:
            like = "Like" in base or (base.startswith("Arn") and any("*" in x or "?" in x for x in values))
            shown = _values(values) if not like else "matching " + _values(values)
            return (phrases[0] if affirmative == holds else phrases[1]).replace("{v}", shown)
    if base in _RELATIONS and base.startswith("Date") and folded in _TIME_KEYS:
        rel = _RELATIONS[base][0 if holds else 1]
        return f"when {_TIME_KEYS[folded]} {rel.removeprefix('is ')} {v}"
    if base in _RELATIONS:
        return f"when {key} {_RELATIONS[base][0 if holds else 1]} {v}"
    return (f"when {key} {'passes' if holds else 'fails'} the operator `{op.written}` against {v} "
            f"(an operator AWS does not document)")


@lru_cache(maxsize=4096)
def _clause_phrase(operator: str, key: str, values: tuple[str, ...], holds: bool) -> str:
    if operator == UNKNOWN_OPERATOR:  # a part of the statement IaC knows only at deploy time (sources/confine.py)
        if key.startswith("Fn::If ") and values:
            truth = values[0] if holds else {"true": "false", "false": "true"}.get(values[0], values[0])
            return f"if condition `{key[7:]}` is {truth} at deploy time"
        return (f"if its {key}, known only at deploy time, {'covers' if holds else 'does not cover'} the request"
                + (f" ({values[-1]})" if values else ""))
    op = parse_operator(operator)
    folded = key.lower()
    if op.base == "Null":
        wants = {str(x).strip().lower() for x in values}
        if len(wants) == 1 and wants <= {"true", "false"}:
            missing = (wants == {"true"}) == holds
            return f"when the request has no {key}" if missing else f"when the request has {key}"
        return f"when the presence of {key} passes `Null` {_values(values)}"
    phrase = _positive(op, key, folded, values, holds)
    if op.base is None or folded in _ALWAYS_PRESENT:
        return phrase
    if _absent_truth(op.base, op.negated, op.set_op, op.if_exists) == holds:
        return f"{phrase}, or with no {key} in the request"
    return phrase


def clause_phrase(clause: Mapping[str, Any], holds: bool = True) -> str:
    """A clause (``{"operator", "key", "values"}``, or ``{"note"}``) as a phrase that reads after "only":
    for the clause holding, or (``holds=False``) failing."""
    if "operator" not in clause:
        return str(clause.get("note") or json.dumps(dict(clause), sort_keys=True))
    values = clause.get("values")
    values = tuple(str(x) for x in (values if isinstance(values, (list, tuple)) else [values]))
    return _clause_phrase(str(clause["operator"]), str(clause.get("key", "")), values, holds)


def clause_text(clause: Mapping[str, Any]) -> str:
    """The machine form, as policies write it: ``Bool aws:SecureTransport false``."""
    if "operator" in clause:
        vals = clause.get("values") or []
        return f"{clause['operator']} {clause.get('key')} {vals[0] if len(vals) == 1 else list(vals)}"
    return str(clause.get("note") or json.dumps(dict(clause), sort_keys=True))


def explanation(residual: Mapping[str, Any]) -> str:
    """What a residual asks of the request, in words: "only over TLS", "only with external ID x and from
    VPC endpoint vpce-1". Notes (what the engine could not evaluate) are said as written."""
    clauses = [c for c in residual.get("conditions") or () if isinstance(c, Mapping)]
    ops = [c for c in clauses if "operator" in c]
    notes = [clause_phrase(c) for c in clauses if "operator" not in c]
    parts = []
    if ops:
        if residual.get("effect") == "Deny":
            parts.append("only " + " or ".join(dict.fromkeys(clause_phrase(c, holds=False) for c in ops)))
        else:
            parts.append("only " + " and ".join(dict.fromkeys(clause_phrase(c) for c in ops)))
    parts.extend(notes)
    return "; ".join(parts) if parts else "depends on the request"


def met_by_construction(residual: Mapping[str, Any]) -> str | None:
    """``"tls"`` for the bucket's own TLS-only deny (every clause denies requests not over TLS), else None.
    A caller of a bucket that denies plain HTTP to everyone meets it by using HTTPS, as every AWS SDK does."""
    if residual.get("effect") != "Deny" or not str(residual.get("source", "")).startswith("bucket policy of "):
        return None
    clauses = residual.get("conditions") or ()
    if not clauses:
        return None
    for c in clauses:
        if not isinstance(c, Mapping) or str(c.get("key", "")).lower() != "aws:securetransport":
            return None
        op = parse_operator(str(c.get("operator", "")))
        values = {str(v).strip().lower() for v in c.get("values") or ()}
        if op.base != "Bool" or op.set_op or values != {"false"}:
            return None
    return TLS


# why each condition is met by construction
CONSTRUCTION_WHY = {TLS: "the bucket's own policy denies every request not over TLS"}
CONSTRUCTION_NOTES = {kind: f"met by construction ({why})" for kind, why in CONSTRUCTION_WHY.items()}


def describe(residual: Mapping[str, Any], assume: Iterable[str] = (), *, brief: bool = False) -> str:
    """The explanation, with what makes it met when it is the bucket's own TLS-only deny (and ``assumed``
    when the audit profile assumes it); ``brief`` for a table cell whose legend says the rest."""
    text = residual.get("explanation") or explanation(residual)
    kind = met_by_construction(residual)
    if kind is None:
        return text
    if kind in set(assume):
        return f"{text} (assumed met: audit profile)" if brief else f"{text} — assumed met (audit profile)"
    return f"{text} (met by construction)" if brief else f"{text} — {CONSTRUCTION_NOTES[kind]}"


def residual_json(effect: str, source: str, statement: str, conditions: Iterable[Mapping]) -> dict:
    """A residual's JSON: the machine form and, beside it, its ``explanation`` (and ``met_by_construction``
    when it is the bucket's own TLS-only deny)."""
    out = {"effect": effect, "source": source, "statement": statement, "conditions": list(conditions)}
    out["explanation"] = explanation(out)
    kind = met_by_construction(out)
    if kind is not None:
        out["met_by_construction"] = kind
    return out


# ---- VPC endpoints: what a condition on aws:SourceVpce lets through ----
_WHO_KEYS = {"aws:principalorgid": "principals of organization {v}", "aws:principalaccount": "principals of account {v}",
             "aws:principalarn": "principal {v}", "aws:principalorgpaths": "principals under organization path {v}"}
_EVERYONE = ("*", {"AWS": "*"})


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def endpoint_admits(document: Any) -> str:
    """What a VPC endpoint policy lets through, in words: who (anyone, the principals of an organization or
    account, named principals), for which actions and resources, and what it denies; from its statements as
    written (an endpoint policy grants nothing: it only limits what comes through the endpoint)."""
    if not isinstance(document, Mapping):
        return "nothing it could be read for"
    statements = [s for s in _listed(document.get("Statement") or []) if isinstance(s, Mapping)]
    allowed, denied = [], []
    for s in statements:
        (allowed if s.get("Effect") == "Allow" else denied).append(_endpoint_statement(s))
    text = " or ".join(dict.fromkeys(allowed)) if allowed else "nothing (no statement allows)"
    if denied:
        text += "; it denies " + " and ".join(dict.fromkeys(denied))
    return text


def _endpoint_statement(s: Mapping) -> str:
    principal = s.get("Principal", "*")
    who: list[str] = []
    when: list[str] = []
    for op, body in (s.get("Condition") or {}).items():
        if not isinstance(body, Mapping):
            continue
        for key, values in body.items():
            vals = tuple(str(v) for v in _listed(values))
            form = _WHO_KEYS.get(str(key).lower())
            if form and parse_operator(str(op)).base in ("StringEquals", "StringLike", "ArnEquals", "ArnLike") \
                    and not parse_operator(str(op)).negated:
                who.append(form.format(v=_values(vals)))
            else:
                when.append(clause_phrase({"operator": op, "key": key, "values": list(vals)}))
    if principal not in _EVERYONE:
        named = [v for vals in (principal.values() if isinstance(principal, Mapping) else [principal])
                 for v in _listed(vals)]
        who.insert(0, "principal " + _values(named) if len(named) == 1 else "principals " + _values(named))
    text = " and ".join(who) if who else "anyone"
    actions = _listed(s.get("Action", "*"))
    if actions not in (["*"], ["s3:*"]) or "NotAction" in s:
        text += " for " + (_values(actions) if "NotAction" not in s else "actions other than " +
                           _values(_listed(s["NotAction"])))
    resources = _listed(s.get("Resource", "*"))
    if resources != ["*"] or "NotResource" in s:
        text += " on " + (_values(resources) if "NotResource" not in s else "resources other than " +
                          _values(_listed(s["NotResource"])))
    if when:
        text += " " + " and ".join(f"only {w}" if not w.startswith("when") else w for w in when)
    return text


def endpoint_phrase(endpoint_id: str, kind: str | None, vpc: str | None, account: str | None,
                    admits: str | None) -> str:
    """``vpce-1 is a Gateway VPC endpoint of VPC vpc-1 in account 222222222222; its policy admits ...``: what a
    residual condition naming the endpoint lets through."""
    where = " ".join(x for x in (f"a {kind}" if kind else "a", "VPC endpoint", f"of VPC {vpc}" if vpc else "",
                                 f"in account {account}" if account else "") if x)
    policy = f"its policy admits {admits}" if admits is not None else "its policy could not be read (it may admit anyone)"
    return f"{endpoint_id} is {where}; {policy}"
