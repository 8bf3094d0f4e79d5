"""The ``aws_iam_policy_document`` data source: the JSON document it renders from its blocks."""
from __future__ import annotations

import json
from typing import Any

from ...builder import decode_policy
from ...hcl import Obj
from ...values import PDict, PList, PStr, Unknown
from ..registry import Instance, data_source


@data_source("aws_iam_policy_document")
def _policy_document_data(obj: Obj, at: Instance) -> None:
    doc = policy_document(obj, at.address)
    text = doc if isinstance(doc, Unknown) else PStr(json.dumps(doc), encoded=doc)
    obj.update({"json": text, "minified_json": text})


def _listify(v: Any) -> Any:
    return v if isinstance(v, (list, Unknown)) else PList([v]) if v is not None else PList()


def _one_or_list(values: Any) -> Any:
    if isinstance(values, list) and len(values) == 1:
        return values[0]
    return values


def policy_document(obj: Obj, address: str) -> Any:
    """The JSON document ``data.aws_iam_policy_document`` renders, with each statement's position.

    https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document
    """
    doc = PDict(pos=obj.pos)
    doc["Version"] = obj.get("version") or "2012-10-17"
    if obj.get("policy_id"):
        doc["Id"] = obj["policy_id"]
    statements = PList(pos=obj.pos)
    blocks = obj.get("statement")
    if isinstance(blocks, Unknown):
        return blocks
    for st in blocks or []:
        s = PDict(pos=getattr(st, "pos", None))
        if st.get("sid"):
            s["Sid"] = st["sid"]
        s["Effect"] = st.get("effect") or "Allow"
        for src, dst in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                         ("not_resources", "NotResource")):
            if st.get(src) is not None:
                s[dst] = _one_or_list(_listify(st[src]))
        for src, dst in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            blocks_p = st.get(src)
            if isinstance(blocks_p, Unknown):
                s[dst] = blocks_p
                continue
            if not blocks_p:
                continue
            principal = PDict()
            for p in blocks_p:
                ptype, ids = p.get("type"), _listify(p.get("identifiers"))
                if isinstance(ptype, Unknown) or isinstance(ids, Unknown):
                    principal = ptype if isinstance(ptype, Unknown) else ids
                    break
                if ptype == "*" and list(ids) == ["*"]:
                    principal = "*"
                    break
                existing = principal.setdefault(ptype, PList())
                existing.extend(x for x in ids if x not in existing)
            if isinstance(principal, PDict):
                principal = PDict({k: _one_or_list(v) for k, v in principal.items()})
            s[dst] = principal
        conditions = st.get("condition")
        if isinstance(conditions, Unknown):
            s["Condition"] = conditions
        elif conditions:
            cond = PDict()
            for c in conditions:
                test, var, values = c.get("test"), c.get("variable"), _listify(c.get("values"))
                if isinstance(test, Unknown) or isinstance(var, Unknown):
                    cond = test if isinstance(test, Unknown) else var
                    break
                per_test = cond.setdefault(test, PDict())
                if var in per_test and not isinstance(values, Unknown):
                    merged = _listify(per_test[var])
                    per_test[var] = _one_or_list(PList(list(merged) + [v for v in values if v not in merged]))
                else:
                    per_test[var] = _one_or_list(values)
            s["Condition"] = cond
        statements.append(s)
    # source documents come first, the document's own statements replace theirs by Sid; override
    # documents' statements replace by Sid or are added.
    merged = _merge_documents(obj.get("source_policy_documents"), statements, address, override=False)
    if isinstance(merged, Unknown):
        return merged
    merged = _merge_documents(obj.get("override_policy_documents"), merged, address, override=True)
    if isinstance(merged, Unknown):
        return merged
    doc["Statement"] = merged
    return doc


def _merge_documents(others: Any, current: PList, address: str, *, override: bool) -> Any:
    if others is None:
        return current
    if isinstance(others, Unknown):
        return others
    result = PList(current, pos=current.pos)
    for text in others:
        if isinstance(text, Unknown):
            return text
        pol = decode_policy(text, None, "source or override policy document")
        if pol is None:
            continue
        if pol.unknown is not None:
            return pol.unknown
        stmts = pol.doc.get("Statement", [])
        stmts = stmts if isinstance(stmts, list) else [stmts]
        for st in stmts:
            sid = st.get("Sid") if isinstance(st, dict) else None
            same = [i for i, x in enumerate(result) if sid and isinstance(x, dict) and x.get("Sid") == sid]
            if override:
                if same:
                    result[same[0]] = st
                else:
                    result.append(st)
            elif not same:
                result.insert(len([x for x in result if x in current and False]), st)
    if not override:
        own = [x for x in result if any(x is c for c in current)]
        src = [x for x in result if not any(x is c for c in current)]
        result = PList(src + own, pos=current.pos)
    return result
