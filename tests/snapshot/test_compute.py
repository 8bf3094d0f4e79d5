"""Compute, the credential report and policy versions in the snapshot (docs/snapshot-format.md, "Compute").

AWS shapes: DescribeInstances (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html),
DescribeInstanceInformation (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeInstanceInformation.html),
ListFunctions (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html), DescribeServices
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html), the credential report
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html) and
GetAccountAuthorizationDetails' PolicyVersionList
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html).
"""
from __future__ import annotations

import copy

import pytest

from s3audit.errors import SnapshotError
from s3audit.snapshot import compute as ck
from s3audit.snapshot.load import snapshot_from_dict
from s3audit.snapshot.model import UNKNOWN

A = "222222222222"


def estate(**account) -> dict:
    role = {"RoleName": "web", "Arn": f"arn:aws:iam::{A}:role/web", "Path": "/",
            "InstanceProfileList": [{"Arn": f"arn:aws:iam::{A}:instance-profile/web-profile",
                                     "InstanceProfileName": "web-profile"}]}
    return {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z", "source": {"kind": "aws"},
            "accounts": [{"id": A, "iam": {"RoleDetailList": [role]}, "s3": {}, **account}]}


def account(doc: dict):
    return snapshot_from_dict(doc).accounts[0]


def by_kind(acct, kind):
    return [c for c in acct.compute if c.kind == kind]


EVERY_SECTION = {
    "ec2": {"instances": [{"InstanceId": "i-1", "Region": "us-east-1", "State": {"Name": "running"},
                           "IamInstanceProfile": {"Arn": f"arn:aws:iam::{A}:instance-profile/web-profile"}},
                          {"InstanceId": "i-2", "Region": "eu-west-1", "State": {"Name": "running"}}]},
    "ssm": {"instance_information": [{"InstanceId": "i-1", "Region": "us-east-1", "PingStatus": "Online"}]},
    "lambda": {"functions": [{"FunctionName": "f", "FunctionArn": f"arn:aws:lambda:us-east-1:{A}:function:f",
                              "Role": f"arn:aws:iam::{A}:role/web", "Region": "us-east-1"}]},
    "glue": {"dev_endpoints": [{"EndpointName": "dev", "RoleArn": f"arn:aws:iam::{A}:role/web", "Region": "us-east-1"}],
             "jobs": [{"Name": "nightly", "Role": "web", "Region": "us-east-1"}]},
    "sagemaker": {"notebook_instances": [{"NotebookInstanceName": "NoteBook", "RoleArn": f"arn:aws:iam::{A}:role/web",
                                          "Region": "us-east-1"}]},
    "codebuild": {"projects": [{"name": "build", "serviceRole": f"arn:aws:iam::{A}:role/web", "Region": "us-east-1"}]},
    "cloudformation": {"stacks": [{"StackName": "app", "StackId": f"arn:aws:cloudformation:us-east-1:{A}:stack/app/1",
                                   "RoleARN": f"arn:aws:iam::{A}:role/web", "Region": "us-east-1"},
                                  {"StackName": "plain", "Region": "us-east-1"}]},
    "ecs": {"task_definitions": [{"taskDefinitionArn": f"arn:aws:ecs:us-east-1:{A}:task-definition/api:3",
                                  "family": "api", "taskRoleArn": f"arn:aws:iam::{A}:role/web", "Region": "us-east-1"}],
            "services": [{"serviceName": "api", "clusterArn": f"arn:aws:ecs:us-east-1:{A}:cluster/main",
                          "taskDefinition": f"arn:aws:ecs:us-east-1:{A}:task-definition/api:3",
                          "enableExecuteCommand": True, "Region": "us-east-1"}]},
    "stepfunctions": {"state_machines": [{"stateMachineArn": f"arn:aws:states:us-east-1:{A}:stateMachine:flow",
                                          "roleArn": f"arn:aws:iam::{A}:role/web", "Region": "us-east-1"}]},
}


