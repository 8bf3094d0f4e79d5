"""The public catalogue of AWS privilege escalation techniques, as hand-built estates: one technique per case,
a user (the attacker) holding exactly that technique's permissions, and a bucket (``vault``) it can reach only
through the escalation. Each case also says how to make its negative twins (a permission missing, the wrong
resource, an explicit deny, a permissions boundary, a grant that expired before the snapshot, and where the
technique depends on the estate's state, the state that defeats it).

Sources of the catalogue: Rhino Security Labs, "AWS IAM Privilege Escalation - Methods and Mitigation"
(https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/, methods 1-21, and its later
SageMaker, CodeStar and Glue additions); Bishop Fox, iam-vulnerable (https://github.com/BishopFox/iam-vulnerable,
its 31 paths); each case cites the AWS page of the API that makes it work.

The same estate is written as one Terraform directory (``fixtures/escalation/terraform``, by
``fixtures/escalation/build.py``): every case's attacker, and every twin's, side by side over one set of
shared roles and compute.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

A = "111122223333"
R = "us-east-1"
VAULT = "acme-vault"
EXPIRED = {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}  # before every snapshot's taken_at
SERVICES = ["lambda.amazonaws.com", "ec2.amazonaws.com", "glue.amazonaws.com", "ecs-tasks.amazonaws.com",
            "cloudformation.amazonaws.com", "sagemaker.amazonaws.com", "datapipeline.amazonaws.com",
            "codebuild.amazonaws.com", "states.amazonaws.com"]


def iam(what: str) -> str:
    return f"arn:aws:iam::{A}:{what}"


def res(service: str, what: str, region: str = R) -> str:
    return f"arn:aws:{service}:{region}:{A}:{what}"


PRIVILEGED, DECOY = iam("role/privileged"), iam("role/decoy")
ROOT = iam("root")
V = "2012-10-17"


def doc(*statements: dict) -> dict:
    return {"Version": V, "Statement": list(statements)}


# ---- the shared estate: two roles any compute service can assume (one can read the vault, one nothing), compute
# running as each, two users and a group that can read the vault ----

def _compute(name: str, role: str) -> dict:
    """One of each kind of compute, running as ``role``."""
    profile = iam(f"instance-profile/{name}-profile")
    return {
        "ec2": {"instances": [{"InstanceId": f"i-{name}", "Region": R, "State": {"Name": "running"},
                               "IamInstanceProfile": {"Arn": profile}}]},
        "ssm": {"instance_information": [{"InstanceId": f"i-{name}", "Region": R, "PingStatus": "Online"}]},
        "lambda": {"functions": [{"FunctionName": f"{name}-fn", "FunctionArn": res("lambda", f"function:{name}-fn"),
                                  "Role": role, "Region": R}]},
        "glue": {"dev_endpoints": [{"EndpointName": f"{name}-dev", "RoleArn": role, "Region": R}], "jobs": []},
        "sagemaker": {"notebook_instances": [{"NotebookInstanceName": f"{name}-nb", "RoleArn": role, "Region": R,
                                              "NotebookInstanceArn": res("sagemaker", f"notebook-instance/{name}-nb")}]},
        "codebuild": {"projects": [{"name": f"{name}-build", "arn": res("codebuild", f"project/{name}-build"),
                                    "serviceRole": role, "Region": R}]},
        "cloudformation": {"stacks": [{"StackName": f"{name}-stack", "RoleARN": role, "Region": R,
                                       "StackId": res("cloudformation", f"stack/{name}-stack/1")}]},
        "ecs": {"task_definitions": [{"taskDefinitionArn": res("ecs", f"task-definition/{name}-task:1"),
                                      "family": f"{name}-task", "revision": 1, "taskRoleArn": role, "Region": R}],
                "services": [{"serviceName": f"{name}-svc", "serviceArn": res("ecs", f"service/main/{name}-svc"),
                              "clusterArn": res("ecs", "cluster/main"), "Region": R,
                              "taskDefinition": res("ecs", f"task-definition/{name}-task:1")}]},
        "stepfunctions": {"state_machines": [{"stateMachineArn": res("states", f"stateMachine:{name}-flow"),
                                              "name": f"{name}-flow", "roleArn": role, "Region": R}]},
    }


def _merge(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for service, sections in part.items():
            for key, items in sections.items():
                out.setdefault(service, {}).setdefault(key, []).extend(copy.deepcopy(items))
    return out


def _role(name: str, trust: dict, *statements: dict) -> dict:
    return {"RoleName": name, "Arn": iam(f"role/{name}"), "Path": "/", "AssumeRolePolicyDocument": doc(trust),
            "RolePolicyList": [{"PolicyName": "p0", "PolicyDocument": doc(*statements)}] if statements else [],
            "AttachedManagedPolicies": [],
            "InstanceProfileList": [{"Arn": iam(f"instance-profile/{name}-profile"),
                                     "InstanceProfileName": f"{name}-profile", "Path": "/"}]}


READ_VAULT = {"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{VAULT}", f"arn:aws:s3:::{VAULT}/*"]}
SERVICE_TRUST = {"Effect": "Allow", "Principal": {"Service": SERVICES}, "Action": "sts:AssumeRole"}
ACCOUNT_TRUST = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"}


def shared_iam() -> dict:
    """Roles, users, a group and managed policies every case shares."""
    roles = [_role("privileged", SERVICE_TRUST, READ_VAULT), _role("decoy", SERVICE_TRUST),
             _role("helper", ACCOUNT_TRUST)]  # helper: anyone the account lets assume it; it can do nothing
    users = [{"UserName": u, "Arn": iam(f"user/{u}"), "Path": "/", "GroupList": [],
              "UserPolicyList": [{"PolicyName": "read-vault", "PolicyDocument": doc(READ_VAULT)}] if u != "bystander"
              else [], "AttachedManagedPolicies": []} for u in ("admin", "operator", "bystander")]
    groups = [{"GroupName": "vault-readers", "Arn": iam("group/vault-readers"), "Path": "/",
               "GroupPolicyList": [{"PolicyName": "read-vault", "PolicyDocument": doc(READ_VAULT)}],
               "AttachedManagedPolicies": []},
              {"GroupName": "nobodies", "Arn": iam("group/nobodies"), "Path": "/", "GroupPolicyList": [],
               "AttachedManagedPolicies": []}]
    policies = [{"PolicyName": "no-s3", "Arn": iam("policy/no-s3"), "Path": "/", "DefaultVersionId": "v1",
                 "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(
                     {"Effect": "Allow", "Action": ["iam:*", "ec2:Describe*"], "Resource": "*"})}]},
                {"PolicyName": "list-only", "Arn": iam("policy/list-only"), "Path": "/", "DefaultVersionId": "v1",
                 "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(
                     {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})}]},
                # boundaries that let a user change its own policies, and (the first) take itself away
                {"PolicyName": "self-service", "Arn": iam("policy/self-service"), "Path": "/", "DefaultVersionId": "v1",
                 "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(
                     {"Effect": "Allow", "Action": ["iam:PutUserPolicy", "iam:DeleteUserPermissionsBoundary"],
                      "Resource": iam("user/${aws:username}")})}]},
                {"PolicyName": "self-service-no-escape", "Arn": iam("policy/self-service-no-escape"), "Path": "/",
                 "DefaultVersionId": "v1", "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True,
                                                                  "Document": doc(
                     {"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": iam("user/${aws:username}")})}]}]
    return {"UserDetailList": users, "RoleDetailList": roles, "GroupDetailList": groups, "Policies": policies}


SHARED_COMPUTE = _merge(_compute("privileged", PRIVILEGED), _compute("decoy", DECOY))
# admin has a console password, operator has none (the credential report)
CREDENTIAL_REPORT = [{"user": "admin", "arn": iam("user/admin"), "password_enabled": "true"},
                     {"user": "operator", "arn": iam("user/operator"), "password_enabled": "false"},
                     {"user": "bystander", "arn": iam("user/bystander"), "password_enabled": "false"}]


# ---- the cases ----

Grant = tuple[str, str]  # (action, resource)


@dataclass
class Case:
    name: str
    grants: list[Grant]  # what the attacker holds, one statement each
    technique: str  # the can-act-as edge's technique (or its prefix, for pass-role:SERVICE)
    target: str  # the edge's target
    wrong: list[Grant]  # the same technique aimed at the wrong resource
    source: str  # the AWS page of the API that makes it work
    decision: str = "allow"
    policy: dict | None = None  # a managed policy attached to the attacker, holding the grants (policy versions)
    boundary: str | None = None  # the attacker's permissions boundary in the positive case
    # estate changes that defeat the technique: twin name -> function(iam, compute, report, attacker) making them
    states: dict[str, Callable[[dict, dict, list], None]] = field(default_factory=dict)

    @property
    def user(self) -> str:
        return f"t-{self.name}"


def _pass(role: str = PRIVILEGED) -> Grant:
    return ("iam:PassRole", role)


ANY = "*"
# What the attacker creates, named as it likes (a grant on existing compute would be another technique)
NEW_TASK = res("ecs", "task-definition/attacker-*")
NEW_NOTEBOOK = res("sagemaker", "notebook-instance/attacker-*")
NEW_PROJECT = res("codebuild", "project/attacker-*")
NEW_STATE_MACHINE = res("states", "stateMachine:attacker-*")
NEW_FUNCTION = res("lambda", "function:attacker-*")


def _versions(name: str, default_grants: list[Grant], other: dict | None) -> dict:
    versions = [{"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(*[
        {"Effect": "Allow", "Action": a, "Resource": r} for a, r in default_grants])}]
    if other is not None:
        versions.append({"VersionId": "v2", "IsDefaultVersion": False, "Document": other})
    return {"PolicyName": name, "Arn": iam(f"policy/{name}"), "Path": "/", "DefaultVersionId": "v1",
            "PolicyVersionList": versions}


def _set_ssm(managed: bool) -> Callable:
    def change(iam_, compute, report, user):
        compute["ssm"]["instance_information"] = [x for x in compute["ssm"]["instance_information"]
                                                  if x["InstanceId"] != "i-privileged"] if not managed else []
    return change


def _no_stack_role(iam_, compute, report, user):
    for s in compute["cloudformation"]["stacks"]:
        s.pop("RoleARN", None)


def _password(who: str, enabled: str) -> Callable:
    def change(iam_, compute, report, user):
        for row in report:
            if row["user"] == who:
                row["password_enabled"] = enabled
    return change


def _version_grants_nothing_more(iam_, compute, report, user):
    """The other version of the attacker's policy allows no more than the default."""
    for p in iam_["Policies"]:
        if p["PolicyName"] == user:
            p["PolicyVersionList"][1]["Document"] = p["PolicyVersionList"][0]["Document"]


