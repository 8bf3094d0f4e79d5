"""The live collector: read IAM, S3, compute that runs as a role, KMS keys, VPC endpoints and the organization's
guard rails from AWS into a format-v1 snapshot (compute and the credential report: ``aws_compute.py``).

This is the only module that imports boto3, and only when a collection starts. Every call it makes is a
read (Get*, List*, Describe*) plus ``sts:AssumeRole`` to reach member accounts; ``policies/scanner-policy.json``
lists them and a test keeps the two in step.

Failures never stop the scan: a "not configured" answer (``NoSuchBucketPolicy`` ...) is recorded as an absent
key, any other failure as its error code under ``Errors`` (bucket, access point) or ``errors`` (account), so
the value is *unknown*, which consumers treat differently from absent.

Resuming: while it runs, the collector keeps a journal beside the output, ``<output>.partial``: JSON lines,
a header, then the organization, then one line per finished account, each appended and flushed to disk.
``--resume`` reads it back and skips the accounts it holds; a torn last line (a kill during the write) is
dropped. The snapshot itself is written atomically at the end, and then the journal is removed.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, TextIO

from ..errors import InputError, Place, S3AuditError, UsageError
from ..fileio import write_atomic
from . import aws_compute

FORMAT = "s3audit.snapshot/v1"
JOURNAL_FORMAT = "s3audit.collect-journal/v1"
JOURNAL_SUFFIX = ".partial"

IAM_FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
IAM_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
UNREACHED_READS = ("iam:GetAccountAuthorizationDetails", "s3:ListBuckets", "s3control:GetPublicAccessBlock",
                   "s3control:ListAccessPoints", "kms:ListKeys", "ec2:DescribeVpcEndpoints")
ORG_POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
ROLE_ARN = re.compile(r"^arn:[a-z-]+:iam::(\d{12}):role/[\w+=,.@/-]+$")
ACCOUNT_ID = re.compile(r"^\d{12}$")


class CollectError(S3AuditError):
    """The collection as a whole cannot go on (no credentials, the organization's accounts cannot be listed)."""

    kind = "collect"


def _body(resp: dict) -> dict:
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def _policy_document(text: Any) -> Any:
    """A policy as a JSON object when it parses; otherwise the string as AWS returned it (the schema allows both)."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _acl(resp: dict) -> dict:
    return {"Owner": resp.get("Owner", {}), "Grants": resp.get("Grants", [])}


def _tags(resp: dict) -> dict:
    return {t["Key"]: t["Value"] for t in resp.get("TagSet", [])}


@dataclass(frozen=True)
class BucketCall:
    key: str                   # snapshot key
    operation: str             # S3 API operation, also the key under Errors
    absent: frozenset[str]     # error codes that mean "not configured"
    extract: Callable[[dict], Any]


# Every per-bucket read, in the order docs/snapshot-format.md lists them (GetBucketLocation comes first, separately).
BUCKET_CALLS: tuple[BucketCall, ...] = (
    BucketCall("Policy", "GetBucketPolicy", frozenset({"NoSuchBucketPolicy"}),
               lambda r: _policy_document(r.get("Policy"))),
    BucketCall("PolicyStatus", "GetBucketPolicyStatus", frozenset({"NoSuchBucketPolicy"}),
               lambda r: r.get("PolicyStatus") or None),  # an empty status carries no verdict
    BucketCall("Acl", "GetBucketAcl", frozenset(), _acl),
    BucketCall("PublicAccessBlock", "GetPublicAccessBlock", frozenset({"NoSuchPublicAccessBlockConfiguration"}),
               lambda r: r.get("PublicAccessBlockConfiguration")),
    BucketCall("OwnershipControls", "GetBucketOwnershipControls", frozenset({"OwnershipControlsNotFoundError"}),
               lambda r: r.get("OwnershipControls")),
    BucketCall("Encryption", "GetBucketEncryption", frozenset({"ServerSideEncryptionConfigurationNotFoundError"}),
               lambda r: r.get("ServerSideEncryptionConfiguration")),
    BucketCall("Versioning", "GetBucketVersioning", frozenset(), _body),
    BucketCall("Logging", "GetBucketLogging", frozenset(), _body),
    BucketCall("Tags", "GetBucketTagging", frozenset({"NoSuchTagSet"}), _tags),
    BucketCall("Lifecycle", "GetBucketLifecycleConfiguration", frozenset({"NoSuchLifecycleConfiguration"}), _body),
    BucketCall("ObjectLock", "GetObjectLockConfiguration", frozenset({"ObjectLockConfigurationNotFoundError"}),
               lambda r: r.get("ObjectLockConfiguration")),
    BucketCall("Replication", "GetBucketReplication", frozenset({"ReplicationConfigurationNotFoundError"}),
               lambda r: r.get("ReplicationConfiguration")),
    BucketCall("Website", "GetBucketWebsite", frozenset({"NoSuchWebsiteConfiguration"}), _body),
)


def bucket_region(location_constraint: str | None) -> str:
    """GetBucketLocation's answer as a region name: null means us-east-1 and the legacy ``EU`` means eu-west-1.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
    """
    if not location_constraint:
        return "us-east-1"
    if location_constraint == "EU":
        return "eu-west-1"
    return location_constraint


@dataclass(frozen=True)
class CollectOptions:
    output: str
    profile: str | None = None
    region: str | None = None
    role_name: str | None = None
    role_arns: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    organization: bool = False
    endpoint_url: str | None = None
    workers: int = 8
    resume: bool = False
    max_attempts: int = 10     # attempts per call, the first included (botocore adaptive retries)
    regions: tuple[str, ...] = ()  # where to read compute; empty: every region enabled in the account
    scheduler: str | None = None  # a Dask scheduler: member accounts are collected as tasks on its workers

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise UsageError("`--workers` must be at least 1")
        for arn in self.role_arns:
            if not ROLE_ARN.match(arn):
                raise UsageError(f"`{arn}` is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")
        for account in self.accounts:
            if not ACCOUNT_ID.match(account):
                raise UsageError(f"`{account}` is not a 12-digit AWS account id")
        if self.role_arns and (self.accounts or self.organization):
            raise UsageError("`--role-arn` names the accounts itself; do not combine it with "
                             "`--accounts` or `--organization`")
        if (self.accounts or self.organization) and not self.role_name:
            raise UsageError("`--accounts` and `--organization` need `--role-name`, the role to assume in each account")
        if self.role_name and not (self.accounts or self.organization):
            raise UsageError("`--role-name` needs `--accounts` or `--organization`")
        if self.scheduler and not (self.role_name or self.role_arns):
            raise UsageError("`--scheduler` collects accounts by assuming a role in each: give `--organization` "
                             "or `--accounts` with `--role-name`, or `--role-arn`")

    @property
    def journal_path(self) -> str:
        return self.output + JOURNAL_SUFFIX

    def scope(self) -> dict:
        """What is being collected; a journal made for another scope must not be resumed."""
        return {"organization": self.organization, "accounts": sorted(self.accounts),
                "role_arns": sorted(self.role_arns), "role_name": self.role_name,
                "endpoint_url": self.endpoint_url, "regions": sorted(self.regions)}


class Progress:
    """Accounts and buckets done and errors so far, redrawn on one terminal line; silent when not a terminal."""

    def __init__(self, stream: TextIO | None = None, interval: float = 0.1, enabled: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled
        self.interval = interval
        self.accounts_total = self.accounts_done = 0
        self.buckets_total = self.buckets_done = 0
        self.errors = 0
        self._lock = threading.Lock()
        self._last = 0.0

    def add(self, *, accounts_total: int = 0, accounts_done: int = 0, buckets_total: int = 0,
            buckets_done: int = 0, errors: int = 0) -> None:
        with self._lock:
            self.accounts_total += accounts_total
            self.accounts_done += accounts_done
            self.buckets_total += buckets_total
            self.buckets_done += buckets_done
            self.errors += errors
            self._draw(force=False)

    def line(self) -> str:
        return (f"s3audit collect: accounts {self.accounts_done}/{self.accounts_total}, "
                f"buckets {self.buckets_done}/{self.buckets_total}, errors {self.errors}")

    def _draw(self, force: bool) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if force or now - self._last >= self.interval:
            self._last = now
            self.stream.write("\r\x1b[K" + self.line())
            self.stream.flush()

    def finish(self) -> None:
        with self._lock:
            if self.enabled:
                self._draw(force=True)
                self.stream.write("\n")
                self.stream.flush()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(value: Any, **kw: Any) -> str:
    """JSON text with the datetimes boto3 returns written as RFC 3339 UTC strings."""
    return json.dumps(value, default=_json_default, ensure_ascii=False, **kw)


def _write(path: str, text: str) -> None:
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", Place(path)) from None


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------------------
# The journal beside the output (resume)

@dataclass
class Journal:
    path: str
    taken_at: str
    organization_done: bool = False
    organization: dict | None = None
    organization_errors: dict = field(default_factory=dict)
    accounts: dict[str, dict] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def start(cls, path: str, scope: dict) -> "Journal":
        journal = cls(path=path, taken_at=_now())
        _write(path, to_json({"format": JOURNAL_FORMAT, "scope": scope, "taken_at": journal.taken_at}) + "\n")
        return journal

    @classmethod
    def resume(cls, path: str, scope: dict) -> "Journal":
        """Read a journal back; rewrite it without a torn last line so that appends stay line-aligned."""
        try:
            with open(path, encoding="utf-8") as fh:
                lines = fh.read().split("\n")
        except FileNotFoundError:
            return cls.start(path, scope)
        except OSError as exc:
            raise InputError(f"cannot read the partial collection: {exc.strerror or exc}", Place(path)) from None
        records = []
        last = max((n for n, line in enumerate(lines, 1) if line.strip()), default=0)
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                if number != last:   # only the last line may be torn by a kill
                    raise InputError("corrupt partial collection; delete it to start afresh",
                                     Place(path, number)) from None
        if not records or not isinstance(records[0], dict) or records[0].get("format") != JOURNAL_FORMAT:
            raise InputError(f"not a partial collection (expected a first line with format `{JOURNAL_FORMAT}`)",
                             Place(path, 1))
        if records[0].get("scope") != scope:
            raise UsageError(f"the partial collection `{path}` was made for other accounts or options; "
                             "run again without `--resume` to start afresh")
        journal = cls(path=path, taken_at=records[0]["taken_at"])
        for record in records[1:]:
            if "organization" in record:
                journal.organization_done = True
                journal.organization = record["organization"]
                journal.organization_errors = record.get("errors", {})
            elif "account" in record:
                journal.accounts[record["account"]["id"]] = record["account"]
        _write(path, "".join(to_json(r) + "\n" for r in records))
        return journal

    def _append(self, record: dict) -> None:
        """One line, handed to the kernel in one write(2) on a descriptor opened for appending (a buffered
        text file would split a large account's line into several writes, each a moment at which a reader or
        a kill sees half a line), then synced. A kill can still land inside that write: ``resume`` drops a
        torn last line."""
        data = (to_json(record) + "\n").encode("utf-8")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)

    def record_organization(self, organization: dict | None, errors: dict) -> None:
        self.organization_done, self.organization, self.organization_errors = True, organization, errors
        self._append({"organization": organization, "errors": errors})

    def record_account(self, account: dict) -> None:
        self.accounts[account["id"]] = account
        self._append({"account": account})


# ---------------------------------------------------------------------------------------------------------
# The collector

@dataclass(frozen=True)
class Target:
    account_id: str
    name: str | None
    role_arn: str | None      # None: the caller's own credentials


class _Account:
    """One account being collected: its session and a cache of clients per (service, region)."""

    def __init__(self, collector: "Collector", account_id: str, session: Any):
        self.collector = collector
        self.id = account_id
        self.session = session
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.collector.home_region)
        with self._lock:  # boto3 sessions are not thread-safe; clients are
            if key not in self._clients:
                self._clients[key] = self.collector.make_client(self.session, *key)
            return self._clients[key]


def _keep_endpoint_host(endpoint_url: str) -> Callable[..., None]:
    """A ``before-sign`` handler that sends S3 Control calls to the endpoint itself.

    S3 Control's endpoint rules put the account id in front of the host (``123456789012.<endpoint>``), as AWS's
    own endpoints need; an S3-compatible endpoint (moto's server, LocalStack) answers on its own host only, and
    reads the account from the ``x-amz-account-id`` header every S3 Control call also carries
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetPublicAccessBlock.html). botocore's
    ``inject_host_prefix=False`` does not reach the endpoint rules, so the prefix is taken off here, before the
    request is signed (the signature covers the host).
    """
    from urllib.parse import urlsplit, urlunsplit
    host = urlsplit(endpoint_url).netloc
    prefixed = re.compile(r"\d{12}\." + re.escape(host))

    def handler(request, **_):
        parts = urlsplit(request.url)
        if prefixed.fullmatch(parts.netloc):
            request.url = urlunsplit(parts._replace(netloc=host))
    return handler


class Collector:
    """Reads one snapshot. ``on_new_client(client)`` is called for every client made (tests hook events there)."""

    def __init__(self, options: CollectOptions, progress: Progress | None = None,
                 on_new_client: Callable[[Any], None] | None = None):
        import boto3  # the only place s3audit imports boto3
        import botocore.config
        import botocore.exceptions

        self.options = options
        self.progress = progress or Progress(enabled=False)
        self.on_new_client = on_new_client
        self._boto3 = boto3
        self._api_errors = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
        self._client_error = botocore.exceptions.ClientError
        self._config = botocore.config.Config(
            retries={"mode": "adaptive", "total_max_attempts": options.max_attempts},
            max_pool_connections=max(10, options.workers * 2),
            user_agent_extra="s3audit-collect",
        )
        try:
            self.base_session = boto3.Session(profile_name=options.profile, region_name=options.region)
        except botocore.exceptions.ProfileNotFound:
            raise UsageError(f"no AWS profile named `{options.profile}`") from None
        self.home_region = options.region or self.base_session.region_name or "us-east-1"
        self._base = _Account(self, "", self.base_session)

    # -- helpers ------------------------------------------------------------------------------------------

    policy_document = staticmethod(_policy_document)

    def make_client(self, session: Any, service: str, region: str) -> Any:
        client = session.client(service, region_name=region, endpoint_url=self.options.endpoint_url,
                                config=self._config)
        if service == "s3control" and self.options.endpoint_url:
            client.meta.events.register("before-sign.s3-control", _keep_endpoint_host(self.options.endpoint_url))
        if self.on_new_client is not None:
            self.on_new_client(client)
        return client

    def error_code(self, exc: BaseException) -> str:
        if isinstance(exc, self._client_error):
            return exc.response.get("Error", {}).get("Code") or "Unknown"
        return type(exc).__name__

    def _paginate(self, client: Any, method: str, key: str, **kwargs: Any) -> list:
        items: list = []
        for page in client.get_paginator(method).paginate(**kwargs):
            items.extend(page.get(key, []))
        return items

    # -- the run ------------------------------------------------------------------------------------------

    def caller(self) -> tuple[str, str]:
        """The caller's account id and partition; fails the whole collection when AWS does not know us."""
        try:
            identity = self._base.client("sts").get_caller_identity()
        except self._api_errors as exc:
            raise CollectError(f"cannot authenticate to AWS: `{self.error_code(exc)}`") from None
        return identity["Account"], identity["Arn"].split(":")[1]

    def run(self) -> dict:
        options = self.options
        if os.path.isdir(options.output):
            raise InputError("is a directory, expected the snapshot file to write", Place(options.output))
        caller_account, partition = self.caller()
        journal = (Journal.resume if options.resume else Journal.start)(options.journal_path, options.scope())

        if not journal.organization_done:
            organization, org_errors = self.collect_organization()
            self.progress.add(errors=len(org_errors))
            journal.record_organization(organization, org_errors)
        targets = self.targets(caller_account, partition, journal.organization)
        pending = [t for t in targets if t.account_id not in journal.accounts]
        self.progress.add(accounts_total=len(targets), accounts_done=len(targets) - len(pending))
        self.collect_accounts(pending, journal)
        self.progress.finish()

        accounts = [journal.accounts[t.account_id] for t in targets]
        organization = journal.organization
        if journal.organization_errors:
            organization = {**(organization or {}), "errors": journal.organization_errors}
        snapshot: dict[str, Any] = {
            "format": FORMAT,
            "taken_at": journal.taken_at,
            "source": {"kind": "aws", "detail": f"s3audit collect, {len(accounts)} account(s)"},
        }
        if organization is not None:
            snapshot["organization"] = organization
        snapshot["accounts"] = accounts
        return snapshot

    def collect_accounts(self, targets: list[Target], journal: Journal) -> None:
        """Collect accounts, each journaled when done: on a Dask cluster (``scheduler``), every account the
        collection reaches by assuming a role; here, the others (or all of them)."""
        if self.options.scheduler:
            remote = [t for t in targets if t.role_arn is not None]
            self.collect_on_cluster(remote, journal)
            targets = [t for t in targets if t.role_arn is None]  # the caller's own: its credentials are here
        self.collect_here(targets, journal)

    def collect_on_cluster(self, targets: list[Target], journal: Journal) -> None:
        """One task per account on the cluster's workers, each assuming the role in its account with the
        worker's own credentials; each account journaled here as its task finishes. The scheduler reruns
        the task of a worker lost mid-account (its half-read account never reaches the journal, and a task
        yields its result once, so nothing is lost or written twice); if it gives up, the run stops with
        the journal as it is, for ``--resume``."""
        if not targets:
            return
        from concurrent.futures import as_completed

        from ..shards.executors import WorkerLost, connect, lost
        client = connect(self.options.scheduler)
        try:
            pool = client.get_executor(pure=False)
            futures = {pool.submit(collect_account_task, self.options, t): t for t in targets}
            for future in as_completed(futures):
                try:
                    account = future.result()
                except S3AuditError:
                    raise
                except Exception as exc:
                    if lost(exc):
                        raise WorkerLost(f"Dask workers were lost while collecting account "
                                         f"{futures[future].account_id} and the scheduler gave up rerunning it "
                                         f"({type(exc).__name__}); the accounts collected so far are in "
                                         f"{journal.path}: run again with --resume") from None
                    raise
                journal.record_account(account)
                self.progress.add(accounts_done=1)
        finally:
            client.close()

    def collect_here(self, targets: list[Target], journal: Journal) -> None:
        """Collect accounts in this process, several at once (a quarter as many as workers).

        The API calls run in one pool of ``workers`` threads; the accounts' own threads only list buckets,
        assume roles and wait. On any exception (a crash, Ctrl-C) the queued work is cancelled at once.
        """
        pool = ThreadPoolExecutor(max_workers=self.options.workers, thread_name_prefix="s3audit-collect")
        accounts = ThreadPoolExecutor(max_workers=max(1, min(len(targets), self.options.workers // 4)),
                                      thread_name_prefix="s3audit-account")

        def one(target: Target) -> None:
            journal.record_account(self.collect_account(target, pool))
            self.progress.add(accounts_done=1)

        futures = [accounts.submit(one, target) for target in targets]
        try:
            for future in futures:
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            accounts.shutdown(wait=True)
            pool.shutdown(wait=True)

    def targets(self, caller_account: str, partition: str, organization: dict | None) -> list[Target]:
        options = self.options
        if options.role_arns:
            seen: dict[str, Target] = {}
            for arn in options.role_arns:
                account_id = ROLE_ARN.match(arn).group(1)  # type: ignore[union-attr]
                seen.setdefault(account_id, Target(account_id, None, arn))
            return list(seen.values())
        names = {a["Id"]: a.get("Name") for a in (organization or {}).get("accounts", [])}
        if options.organization:
            try:
                listed = self._paginate(self._base.client("organizations"), "list_accounts", "Accounts")
            except self._api_errors as exc:
                raise CollectError(f"cannot list the organization's accounts: `{self.error_code(exc)}` "
                                   "(run from the management account or a delegated administrator)") from None
            ids = [a["Id"] for a in listed if a.get("Status", "ACTIVE") == "ACTIVE"]
            names.update({a["Id"]: a.get("Name") for a in listed})
        elif options.accounts:
            ids = list(dict.fromkeys(options.accounts))
        else:
            ids = [caller_account]
        return [Target(i, names.get(i),
                       None if i == caller_account else f"arn:{partition}:iam::{i}:role/{options.role_name}")
                for i in ids]

    # -- organization -------------------------------------------------------------------------------------

    def collect_organization(self) -> tuple[dict | None, dict]:
        """The organization tree and its enabled SCPs and RCPs with their targets, or None outside an organization.

        Reading the tree needs the management account or a delegated administrator; elsewhere the calls
        fail and their codes are returned as errors (SCPs and RCPs then stay unknown).
        """
        orgs = self._base.client("organizations")
        errors: dict[str, str] = {}

        def attempt(operation: str, fn: Callable[[], Any]) -> Any:
            try:
                return fn()
            except self._api_errors as exc:
                errors[f"organizations:{operation}"] = self.error_code(exc)
                return None

        try:
            described = orgs.describe_organization()["Organization"]
        except self._api_errors as exc:
            code = self.error_code(exc)
            if code == "AWSOrganizationsNotInUseException":
                return None, {}
            return None, {"organizations:DescribeOrganization": code}
        organization: dict[str, Any] = {"id": described["Id"], "management_account": described["MasterAccountId"],
                                        "roots": [], "units": [], "accounts": [], "policies": []}
        roots = attempt("ListRoots", lambda: self._paginate(orgs, "list_roots", "Roots"))
        if roots is None:
            return organization, errors
        organization["roots"] = [{"Id": r["Id"], "Name": r.get("Name", "Root")} for r in roots]
        parents = [r["Id"] for r in roots]
        while parents:
            parent = parents.pop(0)
            units = attempt("ListOrganizationalUnitsForParent", lambda: self._paginate(
                orgs, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent)) or []
            for unit in units:
                organization["units"].append({"Id": unit["Id"], "Name": unit.get("Name", ""), "Parent": parent})
                parents.append(unit["Id"])
            accounts = attempt("ListAccountsForParent", lambda: self._paginate(
                orgs, "list_accounts_for_parent", "Accounts", ParentId=parent)) or []
            for account in accounts:
                entry = {"Id": account["Id"], "Parent": parent}
                if account.get("Name"):
                    entry["Name"] = account["Name"]
                organization["accounts"].append(entry)

        # A policy type that is not enabled at the root is not enforced, so its policies must not be recorded:
        # a recorded RCP or SCP that AWS does not apply would hide real access.
        # https://docs.aws.amazon.com/organizations/latest/userguide/enable-policy-type.html
        enabled = {t["Type"] for r in roots for t in r.get("PolicyTypes", []) if t.get("Status") == "ENABLED"}
        for policy_type in ORG_POLICY_TYPES:
            if policy_type not in enabled:
                continue
            summaries = attempt("ListPolicies", lambda: self._paginate(
                orgs, "list_policies", "Policies", Filter=policy_type)) or []
            for summary in summaries:
                described_policy = attempt("DescribePolicy", lambda: orgs.describe_policy(PolicyId=summary["Id"]))
                targets = attempt("ListTargetsForPolicy", lambda: self._paginate(
                    orgs, "list_targets_for_policy", "Targets", PolicyId=summary["Id"]))
                if described_policy is None or targets is None:
                    continue  # recorded in errors; a half-known guard rail is left out rather than guessed
                organization["policies"].append({
                    "Id": summary["Id"], "Name": summary.get("Name", summary["Id"]), "Type": policy_type,
                    "Document": _policy_document(described_policy["Policy"].get("Content")),
                    "Targets": [t["TargetId"] for t in targets],
                })
        return organization, errors

    # -- one account --------------------------------------------------------------------------------------

    def _session_for(self, target: Target) -> Any:
        if target.role_arn is None:
            return self.base_session
        import botocore.credentials
        import botocore.session

        sts = self._base.client("sts")

        def fetch() -> dict:
            creds = sts.assume_role(RoleArn=target.role_arn, RoleSessionName="s3audit-collect")["Credentials"]
            return {"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                    "token": creds["SessionToken"], "expiry_time": _json_default(creds["Expiration"])}

        # Refreshable, so that a scan longer than the role session keeps going.
        credentials = botocore.credentials.RefreshableCredentials.create_from_metadata(
            metadata=fetch(), refresh_using=fetch, method="sts-assume-role")
        core = botocore.session.Session()
        core._credentials = credentials
        # Share the loaded service models: loading them again for every account costs a second per account.
        core.register_component("data_loader", self.base_session._session.get_component("data_loader"))
        return self._boto3.Session(botocore_session=core, region_name=self.home_region)

    def collect_account(self, target: Target, pool: ThreadPoolExecutor) -> dict:
        account: dict[str, Any] = {"id": target.account_id}
        if target.name:
            account["name"] = target.name
        account["iam"] = {}
        account["s3"] = {}
        errors: dict[str, str] = {}
        try:
            session = self._session_for(target)
        except self._api_errors as exc:
            # Nothing of the account could be read: every account-level read is marked as failed with the
            # same code, so that consumers see its IAM, buckets and Block Public Access as unknown, not empty.
            code = self.error_code(exc)
            account["errors"] = {"sts:AssumeRole": code, **{read: code for read in UNREACHED_READS}}
            self.progress.add(errors=1)
            return account
        ctx = _Account(self, target.account_id, session)

        iam_future = pool.submit(self.collect_iam, ctx)
        bpa_future = pool.submit(self.collect_account_public_access_block, ctx)
        report_future = pool.submit(aws_compute.credential_report, self, ctx)
        compute_regions, region_errors = aws_compute.regions(self, ctx)
        errors.update(region_errors)
        compute_futures = [pool.submit(aws_compute.read_region, self, ctx, reader, region)
                           for region in compute_regions for reader in aws_compute.READERS]
        try:
            listed = self._paginate(ctx.client("s3"), "list_buckets", "Buckets")
        except self._api_errors as exc:
            errors["s3:ListBuckets"] = self.error_code(exc)
            self.progress.add(errors=1)
            listed = None
        bucket_futures: list[Future] = []
        if listed is not None:
            self.progress.add(buckets_total=len(listed))
            bucket_futures = [pool.submit(self.collect_bucket, ctx, b) for b in listed]

        iam, iam_errors = iam_future.result()
        account["iam"] = iam
        errors.update(iam_errors)
        bpa, bpa_errors = bpa_future.result()
        errors.update(bpa_errors)
        if not bpa_errors:
            account["s3"]["public_access_block"] = bpa
        if listed is not None:
            account["s3"]["buckets"] = [f.result() for f in bucket_futures]

        # Access points live in a region; look in every region this account has a bucket in, and the home one.
        regions = sorted({self.home_region} | {b["Region"] for b in account["s3"].get("buckets", [])
                                               if b.get("Region")})
        ap_futures = [pool.submit(self.collect_access_points, ctx, region) for region in regions]
        access_points: dict[str, dict] = {}
        for future in ap_futures:
            found, ap_errors = future.result()
            errors.update(ap_errors)
            for ap in found:  # keyed by ARN: an endpoint that ignores the region returns the same ones twice
                access_points.setdefault(ap.get("AccessPointArn") or f"{ap['Name']}@{ap.get('Bucket')}", ap)
        account["s3"]["access_points"] = list(access_points.values())

        report, report_errors = report_future.result()
        errors.update(report_errors)
        if report is not None:
            account["credential_report"] = report
        account["regions"] = compute_regions
        aws_compute.empty_sections(account)
        for future in compute_futures:
            found, compute_errors = future.result()
            errors.update(compute_errors)
            aws_compute.merge_found(account, found)
        keys, endpoints, regional_errors = self.collect_keys_and_endpoints(ctx, regions, pool)
        errors.update(regional_errors)
        account["kms"] = {"keys": keys}
        account.setdefault("ec2", {})["vpc_endpoints"] = endpoints  # beside the instances (compute)
        if errors:
            account["errors"] = errors
        return account

    def collect_iam(self, ctx: _Account) -> tuple[dict, dict]:
        """The merged pages of GetAccountAuthorizationDetails, with AWS managed policies kept only if in use."""
        merged: dict[str, list] = {key: [] for key in IAM_LISTS}
        try:
            for page in ctx.client("iam").get_paginator("get_account_authorization_details").paginate(
                    Filter=list(IAM_FILTERS)):
                for key in IAM_LISTS:
                    merged[key].extend(page.get(key, []))
        except self._api_errors as exc:
            self.progress.add(errors=1)
            return {}, {"iam:GetAccountAuthorizationDetails": self.error_code(exc)}
        in_use = _managed_policies_in_use(merged)
        # by ARN: the pages need not list managed policies in the same order twice (moto does not), and a
        # snapshot's pointers (/iam/Policies/N) should not move between two collections of the same account
        merged["Policies"] = sorted((p for p in merged["Policies"] if _keep_policy(p, in_use)),
                                    key=lambda p: str(p.get("Arn", "")))
        return merged, {}

    def collect_account_public_access_block(self, ctx: _Account) -> tuple[dict | None, dict]:
        try:
            resp = ctx.client("s3control").get_public_access_block(AccountId=ctx.id)
        except self._api_errors as exc:
            code = self.error_code(exc)
            if code == "NoSuchPublicAccessBlockConfiguration":
                return None, {}
            self.progress.add(errors=1)
            return None, {"s3control:GetPublicAccessBlock": code}
        return resp.get("PublicAccessBlockConfiguration"), {}

    def collect_bucket(self, ctx: _Account, listed: dict) -> dict:
        name = listed["Name"]
        bucket: dict[str, Any] = {"Name": name}
        if listed.get("CreationDate") is not None:
            bucket["CreationDate"] = listed["CreationDate"]
        errors: dict[str, str] = {}
        try:
            location = ctx.client("s3").get_bucket_location(Bucket=name).get("LocationConstraint")
            bucket["Region"] = bucket_region(location)
        except self._api_errors as exc:
            code = errors["GetBucketLocation"] = self.error_code(exc)
            if listed.get("BucketRegion"):  # ListBuckets names the region too (in newer API versions)
                bucket["Region"] = listed["BucketRegion"]
            if code == "NoSuchBucket":  # deleted since ListBuckets: nothing else can be read
                errors.update({call.operation: code for call in BUCKET_CALLS})
        # Without a known region, the home region's client: botocore follows S3's redirects to the right one.
        client = ctx.client("s3", bucket.get("Region"))
        for call in BUCKET_CALLS:
            if call.operation in errors:
                continue
            try:
                resp = getattr(client, _method(call.operation))(Bucket=name)
            except self._api_errors as exc:
                code = self.error_code(exc)
                if code not in call.absent:
                    errors[call.operation] = code
                continue
            value = call.extract(resp)
            if value is not None:
                bucket[call.key] = value
        if errors:
            bucket["Errors"] = errors
        self.progress.add(buckets_done=1, errors=len(errors))
        return bucket

    def collect_access_points(self, ctx: _Account, region: str) -> tuple[list[dict], dict]:
        s3control = ctx.client("s3control", region)
        listed: list[dict] = []
        kwargs: dict[str, Any] = {"AccountId": ctx.id}
        try:
            while True:
                page = s3control.list_access_points(**kwargs)
                listed.extend(page.get("AccessPointList", []))
                if not page.get("NextToken"):
                    break
                kwargs["NextToken"] = page["NextToken"]
        except self._api_errors as exc:
            self.progress.add(errors=1)
            return [], {"s3control:ListAccessPoints": self.error_code(exc)}
        found = []
        for summary in listed:
            ap: dict[str, Any] = {k: summary[k] for k in ("Name", "Bucket", "NetworkOrigin") if k in summary}
            arn_region = (summary.get("AccessPointArn") or "").split(":")[3:4]
            ap["Region"] = arn_region[0] if arn_region and arn_region[0] else region
            for key in ("VpcConfiguration", "AccessPointArn", "BucketAccountId"):
                if summary.get(key):
                    ap[key] = summary[key]
            errors: dict[str, str] = {}
            try:
                detail = s3control.get_access_point(AccountId=ctx.id, Name=summary["Name"])
                if detail.get("PublicAccessBlockConfiguration") is not None:
                    ap["PublicAccessBlock"] = detail["PublicAccessBlockConfiguration"]
                if detail.get("VpcConfiguration"):
                    ap["VpcConfiguration"] = detail["VpcConfiguration"]
            except self._api_errors as exc:
                errors["GetAccessPoint"] = self.error_code(exc)
            try:
                policy = s3control.get_access_point_policy(AccountId=ctx.id, Name=summary["Name"]).get("Policy")
                if policy:
                    ap["Policy"] = _policy_document(policy)
            except self._api_errors as exc:
                code = self.error_code(exc)
                if code != "NoSuchAccessPointPolicy":
                    errors["GetAccessPointPolicy"] = code
            if errors:
                ap["Errors"] = errors
                self.progress.add(errors=len(errors))
            found.append(ap)
        return found, {}

    # -- KMS keys and VPC endpoints, per region -----------------------------------------------------------

    def collect_keys_and_endpoints(self, ctx: _Account, regions: list[str],
                                   pool: ThreadPoolExecutor) -> tuple[list[dict], list[dict], dict]:
        """Every KMS key (with its aliases, policy, grants and rotation status) and VPC endpoint of the account in
        ``regions`` (where its buckets and access points are: a bucket's SSE-KMS key is in its own region). A
        listing that failed is named ``<service>:<Operation>@<region>`` in the returned errors; a call about one
        key in that key's ``Errors``. Runs on the account's thread; the calls go to ``pool``."""
        listings = [(region, pool.submit(self.list_keys, ctx, region)) for region in regions]
        endpoint_futures = [pool.submit(self.collect_vpc_endpoints, ctx, region) for region in regions]
        errors: dict[str, str] = {}
        key_futures: list[Future] = []
        for region, future in listings:
            listed, aliases, failed = future.result()
            errors.update(failed)
            key_futures += [pool.submit(self.collect_key, ctx, region, k, aliases.get(k["KeyId"], [])) for k in listed]
        endpoints: list[dict] = []
        for future in endpoint_futures:
            found, failed = future.result()
            endpoints += found
            errors.update(failed)
        return [f.result() for f in key_futures], endpoints, errors

    def list_keys(self, ctx: _Account, region: str) -> tuple[list[dict], dict[str, list], dict]:
        """(ListKeys entries, key id -> its ListAliases entries, errors) in one region."""
        kms = ctx.client("kms", region)
        errors: dict[str, str] = {}
        try:
            listed = self._paginate(kms, "list_keys", "Keys")
        except self._api_errors as exc:
            self.progress.add(errors=1)
            return [], {}, {f"kms:ListKeys@{region}": self.error_code(exc)}
        aliases: dict[str, list] = {}
        try:
            for alias in self._paginate(kms, "list_aliases", "Aliases"):
                if alias.get("TargetKeyId"):  # an AWS managed alias whose key AWS has not created yet names none
                    aliases.setdefault(alias["TargetKeyId"], []).append(alias)
        except self._api_errors as exc:
            self.progress.add(errors=1)
            errors[f"kms:ListAliases@{region}"] = self.error_code(exc)
        return listed, aliases, errors

    def collect_key(self, ctx: _Account, region: str, listed: dict, aliases: list) -> dict:
        kms = ctx.client("kms", region)
        arn = listed.get("KeyArn") or listed["KeyId"]
        key: dict[str, Any] = {"KeyId": listed["KeyId"]}
        if listed.get("KeyArn"):
            key["Arn"] = listed["KeyArn"]
        errors: dict[str, str] = {}

        def read(operation: str, fn: Callable[[], Any], absent: frozenset[str] = frozenset()) -> Any:
            try:
                return fn()
            except self._api_errors as exc:
                code = self.error_code(exc)
                if code not in absent:
                    errors[operation] = code
                return None

        described = read("DescribeKey", lambda: kms.describe_key(KeyId=arn)["KeyMetadata"])
        if described:
            key.update(described)
        key["Region"] = region
        if aliases:
            key["Aliases"] = aliases
        policy = read("GetKeyPolicy", lambda: kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"])
        if policy is not None:
            key["Policy"] = _policy_document(policy)
        grants = read("ListGrants", lambda: self._paginate(kms, "list_grants", "Grants", KeyId=arn))
        if grants is not None:
            key["Grants"] = grants
        # Asymmetric and HMAC keys have no automatic rotation: not applicable, not a failure.
        rotation = read("GetKeyRotationStatus", lambda: kms.get_key_rotation_status(KeyId=arn),
                        frozenset({"UnsupportedOperationException"}))
        if rotation is not None:
            key["KeyRotationEnabled"] = rotation.get("KeyRotationEnabled")
        if errors:
            key["Errors"] = errors
            self.progress.add(errors=len(errors))
        return key

    def collect_vpc_endpoints(self, ctx: _Account, region: str) -> tuple[list[dict], dict]:
        try:
            found = self._paginate(ctx.client("ec2", region), "describe_vpc_endpoints", "VpcEndpoints")
        except self._api_errors as exc:
            self.progress.add(errors=1)
            return [], {f"ec2:DescribeVpcEndpoints@{region}": self.error_code(exc)}
        return [{**e, "Region": region} for e in found], {}


def collect_account_task(options: CollectOptions, target: Target) -> dict:
    """One account, on a cluster worker (``Collector.collect_on_cluster``)."""
    from ..shards.drill import kill_point
    kill_point("S3AUDIT_KILL_ACCOUNT", target.account_id)
    collector = Collector(options)
    pool = ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="s3audit-collect")
    try:
        return collector.collect_account(target, pool)
    finally:
        pool.shutdown(wait=True)


def _method(operation: str) -> str:
    """``GetBucketPolicy`` -> ``get_bucket_policy`` (boto3's method name)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def _managed_policies_in_use(details: dict[str, list]) -> set[str]:
    """ARNs of the managed policies that a user, group or role names as attached or as its boundary."""
    arns: set[str] = set()
    for key in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
        for entity in details[key]:
            arns.update(a.get("PolicyArn") for a in entity.get("AttachedManagedPolicies", []))
            boundary = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            if boundary:
                arns.add(boundary)
    return arns


def _keep_policy(policy: dict, in_use: set[str]) -> bool:
    """Customer managed policies are all kept; an AWS managed one only if attached or used as a boundary."""
    arn = policy.get("Arn", "")
    if arn.split(":")[4:5] != ["aws"]:
        return True
    return (policy.get("AttachmentCount", 0) > 0 or policy.get("PermissionsBoundaryUsageCount", 0) > 0
            or arn in in_use)


def collect(options: CollectOptions, progress: Progress | None = None,
            on_new_client: Callable[[Any], None] | None = None) -> dict:
    """Collect the snapshot, write it atomically to ``options.output``, remove the journal; return the snapshot
    as written (plain JSON values)."""
    text = to_json(Collector(options, progress, on_new_client).run(), indent=1) + "\n"
    _write(options.output, text)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(options.journal_path)
    return json.loads(text)