def test_every_kind_loads_with_its_arn_and_role():
    a = account(estate(regions=["us-east-1", "eu-west-1"], **copy.deepcopy(EVERY_SECTION)))
    web = f"arn:aws:iam::{A}:role/web"
    got = {(c.kind, c.name): (c.arn, c.role) for c in a.compute}
    assert got == {
        (ck.INSTANCE, "i-1"): (f"arn:aws:ec2:us-east-1:{A}:instance/i-1", web),
        (ck.INSTANCE, "i-2"): (f"arn:aws:ec2:eu-west-1:{A}:instance/i-2", None),
        (ck.FUNCTION, "f"): (f"arn:aws:lambda:us-east-1:{A}:function:f", web),
        (ck.DEV_ENDPOINT, "dev"): (f"arn:aws:glue:us-east-1:{A}:devEndpoint/dev", web),
        (ck.GLUE_JOB, "nightly"): (f"arn:aws:glue:us-east-1:{A}:job/nightly", web),  # a role given by name
        (ck.NOTEBOOK, "NoteBook"): (f"arn:aws:sagemaker:us-east-1:{A}:notebook-instance/notebook", web),
        (ck.CODEBUILD_PROJECT, "build"): (f"arn:aws:codebuild:us-east-1:{A}:project/build", web),
        (ck.STACK, "app"): (f"arn:aws:cloudformation:us-east-1:{A}:stack/app/1", web),
        (ck.STACK, "plain"): (f"arn:aws:cloudformation:us-east-1:{A}:stack/plain/*", None),  # no service role
        (ck.TASK_DEFINITION, "api:3"): (f"arn:aws:ecs:us-east-1:{A}:task-definition/api:3", web),
        (ck.ECS_SERVICE, "api"): (f"arn:aws:ecs:us-east-1:{A}:service/main/api", web),  # its task definition's role
        (ck.STATE_MACHINE, "flow"): (f"arn:aws:states:us-east-1:{A}:stateMachine:flow", web),
    }
    assert dict(a.compute_unknown) == {}
    assert a.regions == ("us-east-1", "eu-west-1")
    i1, i2 = by_kind(a, ck.INSTANCE)
    assert (i1.facts["managed"], i1.facts["ping"], i2.facts["managed"]) == (True, "Online", False)
    [svc] = by_kind(a, ck.ECS_SERVICE)
    assert svc.facts["exec_enabled"] is True and svc.facts["cluster_name"] == "main"


def test_absent_sections_of_an_account_are_not_collected():
    a = account(estate())
    assert set(a.compute_unknown) == {k.kind for k in ck.KINDS}
    assert a.compute_unknown[ck.FUNCTION] == "the account's Lambda functions were not collected"


def test_empty_sections_say_none_and_ssm_management_of_a_change_is_unknown():
    sections = {s: {k: []} for s, k in (kind.section for kind in ck.KINDS) if s != "ec2"}
    doc = estate(ec2={"instances": [{"InstanceId": "<aws_instance.web>", "Region": "us-east-1",
                                     "IamInstanceProfile": {"Arn": f"arn:aws:iam::{A}:instance-profile/web-profile"}}]},
                 **{**sections, "glue": {"dev_endpoints": [], "jobs": []}, "ecs": {"task_definitions": [], "services": []}})
    doc["source"] = {"kind": "terraform"}
    a = account(doc)
    assert dict(a.compute_unknown) == {}
    [i] = a.compute
    # SSM management is a runtime fact: the readers write no `ssm` section, so it is unknown
    assert i.facts["managed"] is UNKNOWN and "only once it runs" in i.facts["managed_note"]


def test_a_listing_that_failed_in_one_region_leaves_the_kind_unknown():
    doc = estate(errors={"lambda:ListFunctions@eu-west-1": "AccessDenied"}, **copy.deepcopy(EVERY_SECTION))
    a = account(doc)
    assert a.compute_unknown == {ck.FUNCTION: "`lambda:ListFunctions` failed: AccessDenied (in eu-west-1)"}


def test_describe_regions_failing_leaves_every_kind_unknown():
    a = account(estate(errors={"ec2:DescribeRegions": "UnauthorizedOperation"}, **copy.deepcopy(EVERY_SECTION)))
    assert set(a.compute_unknown) == {k.kind for k in ck.KINDS}
    i1, i2 = by_kind(a, ck.INSTANCE)
    assert i1.facts["managed"] is True  # listed as managed: known even so
    assert i2.facts["managed"] is UNKNOWN


