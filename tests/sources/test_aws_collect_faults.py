"""Faults during a collection: throttling, AccessDenied, a bucket deleted mid-scan; and the CLI's refusals.

Every failure ends as an ``Errors``/``errors`` entry and a completed, valid snapshot whose value is unknown
(docs/snapshot-format.md). Crashes and ``--resume`` are in test_aws_collect_resume.py.

AWS pages:
- error codes and retries: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
- S3 error codes (SlowDown, AccessDenied, NoSuchBucket ...):
  https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
- GetBucketLocation: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
- GetAccountAuthorizationDetails pagination (IsTruncated, Marker):
  https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .aws_estate import ANALYTICS, MANAGEMENT, PAYMENTS, SCANNER_ROLE, Fault, Recorder
from s3audit.cli import main
from s3audit.snapshot.load import load_snapshot, validate
from s3audit.snapshot.model import UNKNOWN
from s3audit.sources import aws

ROOT = Path(__file__).resolve().parents[2]


def _options(tmp_path: Path, **kw) -> aws.CollectOptions:
    kw.setdefault("organization", True)
    kw.setdefault("role_name", SCANNER_ROLE)
    kw.setdefault("workers", 4)
    return aws.CollectOptions(output=str(tmp_path / "snapshot.json"), **kw)


def _account(document: dict, account_id: str) -> dict:
    return next(a for a in document["accounts"] if a["id"] == account_id)


def _bucket(document: dict, account_id: str, name: str) -> dict:
    return next(b for b in _account(document, account_id)["s3"]["buckets"] if b["Name"] == name)


@pytest.fixture
def no_backoff(monkeypatch):
    """Retries without their waits: the backoff and the adaptive rate limiter's token bucket."""
    import botocore.retries.bucket
    import botocore.retries.standard
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.setattr(botocore.retries.bucket.TokenBucket, "acquire", lambda self, amount=1, block=True: True)


# ---------------------------------------------------------------------------------------------------------
# Throttling

def test_throttling_is_retried_then_recorded(shared_estate, tmp_path, no_backoff):
    reports = lambda p: p.get("Bucket") == "mgmt-reports"  # noqa: E731
    persistent = Fault("s3", "GetBucketEncryption", "SlowDown", status=503, when=reports)
    transient = Fault("s3", "GetBucketTagging", "SlowDown", status=503, attempts=2, when=reports)
    iam = Fault("iam", "GetAccountAuthorizationDetails", "Throttling", status=400)
    recorder = Recorder(persistent, transient, iam)
    snapshot = aws.collect(_options(tmp_path, max_attempts=3), on_new_client=recorder.on_new_client)

    validate(snapshot)
    assert persistent.sent == 3                                   # every attempt was made, then given up
    bucket = _bucket(snapshot, MANAGEMENT, "mgmt-reports")
    assert bucket["Errors"] == {"GetBucketEncryption": "SlowDown"}
    assert "Encryption" not in bucket
    assert transient.sent == 2 and bucket["Tags"] == {"data-class": "internal", "owner": "finance"}
    for account in snapshot["accounts"]:
        assert account["iam"] == {}
        assert account["errors"] == {"iam:GetAccountAuthorizationDetails": "Throttling"}
    model = load_snapshot(str(tmp_path / "snapshot.json"))
    assert not model.account(MANAGEMENT).iam_known
    assert next(b for b in model.account(MANAGEMENT).buckets if b.name == "mgmt-reports").encryption is UNKNOWN


# ---------------------------------------------------------------------------------------------------------
# AccessDenied and friends, all in one run

