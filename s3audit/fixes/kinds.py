"""The changes a rule's ``fix`` clause can name, as JSON Patches of the snapshot document.

Each function takes the estate (the document, its snapshot, the access graph when needed) and one
evaluated ``FixCall`` (its arguments; its ``target``: the bucket, account, access point, statement or path
the finding is about) and returns a ``Change``, or raises ``NoChange`` with the reason there is none (a Deny
statement, which removing would open; a route that rests on nothing removable). The change is not proved
here: ``suggest.py`` proves it with the engine.

Values follow AWS's API shapes (docs/snapshot-format.md): ``PublicAccessBlock`` as
``PutPublicAccessBlock`` takes it, ``Versioning`` as ``GetBucketVersioning`` returns it, and so on. Setting a
bucket value also drops the bucket's ``Errors`` entry for it: what the change sets is known.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from ..snapshot import patch

_DAY = 86400
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
# API names in a bucket's Errors by the value they make unknown (snapshot/load.py reads them the other way)
_ERRORS_OF = {"PublicAccessBlock": ("GetPublicAccessBlock", "GetBucketPublicAccessBlock"),
              "Versioning": ("GetBucketVersioning",), "Encryption": ("GetBucketEncryption",),
              "OwnershipControls": ("GetBucketOwnershipControls",), "Logging": ("GetBucketLogging",),
              "Lifecycle": ("GetBucketLifecycleConfiguration", "GetBucketLifecycle"),
              "ObjectLock": ("GetObjectLockConfiguration",), "Replication": ("GetBucketReplication",),
              "Policy": ("GetBucketPolicy",)}


class NoChange(Exception):
    """This kind of change cannot fix this finding; the message says why."""


@dataclass
class Change:
    kind: str  # the fix kind
    action: str  # remove | narrow | add | set
    description: str
    patch: list[dict]
    pointer: str  # where in the snapshot the change is made (the value, statement or grant)
    statement: dict | None = None  # the narrowed or added statement
    removes: list = field(default_factory=list)  # grants taken out (graph.grants.Grant)
    intended: set = field(default_factory=set)  # (principal, bucket, level) the change takes away on purpose
    graph_after: Any = field(default=None, repr=False)  # the estate rebuilt with the change, when made already

    def key(self) -> str:
        return json.dumps(self.patch, sort_keys=True)


@dataclass
class Estate:
    document: Any
    snapshot: Any
    _graph: Any = None

    @property
    def graph(self):
        if self._graph is None:
            from ..graph.build import build_graph
            self._graph = build_graph(self.snapshot)
        return self._graph


KINDS: dict[str, Callable[[Estate, Any], Change]] = {}


def kind(name: str):
    def register(fn):
        KINDS[name] = fn
        return fn
    return register


def make(estate: Estate, call) -> Change:
    fn = KINDS.get(call.kind)
    if fn is None:
        raise NoChange(f"s3audit does not know how to make a `{call.kind}` change")
    return fn(estate, call)


# ---- helpers ----

def _bucket_value(estate: Estate, bucket_ptr: str, key: str, fn: Callable[[Any], Any]) -> list[dict]:
    """Ops that set a bucket's value (``fn(old) -> new``) and drop its Errors entries."""
    changes = {f"{bucket_ptr}/{key}": lambda old: fn(None if old is patch._MISSING else old)}
    errors = patch.get(estate.document, bucket_ptr).get("Errors") or {}
    for api in _ERRORS_OF.get(key, ()):
        if api in errors:
            changes[f"{bucket_ptr}/Errors/{api}"] = lambda old: patch.REMOVE
    return patch.edit(estate.document, changes)


def _bucket_named(call) -> str:
    """The bucket a finding (about a bucket, or a path to one) is about."""
    t = call.target
    if t.get("kind") == "path":
        return t["bucket"]
    if t.get("kind") == "bucket":
        return t["name"]
    raise NoChange("the finding is about neither a bucket nor a path to one")


