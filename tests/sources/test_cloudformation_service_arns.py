"""The ARNs CloudFormation returns for resources S3 policies name (a topic, a queue, a function, a state
machine) are derived from name, region and account by one table (s3audit/sources/arns.py NAMED), shared with the
Terraform reader and the live snapshot's compute sections.

Return values: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-topic.html
(Ref: the topic ARN), aws-resource-sqs-queue.html (GetAtt Arn), aws-resource-lambda-function.html (GetAtt Arn),
aws-resource-stepfunctions-statemachine.html (Ref and GetAtt Arn). ARN formats:
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""
from __future__ import annotations

from s3audit.sources import arns
from s3audit.sources.iac import load_iac

from .conftest import bucket, valid

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Alerts:
    Type: AWS::SNS::Topic
    Properties: {TopicName: alerts}
  Work:
    Type: AWS::SQS::Queue
    Properties: {QueueName: work}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: thumbnailer
      Role: arn:aws:iam::123456789012:role/fn
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "x"}
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: nightly
      RoleArn: arn:aws:iam::123456789012:role/sfn
      DefinitionString: "{}"
  Data:
    Type: AWS::S3::Bucket
    Properties: {BucketName: arn-test-data}
  DataPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Data
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: FromTheseOnly
            Effect: Allow
            Principal: {Service: [sns.amazonaws.com, lambda.amazonaws.com]}
            Action: s3:GetObject
            Resource: arn:aws:s3:::arn-test-data/*
            Condition:
              ArnEquals:
                aws:SourceArn: [!Ref Alerts, !GetAtt Work.Arn, !GetAtt Fn.Arn, !Ref Flow, !GetAtt Flow.Arn]
"""


def test_the_arns_of_named_resources_are_derived_as_aws_writes_them(tmp_path):
    path = tmp_path / "services.yaml"
    path.write_text(TEMPLATE)
    snap, _ = load_iac(cloudformation=[str(path)], region="eu-west-1", account_id="123456789012")
    valid(snap)
    statement = bucket(snap, "arn-test-data")["Policy"]["Statement"][0]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        "arn:aws:sns:eu-west-1:123456789012:alerts",
        "arn:aws:sqs:eu-west-1:123456789012:work",
        "arn:aws:lambda:eu-west-1:123456789012:function:thumbnailer",
        "arn:aws:states:eu-west-1:123456789012:stateMachine:nightly",
        "arn:aws:states:eu-west-1:123456789012:stateMachine:nightly",
    ]
    assert "unknown_statements" not in snap or not snap["unknown_statements"]


def test_the_text_and_the_symbolic_readers_share_one_format():
    assert arns.lambda_function_arn("us-east-1", "111122223333", "f") == \
        "".join(arns.named_arn_parts("lambda-function", "us-east-1", "111122223333", "f")) == \
        "arn:aws:lambda:us-east-1:111122223333:function:f"
    assert arns.codebuild_project_arn("us-east-1", "111122223333", "p") == \
        "arn:aws:codebuild:us-east-1:111122223333:project/p"
    assert arns.state_machine_arn("us-east-1", "111122223333", "m") == \
        "arn:aws:states:us-east-1:111122223333:stateMachine:m"
