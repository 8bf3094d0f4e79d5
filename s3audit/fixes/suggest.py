"""Suggestions: for each open finding, the first change of its rule's ``fix`` clauses that the engine proves.

For a finding, the rule's fixes are tried in order (``kinds.make``). Each change is applied to a copy of the
snapshot document, the snapshot read again and the rule run again on it (with a fresh engine, and a fresh
access graph when the rule or the collateral needs one): the change is suggested when the finding is gone.
Its collateral is every access that changes with it — who gains or loses which level on which bucket —
other than the access whose removal is the point (a cut's own routes). A change to a bucket value the
engine never reads (versioning, logging, lifecycle, Object Lock, replication, website) changes no access,
and the graph is not rebuilt for it.

Changes are proved once each: the same patch serves every finding it is tried for (the TLS-only statement
of one bucket for FSBP-S3.5, CIS-2.1.1 and PCI-4.2.1), and each rule runs once per patched estate. Changes
of different buckets are not proved together in one estate: a rule may read several buckets (a log target,
a replication destination), and a finding that vanished beside another bucket's change would not prove
its own change. A change that is not a well-formed edit of the snapshot is a reason, not an error.

A finding whose fixes all fail, or whose rule says ``fix manual(...)``, gets a suggestion without a change
that says why no single change fixes it. Findings of rules without ``fix`` clauses get none.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..errors import S3AuditError
from ..findings import Finding, Status
from ..snapshot import patch
from .kinds import Change, Estate, NoChange, make

# Bucket values the engine never reads: changing them changes no access.
ACCESS_NEUTRAL = frozenset({"Versioning", "Logging", "Lifecycle", "ObjectLock", "Replication", "Website"})


@dataclass
class Suggestion:
    rule: str
    change: Change | None
    verified: bool
    collateral: list = field(default_factory=list)  # report.model.AccessChange
    reason: str | None = None  # why no single change fixes the finding
    edits: list[dict] = field(default_factory=list)  # IaC: {"file", "line", "column", "change"}
    diff: dict | None = None  # {"pointer", "before", "after"}: the changed value, as JSON text

    def to_json(self) -> dict:
        if self.change is None:
            return {"fix": None, "verified": False, "change": None, "reason": self.reason}
        c = self.change
        out: dict[str, Any] = {"fix": c.kind, "action": c.action, "change": c.description, "patch": c.patch}
        if c.statement is not None:
            out["statement"] = c.statement
        if c.removes:
            out["removes"] = [{k: v for k, v in g.to_json().items() if k != "location"} for g in c.removes]
        if self.edits:
            out["edits"] = self.edits
        out["verified"] = self.verified
        out["collateral"] = [x.to_json() for x in self.collateral]
        if self.diff is not None:
            out["diff"] = self.diff
        return out


class _Trial:
    """The estate with one change made: its snapshot, and (when asked) its graph and rules' findings."""

    def __init__(self, document: Any, file: str | None, graph=None):
        from ..snapshot.load import snapshot_from_dict
        self.document = document
        self.snapshot = graph.snapshot if graph is not None else snapshot_from_dict(document, file=file)
        self._graph = graph
        self._found: dict[str, set[str]] = {}

    @property
    def graph(self):
        if self._graph is None:
            from ..graph.build import build_graph
            self._graph = build_graph(self.snapshot)
        return self._graph

    def fingerprints(self, program, rule_id: str) -> set[str]:
        hit = self._found.get(rule_id)
        if hit is None:
            from ..lang.evaluate import run_rules
            compiled = program.rule(rule_id)
            graph = self.graph if compiled is not None and compiled.needs_graph else None
            run = run_rules(program, self.snapshot, engine=graph.engine if graph else None, graph=graph,
                            select=lambda m: m.id == rule_id)
            # a finding still there, even undecided (unknown), is not gone
            hit = self._found[rule_id] = {f.fingerprint for f in run.findings}
        return hit


