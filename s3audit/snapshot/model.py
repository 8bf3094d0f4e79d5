"""The typed, immutable model of a snapshot (format v1).

AWS's API shapes are kept where rules read them (a bucket's ``Encryption`` is still AWS's
``ServerSideEncryptionConfiguration``), but everything the engine navigates is typed: principals,
their policies, buckets and the organization tree. Every object knows its JSON pointer in the
snapshot, so a finding can say where it comes from.

A value that could not be read (its API call is named in ``Errors``) is ``UNKNOWN``, which is not
the same as absent (``None``): the engine treats it as "could be anything".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Mapping


class _Unknown:
    """The value of something s3audit could not read. Falsy checks must never treat it as absent."""

    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:  # forces callers to test `is UNKNOWN` explicitly
        raise TypeError("UNKNOWN has no truth value; test `value is UNKNOWN` first")

    def __reduce__(self):
        return (_Unknown, ())


UNKNOWN: Any = _Unknown()

EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class PolicyDocument:
    """One policy document as found in the snapshot: decoded JSON plus where it lives and what it is.

    An AWS managed policy the snapshot attaches without holding its text comes from the data shipped with
    s3audit (``s3audit.iam.managed``): ``origin`` says so (``shipped copy of 2026-09-16``) and ``pointer`` is
    where the snapshot names the policy (an attachment), the document itself being in no snapshot."""

    document: Any  # dict for a well-formed document; anything else is reported when compiled
    pointer: str  # JSON pointer to the document in the snapshot (see above for a shipped one)
    kind: str  # identity | boundary | trust | bucket | access-point | scp | rcp | key | vpc-endpoint
    owner: str  # ARN (or id) of what the policy is attached to or defines
    name: str = ""  # inline policy name, managed policy ARN, SCP name ...
    origin: str | None = None  # where the text came from when not from the snapshot
    # Statements that hold a value the producer could not know (the snapshot's ``unknown_statements``): the
    # statement's pointer inside the document (``/Statement/2``) -> why. Each may or may not apply.
    unknown: Mapping[str, str] = field(default_factory=lambda: EMPTY, compare=False)

    def pointer_to(self, inner: str) -> str:
        """The pointer of a part of the document (``/Statement/0``); for a shipped document, which is in no
        snapshot, where the snapshot names the policy."""
        return self.pointer if self.origin else self.pointer + inner

    @property
    def label(self) -> str:
        if self.origin:
            what = aws_managed_label(self.name, self.origin)
            return what if self.owner == self.name else f"{self.kind} {what} of {self.owner}"
        return f"{self.kind} policy {self.name or ''} of {self.owner}".replace("  ", " ")


def aws_managed_label(arn: str, origin: str) -> str:
    """``AWS managed policy AmazonS3ReadOnlyAccess (shipped copy of 2026-09-16)``: what reasons call a policy
    whose text the snapshot did not hold."""
    return f"AWS managed policy {arn.rsplit('/', 1)[-1]} ({origin})"


@dataclass(frozen=True)
class PolicyVersion:
    """One version of a managed policy (``PolicyVersionList``); only the default one is in force."""

    id: str
    document: PolicyDocument
    is_default: bool


@dataclass(frozen=True)
class ManagedPolicy:
    arn: str
    name: str
    document: PolicyDocument | None  # the default version; None when no version was recorded
    pointer: str  # its entry in the snapshot's Policies; a shipped one's: where the snapshot names it
    versions: tuple[PolicyVersion, ...] = ()  # every version recorded with its document, the default included

    @property
    def shipped(self) -> bool:
        """Whether the document is s3audit's shipped copy of an AWS managed policy, not the snapshot's own."""
        return self.document is not None and self.document.origin is not None


@dataclass(frozen=True)
class Group:
    name: str
    arn: str
    account: str
    id: str
    inline: tuple[PolicyDocument, ...]
    attached: tuple[str, ...]  # managed policy ARNs
    pointer: str
    unknown_policies: tuple[str, ...] = ()  # notes on identity policies the snapshot marks unknown


@dataclass(frozen=True)
class User:
    name: str
    arn: str
    account: str
    id: str
    path: str
    groups: tuple[str, ...]  # group names in the same account
    inline: tuple[PolicyDocument, ...]
    attached: tuple[str, ...]
    boundary: str | None  # managed policy ARN
    tags: Mapping[str, str]
    pointer: str
    kind: str = "user"
    unknown_policies: tuple[str, ...] = ()  # notes on identity policies (or groups) the snapshot marks unknown


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    account: str
    id: str
    path: str
    trust: PolicyDocument | None  # or UNKNOWN: who may assume the role is not known
    inline: tuple[PolicyDocument, ...]
    attached: tuple[str, ...]
    boundary: str | None
    tags: Mapping[str, str]
    instance_profiles: tuple[str, ...]  # instance profile ARNs
    pointer: str
    kind: str = "role"
    unknown_policies: tuple[str, ...] = ()  # notes on identity policies the snapshot marks unknown
    trust_note: str | None = None  # why the trust policy is unknown

    @property
    def is_service_linked(self) -> bool:
        return self.path.startswith("/aws-service-role/")


@dataclass(frozen=True)
class PublicAccessBlock:
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    @classmethod
    def from_api(cls, value: Mapping[str, Any] | None) -> "PublicAccessBlock | None":
        if value is None:
            return None
        return cls(bool(value.get("BlockPublicAcls", False)), bool(value.get("IgnorePublicAcls", False)),
                   bool(value.get("BlockPublicPolicy", False)), bool(value.get("RestrictPublicBuckets", False)))

    @property
    def all_on(self) -> bool:
        return self.block_public_acls and self.ignore_public_acls and self.block_public_policy \
            and self.restrict_public_buckets


@dataclass(frozen=True)
class Grant:
    """One ACL grant. ``grantee_type`` is CanonicalUser, Group or AmazonCustomerByEmail."""

    grantee_type: str
    grantee: str  # canonical id, group URI or e-mail
    permission: str  # FULL_CONTROL | WRITE | WRITE_ACP | READ | READ_ACP
    pointer: str


@dataclass(frozen=True)
class Acl:
    owner_id: str | None
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class Bucket:
    name: str
    account: str
    region: Any  # str, or UNKNOWN
    creation_date: str | None
    policy: Any  # PolicyDocument | None | UNKNOWN
    policy_status: Any
    acl: Any  # Acl | None | UNKNOWN
    public_access_block: Any  # PublicAccessBlock | None | UNKNOWN
    ownership: Any  # "BucketOwnerEnforced" | "BucketOwnerPreferred" | "ObjectWriter" | None | UNKNOWN
    encryption: Any  # raw ServerSideEncryptionConfiguration | None | UNKNOWN
    versioning: Any
    logging: Any
    tags: Any  # Mapping[str, str] | UNKNOWN (no tags is an empty mapping)
    lifecycle: Any
    object_lock: Any
    replication: Any
    website: Any
    errors: Mapping[str, str]
    pointer: str
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"

    @property
    def acls_enabled(self) -> Any:
        """False when Object Ownership is BucketOwnerEnforced (ACLs are disabled and ignored)."""
        if self.ownership is UNKNOWN:
            return UNKNOWN
        return self.ownership != "BucketOwnerEnforced"


@dataclass(frozen=True)
class AccessPoint:
    name: str
    bucket: str
    account: str
    network_origin: str | None
    vpc_configuration: Mapping[str, Any] | None
    policy: Any  # PolicyDocument | None | UNKNOWN
    public_access_block: Any
    errors: Mapping[str, str]
    pointer: str
    bucket_account: str | None = None
    region: str = "*"

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:{self.region}:{self.account}:accesspoint/{self.name}"


@dataclass(frozen=True)
class Compute:
    """Something that runs code as a role: an EC2 instance, a Lambda function, a Glue job ... (``compute.py``
    lists the kinds). ``role`` is the role ARN it runs as, None when it runs as none, UNKNOWN when that could
    not be read; ``facts`` holds what a kind adds (an instance's ``state``, ``profile`` and whether SSM
    ``managed`` it; an ECS service's ``cluster`` and ``exec_enabled``)."""

    kind: str
    arn: str
    name: str
    account: str
    region: Any  # str, or UNKNOWN
    role: Any
    pointer: str
    facts: Mapping[str, Any] = field(default_factory=lambda: EMPTY)


@dataclass(frozen=True)
class KmsGrant:
    """One grant of a KMS key (``kms:ListGrants``): ``grantee`` may call ``operations`` (``Decrypt``,
    ``GenerateDataKey`` ...) on the key, when the request's encryption context meets ``constraints``
    (``{"EncryptionContextSubset": {...}}`` or ``{"EncryptionContextEquals": {...}}``)."""

    grant_id: str
    name: str | None
    grantee: str  # a principal ARN, an account, or a service principal
    operations: tuple[str, ...]
    constraints: Mapping[str, Mapping[str, str]] | None
    issuing_account: str | None
    retiring: str | None
    pointer: str


@dataclass(frozen=True)
class KmsKey:
    """A KMS key as ``kms:DescribeKey`` and the calls beside it read it (docs/snapshot-format.md, "KMS keys").

    ``policy`` is UNKNOWN when ``GetKeyPolicy`` failed or was not recorded (every key has a policy);
    ``grants`` UNKNOWN when ``ListGrants`` failed; ``manager`` (``AWS`` or ``CUSTOMER``) and ``state``
    UNKNOWN when ``DescribeKey`` failed; ``rotation`` UNKNOWN when ``GetKeyRotationStatus`` failed or was
    not recorded. ``origin`` says where a key's facts come from when not from the snapshot (the AWS managed
    key ``aws/s3``, whose policy AWS documents, for a bucket whose key the input does not hold)."""

    arn: str
    key_id: str
    account: str
    region: Any  # str, or UNKNOWN
    manager: Any
    state: Any
    aliases: tuple[str, ...]  # alias names, ``alias/...``
    policy: Any  # PolicyDocument | UNKNOWN
    grants: Any  # tuple[KmsGrant, ...] | UNKNOWN
    rotation: Any  # bool | UNKNOWN
    errors: Mapping[str, str]
    pointer: str
    description: str | None = None
    origin: str | None = None

    @property
    def aws_managed(self) -> Any:
        """True for an AWS managed key (``aws/s3`` ...), which only its own account can use, through its
        service; UNKNOWN when ``DescribeKey`` failed and no ``alias/aws/`` alias says so."""
        if any(a.startswith("alias/aws/") for a in self.aliases):
            return True
        if self.manager is UNKNOWN:
            return UNKNOWN
        return self.manager == "AWS"

    @property
    def label(self) -> str:
        """The key as people know it: its first alias and ARN, or the ARN alone."""
        return f"{self.aliases[0]} ({self.arn})" if self.aliases else self.arn


@dataclass(frozen=True)
class VpcEndpoint:
    """A VPC endpoint (``ec2:DescribeVpcEndpoints``). ``policy`` is None for an endpoint without a policy
    document (full access, as AWS's default endpoint policy), UNKNOWN when it could not be read."""

    id: str
    account: str
    region: Any  # str, or UNKNOWN
    vpc: str | None
    service: str | None
    type: str | None
    state: str | None
    policy: Any  # PolicyDocument | None | UNKNOWN
    errors: Mapping[str, str]
    pointer: str

    @property
    def arn(self) -> str:
        region = self.region if isinstance(self.region, str) else "*"
        return f"arn:aws:ec2:{region}:{self.account}:vpc-endpoint/{self.id}"


@dataclass(frozen=True)
class Account:
    id: str
    name: str | None
    users: tuple[User, ...]
    groups: tuple[Group, ...]
    roles: tuple[Role, ...]
    managed_policies: Mapping[str, ManagedPolicy]  # by ARN
    public_access_block: Any  # PublicAccessBlock | None | UNKNOWN
    buckets: tuple[Bucket, ...]
    access_points: tuple[AccessPoint, ...]
    errors: Mapping[str, str]
    pointer: str
    compute: tuple[Compute, ...] = ()
    # kind -> why the account's inventory of that kind is incomplete (not collected, a listing failed)
    compute_unknown: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    regions: tuple[str, ...] | None = None  # the regions the collector read compute in; None: not said
    # user name -> whether the user has a console password (the credential report); UNKNOWN when not read
    passwords: Any = UNKNOWN
    kms_keys: tuple[KmsKey, ...] = ()
    # region ("*": every region) -> why the account's KMS keys there are not all known (not collected, a
    # listing failed); empty when they are
    kms_gaps: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    vpc_endpoints: tuple[VpcEndpoint, ...] = ()
    vpc_endpoint_gaps: Mapping[str, str] = field(default_factory=lambda: EMPTY)

    @property
    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.id}:root"

    @property
    def iam_known(self) -> bool:
        return not any(k.startswith("iam:") for k in self.errors)

    @property
    def s3_known(self) -> bool:
        return not any(k.startswith(("s3:ListBuckets", "s3:ListAllMyBuckets")) for k in self.errors)

    def has_password(self, user_name: str) -> Any:
        """Whether the user has a console password (True/False), or UNKNOWN when the snapshot does not say."""
        if self.passwords is UNKNOWN:
            return UNKNOWN
        return self.passwords.get(user_name, UNKNOWN)