def test_every_failure_is_recorded_and_the_scan_goes_on(shared_estate, tmp_path):
    faults = Recorder(
        Fault("s3", "GetBucketPolicy", "AccessDenied", 403, when=lambda p: p.get("Bucket") == "mgmt-reports"),
        Fault("s3", "GetBucketLocation", "NoSuchBucket", 404, when=lambda p: p.get("Bucket") == "mgmt-bare"),
        Fault("s3control", "GetPublicAccessBlock", "AccessDenied", 403, when=lambda p: p.get("AccountId") == PAYMENTS),
        Fault("s3control", "GetAccessPointPolicy", "AccessDenied", 403, when=lambda p: p.get("Name") == "reports-ap"),
        Fault("sts", "AssumeRole", "AccessDenied", 403, when=lambda p: ANALYTICS in p.get("RoleArn", "")),
        Fault("organizations", "ListRoots", "AccessDeniedException", 400),
        Fault("kms", "GetKeyPolicy", "AccessDeniedException", 400),
        Fault("kms", "ListAliases", "AccessDeniedException", 400),
        Fault("ec2", "DescribeVpcEndpoints", "UnauthorizedOperation", 403),
    )
    snapshot = aws.collect(_options(tmp_path), on_new_client=faults.on_new_client)
    validate(snapshot)
    model = load_snapshot(str(tmp_path / "snapshot.json"))

    # a bucket's policy read denied: unknown, and everything else about the bucket still read
    reports = _bucket(snapshot, MANAGEMENT, "mgmt-reports")
    assert reports["Errors"] == {"GetBucketPolicy": "AccessDenied"} and "Encryption" in reports
    # a bucket deleted between ListBuckets and its reads: nothing about it is known, not even its region
    bare = _bucket(snapshot, MANAGEMENT, "mgmt-bare")
    assert set(bare["Errors"]) == {"GetBucketLocation"} | {c.operation for c in aws.BUCKET_CALLS}
    assert set(bare["Errors"].values()) == {"NoSuchBucket"}
    bare_model = next(b for b in model.account(MANAGEMENT).buckets if b.name == "mgmt-bare")
    assert bare_model.region is UNKNOWN and bare_model.policy is UNKNOWN
    # account-level Block Public Access denied: unknown, not "none set"
    payments = _account(snapshot, PAYMENTS)
    assert payments["errors"] == {"s3control:GetPublicAccessBlock": "AccessDenied",
                                  "kms:ListAliases@us-east-1": "AccessDeniedException",
                                  "ec2:DescribeVpcEndpoints@us-east-1": "UnauthorizedOperation"}
    # a key's policy denied (a key policy that does not let the account's IAM policies read it): unknown, and the
    # key's grants and rotation still read; the aliases and endpoints of the region unknown
    key = payments["kms"]["keys"][0]
    assert key["Errors"] == {"GetKeyPolicy": "AccessDeniedException"} and "Policy" not in key and "Grants" in key
    assert model.account(PAYMENTS).kms_keys[0].policy is UNKNOWN
    assert dict(model.account(PAYMENTS).kms_gaps) == {"us-east-1": "`kms:ListAliases` failed: AccessDeniedException"}
    assert dict(model.account(PAYMENTS).vpc_endpoint_gaps) == {
        "us-east-1": "`ec2:DescribeVpcEndpoints` failed: UnauthorizedOperation"}
    assert "public_access_block" not in payments["s3"]
    assert model.account(PAYMENTS).public_access_block is UNKNOWN
    # an access point's policy denied
    ap = next(x for x in _account(snapshot, MANAGEMENT)["s3"]["access_points"] if x["Name"] == "reports-ap")
    assert ap["Errors"] == {"GetAccessPointPolicy": "AccessDenied"} and "Policy" not in ap
    # an account the scanner cannot enter: every read of it is unknown
    analytics = _account(snapshot, ANALYTICS)
    assert analytics["errors"]["sts:AssumeRole"] == "AccessDenied"
    assert set(analytics["errors"]) == {"sts:AssumeRole", *aws.UNREACHED_READS}
    assert not model.account(ANALYTICS).iam_known and not model.account(ANALYTICS).s3_known
    # the organization's tree could not be read: known to be an organization, guard rails unknown
    assert snapshot["organization"]["errors"] == {"organizations:ListRoots": "AccessDeniedException"}
    assert snapshot["organization"]["management_account"] == MANAGEMENT
    assert model.organization.errors == {"organizations:ListRoots": "AccessDeniedException"}


def test_organization_unreadable_from_the_start(shared_estate, tmp_path):
    faults = Recorder(Fault("organizations", "DescribeOrganization", "AccessDeniedException", 400))
    snapshot = aws.collect(_options(tmp_path, organization=False, role_name=None),
                           on_new_client=faults.on_new_client)
    validate(snapshot)
    assert snapshot["organization"] == {"errors": {"organizations:DescribeOrganization": "AccessDeniedException"}}
    assert [a["id"] for a in snapshot["accounts"]] == [MANAGEMENT]


def test_listing_the_organizations_accounts_is_required_for_organization(shared_estate, tmp_path):
    faults = Recorder(Fault("organizations", "ListAccounts", "AccessDeniedException", 400))
    with pytest.raises(aws.CollectError, match="cannot list the organization's accounts: `AccessDeniedException`"):
        aws.collect(_options(tmp_path), on_new_client=faults.on_new_client)
    assert not (tmp_path / "snapshot.json").exists()


def test_role_arns_name_the_accounts(shared_estate, tmp_path):
    arns = (f"arn:aws:iam::{PAYMENTS}:role/{SCANNER_ROLE}", f"arn:aws:iam::{ANALYTICS}:role/{SCANNER_ROLE}")
    recorder = Recorder()
    snapshot = aws.collect(_options(tmp_path, organization=False, role_name=None, role_arns=arns, workers=1),
                           on_new_client=recorder.on_new_client)
    assert [a["id"] for a in snapshot["accounts"]] == [PAYMENTS, ANALYTICS]
    assert {p["RoleArn"] for s, op, p in recorder.calls if op == "AssumeRole"} == set(arns)
    # the accounts come without names unless the organization supplies them: the org tree still does
    assert {a["Id"] for a in snapshot["organization"]["accounts"]} == {MANAGEMENT, PAYMENTS, ANALYTICS}


