"""The documents of AWS's managed policies, shipped with s3audit for inputs that name a policy but not its text.

A Terraform configuration or CloudFormation template attaches ``arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess``
by ARN; what that policy grants is AWS's, published and the same in every account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies).
``data/managed_policies.json.gz`` (built by ``data/build_managed_policies.py``, which names its sources) holds
the default version of each. The snapshot loader asks here only for the ARNs a snapshot attaches without
holding the document, so the file is read only then, once per process.

Only the ``aws`` partition: the policies of the China and GovCloud partitions are separate copies that can
differ, and none of them is in the data, so their ARNs stay unknown.
"""
from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..packaged import read_bytes

_AWS_MANAGED = re.compile(r"^arn:aws:iam::aws:policy(/(?:[^/]+/)*)([^/]+)$")


@dataclass(frozen=True)
class ShippedPolicy:
    """One AWS managed policy's default version as the shipped data has it."""

    arn: str  # as the snapshot names it
    name: str
    version: str  # "v12"
    date: str  # the date of the copy: its source's (YYYY-MM-DD)
    deprecated: bool  # AWS deprecated it: still in force where attached, attachable to nothing new
    document: Any

    @property
    def origin(self) -> str:
        """How a reason says where the document came from: ``shipped copy of 2026-09-16``."""
        return f"shipped copy of {self.date}"


def lookup(arn: str) -> ShippedPolicy | None:
    """The shipped document of the AWS managed policy ``arn`` names, or None when the data has none.

    The path must be the policy's own (``service-role/AWSLambdaBasicExecutionRole``): another path names no
    policy, and IAM would refuse to attach it. A deprecated policy whose path no source records is found by
    name alone: names are unique within an account whatever the path
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html)."""
    m = _AWS_MANAGED.match(arn)
    if m is None:
        return None
    path, name = m.groups()
    data = _data()
    entry = data["policies"].get(name)
    if entry is None or (entry[0] is not None and entry[0] != path):
        return None
    known_path, version, source, deprecated, chunk, line = entry
    document = json.loads(_chunk(chunk)[line])
    return ShippedPolicy(arn, name, version, data["sources"][source]["date"], deprecated, document)


def about() -> dict:
    """The data's date, size and sources (name, version, date, url), for ``s3audit --version`` and the docs."""
    data = _data()
    return {"date": data["date"], "policies": len(data["policies"]),
            "sources": [{k: s[k] for k in ("name", "version", "date", "url")} for s in data["sources"]]}


def names() -> frozenset[str]:
    """The names of every policy the data holds."""
    return frozenset(_data()["policies"])


@lru_cache(maxsize=1)
def _data() -> dict:
    """The index (the file's first gzip member) and, under ``documents``, the members after it, each holding
    a chunk of documents (see ``data/build_managed_policies.py``)."""
    stream = zlib.decompressobj(wbits=31)  # gzip framing; stops at the end of the first member
    data = json.loads(stream.decompress(read_bytes("iam", "data", "managed_policies.json.gz")))
    data["documents"] = stream.unused_data
    data["texts"] = {}  # chunk number -> its document texts, decompressed on first use
    return data


def _chunk(number: int) -> list[str]:
    """The document texts of one chunk, one per line."""
    data = _data()
    texts = data["texts"].get(number)
    if texts is None:
        offset, size = data["chunks"][number]
        raw = zlib.decompress(data["documents"][offset:offset + size], wbits=31)
        texts = data["texts"][number] = raw.decode().splitlines()
    return texts
