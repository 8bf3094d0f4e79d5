"""s3audit agrees with Checkov on every mapped S3 check of every IaC fixture (Terraform directories,
CloudFormation templates, Terraform plans), or the disagreement is documented with the AWS behaviour that makes
s3audit right; and s3audit still gives the verdicts frozen beside Checkov's.

Checkov's verdicts are frozen in checkov_verdicts.json by bench/checkov_agreement.py (which installs Checkov in
its own virtual environment); this test runs only s3audit. AWS behaviour behind the documented disagreements:
new buckets get all four Block Public Access settings and BucketOwnerEnforced
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/create-bucket-overview.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html); a bucket policy that allows
`*` is public unless Block Public Access blocks it
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html); with ACLs enabled
S3 honours object ACLs (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html); a bucket
without logging has no `LoggingEnabled` (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLogging.html).
"""
from __future__ import annotations

import copy
import importlib.util
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FROZEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkov_verdicts.json")
PLANS = "fixtures/terraform-plans"


def _bench():
    spec = importlib.util.spec_from_file_location("checkov_agreement",
                                                  os.path.join(ROOT, "bench", "checkov_agreement.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _frozen() -> dict:
    with open(FROZEN, encoding="utf-8") as fh:
        return json.load(fh)


def _in_root(fn, *args):
    cwd = os.getcwd()
    os.chdir(ROOT)  # fixture paths in the frozen file are relative to the repository root
    try:
        return fn(*args)
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def bench():
    return _bench()


@pytest.fixture(scope="module")
def rows(bench):
    frozen = _frozen()
    return frozen, _in_root(bench.compare, frozen)


def _row(table, fixture, bucket, check):
    (row,) = [r for r in table if r["fixture"] == fixture and r["bucket"] == bucket and r["check"] == check]
    return row


def test_frozen_verdicts_cover_every_fixture_and_mapped_check(bench):
    frozen = _frozen()
    assert frozen["checkov"].startswith("3.")
    assert sorted(frozen["fixtures"]) == sorted(p for _, p in _in_root(bench.fixtures))
    assert {e["kind"] for e in frozen["fixtures"].values()} == {"terraform", "cloudformation", "terraform_plan"}
    assert frozen["mapping"] == bench.CHECK_TO_RULE
    assert frozen["settings"] == bench.CHECK_SETTING
    seen = {c for e in frozen["fixtures"].values() for checks in e["buckets"].values() for c in checks}
    # every S3 check Checkov reported is either mapped to a rule or listed as having no counterpart
    assert seen <= set(bench.CHECK_TO_RULE) | set(bench.UNMAPPED)
    # passed checks were recorded too (Checkov's --quiet would have dropped them)
    assert {v for e in frozen["fixtures"].values() for checks in e["buckets"].values()
            for v in checks.values()} == {"passed", "failed"}


def test_every_result_checkov_gave_is_tied_to_a_subject_or_explained():
    frozen = _frozen()
    untied = {f"{f}|{res}" for f, e in frozen["fixtures"].items() for res in e.get("untied") or {}}
    assert untied == set(frozen["untied_reasons"])


def test_every_disagreement_is_explained(rows):
    _, table = rows
    assert len(table) > 300
    unexplained = [r for r in table if r["checkov"] != r["s3audit"] and not r["reason"]]
    assert unexplained == []


def test_s3audit_gives_the_frozen_verdicts(rows, bench):
    """A change of any s3audit verdict fails here, even one a generic reason would explain: re-run
    `python3 bench/checkov_agreement.py --no-run` after a deliberate change and review the table."""
    _, table = rows
    assert bench.changed(table) == []


def test_a_changed_verdict_is_caught(rows, bench):
    _, table = rows
    flipped = copy.deepcopy(table)
    row = _row(flipped, f"{PLANS}/new-public-bucket.json", "acme-marketing-site", "CKV_AWS_54")
    row["s3audit"] = "passed"
    assert bench.changed(flipped) == [row]


def test_agreement_where_aws_defaults_do_not_decide(rows):
    """Versioning, Object Lock, ACLs disabled and wildcard principals agree exactly; logging, lifecycle, KMS and
    public write differ only where a plan shows an existing bucket's empty configuration, a value is known only
    at deploy time, or object ACLs may be public."""
    _, table = rows
    for check in ("CKV_AWS_21", "CKV_AWS_143", "CKV2_AWS_65", "CKV_AWS_70"):
        mine = [r for r in table if r["check"] == check]
        assert mine, check
        assert all(r["checkov"] == r["s3audit"] for r in mine), [r for r in mine if r["checkov"] != r["s3audit"]]
    differ = {(os.path.basename(r["fixture"].rstrip("/")), r["bucket"], r["check"]) for r in table
              if r["check"] in ("CKV_AWS_18", "CKV2_AWS_61", "CKV_AWS_145", "CKV_AWS_57")
              and r["checkov"] != r["s3audit"]}
    assert differ == {
        ("private-bucket-noop.json", "acme-key-vault", "CKV_AWS_18"),
        ("private-bucket-noop.json", "acme-key-vault", "CKV2_AWS_61"),
        ("v3-inline-update.json", "acme-downloads", "CKV_AWS_18"),
        ("v3-inline-update.json", "acme-downloads", "CKV2_AWS_61"),
        ("unknown-after-apply.json", "<aws_s3_bucket.scratch>", "CKV_AWS_145"),
        ("unknown-values.yaml", "acme-partner-exchange", "CKV_AWS_18"),
        ("v4-public-acl", "acme-legacy-downloads", "CKV_AWS_57"),
        ("public-read-acl.yaml", "acme-public-downloads", "CKV_AWS_57"),
        ("policy-document.json", "acme-data-lake", "CKV_AWS_57"),
        ("private-bucket-noop.json", "acme-key-vault", "CKV_AWS_57"),
        ("v3-inline-update.json", "acme-downloads", "CKV_AWS_57"),
    }


def test_public_acl_on_a_new_bucket_without_ownership_is_not_public(rows):
    # v4-public-acl: acme-partner-drop grants READ to AuthenticatedUsers with no ownership controls and no
    # public access block; S3's BucketOwnerEnforced default disables the ACL
    _, table = rows
    row = _row(table, "fixtures/terraform/v4-public-acl", "acme-partner-drop", "CKV2_AWS_43")
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


# --- Terraform plans ----------------------------------------------------------------------------------------

def test_every_plan_with_s3_resources_is_compared(rows):
    _, table = rows
    compared = {os.path.basename(r["fixture"]) for r in table if r["kind"] == "terraform_plan"}
    assert compared == {"access-point-account-pab.json", "aws-managed-policies.json", "count-for-each.json",
                        "modules.json", "new-public-bucket.json", "policy-document.json", "private-bucket-noop.json",
                        "replace-and-delete.json", "replace-cardholder-policy.json", "unknown-after-apply.json",
                        "v3-inline-update.json"}
    plan_rows = [r for r in table if r["kind"] == "terraform_plan"]
    assert len(plan_rows) > 90


def test_plan_results_are_tied_by_address(bench):
    """Checkov names plan results by address: count instances, module instances, names known only after
    apply (s3audit's placeholder) and split-out resources whose `bucket` is unknown until apply."""
    count = _in_root(bench.plan_subjects, f"{PLANS}/count-for-each.json")
    assert count["aws_s3_bucket.shard[1]"] == "acme-shard-1"
    assert count["aws_s3_bucket_public_access_block.shard[1]"] == "acme-shard-1"  # bucket known after apply
    modules = _in_root(bench.plan_subjects, f"{PLANS}/modules.json")
    assert modules["module.raw.aws_s3_bucket_public_access_block.this"] == "acme-raw-events"
    assert modules["module.curated.aws_s3_bucket_policy.this[0]"] == "acme-curated-events"
    unknown = _in_root(bench.plan_subjects, f"{PLANS}/unknown-after-apply.json")
    assert unknown["aws_s3_bucket.scratch"] == unknown["aws_s3_bucket_policy.scratch"] == "<aws_s3_bucket.scratch>"
    points = _in_root(bench.plan_subjects, f"{PLANS}/access-point-account-pab.json")
    assert points["aws_s3_access_point.partners"] == "accesspoint/shared-partners"


def test_plan_public_policy_known_from_the_configuration(rows):
    """new-public-bucket: the policy is known only after apply in the plan (it names the bucket's computed
    ARN); s3audit resolves it from the configuration directory and finds public read
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status);
    Checkov's ACL check passes and its policy check never runs."""
    frozen, table = rows
    row = _row(table, f"{PLANS}/new-public-bucket.json", "acme-marketing-site", "CKV_AWS_20")
    assert (row["checkov"], row["s3audit"]) == ("passed", "failed")
    assert "reads only the bucket ACL" in row["reason"]
    assert "CKV_AWS_70" not in frozen["fixtures"][f"{PLANS}/new-public-bucket.json"]["buckets"]["acme-marketing-site"]


def test_plan_block_public_access_setting_by_setting(rows):
    """new-public-bucket turns BlockPublicAcls and IgnorePublicAcls on and the other two off: FSBP-S3.8 fails,
    and each per-setting check agrees with the setting it asks about."""
    _, table = rows
    got = {c: (r["checkov"], r["s3audit"]) for c in ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56")
           for r in [_row(table, f"{PLANS}/new-public-bucket.json", "acme-marketing-site", c)]}
    assert got == {"CKV_AWS_53": ("passed", "passed"), "CKV_AWS_54": ("failed", "failed"),
                   "CKV_AWS_55": ("passed", "passed"), "CKV_AWS_56": ("failed", "failed")}


def test_plan_value_known_only_after_apply_is_unknown_not_guessed(rows):
    # unknown-after-apply: the KMS key ARN is in after_unknown; Checkov passes on the algorithm alone
    _, table = rows
    row = _row(table, f"{PLANS}/unknown-after-apply.json", "<aws_s3_bucket.scratch>", "CKV_AWS_145")
    assert (row["checkov"], row["s3audit"]) == ("passed", "unknown")
    assert "known only after apply" in row["reason"]


def test_plan_empty_logging_of_an_existing_bucket_is_no_logging(rows):
    # private-bucket-noop: the plan shows `logging = []` for the existing bucket; Checkov's `exists` passes it
    _, table = rows
    row = _row(table, f"{PLANS}/private-bucket-noop.json", "acme-key-vault", "CKV_AWS_18")
    assert (row["checkov"], row["s3audit"]) == ("passed", "failed")
    assert "`logging = []`" in row["reason"]


def test_plan_replacement_creates_a_new_bucket_with_s3_defaults(rows):
    # replace-and-delete: delete-then-create gives a new bucket, so S3's Block Public Access defaults apply
    _, table = rows
    row = _row(table, f"{PLANS}/replace-and-delete.json", "acme-tmp-v2", "CKV2_AWS_6")
    assert (row["checkov"], row["s3audit"]) == ("failed", "passed")
    assert "April 2023" in row["reason"]


def test_access_point_with_two_settings_off_fails_fsbp_s3_19(rows):
    """https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-bpa-settings.html"""
    _, table = rows
    for fixture in ("fixtures/terraform/account-pab-access-point", f"{PLANS}/access-point-account-pab.json"):
        assert (_row(table, fixture, "accesspoint/shared-partners", "CKV_AWS_392")["s3audit"]) == "failed"
        assert (_row(table, fixture, "accesspoint/shared-internal", "CKV_AWS_392")["s3audit"]) == "passed"