def _bucket(estate: Estate, call) -> tuple[str, dict]:
    """(pointer, document) of the bucket a finding is about."""
    _bucket_named(call)
    ptr = call.target["pointer"]
    return ptr, patch.get(estate.document, ptr)


def _policy_with(estate: Estate, policy_ptr: str, statement: dict) -> list[dict]:
    """Ops that add a statement to the policy at ``policy_ptr`` (making the policy if there is none)."""
    try:
        current = patch.get(estate.document, policy_ptr)
    except patch.PatchError:
        current = None
    body = patch.decode_text(current) if current is not None else None
    if isinstance(body, dict) and isinstance(body.get("Statement"), list) and not isinstance(current, str):
        sids = {s.get("Sid") for s in body["Statement"] if isinstance(s, dict)}
        statement = _unique_sid(statement, sids)
        return [{"op": "add", "path": f"{policy_ptr}/Statement/-", "value": statement}]

    def build(old):
        doc = patch.decode_text(old) if old is not None else None
        if not isinstance(doc, dict):
            return {"Version": "2012-10-17", "Statement": [statement]}
        stmts = doc.get("Statement")
        stmts = list(stmts) if isinstance(stmts, list) else ([stmts] if stmts else [])
        sids = {s.get("Sid") for s in stmts if isinstance(s, dict)}
        new = {**doc, "Statement": stmts + [_unique_sid(statement, sids)]}
        return json.dumps(new) if isinstance(old, str) else new
    return patch.edit(estate.document, {policy_ptr: lambda old: build(None if old is patch._MISSING else old)})


def _unique_sid(statement: dict, taken: set) -> dict:
    sid, n = statement.get("Sid"), 2
    while sid in taken:
        sid = f"{statement['Sid']}{n}"
        n += 1
    return {**statement, "Sid": sid} if sid else statement


def _statement(estate: Estate, call) -> tuple[str, dict]:
    t = call.target
    if t.get("kind") != "statement":
        raise NoChange("the finding is not about a statement")
    if t.get("shipped"):
        raise NoChange("the statement is AWS's own text (a shipped AWS managed policy): detach the policy instead")
    return t["pointer"], patch.resolve(estate.document, t["pointer"])


def _replace_statement(estate: Estate, ptr: str, new: dict) -> list[dict]:
    return patch.edit(estate.document, {ptr: lambda old: new})


def _days(duration) -> int:
    return max(1, math.floor(int(duration) / _DAY))


# ---- remove ----

@kind("remove_grants")
def remove_grants(estate: Estate, call) -> Change:
    from ..graph.kinds import ANONYMOUS, AUTHENTICATED
    from ..graph.cut import smallest_cut
    from ..graph.paths import select_principals
    t = call.target
    bucket = _bucket_named(call)
    start_kind = call.args.get("from", "path")
    g = estate.graph
    if start_kind == "path":
        if t.get("kind") != "path":
            raise NoChange("the finding has no path to start from")
        start = {t["start"]}
    elif start_kind == "public":
        start = {ANONYMOUS, AUTHENTICATED}
    else:
        start = select_principals(g, start_kind)
    levels = tuple(call.args.get("access") or ())
    access: Any = levels if levels else (t.get("access") or "any")
    if isinstance(access, tuple) and "any" in access:
        access = "any"
    hop = call.args.get("first_hop", "any")
    result = smallest_cut(estate.document, estate.snapshot, bucket, access, start=start, graph=g,
                          first_hop=None if hop == "any" else hop)
    if result.uncuttable:
        raise NoChange("a route rests on nothing removable (the account root, or a policy the snapshot could not "
                       f"read): {', '.join(result.uncuttable)}")
    if not result.cut:
        raise NoChange("no route to close")
    from ..graph.cut import levels_of
    names = "; ".join(g_.label() for g_ in result.cut)
    what = f"the {len(result.cut)} grants" if len(result.cut) > 1 else "the grant"
    return Change("remove_grants", "remove", f"remove {what} that open{'s' if len(result.cut) == 1 else ''} "
                  f"every route of {', '.join(sorted(result.start))} to {bucket}: {names}",
                  result.patch, result.cut[0].pointer, removes=result.cut,
                  intended={(p, bucket, lv) for p in start for lv in levels_of(access)},
                  graph_after=result.graph_after)


