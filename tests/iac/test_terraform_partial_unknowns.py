"""Values known only after apply stay confined to the smallest part they touch (fixtures/terraform/partial-unknowns).

- a statement holding an unknown (a variable without a value as principal or resource) is kept, flagged in
  `unknown_statements` with a stand-in; every other statement of the policy stays decided, so the bucket's TLS
  deny counts (FSBP-S3.5: https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-5);
- a CloudFront origin access control statement naming the distribution by reference is decided: the
  distribution's ARN is derived from its id (a placeholder for the id chosen at apply) as AWS forms it
  (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html);
- a bucket named from `random_id` is one bucket wherever it is named, and a KMS key the change creates is one
  key: the bucket's default encryption is known (FSBP-S3.17 decided);
- a replication destination given at deploy time makes the replication configuration unknown, nothing else.
"""
from __future__ import annotations

import json

from s3audit.sources.iac import load_iac

from .conftest import bucket, check, found, pointer_of, role
from ..fixture_text import line_of

D = "fixtures/terraform/partial-unknowns"
MAIN = f"{D}/main.tf"
NAME = "acme-media-<random_id.suffix.hex>"
ARN = f"arn:aws:s3:::{NAME}"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/<aws_kms_key.uploads>"


def _load(at_root):
    return load_iac(terraform=[D])[0]


def test_only_the_statements_holding_an_unknown_are_flagged(at_root):
    s = _load(at_root)
    policy = pointer_of(s, "buckets", NAME, "Policy")
    replicate = pointer_of(s, "roles", "acme-media-replication", "RolePolicyList", 0, "PolicyDocument")
    assert set(s["unknown_statements"]) == {policy + "/Statement/2", replicate + "/Statement/1"}
    assert "`Principal`" in s["unknown_statements"][policy + "/Statement/2"]
    assert "partner_account_arn" in s["unknown_statements"][policy + "/Statement/2"]
    assert "replica_bucket_arn" in s["unknown_statements"][replicate + "/Statement/1"]
    statements = bucket(s, NAME)["Policy"]["Statement"]
    assert [st.get("Sid") for st in statements] == ["DenyPlainHttp", "CloudFrontReadsThroughOriginAccessControl",
                                                    "PartnerReadsPublished"]
    assert statements[0]["Resource"] == [ARN, f"{ARN}/*"]  # the placeholder replaced in the merged document
    assert statements[2]["Principal"] == "*"  # the stand-in: whoever the partner turns out to be


def test_a_distribution_named_by_reference_is_its_derived_arn(at_root):
    oac = bucket(_load(at_root), NAME)["Policy"]["Statement"][1]
    assert oac["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert oac["Condition"] == {"StringEquals": {
        "AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/<aws_cloudfront_distribution.cdn>"}}


def test_a_fresh_name_and_a_new_key_are_the_same_wherever_named(at_root):
    s = _load(at_root)
    b = bucket(s, NAME)
    assert "random_id.suffix.hex" in b["Errors"]["ListBuckets"]
    assert b["Encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == KEY
    doc = role(s, "acme-media-replication")["RolePolicyList"][0]["PolicyDocument"]
    assert doc["Statement"][0]["Resource"] == [ARN, f"{ARN}/*"]
    assert doc["Statement"][2]["Resource"] == KEY


def test_an_unknown_replication_destination_leaves_only_replication_unknown(at_root):
    b = bucket(_load(at_root), NAME)
    assert "replica_bucket_arn" in b["Errors"]["GetBucketReplication"] and "Replication" not in b
    assert set(b["Errors"]) == {"ListBuckets", "GetBucketReplication"}


def test_check_decides_what_the_known_statements_decide(at_root):
    status, findings, err = check("check", "--terraform", D)
    assert err == ""
    line = line_of(MAIN, 'resource "aws_s3_bucket" "media"')
    for rule in ("FSBP-S3.5", "CIS-2.1.1", "FSBP-S3.17", "FSBP-S3.14"):
        assert [f for f in findings if f["rule"] == rule and f["subject"] == ARN] == [], rule
    # whoever the partner turns out to be may read: unknown, never "nobody", never a confident "anyone"
    s32 = [f for f in findings if f["rule"] == "FSBP-S3.2" and f["subject"] == ARN]
    assert [(f["status"], f["location"]["line"]) for f in s32] == [("unknown", line)]
    assert found(findings, "FSBP-S3.2") == []


def test_explain_names_the_statement_and_the_value_it_waits_for(tmp_path, at_root):
    from s3audit.cli import main
    import contextlib
    import io
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(_load(at_root)))
    out = io.StringIO()
    # an account role whose own policies grant no s3:GetObject but may decrypt with the bucket's key (issue 14:
    # reading an SSE-KMS object needs kms:Decrypt too): only the flagged statement may let it read
    with contextlib.redirect_stdout(out):
        assert main(["explain", str(snap), "--principal", "arn:aws:iam::123456789012:role/acme-media-replication",
                     "--action", "s3:GetObject", "--resource", f"{ARN}/published/report.pdf", "--format", "json"]) == 0
    d = json.loads(out.getvalue())
    assert d["decision"] == "conditional"
    unknown = [r for r in d["reasons"] if r["effect"] == "Unknown"]
    assert [r["statement"] for r in unknown] == ["PartnerReadsPublished"]
    assert "partner_account_arn" in unknown[0]["note"]
    # the TLS deny is a decided statement: it still applies to plain-HTTP requests
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["explain", str(snap), "--principal", "arn:aws:iam::444455556666:root", "--action", "s3:GetObject",
              "--resource", f"{ARN}/published/report.pdf", "--context", "aws:SecureTransport=false",
              "--format", "json"])
    assert json.loads(out.getvalue())["decision"] == "deny"
