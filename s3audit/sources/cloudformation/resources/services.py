"""Resources of other services that S3 policies name by ARN: what ``Ref`` and ``Fn::GetAtt`` return for them.

An SNS topic and an SQS queue are not mapped to the snapshot (Lambda functions, Step Functions state machines
and CodeBuild projects are, as compute that runs as a role: compute.py), but bucket policies and trust policies
name them all (``aws:SourceArn`` of a function, a queue a bucket notifies). Their ARNs are derived from name, region and account, so they are computed, not "known only after deploy"
(with the region unknown, the ARN keeps its known text and the unknown region). ``Ref`` returns:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-function.html#aws-resource-lambda-function-return-values
(the name), aws-resource-sns-topic.html (the ARN), aws-resource-sqs-queue.html (the URL, not derived here: it
holds the queue's host), aws-resource-stepfunctions-statemachine.html (the ARN).
"""
from __future__ import annotations

from typing import Any

from ...arns import named_arn_parts
from ...symbolic import concat
from ..registry import NAME_PROPERTY, REF_ATTRIBUTE, Named, attributes

NAME_PROPERTY.update({"AWS::Lambda::Function": "FunctionName", "AWS::Serverless::Function": "FunctionName",
                      "AWS::SNS::Topic": "TopicName", "AWS::SQS::Queue": "QueueName",
                      "AWS::StepFunctions::StateMachine": "StateMachineName",
                      "AWS::Serverless::StateMachine": "Name"})
REF_ATTRIBUTE.update({"AWS::SNS::Topic": "TopicArn", "AWS::StepFunctions::StateMachine": "Arn",
                      "AWS::Serverless::StateMachine": "Arn", "AWS::SQS::Queue": "QueueUrl"})

# type -> (the kind of ARN, sources/arns.py NAMED, and the attributes that hold the ARN)
_ARNS = {
    "AWS::Lambda::Function": ("lambda-function", ("Arn",)),
    "AWS::Serverless::Function": ("lambda-function", ("Arn",)),
    "AWS::SNS::Topic": ("sns-topic", ("TopicArn",)),
    "AWS::SQS::Queue": ("sqs-queue", ("Arn",)),
    "AWS::StepFunctions::StateMachine": ("state-machine", ("Arn",)),
    "AWS::Serverless::StateMachine": ("state-machine", ("Arn",)),
    "AWS::CodeBuild::Project": ("codebuild-project", ("Arn",)),  # compute that runs as a role (compute.py)
}


@attributes(*_ARNS)
def _service_attribute(t: Any, r: Named, attr: str) -> Any:
    kind, arn_attributes = _ARNS[r.rtype]
    if attr in arn_attributes:
        return concat(named_arn_parts(kind, t.region, t.account_id, r.name))
    if attr in ("Name", "TopicName", "QueueName") and r.rtype not in ("AWS::Lambda::Function",
                                                                      "AWS::CodeBuild::Project"):
        return r.name
    return None
