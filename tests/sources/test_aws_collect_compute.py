"""The collector's reads of compute that runs as a role, region by region, and of the IAM credential report
(s3audit/sources/aws_compute.py; docs/snapshot-format.md, "Compute"). moto stands in for AWS (with the gaps
``aws_estate.moto_gaps`` fills).

AWS pages:
- the regions enabled in an account: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html
- instances and their instance profiles: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
- the nodes SSM manages: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeInstanceInformation.html
- functions and their resource policies: https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html,
  https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html (ResourceNotFoundException: no policy)
- DescribeServices takes at most 10 services: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html
- BatchGetProjects takes at most 100 names: https://docs.aws.amazon.com/codebuild/latest/APIReference/API_BatchGetProjects.html
- the credential report (generate, then get once COMPLETE):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
"""
from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from .aws_estate import MANAGEMENT, SCANNER_ROLE, Fault, Recorder
from s3audit.snapshot import compute as ck
from s3audit.snapshot.load import load_snapshot, validate
from s3audit.snapshot.model import UNKNOWN
from s3audit.sources import aws, aws_compute


@pytest.fixture(scope="module")
def estate(shared_estate):
    return shared_estate


def collect(tmp_path: Path, *faults: Fault, **kw) -> tuple[dict, Recorder]:
    recorder = Recorder(*faults)
    kw.setdefault("organization", True)
    kw.setdefault("role_name", SCANNER_ROLE)
    snapshot = aws.collect(aws.CollectOptions(output=str(tmp_path / "s.json"), workers=4, max_attempts=1, **kw),
                           on_new_client=recorder.on_new_client)
    validate(snapshot)
    return snapshot, recorder


def management(snapshot: dict) -> dict:
    return next(a for a in snapshot["accounts"] if a["id"] == MANAGEMENT)


