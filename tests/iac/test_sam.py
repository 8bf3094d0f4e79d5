"""CloudFormation templates with the AWS SAM transform: the roles SAM generates are access paths too.

AWS documentation behind the cases:
- generated role `<function-LogicalId>Role` when `Role` is not given:
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources-function.html
- `Policies` (managed policy names and ARNs, policy documents, policy templates), `Role`, `RolePath`,
  `PermissionsBoundary`, `AssumeRolePolicyDocument`, `Tracing`, `VpcConfig`, `EventInvokeConfig`:
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html
- policy templates and their statements:
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-templates.html,
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-template-list.html
- Globals and their merge rules:
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html
- state machines: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-statemachine.html
- connectors: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-connector.html
- AWSLambdaBasicExecutionRole (CloudWatch Logs only), used where a test supplies the AWS managed policy the
  live estate would hold: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
"""
from __future__ import annotations

import copy
import json
import textwrap

import pytest

from s3audit.errors import InputError
from s3audit.sources.cloudformation import load_cloudformation
from s3audit.sources.iac import classify, load_iac
from tests.sources.conftest import ROOT, bucket, pointer_of, role, valid, where

CF = "fixtures/cloudformation"
ACCOUNT = "123456789012"
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}}]}
S3_READ = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
           "s3:GetLifecycleConfiguration"]
S3_CRUD = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:PutObject",
           "s3:PutObjectAcl", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:DeleteObject"]


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def load(name: str, **kw) -> dict:
    snap, _ = load_iac(cloudformation=[f"{CF}/{name}"], **kw)
    valid(snap)
    return snap


def line_of(path: str, text: str, start: int = 1) -> int:
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if i >= start and text in line:
                return i
    raise AssertionError(f"{text!r} not in {path}")


def errors(snap: dict) -> dict:
    return snap["accounts"][0].get("errors") or {}


