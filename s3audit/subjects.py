"""What a finding's subject is: which account, which bucket, which tags — for scoping, waivers and trends.

A finding names its subject by ARN (a bucket, an access point, a principal), by account id, or by a
description that starts with one of those. This module resolves the name against the snapshot once,
through an index built on first use, and never guesses: what it cannot resolve has no account or tags.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .snapshot.model import UNKNOWN, Snapshot

_ACCOUNT = re.compile(r"^\d{12}$")
_ARN = re.compile(r"^arn:aws[a-z-]*:(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.*)$")


@dataclass(frozen=True)
class Subject:
    kind: str  # bucket | access-point | principal | account | other
    account: str | None = None
    bucket: str | None = None  # the bucket a bucket, object or access point subject belongs to
    name: str | None = None  # short name: bucket name, principal name, account id
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    pointer: str | None = None  # JSON pointer of the subject's object in the snapshot
    tags_known: bool = True  # False when the bucket's tags could not be read (GetBucketTagging failed)


class SubjectIndex:
    """Resolve subjects of one snapshot (buckets by name, access points and principals by ARN)."""

    def __init__(self, snapshot: Snapshot | None):
        self.snapshot = snapshot
        self._buckets: dict[str, Subject] = {}
        self._arns: dict[str, Subject] = {}
        if snapshot is None:
            return
        for acct in snapshot.accounts:
            for b in acct.buckets:
                known = b.tags is not UNKNOWN
                tags = b.tags if known else MappingProxyType({})
                self._buckets[b.name] = Subject("bucket", acct.id, b.name, b.name, tags, b.pointer, known)
        for acct in snapshot.accounts:
            for ap in acct.access_points:
                bucket = self._buckets.get(ap.bucket)
                tags = bucket.tags if bucket else MappingProxyType({})
                self._arns[ap.arn] = Subject("access-point", acct.id, ap.bucket, ap.name, tags, ap.pointer,
                                             bucket.tags_known if bucket else False)
            for p in (*acct.roles, *acct.users):
                self._arns[p.arn] = Subject("principal", acct.id, None, p.name, p.tags, p.pointer)
            for g in acct.groups:
                self._arns[g.arn] = Subject("principal", acct.id, None, g.name, MappingProxyType({}), g.pointer)
            for arn, mp in acct.managed_policies.items():
                self._arns[arn] = Subject("policy", acct.id, None, mp.name, MappingProxyType({}), mp.pointer)

    def resolve(self, subject: str) -> Subject:
        text = subject.strip().split()[0] if subject.strip() else ""
        if _ACCOUNT.match(text):
            return Subject("account", text, name=text, pointer=self._account_pointer(text))
        if text in self._arns:
            return self._arns[text]
        m = _ARN.match(text)
        if not m:
            if text in self._buckets:  # a bare bucket name
                return self._buckets[text]
            return Subject("other")
        service, account, resource = m["service"], m["account"], m["resource"]
        if service == "s3" and not account:
            name = resource.split("/", 1)[0]
            known = self._buckets.get(name)
            return known if known else Subject("bucket", None, name, name)
        if service == "s3" and resource.startswith("accesspoint/"):
            name = resource.split("/")[1]
            return Subject("access-point", account or None, None, name)
        if resource == "root" and _ACCOUNT.match(account):
            return Subject("account", account, name=account, pointer=self._account_pointer(account))
        name = resource.rsplit("/", 1)[-1] if "/" in resource else resource
        kind = "principal" if service in ("iam", "sts") else "other"
        return Subject(kind, account or None, None, name)

    def _account_pointer(self, account: str) -> str | None:
        if self.snapshot is None:
            return None
        acct = self.snapshot.account(account)
        return acct.pointer if acct else None

    def pointer_of(self, arn: str) -> str | None:
        """The JSON pointer of the object an ARN (or bucket name, or account id) names, if it is in the snapshot."""
        return self.resolve(arn).pointer
