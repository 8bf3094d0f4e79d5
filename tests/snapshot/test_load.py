"""The snapshot contract (docs/snapshot-format.md): what loads, what is rejected, and how errors are placed."""
import copy
import gzip
import json

import pytest

from s3audit.errors import InputError, SnapshotError
from s3audit.snapshot.load import load_snapshot, snapshot_from_dict
from s3audit.snapshot.model import UNKNOWN


def test_example_from_the_contract_loads(snapshot_md_example):
    s = snapshot_from_dict(snapshot_md_example)
    assert s.format == "s3audit.snapshot/v1"
    assert [a.id for a in s.accounts] == ["222222222222"]
    role = s.accounts[0].roles[0]
    assert role.arn == "arn:aws:iam::222222222222:role/etl"
    assert role.trust.document["Statement"][0]["Principal"] == {"Service": "glue.amazonaws.com"}
    bucket = s.buckets[0]
    assert bucket.tags["data-class"] == "pci"
    assert bucket.ownership == "BucketOwnerEnforced"
    assert bucket.policy is None  # absent means "not configured"
    assert s.organization.path_of("222222222222") == ("r-ab12", "ou-ab12-prod", "222222222222")


def test_gzip_and_plain_files_load_the_same(tmp_path, snapshot_md_example):
    plain = tmp_path / "s.json"
    packed = tmp_path / "s.json.gz"
    plain.write_text(json.dumps(snapshot_md_example))
    packed.write_bytes(gzip.compress(json.dumps(snapshot_md_example).encode()))
    assert load_snapshot(str(plain)).accounts == load_snapshot(str(packed)).accounts


def test_errors_make_values_unknown_not_absent(snapshot_md_example):
    doc = copy.deepcopy(snapshot_md_example)
    b = doc["accounts"][0]["s3"]["buckets"][0]
    b["Errors"] = {"GetBucketPolicy": "AccessDenied", "GetBucketTagging": "AccessDenied"}
    del b["Tags"]
    bucket = snapshot_from_dict(doc).buckets[0]
    assert bucket.policy is UNKNOWN
    assert bucket.tags is UNKNOWN
    assert bucket.encryption is not UNKNOWN


def test_url_encoded_policy_strings_are_decoded(snapshot_md_example):
    doc = copy.deepcopy(snapshot_md_example)
    role = doc["accounts"][0]["iam"]["RoleDetailList"][0]
    from urllib.parse import quote
    role["AssumeRolePolicyDocument"] = quote(json.dumps(role["AssumeRolePolicyDocument"]))
    s = snapshot_from_dict(doc)
    assert s.accounts[0].roles[0].trust.document["Version"] == "2012-10-17"


@pytest.mark.parametrize("mutate, pointer, message", [
    (lambda d: d.update(format="s3audit.snapshot/v2"), "/format", "expected `s3audit.snapshot/v1`"),
    (lambda d: d.pop("accounts"), "/", "missing required key `accounts`"),
    (lambda d: d["accounts"][0].update(id="2222"), "/accounts/0/id", "12-digit account id"),
    (lambda d: d["accounts"][0]["s3"]["buckets"][0].pop("Name"), "/accounts/0/s3/buckets/0",
     "missing required key `Name`"),
    (lambda d: d.update(taken_at="yesterday"), "/taken_at", "RFC 3339"),
    (lambda d: d["accounts"][0]["iam"]["RoleDetailList"][0].update(AssumeRolePolicyDocument="{not json"),
     "/accounts/0/iam/RoleDetailList/0/AssumeRolePolicyDocument", "not valid JSON"),
    (lambda d: d["accounts"].append(copy.deepcopy(d["accounts"][0])), "/accounts/1/id", "appears twice"),
])
def test_bad_snapshots_name_the_pointer(snapshot_md_example, mutate, pointer, message):
    doc = copy.deepcopy(snapshot_md_example)
    mutate(doc)
    with pytest.raises(SnapshotError) as e:
        snapshot_from_dict(doc, file="estate.json")
    assert str(e.value).startswith(f"estate.json: at {pointer}: ")
    assert message in e.value.message


def test_invalid_json_gives_line_and_column(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{\n  "format": "s3audit.snapshot/v1",\n  "accounts": [,]\n}')
    with pytest.raises(InputError) as e:
        load_snapshot(str(p))
    assert str(e.value).startswith(f"{p}:3:")


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_snapshot(str(tmp_path / "nope.json"))


def test_the_bucket_name_pattern_is_the_s3_name_pattern():
    """The bucket's Name spells out $defs/s3_name (a $ref per bucket is slow to check); they must agree."""
    from s3audit.snapshot.load import schema
    defs = schema()["$defs"]
    assert defs["bucket"]["properties"]["Name"]["pattern"] == defs["s3_name"]["pattern"]
    assert defs["access_point"]["properties"]["Name"] == {"$ref": "#/$defs/s3_name"}