def test_ssm_failing_in_a_region_leaves_only_that_regions_instances_unknown():
    doc = estate(errors={"ssm:DescribeInstanceInformation@eu-west-1": "AccessDenied"}, **copy.deepcopy(EVERY_SECTION))
    i1, i2 = by_kind(account(doc), ck.INSTANCE)
    assert i1.facts["managed"] is True
    assert i2.facts["managed"] is UNKNOWN and "AccessDenied" in i2.facts["managed_note"]


def test_a_role_that_could_not_be_read_is_unknown():
    doc = estate(sagemaker={"notebook_instances": [{"NotebookInstanceName": "nb", "Region": "us-east-1",
                                                    "Errors": {"DescribeNotebookInstance": "ThrottlingException"}}]})
    [nb] = by_kind(account(doc), ck.NOTEBOOK)
    assert nb.role is UNKNOWN


def test_a_service_whose_task_definition_is_not_listed_runs_as_an_unknown_role():
    doc = estate(ecs={"task_definitions": [], "services": [{"serviceName": "api", "taskDefinition": "gone:1",
                                                           "Region": "us-east-1"}]})
    [svc] = by_kind(account(doc), ck.ECS_SERVICE)
    assert svc.role is UNKNOWN


def test_credential_report_says_who_has_a_password():
    doc = estate(credential_report=[{"user": "<root_account>", "password_enabled": "not_supported"},
                                    {"user": "alice", "password_enabled": "true"},
                                    {"user": "bob", "password_enabled": "false"}])
    a = account(doc)
    assert (a.has_password("alice"), a.has_password("bob"), a.has_password("carol")) == (True, False, UNKNOWN)
    assert account(estate()).has_password("alice") is UNKNOWN
    failed = estate(credential_report=[], errors={"iam:GetCredentialReport": "ReportInProgress"})
    assert account(failed).has_password("alice") is UNKNOWN


def test_every_policy_version_is_kept():
    doc = estate()
    doc["accounts"][0]["iam"]["Policies"] = [{"Arn": f"arn:aws:iam::{A}:policy/p", "PolicyName": "p",
                                              "DefaultVersionId": "v1", "PolicyVersionList": [
        {"VersionId": "v2", "IsDefaultVersion": False, "Document": {"Statement": []}},
        {"VersionId": "v1", "IsDefaultVersion": True, "Document": {"Statement": []}}]}]
    p = account(doc).managed_policies[f"arn:aws:iam::{A}:policy/p"]
    assert [(v.id, v.is_default) for v in p.versions] == [("v2", False), ("v1", True)]
    assert p.document.pointer.endswith("/PolicyVersionList/1/Document")


@pytest.mark.parametrize("mutate, pointer", [
    (lambda a: a.update(ec2={"instances": [{"State": {"Name": "running"}}]}), "/accounts/0/ec2/instances/0"),
    (lambda a: a.update(lambda_={}) or a.update({"lambda": {"functions": [{"FunctionName": 3}]}}),
     "/accounts/0/lambda/functions/0/FunctionName"),
    (lambda a: a.update(regions="us-east-1"), "/accounts/0/regions"),
])
def test_bad_compute_is_refused_at_its_place(mutate, pointer):
    doc = estate()
    mutate(doc["accounts"][0])
    with pytest.raises(SnapshotError) as err:
        snapshot_from_dict(doc)
    assert err.value.place.pointer == pointer


def test_ssm_and_password_facts_may_sit_on_the_instance_and_the_user():
    doc = estate(ec2={"instances": [{"InstanceId": "i-9", "Region": "us-east-1",
                                     "InstanceInformation": {"PingStatus": "ConnectionLost"}}]})
    doc["accounts"][0]["iam"]["UserDetailList"] = [
        {"UserName": "erin", "Arn": f"arn:aws:iam::{A}:user/erin", "LoginProfile": {"UserName": "erin"}},
        {"UserName": "frank", "Arn": f"arn:aws:iam::{A}:user/frank", "LoginProfile": None},
        {"UserName": "gina", "Arn": f"arn:aws:iam::{A}:user/gina"}]
    a = account(doc)
    [i] = by_kind(a, ck.INSTANCE)
    assert (i.facts["managed"], i.facts["ping"]) == (True, "ConnectionLost")
    assert (a.has_password("erin"), a.has_password("frank"), a.has_password("gina")) == (True, False, UNKNOWN)