@dataclass(frozen=True)
class OrgPolicy:
    id: str
    name: str
    type: str  # SERVICE_CONTROL_POLICY | RESOURCE_CONTROL_POLICY
    document: PolicyDocument
    targets: tuple[str, ...]
    pointer: str


@dataclass(frozen=True)
class Organization:
    id: str | None
    management_account: str | None
    parents: Mapping[str, str]  # account, unit -> parent id
    names: Mapping[str, str]  # any id -> name
    member_accounts: frozenset[str]
    policies: tuple[OrgPolicy, ...]
    errors: Mapping[str, str]
    pointer: str

    def path_of(self, account_id: str) -> tuple[str, ...]:
        """The ids from the root down to the account: root, OUs..., account. Empty if not a member."""
        if account_id not in self.member_accounts:
            return ()
        chain = [account_id]
        seen = {account_id}
        node = account_id
        while node in self.parents:
            node = self.parents[node]
            if node in seen:  # a cycle in hand-written input; stop rather than loop
                break
            seen.add(node)
            chain.append(node)
        return tuple(reversed(chain))


@dataclass(frozen=True)
class UnreadInput:
    """Something a producer was given but could not read (a Terraform module that was not downloaded, a
    CloudFormation transform it cannot expand): what it is, why, and where it is declared."""

    what: str
    why: str
    file: str | None = None
    line: int | None = None
    column: int | None = None


