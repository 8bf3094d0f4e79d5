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
from typing import Any, Mapping

from ..iam import s3 as s3sem
from ..iam.actions import universe
from ..iam.context import Context
from ..iam.decision import ALLOW, Reason, Request, Residual
from ..iam.engine import Engine
from ..iam.kms import S3_KMS_OPERATIONS
from ..iam.logic import Tri
from ..iam.patterns import Pattern
from ..iam.policy import Policy
from ..snapshot.model import UNKNOWN, PolicyDocument, Snapshot
from .edges import EdgeFacts, proxy_note, via_of
from .index import access_point_actions, matcher_actions, s3_access_actions
from .kinds import (ACCESS_POINT, ANONYMOUS_KIND, AUTHENTICATED, CAN_ACCESS, GROUP, PROVIDER, ROLE, ROOT, SERVICE,
                    SESSION, USER)
from .principals import Grantees, PrincipalGraph

_WITNESS = "s3audit-witness"  # an object key the caller may choose: stands for "any key" under a prefix
_MAX_WITNESSES = 8
_ACL_PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP")
# Context keys whose value is the resource's account: a statement reading one ties a decision to the owner.
_OWNER_KEYS = frozenset({"aws:resourceaccount", "aws:resourceorgid", "aws:resourceorgpaths", "s3:resourceaccount"})
_UNSHAREABLE = object()
_UNSET_KEY = object()
# What S3 needs of a bucket's KMS key, per action: the groups the actions of a KMS bucket are split into.
_KMS_NEEDS = (None, *dict.fromkeys(S3_KMS_OPERATIONS.values()))