@kind("remove_statement")
def remove_statement(estate: Estate, call) -> Change:
    ptr, st = _statement(estate, call)
    if not isinstance(st, dict) or st.get("Effect") != "Allow":
        raise NoChange("the statement is not an Allow statement: removing a Deny would open access")
    t = call.target
    return Change("remove_statement", "remove", f"remove statement {t.get('label')} of the {t.get('source')}",
                  patch.removal(estate.document, [ptr]), ptr)


# ---- narrow ----

@kind("add_condition")
def add_condition(estate: Estate, call) -> Change:
    ptr, st = _statement(estate, call)
    op, key, value = call.args["operator"], call.args["key"], call.args["value"]
    cond = {k: dict(v) for k, v in (st.get("Condition") or {}).items()}
    cond.setdefault(op, {})[key] = value
    new = {**st, "Condition": cond}
    t = call.target
    return Change("add_condition", "narrow", f"narrow statement {t.get('label')} of the {t.get('source')} with "
                  f"the condition {op} {key} = {value}", _replace_statement(estate, ptr, new), ptr, statement=new)


@kind("restrict_to_organization")
def restrict_to_organization(estate: Estate, call) -> Change:
    org = estate.snapshot.organization
    if org is None or not org.id:
        raise NoChange("the snapshot names no organization id to restrict the statement to")
    ptr, st = _statement(estate, call)
    cond = {k: dict(v) for k, v in (st.get("Condition") or {}).items()}
    cond.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = org.id
    new = {**st, "Condition": cond}
    t = call.target
    return Change("restrict_to_organization", "narrow", f"narrow statement {t.get('label')} of the "
                  f"{t.get('source')} to principals of organization {org.id}", _replace_statement(estate, ptr, new),
                  ptr, statement=new)


@kind("drop_unknown_actions")
def drop_unknown_actions(estate: Estate, call) -> Change:
    from ..iam.actions import universe
    ptr, st = _statement(estate, call)
    key = "Action" if "Action" in st else "NotAction"
    values = st.get(key)
    values = values if isinstance(values, list) else [values]
    u = universe()

    def known(v) -> bool:
        if not isinstance(v, str) or v == "*" or ":" not in v:
            return True
        service = v.split(":", 1)[0].lower()
        return bool(u.expand(v)) or (service not in u.services() and "*" not in service)

    kept = [v for v in values if known(v)]
    t = call.target
    if not kept:
        if st.get("Effect") != "Allow":
            raise NoChange("every action of the Deny statement is unknown; removing it would open nothing but "
                           "is no narrowing")
        return Change("drop_unknown_actions", "remove", f"remove statement {t.get('label')} of the "
                      f"{t.get('source')}: none of its actions exists", patch.removal(estate.document, [ptr]), ptr)
    new = {**st, key: kept if len(kept) > 1 else kept[0]}
    dropped = ", ".join(str(v) for v in values if v not in kept)
    return Change("drop_unknown_actions", "narrow", f"narrow statement {t.get('label')} of the {t.get('source')} "
                  f"to the actions that exist (drop {dropped})", _replace_statement(estate, ptr, new), ptr,
                  statement=new)


# ---- add ----

@kind("deny_insecure_transport")
def deny_insecure_transport(estate: Estate, call) -> Change:
    ptr, b = _bucket(estate, call)
    arn = f"arn:aws:s3:::{b['Name']}"
    st = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
          "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    return Change("deny_insecure_transport", "add", f"add a statement to the bucket policy of {b['Name']} that "
                  "denies every request without TLS", _policy_with(estate, f"{ptr}/Policy", st), f"{ptr}/Policy",
                  statement=st)