def with_basic_execution(snap: dict) -> dict:
    """The snapshot plus AWSLambdaBasicExecutionRole's document, as a live estate's IAM data holds it."""
    snap = copy.deepcopy(snap)
    snap["accounts"][0]["iam"].setdefault("Policies", []).append({
        "PolicyName": "AWSLambdaBasicExecutionRole", "Arn": BASIC, "Path": "/service-role/",
        "DefaultVersionId": "v1", "IsAttachable": True,
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
                "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]}}]})
    snap["accounts"][0]["errors"] = {k: v for k, v in errors(snap).items() if BASIC not in k}
    return snap


def decide(snap: dict, principal: str, action: str, resource: str) -> str:
    from s3audit.iam.engine import Engine, Request
    from s3audit.snapshot.load import snapshot_from_dict
    return Engine(snapshot_from_dict(json.loads(json.dumps(snap)))).decide(Request(principal, action, resource))


def role_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"


def shipped_date() -> str:
    from s3audit.iam.managed import about
    return about()["date"]


# ---- AWS::Serverless::Function with a policy template on a PCI bucket ----

def test_s3crud_policy_template_becomes_the_generated_roles_inline_policy():
    s = load("sam-s3crud-pci.yaml")
    f = f"{CF}/sam-s3crud-pci.yaml"
    assert classify(f) == "cloudformation"
    r = role(s, "<CardholderExporterRole>")  # CloudFormation names the role at deploy time
    assert r["Arn"] == role_arn("<CardholderExporterRole>") and r["Path"] == "/"
    assert r["AssumeRolePolicyDocument"] == LAMBDA_TRUST
    assert r["AttachedManagedPolicies"] == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC}]
    assert r["Tags"] == [{"Key": "lambda:createdBy", "Value": "SAM"}]
    policies = {p["PolicyName"]: p["PolicyDocument"] for p in r["RolePolicyList"]}
    # S3CrudPolicy's statement, BucketName substituted by the resolved `!Ref CardholderBucket`
    assert policies["CardholderExporterRolePolicy0"] == {"Statement": [{
        "Action": S3_CRUD, "Effect": "Allow",
        "Resource": ["arn:aws:s3:::payments-cardholder-exports", "arn:aws:s3:::payments-cardholder-exports/*"]}]}
    # an inline policy document keeps its statements
    assert policies["CardholderExporterRolePolicy1"]["Statement"] == [{
        "Sid": "ReadIncoming", "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::payments-incoming-files/*"}]
    # EventInvokeConfig's S3 destination lets the function write its failed events to that bucket;
    # the S3 event (NewFile) adds nothing to the role
    assert policies["CardholderExporterEventInvokeConfigOnFailureS3Policy"] == {"Statement": [
        {"Action": "s3:PutObject", "Effect": "Allow", "Resource": "arn:aws:s3:::payments-incoming-files/*"},
        {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": "arn:aws:s3:::payments-incoming-files"}]}
    assert len(policies) == 3
    # the function itself is not an IAM entity; only the role is added
    assert [x["RoleName"] for x in s["accounts"][0]["iam"]["RoleDetailList"]] == ["<CardholderExporterRole>"]
    # where things are: the role at `Policies:`, each generated policy at its entry
    p = pointer_of(s, "roles", "<CardholderExporterRole>")
    assert where(s, p) == (f, line_of(f, "Policies:"))
    assert s["locations"][p]["column"] == 7
    assert where(s, p + "/RolePolicyList/1") == (f, line_of(f, "- S3CrudPolicy:"))
    assert where(s, p + "/RolePolicyList/1/PolicyDocument/Statement/0") == (f, line_of(f, "- S3CrudPolicy:"))
    assert where(s, p + "/RolePolicyList/2/PolicyDocument/Statement/0") == (f, line_of(f, "- Sid: ReadIncoming"))
    assert where(s, p + "/RolePolicyList/0") == (f, line_of(f, "OnFailure:"))
    assert where(s, p + "/AssumeRolePolicyDocument") == (f, line_of(f, "CardholderExporter:"))


def test_generated_role_can_write_the_pci_bucket_and_nothing_more():
    s = with_basic_execution(load("sam-s3crud-pci.yaml"))
    arn = role_arn("<CardholderExporterRole>")
    assert decide(s, arn, "s3:PutObject", "arn:aws:s3:::payments-cardholder-exports/card.csv").decision == "allow"
    assert decide(s, arn, "s3:DeleteObject", "arn:aws:s3:::payments-cardholder-exports/card.csv").decision == "allow"
    assert decide(s, arn, "s3:PutBucketPolicy", "arn:aws:s3:::payments-cardholder-exports").decision == "deny"
    assert decide(s, arn, "s3:GetObject", "arn:aws:s3:::payments-incoming-files/in.csv").decision == "allow"
    assert decide(s, arn, "s3:DeleteObject", "arn:aws:s3:::payments-incoming-files/in.csv").decision == "deny"
    # IaC alone: the AWS managed policy's document is s3audit's shipped copy, which grants only CloudWatch Logs
    # (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html)
    d = decide(load("sam-s3crud-pci.yaml"), arn, "s3:GetObject", "arn:aws:s3:::some-other-bucket/x")
    assert d.decision == "deny" and not any(BASIC in a for a in d.assumptions)
    d = decide(load("sam-s3crud-pci.yaml"), arn, "logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:x")
    assert d.decision == "allow"
    assert [r.source for r in d.reasons] == ["AWS managed policy AWSLambdaBasicExecutionRole (shipped copy of "
                                             f"{shipped_date()})"]


def test_pci_write_finding_is_on_the_functions_policies_line(capsys):
    from s3audit.cli import main
    f = f"{CF}/sam-s3crud-pci.yaml"
    status = main(["check", "--cloudformation", f, "--rules", "tests/iac/sam_rules.s3r", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 1
    found = [x for x in doc["findings"] if x["rule"] == "SAM-PCI-WRITE"]
    assert [(x["subject"], x["location"]) for x in found] == [
        (role_arn("<CardholderExporterRole>"), {"file": f, "line": line_of(f, "Policies:"), "column": 7})]


# ---- managed policies: names, ARNs, a single string and a list ----

def test_managed_policy_names_map_to_arns_as_the_transform_does():
    s = load("sam-managed-policies.yaml")
    archiver = role(s, "<ArchiverRole>")  # `Policies: AmazonS3FullAccess`, one string
    assert [p["PolicyArn"] for p in archiver["AttachedManagedPolicies"]] == [
        BASIC, "arn:aws:iam::aws:policy/AmazonS3FullAccess"]
    assert "RolePolicyList" not in archiver
    reporter = role(s, "<ReporterRole>")
    assert [p["PolicyArn"] for p in reporter["AttachedManagedPolicies"]] == [
        BASIC,
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",                     # Tracing: Active
        "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",  # VpcConfig
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        # AWSLambdaBasicExecutionRole named again: the same ARN, attached once
        "arn:aws:iam::123456789012:policy/reports-kms",                        # an ARN as it is
        "arn:aws:iam::123456789012:policy/reports-prod"]                       # !Sub resolved
    # a name that is neither an AWS managed policy nor an ARN: the transform looks it up in the account
    assert "team-data-readers" in errors(s)["iam:Role/<ReporterRole>/AttachedManagedPolicies"]
    # AWS managed policies' documents are not in a template (the reader says so); the loader gives them the
    # shipped copies: AmazonS3FullAccess allows s3:* on everything (only the bucket, not in the template, is
    # unknown)
    assert "iam:Policy/arn:aws:iam::aws:policy/AmazonS3FullAccess/Document" in errors(s)
    d = decide(s, role_arn("<ArchiverRole>"), "s3:GetObject", "arn:aws:s3:::anything/x")
    assert d.decision == "conditional"
    assert [(r.effect, r.layer) for r in d.reasons if "AmazonS3FullAccess" in r.source] == [("Allow", "identity")]
    assert not any("AmazonS3FullAccess" in a for a in d.assumptions)


def test_unresolvable_policy_name_leaves_the_role_unknown_even_with_known_managed_policies():
    s = with_basic_execution(load("sam-managed-policies.yaml"))
    for arn in ("arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
                "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
                "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::123456789012:policy/reports-kms",
                "arn:aws:iam::123456789012:policy/reports-prod"):
        s["accounts"][0]["iam"]["Policies"].append({"PolicyName": arn.rsplit("/", 1)[1], "Arn": arn,
                                                    "DefaultVersionId": "v1", "PolicyVersionList": [
                                                        {"VersionId": "v1", "IsDefaultVersion": True, "Document": {
                                                            "Version": "2012-10-17", "Statement": []}}]})
    d = decide(s, role_arn("<ReporterRole>"), "s3:PutObject", "arn:aws:s3:::payments-cardholder-data/x")
    assert d.decision == "conditional"
    assert any("team-data-readers" in a for a in d.assumptions)


# ---- Globals ----

def test_globals_apply_to_every_function_with_the_documented_merge():
    s = load("sam-globals.yaml")
    ingest = role(s, "<IngestRole>")
    assert ingest["Path"] == "/pipelines/" and ingest["Arn"] == role_arn("<IngestRole>", "/pipelines/")
    assert ingest["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::123456789012:policy/pipeline-boundary"
    assert ingest["Tags"] == [{"Key": "lambda:createdBy", "Value": "SAM"}, {"Key": "team", "Value": "data-platform"},
                              {"Key": "cost-center", "Value": "4711"}]
    assert ingest["RolePolicyList"] == [{"PolicyName": "IngestRolePolicy0", "PolicyDocument": {"Statement": [{
        "Action": ["s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"], "Effect": "Allow",
        "Resource": ["arn:aws:s3:::acme-raw-events", "arn:aws:s3:::acme-raw-events/*"]}]}}]
    compact = role(s, "<CompactRole>")
    # a scalar: the function's value wins; a map: merged key by key, the function's keys winning
    assert compact["Path"] == "/pipelines/compaction/"
    assert compact["PermissionsBoundary"] == ingest["PermissionsBoundary"]
    assert compact["Tags"] == [{"Key": "lambda:createdBy", "Value": "SAM"}, {"Key": "team", "Value": "lakehouse"},
                               {"Key": "cost-center", "Value": "4711"}]
    read, full = (p["PolicyDocument"]["Statement"] for p in compact["RolePolicyList"])
    assert read == [{"Action": S3_READ, "Effect": "Allow",
                     "Resource": ["arn:aws:s3:::acme-raw-events", "arn:aws:s3:::acme-raw-events/*"]}]
    # S3FullAccessPolicy: object actions on objects, bucket actions on the bucket
    assert full[0]["Resource"] == ["arn:aws:s3:::acme-curated-events/*"] and "s3:DeleteObject" in full[0]["Action"]
    assert full[1] == {"Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetLifecycleConfiguration",
                                  "s3:PutLifecycleConfiguration"], "Effect": "Allow",
                       "Resource": ["arn:aws:s3:::acme-curated-events"]}
    f = f"{CF}/sam-globals.yaml"
    p = pointer_of(s, "roles", "<IngestRole>")
    assert where(s, p + "/PermissionsBoundary") == (f, line_of(f, "PermissionsBoundary:"))


def test_globals_lists_are_concatenated_and_policies_are_not_allowed_there(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent("""\
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Events:
              Queue: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:jobs}}
        Resources:
          Worker:
            Type: AWS::Serverless::Function
            Properties: {Handler: a.b, Runtime: python3.12, CodeUri: s3://x/y.zip}
        """))
    with pytest.raises(InputError) as exc:
        load_cloudformation(str(path))
    assert exc.value.message == "`Events` is not a supported property of `Globals.Function`"
    assert (exc.value.place.line, exc.value.place.column) == (4, 5)
    path.write_text(textwrap.dedent("""\
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Policies: [AmazonS3FullAccess]
        Resources:
          Worker:
            Type: AWS::Serverless::Function
            Properties: {Handler: a.b, Runtime: python3.12, CodeUri: s3://x/y.zip}
        """))
    with pytest.raises(InputError, match="`Policies` is not a supported property of `Globals.Function`"):
        load_cloudformation(str(path))
    path.write_text(textwrap.dedent("""\
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Layers: [arn:aws:lambda:us-east-1:123456789012:layer:a:1]
            VpcConfig: {SubnetIds: [subnet-1]}
        Resources:
          Worker:
            Type: AWS::Serverless::Function
            Properties:
              Handler: a.b
              Runtime: python3.12
              CodeUri: s3://x/y.zip
              VpcConfig: {SecurityGroupIds: [sg-1]}
              Events:
                Jobs: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:jobs}}
        """))
    r = role(load_cloudformation(str(path)).snapshot, "<WorkerRole>")
    assert [p["PolicyArn"].rsplit("/", 1)[1] for p in r["AttachedManagedPolicies"]] == [
        "AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole", "AWSLambdaSQSQueueExecutionRole"]


# ---- Role given: no generated role ----

def test_a_function_with_a_role_runs_as_that_role_and_gets_no_generated_one():
    s = load("sam-explicit-role.yaml")
    names = [r["RoleName"] for r in s["accounts"][0]["iam"]["RoleDetailList"]]
    # Loader names LoaderRole: its S3CrudPolicy is ignored, no <LoaderRole> role; Auditor's `Role` is
    # `!If [NoExistingRole, !Ref AWS::NoValue, ...]` and the condition holds by default: SAM generates it
    assert names == ["ledger-loader", "<AuditorRole>"]
    assert role(s, "ledger-loader")["RolePolicyList"][0]["PolicyName"] == "read-ledger"
    assert role(s, "<AuditorRole>")["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == S3_READ
    s = load("sam-explicit-role.yaml", parameters={"ExistingRoleArn": "arn:aws:iam::123456789012:role/auditor"})
    assert [r["RoleName"] for r in s["accounts"][0]["iam"]["RoleDetailList"]] == ["ledger-loader"]


# ---- a policy template s3audit does not know ----

def test_unknown_policy_template_leaves_the_role_unknown_never_without_permission():
    s = load("sam-unknown-template.yaml")
    r = role(s, "<ThumbnailerRole>")
    assert [p["PolicyName"] for p in r["RolePolicyList"]] == ["ThumbnailerRolePolicy0"]
    key = "iam:Role/<ThumbnailerRole>/RolePolicyList/ThumbnailerRolePolicy1"
    assert "S3ObjectLambdaAccessPolicy" in errors(s)[key] and errors(s)[key].startswith("Unknown: ")
    s = with_basic_execution(s)
    arn = role_arn("<ThumbnailerRole>")
    d = decide(s, arn, "s3:PutObject", "arn:aws:s3:::acme-customer-photos/p.jpg")
    assert d.decision == "conditional"  # "may be possible", not "deny"
    assert any("S3ObjectLambdaAccessPolicy" in a for a in d.assumptions)
    # the unknown policy may allow anything or deny anything: even the read S3ReadPolicy allows is "may"
    assert decide(s, arn, "s3:GetObject", "arn:aws:s3:::acme-customer-photos/p.jpg").decision == "conditional"
    # had the template's statements been known to be these alone, writing would be denied
    del s["accounts"][0]["errors"][key]
    assert decide(s, arn, "s3:PutObject", "arn:aws:s3:::acme-customer-photos/p.jpg").decision == "deny"
    assert decide(s, arn, "s3:GetObject", "arn:aws:s3:::acme-customer-photos/p.jpg").decision == "allow"


def test_unknown_policy_template_is_a_finding_on_its_function(capsys):
    from s3audit.cli import main
    f = f"{CF}/sam-unknown-template.yaml"
    main(["check", "--cloudformation", f, "--rules", "tests/iac/sam_rules.s3r", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    found = [x for x in doc["findings"] if x["rule"] == "SAM-PCI-WRITE"]
    assert [(x["subject"], x["location"]["line"]) for x in found] == [(role_arn("<ThumbnailerRole>"),
                                                                       line_of(f, "Policies:"))]


# ---- state machines and connectors (a JSON template) ----

def test_state_machine_role_and_connectors_to_a_bucket():
    s = load("sam-state-machine-connectors.json")
    f = f"{CF}/sam-state-machine-connectors.json"
    iam = s["accounts"][0]["iam"]
    sm = role(s, "<SettlementRole>")
    assert sm["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": ["states.amazonaws.com"]}
    assert sm["RolePolicyList"] == [{"PolicyName": "SettlementRolePolicy0", "PolicyDocument": {"Statement": [{
        "Action": S3_READ, "Effect": "Allow", "Resource": ["arn:aws:s3:::acme-finance-reports-archive",
                                                           "arn:aws:s3:::acme-finance-reports-archive/*"]}]}}]
    assert sm["Tags"] == [{"Key": "stateMachine:createdBy", "Value": "SAM"}]
    policies = {p["PolicyName"]: p for p in iam["Policies"]}
    # the embedded connector `WriteReports` of `Publisher` is connector `PublisherWriteReports`
    writer = policies["<PublisherWriteReportsPolicy>"]["PolicyVersionList"][0]["Document"]
    assert writer["Statement"] == [{"Effect": "Allow", "Action": [
        "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObject",
        "s3:PutObjectLegalHold", "s3:PutObjectRetention", "s3:RestoreObject"],
        "Resource": ["arn:aws:s3:::acme-finance-reports-archive", "arn:aws:s3:::acme-finance-reports-archive/*"]}]
    assert [p["PolicyArn"] for p in role(s, "<PublisherRole>")["AttachedManagedPolicies"]] == [
        BASIC, "arn:aws:iam::123456789012:policy/<PublisherWriteReportsPolicy>"]
    both = policies["<SettlementToReportsPolicy>"]["PolicyVersionList"][0]["Document"]["Statement"]
    assert [len(x["Action"]) for x in both] == [13, 7]  # Read, then Write
    assert [p["PolicyArn"] for p in sm["AttachedManagedPolicies"]] == [
        "arn:aws:iam::123456789012:policy/<SettlementToReportsPolicy>"]
    s = with_basic_execution(s)
    assert decide(s, role_arn("<PublisherRole>"), "s3:PutObject",
                  "arn:aws:s3:::acme-finance-reports-archive/r.pdf").decision == "allow"
    assert decide(s, role_arn("<PublisherRole>"), "s3:GetObject",
                  "arn:aws:s3:::acme-finance-reports-archive/r.pdf").decision == "deny"
    assert decide(s, role_arn("<SettlementRole>"), "s3:DeleteObject",
                  "arn:aws:s3:::acme-finance-reports-archive/r.pdf").decision == "allow"
    p = pointer_of(s, "policies", "arn:aws:iam::123456789012:policy/<PublisherWriteReportsPolicy>")
    assert where(s, p) == (f, line_of(f, '"WriteReports": {'))
    p = pointer_of(s, "roles", "<SettlementRole>")
    assert where(s, p) == (f, line_of(f, '"Policies": [{"S3ReadPolicy"'))


# ---- more forms of `Policies` and the template's references ----

SAM_HEAD = "Transform: AWS::Serverless-2016-10-31\n"


def template(tmp_path, body: str) -> str:
    path = tmp_path / "t.yaml"
    path.write_text(SAM_HEAD + textwrap.dedent(body))
    return str(path)


def test_fn_if_around_policies_and_references_to_the_generated_role(tmp_path):
    path = template(tmp_path, """\
        Parameters:
          Env: {Type: String}
          Lax: {Type: String, Default: "no"}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
          IsLax: !Equals [!Ref Lax, "yes"]
        Resources:
          Data:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: acme-data
              # the generated role is a resource the template may name
              Tags: [{Key: reader, Value: !GetAtt WorkerRole.Arn}]
          Worker:
            Type: AWS::Serverless::Function
            Properties:
              Handler: a.b
              Runtime: python3.12
              CodeUri: s3://x/y.zip
              Policies:
                - !If [IsProd, {S3ReadPolicy: {BucketName: acme-data}}, {S3CrudPolicy: {BucketName: acme-data}}]
                - !If [IsLax, AmazonS3FullAccess, !Ref AWS::NoValue]
                - Statement:
                    - Effect: Allow
                      Action: s3:ListAllMyBuckets
                      Resource: "*"
        """)
    s = load_cloudformation(path).snapshot
    assert bucket(s, "acme-data")["Tags"] == {"reader": role_arn("<WorkerRole>")}
    r = role(s, "<WorkerRole>")
    # `Env` has no value: the first policy may be either template -> unknown; `Lax` is "no": no FullAccess
    assert errors(s)["iam:Role/<WorkerRole>/RolePolicyList"].startswith("Unknown: condition `IsProd`")
    assert [p["PolicyName"] for p in r["RolePolicyList"]] == ["WorkerRolePolicy2"]
    assert [p["PolicyArn"] for p in r["AttachedManagedPolicies"]] == [BASIC]
    s = load_cloudformation(path, parameters={"Env": "prod", "Lax": "yes"}).snapshot
    r = role(s, "<WorkerRole>")
    assert [p["PolicyName"] for p in r["RolePolicyList"]] == ["WorkerRolePolicy0", "WorkerRolePolicy2"]
    assert r["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == S3_READ
    assert [p["PolicyArn"] for p in r["AttachedManagedPolicies"]] == [BASIC, "arn:aws:iam::aws:policy/AmazonS3FullAccess"]


def test_function_trust_boundary_and_stream_failures_to_s3(tmp_path):
    path = template(tmp_path, """\
        Resources:
          Worker:
            Type: AWS::Serverless::Function
            Properties:
              Handler: a.b
              Runtime: python3.12
              CodeUri: s3://x/y.zip
              AssumeRolePolicyDocument:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Principal: {AWS: arn:aws:iam::999999999999:root}
                    Action: sts:AssumeRole
              Events:
                Stream:
                  Type: Kinesis
                  Properties:
                    Stream: arn:aws:kinesis:us-east-1:123456789012:stream/clicks
                    StartingPosition: LATEST
                    DestinationConfig:
                      OnFailure:
                        Type: S3
                        Destination: arn:aws:s3:::acme-failed-batches
        """)
    s = load_cloudformation(path).snapshot
    r = role(s, "<WorkerRole>")
    # the function's own AssumeRolePolicyDocument replaces the Lambda trust: an external account may assume it
    assert r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::999999999999:root"}
    assert [p["PolicyArn"].rsplit("/", 1)[1] for p in r["AttachedManagedPolicies"]] == [
        "AWSLambdaBasicExecutionRole", "AWSLambdaKinesisExecutionRole"]
    assert r["RolePolicyList"] == [{"PolicyName": "WorkerStreamS3Policy", "PolicyDocument": {"Statement": [
        {"Action": "s3:PutObject", "Effect": "Allow", "Resource": "arn:aws:s3:::acme-failed-batches/*"},
        {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": "arn:aws:s3:::acme-failed-batches"}]}}]


@pytest.mark.parametrize("body, message, line", [
    ("""\
     Resources:
       Worker:
         Type: AWS::Serverless::Function
         Properties:
           Policies:
             - S3ReadPolicy: {}
     """, "policy template `S3ReadPolicy` needs `BucketName`", 7),
    ("""\
     Resources:
       Worker:
         Type: AWS::Serverless::Function
         Properties:
           Policies:
             - S3ReadPolicy: acme-data
     """, "policy template `S3ReadPolicy` needs its parameter values as a mapping", 7),
    ("""\
     Resources:
       Worker:
         Type: AWS::Serverless::Function
         Properties:
           Policies:
             - [not, a, policy]
     """, "policy at index 0 in `Policies` is not valid", 7),
    ("""\
     Resources:
       Flow:
         Type: AWS::Serverless::StateMachine
         Properties:
           Role: arn:aws:iam::123456789012:role/flow
           Policies: [AmazonS3FullAccess]
     """, "specify either `Role` or `Policies` of `Flow`, not both", 6),
    ("""\
     Resources:
       WorkerRole:
         Type: AWS::IAM::Role
         Properties:
           AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
       Worker:
         Type: AWS::Serverless::Function
         Properties: {Handler: a.b}
     """, "SAM generates `WorkerRole`, which the template already defines", 3),
])
def test_what_the_transform_rejects_is_an_input_error_at_its_place(tmp_path, body, message, line):
    path = template(tmp_path, body)
    with pytest.raises(InputError) as exc:
        load_cloudformation(path)
    assert exc.value.message == message
    assert exc.value.place.line == line and exc.value.place.file == path


def test_serverless_resources_need_the_transform_and_other_transforms_are_named(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Worker:\n    Type: AWS::Serverless::Function\n    Properties: {}\n")
    with pytest.raises(InputError, match="needs `Transform: AWS::Serverless-2016-10-31`") as exc:
        load_cloudformation(str(path))
    assert exc.value.place.line == 2
    path.write_text("Transform: [AcmeMacro, AWS::Serverless-2016-10-31]\nResources:\n"
                    "  Nested:\n    Type: AWS::Serverless::Application\n    Properties: {Location: x}\n")
    # What cannot be expanded is not read, and says where it is (docs/snapshot-format.md, `unread`)
    unread = {u["what"]: u for u in load_cloudformation(str(path)).snapshot["unread"]}
    assert unread["Transform AcmeMacro"]["why"].startswith("the transform `AcmeMacro` rewrites the template")
    assert (unread["Transform AcmeMacro"]["file"], unread["Transform AcmeMacro"]["line"]) == (str(path), 1)
    assert "nested application" in unread["Nested"]["why"] and unread["Nested"]["line"] == 3


# ---- the shipped copy of the transform's data ----

def test_policy_templates_touching_s3_are_the_documented_four_with_their_statements():
    import fnmatch

    from s3audit.sources.sam import sam_data
    data = sam_data()
    assert data["source"].startswith("aws-sam-translator ")
    templates = data["policy_templates"]
    assert len(templates) >= 80
    touching = sorted(name for name, t in templates.items()
                      for s in t["Definition"]["Statement"]
                      for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
                      if fnmatch.fnmatch("s3:getobject", a.lower()) or a.lower().startswith("s3"))
    assert sorted(set(touching)) == ["S3CrudPolicy", "S3FullAccessPolicy", "S3ReadPolicy", "S3WritePolicy"]
    assert templates["S3ReadPolicy"]["Parameters"] == ["BucketName"]
    assert templates["S3ReadPolicy"]["Definition"]["Statement"][0]["Action"] == S3_READ
    assert templates["S3CrudPolicy"]["Definition"]["Statement"][0]["Action"] == S3_CRUD
    assert data["managed_policies"]["AWSLambdaExecute"] == "arn:aws:iam::aws:policy/AWSLambdaExecute"
    assert data["managed_policies"]["AWSLambdaBasicExecutionRole"] == BASIC
