"""The records a rule reads: views of the typed snapshot model, one class per record of ``types.RECORDS``.

Each view computes a field only when a rule reads it (and keeps it), reading the model exactly as
``types.py`` documents each field. A value the snapshot marks ``UNKNOWN`` becomes an ``Unknown`` that
names the API call that failed; something not configured is ``None`` (absent) or, for records that
always exist (a bucket's encryption, versioning, logging ...), a record that says "not enabled".

``World`` holds what a run shares: the snapshot, its indexes, the engine, the linter's results per
policy, the access graph (built on first use) and the views already made.
"""
from __future__ import annotations

from collections.abc import Mapping  # not typing.Mapping: its isinstance is several times slower
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Callable

from ..snapshot.kms import KeyIndex, default_key_reference
from ..snapshot.model import (UNKNOWN, AccessPoint, Account, Bucket, KmsKey, PolicyDocument, PublicAccessBlock, Role,
                              Snapshot, User, VpcEndpoint)
from ..iam.principals import identity_documents
from .values import Duration, Shown, Unknown, days, format_duration, render_value


class cached_property:
    """A field computed on first read and kept (functools.cached_property without its lock, which costs
    on every first read and buys nothing here: a run is single-threaded)."""

    def __init__(self, fn):
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value

# Which API call an ``Errors`` entry names for each raw bucket key (the inverse of the loader's table).
_API_OF_FIELD = {
    "Region": ("GetBucketLocation",), "Policy": ("GetBucketPolicy",), "PolicyStatus": ("GetBucketPolicyStatus",),
    "Acl": ("GetBucketAcl",), "PublicAccessBlock": ("GetPublicAccessBlock", "GetBucketPublicAccessBlock"),
    "OwnershipControls": ("GetBucketOwnershipControls",), "Encryption": ("GetBucketEncryption",),
    "Versioning": ("GetBucketVersioning",), "Logging": ("GetBucketLogging",), "Tags": ("GetBucketTagging",),
    "Lifecycle": ("GetBucketLifecycleConfiguration", "GetBucketLifecycle"),
    "ObjectLock": ("GetObjectLockConfiguration",), "Replication": ("GetBucketReplication",),
    "Website": ("GetBucketWebsite",),
}


def _missing(what: str, owner: str, errors: Mapping[str, str], raw_key: str) -> Unknown:
    for api in _API_OF_FIELD.get(raw_key, ()) + (raw_key,):
        if api in errors:
            return Unknown([f"{api} failed for {what} `{owner}` ({errors[api]}), so its {_NAMES.get(raw_key, raw_key)} "
                            "is unknown"])
    return Unknown([f"the {_NAMES.get(raw_key, raw_key)} of {what} `{owner}` was not recorded"])


_NAMES = {"Region": "region", "Policy": "policy", "Acl": "ACL", "PublicAccessBlock": "Block Public Access settings",
          "OwnershipControls": "Object Ownership", "Encryption": "default encryption", "Versioning": "versioning",
          "Logging": "server access logging", "Tags": "tags", "Lifecycle": "lifecycle configuration",
          "ObjectLock": "Object Lock configuration", "Replication": "replication configuration",
          "Website": "website configuration"}


class Record(Shown):
    """Base of the views. ``ident`` identifies the thing (equality, hashing, sets of records)."""

    record = ""

    @property
    def ident(self) -> Any:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and other.record == self.record and other.ident == self.ident

    def __hash__(self) -> int:
        return hash((self.record, self.ident))

    def display(self) -> str:
        """How a message shows the record."""
        return str(self.ident)

    def to_json(self) -> Any:
        return self.display()


class Plain(Record):
    """A record made of plain attributes (encryption, versioning, a grant ...)."""

    def __init__(self, record: str, **fields: Any):
        d = self.__dict__
        d.update(fields)
        d["record"] = record
        d["_fields"] = tuple(fields)

    @property
    def ident(self) -> Any:
        return tuple((k, _hashable(getattr(self, k))) for k in self._fields)

    def display(self) -> str:
        return ", ".join(f"{k}={_text(getattr(self, k))}" for k in self._fields)

    def to_json(self) -> Any:
        return {k: to_json(getattr(self, k)) for k in self._fields}


def _hashable(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted(v.items()))
    if isinstance(v, list):
        return tuple(v)
    return v


def _text(v: Any) -> str:
    return render_value(v)


