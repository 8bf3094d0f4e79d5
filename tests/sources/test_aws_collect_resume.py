"""A crash in the middle of a collection keeps the previous snapshot; ``--resume`` completes the partial run
from its journal (``SNAPSHOT.partial``); a collection outside an organization, or with its guard-rail types
disabled, records no guard rails.

AWS pages:
- enabling and disabling policy types: https://docs.aws.amazon.com/organizations/latest/userguide/enable-policy-type.html
- DescribeOrganization outside an organization (AWSOrganizationsNotInUseException):
  https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html
"""
from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from .aws_estate import ANALYTICS, MANAGEMENT, PAYMENTS, SCANNER_ROLE, Fault, Recorder
from s3audit.errors import InputError, UsageError
from s3audit.snapshot.load import validate
from s3audit.sources import aws


def _options(tmp_path: Path, **kw) -> aws.CollectOptions:
    kw.setdefault("organization", True)
    kw.setdefault("role_name", SCANNER_ROLE)
    kw.setdefault("workers", 4)
    return aws.CollectOptions(output=str(tmp_path / "snapshot.json"), **kw)


def _account(document: dict, account_id: str) -> dict:
    return next(a for a in document["accounts"] if a["id"] == account_id)


def test_a_crash_keeps_the_previous_snapshot_and_resume_completes_it(estate, tmp_path):
    options = _options(tmp_path)
    output, journal = Path(options.output), Path(options.journal_path)
    previous = b'{"format": "s3audit.snapshot/v1", "taken_at": "2026-01-01T00:00:00Z", "accounts": []}\n'
    output.write_bytes(previous)

    crash = Recorder(Fault("s3control", "GetPublicAccessBlock", "-", crash=True,
                           when=lambda p: p.get("AccountId") == ANALYTICS))
    with pytest.raises(RuntimeError, match="simulated crash"):
        aws.collect(options, on_new_client=crash.on_new_client)
    assert output.read_bytes() == previous                      # untouched
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [list(r)[0] for r in lines[1:]] == ["organization", "account", "account"]
    assert [r["account"]["id"] for r in lines[2:]] == [MANAGEMENT, PAYMENTS]

    # The estate changes before the re-run: the resumed run must not re-read the accounts it has.
    mgmt = estate.session()
    mgmt.client("s3").create_bucket(Bucket="mgmt-added-later")
    analytics = estate.session(ANALYTICS)
    analytics.client("s3").create_bucket(Bucket="analytics-added-later")

    resumed = Recorder()
    snapshot = aws.collect(aws.CollectOptions(**{**vars(options), "resume": True}),
                           on_new_client=resumed.on_new_client)
    validate(snapshot)
    assert not journal.exists()
    assert json.loads(output.read_text()) == snapshot
    assert snapshot["taken_at"] == lines[0]["taken_at"]
    names = {b["Name"] for a in snapshot["accounts"] for b in a["s3"]["buckets"]}
    assert "analytics-added-later" in names and "mgmt-added-later" not in names
    assert [a["id"] for a in snapshot["accounts"]] == [MANAGEMENT, PAYMENTS, ANALYTICS]
    assert ("organizations", "ListRoots") not in resumed.operations()      # the tree came from the journal
    assert {p["RoleArn"] for _, op, p in resumed.calls if op == "AssumeRole"} == {
        f"arn:aws:iam::{ANALYTICS}:role/{SCANNER_ROLE}"}

    # Without --resume a run starts afresh.
    fresh = aws.collect(options)
    assert "mgmt-added-later" in {b["Name"] for b in _account(fresh, MANAGEMENT)["s3"]["buckets"]}


def _journal(tmp_path, options, *records: str) -> Path:
    path = Path(options.journal_path)
    header = json.dumps({"format": aws.JOURNAL_FORMAT, "scope": options.scope(), "taken_at": "2026-01-01T00:00:00Z"})
    path.write_text("\n".join([header, *records]))
    return path


def test_resume_drops_a_torn_last_line(tmp_path):
    options = _options(tmp_path, resume=True)
    account = json.dumps({"account": {"id": PAYMENTS, "iam": {}, "s3": {}}})
    path = _journal(tmp_path, options, json.dumps({"organization": None, "errors": {}}), account, '{"account": {"id"')
    journal = aws.Journal.resume(str(path), options.scope())
    assert list(journal.accounts) == [PAYMENTS] and journal.organization_done
    assert path.read_text().endswith("}\n")                      # rewritten without the torn line


def test_resume_refuses_a_corrupt_journal_or_another_scope(tmp_path):
    options = _options(tmp_path, resume=True)
    path = _journal(tmp_path, options, "{not json", json.dumps({"organization": None, "errors": {}}))
    with pytest.raises(InputError) as bad:
        aws.Journal.resume(str(path), options.scope())
    assert bad.value.place.line == 2 and bad.value.place.file == str(path)
    other = _options(tmp_path, organization=False, accounts=(PAYMENTS,))
    _journal(tmp_path, options)
    with pytest.raises(UsageError, match="made for other accounts or options"):
        aws.Journal.resume(str(path), other.scope())



def test_outside_an_organization_and_with_guard_rails_disabled(aws_env, tmp_path):
    from moto import mock_aws

    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="lonely")
        alone = aws.collect(_options(tmp_path, organization=False, role_name=None))
        assert "organization" not in alone                      # AWSOrganizationsNotInUseException: not an error
        assert [b["Name"] for b in alone["accounts"][0]["s3"]["buckets"]] == ["lonely"]

        # moto attaches FullAWSAccess and RCPFullAWSAccess even before the types are enabled; AWS does not
        # enforce a type that is not enabled in the root, so neither is recorded.
        boto3.client("organizations").create_organization(FeatureSet="ALL")
        org = aws.collect(_options(tmp_path, organization=False, role_name=None))
        assert org["organization"]["policies"] == [] and "errors" not in org["organization"]


def test_a_crash_cancels_the_queued_work(aws_env, tmp_path):
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3")
        for i in range(30):
            s3.create_bucket(Bucket=f"queued-{i:02d}")
        crash = Recorder(Fault("s3", "GetBucketLocation", "-", crash=True, when=lambda p: p["Bucket"] == "queued-00"))
        with pytest.raises(RuntimeError):
            aws.collect(_options(tmp_path, organization=False, role_name=None, workers=1),
                        on_new_client=crash.on_new_client)
    located = [p["Bucket"] for _, op, p in crash.calls if op == "GetBucketLocation"]
    assert located[0] == "queued-00" and len(located) < 10, located


def test_an_output_that_is_a_directory_is_refused_before_any_call(aws_env, tmp_path, capsys, monkeypatch):
    from s3audit.cli import main

    monkeypatch.setattr(aws.Collector, "caller", lambda self: pytest.fail("AWS was called"))
    assert main(["collect", "-o", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
