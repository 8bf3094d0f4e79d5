"""``can-access`` edges: which S3 actions a principal may perform on a bucket or access point.

The engine decides every edge; this module keeps the number of decisions small without approximating:

- **Action classes.** Two S3 actions decide alike for a (principal, bucket) pair when every relevant
  statement (identity, boundary, bucket and access point policies, SCPs, RCPs) matches both or neither,
  the ACL in force maps both alike, they act on the same kind of resource, and they carry the same
  condition keys that those statements read. Each class is decided once: on the bucket for bucket-level
  actions, and for object-level actions on one key of the whole bucket plus one key under each prefix
  an Allow statement names (so prefix-scoped grants are found and reported with their scope).
- **Equivalent buckets.** For one principal, two buckets decide alike when their resource sides are the
  same up to the bucket's own name and to the principals named (the bucket policy with its own ARN
  renamed and its Principal elements replaced by how each covers this principal, as the engine tests
  it; the ACL, Block Public Access of bucket and account, Object Ownership, the public-policy verdict,
  the RCPs of the owner), they stand in the same account relation to the principal, and every Resource
  pattern of the principal's policies and SCPs matches the bucket and each decided key alike. The
  decisions of the first bucket are then reused for the others, with their reasons pointed at the
  other bucket's policy.
"""
from __future__ import annotations

import json
import re
from typing import Any

from ..iam import s3 as s3sem
from ..iam.actions import universe
from ..iam.context import Context
from ..iam.engine import ALLOW, Reason, Request, Residual
from ..iam.logic import Tri
from ..iam.patterns import Pattern
from ..iam.policy import Policy
from ..snapshot.model import UNKNOWN, PolicyDocument
from .build import (ACCESS_POINT, ANONYMOUS_KIND, AUTHENTICATED, CAN_ACCESS, GROUP, PROVIDER, ROLE, ROOT, SERVICE,
                    SESSION, USER, EdgeFacts, _Builder, _proxy_note, via_of)
from .index import access_point_actions, matcher_actions, s3_access_actions

_WITNESS = "s3audit-witness"  # an object key the caller may choose: stands for "any key" under a prefix
_MAX_WITNESSES = 8
_ACL_PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP")
# Context keys whose value is the resource's account: a statement reading one ties a decision to the owner.
_OWNER_KEYS = frozenset({"aws:resourceaccount", "aws:resourceorgid", "aws:resourceorgpaths", "s3:resourceaccount"})
_UNSHAREABLE = object()


