"""Terraform's compute that runs as a role (docs/snapshot-format.md, "Compute"): EC2 instances and instance
profiles, Lambda functions, Glue dev endpoints and jobs, SageMaker notebook instances, CodeBuild projects,
CloudFormation stacks, ECS task definitions and services, Step Functions state machines. Each maps to the item
its AWS API lists, in AWS's shape; ARNs AWS derives from a name are computed (``arns.py``), ids AWS draws at
creation (an instance's, a stack's) stand as placeholders.

Provider documentation of the arguments read: https://registry.terraform.io/providers/hashicorp/aws/latest/docs
(resources ``instance``, ``iam_instance_profile``, ``lambda_function``, ``glue_dev_endpoint``, ``glue_job``,
``sagemaker_notebook_instance``, ``codebuild_project``, ``cloudformation_stack``, ``ecs_task_definition``,
``ecs_service``, ``sfn_state_machine``).
"""
from __future__ import annotations

from typing import Any

from ... import arns
from ...values import Unknown
from ..registry import Instance, Mapper, computes, maps
from ..resource import Res, fill, placeholder


def _name(obj: dict, key: str, at: Instance) -> tuple[str, str | None]:
    """The resource's name, or a placeholder and why when it is chosen at apply time."""
    name = obj.get(key)
    if isinstance(name, str) and name:
        return name, None
    why = f"the name is unknown ({name.reason})" if isinstance(name, Unknown) else "the name is generated at apply time"
    obj[key] = placeholder(at.address)
    return obj[key], why


def _computes_arn(rtype: str, name_key: str, arn_of) -> None:
    """Register the ARN of ``rtype`` as computed from its name, account and region."""
    @computes(rtype)
    def _(obj: dict, at: Instance) -> str | None:
        name, why = _name(obj, name_key, at)
        if isinstance(at.region, str):
            fill(obj, "arn", arn_of(at.region, at.account_id, name))
        return why


_computes_arn("aws_lambda_function", "function_name", arns.lambda_function_arn)
_computes_arn("aws_glue_dev_endpoint", "name", arns.glue_dev_endpoint_arn)
_computes_arn("aws_glue_job", "name", arns.glue_job_arn)
_computes_arn("aws_sagemaker_notebook_instance", "name", arns.sagemaker_notebook_arn)
_computes_arn("aws_codebuild_project", "name", arns.codebuild_project_arn)
_computes_arn("aws_sfn_state_machine", "name", arns.state_machine_arn)


@computes("aws_iam_instance_profile")
def _instance_profile_computed(obj: dict, at: Instance) -> str | None:
    name, why = _name(obj, "name", at)
    path = obj.get("path") if isinstance(obj.get("path"), str) else "/"
    fill(obj, "arn", arns.instance_profile_arn(at.account_id, path, name))
    fill(obj, "id", name)
    return why


@computes("aws_instance")
def _instance_computed(obj: dict, at: Instance) -> str | None:
    # AWS draws the instance id at launch: a placeholder stands for it, in its id and its ARN alike
    fill(obj, "id", placeholder(at.address))
    if isinstance(at.region, str):
        fill(obj, "arn", arns.instance_arn(at.region, at.account_id, placeholder(at.address)))
    return None


@computes("aws_ecs_task_definition")
def _task_definition_computed(obj: dict, at: Instance) -> str | None:
    # The revision is drawn at registration: the ARN without it is known, the ARN names any revision.
    family = obj.get("family")
    if isinstance(family, str) and family and isinstance(at.region, str):
        fill(obj, "arn_without_revision", arns.ecs_task_family_arn(at.region, at.account_id, family))
        fill(obj, "arn", arns.ecs_task_definition_arn(at.region, at.account_id, family))
    return None


def _region(m: Mapper, r: Res) -> Any:
    region = r.values.get("region")  # provider v6 lets a resource choose its region
    return region if isinstance(region, str) and region else m.region


def _role(v: Any) -> Any:
    """A role argument as written (an ARN, or for some services a name); None when not set."""
    return v if isinstance(v, (str, Unknown)) and v != "" else None


@maps("aws_iam_instance_profile")
def aws_iam_instance_profile(m: Mapper, r: Res) -> None:
    v = r.values
    role = v.get("role")
    if isinstance(role, Unknown):
        m.b.unplaced(r.address, f"the role of `{r.address}` is not known ({role.reason})")
        return
    if isinstance(role, str) and role:
        role = role.rsplit("/", 1)[-1]
        m.b.mention("role", role)
    path = v.get("path") if isinstance(v.get("path"), str) else "/"
    m.b.instance_profile(v["arn"], v["name"], path, [role] if isinstance(role, str) and role else [], r.loc)