# Producers that describe a change rather than an account (docs/snapshot-format.md, "Compute"): what they do
# not declare is not part of the change, so an absent regional section (KMS keys, VPC endpoints) means "none
# declared".
IAC_KINDS = frozenset({"terraform", "cloudformation"})


@dataclass(frozen=True)
class Snapshot:
    format: str
    taken_at: str
    source_kind: str | None
    source_detail: str | None
    organization: Organization | None
    accounts: tuple[Account, ...]
    locations: Mapping[str, Mapping[str, Any]]
    file: str | None = None
    unread: tuple[UnreadInput, ...] = ()

    def account(self, account_id: str) -> Account | None:
        for a in self.accounts:
            if a.id == account_id:
                return a
        return None

    def managed_document(self, arn: str) -> PolicyDocument | None:
        """The default version of a managed policy, wherever in the snapshot it is held (its own account's
        copy first), or None when the snapshot holds none."""
        return self._managed_documents.get(arn)

    @cached_property
    def _managed_documents(self) -> Mapping[str, PolicyDocument]:
        out: dict[str, PolicyDocument] = {}
        for a in self.accounts:
            for arn, mp in a.managed_policies.items():
                if mp.document is not None and (arn not in out or a.id in arn):
                    out[arn] = mp.document
        return out

    @property
    def buckets(self) -> tuple[Bucket, ...]:
        return tuple(b for a in self.accounts for b in a.buckets)

    def vpc_endpoint(self, endpoint_id: str) -> "VpcEndpoint | None":
        return self._vpc_endpoints.get(endpoint_id)

    @cached_property
    def _vpc_endpoints(self) -> Mapping[str, "VpcEndpoint"]:
        return {e.id: e for a in self.accounts for e in a.vpc_endpoints}

    @cached_property  # asked for each principal node the graph makes
    def account_ids(self) -> frozenset[str]:
        return frozenset(a.id for a in self.accounts)

    def collection_errors(self) -> tuple[tuple[str, str, str], ...]:
        """Every failed call the snapshot records, as (where, call, error): the organization's, each account's,
        each bucket's and each access point's, in the snapshot's order."""
        out: list[tuple[str, str, str]] = []
        if self.organization is not None:
            out.extend(("organization", k, str(v)) for k, v in self.organization.errors.items())
        for a in self.accounts:
            out.extend((f"account {a.id}", k, str(v)) for k, v in a.errors.items())
            for b in a.buckets:
                out.extend((f"bucket {b.name} (account {a.id})", k, str(v)) for k, v in b.errors.items())
            for ap in a.access_points:
                out.extend((f"access point {ap.name} (account {a.id})", k, str(v)) for k, v in ap.errors.items())
        return tuple(out)

    def in_organization(self, account_id: str) -> bool:
        """Whether an account belongs to the estate: the organization if there is one, else the snapshot."""
        if self.organization is not None and self.organization.member_accounts:
            return account_id in self.organization.member_accounts
        return account_id in self.account_ids

    def location_of(self, pointer: str) -> Mapping[str, Any] | None:
        """The file position recorded for a pointer, or for the nearest enclosing object that has one."""
        p = pointer
        while True:
            if p in self.locations:
                return self.locations[p]
            if not p:
                return None
            p = p.rsplit("/", 1)[0]