def to_json(v: Any) -> Any:
    """A value as JSON for evidence."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, Duration):
        return format_duration(v)
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, Unknown):
        return {"unknown": list(v.reasons)}
    if isinstance(v, Record):
        return v.to_json()
    if isinstance(v, (tuple, list)):
        return [to_json(x) for x in v]
    if isinstance(v, frozenset):
        return sorted((to_json(x) for x in v), key=lambda x: str(x))
    if isinstance(v, Mapping):
        return {str(k): to_json(x) for k, x in v.items()}
    return str(v)


# ---------------------------------------------------------------------------------------------- the world
class World:
    """What one run over one snapshot shares."""

    def __init__(self, snapshot: Snapshot, engine: Any, graph_factory: Callable[[], Any] | None = None, *,
                 only_buckets: Any = None):
        self.snapshot = snapshot
        # the buckets (names) whose buckets and access points are subjects of this run; None: all (a shard
        # of the estate gives its own: see evaluate.run_rules)
        self.only_buckets = frozenset(only_buckets) if only_buckets is not None else None
        self.engine = engine
        self._graph_factory = graph_factory
        self._graph: Any = None
        self.buckets_by_name: dict[str, Bucket] = {}
        for b in snapshot.buckets:
            self.buckets_by_name.setdefault(b.name, b)
        self.aps_by_bucket: dict[str, list[AccessPoint]] = {}
        for a in snapshot.accounts:
            for ap in a.access_points:
                self.aps_by_bucket.setdefault(ap.bucket, []).append(ap)
        self.accounts = {a.id: a for a in snapshot.accounts}
        self.org = snapshot.organization
        self._views: dict[tuple, Record] = {}
        self._subjects: dict[str, list] = {}  # every subject of a kind, made once per run
        self._lint: dict[int, tuple] = {}
        self._groups = {(a.id, g.name): g for a in snapshot.accounts for g in a.groups}
        self._entities: dict[str, User | Role] = {}
        for a in snapshot.accounts:
            for x in (*a.users, *a.roles):
                self._entities[x.arn] = x
        self.keys = getattr(engine, "keys", None) or KeyIndex(snapshot.accounts)
        self.endpoints = {e.id: e for a in snapshot.accounts for e in a.vpc_endpoints}

    # ---- the graph, built when a rule first needs it
    @property
    def graph(self) -> Any:
        if self._graph is None:
            if self._graph_factory is None:
                from ..errors import InputError
                raise InputError("this rule needs the access graph, which is not available")
            self._graph = self._graph_factory()
        return self._graph

    def has_graph(self) -> bool:
        return self._graph is not None

    def close(self) -> None:
        """Forget the views made (they refer back to the world): nothing of the run is left in cycles."""
        for v in self._views.values():
            if type(v) is PolicyView:  # its statements refer back to it
                v.__dict__.pop("statements_list", None)
        self._views.clear()
        self._subjects.clear()
        self._lint.clear()
        self._graph = None

    # ---- facts
    def in_organization(self, account: str | None) -> bool:
        return bool(account) and self.snapshot.in_organization(account)

    def lint_under(self, doc: PolicyDocument, pointer: str) -> tuple:
        """The linter's findings at ``pointer`` or inside it (a statement's), found by lookup: a policy of
        10,000 statements has as many, and filtering every finding for each would be quadratic."""
        return self._linted(doc)[2].get(pointer, ())

    def _linted(self, doc: PolicyDocument) -> tuple:
        hit = self._lint.get(id(doc))
        if hit is None:
            from ..iam.lint import lint_policy
            found = tuple(lint_policy(self.engine.compile(doc)))
            under: dict[str, list] = {}
            for f in found:  # filed under every prefix of its pointer, in order
                tokens = f.pointer.split("/")
                for n in range(1, len(tokens) + 1):
                    under.setdefault("/".join(tokens[:n]), []).append(f)
            hit = (doc, found, under)
            self._lint[id(doc)] = hit
        return hit

    def managed_document(self, arn: str) -> PolicyDocument | None:
        return self.snapshot.managed_document(arn)

    # ---- views (one per thing per run)
    def _view(self, key: tuple, make: Callable[[], Record]) -> Record:
        v = self._views.get(key)
        if v is None:
            v = self._views[key] = make()
        return v

    def bucket(self, b: Bucket) -> "BucketView":
        return self._view(("bucket", b.account, b.name), lambda: BucketView(self, b))

    def account(self, a: Account) -> "AccountView":
        return self._view(("account", a.id), lambda: AccountView(self, a))

    def access_point(self, ap: AccessPoint) -> "AccessPointView":
        return self._view(("access_point", ap.account, ap.name), lambda: AccessPointView(self, ap))

    def policy(self, doc: PolicyDocument) -> "PolicyView":
        return self._view(("policy", id(doc)), lambda: PolicyView(self, doc))

    def kms_key(self, k: KmsKey) -> "KeyView":
        return self._view(("kms_key", k.arn), lambda: KeyView(self, k))

    def vpc_endpoint(self, endpoint_id: str) -> "EndpointView":
        return self._view(("vpc_endpoint", endpoint_id),
                          lambda: EndpointView(self, endpoint_id, self.endpoints.get(endpoint_id)))

    def principal(self, arn: str, **attrs: Any) -> "PrincipalView":
        """The principal with this ARN: a user or role of the snapshot, else one described by ``attrs``
        (from the access graph: an external account's root, a service, the anonymous caller ...)."""
        return self._view(("principal", arn), lambda: PrincipalView(self, arn, self._entities.get(arn), attrs))

    def entity(self, arn: str) -> User | Role | None:
        return self._entities.get(arn)

    def group(self, account: str, name: str):
        return self._groups.get((account, name))

    # ---- every subject of a kind (each list made once per run: every rule of the kind walks it)
    def _every(self, kind: str, make: Callable[[], list]) -> list:
        hit = self._subjects.get(kind)
        if hit is None:
            hit = self._subjects[kind] = make()
        return hit

    def buckets(self) -> list["BucketView"]:
        only = self.only_buckets
        return self._every("bucket", lambda: [self.bucket(b) for a in self.snapshot.accounts for b in a.buckets
                                              if only is None or b.name in only])

    def account_views(self) -> list["AccountView"]:
        return self._every("account", lambda: [self.account(a) for a in self.snapshot.accounts])

    def principals(self) -> list["PrincipalView"]:
        return self._every("principal", lambda: [self.principal(x.arn) for a in self.snapshot.accounts
                                                 for x in (*a.users, *a.roles)])

    def access_points(self) -> list["AccessPointView"]:
        only = self.only_buckets
        return self._every("access_point", lambda: [self.access_point(ap) for a in self.snapshot.accounts
                                                    for ap in a.access_points if only is None or ap.bucket in only])

    def policy_documents(self) -> list[PolicyDocument]:
        """Every policy document of the snapshot, each once: identity (inline, and managed policies' default
        versions), trust, bucket, access point, SCP and RCP. Not the shipped copies of AWS managed policies
        the snapshot attaches without holding (they decide access, but are no text of the estate's)."""
        out: list[PolicyDocument] = []
        seen: set[int] = set()

        def add(d: Any) -> None:
            if isinstance(d, PolicyDocument) and id(d) not in seen:
                seen.add(id(d))
                out.append(d)

        for a in self.snapshot.accounts:
            for x in (*a.users, *a.groups, *a.roles):
                for d in x.inline:
                    add(d)
                add(getattr(x, "trust", None))
            for mp in a.managed_policies.values():
                if not mp.shipped:  # AWS's own text, not the snapshot's: nothing its owners could correct
                    add(mp.document)
            for b in a.buckets:
                add(b.policy)
            for ap in a.access_points:
                add(ap.policy)
        if self.org is not None:
            for p in self.org.policies:
                add(p.document)
        return out

    def statements(self) -> list["StatementView"]:
        return self._every("statement", lambda: [s for d in self.policy_documents()
                                                 for s in self.policy(d).statements_list])


# -------------------------------------------------------------------------------------------- buckets
_NO_PAB = PublicAccessBlock()


def pab_view(value: Any, what: str, owner: str, errors: Mapping[str, str]) -> Any:
    if value is UNKNOWN:
        return _missing(what, owner, errors, "PublicAccessBlock")
    p = value if value is not None else _NO_PAB
    return Plain("public_access_block", block_public_acls=p.block_public_acls, ignore_public_acls=p.ignore_public_acls,
                 block_public_policy=p.block_public_policy, restrict_public_buckets=p.restrict_public_buckets,
                 all_on=p.all_on)


def _duration_days(value: Any) -> Duration | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return days(value)
    return None


def lifecycle_rule(r: Mapping[str, Any]) -> Plain:
    flt = r.get("Filter")
    tags: dict[str, str] = {}
    prefix = r.get("Prefix") or ""
    sized = False
    if isinstance(flt, Mapping):
        if "Prefix" in flt:
            prefix = flt.get("Prefix") or ""
        if isinstance(flt.get("Tag"), Mapping):
            tags[flt["Tag"].get("Key", "")] = flt["Tag"].get("Value", "")
        sized = "ObjectSizeGreaterThan" in flt or "ObjectSizeLessThan" in flt
        and_ = flt.get("And")
        if isinstance(and_, Mapping):
            prefix = and_.get("Prefix") or prefix
            for t in and_.get("Tags") or ():
                tags[t.get("Key", "")] = t.get("Value", "")
            sized = sized or "ObjectSizeGreaterThan" in and_ or "ObjectSizeLessThan" in and_
    exp = r.get("Expiration") or {}
    nve = r.get("NoncurrentVersionExpiration") or {}
    abort = r.get("AbortIncompleteMultipartUpload") or {}
    transitions = tuple(Plain("lifecycle_transition", storage_class=t.get("StorageClass"),
                              after=_duration_days(t.get("Days")))
                        for t in (r.get("Transitions") or ()) if isinstance(t, Mapping))
    return Plain("lifecycle_rule", id=r.get("ID") or "", enabled=r.get("Status") == "Enabled", prefix=prefix,
                 tags=MappingProxyType(tags), whole_bucket=not prefix and not tags and not sized,
                 expiration=_duration_days(exp.get("Days")),
                 noncurrent_expiration=_duration_days(nve.get("NoncurrentDays")),
                 abort_incomplete_uploads=_duration_days(abort.get("DaysAfterInitiation")),
                 transitions=transitions)


class BucketView(Record):
    record = "bucket"

    def __init__(self, world: World, b: Bucket):
        self.world = world
        self.b = b
        self.name = b.name
        self.arn = b.arn
        self.objects = b.arn + "/*"
        self.account = b.account
        self.created = b.creation_date

    @property
    def ident(self) -> Any:
        return self.arn

    def display(self) -> str:
        return self.name

    def to_json(self) -> Any:
        return self.arn

    def _get(self, value: Any, raw_key: str) -> Any:
        if value is UNKNOWN:
            return _missing("bucket", self.name, self.b.errors, raw_key)
        return value

    @cached_property
    def region(self) -> Any:
        return self._get(self.b.region, "Region")

    @cached_property
    def tags(self) -> Any:
        t = self._get(self.b.tags, "Tags")
        return t if isinstance(t, Unknown) else MappingProxyType(dict(t or {}))

    @cached_property
    def encryption(self) -> Any:
        v = self._get(self.b.encryption, "Encryption")
        if isinstance(v, Unknown):
            return v
        rules = (v or {}).get("Rules") or []
        first = rules[0] if rules else {}
        by_default = first.get("ApplyServerSideEncryptionByDefault") or {}
        algorithm = by_default.get("SSEAlgorithm")
        return Plain("encryption", enabled=bool(algorithm), algorithm=algorithm,
                     kms_key=by_default.get("KMSMasterKeyID") or None, bucket_key=bool(first.get("BucketKeyEnabled")))

    @cached_property
    def versioning(self) -> Any:
        v = self._get(self.b.versioning, "Versioning")
        if isinstance(v, Unknown):
            return v
        v = v or {}
        status = v.get("Status") or None
        return Plain("versioning", status=status, enabled=status == "Enabled", mfa_delete=v.get("MFADelete") == "Enabled")

    @cached_property
    def logging(self) -> Any:
        v = self._get(self.b.logging, "Logging")
        if isinstance(v, Unknown):
            return v
        le = (v or {}).get("LoggingEnabled")
        if not le:
            return Plain("logging", enabled=False, target=None, prefix=None)
        return Plain("logging", enabled=True, target=le.get("TargetBucket"), prefix=le.get("TargetPrefix"))

    @cached_property
    def lifecycle(self) -> Any:
        v = self._get(self.b.lifecycle, "Lifecycle")
        if isinstance(v, Unknown):
            return v
        rules = tuple(lifecycle_rule(r) for r in ((v or {}).get("Rules") or ()) if isinstance(r, Mapping))
        return Plain("lifecycle", rules=rules)

    @cached_property
    def object_lock(self) -> Any:
        v = self._get(self.b.object_lock, "ObjectLock")
        if isinstance(v, Unknown):
            return v
        v = v or {}
        retention = ((v.get("Rule") or {}).get("DefaultRetention")) or {}
        period = None
        if isinstance(retention.get("Days"), int):
            period = days(retention["Days"])
        elif isinstance(retention.get("Years"), int):
            period = days(retention["Years"] * 365)
        return Plain("object_lock", enabled=v.get("ObjectLockEnabled") == "Enabled", mode=retention.get("Mode"),
                     retention=period)

    @cached_property
    def replication(self) -> Any:
        v = self._get(self.b.replication, "Replication")
        if isinstance(v, Unknown):
            return v
        v = v or {}
        dests = []
        for r in v.get("Rules") or ():
            d = r.get("Destination") or {}
            target = str(d.get("Bucket") or "")
            name = target.split(":::", 1)[1] if ":::" in target else target
            other = self.world.buckets_by_name.get(name)
            if other is not None:
                region = other.region if other.region is not UNKNOWN else \
                    _missing("bucket", name, other.errors, "Region")
            else:
                region = Unknown([f"replication destination `{name}` is not in the snapshot, so its region is unknown"])
            account = d.get("Account") or (other.account if other is not None else None)
            if account is None:
                account = Unknown([f"replication destination `{name}` is not in the snapshot and the rule names no "
                                   "account, so its owner is unknown"])
            dests.append(Plain("replication_destination", bucket=name, region=region, account=account,
                               enabled=r.get("Status") == "Enabled", storage_class=d.get("StorageClass")))
        return Plain("replication", enabled=any(r.get("Status") == "Enabled" for r in v.get("Rules") or ()),
                     role=v.get("Role"), destinations=tuple(dests))

    @cached_property
    def ownership(self) -> Any:
        return self._get(self.b.ownership, "OwnershipControls")

    @cached_property
    def acls_enabled(self) -> Any:
        return self._get(self.b.acls_enabled, "OwnershipControls")

    @cached_property
    def acl(self) -> Any:
        v = self._get(self.b.acl, "Acl")
        if isinstance(v, Unknown):
            return v
        if v is None:
            return Plain("acl", owner=None, grants=())
        return Plain("acl", owner=v.owner_id, grants=tuple(
            Plain("grant", grantee_type=g.grantee_type, grantee=g.grantee, permission=g.permission) for g in v.grants))

    @cached_property
    def public_access_block(self) -> Any:
        return pab_view(self.b.public_access_block, "bucket", self.name, self.b.errors)

    @cached_property
    def policy(self) -> Any:
        v = self._get(self.b.policy, "Policy")
        if isinstance(v, Unknown) or v is None:
            return v
        return self.world.policy(v)

    @cached_property
    def access_points(self) -> Any:
        return tuple(self.world.access_point(ap) for ap in self.world.aps_by_bucket.get(self.name, ()))

    @cached_property
    def website(self) -> Any:
        v = self._get(self.b.website, "Website")
        return v if isinstance(v, Unknown) else v is not None

    @cached_property
    def key(self) -> Any:
        v = self._get(self.b.encryption, "Encryption")
        if isinstance(v, Unknown) or default_key_reference(v) is None:
            return v if isinstance(v, Unknown) else None
        use = self.world.keys.bucket_key(self.b)
        if use.key is None:
            return Unknown([use.note or f"the KMS key of bucket `{self.name}` is not in the snapshot"])
        return self.world.kms_key(use.key)

    @cached_property
    def endpoints(self) -> Any:
        v = self._get(self.b.policy, "Policy")
        if isinstance(v, Unknown):
            return v
        return tuple(self.world.vpc_endpoint(e) for e in locking_endpoints(v))


def locking_endpoints(policy: Any) -> tuple[str, ...]:
    """The VPC endpoints a bucket policy locks the bucket to: the values of ``aws:SourceVpce`` in its Deny
    statements for everyone that deny requests not coming through them (``StringNotEquals`` and the like)
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html)."""
    d = policy.document if isinstance(policy, PolicyDocument) else None
    if not isinstance(d, Mapping):
        return ()
    out: list[str] = []
    for st in _as_list(d.get("Statement") or []):
        if not isinstance(st, Mapping) or st.get("Effect") != "Deny" or st.get("Principal") not in ("*", {"AWS": "*"}):
            continue
        for op, body in (st.get("Condition") or {}).items():
            if "Not" not in str(op) or not isinstance(body, Mapping):
                continue
            for k, vals in body.items():
                if str(k).lower() == "aws:sourcevpce":
                    out += [str(x) for x in _as_list(vals) if isinstance(x, str)]
    return tuple(dict.fromkeys(out))


# ------------------------------------------------------------------------------------------- KMS keys
class KeyView(Record):
    record = "kms_key"

    def __init__(self, world: World, k: KmsKey):
        self.world = world
        self.k = k
        self.arn = k.arn
        self.id = k.key_id or None
        self.account = k.account
        self.region = k.region if isinstance(k.region, str) else None
        self.aliases = tuple(k.aliases)

    @property
    def ident(self) -> Any:
        return self.arn

    def display(self) -> str:
        return self.k.label

    def _known(self, value: Any, api: str, what: str) -> Any:
        if value is UNKNOWN:
            why = self.k.errors.get(api)
            return Unknown([f"{api} failed for KMS key `{self.arn}` ({why}), so its {what} is unknown" if why else
                            f"the {what} of KMS key `{self.arn}` was not recorded"])
        return value

    @cached_property
    def aws_managed(self) -> Any:
        return self._known(self.k.aws_managed, "DescribeKey", "key manager")

    @cached_property
    def customer_managed(self) -> Any:
        v = self.aws_managed
        return v if isinstance(v, Unknown) else not v

    @cached_property
    def state(self) -> Any:
        return self._known(self.k.state, "DescribeKey", "state")

    @cached_property
    def enabled(self) -> Any:
        v = self.state
        return v if isinstance(v, Unknown) else v == "Enabled"

    @cached_property
    def rotation(self) -> Any:
        return self._known(self.k.rotation, "GetKeyRotationStatus", "rotation status")

    @cached_property
    def policy(self) -> Any:
        v = self._known(self.k.policy, "GetKeyPolicy", "key policy")
        return v if isinstance(v, Unknown) else self.world.policy(v)

    @cached_property
    def grants(self) -> Any:
        v = self._known(self.k.grants, "ListGrants", "grants")
        if isinstance(v, Unknown):
            return v
        return tuple(Plain("kms_grant", grantee=g.grantee, operations=tuple(g.operations),
                           constrained=bool(g.constraints)) for g in v)


class EndpointView(Record):
    record = "vpc_endpoint"

    def __init__(self, world: World, endpoint_id: str, e: VpcEndpoint | None):
        self.world = world
        self.e = e
        self.id = endpoint_id
        if e is not None:
            self.vpc, self.account, self.service, self.type = e.vpc, e.account, e.service, e.type
            self.region = e.region if isinstance(e.region, str) else None

    def __getattr__(self, name: str) -> Any:
        # an endpoint the snapshot does not hold: everything but its id is unknown
        if name in ("vpc", "account", "service", "type", "region", "policy", "full_access"):
            return Unknown([f"VPC endpoint `{self.id}` is not in the snapshot"])
        raise AttributeError(name)

    @property
    def ident(self) -> Any:
        return self.id

    @cached_property
    def policy(self) -> Any:
        if self.e is None:
            return Unknown([f"VPC endpoint `{self.id}` is not in the snapshot"])
        v = self.e.policy
        if v is UNKNOWN:
            return Unknown([f"the policy of VPC endpoint `{self.id}` could not be read"])
        return None if v is None else self.world.policy(v)

    @cached_property
    def full_access(self) -> Any:
        if self.e is None:
            return Unknown([f"VPC endpoint `{self.id}` is not in the snapshot"])
        v = self.e.policy
        if v is UNKNOWN:
            return Unknown([f"the policy of VPC endpoint `{self.id}` could not be read"])
        return v is None or full_access_policy(v.document)


def full_access_policy(document: Any) -> bool:
    """Whether an endpoint policy lets everyone do everything: an Allow of every action (``*`` or one service's
    ``svc:*``) on every resource to ``*``, with no condition, and no Deny (AWS's default endpoint policy is
    exactly that: https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html)."""
    if not isinstance(document, Mapping):
        return False
    statements = [s for s in _as_list(document.get("Statement") or []) if isinstance(s, Mapping)]
    if any(s.get("Effect") == "Deny" for s in statements):
        return False
    return any(s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"}) and "Condition" not in s
               and any(a == "*" or str(a).endswith(":*") for a in _as_list(s.get("Action", [])))
               and "*" in _as_list(s.get("Resource", [])) for s in statements)


# ------------------------------------------------------------------------------------------- accounts
class AccountView(Record):
    record = "account"

    def __init__(self, world: World, a: Account):
        self.world = world
        self.a = a
        self.id = a.id
        self.name = a.name
        self.arn = a.root_arn

    @property
    def ident(self) -> Any:
        return self.id

    @cached_property
    def public_access_block(self) -> Any:
        return pab_view(self.a.public_access_block, "account", self.id, self.a.errors)

    @cached_property
    def buckets(self) -> Any:
        return tuple(self.world.bucket(b) for b in self.a.buckets)

    @cached_property
    def access_points(self) -> Any:
        return tuple(self.world.access_point(ap) for ap in self.a.access_points)

    @cached_property
    def principals(self) -> Any:
        return tuple(self.world.principal(x.arn) for x in (*self.a.users, *self.a.roles))

    @cached_property
    def in_organization(self) -> Any:
        return self.world.in_organization(self.id)

    @cached_property
    def management(self) -> Any:
        org = self.world.org
        return org is not None and org.management_account == self.id


# -------------------------------------------------------------------------------------- access points
class AccessPointView(Record):
    record = "access_point"

    def __init__(self, world: World, ap: AccessPoint):
        self.world = world
        self.ap = ap
        self.name = ap.name
        self.arn = ap.arn
        self.bucket = ap.bucket
        self.account = ap.account
        self.region = ap.region if ap.region != "*" else None
        self.network_origin = ap.network_origin
        self.vpc = (ap.vpc_configuration or {}).get("VpcId") if ap.vpc_configuration else None

    @property
    def ident(self) -> Any:
        return self.arn

    @cached_property
    def policy(self) -> Any:
        v = self.ap.policy
        if v is UNKNOWN:
            return _missing("access point", self.name, self.ap.errors, "Policy")
        return None if v is None else self.world.policy(v)

    @cached_property
    def public_access_block(self) -> Any:
        return pab_view(self.ap.public_access_block, "access point", self.name, self.ap.errors)


# ------------------------------------------------------------------------------------------- policies
def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [v]


def _principal_values(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if v == "*":
        return ("*",)
    if isinstance(v, Mapping):
        return tuple(str(x) for vals in v.values() for x in _as_list(vals))
    return tuple(str(x) for x in _as_list(v))


def _strings(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    return tuple(str(x) for x in _as_list(v))


def _condition_text(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    return str(x)


class PolicyView(Record):
    record = "policy"

    def __init__(self, world: World, doc: PolicyDocument):
        self.world = world
        self.doc = doc
        self.kind = doc.kind
        self.name = doc.name or None
        self.owner = doc.owner
        d = doc.document if isinstance(doc.document, Mapping) else {}
        self.version = d.get("Version")

    @property
    def ident(self) -> Any:
        return (self.doc.kind, self.doc.owner, self.doc.name, self.doc.pointer)

    @cached_property
    def label(self) -> str:
        return self.world.engine.compile(self.doc).source_label

    def display(self) -> str:
        return self.label

    @cached_property
    def statements_list(self) -> tuple["StatementView", ...]:
        d = self.doc.document if isinstance(self.doc.document, Mapping) else {}
        raw = d.get("Statement")
        if raw is None:
            return ()
        if isinstance(raw, list):
            return tuple(StatementView(self, i, s, f"/Statement/{i}") for i, s in enumerate(raw) if isinstance(s, Mapping))
        return (StatementView(self, 0, raw, "/Statement"),) if isinstance(raw, Mapping) else ()

    @property
    def statements(self) -> Any:
        return self.statements_list


class StatementView(Record):
    record = "statement"

    def __init__(self, policy: PolicyView, index: int, raw: Mapping[str, Any], pointer: str):
        self.policy = policy
        self.index = index
        self.raw = raw
        self.local_pointer = pointer
        self.pointer = policy.doc.pointer_to(pointer)
        sid = raw.get("Sid")
        self.sid = sid if isinstance(sid, str) and sid else None
        self.label = self.sid or f"#{index}"
        self.effect = raw.get("Effect")

    # the elements, read when a rule asks (the hygiene rules mostly ask for the linter's problems only)
    @cached_property
    def principals(self) -> tuple[str, ...]:
        return _principal_values(self.raw.get("Principal"))

    @cached_property
    def not_principals(self) -> tuple[str, ...]:
        return _principal_values(self.raw.get("NotPrincipal"))

    @cached_property
    def actions(self) -> tuple[str, ...]:
        return _strings(self.raw.get("Action"))

    @cached_property
    def not_actions(self) -> tuple[str, ...]:
        return _strings(self.raw.get("NotAction"))

    @cached_property
    def resources(self) -> tuple[str, ...]:
        return _strings(self.raw.get("Resource"))

    @cached_property
    def not_resources(self) -> tuple[str, ...]:
        return _strings(self.raw.get("NotResource"))

    @property
    def ident(self) -> Any:
        return (self.policy.ident, self.index)

    def display(self) -> str:
        return f"statement {self.label} of the {self.policy.label}"

    def to_json(self) -> Any:
        return {"policy": self.policy.label, "statement": self.label, "pointer": self.pointer}

    @cached_property
    def conditions(self) -> Any:
        out = []
        cond = self.raw.get("Condition")
        if isinstance(cond, Mapping):
            for op, body in cond.items():
                if isinstance(body, Mapping):
                    for k, vals in body.items():
                        out.append(Plain("condition", operator=str(op), key=str(k),
                                         values=tuple(_condition_text(x) for x in _as_list(vals))))
        return tuple(out)

    @cached_property
    def problem_codes(self) -> Any:
        return frozenset(p.code for p in self.problems)

    @cached_property
    def problems(self) -> Any:
        found = self.policy.world.lint_under(self.policy.doc, self.local_pointer)
        return tuple(Plain("problem", code=f.code, message=f.message, pointer=f.pointer) for f in found)


# ----------------------------------------------------------------------------------------- principals
class PrincipalView(Record):
    record = "principal"

    def __init__(self, world: World, arn: str, entity: User | Role | None, attrs: Mapping[str, Any]):
        self.world = world
        self.arn = arn
        self.entity = entity
        if entity is not None:
            self.kind = entity.kind
            self.name = entity.name
            self.account = entity.account
            self.path = entity.path
        else:
            self.kind = attrs.get("kind") or _kind_of(arn)
            self.name = attrs.get("name") or _name_of(arn)
            self.account = attrs.get("account") if "account" in attrs else _account_of(arn)
            self.path = None

    @property
    def ident(self) -> Any:
        return self.arn

    @cached_property
    def tags(self) -> Any:
        return MappingProxyType(dict(self.entity.tags)) if self.entity is not None else MappingProxyType({})

    @cached_property
    def in_organization(self) -> Any:
        return self.world.in_organization(self.account)

    @cached_property
    def service_linked(self) -> Any:
        return isinstance(self.entity, Role) and self.entity.is_service_linked

    @cached_property
    def policies(self) -> Any:
        e = self.entity
        if e is None:
            return ()
        docs, missing, unknown = identity_documents(e, self.world.group, self.world.managed_document)
        if missing or unknown:
            return Unknown([f"managed policy `{m}` attached to `{self.arn}` is not in the snapshot" for m in missing]
                           + unknown)
        return tuple(self.world.policy(d) for d in docs)

    @cached_property
    def boundary(self) -> Any:
        e = self.entity
        if e is None or not e.boundary:
            return None
        d = self.world.managed_document(e.boundary)
        if d is None:
            return Unknown([f"permissions boundary `{e.boundary}` of `{self.arn}` is not in the snapshot"])
        return self.world.policy(replace(d, kind="boundary", owner=e.arn, name=e.boundary))

    @cached_property
    def trust(self) -> Any:
        e = self.entity
        if isinstance(e, Role) and e.trust is UNKNOWN:
            return Unknown([e.trust_note or f"the trust policy of `{e.arn}` is unknown"])
        if isinstance(e, Role) and e.trust is not None:
            return self.world.policy(e.trust)
        return None

    @cached_property
    def groups(self) -> Any:
        return tuple(self.entity.groups) if isinstance(self.entity, User) else ()


def _account_of(arn: str) -> str | None:
    if arn.isdigit() and len(arn) == 12:
        return arn
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[4].isdigit():
        return parts[4]
    return None


def _kind_of(arn: str) -> str:
    if arn in ("*", "anonymous"):
        return "anonymous"
    if arn.endswith(".amazonaws.com") or arn.endswith(".amazonaws.com.cn"):
        return "service"
    parts = arn.split(":", 5)
    if len(parts) == 6:
        res = parts[5]
        if res == "root":
            return "root"
        if res.startswith("user/"):
            return "user"
        if res.startswith(("role/", "assumed-role/")):
            return "role"
        if res.startswith("group/"):
            return "group"
        if res.startswith(("saml-provider/", "oidc-provider/", "federated-user/")):
            return "federated"
    if arn.isdigit():
        return "root"
    return "federated"


def _name_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn


# --------------------------------------------------------------------------- paths, hops and decisions
class HopView(Record):
    record = "hop"

    def __init__(self, source: str, target: str, kind: str, reason: str, actions: tuple[str, ...],
                 conditional: bool, detail: Any = None, detail_of: Callable[[], Any] | None = None):
        setattr(self, "from", source)
        self.to = target
        self.kind = kind
        self.reason = reason
        self.actions = actions
        self.conditional = conditional
        if detail_of is None:
            self.detail = detail  # the JSON of the hop for evidence
        else:
            self._detail_of = detail_of  # ... made when first read (most hops never become evidence)

    @cached_property
    def detail(self) -> Any:
        return self._detail_of()

    @property
    def ident(self) -> Any:
        return (getattr(self, "from"), self.to, self.kind)

    def display(self) -> str:
        return f"{getattr(self, 'from')} --{self.kind}--> {self.to}"

    def to_json(self) -> Any:
        return self.detail if self.detail is not None else {"from": getattr(self, "from"), "to": self.to,
                                                              "kind": self.kind, "reason": self.reason}


class PathView(Record):
    record = "path"

    def __init__(self, start: PrincipalView, target: BucketView, access: str, hops: tuple[HopView, ...] | None,
                 conditional: bool, unknown_reasons: tuple[str, ...] = (), *, length: int | None = None,
                 hops_of: Callable[[], tuple[tuple[HopView, ...], tuple[str, ...]]] | None = None):
        self.start = start
        self.target = target
        self.access = access
        self.conditional = conditional
        if hops_of is None:
            self.hops = hops
            self.length = len(hops)
            self.unknown_reasons = unknown_reasons  # the path may exist only because of values s3audit lacks
        else:  # the hops made when first read: most paths are only counted or filtered by their start
            self._hops_of = hops_of
            self.length = length

    @cached_property
    def _made(self) -> tuple[tuple[HopView, ...], tuple[str, ...]]:
        return self._hops_of()

    @cached_property
    def hops(self) -> tuple[HopView, ...]:
        return self._made[0]

    @cached_property
    def unknown_reasons(self) -> tuple[str, ...]:
        return self._made[1]

    @property
    def ident(self) -> Any:
        return (self.start.arn, self.target.arn, self.access)

    def display(self) -> str:
        chain = [self.start.arn] + [h.to for h in self.hops]
        return " -> ".join(chain)

    def to_json(self) -> Any:
        return [h.to_json() for h in self.hops]


class DecisionView(Record):
    record = "decision"

    def __init__(self, decision: Any, request: Mapping[str, Any], unknown_data: bool):
        self.d = decision
        self.request = request
        possible = decision.possible
        if unknown_data and decision.decision == "conditional":
            u = Unknown(unknown_reasons_of(decision))
            self.allowed = self.denied = self.possible = u
        else:
            self.allowed = decision.decision == "allow"
            self.denied = decision.decision == "deny"
            self.possible = possible
        self.conditional = decision.decision == "conditional"
        self.reasons = tuple(reason_text(r) for r in decision.reasons)
        self.assumptions = tuple(decision.assumptions)

    @property
    def ident(self) -> Any:
        return (tuple(sorted((k, str(v)) for k, v in self.request.items())), self.d.decision)

    def display(self) -> str:
        return self.d.decision

    def to_json(self) -> Any:
        return {"kind": "decision", **{k: to_json(v) for k, v in self.request.items()}, **self.d.to_json()}


def reason_text(r: Any) -> str:
    stmt = f" statement {r.statement}" if r.statement else ""
    note = f": {r.note}" if r.note else ""
    return f"{r.effect} by {r.source}{stmt}{note}"


def unknown_reasons_of(decision: Any) -> list[str]:
    out = [r.note or f"{r.source} is unknown" for r in decision.reasons if r.effect == "Unknown"]
    if not out:
        out = list(decision.assumptions) or ["the engine could not decide the request from the snapshot"]
    return out


def decision_depends_on_unknown(decision: Any) -> bool:
    """A conditional answer that hangs on something the snapshot lacks, not on the request alone."""
    if decision.decision != "conditional":
        return False
    if any(r.effect == "Unknown" for r in decision.reasons):
        return True
    return not decision.conditions
