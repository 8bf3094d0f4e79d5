"""A finding's suggested fix in words, as a diff, and as a SARIF ``fix``: what every output format shows.

The suggestion is the JSON ``s3audit/fixes/suggest.py`` writes beside a finding (``Report.suggestions``,
and ``"suggestion"`` in each finding of the JSON output): ``fix`` (the kind of change, or null when no single
change fixes the finding, with ``reason``), ``action``, ``change`` (in words), ``patch`` (RFC 6902 against
the snapshot), ``statement`` (the narrowed or added statement), ``removes`` (the grants a cut takes out),
``edits`` (file:line:column of an IaC input), ``verified``, ``collateral`` (access changes, as
``access_changes``) and ``diff`` (the changed value before and after, as JSON text).
"""
from __future__ import annotations

import difflib
from typing import Any, Mapping

from .model import AccessChange, access_change_text, group_access_changes

MAX_COLLATERAL_LINES = 20


def _place(e: Mapping[str, Any]) -> str:
    return ":".join(str(x) for x in (e.get("file"), e.get("line"), e.get("column")) if x is not None)


def collateral_lines(s: Mapping[str, Any], limit: int = MAX_COLLATERAL_LINES) -> list[str]:
    changes = [AccessChange.from_json(c) for c in s.get("collateral") or ()]
    grouped = group_access_changes(changes)
    out = [access_change_text(g) for g in grouped[:limit]]
    if len(grouped) > limit:
        out.append(f"… and {len(grouped) - limit} more (see the JSON output)")
    return out


def headline(s: Mapping[str, Any]) -> str:
    """One sentence: the change and whether the engine proved it, or why there is none."""
    if not s.get("fix"):
        return s.get("reason") or "no single change fixes this finding"
    n = len(s.get("collateral") or ())
    proof = "verified: the engine no longer finds it" if s.get("verified") else "not verified"
    cost = "no other access changes" if n == 0 else f"{n} other access change{'s' if n != 1 else ''}"
    return f"{s['change']} ({proof}; {cost})"


def lines(s: Mapping[str, Any]) -> list[str]:
    """The suggestion for a terminal: the change, where to make it, what else it changes."""
    out = [("fix: " if s.get("fix") else "") + headline(s)]
    for e in s.get("edits") or ():
        out.append(f"  edit at {_place(e)}")
    if s.get("fix"):
        for op in s.get("patch") or ():
            value = "" if "value" not in op else " " + _short(op["value"])
            out.append(f"  {op['op']} {op['path']}{value}")
        out.extend("  " + x for x in collateral_lines(s))
    return out


def _short(value: Any, limit: int = 160) -> str:
    import json
    text = json.dumps(value, separators=(", ", ": "))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def diff(s: Mapping[str, Any]) -> str:
    """The changed value as a unified diff (``-`` before, ``+`` after), named by its JSON pointer."""
    d = s.get("diff")
    if not d:
        return ""
    where = d.get("pointer") or "/"
    before = (d.get("before") or "").splitlines()
    after = (d.get("after") or "").splitlines()
    return "\n".join(difflib.unified_diff(before, after, fromfile=f"a{where}", tofile=f"b{where}", lineterm="")) + "\n"


def sarif_fix(s: Mapping[str, Any], placed: tuple[str, list] | None, uri: str | None) -> dict | None:
    """A SARIF ``fix``: the change as exact edits of one file the run read (``placed``: the file and its
    replacements, each a region and the text to put there, None to delete it). None when the change is not
    such an edit (the suggestion then stays in the result's properties)."""
    if not s.get("fix") or placed is None or uri is None:
        return None
    replacements = []
    for region, text in placed[1]:
        r: dict = {"deletedRegion": dict(region)}
        if text is not None:
            r["insertedContent"] = {"text": text}
        replacements.append(r)
    return {"description": {"text": headline(s)},
            "artifactChanges": [{"artifactLocation": {"uri": uri}, "replacements": replacements}]}
