"""Content digests of what each unit reads, for incremental runs (``store.py`` keeps the results by them).

A unit's result (its buckets' and access points' edges, findings, paths and pictures) is a function of

- **the global part** (``global_digest``): s3audit's own code, the rules and their parameters, what the run
  computes, and everything in the snapshot that is not a bucket, an access point, an IAM user, group or role
  or a managed policy (the organization with its SCPs and RCPs, the accounts' settings and errors, any other
  section: KMS keys, compute ...), plus the principal nodes (which principals exist or are named anywhere:
  selectors and wildcard principals range over them) and the canonical-id map of the ACLs;
- **the unit's own configuration**: its buckets and access points as the snapshot has them, and the buckets
  its replication rules name;
- **the principals it is paired with** (the data stage's candidates: identity grants that can name its
  buckets, and whoever their policies and ACLs name), each by its *ancestry digest*: the principal's own
  definition (its IAM entity with its managed policies and groups) and, recursively, every principal-graph
  edge into it and every principal above it — the part of the graph a path query to the unit can search;
- **what its rules asked** (recorded as they ran, ``reads.py``): the principals the engine was asked about
  (each by its IAM definition) and any other bucket.

The first three are computed from tonight's snapshot for every unit (``static_key``); the fourth from last
night's record (``full_key``). A unit is reused when both are as stored. Digests are SHA-256 of canonical
JSON (or of the ``repr`` of the engine's frozen dataclasses, which print their values).
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Iterable

from ..snapshot.model import Snapshot

_ENTITY_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
_DATA_LISTS = ("buckets", "access_points")
_code: str | None = None


def _h(*parts: Any) -> str:
    """SHA-256 of the parts, each followed by a NUL (text in UTF-8): hashed at once, not a part at a time."""
    if all(type(p) is str for p in parts):
        return hashlib.sha256("\0".join((*parts, "")).encode("utf-8")).hexdigest()
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8") if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()


def _canon(x: Any) -> str:
    """One text for a value, the same whenever the value is (keys sorted). orjson writes it where it can, several
    times faster; a value it refuses (an integer beyond 64 bits, a key that is not text) is written by the
    standard library (the two agree, byte for byte, on printable ASCII; orjson leaves DEL and non-ASCII
    characters unescaped). Either way a value gives one text, night after night."""
    try:
        return _fast_canon(x)
    except TypeError:  # refused by orjson
        return _standard_canon(x)


def _standard_canon(x: Any) -> str:
    return json.dumps(x, sort_keys=True, separators=(",", ":"), default=repr)


try:
    from orjson import OPT_SORT_KEYS, dumps as _orjson_dumps

    def _fast_canon(x: Any) -> str:
        return _orjson_dumps(x, default=repr, option=OPT_SORT_KEYS).decode("utf-8")
except ImportError:  # pragma: no cover - a platform without orjson's wheels
    _fast_canon = _standard_canon


def code_fingerprint() -> str:
    """A digest of s3audit's own source, rule packs and data indexes: another version may decide otherwise."""
    global _code
    if _code is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        h = hashlib.sha256()
        for base, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for f in sorted(files):
                if f.endswith((".py", ".s3r", ".lark", ".json", ".yaml")):
                    p = os.path.join(base, f)
                    h.update(os.path.relpath(p, root).encode())
                    with open(p, "rb") as fh:
                        h.update(hashlib.sha256(fh.read()).digest())
        _code = h.hexdigest()
    return _code


