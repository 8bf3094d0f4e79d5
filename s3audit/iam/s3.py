"""S3's own access semantics: ACL grants, Object Ownership, Block Public Access and AWS's meaning of "public".

Everything here is pure (no I/O) and follows AWS's documentation:

- "The meaning of 'public'" and the four Block Public Access settings:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
- ACL grantees and the permission -> action mapping:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
- Object Ownership (``BucketOwnerEnforced`` disables ACLs: "ACLs no longer affect permissions"):
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html

Three answers, never two: a verdict's ``public`` is True, False, or None for "cannot tell". None is
sound in both directions the engine cares about: the grant may reach the public, *and* (because AWS
may judge the policy non-public) RestrictPublicBuckets may not engage, so the policy's cross-account
statements may still work.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping  # not typing.Mapping: its isinstance is several times slower
from dataclasses import dataclass
from typing import Any, Iterable

from ..snapshot.model import UNKNOWN, AccessPoint, Acl, Bucket, Grant, PublicAccessBlock
from .actions import ACCESS_LEVELS, universe
from .conditions import UnknownPart
from .logic import Tri
from .policy import Policy, Statement

BPA_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"
ACL_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html"
OWNERSHIP_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html"

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
# The canonical user id S3 gives unauthenticated requesters (acl-overview, "Finding an AWS account
# canonical user ID"): a grant to it reaches anonymous callers just like AllUsers.
ANONYMOUS_CANONICAL_ID = "65a011a29cdf8ec533ec3d1ccaae921c"

LEVELS = ACCESS_LEVELS + ("any",)
SETTINGS = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
_SETTING_NAMES = {"block_public_acls": "BlockPublicAcls", "ignore_public_acls": "IgnorePublicAcls",
                  "block_public_policy": "BlockPublicPolicy", "restrict_public_buckets": "RestrictPublicBuckets"}


# ----------------------------------------------------------------------------------------------- ACLs

# Bucket ACL permission -> IAM actions ("Mapping of ACL permissions and access policy permissions").
# WRITE also lets a grantee delete objects it owns ("For the bucket and object owners of existing
# objects, also allows deletions and overwrites"), so s3:DeleteObject is included: a missed delete
# path is worse than a spurious one. s3:DeleteObjectVersion is only the bucket owner's.
_ACL_BUCKET = {
    "READ": frozenset({"s3:listbucket", "s3:listbucketversions", "s3:listbucketmultipartuploads"}),
    "WRITE": frozenset({"s3:putobject", "s3:deleteobject"}),
    "READ_ACP": frozenset({"s3:getbucketacl"}),
    "WRITE_ACP": frozenset({"s3:putbucketacl"}),
}
_ACL_BUCKET["FULL_CONTROL"] = frozenset().union(*_ACL_BUCKET.values())
_OWNER_WRITE_EXTRA = frozenset({"s3:deleteobjectversion"})

# Object ACL permission -> actions on that object (same table, object column). The snapshot records
# only bucket ACLs; these say what a public object ACL we cannot see could grant.
_ACL_OBJECT = {
    "READ": frozenset({"s3:getobject", "s3:getobjectversion"}),
    "READ_ACP": frozenset({"s3:getobjectacl", "s3:getobjectversionacl"}),
    "WRITE_ACP": frozenset({"s3:putobjectacl", "s3:putobjectversionacl"}),
}
_ACL_OBJECT["FULL_CONTROL"] = frozenset().union(*_ACL_OBJECT.values())


def acl_permission_actions(permission: str, *, grantee_is_owner: bool = False) -> frozenset[str]:
    """The folded actions (``s3:listbucket``) that a BUCKET ACL permission grants.

    ``grantee_is_owner`` adds s3:DeleteObjectVersion to WRITE, which AWS gives the bucket owner only.
    """
    actions = _ACL_BUCKET.get(permission)
    if actions is None:
        raise ValueError(f"unknown ACL permission `{permission}`")
    if grantee_is_owner and permission in ("WRITE", "FULL_CONTROL"):
        return actions | _OWNER_WRITE_EXTRA
    return actions


def object_acl_permission_actions(permission: str) -> frozenset[str]:
    """The folded actions an OBJECT ACL permission grants on that object (WRITE does not apply)."""
    return _ACL_OBJECT.get(permission, frozenset())


def _group(uri: str) -> str:
    """A group URI in its canonical spelling (AWS writes http://; accept https and a trailing slash)."""
    u = uri.strip().rstrip("/")
    if u.lower().startswith("https://"):
        u = "http://" + u[8:]
    for known in (ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY):
        if u.lower() == known.lower():
            return known
    return u


def grant_audience(grant: Grant) -> str | None:
    """``everyone`` (AllUsers), ``any-aws-account`` (AuthenticatedUsers), ``anonymous`` (the anonymous
    canonical user), or None for a grant that is not public (an account, LogDelivery)."""
    if grant.grantee_type == "Group":
        g = _group(grant.grantee)
        if g == ALL_USERS:
            return "everyone"
        if g == AUTHENTICATED_USERS:
            return "any-aws-account"
        return None
    if grant.grantee_type == "CanonicalUser" and grant.grantee == ANONYMOUS_CANONICAL_ID:
        return "anonymous"
    return None


_AUDIENCE_TEXT = {"everyone": "AllUsers", "any-aws-account": "AuthenticatedUsers",
                  "anonymous": "the anonymous canonical user"}
_AUDIENCE_MEANS = {"everyone": "anyone, anonymous callers included", "any-aws-account": "any AWS account",
                   "anonymous": "unauthenticated callers"}


# ------------------------------------------------------------------------------ Block Public Access

@dataclass(frozen=True)
class EffectiveBlock:
    """The Block Public Access settings in force, per setting: Tri.TRUE, FALSE or UNKNOWN.

    ``sources`` names, per setting, the levels that turn it on (``account``, ``bucket``, ``access point``)
    so reasons can say where a neutralisation comes from. Read a setting as an attribute or by name
    (``block["ignore_public_acls"]``).
    """

    block_public_acls: Tri
    ignore_public_acls: Tri
    block_public_policy: Tri
    restrict_public_buckets: Tri
    sources: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __getitem__(self, setting: str) -> Tri:
        if setting not in SETTINGS:
            raise KeyError(setting)
        return getattr(self, setting)

    def source(self, setting: str) -> str:
        """Where a setting that is on comes from, for a reason: "account level", "bucket level" ..."""
        where = dict(self.sources).get(setting, ())
        return " and ".join(where) + " level" if where else "an unknown level"


def effective_block(*levels: Any, names: Iterable[str] | None = None) -> EffectiveBlock:
    """The settings in force when several levels apply (account, bucket, access point), per setting.

    AWS "applies the most restrictive combination of the access point, bucket, and account settings"
    (BPA_DOC), so each setting is the OR of the levels: TRUE if any level turns it on; UNKNOWN if not
    but some level could not be read (``UNKNOWN``); FALSE otherwise. A level of ``None`` (nothing
    configured) turns nothing on. ``names`` labels the levels for reasons (default: account, bucket,
    access point, in that order).

    Design choice: the result is per setting (a known ON at one level decides that setting even when
    another level is unknown), never one UNKNOWN for the whole block.
    """
    # A pure function of the levels' values, and an estate repeats a few combinations: kept per combination.
    cacheable = names is None and all(level is None or level is UNKNOWN or type(level) in _HASHABLE_LEVELS
                                      for level in levels)
    if cacheable:
        hit = _EFFECTIVE.get(levels)
        if hit is not None:
            return hit
    block = _effective_block(levels, names)
    if cacheable and len(_EFFECTIVE) < 4096:
        _EFFECTIVE[levels] = block
    return block


_EFFECTIVE: dict[tuple, EffectiveBlock] = {}
_HASHABLE_LEVELS = (PublicAccessBlock, EffectiveBlock)


def _effective_block(levels: tuple, names: Iterable[str] | None) -> EffectiveBlock:
    labels = list(names) if names is not None else ["account", "bucket", "access point"]
    labels += [f"level {i + 1}" for i in range(len(labels), len(levels))]
    values: dict[str, Tri] = {}
    sources: dict[str, tuple[str, ...]] = {}
    for setting in SETTINGS:
        on: list[str] = []
        unknown = False
        for label, level in zip(labels, levels):
            if level is UNKNOWN:
                unknown = True
                continue
            if level is None:
                continue
            v = _setting_of(level, setting)
            if v is Tri.TRUE:
                on.append(label)
            elif v is Tri.UNKNOWN:
                unknown = True
        values[setting] = Tri.TRUE if on else (Tri.UNKNOWN if unknown else Tri.FALSE)
        sources[setting] = tuple(on)
    return EffectiveBlock(**values, sources=tuple(sources.items()))


def _setting_of(level: Any, setting: str) -> Tri:
    if isinstance(level, EffectiveBlock):
        return level[setting]
    if isinstance(level, PublicAccessBlock):
        v = getattr(level, setting)
        return Tri.UNKNOWN if v is None else Tri.of(bool(v))
    if isinstance(level, Mapping):  # raw PublicAccessBlockConfiguration
        return _setting_of(PublicAccessBlock.from_api(level), setting)
    raise TypeError(f"not a Block Public Access level: {level!r}")


# --------------------------------------------------------------------------- the meaning of "public"

@dataclass(frozen=True)
class PublicVerdict:
    """Whether something is public by AWS's definition, and why.

    ``public``: True, False, or None (cannot tell: treat as may-be-public). ``statements`` and
    ``grants`` are the public (or possibly public) ones; ``reasons`` has one sentence each.
    """

    public: bool | None
    statements: tuple[Statement, ...] = ()
    grants: tuple[Grant, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def tri(self) -> Tri:
        return Tri.UNKNOWN if self.public is None else Tri.of(self.public)


# Condition keys that, with FIXED values, make a grant to everyone non-public (BPA_DOC, "Bucket
# policies"): the documented list, plus the principal keys its first bullet names by category ("An AWS
# principal, user, role, or service principal (e.g. aws:PrincipalOrgID)"). Folded key -> the text
# reasons quote.
NON_PUBLIC_KEYS: Mapping[str, str] = {
    "aws:sourceip": "aws:SourceIp",
    "aws:sourcearn": "aws:SourceArn",
    "aws:sourcevpc": "aws:SourceVpc",
    "aws:sourcevpce": "aws:SourceVpce",
    "aws:sourceowner": "aws:SourceOwner",
    "aws:sourceaccount": "aws:SourceAccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid": "aws:userid",
    "s3:dataaccesspointarn": "s3:DataAccessPointArn",
    "s3:dataaccesspointaccount": "s3:DataAccessPointAccount",
    # "An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)":
    "aws:principalorgid": "aws:PrincipalOrgID",
    "aws:principalaccount": "aws:PrincipalAccount",
    "aws:principalarn": "aws:PrincipalArn",
    "aws:principalorgpaths": "aws:PrincipalOrgPaths",
    "aws:principalservicename": "aws:PrincipalServiceName",
}

# The CIDR-width rule for aws:SourceIp (BPA_DOC): ranges "broader than /8 for IPv4 and /32 for IPv6
# (excluding RFC1918 private ranges)" are public.
IPV4_MIN_PREFIX = 8
IPV6_MIN_PREFIX = 32
RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

_POSITIVE = {"stringequals": "equals", "stringequalsignorecase": "equals", "stringlike": "like",
             "arnequals": "like", "arnlike": "like", "ipaddress": "ip"}  # ARN operators take wildcards too
_NEGATED_TWIN = {"stringnotequals": "StringEquals", "stringnotequalsignorecase": "StringEqualsIgnoreCase",
                 "stringnotlike": "StringLike", "arnnotequals": "ArnEquals", "arnnotlike": "ArnLike",
                 "notipaddress": "IpAddress"}
_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_ID_SESSIONS = re.compile(r"^[^*?:$]+:\*$")  # "AROLEID:*", a fixed role id and any session


@dataclass(frozen=True)
class Restriction:
    """Whether a condition clause limits a grant to fixed values, with the sentence that says why."""

    tri: Tri  # TRUE: the clause restricts to fixed values; UNKNOWN: cannot tell; FALSE: it does not
    text: str = ""


@dataclass(frozen=True)
class ClauseSpec:
    """A condition clause by its parts (the shape of ``conditions.Clause``), for clauses s3audit builds."""

    operator: str
    key: str
    values: tuple[str, ...]


def _split_operator(op: str) -> tuple[str | None, str, bool]:
    set_op = None
    if ":" in op:
        set_op, op = op.split(":", 1)
        set_op = set_op.lower()
    if_exists = op.lower().endswith("ifexists")
    base = op[:-8] if if_exists else op
    return set_op, base.lower(), if_exists


def _cidr_width(value: str) -> Restriction:
    """Whether one aws:SourceIp value is narrow enough to keep a grant non-public."""
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return Restriction(Tri.UNKNOWN, f"`{value}` is not an IP range s3audit can read")
    if net.version == 6:
        if net.prefixlen >= IPV6_MIN_PREFIX:
            return Restriction(Tri.TRUE)
        return Restriction(Tri.FALSE, f"`{value}` is broader than /{IPV6_MIN_PREFIX}")
    if net.prefixlen >= IPV4_MIN_PREFIX:
        return Restriction(Tri.TRUE)
    # Broader than /8. Counting only public addresses (RFC 1918 excluded) can bring a /7 back to /8
    # worth; AWS's wording does not settle that one case (10.0.0.0/7), so it stays undecided.
    private = sum(net.num_addresses if net.subnet_of(p) else (p.num_addresses if p.subnet_of(net) else 0)
                  for p in RFC1918)
    if net.num_addresses - private > 2 ** (32 - IPV4_MIN_PREFIX):
        return Restriction(Tri.FALSE, f"`{value}` is broader than /{IPV4_MIN_PREFIX}")
    return Restriction(Tri.UNKNOWN, f"`{value}` is broader than /{IPV4_MIN_PREFIX} only through RFC 1918 "
                                    "private space, which AWS excludes from the width rule")


def _value_fixed(key: str, value: str, style: str, policy_kind: str, variables: bool) -> Restriction:
    """Whether one condition value is a FIXED value for a non-public key (no wildcard, no variable)."""
    if "${" in value:
        if variables:
            return Restriction(Tri.FALSE, f"`{value}` contains a policy variable")
        return Restriction(Tri.UNKNOWN, f"`{value}` looks like a policy variable in a policy without "
                                        "Version 2012-10-17, where it is literal text")
    wild = "*" in value or "?" in value
    if not wild:
        return Restriction(Tri.TRUE)
    if style == "equals":  # StringEquals compares literally; AWS's wording does not say how it reads `*`
        return Restriction(Tri.UNKNOWN, f"`{value}` contains `*` or `?`, which StringEquals compares literally")
    if key == "aws:userid" and _ROLE_ID_SESSIONS.match(value):
        return Restriction(Tri.TRUE)  # the documented exception: "outside the pattern AROLEID:*"
    if key == "s3:dataaccesspointarn":
        if policy_kind == "access-point":
            return Restriction(Tri.FALSE, f"`{value}` has a wildcard, which makes an access point policy public")
        parts = value.split(":", 5)
        if len(parts) == 6 and parts[0] == "arn" and parts[2] == "s3" and _ACCOUNT.match(parts[4]) \
                and parts[5].startswith("accesspoint/") and "*" not in parts[1]:
            if "*" not in parts[3] and "?" not in parts[3]:
                return Restriction(Tri.TRUE)  # documented: a wildcard access point name with a fixed account
            return Restriction(Tri.UNKNOWN, f"`{value}` has a wildcard Region; AWS documents only a wildcard "
                                            "access point name as non-public")
        return Restriction(Tri.FALSE, f"`{value}` has a wildcard outside the access point name")
    if key in ("aws:principalarn", "aws:sourcearn"):
        parts = value.split(":", 5)
        if len(parts) == 6 and _ACCOUNT.match(parts[4]):
            return Restriction(Tri.UNKNOWN, f"`{value}` has a wildcard but a fixed account; AWS's wording calls "
                                            "any wildcard public")
    if key == "aws:principalorgpaths" and re.match(r"^o-[a-z0-9]+/", value):
        return Restriction(Tri.UNKNOWN, f"`{value}` has a wildcard but a fixed organization; AWS's wording calls "
                                        "any wildcard public")
    return Restriction(Tri.FALSE, f"`{value}` has a wildcard")


def clause_restricts(clause: Any, *, policy_kind: str = "bucket", variables: bool = True) -> Restriction:
    """Whether one condition clause limits a grant to fixed values of a non-public key.

    Only positive, exact-match operators restrict (StringEquals*, StringLike, Arn*, IpAddress, and
    ForAnyValue: forms of them). Negated operators do not: they admit everything but the listed values.
    ``...IfExists`` and ``ForAllValues:`` also admit a request without the key (an anonymous caller
    from the internet carries no aws:SourceVpce), but AWS does not document how it reads them: UNKNOWN.
    """
    key = clause.key.lower()
    if key not in NON_PUBLIC_KEYS:
        return Restriction(Tri.FALSE)
    set_op, base, if_exists = _split_operator(clause.operator)
    style = _POSITIVE.get(base)
    if style is None or (set_op is not None and set_op not in ("foranyvalue", "forallvalues")):
        return Restriction(Tri.FALSE)
    name = NON_PUBLIC_KEYS[key]
    if style == "ip" and key != "aws:sourceip":
        return Restriction(Tri.UNKNOWN, f"`{clause.operator}` on `{name}` compares an IP range with a non-IP key")
    values = tuple(clause.values)
    if not values:
        return Restriction(Tri.FALSE)
    if set_op == "forallvalues":
        return Restriction(Tri.UNKNOWN, f"`{clause.operator}` on `{name}` also matches a request without the key")
    if if_exists:
        return Restriction(Tri.UNKNOWN, f"`{clause.operator}` on `{name}` also matches a request without the key")
    findings = []
    for v in values:
        if key == "aws:sourceip" and "${" not in v:
            f = _cidr_width(v) if style == "ip" else Restriction(
                Tri.UNKNOWN, f"`{clause.operator}` compares aws:SourceIp as a string")
        else:
            f = _value_fixed(key, v, style, policy_kind, variables)
        findings.append(f)
    bad = [f for f in findings if f.tri is Tri.FALSE]
    if bad:
        return Restriction(Tri.FALSE, f"`{name}` is not fixed: " + "; ".join(f.text for f in bad))
    unsure = [f for f in findings if f.tri is Tri.UNKNOWN]
    if unsure:
        return Restriction(Tri.UNKNOWN, f"`{name}`: " + "; ".join(f.text for f in unsure))
    return Restriction(Tri.TRUE, f"`{clause.operator}` `{name}` = {', '.join(f'`{v}`' for v in values)}")


def _audience(st: Statement) -> tuple[str | None, Tri]:
    """Who a statement's principal admits, as a phrase, when that includes the public (else None).

    TRUE: the public; UNKNOWN: possibly (AWS does not document the case).
    """
    if st.principals is None:
        return None, Tri.FALSE  # identity-style statement: no principal element to be public
    if st.not_principal:
        return "everyone not named in `NotPrincipal`", Tri.TRUE
    found: list[tuple[str, Tri]] = []
    for e in st.principals:
        if e.is_everyone:
            found.append(("`*`" if e.kind == "*" else "`{\"AWS\": \"*\"}`", Tri.TRUE))
        elif e.pattern is not None or e.value == "*":
            found.append((f"`{e.value}` (a wildcard {e.kind} principal)", Tri.TRUE))
        elif e.kind == "Federated":
            # BPA_DOC's first example of a public policy: {"Federated": "graph.facebook.com"}.
            found.append((f"federated identities of `{e.value}`", Tri.TRUE))
        elif e.kind == "CanonicalUser" and e.value == ANONYMOUS_CANONICAL_ID:
            found.append(("the anonymous canonical user", Tri.UNKNOWN))
    if not found:
        return None, Tri.FALSE
    best = Tri.TRUE if any(t is Tri.TRUE for _, t in found) else Tri.UNKNOWN
    return ", ".join(text for text, t in found if t is best), best


def _actions_text(st: Statement) -> str:
    entries = ", ".join(st.actions.entries)
    return f"everything but {entries}" if st.actions.negated else entries


def _statement_verdict(st: Statement, policy_kind: str, variables: bool) -> tuple[Tri, str]:
    """(public?, one-sentence reason) for one Allow statement."""
    who, tri = _audience(st)
    if who is None:
        return Tri.FALSE, ""
    findings = [clause_restricts(c, policy_kind=policy_kind, variables=variables) for c in st.conditions.clauses]
    restricting = [f for f in findings if f.tri is Tri.TRUE]
    if restricting:
        return Tri.FALSE, (f"statement `{st.label}` grants {_actions_text(st)} to {who} only under the "
                           f"fixed-value condition {restricting[0].text}")
    unsure = [f for f in findings if f.tri is Tri.UNKNOWN]
    if unsure:
        return Tri.UNKNOWN, (f"statement `{st.label}` grants {_actions_text(st)} to {who}, and AWS's rules do "
                             f"not settle whether its condition keeps it non-public: {unsure[0].text}")
    why = "with no fixed-value condition"
    notes = [f.text for f in findings if f.text]
    if notes:
        why = f"with no fixed-value condition ({notes[0]})"
    unknown = next((c for c in st.conditions.clauses if isinstance(c, UnknownPart)), None)
    if unknown is not None:  # the statement may not be what it seems: it holds a part known only at deploy time
        return Tri.UNKNOWN, f"statement `{st.label}` may grant {_actions_text(st)} to {who}: {unknown.reason}"
    if tri is Tri.UNKNOWN:
        return Tri.UNKNOWN, f"statement `{st.label}` grants {_actions_text(st)} to {who} {why}"
    return Tri.TRUE, f"statement `{st.label}` grants {_actions_text(st)} to {who} {why}"


def _restricting_deny(st: Statement, policy_kind: str, variables: bool) -> str | None:
    """If a Deny refuses everyone outside fixed values of a non-public key, the text saying so.

    Such a Deny (for example `NotIpAddress aws:SourceIp 203.0.113.0/24`) narrows what an Allow to `*`
    really grants; AWS's page does not say whether its public check reads Deny statements, so an Allow
    it covers becomes "cannot tell" rather than "public".
    """
    if st.effect != "Deny" or st.not_principal or not st.principals:
        return None
    if not any(e.is_everyone for e in st.principals) or not st.conditions.clauses:
        return None
    texts = []
    for c in st.conditions.clauses:
        set_op, base, if_exists = _split_operator(c.operator)
        twin = _NEGATED_TWIN.get(base)
        if twin is None or set_op is not None:
            return None
        f = clause_restricts(ClauseSpec(twin, c.key, tuple(c.values)), policy_kind=policy_kind, variables=variables)
        if f.tri is not Tri.TRUE:
            return None
        texts.append(f"`{c.operator}` `{NON_PUBLIC_KEYS[c.key.lower()]}`")
    return f"statement `{st.label}` denies every request outside fixed values ({', '.join(texts)})"


def _s3_actions(st: Statement) -> frozenset[str]:
    return st.actions.actions(universe().service_actions("s3"))


def statement_verdicts(policy: Policy) -> list[tuple[Statement, Tri, str]]:
    """Every Allow statement of a policy with its public verdict and reason (Deny statements omitted)."""
    kind = policy.doc.kind
    variables = policy.version == "2012-10-17"
    denies = [(d, _s3_actions(d), text) for d in policy.statements
              for text in [_restricting_deny(d, kind, variables)] if text]
    out = []
    for st in policy.statements:
        if st.effect != "Allow":
            continue
        tri, reason = _statement_verdict(st, kind, variables)
        if tri is Tri.TRUE and denies:
            granted = _s3_actions(st)
            for d, denied, text in denies:
                if granted and granted <= denied:
                    tri = Tri.UNKNOWN
                    reason = f"{reason}, but {text}, so AWS may judge it non-public"
                    break
        out.append((st, tri, reason))
    return out


def policy_public(policy: Policy | None | Any, owner_account: str) -> PublicVerdict:
    """Whether a bucket or access point policy is public by AWS's definition (BPA_DOC).

    AWS "begins by assuming that the policy is public" and clears it only if every grant is limited to
    fixed principals or fixed values of the non-public condition keys. Per Allow statement: a principal
    of ``*``, ``{"AWS": "*"}``, a federated identity provider, or ``NotPrincipal`` is public unless one
    condition clause restricts it (``clause_restricts``). ``owner_account`` only shapes the reasons of
    a non-public verdict (which fixed principals are other accounts).
    """
    if policy is None:
        return PublicVerdict(False, reasons=("there is no policy",))
    if policy is UNKNOWN:
        return PublicVerdict(None, reasons=("the policy could not be read, so it may be public",))
    verdicts = statement_verdicts(policy)
    flagged = [(st, tri, r) for st, tri, r in verdicts if tri is not Tri.FALSE]
    if flagged:
        public: bool | None = True if any(t is Tri.TRUE for _, t, _ in flagged) else None
        return PublicVerdict(public, tuple(st for st, _, _ in flagged), (), tuple(r for _, _, r in flagged))
    reasons = [r for _, _, r in verdicts if r]
    others = sorted({e.account for st, _, _ in verdicts for e in (st.principals or ())
                     if e.account and e.account != owner_account})
    services = sorted({e.value for st, _, _ in verdicts for e in (st.principals or ()) if e.kind == "Service"})
    summary = "every Allow statement names fixed principals or is limited by a fixed-value condition"
    if others:
        summary += f"; other accounts named: {', '.join(others)}"
    if services:
        summary += f"; services named: {', '.join(services)}"
    return PublicVerdict(False, (), (), tuple(reasons) + (summary,))


def access_point_public(access_point: AccessPoint, compiled_policy: Policy | None) -> PublicVerdict:
    """An access point's policy, public by AWS's access point rules (BPA_DOC, "Access points").

    "An access point that has a VPC network origin is always considered non-public, regardless of the
    contents of its access point policy."
    """
    origin = access_point.network_origin
    if origin is not None and str(origin).upper() == "VPC":
        return PublicVerdict(False, reasons=(f"access point `{access_point.name}` has a VPC network origin, "
                                             "which AWS always considers non-public",))
    if access_point.policy is UNKNOWN:
        return PublicVerdict(None, reasons=(f"the policy of access point `{access_point.name}` could not be read",))
    if access_point.policy is not None and compiled_policy is None:
        return PublicVerdict(None, reasons=(f"the policy of access point `{access_point.name}` was not compiled",))
    v = policy_public(compiled_policy, access_point.account)
    if origin is None and v.public is not False:
        return PublicVerdict(v.public, v.statements, v.grants,
                             v.reasons + ("the access point's network origin is not recorded",))
    return v


def acl_public(acl: Acl | None | Any, acls_enabled: bool | Any) -> PublicVerdict:
    """Whether a bucket ACL is public: it "grants any permissions to members of the predefined AllUsers or
    AuthenticatedUsers groups" (BPA_DOC). Ignored when ACLs are disabled (Object Ownership
    BucketOwnerEnforced: "ACLs no longer affect permissions", OWNERSHIP_DOC).

    A grant to the anonymous canonical user reaches anonymous callers too; AWS's definition does not
    name it, so it makes the verdict None rather than True.
    """
    if acl is None:
        return PublicVerdict(False, reasons=("there is no ACL",))
    if acl is UNKNOWN:
        if acls_enabled is not UNKNOWN and not acls_enabled:
            return PublicVerdict(False, reasons=("the ACL could not be read, but ACLs are disabled "
                                                 "(BucketOwnerEnforced), so it grants nothing",))
        return PublicVerdict(None, reasons=("the ACL could not be read, so it may grant public access",))
    public = [(g, grant_audience(g)) for g in acl.grants]
    public = [(g, a) for g, a in public if a is not None]
    if not public:
        return PublicVerdict(False, reasons=("no grant names AllUsers, AuthenticatedUsers or the anonymous user",))
    texts = tuple(f"the ACL grants {g.permission} to {_AUDIENCE_TEXT[a]} ({_AUDIENCE_MEANS[a]})" for g, a in public)
    if acls_enabled is UNKNOWN:
        return PublicVerdict(None, tuple(), tuple(g for g, _ in public),
                             tuple(t + ", and whether ACLs are enabled (Object Ownership) is unknown" for t in texts))
    if not acls_enabled:
        return PublicVerdict(False, reasons=tuple(t + ", but ACLs are disabled (BucketOwnerEnforced), so it no "
                                                  "longer affects permissions" for t in texts))
    verdict = True if any(a != "anonymous" for _, a in public) else None
    return PublicVerdict(verdict, (), tuple(g for g, _ in public), texts)


# ------------------------------------------------------------------------- a bucket, all together

def _could_match_prefix(pattern: Any, prefix: str) -> bool:
    """Whether a Resource pattern can match some ARN that starts with ``prefix`` and goes on (an object
    of a bucket, for ``arn:aws:s3:::bucket/``): a small NFA walk of the pattern over the prefix."""
    if pattern.has_variables:
        return True  # unknown until the request: it may match
    parts = pattern.parts
    segmented = pattern.arn and sum(p[1].count(":") for p in parts if p[0] == "lit") >= 5

    def closure(states):
        out, todo = set(), list(states)
        while todo:
            i, off = todo.pop()
            if (i, off) in out:
                continue
            out.add((i, off))
            if i < len(parts) and parts[i][0] == "star":
                todo.append((i + 1, 0))  # a star may match nothing
        return out

    states = closure({(0, 0)})
    colons = 0
    for ch in prefix:
        nxt = set()
        for i, off in states:
            if i >= len(parts):
                continue
            p = parts[i]
            if p[0] == "star":
                if not (segmented and ch == ":" and colons < 5):  # in ARN segments 1-5 `*` stops at `:`
                    nxt.add((i, 0))
            elif p[0] == "one":
                if not (segmented and ch == ":" and colons < 5):
                    nxt.add((i + 1, 0))
            elif p[1][off] == ch:
                nxt.add((i + 1, 0) if off + 1 == len(p[1]) else (i, off + 1))
        states = closure(nxt)
        if ch == ":":
            colons += 1
        if not states:
            return False
    return any(i < len(parts) for i, _ in states)  # something must remain to match the key


def _statement_applies(st: Statement, bucket: str) -> tuple[bool, bool]:
    """(applies to the bucket resource, applies to some object of the bucket)."""
    bucket_arn = f"arn:aws:s3:::{bucket}"
    if st.resources is None:
        return True, True
    on_bucket = any(p.matches(bucket_arn) is not Tri.FALSE for p in st.resources)
    on_objects = any(_could_match_prefix(p, bucket_arn + "/") for p in st.resources)
    if not st.not_resource:
        return on_bucket, on_objects
    # NotResource: excluded only where a pattern certainly covers the whole resource type.
    all_objects = any(p.text == "*" or (p.text.endswith("*") and not p.has_variables
                                        and "*" not in p.text[:-1] and "?" not in p.text[:-1]
                                        and (bucket_arn + "/").startswith(p.text[:-1])) for p in st.resources)
    return not on_bucket, not all_objects


def statement_levels(st: Statement, bucket: str) -> dict[str, frozenset[str]]:
    """The access levels (with their folded actions) a statement grants on a bucket and its objects."""
    u = universe()
    on_bucket, on_objects = _statement_applies(st, bucket)
    out: dict[str, set[str]] = {}
    for a in _s3_actions(st):
        info = u.get(a)
        kinds = set(info.resources) if info else set()
        if ("bucket" in kinds and on_bucket) or ("object" in kinds and on_objects):
            out.setdefault(info.level, set()).add(a)
    return {k: frozenset(v) for k, v in out.items()}


def _levels_of_actions(actions: Iterable[str]) -> dict[str, set[str]]:
    u = universe()
    out: dict[str, set[str]] = {}
    for a in actions:
        info = u.get(a)
        if info is not None:
            out.setdefault(info.level, set()).add(a)
    return out


class _Level:
    def __init__(self, name: str):
        self.name = name
        self.tri = Tri.FALSE
        self.statements: list[Statement] = []
        self.grants: list[Grant] = []
        self.reasons: list[str] = []

    def add(self, tri: Tri, reason: str, statement: Statement | None = None, grant: Grant | None = None):
        self.tri = self.tri | tri
        if statement is not None and tri is not Tri.FALSE and statement not in self.statements:
            self.statements.append(statement)
        if grant is not None and tri is not Tri.FALSE and grant not in self.grants:
            self.grants.append(grant)
        if reason not in self.reasons:
            self.reasons.append(reason)

    def verdict(self) -> PublicVerdict:
        public = True if self.tri is Tri.TRUE else (None if self.tri is Tri.UNKNOWN else False)
        reasons = self.reasons or [f"nothing grants {self.name} access to the public"]
        return PublicVerdict(public, tuple(self.statements), tuple(self.grants), tuple(reasons))


def _acts(actions: Iterable[str], limit: int = 4) -> str:
    u = universe()
    names = sorted(u.get(a).name if u.get(a) else a for a in actions)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def bucket_public(bucket: Bucket, account_block: Any, compiled_policy: Policy | None) -> dict[str, PublicVerdict]:
    """Per access level (list, read, write, permissions, tagging, any): can the public (anonymous callers
    or any AWS account) reach this bucket, once Block Public Access and Object Ownership are applied?

    - A public policy statement counts unless RestrictPublicBuckets is in force (account or bucket
      level), which limits a public policy to "AWS service principals and authorized users within the
      bucket owner's account" (BPA_DOC).
    - A public bucket ACL grant counts unless ACLs are disabled (BucketOwnerEnforced) or
      IgnorePublicAcls is in force. BlockPublicAcls and BlockPublicPolicy only reject PUT calls and
      neutralise nothing already in place.
    - Object ACLs are not in the snapshot: while ACLs are enabled and IgnorePublicAcls is off, an object
      may carry a public ACL, so read and permissions access are "cannot tell" unless something public
      already grants them.
    """
    block = effective_block(account_block, bucket.public_access_block)
    levels = {name: _Level(name) for name in LEVELS}

    def add(level_names: Iterable[str], tri: Tri, reason: str, statement=None, grant=None):
        for name in set(level_names) | {"any"}:
            levels[name].add(tri, reason, statement, grant)

    # --- the bucket policy
    restrict = block.restrict_public_buckets
    if bucket.policy is UNKNOWN:
        if restrict is Tri.TRUE:
            # Whatever the policy says: a public policy is cut to the owner's account and AWS services, and a
            # non-public one grants the public nothing by definition.
            add(ACCESS_LEVELS, Tri.FALSE, f"the bucket policy of `{bucket.name}` could not be read, but "
                                          f"RestrictPublicBuckets ({block.source('restrict_public_buckets')}) keeps "
                                          "any public policy from granting the public access")
        else:
            add(ACCESS_LEVELS, Tri.UNKNOWN, f"the bucket policy of `{bucket.name}` could not be read, so it may "
                                            "grant public access")
    elif bucket.policy is not None and compiled_policy is None:
        add(ACCESS_LEVELS, Tri.UNKNOWN, f"the bucket policy of `{bucket.name}` was not compiled, so it may "
                                        "grant public access")
    elif compiled_policy is not None:
        verdicts = statement_verdicts(compiled_policy)
        # RestrictPublicBuckets acts on a whole policy once AWS judges it public: one public statement
        # cuts the undecided ones too. While the policy's verdict is undecided, so is the cut.
        policy_is_public = any(tri is Tri.TRUE for _, tri, _ in verdicts)
        where = block.source("restrict_public_buckets")
        for st, tri, reason in verdicts:
            if tri is Tri.FALSE:
                continue
            granted = statement_levels(st, bucket.name)
            if not granted:
                continue
            names = list(granted)
            if restrict is Tri.TRUE and policy_is_public:
                add(names, Tri.FALSE, f"{reason}; neutralised by RestrictPublicBuckets ({where}), which limits "
                                      "a public policy to AWS services and the bucket owner's account")
                continue
            if restrict is Tri.TRUE:
                note = (f"RestrictPublicBuckets ({where}) cuts it only if AWS judges the policy public, which "
                        "is undecided")
            elif restrict is Tri.UNKNOWN:
                note = "whether RestrictPublicBuckets neutralises it is unknown"
            else:
                note = ""
            level_tri = tri if restrict is Tri.FALSE else tri & Tri.UNKNOWN
            for name, actions in granted.items():
                add([name], level_tri, f"{reason}, which gives {name} access: {_acts(actions)}"
                    + (f"; {note}" if note else ""), statement=st)

    # --- the bucket ACL
    enabled = bucket.acls_enabled
    ignore = block.ignore_public_acls
    if bucket.acl is UNKNOWN:
        if enabled is UNKNOWN or enabled:
            add(("list", "read", "write", "permissions"), Tri.UNKNOWN,
                f"the ACL of `{bucket.name}` could not be read, so it may grant public access")
    elif bucket.acl is not None:
        for g in bucket.acl.grants:
            audience = grant_audience(g)
            if audience is None:
                continue
            granted = _levels_of_actions(acl_permission_actions(g.permission))
            text = f"the bucket ACL grants {g.permission} to {_AUDIENCE_TEXT[audience]} ({_AUDIENCE_MEANS[audience]})"
            if enabled is not UNKNOWN and not enabled:
                add(granted, Tri.FALSE, f"{text}, but ACLs are disabled (Object Ownership BucketOwnerEnforced), "
                                        "so it no longer affects permissions")
                continue
            tri = Tri.TRUE if audience != "anonymous" else Tri.UNKNOWN
            notes = []
            if ignore is Tri.TRUE:
                if audience != "anonymous":
                    add(granted, Tri.FALSE, f"public ACL grant of {g.permission} to {_AUDIENCE_TEXT[audience]} "
                                            f"neutralised by IgnorePublicAcls ({block.source('ignore_public_acls')})")
                    continue
                notes.append("AWS does not say whether IgnorePublicAcls covers the anonymous canonical user")
            elif ignore is Tri.UNKNOWN:
                tri = tri & Tri.UNKNOWN
                notes.append("whether IgnorePublicAcls neutralises it is unknown")
            if enabled is UNKNOWN:
                tri = tri & Tri.UNKNOWN
                notes.append("whether ACLs are enabled (Object Ownership) is unknown")
            for name, actions in granted.items():
                add([name], tri, f"{text}, which gives {name} access: {_acts(actions)}"
                    + (f"; {'; '.join(notes)}" if notes else ""), grant=g)

    # --- object ACLs, which no snapshot records
    if (enabled is UNKNOWN or enabled) and ignore is not Tri.TRUE:
        granted = _levels_of_actions(_ACL_OBJECT["FULL_CONTROL"])
        for name in granted:
            if levels[name].tri is Tri.FALSE:
                levels[name].add(Tri.UNKNOWN, "object ACLs are not recorded and, with ACLs enabled and "
                                              "IgnorePublicAcls off, an object may carry a public ACL")
        if levels["any"].tri is Tri.FALSE:
            levels["any"].add(Tri.UNKNOWN, "object ACLs are not recorded and may be public")

    return {name: lvl.verdict() for name, lvl in levels.items()}


def restrict_public_buckets_in_force(bucket: Bucket, account_block: Any, compiled_policy: Policy | None) -> Tri:
    """Whether RestrictPublicBuckets cuts this bucket's policy down to AWS services and the owner's
    account: TRUE when the setting is on and the policy is public, UNKNOWN when either is unsure."""
    block = effective_block(account_block, bucket.public_access_block)
    if block.restrict_public_buckets is Tri.FALSE or bucket.policy is None:
        return Tri.FALSE
    if bucket.policy is UNKNOWN or compiled_policy is None:
        return block.restrict_public_buckets & Tri.UNKNOWN
    return block.restrict_public_buckets & policy_public(compiled_policy, bucket.account).tri


def recorded_policy_status(bucket: Bucket | AccessPoint | Any) -> bool | None:
    """AWS's own ``IsPublic`` verdict where the snapshot recorded GetBucketPolicyStatus, else None."""
    status = getattr(bucket, "policy_status", bucket)
    if status is UNKNOWN or not isinstance(status, Mapping):
        return None
    inner = status.get("PolicyStatus", status)
    if isinstance(inner, Mapping) and isinstance(inner.get("IsPublic"), bool):
        return inner["IsPublic"]
    return None
