"""IaC that attaches AWS managed policies by ARN is judged with their documents (s3audit ships them).

AWS managed policies are created and maintained by AWS and are the same in every account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies);
a Terraform configuration, plan or CloudFormation template names one by ARN and never says what it grants. The
snapshot loader gives such an attachment s3audit's shipped copy (s3audit/iam/managed.py); a live snapshot's own
copy wins; an ARN the data does not know stays unknown ("access may be possible", and why).

What the policies grant: AmazonS3ReadOnlyAccess s3:Get*/s3:List*
(https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3ReadOnlyAccess.html), AdministratorAccess
every action (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html),
AmazonSSMManagedInstanceCore Systems Manager only
(https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSSMManagedInstanceCore.html), a permissions
boundary caps what identity policies grant (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
"""
from __future__ import annotations

import copy
import json

import pytest

from s3audit.iam import managed
from s3audit.iam.engine import Engine, Request
from s3audit.snapshot.load import snapshot_from_dict
from s3audit.sources.iac import load_iac

from .conftest import pos

pytestmark = pytest.mark.usefixtures("at_root")

TF_DIR = "fixtures/terraform/aws-managed-policies"
TF = f"{TF_DIR}/main.tf"
CFN = "fixtures/cloudformation/aws-managed-policies.yaml"
PLAN = "fixtures/terraform-plans/aws-managed-policies.json"
ACCOUNT = "123456789012"
S3_RO = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def shipped(name: str) -> str:
    return f"AWS managed policy {name} (shipped copy of {managed.about()['date']})"


def model(**inputs):
    snap, _ = load_iac(**inputs)
    return snapshot_from_dict(json.loads(json.dumps(snap)))


def decide(snapshot, principal: str, action: str, resource: str):
    return Engine(snapshot).decide(Request(principal, action, resource))


def findings(*args: str) -> list[dict]:
    import contextlib
    import io

    from s3audit.cli import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["check", *args, "--format", "json", "--fail-on", "never"])
    return json.loads(out.getvalue())["findings"]


def path_findings(found: list[dict], rule: str) -> dict[str, str]:
    """External principal -> status of the rule's findings about it."""
    return {f["message"].split(" ", 1)[0]: f["status"] for f in found if f["rule"] == rule}


# ---- Terraform configuration ----

def test_terraform_roles_are_decided_with_the_shipped_documents():
    s = model(terraform=[TF_DIR])
    key = "arn:aws:s3:::claims-archive-eu/2026/claim.pdf"
    d = decide(s, role("partner-claims-reader"), "s3:GetObject", key)
    assert d.decision == "allow" and d.assumptions == ()
    assert [r.source for r in d.reasons] == [shipped("AmazonS3ReadOnlyAccess")]
    assert decide(s, role("partner-claims-reader"), "s3:PutObject", key).decision == "deny"
    admin = decide(s, role("break-glass-admin"), "s3:PutBucketPolicy", "arn:aws:s3:::claims-archive-eu")
    assert admin.decision == "allow" and [r.source for r in admin.reasons] == [shipped("AdministratorAccess")]
    # SSM's and CloudWatch Logs' policies grant nothing in S3: denied, no longer "may be possible"
    fleet = decide(s, role("claims-fleet-instance"), "s3:GetObject", key)
    assert fleet.decision == "deny" and fleet.assumptions == ()
    # a name no source publishes: unknown, and the reason says which policy
    legacy = decide(s, role("legacy-claims-vendor"), "s3:GetObject", key)
    assert legacy.decision == "conditional"
    assert any("arn:aws:iam::aws:policy/AcmeLegacyVendorAccess" in a for a in legacy.assumptions)


def test_terraform_findings_follow_from_the_shipped_documents():
    found = findings("--terraform", TF_DIR)
    line, col = pos(TF, 'resource "aws_s3_bucket" "claims"')
    assert path_findings(found, "PATH-external-read") == {
        "arn:aws:iam::999999999999:root": "open",     # AmazonS3ReadOnlyAccess
        "arn:aws:iam::888888888888:root": "open",     # AdministratorAccess
        "arn:aws:iam::777777777777:root": "unknown"}  # AcmeLegacyVendorAccess: not in the data
    assert path_findings(found, "PCI-7.2.1") == path_findings(found, "PATH-external-read")
    for f in found:
        if f["rule"] == "PATH-external-read":
            assert f["location"] == {"file": TF, "line": line, "column": col}
    unknown = next(f for f in found if f["rule"] == "PATH-external-read" and f["status"] == "unknown")
    assert "AcmeLegacyVendorAccess" in json.dumps(unknown["evidence"])
    reader = next(f for f in found if f["rule"] == "PATH-external-read" and "999999999999" in f["message"])
    assert shipped("AmazonS3ReadOnlyAccess") in json.dumps(reader["evidence"])


def test_a_shipped_document_is_placed_on_the_attachment_that_names_it():
    s = model(terraform=[TF_DIR])
    d = decide(s, role("partner-claims-reader"), "s3:GetObject", "arn:aws:s3:::claims-archive-eu/x")
    where = s.location_of(d.reasons[0].pointer)  # the `policy_arn` of the attachment resource
    assert (where["file"], where["line"]) == (TF, pos(TF, f'policy_arn = "{S3_RO}"')[0])