class AccessPlanner:
    def __init__(self, b: _Builder):
        self.b = b
        self.engine = b.engine
        u = universe()
        self.domains = {"s3": s3_access_actions(), "ap": access_point_actions()}
        self.levels = {a: u.get(a).level for a in self.domains["s3"] | self.domains["ap"]}
        self.s3_keys = u.service_condition_keys.get("s3", frozenset())
        self.carried = {a: u.get(a).condition_keys & self.s3_keys for a in self.levels}
        self.acl_sig = {a: tuple(p for p in _ACL_PERMISSIONS if a in s3sem.acl_permission_actions(p))
                        for a in self.levels}
        self._masks: dict[tuple[int, str], tuple[dict, bool, frozenset, frozenset]] = {}
        self._resource_actions: dict[tuple, frozenset] = {}
        self._shapes: dict[str, Any] = {}
        self._rcp_statements: dict[str | None, list] = {}
        self.buckets = {bk.arn: bk for bk in b.snapshot.buckets}
        self.access_points = {ap.arn: ap for a in b.snapshot.accounts for ap in a.access_points}
        self.shared = 0  # pairs answered from an equivalent bucket (for the benchmark's curiosity)
        self.decided = 0
        self.start(None)

    # ---- per principal ----
    def start(self, n: str | None) -> None:
        """Begin the pairs of one principal: equivalence classes never span principals."""
        self._cache: dict[tuple, tuple[str, list[dict]]] = {}
        self._statements: dict[str, list] = {}
        self._ctx = self.variables(n) if n is not None else None
        self._owner_bound: dict[str, bool] = {}
        self.engine.clear_request_cache()

    def principal_statements(self, n: str, domain: str, identity: list[Policy], boundary) -> list:
        """The statements of the principal's own policies, boundary and SCPs whose Resource can tell two
        buckets apart (statements for S3 actions, other than `Resource: "*"`)."""
        hit = self._statements.get(domain)
        if hit is not None:
            return hit
        node = self.b.g.nodes[n]
        policies = list(identity)
        if isinstance(boundary, Policy):
            policies.append(boundary)
        if node["kind"] not in (ANONYMOUS_KIND, SERVICE, PROVIDER):
            policies += self.b.org_policies_of(node["account"], "SERVICE_CONTROL_POLICY")
        out = [s for p in policies for s in p.statements if _discriminates(s) and self.statement_actions(s, domain)]
        self._statements[domain] = out
        return out

    def variables(self, n: str) -> Context:
        """Values of policy variables fixed by the principal (to place keys under `home/${aws:username}/`)."""
        node = self.b.g.nodes[n]
        v: dict[str, Any] = {}
        if node["account"]:
            v["aws:PrincipalAccount"] = node["account"]
        if node["kind"] == USER:
            v["aws:username"] = node["name"]
            u = self.b.users.get(n)
            if u is not None and u.id:
                v["aws:userid"] = u.id
        for k, val in node["tags"].items():
            v[f"aws:PrincipalTag/{k}"] = val
        return Context.of(v)

    # ---- per policy and per bucket ----
    def masks(self, policy: Policy, domain: str):
        """(action -> bitmask of matching statements, whether the mask is the same for every action,
        s3 condition keys the policy reads, every condition key it reads)."""
        key = (id(policy), domain)
        hit = self._masks.get(key)
        if hit is None:
            acts = frozenset(self.domains[domain])
            m: dict[str, int] = {}
            keys: set[str] = set()
            for i, s in enumerate(policy.statements):
                for a in matcher_actions(s.actions, acts):
                    m[a] = m.get(a, 0) | (1 << i)
                keys |= set(s.conditions.keys)
            constant = not m or (len(m) == len(acts) and len(set(m.values())) == 1)
            hit = (m, constant, frozenset(k for k in keys if k in self.s3_keys), frozenset(keys))
            self._masks[key] = hit
        return hit

    def resource_side(self, data: str):
        """(compiled resource-side policies, ACL in force or None, is access point) of a data node."""
        if data in self.access_points:
            ap = self.access_points[data]
            docs = [ap.policy]
            bk = self.buckets.get(f"arn:aws:s3:::{ap.bucket}")
            if bk is not None:
                docs.append(bk.policy)
            return [self.engine.compile(d) for d in docs if isinstance(d, PolicyDocument)], None, True
        bk = self.buckets[data]
        acl = bk.acl if bk.acl is not None and (bk.acls_enabled is UNKNOWN or bk.acls_enabled) else None
        policies = [self.engine.compile(bk.policy)] if isinstance(bk.policy, PolicyDocument) else []
        return policies, acl, False

    def resource_actions(self, caller: str, data: str, domain: str, policies: list[Policy], acl: Any,
                         matches: tuple) -> frozenset:
        """S3 actions that the resource side may grant to this caller (``matches``: how each statement's
        Principal covers it)."""
        acts = frozenset(self.domains[domain])
        if self.b.data_grantees[data].unknown:
            return acts
        out: set[str] = set()
        i = 0
        for p in policies:
            for s in p.statements:
                if s.effect == "Allow" and matches[i] is not None:
                    out |= self.statement_actions(s, domain)
                i += 1
        if acl is not None and acl is not UNKNOWN:
            for g in acl.grants:
                out |= s3sem.acl_permission_actions(g.permission) & acts
        return frozenset(out)

    def statement_actions(self, s, domain: str) -> frozenset:
        key = (id(s), domain)
        hit = self._resource_actions.get(key)
        if hit is None:
            hit = self._resource_actions[key] = matcher_actions(s.actions, frozenset(self.domains[domain]))
        return hit

    def shape(self, data: str):
        """What a bucket's decisions depend on besides the principal and its own name; None when the bucket
        must be decided on its own (unknown settings, an access point, a policy naming other buckets)."""
        if data in self._shapes:
            return self._shapes[data]
        out = None
        bk = self.buckets.get(data)
        if bk is not None and bk.policy is not UNKNOWN and bk.acl is not UNKNOWN \
                and bk.public_access_block is not UNKNOWN and bk.ownership is not UNKNOWN:
            account = self.b.snapshot.account(bk.account)
            policy_text = ()
            verdict = None
            ok = True
            if isinstance(bk.policy, PolicyDocument):
                policy_text = _normalised(bk.policy.document, bk.arn)
                ok = policy_text is not None
                if ok:
                    verdict = s3sem.policy_public(self.engine.compile(bk.policy), bk.account).public
            acl = None
            if ok and bk.acl is not None and bk.acls_enabled:
                acl = (bk.acl.owner_id, tuple((g.grantee_type, g.grantee, g.permission) for g in bk.acl.grants))
            if ok and account is not None and account.public_access_block is not UNKNOWN:
                rcps = tuple(id(p) for p in self.b.org_policies_of(bk.account, "RESOURCE_CONTROL_POLICY"))
                version = bk.policy.document.get("Version") if isinstance(bk.policy, PolicyDocument) else None
                out = ((version, verdict, acl, repr(bk.public_access_block), repr(account.public_access_block),
                        bk.ownership, rcps), policy_text)
        self._shapes[data] = out
        return out

    def rcp_statements(self, owner: str | None) -> list:
        hit = self._rcp_statements.get(owner)
        if hit is None:
            hit = [s for p in self.b.org_policies_of(owner, "RESOURCE_CONTROL_POLICY") for s in p.statements
                   if _discriminates(s)]
            self._rcp_statements[owner] = hit
        return hit

    # ---- one pair ----
    def edges(self, n: str, data: str) -> None:
        b = self.b
        node, dnode = b.g.nodes[n], b.g.nodes[data]
        domain = "ap" if dnode["kind"] == ACCESS_POINT else "s3"
        res_policies, acl, is_ap = self.resource_side(data)
        principal_match = self.engine.principal_match
        matches = tuple(principal_match(s, node["caller"]) for p in res_policies for s in p.statements)
        candidate = set(self.resource_actions(node["caller"], data, domain, res_policies, acl, matches))
        kind = node["kind"]
        identity: list[Policy] = []
        boundary = None
        if kind in (USER, ROLE, GROUP) and node["known"]:
            found = self.engine.identity_policies(n)
            if found is not None:
                identity, _missing, boundary = found
            candidate |= b.identity_actions.get(n, {}).get(domain, frozenset())
        elif kind == ROOT or (kind in (USER, ROLE, SESSION) and not node["known"]):
            if node["account"] == dnode["account"]:
                candidate = set(self.domains[domain])  # the root user, or a principal whose policies are unknown
        if not candidate:
            return
        witnesses = self.object_witnesses(n, data, dnode, is_ap, identity + res_policies)
        key = self.share_key(n, data, node, dnode, domain, identity, boundary, res_policies, witnesses, candidate,
                             matches)
        if key is not None:
            hit = self._cache.get(key)
            if hit is not None:
                rep, attrs_list = hit
                self.shared += 1
                for attrs in attrs_list:
                    self._add(n, data, _remap(attrs, self.buckets[rep], self.buckets[data]))
                return
        attrs_list = self.decide_pair(n, data, node, dnode, domain, identity, boundary, res_policies, acl,
                                      witnesses, candidate)
        if key is not None:
            self._cache[key] = (data, attrs_list)
        for attrs in attrs_list:
            self._add(n, data, attrs)

    def _add(self, n: str, data: str, attrs: dict) -> None:
        self.b.g.add_edge(n, data, key=f"{CAN_ACCESS}:{attrs['decision']}", **attrs)

    def share_key(self, n, data, node, dnode, domain, identity, boundary, res_policies, witnesses, candidate,
                  matches):
        shape = self.shape(data)
        if shape is None:
            return None
        owner = dnode["account"]
        statements = self.principal_statements(n, domain, identity, boundary) + self.rcp_statements(owner)
        resources = [data] + [w for _, w in witnesses]
        vector = tuple(s.resource_matches(r, self._ctx) for s in statements for r in resources)
        if Tri.UNKNOWN in vector:
            return None  # a policy variable this module cannot resolve: decide the bucket on its own
        same = node["account"] == owner
        # Only the bucket policy's statements that cover this principal take part in its decisions.
        base, texts = shape
        statements_key = tuple((t, m) for t, m in zip(texts, matches) if m is not None)
        return (base, statements_key, same,
                owner if same or self.owner_bound(node, owner, domain, identity, res_policies) else None,
                tuple(s for s, _ in witnesses), vector, frozenset(candidate))

    def owner_bound(self, node, owner, domain, identity, res_policies) -> bool:
        """Whether a relevant statement reads a key whose value is the resource's account."""
        mine = self._owner_bound.get(domain)
        if mine is None:
            scps = self.b.org_policies_of(node["account"], "SERVICE_CONTROL_POLICY")
            mine = self._owner_bound[domain] = any(self.masks(p, domain)[3] & _OWNER_KEYS for p in [*identity, *scps])
        if mine:
            return True
        rcps = self.b.org_policies_of(owner, "RESOURCE_CONTROL_POLICY")
        return any(self.masks(p, domain)[3] & _OWNER_KEYS for p in [*res_policies, *rcps])

    def decide_pair(self, n, data, node, dnode, domain, identity, boundary, res_policies, acl, witnesses,
                    candidate) -> list[dict]:
        b, engine = self.b, self.engine
        acts = self.domains[domain]
        relevant = list(identity) + list(res_policies)
        if isinstance(boundary, Policy):
            relevant.append(boundary)
        if node["kind"] not in (ANONYMOUS_KIND, SERVICE, PROVIDER):
            relevant += b.org_policies_of(node["account"], "SERVICE_CONTROL_POLICY")
        relevant += b.org_policies_of(dnode["account"], "RESOURCE_CONTROL_POLICY")
        masks = []
        keys: set[str] = set()
        for p in relevant:
            m, constant, k, _ = self.masks(p, domain)
            if not constant:
                masks.append(m)
            keys |= k
        use_acl = acl is not None
        classes: dict[tuple, list[str]] = {}
        for a in sorted(candidate):
            sig = (tuple(m.get(a, 0) for m in masks), acts[a], self.acl_sig[a] if use_acl else None,
                   self.carried[a] & keys if keys else None)
            classes.setdefault(sig, []).append(a)
        caller = node["caller"]
        results: dict[str, dict] = {}
        for sig, members in classes.items():
            targets = [(None, data)] if sig[1] == "bucket" else witnesses
            rep = members[0]
            for scope, resource in targets:
                d = engine.decide(Request(caller, rep, resource))
                self.decided += 1
                if scope == "*" and d.decision == ALLOW:
                    # Any key of the bucket: the prefixes the policies name add nothing to report.
                    targets = ()
                if not d.possible:
                    continue
                acc = results.get(d.decision)
                if acc is None:
                    acc = results[d.decision] = {"facts": EdgeFacts(decision=d.decision), "levels": {},
                                                 "scope": set(), "via": set(), "resources": set()}
                acc["facts"].add(None, d)
                for a in members:
                    acc["facts"].actions.add(a)
                    acc["levels"].setdefault(self.levels[a], set()).add(a)
                if scope is not None:
                    acc["scope"].add(scope)
                acc["via"] |= via_of(d)
                acc["resources"].add(resource)
        out = []
        canonical = universe().get
        for decision, acc in sorted(results.items()):
            levels = {lv: tuple(sorted(canonical(a).name for a in acts_)) for lv, acts_ in sorted(acc["levels"].items())}
            attrs = acc["facts"].attrs(CAN_ACCESS, levels=levels, scope=tuple(sorted(acc["scope"])),
                                       via=tuple(sorted(acc["via"])), resources=tuple(sorted(acc["resources"])))
            if n == AUTHENTICATED:
                attrs["assumptions"] = tuple(_proxy_note(x) for x in attrs["assumptions"])
            out.append(attrs)
        return out

    def object_witnesses(self, n: str, data: str, dnode: dict, is_ap: bool,
                         policies: list[Policy]) -> list[tuple[str, str]]:
        """(scope, object ARN) pairs to decide object-level actions on: any key of the bucket, and one key
        under each prefix that an Allow statement names for this bucket."""
        base = f"{data}/object/" if is_ap else f"{data}/"
        out: dict[str, str] = {"*": base + _WITNESS}
        ctx = None
        for p in policies:
            for s in p.statements:
                if s.effect != "Allow" or s.resources is None or s.not_resource:
                    continue
                for pat in s.resources:
                    if pat.has_variables:
                        ctx = ctx or self.variables(n)
                        texts = pat.substitute(ctx)
                        if texts is None:
                            texts = (re.sub(r"\$\{[^}]*\}", "*", pat.text),)
                    else:
                        texts = (pat.text,)
                    for text in texts:
                        scope = _scope_of(text, dnode, is_ap)
                        if scope is None or scope in out:
                            continue
                        resource = base + scope.replace("*", _WITNESS).replace("?", "x")
                        if not is_ap and Pattern(text, arn=True).matches(resource) is not Tri.TRUE:
                            continue
                        out[scope] = resource
                        if len(out) >= _MAX_WITNESSES:
                            return list(out.items())
        return list(out.items())


