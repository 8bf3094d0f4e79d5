"""A realistic AWS estate built in moto, and the fault injector the collector tests use.

The estate (the same one ``fixtures/aws_estate.json`` describes by hand):

- an organization (management account 123456789012) with OUs ``prod`` > ``payments`` and ``sandbox``,
  SCPs and RCPs enabled; the SCP ``deny-bucket-deletion`` on ``prod`` and the RCP ``deny-outside-org``
  on ``payments``;
- member accounts 222222222222 (``payments-prod``, in ``payments``) and 333333333333 (``analytics-dev``, in
  ``sandbox``), each with the role ``s3audit-scanner`` that the collector assumes;
- IAM: users alice (in group analysts) and bob (an inline policy), role ``etl`` trusted by Glue, role
  ``data-reader`` trusted by ``etl`` (a chain, with a permissions boundary); ``etl`` has the AWS managed
  AmazonS3ReadOnlyAccess attached (when moto loads AWS managed policies, which costs a second per account), ``payments-etl`` in 222222222222 trusted by the management
  account's ``etl`` (a cross-account chain);
- buckets with every configuration kind, a bare one, one in eu-west-1, a public website, and
  ``analytics-restricted`` whose policy read the tests deny; access points with and without a policy;
- compute that runs as a role, one of each kind, in us-east-1 of the management account: an instance with the
  role ``runner``'s instance profile (SSM manages it), a Lambda function with a resource policy, a Glue dev
  endpoint and job (as ``etl``), a SageMaker notebook, a CodeBuild project, a CloudFormation stack with a service
  role, an ECS task definition and a service running it, a Step Functions state machine; alice has a password;
- KMS: the customer managed key ``alias/cardholder`` in 222222222222 (rotation on, a key policy that delegates
  to IAM and names ``payments-etl``, a grant of Decrypt to the management account's ``data-reader`` constrained
  to the bucket's encryption context), the default key of ``payments-cardholder-data``;
- a gateway VPC endpoint for S3 in the management account whose policy admits only the organization.

moto lacks ``ssm:DescribeInstanceInformation``; ``fake_ssm_inventory`` answers it (instances tagged
``ssm-managed``), and ``few_regions`` makes ``ec2:DescribeRegions`` answer two regions, as an account with only
those enabled would (reading ~30 regions of moto costs seconds per account and exercises nothing more).
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable

import boto3

MANAGEMENT = "123456789012"
S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
PAYMENTS = "222222222222"
ANALYTICS = "333333333333"
SCANNER_ROLE = "s3audit-scanner"
CREDENTIALS = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
               "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


READ_REPORTS = doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": ["arn:aws:s3:::mgmt-reports", "arn:aws:s3:::mgmt-reports/*"]})
BOUNDARY_S3_ONLY = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
BOB_INLINE = doc({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::mgmt-reports/uploads/*"})
ANALYSTS_INLINE = doc({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})
GLUE_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"})
ETL_TRUST = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:role/etl"},
                 "Action": "sts:AssumeRole"})
ETL_INLINE = doc({"Effect": "Allow", "Action": "sts:AssumeRole",
                  "Resource": [f"arn:aws:iam::{MANAGEMENT}:role/data-reader",
                               f"arn:aws:iam::{PAYMENTS}:role/payments-etl"]})
# One role for the compute of the estate (every kind but Glue, which runs as ``etl``).
RUNNER_SERVICES = ["ec2.amazonaws.com", "lambda.amazonaws.com", "sagemaker.amazonaws.com", "codebuild.amazonaws.com",
                   "cloudformation.amazonaws.com", "ecs-tasks.amazonaws.com", "states.amazonaws.com"]
RUNNER_TRUST = doc({"Effect": "Allow", "Principal": {"Service": RUNNER_SERVICES}, "Action": "sts:AssumeRole"})
SCANNER_TRUST = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                     "Action": "sts:AssumeRole"})
PAYMENTS_READ = doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                     "Resource": ["arn:aws:s3:::payments-cardholder-data", "arn:aws:s3:::payments-cardholder-data/*"]})
REPORTS_POLICY = doc(
    {"Sid": "AnalystsRead", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:role/data-reader"},
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::mgmt-reports/*"},
    {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::mgmt-reports", "arn:aws:s3:::mgmt-reports/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
LOGS_POLICY = doc(
    {"Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
     "Action": "s3:PutObject", "Resource": "arn:aws:s3:::mgmt-logs/*",
     "Condition": {"StringEquals": {"aws:SourceAccount": MANAGEMENT}}})
CARDHOLDER_POLICY = doc(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PAYMENTS}:role/payments-etl"},
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::payments-cardholder-data/*"})
WEBSITE_POLICY = doc(
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::analytics-public-site/*"})
RESTRICTED_POLICY = doc(
    {"Effect": "Deny", "Principal": "*", "Action": "s3:GetBucketPolicy",
     "Resource": "arn:aws:s3:::analytics-restricted"})
ACCESS_POINT_POLICY = doc(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:user/alice"}, "Action": "s3:GetObject",
     "Resource": f"arn:aws:s3:us-east-1:{MANAGEMENT}:accesspoint/reports-ap/object/*"})
SCP_DENY_BUCKET_DELETION = doc({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})
RCP_DENY_OUTSIDE_ORG = doc(
    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"},
                   "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}})
CARDHOLDER_KEY_POLICY = doc(
    {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PAYMENTS}:root"},
     "Action": "kms:*", "Resource": "*"},
    {"Sid": "AllowEtlToDecrypt", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PAYMENTS}:role/payments-etl"},
     "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
     "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}})
ORG_ONLY_ENDPOINT_POLICY = doc(
    {"Sid": "OnlyTheOrganization", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}})
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
ALL_OFF = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
           "RestrictPublicBuckets": False}


@dataclass
class Estate:
    endpoint_url: str | None
    organization_id: str
    root_id: str
    units: dict[str, str]       # name -> OU id
    policies: dict[str, str]    # name -> policy id

    def session(self, account: str = MANAGEMENT) -> boto3.Session:
        return session_for(account, self.endpoint_url)


def session_for(account: str, endpoint_url: str | None) -> boto3.Session:
    base = boto3.Session(region_name="us-east-1", **CREDENTIALS)
    if account == MANAGEMENT:
        return base
    creds = base.client("sts", endpoint_url=endpoint_url).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="estate")["Credentials"]
    return boto3.Session(region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


def fake_aws_environment(monkeypatch, directory) -> None:
    """Fake credentials only: no profile or config file of the machine, no instance metadata, no real AWS."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(directory / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(directory / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def build_estate(endpoint_url: str | None = None, aws_managed: bool = True) -> Estate:
    """Create the estate. Under ``mock_aws`` the caller must make moto hand out the fixed member account ids
    (see ``fixed_account_ids``) and, for ``aws_managed``, load AWS managed policies (``MOTO_CONFIG``)."""
    mgmt = boto3.Session(region_name="us-east-1", **CREDENTIALS)

    def client(session, service, region="us-east-1"):
        return session.client(service, region_name=region, endpoint_url=endpoint_url)

    org = client(mgmt, "organizations")
    organization_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root_id = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    org.enable_policy_type(RootId=root_id, PolicyType="RESOURCE_CONTROL_POLICY")
    prod = org.create_organizational_unit(ParentId=root_id, Name="prod")["OrganizationalUnit"]["Id"]
    payments_ou = org.create_organizational_unit(ParentId=prod, Name="payments")["OrganizationalUnit"]["Id"]
    sandbox = org.create_organizational_unit(ParentId=root_id, Name="sandbox")["OrganizationalUnit"]["Id"]
    for name, email, ou, expected in (("payments-prod", "payments@example.com", payments_ou, PAYMENTS),
                                      ("analytics-dev", "analytics@example.com", sandbox, ANALYTICS)):
        status = org.create_account(AccountName=name, Email=email)["CreateAccountStatus"]
        assert status["AccountId"] == expected, "moto must be given the fixed account ids"
        org.move_account(AccountId=expected, SourceParentId=root_id, DestinationParentId=ou)
    scp = org.create_policy(Name="deny-bucket-deletion", Description="", Type="SERVICE_CONTROL_POLICY",
                            Content=json.dumps(SCP_DENY_BUCKET_DELETION))["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp, TargetId=prod)
    rcp = org.create_policy(Name="deny-outside-org", Description="", Type="RESOURCE_CONTROL_POLICY",
                            Content=json.dumps(RCP_DENY_OUTSIDE_ORG))["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=rcp, TargetId=payments_ou)

    # --- management account: IAM
    iam = client(mgmt, "iam")
    read_reports = iam.create_policy(PolicyName="ReadReports", PolicyDocument=json.dumps(READ_REPORTS))["Policy"]["Arn"]
    boundary = iam.create_policy(PolicyName="BoundaryS3Only",
                                 PolicyDocument=json.dumps(BOUNDARY_S3_ONLY))["Policy"]["Arn"]
    iam.create_group(GroupName="analysts")
    iam.put_group_policy(GroupName="analysts", PolicyName="list-buckets", PolicyDocument=json.dumps(ANALYSTS_INLINE))
    iam.attach_group_policy(GroupName="analysts", PolicyArn=read_reports)
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "analytics"}])
    iam.add_user_to_group(GroupName="analysts", UserName="alice")
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="upload", PolicyDocument=json.dumps(BOB_INLINE))
    iam.create_role(RoleName="etl", AssumeRolePolicyDocument=json.dumps(GLUE_TRUST))
    iam.put_role_policy(RoleName="etl", PolicyName="assume-readers", PolicyDocument=json.dumps(ETL_INLINE))
    if aws_managed:
        iam.attach_role_policy(RoleName="etl", PolicyArn=S3_READ_ONLY)
    iam.create_role(RoleName="data-reader", AssumeRolePolicyDocument=json.dumps(ETL_TRUST),
                    PermissionsBoundary=boundary)  # moto keeps boundaries of roles, not of users
    iam.attach_role_policy(RoleName="data-reader", PolicyArn=read_reports)

    # --- management account: compute that runs as a role
    build_compute(lambda service: client(mgmt, service), iam)

    # --- management account: S3
    s3 = client(mgmt, "s3")
    s3.create_bucket(Bucket="mgmt-logs")
    s3.put_bucket_ownership_controls(Bucket="mgmt-logs",
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
    s3.put_bucket_policy(Bucket="mgmt-logs", Policy=json.dumps(LOGS_POLICY))
    s3.create_bucket(Bucket="mgmt-reports")
    s3.put_bucket_policy(Bucket="mgmt-reports", Policy=json.dumps(REPORTS_POLICY))
    s3.put_public_access_block(Bucket="mgmt-reports", PublicAccessBlockConfiguration=ALL_ON)
    s3.put_bucket_ownership_controls(Bucket="mgmt-reports",
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_bucket_encryption(Bucket="mgmt-reports", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                "KMSMasterKeyID": f"arn:aws:kms:us-east-1:{MANAGEMENT}:key/reports"}}]})
    s3.put_bucket_versioning(Bucket="mgmt-reports", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(Bucket="mgmt-reports", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "mgmt-logs", "TargetPrefix": "reports/"}})
    s3.put_bucket_tagging(Bucket="mgmt-reports", Tagging={"TagSet": [{"Key": "data-class", "Value": "internal"},
                                                                     {"Key": "owner", "Value": "finance"}]})
    s3.put_bucket_lifecycle_configuration(Bucket="mgmt-reports", LifecycleConfiguration={"Rules": [
        {"ID": "expire-uploads", "Filter": {"Prefix": "uploads/"}, "Status": "Enabled", "Expiration": {"Days": 30}}]})
    s3.create_bucket(Bucket="mgmt-replica-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket="mgmt-replica-eu", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket="mgmt-reports", ReplicationConfiguration={
        "Role": f"arn:aws:iam::{MANAGEMENT}:role/replication",
        "Rules": [{"ID": "to-eu", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": "arn:aws:s3:::mgmt-replica-eu"}}]})
    s3.create_bucket(Bucket="mgmt-locked", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket="mgmt-locked", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}})
    s3.create_bucket(Bucket="mgmt-bare")
    client(mgmt, "s3control").put_public_access_block(AccountId=MANAGEMENT, PublicAccessBlockConfiguration=ALL_ON)
    s3control = client(mgmt, "s3control")
    s3control.create_access_point(AccountId=MANAGEMENT, Name="reports-ap", Bucket="mgmt-reports")
    s3control.put_access_point_policy(AccountId=MANAGEMENT, Name="reports-ap", Policy=json.dumps(ACCESS_POINT_POLICY))
    s3control.create_access_point(AccountId=MANAGEMENT, Name="reports-vpc", Bucket="mgmt-reports",
                                  VpcConfiguration={"VpcId": "vpc-0a1b2c3d"})
    ec2 = client(mgmt, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway",
                            PolicyDocument=json.dumps(ORG_ONLY_ENDPOINT_POLICY))

    # --- payments-prod
    payments = session_for(PAYMENTS, endpoint_url)
    p_iam = client(payments, "iam")
    p_iam.create_role(RoleName=SCANNER_ROLE, AssumeRolePolicyDocument=json.dumps(SCANNER_TRUST))
    p_iam.create_role(RoleName="payments-etl", AssumeRolePolicyDocument=json.dumps(ETL_TRUST))
    p_iam.put_role_policy(RoleName="payments-etl", PolicyName="read-cardholder", PolicyDocument=json.dumps(PAYMENTS_READ))
    p_kms = client(payments, "kms")
    key = p_kms.create_key(Description="cardholder data", Policy=json.dumps(CARDHOLDER_KEY_POLICY))["KeyMetadata"]
    p_kms.create_alias(AliasName="alias/cardholder", TargetKeyId=key["KeyId"])
    p_kms.enable_key_rotation(KeyId=key["KeyId"])
    p_kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=f"arn:aws:iam::{MANAGEMENT}:role/data-reader",
                       Operations=["Decrypt"], Name="data-reader-decrypt", Constraints={
                           "EncryptionContextSubset": {"aws:s3:arn": "arn:aws:s3:::payments-cardholder-data"}})
    p_s3 = client(payments, "s3")
    p_s3.create_bucket(Bucket="payments-cardholder-data")
    p_s3.put_bucket_policy(Bucket="payments-cardholder-data", Policy=json.dumps(CARDHOLDER_POLICY))
    p_s3.put_bucket_encryption(Bucket="payments-cardholder-data", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
         "BucketKeyEnabled": True}]})
    p_s3.put_bucket_versioning(Bucket="payments-cardholder-data", VersioningConfiguration={"Status": "Enabled"})
    p_s3.put_bucket_tagging(Bucket="payments-cardholder-data",
                            Tagging={"TagSet": [{"Key": "data-class", "Value": "pci"}]})
    p_s3.put_public_access_block(Bucket="payments-cardholder-data", PublicAccessBlockConfiguration=ALL_ON)
    client(payments, "s3control").put_public_access_block(AccountId=PAYMENTS, PublicAccessBlockConfiguration=ALL_ON)

    # --- analytics-dev: no account-level Block Public Access
    analytics = session_for(ANALYTICS, endpoint_url)
    a_iam = client(analytics, "iam")
    a_iam.create_role(RoleName=SCANNER_ROLE, AssumeRolePolicyDocument=json.dumps(SCANNER_TRUST))
    a_iam.create_user(UserName="carol")
    a_s3 = client(analytics, "s3")
    a_s3.create_bucket(Bucket="analytics-public-site")
    a_s3.put_public_access_block(Bucket="analytics-public-site", PublicAccessBlockConfiguration=ALL_OFF)
    a_s3.put_bucket_ownership_controls(Bucket="analytics-public-site",
                                       OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    a_s3.put_bucket_acl(Bucket="analytics-public-site", ACL="public-read")
    a_s3.put_bucket_policy(Bucket="analytics-public-site", Policy=json.dumps(WEBSITE_POLICY))
    a_s3.put_bucket_website(Bucket="analytics-public-site", WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
    a_s3.create_bucket(Bucket="analytics-restricted")
    a_s3.put_bucket_policy(Bucket="analytics-restricted", Policy=json.dumps(RESTRICTED_POLICY))

    listed = {p["Name"]: p["Id"] for t in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
              for p in org.list_policies(Filter=t)["Policies"]}
    return Estate(endpoint_url, organization_id, root_id,
                  {"prod": prod, "payments": payments_ou, "sandbox": sandbox}, listed)


def build_compute(client: Callable[[str], Any], iam: Any) -> None:
    runner = iam.create_role(RoleName="runner", AssumeRolePolicyDocument=json.dumps(RUNNER_TRUST))["Role"]["Arn"]
    etl = f"arn:aws:iam::{MANAGEMENT}:role/etl"
    iam.create_instance_profile(InstanceProfileName="runner-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="runner-profile", RoleName="runner")
    iam.create_login_profile(UserName="alice", Password="correct-horse-battery-staple")
    ec2 = client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": "runner-profile"},
                      TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "ssm-managed", "Value": "yes"}]}])
    lam = client("lambda")
    lam.create_function(FunctionName="report-builder", Runtime="python3.12", Role=runner, Handler="main.handler",
                        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})
    lam.add_permission(FunctionName="report-builder", StatementId="s3-invoke", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::mgmt-reports")
    glue = client("glue")
    glue.create_dev_endpoint(EndpointName="notebooks", RoleArn=etl)
    glue.create_job(Name="nightly", Role="etl", Command={"Name": "glueetl", "ScriptLocation": "s3://mgmt-reports/j.py"})
    client("sagemaker").create_notebook_instance(NotebookInstanceName="analysis", InstanceType="ml.t3.medium",
                                                 RoleArn=runner)
    client("codebuild").create_project(
        name="builder", source={"type": "S3", "location": "mgmt-reports/builds/source.zip"}, artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=runner)
    client("cloudformation").create_stack(StackName="app", RoleARN=runner, TemplateBody=json.dumps(
        {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
    ecs = client("ecs")
    ecs.create_cluster(clusterName="main")
    ecs.register_task_definition(family="api", taskRoleArn=runner, containerDefinitions=[
        {"name": "api", "image": "public.ecr.aws/nginx/nginx:latest", "memory": 128}])
    ecs.create_service(cluster="main", serviceName="api", taskDefinition="api", desiredCount=0)
    client("stepfunctions").create_state_machine(name="flow", roleArn=runner, definition=json.dumps(
        {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}))


def fake_ssm_inventory(monkeypatch) -> None:
    """Answer ssm:DescribeInstanceInformation (moto has not implemented it) with the instances tagged
    ``ssm-managed``, as SSM lists the nodes whose agent registered."""
    from moto.core.responses import ActionResult
    from moto.ec2.models import ec2_backends
    from moto.ssm.responses import SimpleSystemManagerResponse

    def describe_instance_information(self) -> ActionResult:
        backend = ec2_backends[self.current_account][self.region]
        managed = [{"InstanceId": i.id, "PingStatus": "Online", "PlatformType": "Linux", "ResourceType": "EC2Instance"}
                   for r in backend.reservations.values() for i in r.instances
                   if "ssm-managed" in {t["key"] for t in i.get_tags()}]
        return ActionResult({"InstanceInformationList": managed})

    monkeypatch.setattr(SimpleSystemManagerResponse, "describe_instance_information", describe_instance_information,
                        raising=False)


def few_regions(monkeypatch, regions: tuple[str, ...] = ("us-east-1", "eu-west-1")) -> None:
    """Make moto's ec2:DescribeRegions answer only ``regions``."""
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend
    every = RegionsAndZonesBackend.describe_regions
    monkeypatch.setattr(RegionsAndZonesBackend, "describe_regions",
                        lambda self, region_names=None: [r for r in every(self, region_names) if r.name in regions])


def moto_gaps(monkeypatch) -> None:
    """What every collector test needs of moto beyond what it does by itself (see the module docstring)."""
    fake_ssm_inventory(monkeypatch)
    few_regions(monkeypatch)
    from s3audit.sources import aws_compute
    monkeypatch.setattr(aws_compute, "REPORT_POLL_SECONDS", 0.01)  # moto's report is ready on the second ask


MOTO_CONFIG = {"iam": {"load_aws_managed_policies": True}}


def few_aws_managed_policies(monkeypatch, count: int = 40) -> None:
    """Give moto a sample of AWS managed policies (AmazonS3ReadOnlyAccess and ``count`` others) instead of all
    ~1,400: loading and listing them all costs seconds per account, and a sample exercises the same paths."""
    import moto.iam.models as iam_models
    every = json.loads(iam_models.aws_managed_policies_data)
    sample = dict(list(every.items())[:count])
    sample["AmazonS3ReadOnlyAccess"] = every["AmazonS3ReadOnlyAccess"]
    monkeypatch.setattr(iam_models, "aws_managed_policies_data", json.dumps(sample))


def fixed_account_ids(monkeypatch) -> None:
    """Make moto's CreateAccount hand out 222222222222, then 333333333333 (it draws random ids otherwise)."""
    import moto.organizations.utils as org_utils
    # CreateOrganization draws one first, for the management account, then overwrites it with the caller's.
    ids = iter([MANAGEMENT, PAYMENTS, ANALYTICS])
    monkeypatch.setattr(org_utils, "make_random_account_id", lambda: next(ids))


# ---------------------------------------------------------------------------------------------------------
# Faults and call recording, through botocore's event hooks on every client the collector makes

class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_: Any):
        yield self._body


def error_response(protocol: str, status: int, code: str):
    """An HTTP error as the service would send it, so that botocore parses (and retries) it as the real thing."""
    from botocore.awsrequest import AWSResponse

    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": "injected by the test"}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "test"}
    elif protocol == "ec2":  # EC2's own error envelope
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>injected by the test</Message></Error>"
                f"</Errors><RequestID>test</RequestID></Response>").encode()
        headers = {"Content-Type": "text/xml"}
    elif protocol == "query":
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected by the test"
                f"</Message></Error><RequestId>test</RequestId></ErrorResponse>").encode()
        headers = {"Content-Type": "text/xml"}
    else:  # rest-xml: S3 and S3 Control
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                f"<Message>injected by the test</Message><RequestId>test</RequestId></Error>").encode()
        headers = {"Content-Type": "application/xml"}
    return AWSResponse("https://injected.invalid/", status, headers, _Raw(body))


