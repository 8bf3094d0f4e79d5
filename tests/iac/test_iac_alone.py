"""A change read on its own (no --live) is judged only on what its files can set.

- The account's Block Public Access is not in a Terraform directory unless it declares
  `aws_s3_account_public_access_block`: it is unknown, not off, so FSBP-S3.1 and CIS-2.1.4 (account) do not
  fire on the account the input deploys to (https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-1:
  the control checks the account's own settings, which the input does not hold).
- A bucket the change only names (a policy for a bucket managed elsewhere) has unknown settings, not none.
- Every finding of such a check carries a file and a line; a plan without its configuration places each resource
  on its entry in the plan.
"""
from __future__ import annotations

import glob
import json
import os

import pytest

from s3audit.sources.iac import load_iac

from .conftest import ROOT, bucket, check
from ..fixture_text import line_of

DIRS = sorted(d.rstrip("/") for d in glob.glob(str(ROOT / "fixtures/terraform/*/")))
PLANS = sorted(glob.glob(str(ROOT / "fixtures/terraform-plans/*.json")))


def _rel(p: str) -> str:
    return os.path.relpath(p, ROOT)


@pytest.mark.parametrize("args", [["--terraform", _rel(d)] for d in DIRS] + [
    ["--terraform-plan", _rel(p)] + (["--terraform-dir", _rel(p[:-5])] if os.path.isdir(p[:-5]) else [])
    for p in PLANS], ids=lambda a: os.path.basename(a[1]))
def test_every_finding_of_an_iac_check_has_a_file_and_line(args, at_root):
    status, findings, err = check("check", *args)
    assert status in (0, 1), err
    assert [f for f in findings if not (f["location"] and f["location"]["file"] and f["location"]["line"])] == []
    declares = "account-pab" in args[1]
    assert bool([f for f in findings if f["rule"] in ("FSBP-S3.1", "CIS-2.1.4-account")]) == declares


def test_the_account_block_public_access_is_unknown_unless_declared(at_root):
    s, _ = load_iac(terraform=["fixtures/terraform/v4-public-policy"])
    assert "public_access_block" not in s["accounts"][0]["s3"]
    assert "aws_s3_account_public_access_block" in s["accounts"][0]["errors"]["s3control:GetPublicAccessBlock"]
    s, _ = load_iac(terraform=["fixtures/terraform/account-pab-access-point"])
    assert "s3control:GetPublicAccessBlock" not in s["accounts"][0].get("errors", {})
    assert s["accounts"][0]["s3"]["public_access_block"]["RestrictPublicBuckets"] is False


def test_declared_account_settings_are_judged_at_their_declaration(at_root):
    status, findings, err = check("check", "--terraform", "fixtures/terraform/account-pab-access-point")
    f = "fixtures/terraform/account-pab-access-point/main.tf"
    where = {(x["rule"], x["location"]["file"], x["location"]["line"]) for x in findings
             if x["rule"] in ("FSBP-S3.1", "CIS-2.1.4-account")}
    line = line_of(f, 'resource "aws_s3_account_public_access_block"')
    assert where == {("FSBP-S3.1", f, line), ("CIS-2.1.4-account", f, line)}


def test_a_public_policy_is_public_only_if_the_account_does_not_block_it(at_root):
    """The bucket turns Block Public Access off and its policy allows everyone: anyone can read unless the
    account's settings block it, which the input does not say (an unknown, at the bucket, that fails the gate)."""
    status, findings, err = check("check", "--terraform", "fixtures/terraform/v4-public-policy")
    public = [(x["status"], x["severity"]) for x in findings if x["rule"] == "FSBP-S3.2"]
    assert public == [("unknown", "critical")] and status == 1


def test_a_bucket_only_named_has_unknown_settings(at_root, tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket_policy" "elsewhere" {\n'
                                      '  bucket = "acme-managed-elsewhere"\n'
                                      '  policy = jsonencode({Version = "2012-10-17", Statement = [{\n'
                                      '    Effect = "Deny", Principal = "*", Action = "s3:*",\n'
                                      '    Resource = ["arn:aws:s3:::acme-managed-elsewhere",\n'
                                      '                "arn:aws:s3:::acme-managed-elsewhere/*"],\n'
                                      '    Condition = {Bool = {"aws:SecureTransport" = "false"}}}]})\n'
                                      '}\n')
    s, _ = load_iac(terraform=[str(tmp_path)])
    b = bucket(s, "acme-managed-elsewhere")
    assert set(b) == {"Name", "Policy", "Errors"}
    assert {"GetPublicAccessBlock", "GetBucketVersioning", "GetBucketLogging", "GetBucketTagging"} <= set(b["Errors"])
    status, findings, err = check("check", "--terraform", str(tmp_path))
    # nothing is reported about what the change does not set (versioning, logging, tags, the ACL other accounts
    # might hold...), and what it sets is judged: the TLS deny is there (FSBP-S3.5 passes)
    assert [(x["rule"], x["status"]) for x in findings] == [] and status == 0
    # a statement of its own that holds an unknown is still reported, at the statement
    (tmp_path / "main.tf").write_text('variable "reader" { type = string }\n'
                                      'resource "aws_s3_bucket_policy" "elsewhere" {\n'
                                      '  bucket = "acme-managed-elsewhere"\n'
                                      '  policy = jsonencode({Version = "2012-10-17", Statement = [{\n'
                                      '    Effect = "Allow", Principal = {AWS = var.reader}, Action = "s3:GetObject",\n'
                                      '    Resource = "arn:aws:s3:::acme-managed-elsewhere/*"}]})\n'
                                      '}\n')
    status, findings, err = check("check", "--terraform", str(tmp_path))
    got = {(x["rule"], x["status"], x["location"]["line"]) for x in findings}
    assert ("PATH-external-read", "unknown", 4) in got  # the statement: whoever the reader is may read
    assert ("FSBP-S3.5", "open", 4) in got  # the policy the change writes has no TLS deny


def test_with_the_live_estate_its_account_settings_hold(at_root):
    live = json.loads((ROOT / "fixtures/demo/estate.json").read_text())
    s, _ = load_iac(terraform=["fixtures/terraform/v4-public-policy"], live=live, account_id="444444444444")
    acct = next(a for a in s["accounts"] if a["id"] == "444444444444")
    assert "s3control:GetPublicAccessBlock" not in (acct.get("errors") or {})