def _discriminates(s) -> bool:
    """Whether a statement's Resource element can match one bucket and not another."""
    return s.resources is not None and not all(p.text == "*" for p in s.resources)


def _scope_of(text: str, dnode: dict, is_ap: bool) -> str | None:
    """The object-key pattern that a Resource pattern names inside this bucket or access point."""
    if text == "*":
        return None
    parts = text.split(":", 5)
    if len(parts) != 6:
        return None
    rest = parts[5]
    if is_ap:
        head = f"accesspoint/{dnode['name']}/object/"
        return (rest[len(head):] or None) if rest.startswith(head) else None
    name = dnode["name"]
    if rest.startswith(name + "/"):
        return rest[len(name) + 1:] or None
    head = rest.split("/", 1)
    if len(head) == 2 and ("*" in head[0] or "?" in head[0]):
        return head[1] or None
    return None


def _normalised(document: Any, arn: str) -> tuple[str, ...] | None:
    """Each statement of the bucket policy as canonical JSON, with its place, the bucket's own ARN renamed
    and without its Principal element (the share key says how each covers the principal); None when a
    Resource names anything other than this bucket, its objects or `*` (then the bucket is decided on
    its own)."""
    if not isinstance(document, dict):
        return None
    statements = document.get("Statement")
    items = statements if isinstance(statements, list) else [statements]
    out = []
    for i, s in enumerate(items):
        if not isinstance(s, dict):
            return None
        s = {k: v for k, v in s.items() if k not in ("Principal", "NotPrincipal")}
        for key in ("Resource", "NotResource"):
            if key not in s:
                continue
            values = s[key] if isinstance(s[key], list) else [s[key]]
            renamed = []
            for v in values:
                if not isinstance(v, str):
                    return None
                if v == "*":
                    renamed.append(v)
                elif v == arn or v.startswith(arn + "/"):
                    renamed.append("\x00" + v[len(arn):])
                else:
                    return None
            s[key] = renamed
        s["\x00place"] = f"/Statement/{i}" if isinstance(statements, list) else "/Statement"
        out.append(json.dumps(s, sort_keys=True))
    return tuple(out)