@dataclass
class Fault:
    service: str                     # botocore service name: s3, s3control, iam, organizations, sts
    operation: str                   # API operation: GetBucketPolicy ...
    code: str                        # error code to answer with
    status: int = 400
    attempts: int | None = None      # how many HTTP attempts fail (None: all of them)
    when: Callable[[dict], bool] = lambda params: True
    crash: bool = False              # raise a non-AWS exception instead (a crash of the collector)
    region: str | None = None        # only calls to this region (None: any)
    sent: int = 0


class Recorder:
    """Pass ``recorder.on_new_client`` to the collector: records every call, injects the configured faults."""

    def __init__(self, *faults: Fault):
        self.faults = list(faults)
        self.calls: list[tuple[str, str, dict]] = []
        self.regions: list[tuple[str, str, str | None]] = []  # (service, operation, region) of each call
        self.clients: list[Any] = []
        self.secrets: set[str] = set()   # credentials AWS handed out during the run
        self._pending = threading.local()
        self._lock = threading.Lock()

    def on_new_client(self, client: Any) -> None:
        self.clients.append(client)
        region = client.meta.region_name
        client.meta.events.register("before-parameter-build",
                                    lambda model, params, **kw: self._before_call(model, params, region=region))
        client.meta.events.register_first("before-send", self._before_send)
        client.meta.events.register("after-call.sts.AssumeRole", self._after_assume_role)

    def _after_assume_role(self, parsed, **_: Any) -> None:
        creds = parsed.get("Credentials") or {}
        self.secrets.update(v for k, v in creds.items() if k in ("AccessKeyId", "SecretAccessKey", "SessionToken"))

    def _before_call(self, model, params, region: str | None = None) -> None:
        # Sees the API parameters (before-call sees the serialised request). A call's HTTP attempts, retries
        # included, then run on the thread that made it.
        service = model.service_model.service_name
        self.calls.append((service, model.name, dict(params)))
        self.regions.append((service, model.name, region))
        self._pending.fault = None
        for fault in self.faults:
            if fault.service == service and fault.operation == model.name and fault.when(params) \
                    and fault.region in (None, region):
                if fault.crash:
                    raise RuntimeError(f"simulated crash in {model.name}")
                self._pending.fault, self._pending.protocol = fault, model.service_model.protocol

    def _before_send(self, request, **_: Any):
        fault = getattr(self._pending, "fault", None)
        if fault is None:
            return None
        with self._lock:
            if fault.attempts is not None and fault.sent >= fault.attempts:
                return None
            fault.sent += 1
        return error_response(self._pending.protocol, fault.status, fault.code)

    def operations(self) -> set[tuple[str, str]]:
        return {(service, op) for service, op, _ in self.calls}