def test_compute_is_read_in_every_enabled_region(estate, tmp_path):
    snapshot, recorder = collect(tmp_path)
    mgmt = management(snapshot)
    assert mgmt["regions"] == ["eu-west-1", "us-east-1"]
    listed = {(op, region) for service, op, region in recorder.regions if service == "lambda"}
    assert {("ListFunctions", "eu-west-1"), ("ListFunctions", "us-east-1")} <= listed
    # every section is there, empty where nothing runs, so that absent keeps meaning "not collected"
    assert all(mgmt[s][k] is not None for s, k in aws_compute.SECTIONS)
    every = [item for s, k in aws_compute.SECTIONS for item in mgmt[s][k]]
    assert len(every) == 11 and all(item["Region"] == "us-east-1" for item in every)
    [function] = mgmt["lambda"]["functions"]
    assert function["Policy"]["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}  # GetPolicy, decoded
    [instance] = mgmt["ec2"]["instances"]
    assert [x["InstanceId"] for x in mgmt["ssm"]["instance_information"]] == [instance["InstanceId"]]
    assert {r["user"]: r["password_enabled"] for r in mgmt["credential_report"]} == {"alice": "true", "bob": "false"}
    model = load_snapshot(str(tmp_path / "s.json")).account(MANAGEMENT)
    assert dict(model.compute_unknown) == {}
    assert {c.role for c in model.compute} == {f"arn:aws:iam::{MANAGEMENT}:role/runner",
                                                f"arn:aws:iam::{MANAGEMENT}:role/etl"}


def test_regions_can_be_narrowed(estate, tmp_path):
    snapshot, recorder = collect(tmp_path, regions=("eu-west-1",))
    mgmt = management(snapshot)
    assert mgmt["regions"] == ["eu-west-1"]
    assert mgmt["lambda"]["functions"] == []
    assert {region for service, _, region in recorder.regions if service == "lambda"} == {"eu-west-1"}


def test_a_listing_that_fails_in_one_region_is_recorded_for_that_region(estate, tmp_path):
    snapshot, _ = collect(tmp_path, Fault("lambda", "ListFunctions", "AccessDeniedException", 403, region="eu-west-1"))
    mgmt = management(snapshot)
    assert mgmt["errors"] == {"lambda:ListFunctions@eu-west-1": "AccessDeniedException"}
    assert [f["FunctionName"] for f in mgmt["lambda"]["functions"]] == ["report-builder"]  # us-east-1 still read
    model = load_snapshot(str(tmp_path / "s.json")).account(MANAGEMENT)
    assert set(model.compute_unknown) == {ck.FUNCTION}  # what eu-west-1 runs is unknown, not "nothing"


def test_a_per_item_read_that_fails_is_recorded_on_the_item(estate, tmp_path):
    snapshot, _ = collect(tmp_path, Fault("sagemaker", "DescribeNotebookInstance", "ThrottlingException", 400),
                          Fault("lambda", "GetPolicy", "AccessDeniedException", 403))
    mgmt = management(snapshot)
    [notebook] = mgmt["sagemaker"]["notebook_instances"]
    assert notebook["Errors"] == {"DescribeNotebookInstance": "ThrottlingException"} and "RoleArn" not in notebook
    [function] = mgmt["lambda"]["functions"]
    assert function["Errors"] == {"GetPolicy": "AccessDeniedException"} and "Policy" not in function
    assert "errors" not in mgmt
    model = load_snapshot(str(tmp_path / "s.json")).account(MANAGEMENT)
    [nb] = [c for c in model.compute if c.kind == ck.NOTEBOOK]
    assert nb.role is UNKNOWN  # it may run as any role SageMaker can assume


def test_without_the_region_list_the_home_region_is_still_read(estate, tmp_path):
    snapshot, _ = collect(tmp_path, Fault("ec2", "DescribeRegions", "UnauthorizedOperation", 403))
    mgmt = management(snapshot)
    assert mgmt["errors"] == {"ec2:DescribeRegions": "UnauthorizedOperation"} and mgmt["regions"] == ["us-east-1"]
    assert len(mgmt["lambda"]["functions"]) == 1
    model = load_snapshot(str(tmp_path / "s.json")).account(MANAGEMENT)
    assert set(model.compute_unknown) == {k.kind for k in ck.KINDS}


def test_a_credential_report_that_cannot_be_read_leaves_passwords_unknown(estate, tmp_path):
    snapshot, _ = collect(tmp_path, Fault("iam", "GetCredentialReport", "ReportInProgress", 404))
    mgmt = management(snapshot)
    assert "credential_report" not in mgmt and mgmt["errors"] == {"iam:GetCredentialReport": "ReportInProgress"}
    assert load_snapshot(str(tmp_path / "s.json")).account(MANAGEMENT).has_password("alice") is UNKNOWN


def test_the_credential_report_is_asked_for_until_it_is_complete():
    states = iter(["STARTED", "INPROGRESS", "COMPLETE"])
    csv = b"user,arn,password_enabled\n<root_account>,arn:aws:iam::1:root,not_supported\ndan,arn:aws:iam::1:user/dan,true\n"

    class Iam:
        def generate_credential_report(self):
            return {"State": next(states)}

        def get_credential_report(self):
            return {"Content": csv, "ReportFormat": "text/csv"}

    class Ctx:
        def client(self, service, region=None):
            return Iam()

    class Collector:
        _api_errors = (RuntimeError,)
        progress = aws.Progress(enabled=False)

    waits: list[float] = []
    rows, errors = aws_compute.credential_report(Collector(), Ctx(), sleep=waits.append)
    assert errors == {} and len(waits) == 2
    assert [(r["user"], r["password_enabled"]) for r in rows] == [("<root_account>", "not_supported"), ("dan", "true")]


def test_services_are_described_ten_at_a_time(aws_env, tmp_path):
    from moto import mock_aws

    with mock_aws():
        ecs = boto3.client("ecs")
        ecs.create_cluster(clusterName="busy")
        ecs.register_task_definition(family="t", containerDefinitions=[{"name": "c", "image": "i", "memory": 8}])
        for i in range(12):
            ecs.create_service(cluster="busy", serviceName=f"s{i:02d}", taskDefinition="t", desiredCount=0)
        snapshot, recorder = collect(tmp_path, organization=False, role_name=None, regions=("us-east-1",))
    described = [p["services"] for _, op, p in recorder.calls if op == "DescribeServices" and "busy" in p["cluster"]]
    assert sorted(len(x) for x in described) == [2, 10]
    account = snapshot["accounts"][0]
    busy = [s["serviceName"] for s in account["ecs"]["services"] if s["clusterArn"].endswith("/busy")]
    assert sorted(busy) == [f"s{i:02d}" for i in range(12)]
    assert "t" in {t["family"] for t in account["ecs"]["task_definitions"]}
