"""Compute that runs as a role, read from Terraform and CloudFormation/SAM (docs/snapshot-format.md, "Compute";
docs/iac.md), with the ARNs AWS derives from names computed, and the overlay of a change on a live estate.

Provider and template references: https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_instance_profile,
.../instance (``iam_instance_profile`` is the profile's name), .../iam_user_login_profile, .../ecs_task_definition
(``arn_without_revision``);
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-instanceprofile.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-user.html (``LoginProfile``),
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html
(``Ref`` returns the ARN). ARN formats: the Service Authorization Reference's resource types, e.g.
https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html#awslambda-resources-for-iam-policies
"""
from __future__ import annotations

import copy
import json

import pytest

from s3audit.snapshot import compute as ck
from s3audit.snapshot.load import snapshot_from_dict
from s3audit.snapshot.model import UNKNOWN
from s3audit.sources.iac import load_iac

A = "123456789012"
WORKER = f"arn:aws:iam::{A}:role/worker"
TF = "fixtures/compute/terraform"
CFN = "fixtures/compute/cloudformation.yaml"


def model(snapshot: dict):
    return snapshot_from_dict(json.loads(json.dumps(snapshot))).accounts[0]


def compute(account) -> dict:
    return {(c.kind, c.name): (c.arn, c.region, c.role) for c in account.compute}


def test_terraform_maps_every_compute_type():
    snapshot, locations = load_iac(terraform=[TF])
    a = model(snapshot)
    r = "eu-west-1"
    assert compute(a) == {
        (ck.INSTANCE, "<aws_instance.batch>"): (f"arn:aws:ec2:{r}:{A}:instance/<aws_instance.batch>", r, WORKER),
        (ck.FUNCTION, "export"): (f"arn:aws:lambda:{r}:{A}:function:export", r, WORKER),
        (ck.DEV_ENDPOINT, "notebooks"): (f"arn:aws:glue:{r}:{A}:devEndpoint/notebooks", r, WORKER),
        (ck.GLUE_JOB, "nightly"): (f"arn:aws:glue:{r}:{A}:job/nightly", r, WORKER),
        (ck.NOTEBOOK, "Analysis"): (f"arn:aws:sagemaker:{r}:{A}:notebook-instance/analysis", r, WORKER),
        (ck.CODEBUILD_PROJECT, "builder"): (f"arn:aws:codebuild:{r}:{A}:project/builder", r, WORKER),
        (ck.STACK, "app"): (f"arn:aws:cloudformation:{r}:{A}:stack/app/*", r, WORKER),
        (ck.TASK_DEFINITION, "api:*"): (f"arn:aws:ecs:{r}:{A}:task-definition/api:*", r, WORKER),
        (ck.ECS_SERVICE, "api"): (f"arn:aws:ecs:{r}:{A}:service/main/api", r, WORKER),  # its task definition's role
        (ck.STATE_MACHINE, "flow"): (f"arn:aws:states:{r}:{A}:stateMachine:flow", r, WORKER),
    }
    # the instance profile is on its role, as GetAccountAuthorizationDetails lists it (path included)
    [worker] = a.roles
    assert worker.instance_profiles == (f"arn:aws:iam::{A}:instance-profile/compute/worker-profile",)
    # a change describes what it declares: nothing else is unknown; whether SSM manages the instance is
    [instance] = [c for c in a.compute if c.kind == ck.INSTANCE]
    assert dict(a.compute_unknown) == {} and instance.facts["managed"] is UNKNOWN
    [service] = [c for c in a.compute if c.kind == ck.ECS_SERVICE]
    assert service.facts["exec_enabled"] is True
    assert (a.has_password("alice"), a.has_password("bob")) == (True, False)
    # every item is placed on its resource block
    assert locations["/accounts/0/lambda/functions/0"]["line"] == _line(TF + "/main.tf", 'resource "aws_lambda_function"')


def test_cloudformation_and_sam_map_every_compute_type():
    snapshot, locations = load_iac(cloudformation=[CFN], region="eu-west-1")
    a = model(snapshot)
    got = compute(a)
    assert got[(ck.FUNCTION, "resize")][2] == f"arn:aws:iam::{A}:role/<ResizeRole>"  # the role SAM generates
    assert got[(ck.STATE_MACHINE, "flow")] == (f"arn:aws:states:eu-west-1:{A}:stateMachine:flow", "eu-west-1", WORKER)
    assert got[(ck.ECS_SERVICE, "api")][2] == WORKER  # !Ref of the task definition: its ARN, any revision
    assert got[(ck.GLUE_JOB, "nightly")][2] == WORKER  # a role given by name
    assert {k[0] for k in got} == {k.kind for k in ck.KINDS} - {ck.STACK}  # a nested stack runs as its parent
    assert (a.has_password("alice"), a.has_password("bob")) == (True, False)
    worker = next(r for r in a.roles if r.name == "worker")
    assert worker.instance_profiles == (f"arn:aws:iam::{A}:instance-profile/worker-profile",)
    assert locations["/accounts/0/ec2/instances/0"]["line"] == _line(CFN, "  Batch:")


def test_an_unknown_region_leaves_the_items_region_unknown():
    snapshot, _ = load_iac(cloudformation=[CFN])  # a template does not say where it deploys
    a = model(snapshot)
    assert {c.region for c in a.compute} == {UNKNOWN}


def test_overlaying_compute_keeps_what_the_live_estate_did_not_collect_unknown():
    from s3audit.sources.overlay import overlay

    change, _ = load_iac(terraform=[TF])
    live = {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z", "source": {"kind": "aws"},
            "accounts": [{"id": A, "iam": {}, "s3": {}, "lambda": {"functions": [
                {"FunctionName": "legacy", "Role": f"arn:aws:iam::{A}:role/old", "Region": "eu-west-1"}]},
                "credential_report": [{"user": "bob", "password_enabled": "true"}]}]}
    a = model(overlay(live, change))
    names = {c.name for c in a.compute if c.kind == ck.FUNCTION}
    assert names == {"legacy", "export"}  # merged by name
    assert ck.FUNCTION not in a.compute_unknown  # the live estate listed its functions
    assert ck.INSTANCE in a.compute_unknown  # its instances were not collected: the change's one is not all
    assert "not collected" in a.compute_unknown[ck.INSTANCE]
    # a password the live estate has stays (a change without a login profile does not remove one)
    assert (a.has_password("bob"), a.has_password("alice")) == (True, True)


def test_overlaying_a_change_on_a_live_snapshot_without_compute_leaves_it_unknown():
    from s3audit.sources.overlay import overlay

    bucket_only, _ = load_iac(terraform=["fixtures/terraform/v4-public-policy"])
    live = {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z", "source": {"kind": "aws"},
            "accounts": [{"id": A, "iam": {}, "s3": {}}]}
    a = model(overlay(copy.deepcopy(live), bucket_only))
    assert set(a.compute_unknown) == {k.kind for k in ck.KINDS}


def _line(path: str, text: str) -> int:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.startswith(text):
                return n
    pytest.fail(f"{text!r} not in {path}")
