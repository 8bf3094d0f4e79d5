"""CloudFormation's compute that runs as a role (docs/snapshot-format.md, "Compute"): EC2 instances and instance
profiles, Lambda functions (and SAM's), Glue dev endpoints and jobs, SageMaker notebook instances, CodeBuild
projects, ECS task definitions and services, Step Functions state machines (and SAM's). Each maps to the item its
AWS API lists, in AWS's shape; ARNs AWS derives from a name are computed (``arns.py``), ids AWS draws stand as
placeholders. A nested ``AWS::CloudFormation::Stack`` runs with its parent's role, so it is not mapped.

Resource references: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html
(``AWS::EC2::Instance``, ``AWS::IAM::InstanceProfile``, ``AWS::Lambda::Function``, ``AWS::Glue::DevEndpoint``,
``AWS::Glue::Job``, ``AWS::SageMaker::NotebookInstance``, ``AWS::CodeBuild::Project``, ``AWS::ECS::TaskDefinition``,
``AWS::ECS::Service``, ``AWS::StepFunctions::StateMachine``) and SAM's ``AWS::Serverless::Function`` and
``AWS::Serverless::StateMachine``.
"""
from __future__ import annotations

from typing import Any

from ... import arns
from ...values import PDict, Unknown
from ..registry import NAME_PROPERTY, REF_ATTRIBUTE, Mapper, Named, attributes, maps

NAME_PROPERTY.update({
    "AWS::IAM::InstanceProfile": "InstanceProfileName", "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::Function": "FunctionName", "AWS::Glue::DevEndpoint": "EndpointName", "AWS::Glue::Job": "Name",
    "AWS::SageMaker::NotebookInstance": "NotebookInstanceName", "AWS::CodeBuild::Project": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName", "AWS::Serverless::StateMachine": "Name",
    "AWS::ECS::Service": "ServiceName",
})
# Ref of a state machine is its ARN (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html)
REF_ATTRIBUTE.update({"AWS::StepFunctions::StateMachine": "Arn", "AWS::Serverless::StateMachine": "Arn"})

# The ARNs ``Fn::GetAtt`` gives of functions, state machines and CodeBuild projects are derived in services.py,
# with those of the other services that policies name.


@attributes("AWS::IAM::InstanceProfile")
def _instance_profile_attribute(t: Any, r: Named, attr: str) -> Any:
    return arns.instance_profile_arn(t.account_id, r.path, r.name) if attr == "Arn" else None


def _role(m: Mapper, logical: str, p: PDict, prop: str, generated: bool = False) -> Any:
    """A role property as written (an ARN, or for some services a name); SAM's generated role when it makes one."""
    v = p.get(prop)
    if (v is None or v == "") and generated and f"{logical}Role" in m.t.resources:
        return m.t.getatt(f"{logical}Role", "Arn")
    return v if isinstance(v, (str, Unknown)) and v != "" else None


def _item(m: Mapper, logical: str, section: tuple[str, str], key: str, entry: dict) -> None:
    m.b.regional_item(section, key, entry, m.t.region, m.t.loc_of(logical))


@maps("AWS::IAM::InstanceProfile", stage=2)
def iam_instance_profile(m: Mapper, logical: str, p: PDict) -> None:
    name = m.t.name(logical)
    roles = p.get("Roles")
    if isinstance(roles, Unknown):
        m.b.unplaced(logical, f"the roles of `{logical}` are not known ({roles.reason})")
        roles = []
    names = []
    for r in roles or []:
        if isinstance(r, str) and r:
            names.append(r.rsplit("/", 1)[-1])
            m.b.mention("role", names[-1])
        else:
            m.b.unplaced(logical, f"a role of `{logical}` is not known")
    path = p.get("Path") if isinstance(p.get("Path"), str) else "/"
    m.b.instance_profile(m.t.getatt(logical, "Arn"), name, path, names, m.t.loc_of(logical))


@maps("AWS::EC2::Instance")
def ec2_instance(m: Mapper, logical: str, p: PDict) -> None:
    profile = p.get("IamInstanceProfile")  # an instance profile's name
    if isinstance(profile, str) and profile and not profile.startswith("arn:"):
        profile = arns.instance_profile_arn(m.b.account_id, "/", profile)
    entry: dict[str, Any] = {"InstanceId": f"<{logical}>", "State": {"Name": "running"}}
    if profile:
        entry["IamInstanceProfile"] = {"Arn": profile}
    _item(m, logical, ("ec2", "instances"), "InstanceId", entry)


