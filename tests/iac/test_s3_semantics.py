"""S3's own semantics, on Terraform input (fixtures/terraform/object-lock-service-principals):

- a bucket created with Object Lock is versioned: "After you enable Object Lock on a bucket, you can't disable
  Object Lock or suspend versioning for that bucket"
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html), so FSBP-S3.14 passes and
  FSBP-S3.10 (versioned, no lifecycle) asks its question;
- a bucket policy that grants a service principal (SES, S3 server access logging, CloudFront) only on behalf of
  the bucket's own account, by `aws:SourceAccount` or an `aws:SourceArn` of that account, grants nothing to other
  accounts (FSBP-S3.6: https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-6; the keys:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html#cross-service-confused-deputy-prevention).
"""
from __future__ import annotations

from .conftest import check, found
from ..fixture_text import line_of

D = "fixtures/terraform/object-lock-service-principals"
MAIN = f"{D}/main.tf"


def test_a_bucket_created_with_object_lock_is_versioned(at_root):
    status, findings, err = check("check", "--terraform", D)
    records = "arn:aws:s3:::acme-retained-records"
    assert found(findings, "FSBP-S3.14", records) == []
    assert found(findings, "FSBP-S3.10", records) == [(MAIN, line_of(MAIN, 'resource "aws_s3_bucket" "records"'), 1)]
    # the other bucket has neither: not versioned
    inbox = "arn:aws:s3:::acme-mail-inbox"
    assert found(findings, "FSBP-S3.14", inbox) == [(MAIN, line_of(MAIN, 'resource "aws_s3_bucket" "inbox"'), 1)]


def test_services_held_to_the_buckets_own_account_are_not_other_accounts(at_root):
    status, findings, err = check("check", "--terraform", D)
    assert [f for f in findings if f["rule"] == "FSBP-S3.6"] == []
    assert status == 0  # nothing at or above high


def test_the_same_service_for_any_account_is_another_account(at_root, tmp_path):
    text = open(MAIN, encoding="utf-8").read().replace(
        '"AWS:SourceArn" = aws_cloudfront_distribution.site.arn', '"AWS:SourceArn" = "arn:aws:cloudfront::*:distribution/*"'
    ).replace("StringEquals = { \"AWS:SourceArn\"", "ArnLike = { \"AWS:SourceArn\"")
    (tmp_path / "main.tf").write_text(text)
    status, findings, err = check("check", "--terraform", str(tmp_path))
    s36 = [(f["status"], f["location"]["line"]) for f in findings if f["rule"] == "FSBP-S3.6"]
    assert s36 == [("open", line_of(MAIN, 'resource "aws_s3_bucket" "inbox"'))]  # a bucket-level finding