def _boundary(policy: str) -> Callable:
    def change(iam_, compute, report, user):
        for u in iam_["UserDetailList"]:
            if u["UserName"] == user:
                u["PermissionsBoundary"]["PermissionsBoundaryArn"] = iam(policy)
    return change


FUNCTION, OTHER_FUNCTION = res("lambda", "function:privileged-fn"), res("lambda", "function:decoy-fn")
INSTANCE, OTHER_INSTANCE = res("ec2", "instance/i-privileged"), res("ec2", "instance/i-decoy")

CASES: list[Case] = [
    # --- IAM: changing one's own permissions, or another principal's credentials or trust ---
    Case("iam-create-policy-version", [("iam:CreatePolicyVersion", iam("policy/t-iam-create-policy-version"))],
         "self-grant", ROOT, [("iam:CreatePolicyVersion", iam("policy/no-s3"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicyVersion.html", policy={}),
    Case("iam-set-default-policy-version",
         [("iam:SetDefaultPolicyVersion", iam("policy/t-iam-set-default-policy-version"))],
         "self-grant", ROOT, [("iam:SetDefaultPolicyVersion", iam("policy/no-s3"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_SetDefaultPolicyVersion.html",
         policy=doc(READ_VAULT), states={"no-better-version": _version_grants_nothing_more}),
    Case("iam-create-access-key", [("iam:CreateAccessKey", iam("user/admin"))], "credentials", iam("user/admin"),
         [("iam:CreateAccessKey", iam("user/bystander"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html"),
    Case("iam-create-login-profile", [("iam:CreateLoginProfile", iam("user/operator"))], "credentials",
         iam("user/operator"), [("iam:CreateLoginProfile", iam("user/bystander"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html",
         states={"has-password": _password("operator", "true")}),
    Case("iam-update-login-profile", [("iam:UpdateLoginProfile", iam("user/admin"))], "credentials",
         iam("user/admin"), [("iam:UpdateLoginProfile", iam("user/bystander"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateLoginProfile.html",
         states={"no-password": _password("admin", "false")}),
    Case("iam-attach-user-policy", [("iam:AttachUserPolicy", iam("user/t-iam-attach-user-policy"))], "self-grant",
         ROOT, [("iam:AttachUserPolicy", iam("user/bystander"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachUserPolicy.html"),
    Case("iam-put-user-policy", [("iam:PutUserPolicy", iam("user/t-iam-put-user-policy"))], "self-grant", ROOT,
         [("iam:PutUserPolicy", iam("user/bystander"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPolicy.html"),
    Case("iam-attach-group-policy", [("iam:AttachGroupPolicy", iam("group/t-iam-attach-group-policy"))],
         "self-grant", ROOT, [("iam:AttachGroupPolicy", iam("group/nobodies"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachGroupPolicy.html"),
    Case("iam-put-group-policy", [("iam:PutGroupPolicy", iam("group/t-iam-put-group-policy"))], "self-grant", ROOT,
         [("iam:PutGroupPolicy", iam("group/nobodies"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutGroupPolicy.html"),
    Case("iam-attach-role-policy", [("iam:AttachRolePolicy", iam("role/helper")), ("sts:AssumeRole", iam("role/helper"))],
         "modify-and-become:" + iam("role/helper"), ROOT,
         [("iam:AttachRolePolicy", DECOY), ("sts:AssumeRole", iam("role/helper"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachRolePolicy.html"),
    Case("iam-put-role-policy", [("iam:PutRolePolicy", iam("role/helper")), ("sts:AssumeRole", iam("role/helper"))],
         "modify-and-become:" + iam("role/helper"), ROOT,
         [("iam:PutRolePolicy", DECOY), ("sts:AssumeRole", iam("role/helper"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html"),
    Case("iam-add-user-to-group", [("iam:AddUserToGroup", iam("group/vault-readers"))], "join-group",
         iam("group/vault-readers"), [("iam:AddUserToGroup", iam("group/nobodies"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddUserToGroup.html"),
    Case("iam-update-assume-role-policy", [("iam:UpdateAssumeRolePolicy", PRIVILEGED)], "trust-policy", PRIVILEGED,
         [("iam:UpdateAssumeRolePolicy", DECOY)],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html"),
    # Under a boundary that lets it take the boundary away: a policy it gives itself, then no boundary
    Case("iam-delete-own-boundary", [("iam:PutUserPolicy", iam("user/t-iam-delete-own-boundary"))], "self-grant",
         ROOT, [("iam:PutUserPolicy", iam("user/bystander"))],
         "https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUserPermissionsBoundary.html",
         boundary=iam("policy/self-service"), states={"boundary-kept": _boundary("policy/self-service-no-escape")}),
    # --- passing a role to new compute ---
    Case("lambda-create-invoke", [_pass(), ("lambda:CreateFunction", ANY), ("lambda:InvokeFunction", NEW_FUNCTION)],
         "pass-role:lambda.amazonaws.com", PRIVILEGED,
         [_pass(DECOY), ("lambda:CreateFunction", ANY), ("lambda:InvokeFunction", NEW_FUNCTION)],
         "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html"),
    Case("lambda-create-event-source",
         [_pass(), ("lambda:CreateFunction", ANY), ("lambda:CreateEventSourceMapping", ANY)],
         "pass-role:lambda.amazonaws.com", PRIVILEGED,
         [_pass(DECOY), ("lambda:CreateFunction", ANY), ("lambda:CreateEventSourceMapping", ANY)],
         "https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html"),
    Case("ec2-run-instances", [_pass(), ("ec2:RunInstances", ANY)], "pass-role:ec2.amazonaws.com", PRIVILEGED,
         [_pass(DECOY), ("ec2:RunInstances", ANY)],
         "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html"),
    Case("ec2-associate-instance-profile", [_pass(), ("ec2:AssociateIamInstanceProfile", ANY)],
         "pass-role:ec2.amazonaws.com", PRIVILEGED, [_pass(DECOY), ("ec2:AssociateIamInstanceProfile", ANY)],
         "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateIamInstanceProfile.html"),
    Case("ec2-replace-instance-profile", [_pass(), ("ec2:ReplaceIamInstanceProfileAssociation", ANY)],
         "pass-role:ec2.amazonaws.com", PRIVILEGED,
         [_pass(DECOY), ("ec2:ReplaceIamInstanceProfileAssociation", ANY)],
         "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceIamInstanceProfileAssociation.html"),
    Case("glue-create-dev-endpoint", [_pass(), ("glue:CreateDevEndpoint", ANY)], "pass-role:glue.amazonaws.com",
         PRIVILEGED, [_pass(DECOY), ("glue:CreateDevEndpoint", ANY)],
         "https://docs.aws.amazon.com/glue/latest/webapi/API_CreateDevEndpoint.html"),
    Case("glue-create-job", [_pass(), ("glue:CreateJob", ANY), ("glue:StartJobRun", ANY)],
         "pass-role:glue.amazonaws.com", PRIVILEGED, [_pass(DECOY), ("glue:CreateJob", ANY), ("glue:StartJobRun", ANY)],
         "https://docs.aws.amazon.com/glue/latest/webapi/API_CreateJob.html"),
    Case("cloudformation-create-stack", [_pass(), ("cloudformation:CreateStack", ANY)],
         "pass-role:cloudformation.amazonaws.com", PRIVILEGED, [_pass(DECOY), ("cloudformation:CreateStack", ANY)],
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html"),
    Case("datapipeline-create-pipeline",
         [_pass(), ("datapipeline:CreatePipeline", ANY), ("datapipeline:PutPipelineDefinition", ANY),
          ("datapipeline:ActivatePipeline", ANY)], "pass-role:datapipeline.amazonaws.com", PRIVILEGED,
         [_pass(DECOY), ("datapipeline:CreatePipeline", ANY), ("datapipeline:PutPipelineDefinition", ANY),
          ("datapipeline:ActivatePipeline", ANY)],
         "https://docs.aws.amazon.com/datapipeline/latest/DeveloperGuide/dp-iam-roles.html"),
    Case("ecs-register-run-task", [_pass(), ("ecs:RegisterTaskDefinition", ANY), ("ecs:RunTask", NEW_TASK)],
         "pass-role:ecs-tasks.amazonaws.com", PRIVILEGED,
         [_pass(DECOY), ("ecs:RegisterTaskDefinition", ANY), ("ecs:RunTask", NEW_TASK)],
         "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html"),
    Case("sagemaker-create-notebook",
         [_pass(), ("sagemaker:CreateNotebookInstance", ANY), ("sagemaker:CreatePresignedNotebookInstanceUrl", NEW_NOTEBOOK)],
         "pass-role:sagemaker.amazonaws.com", PRIVILEGED,
         [_pass(DECOY), ("sagemaker:CreateNotebookInstance", ANY),
          ("sagemaker:CreatePresignedNotebookInstanceUrl", NEW_NOTEBOOK)],
         "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateNotebookInstance.html"),
    Case("sagemaker-create-training-job", [_pass(), ("sagemaker:CreateTrainingJob", ANY)],
         "pass-role:sagemaker.amazonaws.com", PRIVILEGED, [_pass(DECOY), ("sagemaker:CreateTrainingJob", ANY)],
         "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html"),
    Case("sagemaker-create-processing-job", [_pass(), ("sagemaker:CreateProcessingJob", ANY)],
         "pass-role:sagemaker.amazonaws.com", PRIVILEGED, [_pass(DECOY), ("sagemaker:CreateProcessingJob", ANY)],
         "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateProcessingJob.html"),
    Case("codebuild-create-project", [_pass(), ("codebuild:CreateProject", ANY), ("codebuild:StartBuild", NEW_PROJECT)],
         "pass-role:codebuild.amazonaws.com", PRIVILEGED,
         [_pass(DECOY), ("codebuild:CreateProject", ANY), ("codebuild:StartBuild", NEW_PROJECT)],
         "https://docs.aws.amazon.com/codebuild/latest/APIReference/API_CreateProject.html"),
    Case("states-create-state-machine",
         [_pass(), ("states:CreateStateMachine", ANY), ("states:StartExecution", NEW_STATE_MACHINE)],
         "pass-role:states.amazonaws.com", PRIVILEGED,
         [_pass(DECOY), ("states:CreateStateMachine", ANY), ("states:StartExecution", NEW_STATE_MACHINE)],
         "https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html"),
    # --- acting through compute that already runs as the role (no iam:PassRole) ---
    Case("lambda-update-function-code", [("lambda:UpdateFunctionCode", FUNCTION)], "lambda-update-code", PRIVILEGED,
         [("lambda:UpdateFunctionCode", OTHER_FUNCTION)],
         "https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html"),
    Case("lambda-update-function-configuration", [("lambda:UpdateFunctionConfiguration", FUNCTION)],
         "lambda-update-configuration", PRIVILEGED, [("lambda:UpdateFunctionConfiguration", OTHER_FUNCTION)],
         "https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html"),
    Case("glue-update-dev-endpoint", [("glue:UpdateDevEndpoint", res("glue", "devEndpoint/privileged-dev"))],
         "glue-update-dev-endpoint", PRIVILEGED, [("glue:UpdateDevEndpoint", res("glue", "devEndpoint/decoy-dev"))],
         "https://docs.aws.amazon.com/glue/latest/webapi/API_UpdateDevEndpoint.html"),
    Case("cloudformation-update-stack", [("cloudformation:UpdateStack", res("cloudformation", "stack/privileged-stack/*"))],
         "cloudformation-update-stack", PRIVILEGED,
         [("cloudformation:UpdateStack", res("cloudformation", "stack/decoy-stack/*"))],
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html",
         states={"no-service-role": _no_stack_role}),
    Case("cloudformation-change-set",
         [("cloudformation:CreateChangeSet", res("cloudformation", "stack/privileged-stack/*")),
          ("cloudformation:ExecuteChangeSet", res("cloudformation", "stack/privileged-stack/*"))],
         "cloudformation-update-stack", PRIVILEGED,
         [("cloudformation:CreateChangeSet", res("cloudformation", "stack/decoy-stack/*")),
          ("cloudformation:ExecuteChangeSet", res("cloudformation", "stack/decoy-stack/*"))],
         "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html",
         states={"no-service-role": _no_stack_role}),
    Case("codebuild-start-build", [("codebuild:StartBuild", res("codebuild", "project/privileged-build"))],
         "codebuild-start-build", PRIVILEGED, [("codebuild:StartBuild", res("codebuild", "project/decoy-build"))],
         "https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html"),
    Case("sagemaker-presigned-url",
         [("sagemaker:CreatePresignedNotebookInstanceUrl", res("sagemaker", "notebook-instance/privileged-nb"))],
         "sagemaker-presigned-url", PRIVILEGED,
         [("sagemaker:CreatePresignedNotebookInstanceUrl", res("sagemaker", "notebook-instance/decoy-nb"))],
         "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreatePresignedNotebookInstanceUrl.html"),
    Case("ssm-send-command", [("ssm:SendCommand", INSTANCE), ("ssm:SendCommand", f"arn:aws:ssm:{R}::document/*")],
         "ssm-send-command", PRIVILEGED,
         [("ssm:SendCommand", OTHER_INSTANCE), ("ssm:SendCommand", f"arn:aws:ssm:{R}::document/*")],
         "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html",
         states={"not-managed": _set_ssm(False)}),
    Case("ssm-start-session", [("ssm:StartSession", INSTANCE)], "ssm-start-session", PRIVILEGED,
         [("ssm:StartSession", OTHER_INSTANCE)],
         "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_StartSession.html",
         states={"not-managed": _set_ssm(False)}),
    Case("ec2-instance-connect", [("ec2-instance-connect:SendSSHPublicKey", INSTANCE)], "ec2-instance-connect",
         PRIVILEGED, [("ec2-instance-connect:SendSSHPublicKey", OTHER_INSTANCE)],
         "https://docs.aws.amazon.com/ec2-instance-connect/latest/APIReference/API_SendSSHPublicKey.html",
         decision="conditional"),
    Case("ec2-user-data", [("ec2:ModifyInstanceAttribute", INSTANCE), ("ec2:StopInstances", INSTANCE),
                           ("ec2:StartInstances", INSTANCE)], "ec2-user-data", PRIVILEGED,
         [("ec2:ModifyInstanceAttribute", OTHER_INSTANCE), ("ec2:StopInstances", OTHER_INSTANCE),
          ("ec2:StartInstances", OTHER_INSTANCE)],
         "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html"),
    Case("ecs-run-task", [("ecs:RunTask", res("ecs", "task-definition/privileged-task:*"))], "ecs-run-task",
         PRIVILEGED, [("ecs:RunTask", res("ecs", "task-definition/decoy-task:*"))],
         "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html"),
    Case("ecs-execute-command", [("ecs:UpdateService", res("ecs", "service/main/privileged-svc")),
                                 ("ecs:ExecuteCommand", res("ecs", "task/main/*"))], "ecs-execute-command",
         PRIVILEGED, [("ecs:UpdateService", res("ecs", "service/main/decoy-svc")),
                      ("ecs:ExecuteCommand", res("ecs", "task/main/*"))],
         "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html"),
    Case("states-update-state-machine",
         [("states:UpdateStateMachine", res("states", "stateMachine:privileged-flow")),
          ("states:StartExecution", res("states", "stateMachine:privileged-flow"))],
         "states-update-state-machine", PRIVILEGED,
         [("states:UpdateStateMachine", res("states", "stateMachine:decoy-flow")),
          ("states:StartExecution", res("states", "stateMachine:decoy-flow"))],
         "https://docs.aws.amazon.com/step-functions/latest/apireference/API_UpdateStateMachine.html"),
]
BY_NAME = {c.name: c for c in CASES}
# Twins every case has; "missing-<i>" drops grant i, "state-<name>" applies the case's state change.
COMMON_TWINS = ("wrong-resource", "deny", "boundary", "expired")


def twins(case: Case) -> list[str]:
    out = [f"missing-{i}" for i in range(len(case.grants))] + list(COMMON_TWINS)
    return out + [f"state-{name}" for name in case.states]


def _statements(grants: list[Grant], condition: dict | None = None) -> list[dict]:
    out = []
    for a, r in grants:
        s = {"Effect": "Allow", "Action": a, "Resource": r}
        if condition:
            s["Condition"] = condition
        out.append(s)
    return out


@dataclass
class Attacker:
    """One attacker of a case (``twin`` None) or of one of its negative twins."""

    case: Case
    twin: str | None = None

    @property
    def user(self) -> str:
        return self.case.user if self.twin is None else f"n-{self.case.name}--{self.twin}"

    def grants(self) -> list[Grant]:
        c, t = self.case, self.twin
        if t is not None and t.startswith("missing-"):
            i = int(t.split("-")[1])
            return [g for j, g in enumerate(c.grants) if j != i]
        if t == "wrong-resource":
            return [self._own(g) for g in c.wrong]
        return [self._own(g) for g in c.grants]

    def _own(self, g: Grant) -> Grant:
        """A grant naming the case's own user, group or policy names this attacker's."""
        a, r = g
        for kind in ("user", "group", "policy"):
            if r == iam(f"{kind}/{self.case.user}"):
                return a, iam(f"{kind}/{self.user}")
        return g

    def statements(self) -> list[dict]:
        out = _statements(self.grants(), EXPIRED if self.twin == "expired" else None)
        if self.twin == "deny":
            a, r = self._own(self.case.grants[-1])
            out.append({"Effect": "Deny", "Action": a, "Resource": r})
        return out

    def boundary(self) -> str | None:
        return iam("policy/list-only") if self.twin == "boundary" else self.case.boundary

    def user_entry(self) -> dict:
        """The attacker's UserDetailList entry (its grants inline, or in its own managed policy)."""
        c = self.case
        u = {"UserName": self.user, "Arn": iam(f"user/{self.user}"), "Path": "/", "GroupList": [],
             "UserPolicyList": [], "AttachedManagedPolicies": []}
        if c.policy is None:
            u["UserPolicyList"] = [{"PolicyName": "technique", "PolicyDocument": doc(*self.statements())}]
        else:
            u["AttachedManagedPolicies"] = [{"PolicyName": self.user, "PolicyArn": iam(f"policy/{self.user}")}]
        if c.technique in ("self-grant",) and any(r.startswith(iam("group/")) for _, r in c.grants):
            u["GroupList"] = [self.user]  # its own group, which it changes
        boundary = self.boundary()
        if boundary:
            u["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
        return u

    def extras(self) -> tuple[list[dict], list[dict]]:
        """The attacker's own groups and managed policies."""
        c = self.case
        groups = [{"GroupName": self.user, "Arn": iam(f"group/{self.user}"), "Path": "/", "GroupPolicyList": [],
                   "AttachedManagedPolicies": []}] if any(r.startswith(iam("group/")) and c.technique == "self-grant"
                                                         for _, r in c.grants) else []
        policies = []
        if c.policy is not None:
            p = _versions(self.user, [], c.policy or None)
            p["PolicyVersionList"][0]["Document"] = doc(*self.statements())
            policies.append(p)
        return groups, policies


def attackers(with_twins: bool = True, with_states: bool = False) -> list[Attacker]:
    out = []
    for c in CASES:
        out.append(Attacker(c))
        if with_twins:
            out += [Attacker(c, t) for t in twins(c) if with_states or not t.startswith("state-")]
    return out


def snapshot_document(who: list[Attacker]) -> dict:
    """The estate with these attackers, as a format-v1 document; an attacker of a ``state-`` twin changes the
    shared estate as its case says (so it goes in an estate of its own)."""
    iam_ = shared_iam()
    compute = copy.deepcopy(SHARED_COMPUTE)
    report = copy.deepcopy(CREDENTIAL_REPORT)
    for x in who:
        iam_["UserDetailList"].append(x.user_entry())
        groups, policies = x.extras()
        iam_["GroupDetailList"] += groups
        iam_["Policies"] += policies
        report.append({"user": x.user, "arn": iam(f"user/{x.user}"), "password_enabled": "false"})
    for x in who:
        if x.twin is not None and x.twin.startswith("state-"):
            x.case.states[x.twin[len("state-"):]](iam_, compute, report, x.user)
    account = {"id": A, "name": "escalation-catalogue", "iam": iam_, "regions": [R], "credential_report": report,
               "s3": {"public_access_block": None, "buckets": [{"Name": VAULT, "Region": R, "Tags": {}, "OwnershipControls": {
                   "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}]}, **compute}
    return {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z", "source": {"kind": "manual"},
            "accounts": [account]}
