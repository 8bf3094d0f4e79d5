"""Where workers read the snapshot: a local path (a local cluster, a shared file system) or an ``s3://`` URL
(a cluster on AWS; read with the worker's own credentials). The parent names the text's SHA-256, so a worker
that finds another file there refuses to analyse it rather than report on the wrong estate."""
from __future__ import annotations

import hashlib
import os

from ..errors import InputError, Place

S3_SCHEME = "s3://"


def is_url(location: str) -> bool:
    return location.startswith(S3_SCHEME)


def read_location(location: str) -> str:
    """The text of a snapshot file or ``s3://bucket/key`` object (gunzipped when it is gzip)."""
    if not is_url(location):
        from ..fileio import read_text
        return read_text(location)
    bucket, _, key = location[len(S3_SCHEME):].partition("/")
    if not bucket or not key:
        raise InputError("an S3 location is s3://BUCKET/KEY", Place(location))
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 is a dependency
        raise InputError("reading s3:// needs boto3", Place(location)) from None
    try:
        raw = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except (BotoCoreError, ClientError) as exc:
        raise InputError(f"cannot read: {exc}", Place(location)) from None
    from ..fileio import text_of
    return text_of(raw, location)


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def for_workers(location: str) -> str:
    """The location as workers elsewhere must be given it (an absolute path)."""
    return location if is_url(location) else os.path.abspath(location)


def read_snapshot(location: str, digest: str):
    """The snapshot at ``location``, if its text is the one the parent analyses."""
    from ..fileio import parse_json
    from ..snapshot.load import snapshot_from_dict
    text = read_location(location)
    if digest_of(text) != digest:
        raise InputError("the snapshot a worker reads here is not the one s3audit was given (it changed while "
                         "the run went on, or the workers see another file at this path)", Place(location))
    return snapshot_from_dict(parse_json(text, location), file=location, validated=True)