@kind("deny_other_accounts")
def deny_other_accounts(estate: Estate, call) -> Change:
    ptr, b = _bucket(estate, call)
    owner = call.target.get("account")
    arn = f"arn:aws:s3:::{b['Name']}"
    accounts, arns = [owner], []
    for x in sorted(call.args.get("trusted") or ()):
        if len(x) == 12 and x.isdigit():
            accounts.append(x)
        elif x.startswith("arn:") and x.endswith(":root") and "*" not in x:
            accounts.append(x.split(":")[4])
        else:
            arns.append(x)
    cond: dict = {"StringNotEquals": {"aws:PrincipalAccount": accounts if len(accounts) > 1 else accounts[0]}}
    if arns:
        cond["ArnNotLike"] = {"aws:PrincipalArn": arns}
    actions = list(call.args["actions"])
    st = {"Sid": "DenyOtherAccounts", "Effect": "Deny", "Principal": "*", "Action": actions,
          "Resource": [arn, f"{arn}/*"], "Condition": cond}
    return Change("deny_other_accounts", "add", f"add a statement to the bucket policy of {b['Name']} that denies "
                  f"{', '.join(actions)} to principals outside account {owner}"
                  + (" and the trusted accounts" if len(accounts) > 1 or arns else ""),
                  _policy_with(estate, f"{ptr}/Policy", st), f"{ptr}/Policy", statement=st)


@kind("lifecycle_rule")
def lifecycle_rule(estate: Estate, call) -> Change:
    ptr, b = _bucket(estate, call)
    longest = _days(call.args["expiration"]) if "expiration" in call.args else None
    shortest = _days(call.args["minimum"]) if "minimum" in call.args else None
    if longest is not None and shortest is not None and shortest > longest:
        raise NoChange(f"the shortest retention ({shortest} days) is longer than the longest ({longest} days)")
    rule: dict = {"ID": "s3audit-lifecycle", "Status": "Enabled", "Filter": {}}
    said = []
    if longest is not None:
        rule["Expiration"] = {"Days": longest}
    if "noncurrent_expiration" in call.args:
        rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": _days(call.args["noncurrent_expiration"])}
    if len(rule) == 3:  # an enabled rule that deletes no data
        rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": 7}

    def within(r: dict) -> dict:
        """An existing rule with its expiration brought within the bounds."""
        days = (r.get("Expiration") or {}).get("Days")
        if r.get("Status") != "Enabled" or not isinstance(days, int):
            return r
        new = days
        if shortest is not None and new < shortest:
            new = shortest
        if longest is not None and new > longest:
            new = longest
        if new == days:
            return r
        said.append(f"rule {r.get('ID') or '(unnamed)'} to expire after {new} days instead of {days}")
        return {**r, "Expiration": {**r["Expiration"], "Days": new}}

    def change(old):
        rules = [within(r) if isinstance(r, dict) else r for r in (old or {}).get("Rules") or []]
        whole = [r for r in rules if isinstance(r, dict) and r.get("Status") == "Enabled" and _whole_bucket(r)]
        if longest is None and "noncurrent_expiration" not in call.args and rules and any(
                isinstance(r, dict) and r.get("Status") == "Enabled" for r in rules):
            return {**(old or {}), "Rules": rules}
        if longest is not None and "noncurrent_expiration" not in call.args and any(
                isinstance((r.get("Expiration") or {}).get("Days"), int) for r in whole):
            return {**(old or {}), "Rules": rules}
        ids = {r.get("ID") for r in rules if isinstance(r, dict)}
        new, n = dict(rule), 2
        while new["ID"] in ids:
            new["ID"] = f"{rule['ID']}-{n}"
            n += 1
        parts = []
        if "Expiration" in new:
            parts.append(f"expires objects after {new['Expiration']['Days']} days")
        if "NoncurrentVersionExpiration" in new:
            parts.append(f"noncurrent versions after {new['NoncurrentVersionExpiration']['NoncurrentDays']} days")
        if "AbortIncompleteMultipartUpload" in new:
            parts.append("aborts incomplete multipart uploads after 7 days")
        said.insert(0, "add a rule that " + " and ".join(parts))
        return {**(old or {}), "Rules": rules + [new]}
    ops = _bucket_value(estate, ptr, "Lifecycle", change)
    if not said:
        raise NoChange("the lifecycle rules are already within the bounds")
    return Change("lifecycle_rule", "add" if said[0].startswith("add") else "set",
                  f"lifecycle of {b['Name']}: " + "; set ".join(said), ops, f"{ptr}/Lifecycle")