def program_fingerprint(program: Any, params: str) -> str:
    """The rule files a program was compiled from (their text) and the parameters it runs with."""
    h = hashlib.sha256(params.encode())
    for f in program.source.files:
        h.update(f.path.encode())
        try:
            with open(f.path, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
        except OSError:
            h.update(b"?")
    return h.hexdigest()


def _resolve(doc: Any, pointer: str) -> Any:
    x = doc
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        x = x[int(part)] if isinstance(x, list) else x[part]
    return x


class Keys:
    """The digests of one snapshot (see the module docstring). ``doc`` is the snapshot's JSON document."""

    def __init__(self, doc: dict, snapshot: Snapshot, principals: Any, run_digest: str):
        self.doc = doc
        self.snapshot = snapshot
        self.principals = principals
        self._entities = {x.arn: x for a in snapshot.accounts for x in (*a.users, *a.groups, *a.roles)}
        self._entity: dict[str, str] = {}
        self._own: dict[str, str] = {}
        self._by_unit: dict[str, list[Any]] = {}
        from .units import _unit_of, data_resources
        for x in data_resources(snapshot):
            self._by_unit.setdefault(_unit_of(x), []).append(x)
        self.global_digest = self._global(run_digest)
        self._ancestry: dict[str, str] | None = None
        self._parts: dict[str, str] = {}

    # ---- the global part
    def _global(self, run_digest: str) -> str:
        rest = {k: v for k, v in self.doc.items() if k not in ("taken_at", "accounts")}
        accounts = []
        for a in self.doc.get("accounts") or ():
            a = dict(a)
            if isinstance(a.get("iam"), dict):
                a["iam"] = {k: v for k, v in a["iam"].items() if k not in _ENTITY_LISTS}
            if isinstance(a.get("s3"), dict):
                a["s3"] = {k: v for k, v in a["s3"].items() if k not in _DATA_LISTS}
            accounts.append(a)
        g = self.principals.g
        nodes = sorted((n, {k: v for k, v in attrs.items() if k != "tags"}) for n, attrs in g.nodes.items())
        return _h(code_fingerprint(), run_digest, _canon(rest), _canon(accounts), _canon(nodes),
                  _canon(sorted(self.principals.canonical.items())))

    # ---- principals
    def entity(self, arn: str) -> str:
        """The digest of an IAM user, group or role as the engine reads it: its own entry, the managed
        policies it attaches (and its boundary), a user's groups; "-" for anything else."""
        hit = self._entity.get(arn)
        if hit is None:
            e = self._entities.get(arn)
            if e is None:
                hit = "-"
            else:
                managed = [*e.attached, *([e.boundary] if getattr(e, "boundary", None) else [])]
                docs = []
                for m in managed:
                    d = self.snapshot.managed_document(m)
                    docs.append((m, None if d is None else (d.document, d.origin)))
                groups = [self.entity(f"arn:aws:iam::{e.account}:group/{g}") for g in getattr(e, "groups", ())]
                hit = _h(_canon(_resolve(self.doc, e.pointer)), _canon(docs), *groups)
            self._entity[arn] = hit
        return hit

    def ancestry(self, n: str) -> str:
        if self._ancestry is None:
            self._ancestry = _ancestry_digests(self.principals.g, self.entity)
        return self._ancestry.get(n, "-")

    def _candidate_part(self, c: str) -> str:
        """``c=its ancestry``, as a static key names a candidate (made once per principal, not once per unit)."""
        hit = self._parts.get(c)
        if hit is None:
            hit = self._parts[c] = f"{c}={self.ancestry(c)}"
        return hit

    # ---- units
    def own(self, unit: str) -> str:
        """A unit's buckets and access points, and the buckets its replication rules name."""
        hit = self._own.get(unit)
        if hit is None:
            named = sorted({n for x in self._by_unit.get(unit, ()) for n in _replication_targets(x)} - {unit})
            hit = self._own[unit] = _h(self._raw_of(unit), *(self._raw_of(n) for n in named))
        return hit

    def _raw_of(self, unit: str) -> str:
        items = self._by_unit.get(unit)
        return _h(unit, "absent" if items is None else _canon([_resolve(self.doc, x.pointer) for x in items]))

    def static_key(self, unit: str, candidates: Iterable[str]) -> str:
        return _h(self.global_digest, unit, self.own(unit), *map(self._candidate_part, sorted(candidates)))

    def full_key(self, static: str, callers: Iterable[str], buckets: Iterable[str]) -> str:
        return _h(static, *(f"{c}={self.entity(c)}" for c in callers), *(f"{b}={self.own(b)}" for b in buckets))


def _replication_targets(x: Any) -> list[str]:
    raw = getattr(x, "raw", None) or {}
    rules = ((raw.get("Replication") or {}).get("Rules") or []) if isinstance(raw, dict) or hasattr(raw, "get") else []
    out = []
    for r in rules:
        if not hasattr(r, "get"):
            continue
        target = str((r.get("Destination") or {}).get("Bucket") or "")
        out.append(target.split(":::", 1)[1] if ":::" in target else target)
    return out


def _ancestry_digests(g: Any, entity) -> dict[str, str]:
    """For every node of the principal graph: a digest of the node, the edges into it and, recursively, of
    everything above it. Strongly connected components (roles that assume each other) share one digest."""
    node_digest = {n: _h(n, repr(sorted(a.items())), entity(n)) for n, a in g.nodes.items()}
    comps = _components_sources_first(g)
    comp_of = {n: i for i, comp in enumerate(comps) for n in comp}
    digest_of_comp: list[str] = []
    for i, comp in enumerate(comps):
        parts = sorted(node_digest[n] for n in comp)
        edges = []
        above = set()
        for v in comp:
            for u in g.predecessors(v):
                for k, attrs in g[u][v].items():
                    edges.append(_h(u, v, k, repr(attrs)))
                j = comp_of[u]
                if j != i:
                    above.add(digest_of_comp[j])
        digest_of_comp.append(_h(*parts, "|", *sorted(edges), "|", *sorted(above)))
    return {n: digest_of_comp[comp_of[n]] for n in g.nodes}


def _components_sources_first(g: Any) -> list[list[str]]:
    """Strongly connected components over the predecessor edges: each comes after every component with an
    edge into it."""
    from ..sccs import strongly_connected
    return strongly_connected(g.nodes, g.predecessors)
