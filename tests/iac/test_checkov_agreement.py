"""s3audit agrees with Checkov on every mapped S3 check of every IaC fixture, or the disagreement is
documented with the AWS behaviour that makes s3audit right.

Checkov's verdicts are frozen in checkov_verdicts.json by bench/checkov_agreement.py (which installs
Checkov in its own virtual environment); this test runs only s3audit. AWS behaviour behind the documented
disagreements: new buckets get all four Block Public Access settings and BucketOwnerEnforced
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/create-bucket-overview.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html).
"""
from __future__ import annotations

import importlib.util
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FROZEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkov_verdicts.json")


def _bench():
    spec = importlib.util.spec_from_file_location("checkov_agreement",
                                                  os.path.join(ROOT, "bench", "checkov_agreement.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rows():
    bench = _bench()
    with open(FROZEN, encoding="utf-8") as fh:
        frozen = json.load(fh)
    cwd = os.getcwd()
    os.chdir(ROOT)  # fixture paths in the frozen file are relative to the repository root
    try:
        return frozen, bench.compare(frozen)
    finally:
        os.chdir(cwd)


def test_frozen_verdicts_cover_every_fixture_and_mapped_check():
    bench = _bench()
    with open(FROZEN, encoding="utf-8") as fh:
        frozen = json.load(fh)
    assert frozen["checkov"].startswith("3.")
    assert sorted(frozen["fixtures"]) == sorted(p for _, p in _in_root(bench.fixtures))
    assert frozen["mapping"] == bench.CHECK_TO_RULE
    seen = {c for e in frozen["fixtures"].values() for checks in e["buckets"].values() for c in checks}
    # every S3 check Checkov reported is either mapped to a rule or listed as having no counterpart
    assert seen <= set(bench.CHECK_TO_RULE) | set(bench.UNMAPPED)


def _in_root(fn):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return fn()
    finally:
        os.chdir(cwd)


def test_every_disagreement_is_explained(rows):
    _, table = rows
    assert len(table) > 100
    unexplained = [r for r in table if r["checkov"] != r["s3audit"] and not r["reason"]]
    assert unexplained == []


def test_agreement_where_aws_defaults_do_not_decide(rows):
    """Checks that no AWS default can change agree exactly: logging, versioning, KMS, lifecycle."""
    _, table = rows
    for check in ("CKV_AWS_18", "CKV_AWS_21", "CKV_AWS_145", "CKV2_AWS_61", "CKV_AWS_57", "CKV_AWS_70"):
        mine = [r for r in table if r["check"] == check]
        assert mine, check
        assert all(r["checkov"] == r["s3audit"] for r in mine), [r for r in mine if r["checkov"] != r["s3audit"]]


def test_public_acl_on_a_new_bucket_without_ownership_is_not_public(rows):
    # v4-public-acl: acme-partner-drop grants READ to AuthenticatedUsers with no ownership controls and no
    # public access block; S3's BucketOwnerEnforced default disables the ACL
    _, table = rows
    (row,) = [r for r in table if r["fixture"] == "fixtures/terraform/v4-public-acl"
              and r["bucket"] == "acme-partner-drop" and r["check"] == "CKV2_AWS_43"]
    assert (row["checkov"], row["s3audit"]) == ("failed", "passed")
    assert "BucketOwnerEnforced" in row["reason"]


def test_explicitly_disabled_block_public_access_fails_in_both(rows):
    _, table = rows
    legacy = [r for r in table if r["fixture"] == "fixtures/terraform/v4-public-acl"
              and r["bucket"] == "acme-legacy-downloads" and r["rule"] == "FSBP-S3.8"]
    assert legacy and all(r["checkov"] == r["s3audit"] == "failed" for r in legacy)


def test_no_stale_reasons(rows):
    frozen, table = rows
    used = set()
    for r in table:
        if r["checkov"] != r["s3audit"]:
            key = f"{r['fixture']}|{r['bucket']}|{r['check']}"
            used.add(key if key in frozen["reasons"] else f"{r['check']}|{r['checkov']}|{r['s3audit']}")
    assert set(frozen["reasons"]) - used == set()