@maps("AWS::Lambda::Function", "AWS::Serverless::Function")
def lambda_function(m: Mapper, logical: str, p: PDict) -> None:
    _item(m, logical, ("lambda", "functions"), "FunctionName", {
        "FunctionName": m.t.name(logical), "FunctionArn": m.t.getatt(logical, "Arn"),
        "Role": _role(m, logical, p, "Role", generated=True)})


@maps("AWS::Glue::DevEndpoint")
def glue_dev_endpoint(m: Mapper, logical: str, p: PDict) -> None:
    _item(m, logical, ("glue", "dev_endpoints"), "EndpointName",
          {"EndpointName": m.t.name(logical), "RoleArn": _role(m, logical, p, "RoleArn")})


@maps("AWS::Glue::Job")
def glue_job(m: Mapper, logical: str, p: PDict) -> None:
    _item(m, logical, ("glue", "jobs"), "Name", {"Name": m.t.name(logical), "Role": _role(m, logical, p, "Role")})


@maps("AWS::SageMaker::NotebookInstance")
def sagemaker_notebook_instance(m: Mapper, logical: str, p: PDict) -> None:
    _item(m, logical, ("sagemaker", "notebook_instances"), "NotebookInstanceName",
          {"NotebookInstanceName": m.t.name(logical), "RoleArn": _role(m, logical, p, "RoleArn")})


@maps("AWS::CodeBuild::Project")
def codebuild_project(m: Mapper, logical: str, p: PDict) -> None:
    _item(m, logical, ("codebuild", "projects"), "name", {
        "name": m.t.name(logical), "arn": m.t.getatt(logical, "Arn"), "serviceRole": _role(m, logical, p, "ServiceRole")})


@maps("AWS::ECS::TaskDefinition")
def ecs_task_definition(m: Mapper, logical: str, p: PDict) -> None:
    family = p.get("Family")
    if not isinstance(family, str) or not family:
        family = f"<{logical}>"  # CloudFormation names the family after the stack and the resource
    arn = (arns.ecs_task_definition_arn(m.t.region, m.b.account_id, family) if isinstance(m.t.region, str)
           else f"<{logical}>")
    _item(m, logical, ("ecs", "task_definitions"), "taskDefinitionArn",
          {"taskDefinitionArn": arn, "family": family, "taskRoleArn": _role(m, logical, p, "TaskRoleArn")})


@maps("AWS::ECS::Service")
def ecs_service(m: Mapper, logical: str, p: PDict) -> None:
    td = p.get("TaskDefinition")
    if isinstance(td, Unknown):  # Ref of a task definition of this template: its ARN, revision drawn at deploy
        ref = _referenced(m, logical, "TaskDefinition", "AWS::ECS::TaskDefinition")
        if ref is not None and isinstance(m.t.region, str):
            family = m.t.prop(ref, "Family")
            td = arns.ecs_task_definition_arn(m.t.region, m.b.account_id, family if isinstance(family, str) and family
                                              else f"<{ref}>")
    cluster = p.get("Cluster") or "default"
    if isinstance(cluster, str) and not cluster.startswith("arn:") and isinstance(m.t.region, str):
        cluster = arns.ecs_cluster_arn(m.t.region, m.b.account_id, cluster)
    _item(m, logical, ("ecs", "services"), "serviceName", {
        "serviceName": m.t.name(logical), "clusterArn": cluster, "taskDefinition": td,
        "enableExecuteCommand": p.get("EnableExecuteCommand") is True})


def _referenced(m: Mapper, logical: str, prop: str, rtype: str) -> str | None:
    """The logical id a property names with ``Ref`` (as written, before resolving), when of type ``rtype``."""
    raw = (m.t.resources[logical].get("Properties") or {}).get(prop)
    target = raw.get("Ref") if isinstance(raw, dict) else None
    return target if isinstance(target, str) and target in m.t.resources and m.t.type_of(target) == rtype else None


@maps("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine")
def state_machine(m: Mapper, logical: str, p: PDict) -> None:
    name = m.t.name(logical)
    arn = m.t.getatt(logical, "Arn")
    _item(m, logical, ("stepfunctions", "state_machines"), "stateMachineArn", {
        "stateMachineArn": arn if isinstance(arn, str) else f"<{logical}>", "name": name,
        "roleArn": _role(m, logical, p, "RoleArn" if "RoleArn" in p else "Role", generated=True)})