def test_the_readers_note_is_dropped_only_for_policies_the_data_resolves():
    snap, _ = load_iac(terraform=[TF_DIR])
    notes = {k for k in snap["accounts"][0]["errors"] if k.startswith("iam:Policy/")}
    assert f"iam:Policy/{S3_RO}/Document" in notes  # the reader still says the input lacks it
    errors = snapshot_from_dict(json.loads(json.dumps(snap))).accounts[0].errors
    assert [k for k in errors if k.startswith("iam:Policy/")] == [
        "iam:Policy/arn:aws:iam::aws:policy/AcmeLegacyVendorAccess/Document"]


# ---- CloudFormation ----

def test_cloudformation_principals_are_decided_with_the_shipped_documents():
    s = model(cloudformation=[CFN])
    key = "arn:aws:s3:::research-data-eu/cohort/1.parquet"
    # ManagedPolicyArns through !Sub with ${AWS::Partition}
    assert decide(s, role("analytics-partner-reader"), "s3:GetObject", key).decision == "allow"
    # an AWS managed policy as the permissions boundary: s3:* inline, but only reads get through
    assert decide(s, role("bounded-writer"), "s3:PutObject", key).decision == "deny"
    assert decide(s, role("bounded-writer"), "s3:GetObject", key).decision == "allow"
    # a group's ManagedPolicyArns reach its members
    on_call = decide(s, f"arn:aws:iam::{ACCOUNT}:user/on-call", "s3:DeleteObject", key)
    assert on_call.decision == "allow" and [r.source for r in on_call.reasons] == [shipped("AdministratorAccess")]
    # service-role/ path and AmazonSSMManagedInstanceCore: no S3 access
    assert decide(s, role("research-ingest"), "s3:GetObject", key).decision == "deny"
    assert decide(s, role("research-contractor"), "s3:GetObject", key).decision == "conditional"


def test_cloudformation_findings_follow_from_the_shipped_documents():
    found = findings("--cloudformation", CFN)
    expected = {"arn:aws:iam::999999999999:root": "open", "arn:aws:iam::888888888888:root": "open",
                "arn:aws:iam::777777777777:root": "unknown"}
    assert path_findings(found, "PATH-external-read") == expected
    assert path_findings(found, "GDPR-32-external") == expected
    # the shipped copies are AWS's text, not the template's: no hygiene finding is placed on them
    assert not [f for f in found if f["rule"].startswith("HYG-") and "AWS managed policy" in f["message"]]


# ---- Terraform plan ----

def test_plan_findings_follow_from_the_shipped_documents():
    found = findings("--terraform-plan", PLAN)
    assert path_findings(found, "PATH-external-read") == {
        "arn:aws:iam::999999999999:root": "open", "arn:aws:iam::888888888888:root": "open",
        "arn:aws:iam::777777777777:root": "unknown"}


# ---- the live estate's copy wins ----

def test_a_live_snapshots_own_copy_wins_over_the_shipped_one():
    # The live estate holds the version of AmazonS3ReadOnlyAccess its account really has (the collector stores
    # attached AWS managed policies in iam.Policies): here one that only lists. The change attaches the policy
    # to a new role; the overlay keeps the live copy, and it decides.
    live = {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z",
            "accounts": [{"id": ACCOUNT, "iam": {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [],
                                                 "Policies": [{
                "PolicyName": "AmazonS3ReadOnlyAccess", "Arn": S3_RO, "Path": "/", "DefaultVersionId": "v1",
                "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}}]}]},
                          "s3": {"buckets": []}}]}
    s = model(terraform=[TF_DIR], live=copy.deepcopy(live))
    d = decide(s, role("partner-claims-reader"), "s3:GetObject", "arn:aws:s3:::claims-archive-eu/x")
    assert d.decision == "deny"
    listed = decide(s, role("partner-claims-reader"), "s3:ListBucket", "arn:aws:s3:::claims-archive-eu")
    assert listed.decision == "allow"
    assert [r.source for r in listed.reasons] == [f"identity policy of {S3_RO}"]  # the live copy, not shipped
    assert s.accounts[0].managed_policies[S3_RO].shipped is False
    # AdministratorAccess is not in the live estate: the shipped copy fills it
    assert s.accounts[0].managed_policies["arn:aws:iam::aws:policy/AdministratorAccess"].shipped is True


# ---- the data is read only when a snapshot needs it ----

def test_the_data_is_read_only_for_a_snapshot_that_lacks_an_attached_aws_managed_policy():
    managed._data.cache_clear()
    model(cloudformation=["fixtures/cloudformation/private-bucket.yaml"])  # attaches nothing
    from s3audit.snapshot.load import load_snapshot
    load_snapshot("fixtures/demo/estate.json")  # attaches AWS managed policies, and holds every one of them
    assert managed._data.cache_info().currsize == 0
    model(terraform=[TF_DIR])
    assert managed._data.cache_info().currsize == 1
