"""Compute that runs as a role, as the snapshot records it: which section holds each kind, which API calls list
it (so that their failure makes the account's inventory of that kind unknown), which AWS service runs it (the
service principal its role must trust), and how to read its name, ARN and role from AWS's own shapes.

The kinds (docs/snapshot-format.md, "Compute"):

====================  ==================================  ==========================  ===============================
kind                  section                             service principal           listed by
====================  ==================================  ==========================  ===============================
ec2-instance          ``ec2.instances``                   ec2.amazonaws.com           ec2:DescribeInstances
lambda-function       ``lambda.functions``                lambda.amazonaws.com        lambda:ListFunctions
glue-dev-endpoint     ``glue.dev_endpoints``              glue.amazonaws.com          glue:GetDevEndpoints
glue-job              ``glue.jobs``                       glue.amazonaws.com          glue:GetJobs
sagemaker-notebook    ``sagemaker.notebook_instances``    sagemaker.amazonaws.com     sagemaker:ListNotebookInstances
codebuild-project     ``codebuild.projects``              codebuild.amazonaws.com     codebuild:ListProjects
cloudformation-stack  ``cloudformation.stacks``           cloudformation.amazonaws.com  cloudformation:DescribeStacks
ecs-task-definition   ``ecs.task_definitions``            ecs-tasks.amazonaws.com     ecs:ListTaskDefinitions
ecs-service           ``ecs.services``                    ecs-tasks.amazonaws.com     ecs:ListClusters, ListServices
state-machine         ``stepfunctions.state_machines``    states.amazonaws.com        states:ListStateMachines
====================  ==================================  ==========================  ===============================
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..sources import arns

INSTANCE, FUNCTION, DEV_ENDPOINT, GLUE_JOB = "ec2-instance", "lambda-function", "glue-dev-endpoint", "glue-job"
NOTEBOOK, CODEBUILD_PROJECT, STACK = "sagemaker-notebook", "codebuild-project", "cloudformation-stack"
TASK_DEFINITION, ECS_SERVICE, STATE_MACHINE = "ecs-task-definition", "ecs-service", "state-machine"

# Listing the regions comes first; when it fails, no regional inventory is complete.
REGIONS_CALL = "ec2:DescribeRegions"
# SSM's inventory of the nodes it manages (ssm:DescribeInstanceInformation), read beside the instances.
SSM_SECTION = ("ssm", "instance_information")
SSM_CALL = "ssm:DescribeInstanceInformation"


@dataclass(frozen=True)
class ComputeKind:
    kind: str
    section: tuple[str, str]  # (service key, list key) under the account
    service: str  # the service principal that runs it (its role's trust policy names it)
    calls: tuple[str, ...]  # the calls whose failure leaves the kind's inventory incomplete
    label: str  # what the plain-language notes call one ("Lambda function")
    name: Callable[[dict], str]
    arn: Callable[[dict, str, str], str]  # (item, region, account) -> ARN when the item does not carry one
    role: Callable[[dict], Any]  # the role key's value (a role name or ARN), or None


def _get(key: str) -> Callable[[dict], Any]:
    return lambda item: item.get(key)


def _task_definition_arn(item: dict, region: str, account: str) -> str:
    return arns.ecs_task_definition_arn(region, account, item.get("family") or "*", item.get("revision") or "*")


def _service_arn(item: dict, region: str, account: str) -> str:
    cluster = str(item.get("clusterArn") or "default").rsplit("/", 1)[-1]
    return arns.ecs_service_arn(region, account, cluster, item["serviceName"])


def _instance_profile(item: dict) -> Any:
    profile = item.get("IamInstanceProfile")
    return profile.get("Arn") if isinstance(profile, dict) else None


KINDS: tuple[ComputeKind, ...] = (
    ComputeKind(INSTANCE, ("ec2", "instances"), "ec2.amazonaws.com", ("ec2:DescribeInstances",), "EC2 instance",
                _get("InstanceId"), lambda i, r, a: arns.instance_arn(r, a, i["InstanceId"]), _instance_profile),
    ComputeKind(FUNCTION, ("lambda", "functions"), "lambda.amazonaws.com", ("lambda:ListFunctions",),
                "Lambda function", _get("FunctionName"),
                lambda i, r, a: arns.lambda_function_arn(r, a, i["FunctionName"]), _get("Role")),
    ComputeKind(DEV_ENDPOINT, ("glue", "dev_endpoints"), "glue.amazonaws.com", ("glue:GetDevEndpoints",),
                "Glue development endpoint", _get("EndpointName"),
                lambda i, r, a: arns.glue_dev_endpoint_arn(r, a, i["EndpointName"]), _get("RoleArn")),
    ComputeKind(GLUE_JOB, ("glue", "jobs"), "glue.amazonaws.com", ("glue:GetJobs",), "Glue job", _get("Name"),
                lambda i, r, a: arns.glue_job_arn(r, a, i["Name"]), _get("Role")),
    ComputeKind(NOTEBOOK, ("sagemaker", "notebook_instances"), "sagemaker.amazonaws.com",
                ("sagemaker:ListNotebookInstances",), "SageMaker notebook instance", _get("NotebookInstanceName"),
                lambda i, r, a: arns.sagemaker_notebook_arn(r, a, i["NotebookInstanceName"]), _get("RoleArn")),
    ComputeKind(CODEBUILD_PROJECT, ("codebuild", "projects"), "codebuild.amazonaws.com",
                ("codebuild:ListProjects", "codebuild:BatchGetProjects"), "CodeBuild project", _get("name"),
                lambda i, r, a: arns.codebuild_project_arn(r, a, i["name"]), _get("serviceRole")),
    ComputeKind(STACK, ("cloudformation", "stacks"), "cloudformation.amazonaws.com",
                ("cloudformation:DescribeStacks",), "CloudFormation stack", _get("StackName"),
                lambda i, r, a: arns.cloudformation_stack_arn(r, a, i["StackName"]), _get("RoleARN")),
    ComputeKind(TASK_DEFINITION, ("ecs", "task_definitions"), "ecs-tasks.amazonaws.com",
                ("ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition"), "ECS task definition",
                lambda i: i["taskDefinitionArn"].rsplit("/", 1)[-1], _task_definition_arn, _get("taskRoleArn")),
    ComputeKind(ECS_SERVICE, ("ecs", "services"), "ecs-tasks.amazonaws.com",
                ("ecs:ListClusters", "ecs:ListServices", "ecs:DescribeServices"), "ECS service",
                _get("serviceName"), _service_arn, lambda i: None),  # its task definition's role (load.py)
    ComputeKind(STATE_MACHINE, ("stepfunctions", "state_machines"), "states.amazonaws.com",
                ("states:ListStateMachines", "states:DescribeStateMachine"), "Step Functions state machine",
                lambda i: i.get("name") or i["stateMachineArn"].rsplit(":", 1)[-1],
                lambda i, r, a: arns.state_machine_arn(r, a, i.get("name") or i["stateMachineArn"].rsplit(":", 1)[-1]),
                _get("roleArn")),
)

BY_KIND = {k.kind: k for k in KINDS}
# The ARN key of each kind's items, where AWS returns one.
ARN_KEYS = {FUNCTION: "FunctionArn", NOTEBOOK: "NotebookInstanceArn", CODEBUILD_PROJECT: "arn", STACK: "StackId",
            TASK_DEFINITION: "taskDefinitionArn", ECS_SERVICE: "serviceArn", STATE_MACHINE: "stateMachineArn"}


def sections() -> list[tuple[tuple[str, str], Callable[[dict], Any], str]]:
    """Every section this module reads, with what identifies an item in it (with its ``Region``: names are
    unique per region) and the call whose failure leaves the section incomplete."""
    out = [(k.section, k.name, k.calls[0]) for k in KINDS]
    out.append((SSM_SECTION, lambda item: item.get("InstanceId"), SSM_CALL))
    return out


# An error value that says the section was never read rather than that a call failed (the overlay writes it
# for what the live snapshot did not collect).
NOT_COLLECTED = "Unknown: not collected in the live snapshot"


def reason(call: str, error: str) -> str:
    """Why an inventory is incomplete, from the error recorded for its call."""
    if error.startswith("Unknown: "):
        return f"{error.removeprefix('Unknown: ')} (`{call}`)"
    return f"`{call}` failed: {error}"


def failed(errors: dict, call: str) -> str | None:
    """The error recorded for ``call`` in an account's ``errors``, for the whole account (``"svc:Op"``) or one
    region (``"svc:Op@us-east-1"``): the first found, as ``"<error> (in <region>)"``; None when it did not fail."""
    for key, why in errors.items():
        if key == call:
            return str(why)
        if key.startswith(call + "@"):
            return f"{why} (in {key.split('@', 1)[1]})"
    return None