def _whole_bucket(r: dict) -> bool:
    """A lifecycle rule for every object (no prefix, tag or size filter), as the rule language reads it."""
    flt = r.get("Filter")
    if r.get("Prefix"):
        return False
    if isinstance(flt, dict):
        if flt.get("Prefix") or "Tag" in flt or "And" in flt or "ObjectSizeGreaterThan" in flt \
                or "ObjectSizeLessThan" in flt:
            return False
    return True


@kind("object_lock_retention")
def object_lock_retention(estate: Estate, call) -> Change:
    ptr, b = _bucket(estate, call)
    longest = _days(call.args["maximum"])
    lock = b.get("ObjectLock") or {}
    default = ((lock.get("Rule") or {}).get("DefaultRetention") or {})
    days = default.get("Days") if isinstance(default.get("Days"), int) else (
        default["Years"] * 365 if isinstance(default.get("Years"), int) else None)
    if days is None or days <= longest:
        raise NoChange("the Object Lock default retention is within the maximum")
    retention = {k: v for k, v in default.items() if k not in ("Days", "Years")}
    retention["Days"] = longest
    value = {**lock, "Rule": {**(lock.get("Rule") or {}), "DefaultRetention": retention}}
    return Change("object_lock_retention", "set", f"shorten the Object Lock default retention of {b['Name']} to "
                  f"{longest} days (objects locked already keep theirs)",
                  _bucket_value(estate, ptr, "ObjectLock", lambda old: value), f"{ptr}/ObjectLock")


# ---- set ----

@kind("block_public_access")
def block_public_access(estate: Estate, call) -> Change:
    t = call.target
    if t.get("kind") == "account":
        where = f"{t['pointer']}/s3/public_access_block"
        ops = patch.edit(estate.document, {where: lambda old: dict(ALL_ON)})
        return Change("block_public_access", "set", f"turn on all four Block Public Access settings of account "
                      f"{t['id']}", ops, where)
    if t.get("kind") == "access_point":
        where = f"{t['pointer']}/PublicAccessBlock"
        ap = patch.get(estate.document, t["pointer"])
        ops = patch.edit(estate.document, {where: lambda old: dict(ALL_ON)})
        return Change("block_public_access", "set", f"recreate access point {ap.get('Name')} with all four Block "
                      "Public Access settings on (they are fixed at creation)", ops, where)
    ptr, b = _bucket(estate, call)
    return Change("block_public_access", "set", f"turn on all four Block Public Access settings of {b['Name']}",
                  _bucket_value(estate, ptr, "PublicAccessBlock", lambda old: dict(ALL_ON)), f"{ptr}/PublicAccessBlock")


@kind("versioning")
def versioning(estate: Estate, call) -> Change:
    ptr, b = _bucket(estate, call)
    mfa = bool(call.args.get("mfa_delete", False))

    def on(old):
        new = {**(old or {}), "Status": "Enabled"}
        if mfa:
            new["MFADelete"] = "Enabled"
        return new
    what = "enable versioning with MFA delete (as the root user, with its MFA device)" if mfa else "enable versioning"
    return Change("versioning", "set", f"{what} on {b['Name']}", _bucket_value(estate, ptr, "Versioning", on),
                  f"{ptr}/Versioning")


