"""What the reports need from the access graph: pictures of paths, and who can reach which bucket.

The graph (``s3audit.graph``) answers; this module turns its answers into the report model's plain
values (``PathPicture``, ``AccessChange``), so that reporters never touch the graph. Path findings carry
their path in their evidence — the hops (``{"from", "to", "kind", "actions", "conditions", "reasons"}``, the
graph's own JSON) in order, or a path object with ``hops`` — and ``pictures_from_findings`` reads that.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..findings import Finding
from ..iam.wildcard import glob_match
from ..iam.wording import met_by_construction
from ..snapshot.model import UNKNOWN, Snapshot
from .model import AccessChange, PathHop, PathPicture

LEVELS = ("list", "read", "write", "permissions")
DEFAULT_SENSITIVE = {"data-class": ("pci", "cardholder*", "personal", "pii", "phi", "confidential", "restricted",
                                    "secret", "sensitive")}


def build_graph(snapshot: Snapshot, engine=None):
    """The access graph of a snapshot, or None when this build has no graph."""
    try:
        from ..graph.build import build_graph as build
    except ImportError:
        return None
    return build(snapshot, engine)


def _external(graph, n: str) -> bool:
    a = graph.node(n)
    return bool(a.get("external")) or a.get("kind") in ("anonymous", "authenticated")


def _hop(source: str, target: str, kind: str, decision: str, actions, detail: str, conditions, reasons,
         assume: frozenset) -> PathHop:
    """A hop of a picture; a conditional hop whose every residual the profile assumes met (the bucket's own
    TLS-only deny under ``assume: {tls: true}``) and that rests on nothing unknown reads as allowed."""
    conditions = tuple(conditions)
    if kind == "access" and not detail:
        detail = ", ".join(levels_of(actions))  # the graph's JSON has no levels: the actions' own
    assumed: tuple[str, ...] = ()
    if decision != "allow" and assume and conditions and not any(_effect(r) == "Unknown" for r in reasons):
        kinds = [met_by_construction(c) for c in conditions]
        if all(k in assume for k in kinds):
            decision, assumed = "allow", tuple(sorted(set(kinds)))
    return PathHop(source, target, kind, decision, tuple(actions), detail, conditions, assumed)


def levels_of(actions: Iterable[str]) -> dict[str, list[str]]:
    """Access level -> the actions of that level (IAM's levels: list, read, write, permissions, tagging),
    in ``LEVELS`` order; actions the catalogue does not know are under "other"."""
    from ..iam.actions import s3_level
    out: dict[str, list[str]] = {}
    for a in actions:
        out.setdefault(s3_level(a) or "other", []).append(a)
    order = {lv: i for i, lv in enumerate((*LEVELS, "tagging"))}
    return {lv: out[lv] for lv in sorted(out, key=lambda lv: (order.get(lv, 9), lv))}


def _effect(reason: Any) -> str | None:
    return reason.get("effect") if isinstance(reason, Mapping) else getattr(reason, "effect", None)


def picture(graph, path, sensitive: str = "", finding: str = "", assume: frozenset = frozenset()) -> PathPicture:
    from ..graph.paths import display
    hops = tuple(_hop(display(graph, h.source), display(graph, h.target), h.kind, h.decision, h.actions, h.detail,
                      (c.to_json() for c in h.conditions), h.reasons, assume) for h in path.hops)
    nodes = {h.source for h in path.hops} | {h.target for h in path.hops}
    external = tuple(sorted(display(graph, n) for n in nodes if _external(graph, n)))
    decision = "allow" if all(h.decision == "allow" for h in hops) else path.decision
    return PathPicture(display(graph, path.principal), path.bucket, tuple(path.access), decision, hops,
                       external, sensitive, finding)


def sensitive_reason(tags: Any, sensitive: Mapping[str, Iterable[str]]) -> str:
    if tags is UNKNOWN or not tags:
        return ""
    for key, patterns in sensitive.items():
        value = tags.get(key)
        if value is not None and any(glob_match(p, value, case_sensitive=False) for p in patterns):
            return f"{key}={value}"
    return ""


def data_scope(data_classes: Iterable[str], widen: Mapping[str, Iterable[str]] | None = None
               ) -> dict[str, tuple[str, ...]]:
    """Which buckets a profile's report draws paths to: those whose ``data-class`` is one its packs care
    about (``data_classes``), plus what the profile's ``sensitive`` adds; ``DEFAULT_SENSITIVE`` when
    neither names anything (a profile of packs about no data class in particular)."""
    scope: dict[str, list[str]] = {}
    classes = sorted(set(data_classes))
    if classes:
        scope["data-class"] = classes
    for key, patterns in (widen or {}).items():
        values = scope.setdefault(key, [])
        values.extend(p for p in patterns if p not in values)
    if not scope:
        return {k: tuple(v) for k, v in DEFAULT_SENSITIVE.items()}
    return {k: tuple(v) for k, v in scope.items()}


def sensitive_paths(graph, snapshot: Snapshot, sensitive: Mapping[str, Iterable[str]] | None = None,
                    access: str = "any", assume: frozenset = frozenset()) -> list[PathPicture]:
    """Every principal's path to every bucket whose tags mark sensitive data (``DEFAULT_SENSITIVE``)."""
    from ..graph.paths import paths_to
    sensitive = sensitive or DEFAULT_SENSITIVE
    out: list[PathPicture] = []
    for bucket in snapshot.buckets:
        why = sensitive_reason(bucket.tags, sensitive)
        if not why or not graph.data_nodes_of(bucket.name):
            continue
        out.extend(picture(graph, p, why, assume=assume) for p in paths_to(graph, bucket.name, access))
    return out


def report_pictures(findings: Iterable[Finding], snapshot: Snapshot, graph, profile,
                    data_classes: Iterable[str] = (), drawn: list[PathPicture] | None = None) -> list[PathPicture]:
    """The pictures a report shows: the paths path findings carry, and every path to the buckets of the
    data classes in the profile's scope (``data_scope``), with the profile's assumptions applied. ``drawn``:
    the latter as a run split into tasks drew them (``s3audit.shards``), the graph being nowhere whole."""
    assume = frozenset(getattr(profile, "assume", ()) or ())
    out = pictures_from_findings(findings, snapshot, assume)
    if drawn is not None:
        out += drawn
    elif graph is not None:
        scope = data_scope(data_classes, getattr(profile, "sensitive", None) or None)
        out += sensitive_paths(graph, snapshot, scope, assume=assume)
    return out


def access_map(graph) -> dict[tuple[str, str, str], str]:
    """(principal, bucket, level) -> allow | conditional, by any path, for every bucket of the graph."""
    from ..graph.routes import reach
    return reach(graph)


def access_changes(before: Mapping[tuple[str, str, str], str],
                   after: Mapping[tuple[str, str, str], str]) -> list[AccessChange]:
    # only the keys that differ are sorted (as the union of both would be: the order breaks the ties below)
    differ = [k for k, d in before.items() if after.get(k) != d]
    differ += [k for k in after if k not in before]
    changes = []
    for key in sorted(differ):
        b, a = before.get(key), after.get(key)
        changes.append(AccessChange(key[0], key[1], key[2], b, a))
    order = {"gained": 0, "changed": 1, "lost": 2}
    return sorted(changes, key=lambda c: (order[c.change], c.bucket, c.principal, LEVELS.index(c.level)
                                          if c.level in LEVELS else 9))


def _is_hop(h: Any) -> bool:
    return isinstance(h, dict) and isinstance(h.get("from"), str) and isinstance(h.get("to"), str)


def path_in_evidence(evidence: Iterable[Any]) -> tuple[dict, list[dict]] | None:
    """The path a finding's evidence carries, as (facts about it, hops): a path object (``{"hops": [...]}``,
    the graph's JSON), a fact whose value is the hops (``p.hops``), or the hops themselves in order."""
    evidence = list(evidence)
    for e in evidence:
        if isinstance(e, dict) and isinstance(e.get("hops"), list) and e["hops"] and all(map(_is_hop, e["hops"])):
            return e, e["hops"]
    for e in evidence:
        value = e.get("value") if isinstance(e, dict) else None
        if isinstance(value, list) and value and all(map(_is_hop, value)):
            return {}, value
    hops = [e for e in evidence if _is_hop(e)]
    return ({}, hops) if hops else None


def _decision(h: dict) -> str:
    if isinstance(h.get("decision"), str):
        return h["decision"]
    return "conditional" if h.get("conditions") else "allow"


def pictures_from_findings(findings: Iterable[Finding], snapshot: Snapshot | None = None,
                           assume: frozenset = frozenset()) -> list[PathPicture]:
    """The paths path findings carry as evidence, one picture each."""
    out = []
    for f in findings:
        found = path_in_evidence(f.evidence)
        if found is None:
            continue
        facts, raw = found
        hops = tuple(_hop(h["from"], h["to"], str(h.get("kind", "access")), _decision(h), h.get("actions") or (),
                          str(h.get("detail", "")), (c for c in h.get("conditions") or () if isinstance(c, dict)),
                          h.get("reasons") or (), assume) for h in raw)
        names = [h.source for h in hops] + [hops[-1].target]
        given = facts.get("external")
        external = tuple(sorted(set(given) if isinstance(given, list) else
                                {n for n in names if _outside(n, snapshot)}))
        decision = "allow" if all(h.decision == "allow" for h in hops) else "conditional"  # as the graph decides
        out.append(PathPicture(str(facts.get("principal", hops[0].source)), str(facts.get("bucket", hops[-1].target)),
                               tuple(facts.get("access") or hops[-1].actions), str(decision), hops, external, "",
                               f.fingerprint))
    return out


def _outside(name: str, snapshot: Snapshot | None) -> bool:
    if name in ("anonymous", "*", "authenticated"):
        return True
    if snapshot is None or not name.startswith("arn:"):
        return False
    parts = name.split(":")
    account = parts[4] if len(parts) > 4 else ""
    return bool(account) and account.isdigit() and not snapshot.in_organization(account)
