"""AWS's policy evaluation logic: can this principal perform this action on this resource, and why?

The decision procedure alone, in the order AWS documents it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow.html); how it is made fast
(memoised decisions, plans, profiles, caches) is ``engine.py``'s business, which subclasses ``Evaluation``.

1. an explicit ``Deny`` in any applicable policy (SCP, RCP, resource, identity, boundary) decides;
2. SCPs on the path from the root to the principal's account must each allow (not for the management
   account, not for service-linked roles);
3. RCPs on the path to the resource's account must each allow (not for the management account, not for
   service-linked roles); an RCP can only deny;
4. the resource side (bucket policy, access point policy, bucket ACL when ACLs are enabled; for STS
   requests the role's trust policy) and the identity side (identity policies, permissions boundary)
   combine: within one account either side may grant; across accounts both must; through an access point,
   the access point's side and the bucket's must both permit;
5. Block Public Access removes public ACL grants (IgnorePublicAcls) and limits a public policy to the
   owner's account and AWS services (RestrictPublicBuckets);
6. further layers must allow too (``further_layers``: what a KMS key allows whatever its policies say).

Session policies are not a layer: a snapshot records no sessions.

Every layer is three-valued: what the snapshot fixes is evaluated, what depends on the request stays as
residual conditions, and what is unknown (an API call that failed, a principal outside the snapshot) is
reported as an assumption, erring toward "access may be possible".

Besides S3 resources the engine decides STS and IAM requests for the access graph (can this principal
assume that role, pass it to a service, create an access key for that user): ``iam_targets.py`` resolves
those resources, and a role's trust policy takes the place of the bucket policy.

A request on a KMS key gets the key policy and grants as its resource side (``_key_side``, as a role's trust
policy does for STS; https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html). A request whose
success also needs another authorization (reading an object encrypted with SSE-KMS needs ``kms:Decrypt`` on its
key; a request through a VPC endpoint needs the endpoint's policy) is joined with it by the engine
(``Engine.decide_parts``): AWS authorizes those as requests of their own.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Mapping

from ..snapshot.kms import KeyIndex
from ..snapshot.model import UNKNOWN, AccessPoint, Bucket, PolicyDocument, Snapshot
from . import iam_targets, kms
from . import s3 as s3sem
from .conditions import UnknownPart
from .context import Context
from .decision import ALLOW, CONDITIONAL, DENY, Decision, Reason, Request, Residual
from .logic import Tri
from .policy import Policy, Statement
from .principal_match import principal_match
from .principals import Caller, PrincipalIndex, identity_documents
from .targets import Target

_TRUE, _FALSE, _UNKNOWN = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN  # module constants: enum attribute access is slow
_TRI_DECISION = {_TRUE: ALLOW, _FALSE: DENY, _UNKNOWN: CONDITIONAL}


class _Layer:
    """The outcome of one group of statements: a Tri, the statements that made it, and residuals."""

    __slots__ = ("tri", "reasons", "residuals", "assumptions")

    def __init__(self, tri: Tri, reasons=(), residuals=(), assumptions=()):
        self.tri = tri
        self.reasons = list(reasons)
        self.residuals = list(residuals)
        self.assumptions = list(assumptions)


def _src(policy: Policy) -> str:
    return policy.source_label


class Evaluation:
    """The decision procedure over one snapshot. What it needs besides the snapshot (the caller, compiled
    policies, the request's context, statement outcomes, organization policy layers) it asks of the
    methods at the end of the class, which ``Engine`` provides with its memos."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.file = snapshot.file
        self.index = PrincipalIndex(snapshot)
        self.org = snapshot.organization
        self._buckets: dict[str, Bucket] = {b.name: b for b in snapshot.buckets}
        self._access_points: dict[tuple[str, str], AccessPoint] = {}
        for a in snapshot.accounts:
            for ap in a.access_points:
                self._access_points[(a.id, ap.name)] = ap
        self._canonical: dict[str, str] = {}
        for b in snapshot.buckets:
            if b.acl is not UNKNOWN and b.acl is not None and b.acl.owner_id:
                self._canonical.setdefault(b.acl.owner_id, b.account)
        self._org_policies: dict[str, list] = {}
        if self.org is not None:
            for p in self.org.policies:
                for t in p.targets:
                    self._org_policies.setdefault(t, []).append(p)
        self._reasons: dict[tuple, Reason] = {}  # one Reason per (statement, effect, layer), see _assemble
        self.keys = KeyIndex(snapshot.accounts)  # the KMS keys, for requests on keys and buckets they encrypt
        self._volatile = False  # a decision read more than its statements' outcomes (a constrained KMS grant)

    # ---- the decision ----
    def decide_in_full(self, request: Request, t: Target, action_l: str) -> Decision:
        """The decision on a request (the engine's ``decide`` memoises it by what it consulted), ``t`` being
        its resolved resource and ``action_l`` its action in lower case. The steps of the module docstring."""
        caller = self.caller(request.principal)
        ctx = self._context(caller, t, action_l, request.context)
        assumptions: list[str] = []
        if caller.note:
            assumptions.append(caller.note)
        if t.note:
            assumptions.append(t.note)
        if caller.kind == "unknown":
            return Decision(DENY, (Reason(caller.note or "unknown principal", None, "ImplicitDeny", "identity"),),
                            (), tuple(assumptions))

        # Every layer below is a _Layer (Tri, reasons, residuals, assumptions). ``denies``: any that is TRUE
        # decides (1); ``required``: each must be TRUE for an allow.
        denies: list[_Layer] = []
        required: list[_Layer] = []

        # 2. SCPs on the path from the root to the principal's account.
        scp = self._org_layer(caller.account, "SERVICE_CONTROL_POLICY", action_l, t, ctx, caller)
        if scp is not None:
            deny, allow = scp
            denies.append(deny)
            required.append(allow)
        # 3. RCPs on the path to the resource's account (only for the services RCPs govern).
        rcp = None
        if t.other is None or iam_targets.rcp_applies(action_l):
            rcp = self._org_layer(t.owner, "RESOURCE_CONTROL_POLICY", action_l, t, ctx, caller)
        if rcp is not None:
            deny, allow = rcp
            denies.append(deny)
            required.append(allow)

        # 4. The resource side (bucket policy, access point policy, ACL, Block Public Access; a role's trust
        #    policy) and the identity side (identity policies, permissions boundary), combined by the same- and
        #    cross-account rules.
        grants_by_kind, resource_denies, restricted, ap_grants = self._resource_side(caller, t, action_l, ctx)
        denies.extend(resource_denies)
        identity, identity_deny, boundary, boundary_deny = self._identity_side(caller, t, action_l, ctx)
        denies.extend(x for x in (identity_deny, boundary_deny) if x is not None)

        # A resource of another service whose ARN names no account is AWS's own, usable by every account (an
        # AWS-owned SSM document, arn:aws:ssm:us-east-1::document/AWS-RunShellScript): the caller's own
        # policies decide, as for a resource of its account without a resource policy.
        same_account = caller.account is not None and (
            caller.account == t.owner or (t.other is not None and t.owner is None))
        explicit = t.other is not None and (iam_targets.uses_trust_policy(t.other, action_l)
                                            or iam_targets.uses_key_policy(t.other, action_l))
        combined, grants = self._combine(caller, same_account, t, identity, boundary, grants_by_kind, explicit)
        direct = grants_by_kind.get("grant")
        if direct is not None:
            # A KMS grant allows its grantee on its own, in any account (kms.py).
            _merge_or(combined, direct)
            if direct.tri is not _FALSE:
                grants = set(grants) | {"resource"}
        required.append(combined)
        if ap_grants is not None:
            # The access point side, by the same rules, with the access point's owner as the resource owner.
            ap_same = caller.account is not None and caller.account == t.access_point.account
            ap_side, ap_used = self._combine(caller, ap_same, t, identity, boundary, ap_grants, explicit)
            required.append(ap_side)
            grants = set(grants) | set(ap_used)

        # 6. What other resources add to this request (see further_layers).
        for deny, allow in self.further_layers(caller, t, action_l, ctx):
            denies.append(deny)
            required.append(allow)

        # 1. An explicit Deny decides; else every required layer must allow.
        deny_tri = _FALSE
        for d in denies:
            deny_tri = deny_tri | d.tri
        allow_tri = _TRUE
        for r in required:
            allow_tri = allow_tri & r.tri
        final = (~deny_tri) & allow_tri

        reasons: list[Reason] = []
        residuals: list[Residual] = []
        for layer in (*denies, *required):
            if layer.assumptions:
                assumptions.extend(a for a in layer.assumptions if a not in assumptions)
        if final is _FALSE:
            if deny_tri is _TRUE:
                for d in denies:
                    if d.tri is _TRUE:
                        reasons.extend(d.reasons)
            else:
                for r in required:
                    if r.tri is _FALSE:
                        reasons.extend(r.reasons)
        else:
            for r in required:
                reasons.extend(r.reasons)
                if r.tri is _UNKNOWN:
                    residuals.extend(r.residuals)
            for d in denies:
                if d.tri is _UNKNOWN:
                    reasons.extend(d.reasons)
                    residuals.extend(d.residuals)
        reasons.extend(restricted)
        return Decision(_TRI_DECISION[final], tuple(_dedupe(reasons)), tuple(_dedupe(residuals)),
                        tuple(assumptions), frozenset(grants) if final is not _FALSE else frozenset())

    def further_layers(self, caller: Caller, t: Target, action: str,
                       ctx: Context) -> Iterable[tuple[_Layer, _Layer]]:
        """(deny layer, allow layer) pairs that the request must also pass because of something besides its
        policies: for a request on a KMS key, what the key itself allows (``_key_layers``).

        A layer of this kind is built from ``_evaluate`` on policies (the engine memoises a decision by the
        outcomes of the statements it consulted, and ``Engine._consulted`` must list the policies such a layer
        reads, or its requests fall back to plans per action: ``tests/iam/test_engine_layers.py``), or, as
        here, from facts of the target alone, which every request of a plan shares. The other locks on an S3
        request, the KMS key of the object and the VPC endpoint it comes through, are separate authorizations
        of the same principal, joined by the engine (``Engine.decide_parts``)."""
        if t.other is not None and iam_targets.uses_key_policy(t.other, action):
            return self._key_layers(caller, t.other, action)
        return ()

    def _key_layers(self, caller: Caller, other: iam_targets.OtherTarget, action: str):
        """What a KMS key allows whatever the policies say: only an enabled key performs cryptographic
        operations, only some operations work across accounts, and an AWS managed key only for its own
        account (kms.py)."""
        key = other.key
        if key is UNKNOWN:
            return ()
        notes: list[tuple[Tri, str]] = [kms.key_usable(key, action)]
        if caller.account is not None and caller.account != key.account:
            if action not in kms.CROSS_ACCOUNT_OPERATIONS:
                notes.append((_FALSE, f"{action} on a KMS key of another account ({key.account}) fails whatever the "
                                      "policies allow: it is not one of the operations KMS performs across accounts"))
            managed = key.aws_managed
            if managed is True:
                notes.append((_FALSE, f"{key.label} is an AWS managed key: only principals of its own account "
                                      f"({key.account}) can use it"))
            elif managed is UNKNOWN:
                notes.append((_UNKNOWN, f"whether {key.arn} is an AWS managed key (usable only in its own account) "
                                        "is unknown"))
        out = []
        for tri, note in notes:
            if tri is _TRUE:
                continue
            reason = Reason(f"KMS key {key.label}", None, "ImplicitDeny" if tri is _FALSE else "Unknown", "kms-key",
                            key.pointer or None, note=note)
            out.append((_Layer(_FALSE), _Layer(tri, [reason], [], [note] if tri is _UNKNOWN else [])))
        return out

    # ---- 2, 3. organization policies ----
    def _org_levels_for(self, account: str | None, ptype: str, caller: Caller):
        """The levels of _org_levels when SCPs (RCPs) govern this caller's requests in (on) this account, else
        None."""
        org = self.org
        if org is None or account is None or account == org.management_account:
            return None
        if account not in org.member_accounts:
            return None
        is_scp = ptype == "SERVICE_CONTROL_POLICY"
        if caller.entity is not None and getattr(caller.entity, "is_service_linked", False):
            return None
        # RCPs apply to every caller on a member account's resources, AWS service principals included
        # (only service-linked roles are exempt: orgs_manage_policies_rcps.html, "Resources and entities
        # not restricted by RCPs"); SCPs only to the member account's own IAM principals.
        if is_scp and not caller.has_identity:
            return None
        return self._org_levels(account, ptype)

    def _org_levels(self, account: str, ptype: str):
        """((level id, compiled policies of ptype attached there), ...) from the root down to the account,
        or None when the organization records no policy of that type."""
        if not any(p.type == ptype for p in self.org.policies):
            return None
        return tuple((level, tuple(self.compile(p.document) for p in self._org_policies.get(level, [])
                                   if p.type == ptype))
                     for level in self.org.path_of(account))

    def _assemble_org(self, layout: tuple, items: tuple, outcomes: list, is_scp: bool):
        """(deny layer, allow layer) of the SCPs or RCPs from root to account: a Deny in any policy of any
        level denies; for SCPs, some policy attached at each level must allow (a level with none recorded is
        assumed to hold the default FullAWSAccess); an RCP can only deny (RCPFullAWSAccess is attached
        everywhere and Allow is supported in no other RCP: reference_policies_evaluation-logic_policy-eval-
        denyallow.html, "AWS Organizations RCPs").

        ``layout``: per level, (policy, how many of its Deny statements, how many Allow) in order;
        ``items``: those statements flat (statement, principal kind, who, note); ``outcomes``: each one's
        ``statement_outcome`` on the request."""
        org = self.org
        kind = "SCP" if is_scp else "RCP"
        deny = _Layer(_FALSE)
        allow = _Layer(_TRUE)
        i = 0

        def take(n: int) -> list:
            nonlocal i
            part = [(s, k, note, o) for (s, k, _, note), o in zip(items[i:i + n], outcomes[i:i + n])]
            i += n
            return part

        for level, row in layout:
            if not is_scp:
                for pol, n_deny, _ in row:
                    _merge_or(deny, _either(_assemble(pol, "Deny", "rcp", take(n_deny), self._reasons)))
                continue
            if not row:
                allow.assumptions.append(f"no {kind} recorded at {org.names.get(level, level)} ({level}); "
                                         f"assumed the default full-access {kind}")
                continue
            level_allow = _Layer(_FALSE)
            for pol, n_deny, n_allow in row:
                _merge_or(deny, _either(_assemble(pol, "Deny", "scp", take(n_deny), self._reasons)))
                _merge_or(level_allow, _either(_assemble(pol, "Allow", "scp", take(n_allow), self._reasons)))
            if level_allow.tri is _FALSE:
                level_allow.reasons = [Reason(f"{kind}s at {org.names.get(level, level)} ({level})", None,
                                              "ImplicitDeny", kind.lower(),
                                              note=f"no {kind} attached at this level allows the action")]
            _merge_and(allow, level_allow)
        return deny, allow

    # ---- 4, 5. the resource side ----
    def _resource_side(self, caller: Caller, t: Target, action: str, ctx: Context):
        """Grants of the resource side by kind ('principal' | 'account' | 'everyone' | 'session') as layers."""
        grants: dict[str, _Layer] = {}
        denies: list[_Layer] = []
        blocked_reasons: list[Reason] = []
        owner = t.owner
        b = t.bucket

        # Through an access point, the access point's own grants and the bucket's are separate sides: both
        # must permit the request (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html).
        ap_grants: dict[str, _Layer] | None = {} if t.access_point is not None else None
        into = grants

        def add(kind: str, layer: _Layer):
            if layer.tri is _FALSE:
                return
            cur = into.get(kind)
            if cur is None:
                into[kind] = layer
            else:
                _merge_or(cur, layer)

        if t.other is not None:
            self._other_resource_side(caller, t, action, ctx, add, denies)
            return grants, denies, blocked_reasons, None

        block = self._block_public_access(t)

        def policy_grants(doc, layer_name: str, resource: str, restrict: Tri):
            if doc is None:
                return
            if doc is UNKNOWN:
                note = f"the {layer_name.replace('-', ' ')} policy could not be read ({_err(b, t)}); it may allow or deny"
                u = _Layer(_UNKNOWN, [Reason(f"{layer_name} policy of {t.bucket_name}", None, "Unknown", layer_name,
                                               note=note)], [], [note])
                add("principal", u)
                denies.append(_Layer(_UNKNOWN, u.reasons, [], [note]))
                return
            pol = self.compile(doc)
            denies.append(self._evaluate(pol, "Deny", action, resource, ctx, layer_name, caller))
            by_kind = self._evaluate_by_kind(pol, "Allow", action, resource, ctx, layer_name, caller)
            by_kind.pop("", None)
            if not by_kind:
                return
            # RestrictPublicBuckets: a public policy serves only the owner's account and AWS services.
            if restrict is not _FALSE and not caller.is_service and caller.account != owner:
                verdict = self._public_verdict(pol, owner)
                public = _TRUE if verdict.public else (_UNKNOWN if verdict.public is None else _FALSE)
                blocked = public & restrict
                if blocked is _TRUE:
                    blocked_reasons.append(Reason(
                        "Block Public Access", None, "Block", "block-public-access",
                        note=f"RestrictPublicBuckets is on and the {layer_name} policy is public, so it grants "
                             f"nothing to principals outside account {owner}"))
                    return
                if blocked is _UNKNOWN:
                    for layer in by_kind.values():
                        layer.tri = layer.tri & _UNKNOWN
                        layer.assumptions.append("whether Block Public Access (RestrictPublicBuckets) cuts this "
                                                 "grant is unknown")
            for kind, layer in by_kind.items():
                add(kind, layer)

        restrict = block.restrict_public_buckets
        if b is None and t.bucket_name is not None:
            unknown = _Layer(_UNKNOWN, [Reason(f"bucket {t.bucket_name}", None, "Unknown", "resource",
                                                  note=t.note)], [], [])
            add("principal", unknown)
            denies.append(_Layer(_UNKNOWN, unknown.reasons))
        if ap_grants is not None:
            into = ap_grants
            policy_grants(t.access_point.policy, "access-point", t.resource, restrict)
            into = grants
        if b is not None:
            policy_grants(b.policy, "bucket", t.bucket_resource, restrict)
            self._acl_grants(caller, b, action, block, add, blocked_reasons)
        return grants, denies, blocked_reasons, ap_grants

    def _block_public_access(self, t: Target):
        """The Block Public Access settings in force for a bucket (and access point): the account's, the
        bucket's and the access point's merged (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html)."""
        owner = t.owner
        account = self.index.accounts.get(owner) if owner else None
        levels = [account.public_access_block if account else UNKNOWN]
        if t.bucket is not None:
            levels.append(t.bucket.public_access_block)
        if t.access_point is not None:
            levels.append(t.access_point.public_access_block)
        return s3sem.effective_block(*levels)

    def _public_verdict(self, policy: Policy, owner: str | None):
        """Whether a bucket or access point policy is public in the sense of Block Public Access."""
        return s3sem.policy_public(policy, owner or "")

    def _other_resource_side(self, caller: Caller, t: Target, action: str, ctx: Context, add, denies: list) -> None:
        """The resource side of a target outside S3: a role's trust policy for STS actions (it takes the place of
        the bucket policy), a KMS key's key policy and grants, else nothing."""
        other = t.other
        if iam_targets.uses_key_policy(other, action):
            self._key_side(caller, t, action, ctx, add, denies)
            return
        if not iam_targets.uses_trust_policy(other, action):
            return
        if other.trust is UNKNOWN:
            note = other.note or f"the trust policy of {other.role_arn} is unknown"
            u = _Layer(_UNKNOWN, [Reason(f"trust policy of {other.role_arn}", None, "Unknown", "trust", note=note)],
                       [], [note])
            add("principal", u)
            denies.append(_Layer(_UNKNOWN, u.reasons, [], [note]))
            return
        if other.trust is None:
            return
        pol = self.compile(other.trust)
        denies.append(self._evaluate(pol, "Deny", action, t.resource, ctx, "trust", caller))
        for kind, layer in self._evaluate_by_kind(pol, "Allow", action, t.resource, ctx, "trust", caller).items():
            if kind:
                add(kind, layer)

    def _key_side(self, caller: Caller, t: Target, action: str, ctx: Context, add, denies: list) -> None:
        """A KMS key's resource side: its key policy (grants by how its Principal covers the caller; naming the
        account delegates to the account's IAM policies) and its grants (kind ``grant``: allowed on their own).
        A key, policy or grants list the snapshot lacks may allow or deny: never "allowed"."""
        key = t.other.key
        label = key.label if key is not UNKNOWN else t.resource
        if key is UNKNOWN or key.policy is UNKNOWN:
            note = t.other.note if key is UNKNOWN else f"the key policy of {key.arn} could not be read ("                 f"{key.errors.get('GetKeyPolicy', 'not recorded')}); it may allow or deny"
            u = _Layer(_UNKNOWN, [Reason(f"key policy of {label}", None, "Unknown", "resource", note=note)], [],
                       [note])
            add("principal", u)
            denies.append(_Layer(_UNKNOWN, u.reasons, [], [note]))
            if key is UNKNOWN:
                return
        else:
            pol = self.compile(key.policy)
            denies.append(self._evaluate(pol, "Deny", action, t.resource, ctx, "resource", caller))
            for kind, layer in self._evaluate_by_kind(pol, "Allow", action, t.resource, ctx, "resource",
                                                      caller).items():
                if kind:
                    add(kind, layer)
        if key.grants is UNKNOWN:
            note = f"the grants of {key.arn} could not be read ({key.errors.get('ListGrants', 'not recorded')}); "                    "one may allow this principal"
            add("grant", _Layer(_UNKNOWN, [Reason(f"grants of {label}", None, "Unknown", "kms-grant", note=note)],
                                [], [note]))
            return
        for g in key.grants:
            if not kms.grant_covers(g, action):
                continue
            who, kind = kms.grantee_matches(g, caller)
            if who is _FALSE:
                continue
            if g.constraints:
                self._volatile = True  # its outcome reads the request's encryption context (see Engine)
            met, pairs = kms.constraints_met(g, ctx.lookup)
            tri = who & met
            if tri is _FALSE:
                continue
            name = g.name or g.grant_id
            reason = Reason(f"grant {name} of {label}", None, "Grant", "kms-grant", g.pointer,
                            note=f"{', '.join(g.operations)} to {g.grantee}")
            residuals = [Residual("Allow", f"grant {name} of {label}", name, tuple(
                {"note": f"only with the encryption context {p}"} for p in pairs))] if pairs else []
            layer = _Layer(tri, [reason], residuals, [] if who is _TRUE else [
                f"grant {name} of {label} names one session of the role ({g.grantee})"])
            add("grant" if kind == "principal" else "account", layer)

    def _acl_grants(self, caller: Caller, b: Bucket, action: str, block: dict, add, blocked: list) -> None:
        if b.acl is None:
            return
        enabled = b.acls_enabled
        if enabled is not UNKNOWN and not enabled:
            return
        if b.acl is UNKNOWN:
            note = f"the bucket ACL of {b.name} could not be read; it may grant access"
            add("account", _Layer(_UNKNOWN, [Reason(f"ACL of {b.name}", None, "Unknown", "acl", note=note)],
                                  [], [note]))
            return
        for g in b.acl.grants:
            if action not in s3sem.acl_permission_actions(g.permission):
                continue
            kind = None
            if g.grantee_type == "Group":
                if g.grantee == s3sem.ALL_USERS:
                    kind = "everyone"
                elif g.grantee == s3sem.AUTHENTICATED_USERS and not caller.is_anonymous:
                    kind = "everyone"
                elif g.grantee == s3sem.LOG_DELIVERY and caller.service == "logging.s3.amazonaws.com":
                    kind = "principal"
                if kind == "everyone":
                    ignore = block.ignore_public_acls
                    if ignore is _TRUE:
                        blocked.append(Reason("Block Public Access", None, "Block", "block-public-access", g.pointer,
                                              note=f"the ACL of {b.name} grants {g.permission} to "
                                                   f"{g.grantee.rsplit('/', 1)[-1]}, but IgnorePublicAcls is on"))
                        continue
            elif g.grantee_type == "CanonicalUser":
                acct = self._canonical.get(g.grantee)
                if acct is not None and acct == caller.account and not caller.is_service:
                    kind = "account"
                elif acct is None and caller.known is False and caller.account and not caller.is_anonymous:
                    kind = None  # an unknown canonical id might be this external account: say so below
                    note = (f"ACL of {b.name} grants {g.permission} to canonical user {g.grantee[:12]}…, whose "
                            "account is not in the snapshot")
                    add("account", _Layer(_UNKNOWN, [Reason(f"ACL of {b.name}", _grant_label(g), "Grant", "acl", g.pointer,
                                                               note=note)], [], [note]))
            elif g.grantee_type == "AmazonCustomerByEmail" and not caller.is_anonymous:
                note = f"ACL of {b.name} grants {g.permission} to an e-mail grantee whose account is unknown"
                add("account", _Layer(_UNKNOWN, [Reason(f"ACL of {b.name}", _grant_label(g), "Grant", "acl", g.pointer, note=note)],
                                      [], [note]))
            if kind is None:
                continue
            tri = _TRUE
            notes = []
            if enabled is UNKNOWN:
                tri = _UNKNOWN
                notes.append(f"Object Ownership of {b.name} is unknown; the ACL may be in force")
            if kind == "everyone" and block.ignore_public_acls is _UNKNOWN:
                tri = tri & _UNKNOWN
                notes.append("whether IgnorePublicAcls neutralises this public ACL grant is unknown")
            grantee = g.grantee.rsplit("/", 1)[-1] if g.grantee_type == "Group" else g.grantee[:12] + "…"
            add(kind, _Layer(tri, [Reason(f"ACL of {b.name}", _grant_label(g), "Grant", "acl", g.pointer,
                                          note=f"{g.permission} to {grantee}")], [], notes))

    # ---- 4. the identity side ----
    def _identity(self, caller: Caller) -> tuple[list[Policy], list[tuple[str, str | None]], Any]:
        """(identity policies, what of them is unknown as (source, note) pairs, boundary Policy | None | UNKNOWN).

        Unknown are attached managed policies the snapshot lacks and policies the snapshot marks unknown
        (an IaC value known only after apply); either may allow or deny. A missing boundary is listed with
        note None (the boundary layer reports it)."""
        e = caller.entity
        docs, absent, unknown = identity_documents(e, lambda account, name: self.index.groups.get((account, name)),
                                                   self.snapshot.managed_document)
        missing: list[tuple[str, str | None]] = [
            (arn, f"managed policy {arn} attached to {e.arn} is not in the snapshot; it may allow or deny")
            for arn in absent]
        missing += [(e.arn, note + "; it may allow or deny") for note in unknown]
        boundary: Any = None
        if getattr(e, "boundary", None):
            d = self.snapshot.managed_document(e.boundary)
            if d is None:
                boundary = UNKNOWN
                missing.append((e.boundary, None))
            else:
                boundary = self.compile(replace(d, kind="boundary", owner=e.arn, name=e.boundary))
        return [self.compile(d) for d in docs], missing, boundary

    def _identity_side(self, caller: Caller, t: Target, action: str, ctx: Context):
        """(identity allow, identity deny, boundary allow, boundary deny) layers for the caller."""
        resource = t.resource
        if not caller.has_identity:
            return None, None, None, None
        if caller.kind == "root":
            if not caller.known:
                return _Layer(_TRUE, [], [], []), None, None, None
            return _Layer(_TRUE, [Reason(f"root user of {caller.account}", None, "Allow", "identity",
                                            note="the account root user has every permission in its own account")]), \
                None, None, None
        if caller.entity is None:
            note = caller.note or "the principal's identity policies are unknown"
            return _Layer(_TRUE, [Reason(caller.label, None, "Allow", "identity",
                                            note="assumed: " + note)], [], [f"assumed allowed by identity "
                                                                             f"policies: {note}"]), None, None, None
        policies, missing, boundary = self._identity(caller)
        allow = _Layer(_FALSE)
        deny = _Layer(_FALSE)
        for p in policies:
            _merge_or(deny, self._evaluate(p, "Deny", action, resource, ctx, "identity"))
            _merge_or(allow, self._evaluate(p, "Allow", action, resource, ctx, "identity"))
        for source, note in missing:
            if note is None:  # the boundary: its own layer below
                continue
            _merge_or(allow, _Layer(_UNKNOWN, [Reason(source, None, "Unknown", "identity", note=note)], [], [note]))
            _merge_or(deny, _Layer(_UNKNOWN, [Reason(source, None, "Unknown", "identity", note=note)], [], [note]))
        if allow.tri is _FALSE:
            allow.reasons = [Reason(f"identity policies of {caller.arn}", None, "ImplicitDeny", "identity",
                                    note="no identity policy allows the action on this resource")]
        b_allow = b_deny = None
        if boundary is UNKNOWN:
            note = f"permissions boundary {caller.entity.boundary} of {caller.arn} is not in the snapshot"
            b_allow = _Layer(_UNKNOWN, [Reason(caller.entity.boundary, None, "Unknown", "boundary", note=note)], [],
                             [note])
        elif boundary is not None:
            b_deny = self._evaluate(boundary, "Deny", action, resource, ctx, "boundary")
            b_allow = self._evaluate(boundary, "Allow", action, resource, ctx, "boundary")
            if b_allow.tri is _FALSE:
                b_allow.reasons = [Reason(_src(boundary), None, "ImplicitDeny", "boundary",
                                          note="the permissions boundary does not allow the action")]
        return allow, deny, b_allow, b_deny

    # ---- 4. same account, cross account ----
    def _combine(self, caller: Caller, same_account: bool, t: Target, identity, boundary, grants,
                 explicit: bool = False):
        """Identity and resource sides together, by AWS's same-account and cross-account rules.

        ``explicit``: the resource policy must allow the caller even within its account (a role's trust
        policy); naming the account then delegates to the identity policies."""
        used: set[str] = set()
        none = _Layer(_FALSE)
        # A grant naming the principal itself (or everyone) needs no identity policy within the account;
        # naming the account (or its canonical id) delegates to the account's own IAM policies.
        specific = _Layer(_FALSE)
        for k in ("principal", "session", "everyone"):
            if k in grants:
                _merge_or(specific, grants[k])
        delegated = grants.get("account", none)
        resource_any = _Layer(_FALSE)
        _merge_or(resource_any, specific)
        _merge_or(resource_any, delegated)

        if not caller.has_identity:
            out = resource_any
            if out.tri is _FALSE:
                out.reasons = [Reason(f"resource policies of {t.label}", None, "ImplicitDeny", "resource",
                                      note="nothing on the resource side grants this caller the action")]
            else:
                used.add("resource")
            return out, used

        id_side = _Layer(_FALSE) if identity is None else identity
        if boundary is not None:
            gated = _Layer(id_side.tri, id_side.reasons, id_side.residuals, id_side.assumptions)
            _merge_and(gated, boundary)
        else:
            gated = id_side
        if same_account:
            # Boundaries do not limit a same-account resource policy that names the user, the session or
            # everyone ("Principal": "*"); they do limit one that names the role ARN, because the caller
            # is a session of the role (reference_policies_evaluation-logic.html, "IAM role";
            # reference_policies_elements_principal.html, "IAM role principals").
            out = _Layer(_FALSE)
            if explicit:
                # The identity side counts only where the trust policy names the account.
                via_account = _Layer(gated.tri, gated.reasons, gated.residuals, gated.assumptions)
                _merge_and(via_account, delegated if delegated is not none else _Layer(_FALSE))
                _merge_or(out, via_account)
                if via_account.tri is not _FALSE:
                    used |= {"identity", "resource"}
            else:
                _merge_or(out, gated)
                if gated.tri is not _FALSE:
                    used.add("identity")
            direct = _Layer(_FALSE)
            cut: list[Reason] = []
            for k in ("principal", "everyone", "session"):
                if k not in grants:
                    continue
                g = grants[k]
                if boundary is not None and caller.kind == "role" and k == "principal":
                    g2 = _Layer(g.tri, g.reasons, g.residuals, g.assumptions)
                    _merge_and(g2, boundary)
                    if g2.tri is _FALSE:
                        cut.extend(g2.reasons)
                    g = g2
                _merge_or(direct, g)
            if direct.tri is not _FALSE:
                used.add("resource")
            _merge_or(out, direct)
            if out.tri is _FALSE:
                out.reasons = list(gated.reasons)
                if cut:
                    out.reasons.extend(cut)
                elif t.other is None or explicit:  # a resource that has a resource policy
                    out.reasons.append(Reason(f"resource policies of {t.label}", None, "ImplicitDeny", "resource",
                                              note="no resource policy grants this principal"))
            return out, used
        # Cross-account: both sides must allow.
        out = _Layer(gated.tri, gated.reasons, gated.residuals, gated.assumptions)
        if resource_any.tri is _FALSE:
            resource_any.reasons = [Reason(f"resource policies of {t.label}", None, "ImplicitDeny", "resource",
                                           note=f"cross-account access needs the resource side to grant account "
                                                f"{caller.account} or the principal, and nothing does")]
        _merge_and(out, resource_any)
        if out.tri is not _FALSE:
            used |= {"identity", "resource"}
        return out, used

    # ---- statements ----
    def _statements(self, policy: Policy, action: str, effect: str | None = None) -> tuple[Statement, ...]:
        """Statements of a policy (of one effect) that can match an action."""
        return tuple(s for s in policy.statements if (effect is None or s.effect == effect) and s.actions.matches(action))

    def _matched(self, policy: Policy, effect: str, action: str, caller: Caller | None) -> tuple:
        """(statement, principal kind, who, note) for the statements of one effect that match the action and
        whose Principal may cover the caller."""
        out = []
        for s in self._statements(policy, action, effect):
            if caller is not None and s.principals is not None:
                m = principal_match(s, caller, self._canonical)
                if m is not None:
                    out.append((s, *m))
            else:
                out.append((s, "", _TRUE, None))
        return tuple(out)

    def _evaluate(self, policy: Policy, effect: str, action: str, resource: str, ctx: Context, layer: str,
                  caller: Caller | None = None) -> _Layer:
        """OR over the policy's statements of one effect that match action, resource, principal, conditions."""
        matched = self._matched(policy, effect, action, caller)
        if not matched:
            return _Layer(_FALSE)  # what _either(_assemble(...)) makes of no statement
        return _either(_assemble(policy, effect, layer, self._outcomes_of(matched, resource, ctx), self._reasons))

    def _evaluate_by_kind(self, policy: Policy, effect: str, action: str, resource: str, ctx: Context,
                          layer: str, caller: Caller | None = None) -> dict[str, _Layer]:
        """Like _evaluate, split by how each statement's Principal covers the caller (for resource
        policies: 'everyone', 'account', 'principal', 'session'; '' where there is no Principal)."""
        matched = self._matched(policy, effect, action, caller)
        if not matched:
            return {"": _Layer(_FALSE)}  # what _assemble makes of no statement
        return _assemble(policy, effect, layer, self._outcomes_of(matched, resource, ctx), self._reasons)

    # ---- what the procedure asks of the engine ----
    def caller(self, principal: str) -> Caller:
        """The request's principal, parsed against the snapshot (``principals.parse_caller``)."""
        raise NotImplementedError

    def compile(self, doc: PolicyDocument) -> Policy:
        """A policy document, compiled (``policy.compile_policy``)."""
        raise NotImplementedError

    def _context(self, caller: Caller, t: Target, action: str, supplied: Mapping[str, Any]) -> Context:
        """The request's context: what the snapshot fixes (``request_facts.py``) over what the request
        supplies."""
        raise NotImplementedError

    def _outcomes_of(self, matched: tuple, resource: str, ctx: Context) -> list:
        """(statement, principal kind, note, outcome) for the statements of ``_matched``, outcome as
        ``statement_outcome`` gives it for this resource and context."""
        raise NotImplementedError

    def _org_layer(self, account: str | None, ptype: str, action: str, t: Target, ctx: Context,
                   caller: Caller) -> tuple[_Layer, _Layer] | None:
        """(deny layer, allow layer) of the SCPs or RCPs on the account's path when they govern this caller's
        request (``_org_levels_for``), each policy's statements evaluated as ``_evaluate`` does and the levels
        combined by ``_assemble_org``; None where they do not apply. The resource an SCP (RCP) is matched
        against is the bucket's (the request's)."""
        raise NotImplementedError


def _assemble(policy: Policy, effect: str, layer: str, outcomes: list, reasons: dict) -> dict[str, _Layer]:
    """Layers by principal kind from the outcomes of a policy's statements of one effect (_outcomes_of).
    ``reasons`` holds the Reason of each (statement, effect, layer) once made: decisions share them."""
    found: dict[str, tuple[list, list, list, list]] = {}
    for s, kind, note, outcome in outcomes:
        if outcome is None:
            continue
        m, residual = outcome
        definite, maybe, residuals, notes = found.setdefault(kind, ([], [], [], []))
        unknown = next((c for c in residual if type(c) is UnknownPart), None) if m is not _TRUE else None
        if unknown is not None:
            # a statement holding a value the producer could not know may or may not apply: it is unknown data
            # (an assumption), not a condition of the request; its other conditions still are
            reason = reasons.get((id(s), "Unknown", layer))
            if reason is None:
                reason = reasons[(id(s), "Unknown", layer)] = Reason(_src(policy), s.label, "Unknown", layer,
                                                                     policy.doc.pointer_to(s.pointer), unknown.reason)
            maybe.append(reason)
            notes.append(f"statement {s.label} of the {_src(policy)} may not apply as written: {unknown.reason}")
            residual = tuple(c for c in residual if type(c) is not UnknownPart)
            if residual:
                residuals.append(Residual(effect, _src(policy), s.label, tuple(c.to_json() for c in residual)))
            continue
        reason = reasons.get((id(s), effect, layer))
        if reason is None:
            reason = reasons[(id(s), effect, layer)] = Reason(_src(policy), s.label, effect, layer,
                                                              policy.doc.pointer_to(s.pointer))
        if m is _TRUE:
            definite.append(reason)
        else:
            maybe.append(reason)
            clauses = tuple(c.to_json() for c in residual)
            if note is not None:
                clauses += ({"note": note},)
                notes.append(note)
            residuals.append(Residual(effect, _src(policy), s.label, clauses or (
                {"note": "the resource matches only for some values of a policy variable"},)))
    out: dict[str, _Layer] = {}
    for kind, (definite, maybe, residuals, notes) in found.items():
        # The definite statements decide; the maybes add nothing then.
        out[kind] = _Layer(_TRUE, definite) if definite else _Layer(_UNKNOWN, maybe, residuals, notes)
    return out or {"": _Layer(_FALSE)}


def _either(by_kind: dict[str, _Layer]) -> _Layer:
    """One layer: the OR of the layers of every principal kind."""
    if len(by_kind) == 1:
        return next(iter(by_kind.values()))
    out = _Layer(_FALSE)
    for part in by_kind.values():
        _merge_or(out, part)
    return out


def statement_outcome(s: Statement, resource: str, who: Tri, ctx: Context | None, conditions: dict):
    """How one statement meets a request: None when it does not apply, else (Tri, residual clauses).

    ``conditions`` memoises Condition blocks (see condition_outcome)."""
    m = s.resource_matches(resource, ctx)
    if m is _FALSE:
        return None
    block = s.conditions
    if block.clauses:
        c, residual = condition_outcome(block, ctx, conditions)
        m = m & c & who
    else:
        residual = ()
        m = m & who
    return None if m is _FALSE else (m, residual)


def condition_outcome(block, ctx: Context, conditions: dict) -> tuple:
    """(Tri, residual clauses) of a Condition block on a request's context, memoised in ``conditions`` by the
    values of the keys the block reads (its whole input)."""
    key = (id(block), tuple([ctx.lookup(k) for k in block.keys]))
    hit = conditions.get(key)
    if hit is None:
        hit = conditions[key] = block.evaluate(ctx)
    return hit


def _merge_or(into: _Layer, other: _Layer) -> None:
    if other is None or (other.tri is _FALSE and not other.assumptions):
        return
    if other.tri is _FALSE:
        into.assumptions.extend(a for a in other.assumptions if a not in into.assumptions)
        return
    if other.tri is _TRUE and into.tri is not _TRUE:
        into.reasons = list(other.reasons)
        into.residuals = []
    elif other.tri is _TRUE:
        into.reasons.extend(other.reasons)
    elif into.tri is not _TRUE:
        into.reasons.extend(other.reasons)
        into.residuals.extend(other.residuals)
    into.tri = into.tri | other.tri
    if other.assumptions:
        into.assumptions.extend(a for a in other.assumptions if a not in into.assumptions)


def _merge_and(into: _Layer, other: _Layer) -> None:
    if other is None:
        return
    # a layer already false keeps the reasons that made it so; one made false now takes the other's
    if other.tri is _FALSE and into.tri is not _FALSE:
        into.reasons = list(other.reasons)
        into.residuals = []
    elif into.tri is not _FALSE:
        into.reasons.extend(other.reasons)
        into.residuals.extend(other.residuals)
    into.tri = into.tri & other.tri
    if other.assumptions:
        into.assumptions.extend(a for a in other.assumptions if a not in into.assumptions)


def _dedupe(items):
    """Items in order without repeats: equal reasons (hashable), or residuals equal in what they print."""
    if len(items) < 2:
        return items
    seen = set()
    out = []
    for x in items:
        key = x if isinstance(x, Reason) else (x.effect, x.source, x.statement, repr(x.conditions))
        if key not in seen:
            seen.add(key)
            out.append(x)
    return out


def _err(b: Bucket | None, t: Target) -> str:
    errors = dict(b.errors) if b is not None else {}
    if t.access_point is not None:
        errors.update(t.access_point.errors)
    return ", ".join(f"{k}: {v}" for k, v in errors.items()) or "not recorded"


def _grant_label(g) -> str:
    return f"grant #{g.pointer.rsplit('/', 1)[-1]}"