@kind("default_encryption")
def default_encryption(estate: Estate, call) -> Change:
    ptr, b = _bucket(estate, call)
    algorithm = call.args.get("algorithm", "aws:kms")

    def set_(old):
        rules = (old or {}).get("Rules") or [{}]
        first = rules[0] if isinstance(rules[0], dict) else {}
        default = dict(first.get("ApplyServerSideEncryptionByDefault") or {})
        default["SSEAlgorithm"] = algorithm
        if algorithm == "AES256":
            default.pop("KMSMasterKeyID", None)
        rule = {**first, "ApplyServerSideEncryptionByDefault": default}
        if algorithm != "AES256":
            rule["BucketKeyEnabled"] = True
        return {"Rules": [rule]}
    return Change("default_encryption", "set", f"set the default encryption of {b['Name']} to {algorithm}",
                  _bucket_value(estate, ptr, "Encryption", set_), f"{ptr}/Encryption")


@kind("object_ownership")
def object_ownership(estate: Estate, call) -> Change:
    ptr, b = _bucket(estate, call)
    return Change("object_ownership", "set", f"set Object Ownership of {b['Name']} to BucketOwnerEnforced (ACLs off)",
                  _bucket_value(estate, ptr, "OwnershipControls",
                                lambda old: {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}),
                  f"{ptr}/OwnershipControls")


@kind("object_lock")
def object_lock(estate: Estate, call) -> Change:
    ptr, b = _bucket(estate, call)
    ops = _bucket_value(estate, ptr, "ObjectLock", lambda old: {**(old or {}), "ObjectLockEnabled": "Enabled"})
    versioned = (b.get("Versioning") or {}).get("Status") == "Enabled"
    if not versioned:  # Object Lock works only on a versioned bucket
        ops += _bucket_value(estate, ptr, "Versioning", lambda old: {**(old or {}), "Status": "Enabled"})
    return Change("object_lock", "set", f"enable Object Lock on {b['Name']}"
                  + ("" if versioned else " (and versioning, which it needs)"), ops, f"{ptr}/ObjectLock")


@kind("access_logging")
def access_logging(estate: Estate, call) -> Change:
    ptr, b = _bucket(estate, call)
    name = b["Name"]
    me = next((x for x in estate.snapshot.buckets if x.name == name), None)
    target = None
    if me is not None:
        for x in estate.snapshot.buckets:
            if x.name != name and x.account == me.account and x.region == me.region and "log" in x.name:
                target = x.name
                break
    made = target is None
    target = target or f"{name}-access-logs"
    value = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": f"{name}/"}}
    return Change("access_logging", "set", f"log server access of {name} to {target}"
                  + (" (a bucket to create)" if made else ""),
                  _bucket_value(estate, ptr, "Logging", lambda old: value), f"{ptr}/Logging")


@kind("replication_within")
def replication_within(estate: Estate, call) -> Change:
    import fnmatch
    ptr, b = _bucket(estate, call)
    regions = list(call.args["regions"])
    by_name = {x.name: x for x in estate.snapshot.buckets}
    stopped = []

    def narrow(old):
        rules = []
        for r in (old or {}).get("Rules") or []:
            dest = str((r.get("Destination") or {}).get("Bucket") or "")
            name = dest.split(":::", 1)[1] if ":::" in dest else dest
            other = by_name.get(name)
            region = other.region if other is not None and isinstance(other.region, str) else None
            inside = region is not None and any(fnmatch.fnmatchcase(region, p) for p in regions)
            if r.get("Status") == "Enabled" and not inside:
                stopped.append(name)
                r = {**r, "Status": "Disabled"}
            rules.append(r)
        return {**(old or {}), "Rules": rules}
    ops = _bucket_value(estate, ptr, "Replication", narrow)
    if not stopped:
        raise NoChange("no enabled replication rule leaves the regions")
    return Change("replication_within", "set", f"disable the replication of {b['Name']} to "
                  f"{', '.join(stopped)} (outside {', '.join(regions)})", ops, f"{ptr}/Replication")


@kind("manual")
def manual(estate: Estate, call) -> Change:
    raise NoChange(call.args.get("reason") or "only a person can make this change")