def suggest(document: Any, snapshot, program, findings: Iterable[Finding], *, graph=None) -> dict[str, Suggestion]:
    """fingerprint -> Suggestion for each open finding of a rule with ``fix`` clauses. ``program`` is the
    compiled rules the findings came from (the same parameters)."""
    from ..lang.evaluate import run_rules
    todo = [f for f in findings if f.status is Status.OPEN]
    with_fixes = {r.meta.id for r in program.compiled if r.meta.fixes}
    todo = [f for f in todo if f.rule in with_fixes]
    if not todo:
        return {}
    estate = Estate(document, snapshot, graph)
    wanted = {f.rule for f in todo}
    compiled_needs_graph = any(r.needs_graph for r in program.compiled if r.meta.id in wanted)
    g = estate.graph if compiled_needs_graph else None
    run = run_rules(program, snapshot, engine=g.engine if g else None, graph=g, select=lambda m: m.id in wanted,
                    fixes=True)
    trials: dict[str, _Trial | str] = {}
    before_access = None
    out: dict[str, Suggestion] = {}
    for f in todo:
        calls = run.fixes.get(f.fingerprint)
        if calls is None:
            continue  # the finding is not the rule's on this snapshot (it came from elsewhere)
        reasons = []
        chosen = None
        for call in calls:
            try:
                change = make(estate, call)
            except NoChange as exc:
                reasons.append(str(exc))
                continue
            except S3AuditError as exc:  # the change is not a well-formed edit of this snapshot: no proof, no fix
                reasons.append(f"the `{call.kind}` change could not be made: {exc}")
                continue
            key = change.key()
            trial = trials.get(key)
            if trial is None:
                try:
                    trial = _Trial(patch.apply(document, change.patch), snapshot.file, change.graph_after)
                except S3AuditError as exc:  # the patched estate does not read as a snapshot
                    trial = f"{change.description}: the change does not make a readable snapshot ({exc})"
                trials[key] = trial
            if isinstance(trial, str):
                reasons.append(trial)
                continue
            if f.fingerprint in trial.fingerprints(program, f.rule):
                reasons.append(f"{change.description}: the finding remains")
                continue
            collateral = []
            if _touches_access(change.patch):
                if before_access is None:
                    from ..report.access import access_map
                    before_access = access_map(estate.graph)
                from ..report.access import access_changes, access_map
                collateral = [c for c in access_changes(before_access, access_map(trial.graph))
                              if (c.principal, c.bucket, c.level) not in change.intended]
            chosen = Suggestion(f.rule, change, True, collateral, edits=_edits(snapshot, change),
                                diff=diff_of(document, trial.document, change.patch))
            break
        if chosen is None:
            why = "; ".join(reasons) if reasons else "none of the rule's fixes applies"
            chosen = Suggestion(f.rule, None, False, reason=f"no single change fixes this finding: {why}")
        out[f.fingerprint] = chosen
    return out


def _touches_access(ops: list[dict]) -> bool:
    for op in ops:
        parts = op["path"].split("/")
        # /accounts/i/s3/buckets/j/KEY...
        if len(parts) >= 7 and parts[1] == "accounts" and parts[3] == "s3" and parts[4] == "buckets" \
                and parts[6] in ACCESS_NEUTRAL:
            continue
        return True
    return False


def _edits(snapshot, change: Change) -> list[dict]:
    """Where an IaC input declares what the change edits: file, line and column, with the change in words."""
    if not snapshot.locations:
        return []
    pointers = [change.pointer] + [g.pointer for g in change.removes[1:]]
    out = []
    for p in dict.fromkeys(pointers):
        loc = snapshot.location_of(p)
        if loc and loc.get("file"):
            out.append({"file": loc["file"], "line": loc.get("line"), "column": loc.get("column"),
                        "change": change.description})
    return out


def _common(paths: list[str]) -> str:
    split = [p.split("/")[1:] for p in paths]
    out = []
    for parts in zip(*split):
        if len(set(parts)) != 1:
            break
        out.append(parts[0])
    return "".join("/" + x for x in out)


def diff_of(before_doc: Any, after_doc: Any, ops: list[dict]) -> dict:
    """The smallest value that holds every edit, before and after, as indented JSON text (a policy held as
    text shown as the object it encodes)."""
    paths = []
    for op in ops:
        p = op["path"]
        if op["op"] in ("add", "remove"):
            p = p.rsplit("/", 1)[0]  # an added or removed item or member: show its parent
        paths.append(p)
    where = _common(paths)
    while True:
        try:
            old = patch.get(before_doc, where)
            break
        except patch.PatchError:
            where = where.rsplit("/", 1)[0]
    new = patch.get(after_doc, where)
    show = lambda v: json.dumps(patch.decode_text(v), indent=2, sort_keys=False)  # noqa: E731
    return {"pointer": where, "before": show(old), "after": show(new)}