def _remap(attrs: dict, rep, target) -> dict:
    """An edge decided for bucket ``rep``, restated for the equivalent bucket ``target``."""
    if rep.arn == target.arn:
        return attrs
    out = dict(attrs)
    out["resources"] = tuple(target.arn + r[len(rep.arn):] for r in attrs["resources"])
    if rep.policy is None and (rep.acl is None or not rep.acls_enabled) and rep.account == target.account:
        return out  # nothing in the reasons names the bucket
    sources = {f"bucket policy of {rep.arn}": f"bucket policy of {target.arn}",
               f"ACL of {rep.name}": f"ACL of {target.name}"}

    def ptr(p):
        if p and (p == rep.pointer or p.startswith(rep.pointer + "/")):
            return target.pointer + p[len(rep.pointer):]
        return p

    out["reasons"] = tuple(Reason(sources[r.source], r.statement, r.effect, r.layer, ptr(r.pointer), r.note)
                           if r.source in sources else r for r in attrs["reasons"])
    out["conditions"] = tuple(Residual(c.effect, sources[c.source], c.statement, c.conditions)
                              if c.source in sources else c for c in attrs["conditions"])
    if rep.account != target.account:
        out["assumptions"] = tuple(a.replace(rep.account, target.account) for a in attrs["assumptions"])
    return out