@maps("aws_instance")
def aws_instance(m: Mapper, r: Res) -> None:
    v = r.values
    profile = v.get("iam_instance_profile")
    if isinstance(profile, str) and profile and not profile.startswith("arn:"):
        profile = arns.instance_profile_arn(m.b.account_id, "/", profile)
    entry: dict[str, Any] = {"InstanceId": v.get("id") if isinstance(v.get("id"), str) else placeholder(r.address),
                             "State": {"Name": "running"}}
    if profile:
        entry["IamInstanceProfile"] = {"Arn": profile}
    m.b.regional_item(("ec2", "instances"), "InstanceId", entry, _region(m, r), r.loc)


# Types that map argument by argument: type -> (section, identifying key, {AWS key: argument}); an argument that
# names a role is read as a role (an ARN, or for some services a name).
_BY_ARGUMENT = {
    "aws_lambda_function": (("lambda", "functions"), "FunctionName",
                            {"FunctionName": "function_name", "FunctionArn": "arn", "Role": "role"}),
    "aws_glue_dev_endpoint": (("glue", "dev_endpoints"), "EndpointName", {"EndpointName": "name", "RoleArn": "role_arn"}),
    "aws_glue_job": (("glue", "jobs"), "Name", {"Name": "name", "Role": "role_arn"}),
    "aws_sagemaker_notebook_instance": (("sagemaker", "notebook_instances"), "NotebookInstanceName",
                                        {"NotebookInstanceName": "name", "NotebookInstanceArn": "arn",
                                         "RoleArn": "role_arn"}),
    "aws_codebuild_project": (("codebuild", "projects"), "name",
                              {"name": "name", "arn": "arn", "serviceRole": "service_role"}),
}
_ROLE_KEYS = {"Role", "RoleArn", "serviceRole"}


@maps(*_BY_ARGUMENT)
def compute_by_argument(m: Mapper, r: Res) -> None:
    section, key, fields = _BY_ARGUMENT[r.type]
    entry = {aws: (_role(r.values.get(arg)) if aws in _ROLE_KEYS else r.values.get(arg)) for aws, arg in fields.items()}
    m.b.regional_item(section, key, entry, _region(m, r), r.loc)


@maps("aws_cloudformation_stack")
def aws_cloudformation_stack(m: Mapper, r: Res) -> None:
    v = r.values
    name = v.get("name") if isinstance(v.get("name"), str) else placeholder(r.address)
    m.b.regional_item(("cloudformation", "stacks"), "StackName",
                      {"StackName": name, "RoleARN": _role(v.get("iam_role_arn"))}, _region(m, r), r.loc)


@maps("aws_ecs_task_definition")
def aws_ecs_task_definition(m: Mapper, r: Res) -> None:
    v = r.values
    arn = v.get("arn") if isinstance(v.get("arn"), str) else placeholder(r.address)
    m.b.regional_item(("ecs", "task_definitions"), "taskDefinitionArn",
                      {"taskDefinitionArn": arn, "family": v.get("family"), "taskRoleArn": _role(v.get("task_role_arn"))},
                      _region(m, r), r.loc)


@maps("aws_ecs_service")
def aws_ecs_service(m: Mapper, r: Res) -> None:
    v = r.values
    region = _region(m, r)
    cluster = v.get("cluster")
    if isinstance(cluster, str) and cluster and not cluster.startswith("arn:") and isinstance(region, str):
        cluster = arns.ecs_cluster_arn(region, m.b.account_id, cluster)
    m.b.regional_item(("ecs", "services"), "serviceName",
                      {"serviceName": v.get("name") or placeholder(r.address), "clusterArn": cluster,
                       "taskDefinition": v.get("task_definition"),
                       "enableExecuteCommand": bool(v.get("enable_execute_command"))}, region, r.loc)


@maps("aws_sfn_state_machine")
def aws_sfn_state_machine(m: Mapper, r: Res) -> None:
    v = r.values
    arn = v.get("arn") if isinstance(v.get("arn"), str) else placeholder(r.address)
    m.b.regional_item(("stepfunctions", "state_machines"), "stateMachineArn",
                      {"stateMachineArn": arn, "name": v["name"], "roleArn": _role(v.get("role_arn"))},
                      _region(m, r), r.loc)


@maps("aws_iam_user_login_profile")
def aws_iam_user_login_profile(m: Mapper, r: Res) -> None:
    user = m.name(r, "user", "user")
    if user is not None:
        m.b.mention("user", user)
        m.b.password(user, True)