class AccessPlanner:
    """Decides the ``can-access`` edges of (principal, data node) pairs, one principal at a time, appending
    them to ``edges`` as (principal, data node, key, attributes)."""

    def __init__(self, snapshot: Snapshot, engine: Engine, principals: PrincipalGraph,
                 data_nodes: Mapping[str, dict], grantees: Mapping[str, Grantees], edges: list):
        self.snapshot = snapshot
        self.engine = engine
        self.principals = principals
        self.data_nodes = data_nodes
        self.grantees = grantees
        self.out = edges
        u = universe()
        self.domains = {"s3": s3_access_actions(), "ap": access_point_actions()}
        self.levels = {a: u.get(a).level for a in self.domains["s3"] | self.domains["ap"]}
        self.s3_keys = u.service_condition_keys.get("s3", frozenset())
        self.carried = {a: u.get(a).condition_keys & self.s3_keys for a in self.levels}
        self.acl_sig = {a: tuple(p for p in _ACL_PERMISSIONS if a in s3sem.acl_permission_actions(p))
                        for a in self.levels}
        self._masks: dict[tuple[int, str], tuple[tuple, bool, frozenset, frozenset]] = {}
        self._static: dict[tuple, list[frozenset]] = {}
        self._resource_scopes: dict[str, list | None] = {}
        self._resource_actions: dict[tuple, frozenset] = {}
        self._shapes: dict[str, Any] = {}
        self._data_info: dict[str, tuple] = {}
        self._owner_bound_data: dict[str, bool] = {}
        self._remaps: dict[str, tuple] = {}
        self._rcp_statements: dict[str | None, list] = {}
        self._org_policies: dict[tuple[str, str], list[Policy]] = {}
        self._keys: dict[str, Any] = {}
        self.buckets = {bk.arn: bk for bk in snapshot.buckets}
        self.access_points = {ap.arn: ap for a in snapshot.accounts for ap in a.access_points}
        self.shared = 0  # pairs answered from an equivalent bucket (for the benchmark's curiosity)
        self.decided = 0
        self.start(None)

    # ---- per principal ----
    def start(self, n: str | None) -> None:
        """Begin the pairs of one principal: equivalence classes never span principals."""
        self._cache: dict[tuple, tuple[str, list[dict]]] = {}
        self._statements: dict[str, list] = {}
        self._ctx = self.variables(n) if n is not None else None
        self._identity_scopes = None
        self._identity: list[Policy] = []
        self._boundary = None
        self._identity_actions: dict[str, frozenset] | None = None  # None: no identity policies of its own
        self._all_actions = False
        if n is None:
            return
        node = self._node = self.principals.g.nodes[n]
        kind = node["kind"]
        if kind in (USER, ROLE, GROUP) and node["known"]:
            found = self.engine.identity_policies(n)
            if found is not None:
                self._identity, _missing, self._boundary = found
            self._identity_actions = self.principals.identity_actions.get(n, {})
            if n in self.principals.unknown_identity:
                self._identity_actions = None
                self._all_actions = True
        elif kind == ROOT or (kind in (USER, ROLE, SESSION) and not node["known"]):
            self._all_actions = True
        self._owner_bound: dict[str, bool] = {}
        self.engine.clear_request_cache()

    def principal_statements(self, n: str, domain: str, identity: list[Policy], boundary) -> list:
        """The statements of the principal's own policies, boundary and SCPs whose Resource can tell two
        buckets apart (statements for S3 actions, other than `Resource: "*"`)."""
        hit = self._statements.get(domain)
        if hit is not None:
            return hit
        node = self.principals.g.nodes[n]
        policies = list(identity)
        if isinstance(boundary, Policy):
            policies.append(boundary)
        if node["kind"] not in (ANONYMOUS_KIND, SERVICE, PROVIDER):
            policies += self.org_policies_of(node["account"], "SERVICE_CONTROL_POLICY")
        out = [(s, _heads(s, self._ctx)) for p in policies for s in p.statements
               if _discriminates(s) and self.statement_actions(s, domain)]
        self._statements[domain] = out
        return out

    def variables(self, n: str) -> Context:
        """Values of policy variables fixed by the principal (to place keys under `home/${aws:username}/`)."""
        node = self.principals.g.nodes[n]
        v: dict[str, Any] = {}
        if node["account"]:
            v["aws:PrincipalAccount"] = node["account"]
        if node["kind"] == USER:
            v["aws:username"] = node["name"]
            u = self.principals.users.get(n)
            if u is not None and u.id:
                v["aws:userid"] = u.id
        for k, val in node["tags"].items():
            v[f"aws:PrincipalTag/{k}"] = val
        return Context.of(v)

    # ---- per policy and per bucket ----
    def masks(self, policy: Policy, domain: str):
        """(the policy's classes of actions: sets of actions that the same statements match, whether there is
        only one class, s3 condition keys the policy reads, every condition key it reads)."""
        key = (id(policy), domain)
        hit = self._masks.get(key)
        if hit is None:
            acts = frozenset(self.domains[domain])
            m: dict[str, int] = {}
            keys: set[str] = set()
            for i, s in enumerate(policy.statements):
                for a in self.statement_actions(s, domain):
                    m[a] = m.get(a, 0) | (1 << i)
                keys |= set(s.conditions.keys)
            by_mask: dict[int, set[str]] = {}
            for a in acts:
                by_mask.setdefault(m.get(a, 0), set()).add(a)
            classes = tuple(frozenset(c) for c in by_mask.values())
            hit = (classes, len(classes) == 1, frozenset(k for k in keys if k in self.s3_keys), frozenset(keys))
            self._masks[key] = hit
        return hit

    def static_blocks(self, domain: str, use_acl: bool, keys: frozenset) -> list[frozenset]:
        """Actions split by what depends on the action alone: resource kind, ACL mapping (when an ACL is in
        force), and which of the condition keys the policies read each action carries."""
        key = (domain, use_acl, keys)
        hit = self._static.get(key)
        if hit is None:
            acts = self.domains[domain]
            groups: dict[tuple, set[str]] = {}
            for a in acts:
                sig = (acts[a], self.acl_sig[a] if use_acl else None, self.carried[a] & keys if keys else None)
                groups.setdefault(sig, set()).add(a)
            hit = self._static[key] = [frozenset(g) for g in groups.values()]
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

    def resource_actions(self, data: str, domain: str, policies: list[Policy], acl: Any,
                         matches: tuple) -> frozenset:
        """S3 actions that the resource side may grant to a caller (``matches``: how each statement's
        Principal covers it)."""
        key = (data, matches)
        hit = self._resource_actions.get(key)
        if hit is not None:
            return hit
        acts = frozenset(self.domains[domain])
        if self.grantees[data].unknown:
            out = set(acts)
        else:
            out = set()
            i = 0
            for p in policies:
                for s in p.statements:
                    if s.effect == "Allow" and matches[i] is not None:
                        out |= self.statement_actions(s, domain)
                    i += 1
            if acl is not None and acl is not UNKNOWN:
                for g in acl.grants:
                    out |= s3sem.acl_permission_actions(g.permission) & acts
        hit = self._resource_actions[key] = frozenset(out)
        return hit

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
        # A bucket whose objects are under a KMS key is decided on its own: the key's decision may read the
        # bucket's own ARN (the encryption context) and is its key's.
        if bk is not None and bk.policy is not UNKNOWN and bk.acl is not UNKNOWN \
                and bk.public_access_block is not UNKNOWN and bk.ownership is not UNKNOWN and self.key_of(data) is None:
            account = self.snapshot.account(bk.account)
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
                rcps = tuple(id(p) for p in self.org_policies_of(bk.account, "RESOURCE_CONTROL_POLICY"))
                version = bk.policy.document.get("Version") if isinstance(bk.policy, PolicyDocument) else None
                out = ((version, verdict, acl, repr(bk.public_access_block), repr(account.public_access_block),
                        bk.ownership, rcps), policy_text)
        self._shapes[data] = out
        return out

    def key_of(self, data: str):
        """The KMS key (``snapshot.kms.KeyUse``) new objects of a data node's bucket are encrypted under, or None."""
        hit = self._keys.get(data, _UNSET_KEY)
        if hit is _UNSET_KEY:
            bk = self.buckets.get(data)
            if bk is None and data in self.access_points:
                bk = self.buckets.get(f"arn:aws:s3:::{self.access_points[data].bucket}")
            hit = self._keys[data] = self.engine.keys.bucket_key(bk) if bk is not None else None
        return hit

    def org_policies_of(self, account: str | None, ptype: str) -> list[Policy]:
        """The organization policies of a type on the account's path from the root (none for the management
        account), compiled."""
        key = (account or "", ptype)
        hit = self._org_policies.get(key)
        if hit is None:
            hit = []
            org = self.snapshot.organization
            if org is not None and account is not None and account != org.management_account:
                for level in org.path_of(account):
                    for p in org.policies:
                        if p.type == ptype and level in p.targets:
                            hit.append(self.engine.compile(p.document))
            self._org_policies[key] = hit
        return hit

    def rcp_statements(self, owner: str | None) -> list:
        hit = self._rcp_statements.get(owner)
        if hit is None:
            hit = [(s, _heads(s, None)) for p in self.org_policies_of(owner, "RESOURCE_CONTROL_POLICY")
                   for s in p.statements if _discriminates(s)]
            self._rcp_statements[owner] = hit
        return hit

    # ---- one pair ----
    def edges(self, n: str, data: str) -> None:
        dnode, domain, res_policies, acl, is_ap, statements = self.data_info(data)
        node = self._node
        principal_match = self.engine.principal_match
        caller = node["caller"]
        matches = tuple(principal_match(st, caller) for st in statements) if statements else ()
        candidate = self.resource_actions(data, domain, res_policies, acl, matches)
        same = node["account"] == dnode["account"]
        if self._all_actions and same:
            candidate = frozenset(self.domains[domain])  # the root user, or a principal whose policies are unknown
        elif self._identity_actions is not None:
            # Within an account either side may grant; across accounts both must
            # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
            mine = self._identity_actions.get(domain, frozenset())
            candidate = candidate | mine if same else candidate & mine
        if not candidate:
            return
        identity, boundary = self._identity, self._boundary
        witnesses = self.object_witnesses(n, data, dnode, is_ap, identity, res_policies)
        key = self.share_key(n, data, node, dnode, domain, identity, boundary, res_policies, witnesses, candidate,
                             matches)
        if key is not None:
            hit = self._cache.get(key)
            if hit is not None:
                rep, attrs_list = hit
                self.shared += 1
                if rep == data:
                    for attrs in attrs_list:
                        self._add(n, data, attrs)
                    return
                a, b_ = self.remap_facts(rep), self.remap_facts(data)
                for attrs in attrs_list:
                    self._add(n, data, _remap(attrs, a, b_))
                return
        attrs_list = self.decide_pair(n, data, node, dnode, domain, identity, boundary, res_policies, acl,
                                      witnesses, candidate)
        if key is not None:
            self._cache[key] = (data, attrs_list)
        for attrs in attrs_list:
            self._add(n, data, attrs)

    def data_info(self, data: str):
        """(node attributes, action domain, resource-side policies, ACL in force, is access point, the
        statements of those policies in order) of a data node, computed once."""
        hit = self._data_info.get(data)
        if hit is None:
            dnode = self.data_nodes[data]
            domain = "ap" if dnode["kind"] == ACCESS_POINT else "s3"
            res_policies, acl, is_ap = self.resource_side(data)
            statements = tuple(st for p in res_policies for st in p.statements)
            hit = self._data_info[data] = (dnode, domain, res_policies, acl, is_ap, statements)
        return hit

    def remap_facts(self, data: str) -> tuple:
        """(ARN, pointer, account, source names in reasons, whether reasons can name it) of a bucket, for
        restating an edge decided on an equivalent bucket."""
        hit = self._remaps.get(data)
        if hit is None:
            bk = self.buckets[data]
            names_it = bk.policy is not None or (bk.acl is not None and bk.acls_enabled is not False)
            hit = self._remaps[data] = (data, bk.pointer, bk.account,
                                        (f"bucket policy of {data}", f"ACL of {bk.name}"), names_it)
        return hit

    def _add(self, n: str, data: str, attrs: dict) -> None:
        key = f"{CAN_ACCESS}:{attrs['decision']}"
        if self.key_of(data) is not None:
            # the edges of a bucket under a KMS key are split by what they need of the key (decide_pair)
            needs = {op for acts in attrs["levels"].values() for a in acts
                     for op in S3_KMS_OPERATIONS.get(a.lower(), ())}
            if needs:
                key += ":" + "+".join(sorted(needs))
        self.out.append((n, data, key, attrs))

    def share_key(self, n, data, node, dnode, domain, identity, boundary, res_policies, witnesses, candidate,
                  matches):
        shape = self.shape(data)
        if shape is None:
            return None
        owner = dnode["account"]
        statements = self.principal_statements(n, domain, identity, boundary) + self.rcp_statements(owner)
        resources = [data] + [w for _, w in witnesses]
        name = dnode["name"]
        vector = []  # (statement, resource) positions that match; every other position does not
        for i, (s, heads) in enumerate(statements):
            if heads is not None and name not in heads:
                continue  # the statement names other buckets only
            for j, r in enumerate(resources):
                m = s.resource_matches(r, self._ctx)
                if m is Tri.UNKNOWN:
                    return None  # a policy variable this module cannot resolve: decide the bucket on its own
                if m is Tri.TRUE:
                    vector.append((i, j))
        vector = tuple(vector)
        same = node["account"] == owner
        # Only the bucket policy's statements that cover this principal take part in its decisions.
        base, texts = shape
        statements_key = tuple((t, m) for t, m in zip(texts, matches) if m is not None)
        return (base, statements_key, same,
                owner if same or self.owner_bound(node, data, owner, domain, identity, res_policies) else None,
                tuple(s for s, _ in witnesses), vector, frozenset(candidate))

    def owner_bound(self, node, data, owner, domain, identity, res_policies) -> bool:
        """Whether a relevant statement reads a key whose value is the resource's account."""
        mine = self._owner_bound.get(domain)
        if mine is None:
            scps = self.org_policies_of(node["account"], "SERVICE_CONTROL_POLICY")
            mine = self._owner_bound[domain] = any(self.masks(p, domain)[3] & _OWNER_KEYS for p in [*identity, *scps])
        if mine:
            return True
        theirs = self._owner_bound_data.get(data)
        if theirs is None:
            rcps = self.org_policies_of(owner, "RESOURCE_CONTROL_POLICY")
            theirs = self._owner_bound_data[data] = any(self.masks(p, domain)[3] & _OWNER_KEYS
                                                        for p in [*res_policies, *rcps])
        return theirs

    def decide_pair(self, n, data, node, dnode, domain, identity, boundary, res_policies, acl, witnesses,
                    candidate) -> list[dict]:
        engine = self.engine
        acts = self.domains[domain]
        relevant = list(identity) + list(res_policies)
        if isinstance(boundary, Policy):
            relevant.append(boundary)
        if node["kind"] not in (ANONYMOUS_KIND, SERVICE, PROVIDER):
            relevant += self.org_policies_of(node["account"], "SERVICE_CONTROL_POLICY")
        relevant += self.org_policies_of(dnode["account"], "RESOURCE_CONTROL_POLICY")
        splits = []
        keys: set[str] = set()
        for p in relevant:
            classes, constant, k, _ = self.masks(p, domain)
            if not constant:
                splits.append(classes)
            keys |= k
        cand = frozenset(candidate)
        blocks = [x for blk in self.static_blocks(domain, acl is not None, frozenset(keys)) for x in (blk & cand,) if x]
        for classes in splits:
            blocks = [x for blk in blocks for c in classes for x in (blk & c,) if x]
        keyed = self.key_of(data) is not None
        if keyed:
            # Actions S3 completes with the bucket's KMS key (reads need kms:Decrypt, writes GenerateDataKey)
            # decide apart from the others (the engine joins the key's decision: iam/locks.py), and make edges
            # of their own: a read edge carries the key's Decrypt decision, not the write's.
            blocks = [x for blk in blocks for needs in _KMS_NEEDS for x in (frozenset(a for a in blk if
                      S3_KMS_OPERATIONS.get(a) == needs),) if x]
        caller = node["caller"]
        results: dict[tuple, dict] = {}
        for members in sorted(blocks, key=min):
            rep = min(members)
            needs = " ".join(S3_KMS_OPERATIONS.get(rep, ())) if keyed else ""
            targets = [(None, data)] if acts[rep] == "bucket" else witnesses
            for scope, resource in targets:
                d = engine.decide(Request(caller, rep, resource))
                self.decided += 1
                if scope == "*" and d.decision == ALLOW:
                    # Any key of the bucket: the prefixes the policies name add nothing to report.
                    targets = ()
                if not d.possible:
                    continue
                acc = results.get((d.decision, needs))
                if acc is None:
                    acc = results[(d.decision, needs)] = {"facts": EdgeFacts(decision=d.decision), "levels": {},
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
        for _, acc in sorted(results.items()):
            levels = {lv: tuple(sorted(canonical(a).name for a in acts_)) for lv, acts_ in sorted(acc["levels"].items())}
            attrs = acc["facts"].attrs(CAN_ACCESS, levels=levels, scope=tuple(sorted(acc["scope"])),
                                       via=tuple(sorted(acc["via"])), resources=tuple(sorted(acc["resources"])))
            if n == AUTHENTICATED:
                attrs["assumptions"] = tuple(proxy_note(x) for x in attrs["assumptions"])
            out.append(attrs)
        return out

    def object_witnesses(self, n: str, data: str, dnode: dict, is_ap: bool, identity: list[Policy],
                         res_policies: list[Policy]) -> list[tuple[str, str]]:
        """(scope, object ARN) pairs to decide object-level actions on: any key of the bucket, and one key
        under each prefix that an Allow statement names for this bucket."""
        base = f"{data}/object/" if is_ap else f"{data}/"
        out: dict[str, str] = {"*": base + _WITNESS}
        if is_ap:
            texts = self.allow_texts(identity + res_policies, self._ctx)
            candidates = [(scope, text) for text in texts for scope in (_scope_of(text, dnode, True),) if scope]
        else:
            by_head, wild = self.identity_scopes(identity)
            name = dnode["name"]
            candidates = [*by_head.get(name, ()), *wild]
            found = self._resource_scopes.get(data, 0)
            if found == 0:
                found = self._resource_scopes[data] = None if any(
                    pat.has_variables for p in res_policies for st in p.statements for pat in st.resources or ()) \
                    else _index_scopes(self.allow_texts(res_policies, None))
            by_head_r, wild_r = found if found is not None else _index_scopes(self.allow_texts(res_policies, self._ctx))
            candidates += [*by_head_r.get(name, ()), *wild_r]
        for scope, text in candidates:
            if scope in out:
                continue
            resource = base + scope.replace("*", _WITNESS).replace("?", "x")
            if not is_ap and _pattern(text).matches(resource) is not Tri.TRUE:
                continue
            out[scope] = resource
            if len(out) >= _MAX_WITNESSES:
                break
        return list(out.items())

    def identity_scopes(self, identity: list[Policy]):
        hit = self._identity_scopes
        if hit is None:
            hit = self._identity_scopes = _index_scopes(self.allow_texts(identity, self._ctx))
        return hit

    @staticmethod
    def allow_texts(policies: list[Policy], ctx) -> list[str]:
        """The Resource patterns of Allow statements, with the principal's policy variables substituted
        (an unresolved variable becomes a wildcard)."""
        out = []
        for p in policies:
            for st in p.statements:
                if st.effect != "Allow" or st.resources is None or st.not_resource:
                    continue
                for pat in st.resources:
                    if pat.has_variables:
                        texts = pat.substitute(ctx) if ctx is not None else None
                        out.extend(texts if texts is not None else (re.sub(r"\$\{[^}]*\}", "*", pat.text),))
                    else:
                        out.append(pat.text)
        return out


def _index_scopes(texts: list[str]):
    """Object-key scopes of Resource patterns, by the bucket they name: ({bucket: [(scope, text)]},
    [(scope, text)] for patterns whose bucket part has a wildcard)."""
    by_head: dict[str, list] = {}
    wild: list = []
    for text in texts:
        parts = text.split(":", 5)
        if text == "*" or len(parts) != 6 or "/" not in parts[5]:
            continue
        head, tail = parts[5].split("/", 1)
        if not tail:
            continue
        if "*" in head or "?" in head:
            wild.append((tail, text))
        else:
            by_head.setdefault(head, []).append((tail, text))
    return by_head, wild


_PATTERNS: dict[str, Pattern] = {}


def _pattern(text: str) -> Pattern:
    p = _PATTERNS.get(text)
    if p is None:
        if len(_PATTERNS) > 100_000:
            _PATTERNS.clear()
        p = _PATTERNS[text] = Pattern(text, arn=True)
    return p


def _heads(s, ctx) -> frozenset | None:
    """The bucket names a statement's Resource can match, when every pattern names its bucket literally
    (`arn:aws:s3:::name` or `arn:aws:s3:::name/...`); None when some pattern may match any bucket."""
    if s.not_resource:
        return None
    out = set()
    for pat in s.resources:
        texts = pat.substitute(ctx) if pat.has_variables else (pat.text,)
        if texts is None:
            return None
        for text in texts:
            parts = text.split(":", 5)
            if len(parts) != 6 or any(c in "".join(parts[:5]) for c in "*?"):
                return None
            if parts[2] != "s3" or parts[3] or parts[4]:
                continue  # not a bucket or object ARN: it matches no bucket
            head = parts[5].split("/", 1)[0]
            if "*" in head or "?" in head:
                return None
            out.add(head)
    return frozenset(out)


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


def _remap(attrs: dict, rep: tuple, target: tuple) -> dict:
    """An edge decided for bucket ``rep``, restated for the equivalent bucket ``target`` (both given as
    ``AccessPlanner.remap_facts``)."""
    rep_arn, rep_ptr, rep_account, rep_sources, names_it = rep
    arn, ptr, account, sources, _ = target
    out = dict(attrs)
    cut = len(rep_arn)
    out["resources"] = tuple(arn + r[cut:] for r in attrs["resources"])
    if not names_it and rep_account == account:
        return out  # nothing in the reasons names the bucket
    to = dict(zip(rep_sources, sources))
    below = rep_ptr + "/"

    def moved(p):
        return ptr + p[len(rep_ptr):] if p and (p == rep_ptr or p.startswith(below)) else p

    reasons = attrs["reasons"]
    if any(r.source in to for r in reasons):
        out["reasons"] = tuple(Reason(to[r.source], r.statement, r.effect, r.layer, moved(r.pointer), r.note)
                               if r.source in to else r for r in reasons)
    conditions = attrs["conditions"]
    if any(c.source in to for c in conditions):
        out["conditions"] = tuple(Residual(c.effect, to[c.source], c.statement, c.conditions, c.notes)
                                  if c.source in to else c for c in conditions)
    if rep_account != account:
        out["assumptions"] = tuple(a.replace(rep_account, account) for a in attrs["assumptions"])
    return out