# ---------------------------------------------------------------------------------------------------------
# Units: regions, IAM pages, the organization outside and without guard rails

@pytest.mark.parametrize("constraint, region", [
    (None, "us-east-1"), ("", "us-east-1"), ("EU", "eu-west-1"), ("eu-west-1", "eu-west-1"),
    ("ap-southeast-2", "ap-southeast-2")])
def test_bucket_region(constraint, region):
    assert aws.bucket_region(constraint) == region


def test_iam_pages_are_merged_and_unused_aws_managed_policies_dropped(aws_env, tmp_path):
    from botocore.stub import Stubber

    collector = aws.Collector(_options(tmp_path, organization=False, role_name=None))
    ctx = aws._Account(collector, MANAGEMENT, collector.base_session)
    client = ctx.client("iam")

    def policy(arn, attached=0, boundary=0):
        return {"Arn": arn, "PolicyName": arn.rsplit("/", 1)[1], "AttachmentCount": attached,
                "PermissionsBoundaryUsageCount": boundary, "PolicyVersionList": []}
    filters = {"Filter": list(aws.IAM_FILTERS)}
    aws_policy = "arn:aws:iam::aws:policy/"
    with Stubber(client) as stub:
        stub.add_response("get_account_authorization_details", {
            "UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::123456789012:user/u",
                                "PermissionsBoundary": {"PermissionsBoundaryArn": aws_policy + "AsBoundary",
                                                        "PermissionsBoundaryType": "Policy"}}],
            "Policies": [policy(aws_policy + "Unused"), policy(aws_policy + "Attached", attached=1),
                         policy("arn:aws:iam::123456789012:policy/Local")],
            "IsTruncated": True, "Marker": "page-2"}, filters)
        stub.add_response("get_account_authorization_details", {
            "RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::123456789012:role/r",
                                "AttachedManagedPolicies": [{"PolicyArn": aws_policy + "ByRole", "PolicyName": "x"}]}],
            "Policies": [policy(aws_policy + "AsBoundary"), policy(aws_policy + "ByRole"),
                         policy(aws_policy + "Counted", boundary=1)],
            "IsTruncated": False}, {**filters, "Marker": "page-2"})
        iam, errors = collector.collect_iam(ctx)
        stub.assert_no_pending_responses()
    assert errors == {}
    assert [u["UserName"] for u in iam["UserDetailList"]] == ["u"]
    assert [r["RoleName"] for r in iam["RoleDetailList"]] == ["r"]
    assert iam["GroupDetailList"] == []
    # merged from both pages, in ARN order (the pages' order is not stable from one collection to the next)
    assert [p["PolicyName"] for p in iam["Policies"]] == ["Local", "AsBoundary", "Attached", "ByRole", "Counted"]


# ---------------------------------------------------------------------------------------------------------
# The command line's refusals

@pytest.mark.parametrize("argv, message", [
    (["--role-arn", "arn:aws:iam::123:role/x"], "is not an IAM role ARN"),
    (["--accounts", "12345", "--role-name", "r"], "`12345` is not a 12-digit AWS account id"),
    (["--organization"], "need `--role-name`"),
    (["--role-name", "r"], "`--role-name` needs `--accounts` or `--organization`"),
    (["--role-arn", f"arn:aws:iam::{PAYMENTS}:role/r", "--organization"], "do not combine it"),
])
def test_usage_errors_exit_2_with_one_message(argv, message, tmp_path, capsys, aws_env):
    assert main(["collect", "-o", str(tmp_path / "s.json"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_workers_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["collect", "-o", str(tmp_path / "s.json"), "--workers", "0"])
    assert exited.value.code == 2 and "expected at least 1" in capsys.readouterr().err


def test_no_credentials_or_an_unknown_profile(tmp_path, capsys, aws_env, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert main(["collect", "-o", str(tmp_path / "s.json")]) == 2
    assert "cannot authenticate to AWS: `NoCredentialsError`" in capsys.readouterr().err
    assert main(["collect", "-o", str(tmp_path / "s.json"), "--profile", "nobody"]) == 2
    assert "no AWS profile named `nobody`" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()


def test_help_does_not_import_boto3():
    code = ("import sys; from s3audit.cli import build_parser; import s3audit.commands.collect\n"
            "try: build_parser().parse_args(['collect', '--help'])\n"
            "except SystemExit: pass\n"
            "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
