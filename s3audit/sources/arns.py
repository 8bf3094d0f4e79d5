"""ARNs and names AWS derives from a resource's name, shared by the IaC readers.

They are known before the resource exists (from its name, account, region and partition), so the readers
compute them instead of leaving them "known only after apply"/"after deploy". Formats:
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-resources-for-iam-policies
and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
"""
from __future__ import annotations

from typing import Any


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def bucket_domain_name(name: str) -> str:
    return f"{name}.s3.amazonaws.com"


def bucket_regional_domain_name(name: str, region: str) -> str:
    return f"{name}.s3.{region}.amazonaws.com"


def access_point_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:s3:{region}:{account_id}:accesspoint/{name}"


def iam_arn(account_id: str, kind: str, path: str, name: str) -> str:
    """``kind`` is ``role``, ``user``, ``group`` or ``policy``; ``path`` starts and ends with ``/``."""
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"


# Compute that runs as a role (issue 13). Formats from the Service Authorization Reference's resource types:
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-resources-for-iam-policies
# and the pages of AWS Lambda, AWS Glue, Amazon SageMaker, AWS CodeBuild, AWS CloudFormation, Amazon ECS and
# AWS Step Functions beside it.

def instance_arn(region: str, account_id: str, instance_id: str) -> str:
    return f"arn:aws:ec2:{region}:{account_id}:instance/{instance_id}"


def instance_profile_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:instance-profile{path or '/'}{name}"


# Regional resources whose ARN is their name after a fixed prefix: kind -> (the ARN's service, the prefix of the
# resource part). One table for the readers that hold the parts as text (these functions) and for those whose
# parts may be symbolic (CloudFormation's ``!Ref AWS::Region``, a name made by ``!Sub``: ``named_arn_parts``).
NAMED = {
    "lambda-function": ("lambda", "function:"),
    "codebuild-project": ("codebuild", "project/"),
    "state-machine": ("states", "stateMachine:"),
    "sns-topic": ("sns", ""),
    "sqs-queue": ("sqs", ""),
}


def named_arn_parts(kind: str, region: Any, account_id: Any, name: Any) -> list:
    """The pieces of a ``NAMED`` resource's ARN, in order (joined as text, or symbolically by the caller)."""
    service, prefix = NAMED[kind]
    return ["arn:aws:", service, ":", region, ":", account_id, ":", prefix, name]


def _named_arn(kind: str, region: str, account_id: str, name: str) -> str:
    return "".join(map(str, named_arn_parts(kind, region, account_id, name)))


def lambda_function_arn(region: str, account_id: str, name: str) -> str:
    return _named_arn("lambda-function", region, account_id, name)


def glue_dev_endpoint_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:glue:{region}:{account_id}:devEndpoint/{name}"


def glue_job_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:glue:{region}:{account_id}:job/{name}"


def sagemaker_notebook_arn(region: str, account_id: str, name: str) -> str:
    # SageMaker writes resource names in ARNs in lower case
    return f"arn:aws:sagemaker:{region}:{account_id}:notebook-instance/{name.lower()}"


def codebuild_project_arn(region: str, account_id: str, name: str) -> str:
    return _named_arn("codebuild-project", region, account_id, name)


def cloudformation_stack_arn(region: str, account_id: str, name: str, stack_id: str = "*") -> str:
    """A stack's ARN ends in an id CloudFormation draws when it creates the stack; ``*`` stands for it."""
    return f"arn:aws:cloudformation:{region}:{account_id}:stack/{name}/{stack_id}"


def ecs_task_family_arn(region: str, account_id: str, family: str) -> str:
    return f"arn:aws:ecs:{region}:{account_id}:task-definition/{family}"


def ecs_task_definition_arn(region: str, account_id: str, family: str, revision: object = "*") -> str:
    """Revisions are numbered at registration; ``*`` stands for one not known yet."""
    return f"{ecs_task_family_arn(region, account_id, family)}:{revision}"


def ecs_cluster_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:ecs:{region}:{account_id}:cluster/{name}"


def ecs_service_arn(region: str, account_id: str, cluster: str, name: str) -> str:
    return f"arn:aws:ecs:{region}:{account_id}:service/{cluster}/{name}"


def state_machine_arn(region: str, account_id: str, name: str) -> str:
    return _named_arn("state-machine", region, account_id, name)


def role_arn_of(value: str, account_id: str) -> str:
    """A role given by name or by ARN (Glue jobs, CodeBuild projects and ECS task definitions accept either)."""
    return value if value.startswith("arn:") else iam_arn(account_id, "role", "/", value)


# ARNs of other services that bucket, key and trust policies name (a CloudFront distribution in an origin access
# condition, a KMS key in an encryption condition, an SNS topic or SQS queue a bucket notifies). Formats:
# https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html

# A key's id is drawn when it is created, so before that the readers name it by a placeholder
# (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-ARN).
def kms_key_arn(region: str, account_id: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"


def kms_alias_arn(region: str, account_id: str, alias: str) -> str:
    """``alias`` as the provider takes it, ``alias/name``."""
    return f"arn:aws:kms:{region}:{account_id}:{alias}"


def kms_key_ref_arn(ref: str, region: str, account_id: str) -> str:
    """A key named by ARN or by key id (as ``key_id``/``TargetKeyId`` arguments accept), as its ARN."""
    return ref if ref.startswith("arn:") else kms_key_arn(region, account_id, ref)


def cloudfront_distribution_arn(account_id: str, distribution_id: str) -> str:
    return f"arn:aws:cloudfront::{account_id}:distribution/{distribution_id}"


def cloudfront_origin_access_identity_arn(identity_id: str) -> str:
    """The IAM ARN a bucket policy grants an origin access identity by
    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html)."""
    return f"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity {identity_id}"


def regional_arn(service: str, region: str, account_id: str, resource: str) -> str:
    """``arn:aws:<service>:<region>:<account>:<resource>`` (SNS topic ``name``, SQS queue ``name``, DynamoDB
    ``table/name``, CloudTrail ``trail/name``)."""
    return f"arn:aws:{service}:{region}:{account_id}:{resource}"
