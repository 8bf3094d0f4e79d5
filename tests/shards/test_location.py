"""Workers read the snapshot from a path or an s3:// URL (issue 15), and refuse one that is not the text the
parent analyses. moto stands in for S3 (in-process, no network)."""
from __future__ import annotations

import gzip
import json

import pytest

from s3audit.errors import InputError
from s3audit.shards.location import digest_of, read_location, read_snapshot

from .conftest import DEMO


@pytest.fixture
def bucket(monkeypatch):
    from moto import mock_aws
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                 "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        import boto3
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="estates")
        yield s3


def test_a_snapshot_in_s3_is_read_plain_or_gzipped(bucket):
    text = DEMO.read_text()
    bucket.put_object(Bucket="estates", Key="demo.json", Body=text.encode())
    bucket.put_object(Bucket="estates", Key="demo.json.gz", Body=gzip.compress(text.encode()))
    assert read_location("s3://estates/demo.json") == text
    assert read_location("s3://estates/demo.json.gz") == text
    snap = read_snapshot("s3://estates/demo.json.gz", digest_of(text))
    names = [b["Name"] for a in json.loads(text)["accounts"] for b in (a.get("s3") or {}).get("buckets", [])]
    assert [b.name for b in snap.buckets] == names and names


def test_a_worker_refuses_a_snapshot_that_is_not_the_parent_s(bucket):
    bucket.put_object(Bucket="estates", Key="demo.json", Body=DEMO.read_bytes())
    with pytest.raises(InputError, match="not the one s3audit was given"):
        read_snapshot("s3://estates/demo.json", digest_of("something else"))
    with pytest.raises(InputError, match="cannot read"):
        read_location("s3://estates/missing.json")


def test_check_reads_a_snapshot_from_s3_like_a_file(bucket, cli, tmp_path):
    bucket.put_object(Bucket="estates", Key="demo.json", Body=DEMO.read_bytes())
    a, b = tmp_path / "s3.json", tmp_path / "file.json"
    assert cli("check", "s3://estates/demo.json", "--today", "2026-12-01", "--workers", "2", "-o", a)[0] == 1
    assert cli("check", DEMO, "--today", "2026-12-01", "-o", b)[0] == 1
    one, two = json.loads(a.read_text()), json.loads(b.read_text())
    assert one["findings"] == two["findings"]
