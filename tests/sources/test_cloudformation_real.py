"""CloudFormation as teams write it (issue 12): names known only at deploy time, AWS::LanguageExtensions, rule
functions, transforms s3audit cannot expand, SAM aliases, policies with a value only a deployment knows. Each
fixture is ours, modelled on the shapes that failed on public templates; each test asserts the findings and their
file:line through the command line, or the snapshot the reader makes.

Fn::Sub: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html
Return values of AWS::S3::Bucket (Ref = name, Arn):
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-s3-bucket.html#aws-resource-s3-bucket-return-values
IAM ARNs: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
Lambda ARNs: https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html
AWS::LanguageExtensions: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/transform-aws-languageextensions.html
Fn::ForEach: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-foreach.html
Rule functions: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
AWS::Include: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/transform-aws-include.html
Macros: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-macros.html
SAM AutoPublishAlias and `!Ref Function.Alias`:
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources-function.html
FSBP S3.5 (SSL only): https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-5
"""
from __future__ import annotations

import json

import pytest

from s3audit.cli import main
from s3audit.sources.iac import load_iac

from ..fixture_text import line_of
from .conftest import bucket, role, valid

CF = "fixtures/cloudformation"
ACCOUNT = "123456789012"


def load(name: str, **kw) -> dict:
    snap, _ = load_iac(cloudformation=[f"{CF}/{name}"], **kw)
    valid(snap)
    return snap


def check(path: str, capsys, *extra: str) -> tuple[int, list[dict]]:
    status = main(["check", "--cloudformation", path, "--format", "json", *extra])
    return status, json.loads(capsys.readouterr().out)["findings"]


def rules_on(findings: list[dict], subject: str) -> set[str]:
    return {f["rule"] for f in findings if f["subject"] == subject}


# ---- symbolic identity ---------------------------------------------------------------------------------------

def test_a_policy_naming_its_bucket_by_the_same_sub_expression_is_that_buckets_policy():
    s = load("symbolic-identity.yaml")
    data = bucket(s, "<DataBucket>")
    st = {x["Sid"]: x for x in data["Policy"]["Statement"]}
    assert st["DenyPlainHttp"]["Resource"] == ["arn:aws:s3:::<DataBucket>", "arn:aws:s3:::<DataBucket>/*"]
    assert st["DenyPlainHttp"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # !Ref and !GetAtt of a bucket CloudFormation names are that bucket too
    logs = bucket(s, "<LogsBucket>")
    assert logs["Policy"]["Statement"][0]["Resource"] == ["arn:aws:s3:::<LogsBucket>", "arn:aws:s3:::<LogsBucket>/*"]


def test_arns_aws_derives_from_a_name_are_computed_not_known_after_deploy():
    s = load("symbolic-identity.yaml", region="eu-west-1")
    st = {x["Sid"]: x for x in bucket(s, "<DataBucket>")["Policy"]["Statement"]}
    assert st["ReaderRole"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:role/acme-data-reader"}
    assert role(s, "acme-data-reader")["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/acme-data-reader"
    assert st["ExporterFunction"]["Condition"] == {
        "ArnEquals": {"aws:SourceArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:acme-exporter"}}


def test_without_a_region_only_the_condition_naming_the_function_is_unknown():
    s = load("symbolic-identity.yaml")
    st = {x["Sid"]: x for x in bucket(s, "<DataBucket>")["Policy"]["Statement"]}
    assert set(st) == {"DenyPlainHttp", "ReaderRole", "ExporterFunction"}
    assert list(st["ExporterFunction"]["Condition"]) == ["s3audit:Unknown"]
    assert "ReaderRole" not in json.dumps(st["ExporterFunction"]["Condition"])
    assert "Condition" not in st["ReaderRole"]


def test_tls_only_buckets_named_at_deploy_time_are_not_reported_open_to_plain_http(capsys):
    f = f"{CF}/symbolic-identity.yaml"
    status, findings = check(f, capsys)
    for name, line in (("<DataBucket>", line_of(f, "  DataBucket:")), ("<LogsBucket>", line_of(f, "  LogsBucket:"))):
        subject = f"arn:aws:s3:::{name}"
        assert not rules_on(findings, subject) & {"FSBP-S3.5", "CIS-2.1.1"}
        # the bucket is still judged, at its own line
        assert {"FSBP-S3.9", "FSBP-S3.14"} <= rules_on(findings, subject)
        assert {f["location"]["line"] for f in findings if f["subject"] == subject} == {line}
    assert status == 0


# ---- AWS::LanguageExtensions and rule functions -----------------------------------------------------------------

def test_for_each_makes_each_bucket_and_its_policy_at_the_loops_line(capsys):
    f = f"{CF}/language-extensions.yaml"
    s = load("language-extensions.yaml")
    for team in ("finance", "legal"):
        b = bucket(s, f"acme-{team}-records")
        (st,) = b["Policy"]["Statement"]
        assert st["Sid"] == "1" and st["Effect"] == "Deny"  # a Sid written as a number is its text
        assert st["Resource"] == [f"arn:aws:s3:::acme-{team}-records", f"arn:aws:s3:::acme-{team}-records/*"]
        # Fn::ToJsonString writes compact JSON; Fn::Length of the list parameter
        assert b["Tags"] == {"settings": json.dumps({"team": team, "teams": 2}, separators=(",", ":"))}
    status, findings = check(f, capsys)
    for team in ("finance", "legal"):
        subject = f"arn:aws:s3:::acme-{team}-records"
        assert "FSBP-S3.5" not in rules_on(findings, subject)
        assert {x["location"]["line"] for x in findings if x["subject"] == subject} == {
            line_of(f, '"${Team}Records":')}
    # the loop over a list known only at deploy time is not guessed: not read, at its line, and not a pass
    (unread,) = [x for x in findings if x["rule"] == "INPUT-not-read"]
    assert unread["subject"] == "Fn::ForEach::Archive" and unread["severity"] == "high"
    assert unread["location"] == {"file": f, "line": line_of(f, "Fn::ForEach::Archive:"), "column": 3}
    assert "`Archives`" in unread["message"]
    assert status == 1


def test_a_given_list_expands_the_loop_that_had_no_default():
    s = load("language-extensions.yaml", parameters={"Archives": "q1,q2"})
    names = {b["Name"] for b in s["accounts"][0]["s3"]["buckets"]}
    assert {"<q1Archive>", "<q2Archive>"} <= names
    assert not s.get("unread")


def test_rule_functions_are_read_in_rules_and_refused_elsewhere_at_their_place(tmp_path, capsys):
    load("language-extensions.yaml")  # its Rules use Fn::Contains and Fn::EachMemberIn: read, no error
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                    "      BucketName: !Contains [[a], a]\n")
    assert main(["check", "--cloudformation", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"s3audit: {path}:5:19: `Fn::Contains` is a rule function") and "\n" not in err


# ---- transforms s3audit does not expand -----------------------------------------------------------------------

def test_macros_includes_and_nested_applications_are_not_read_each_at_its_line(capsys):
    f = f"{CF}/transforms-unread.yaml"
    status, findings = check(f, capsys)
    unread = {x["subject"]: x["location"] for x in findings if x["rule"] == "INPUT-not-read"}
    assert unread == {
        "Transform AcmeTaggingMacro": {"file": f, "line": line_of(f, "Transform:"), "column": 1},
        "Fn::Transform AcmeDefaults": {"file": f, "line": line_of(f, "Fn::Transform:"), "column": 7},
        "Fn::Transform AWS::Include": {"file": f, "line": line_of(f, "Fn::Transform:", 2), "column": 3},
        "Thumbnails": {"file": f, "line": line_of(f, "  Thumbnails:"), "column": 3},
    }
    assert status == 1  # input not fully read is never a pass
    # the rest of the template is read: both buckets, the one beside the macro keeping its other properties
    assert rules_on(findings, "arn:aws:s3:::acme-reports") and rules_on(findings, "arn:aws:s3:::acme-shared")


# ---- SAM and values a deployment decides ----------------------------------------------------------------------

def test_ref_to_a_functions_alias_is_the_alias_arn():
    s = load("sam-alias-cloudfront.yaml", region="eu-west-1")
    (policy,) = role(s, "acme-ingest-scheduler")["RolePolicyList"]
    assert policy["PolicyDocument"]["Statement"][0]["Resource"] == \
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:acme-ingest:live"


def test_a_distribution_named_by_reference_leaves_the_rest_of_the_policy_decided(capsys):
    s = load("sam-alias-cloudfront.yaml")
    st = {x["Sid"]: x for x in bucket(s, "acme-cdn-origin")["Policy"]["Statement"]}
    assert "Distribution" in json.dumps(st["CloudFrontRead"]["Condition"]["s3audit:Unknown"])
    assert st["TlsOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": False}}
    f = f"{CF}/sam-alias-cloudfront.yaml"
    status, findings = check(f, capsys)
    on_origin = rules_on(findings, "arn:aws:s3:::acme-cdn-origin")
    assert not on_origin & {"FSBP-S3.5", "CIS-2.1.1", "FSBP-S3.6", "FSBP-S3.2", "FSBP-S3.3", "FSBP-S3.8"}
    assert "FSBP-S3.9" in on_origin
    # the bucket without a TLS-only policy is reported, at its line
    (plain,) = [x for x in findings if x["rule"] == "FSBP-S3.5"]
    assert plain["subject"] == "arn:aws:s3:::acme-landing"
    assert plain["location"]["line"] == line_of(f, "  Landing:")
    assert status == 0


@pytest.mark.parametrize("name", ["symbolic-identity.yaml", "language-extensions.yaml", "transforms-unread.yaml",
                                  "sam-alias-cloudfront.yaml"])
def test_every_finding_of_these_templates_has_a_file_and_line(name, capsys):
    f = f"{CF}/{name}"
    _, findings = check(f, capsys)
    located = [x for x in findings if x.get("location")]
    assert located and all(x["location"]["file"] == f and x["location"]["line"] >= 1 for x in located)


# ---- a template a macro rewrites ----------------------------------------------------------------------------

MACRO_TEMPLATE = """\
Transform: AcmeRoleBuilder
Resources:
  Worker:
    Type: AWS::IAM::Role
    Properties:
      Permissions: [s3-read]
  Archive:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: acme-archive
"""


def test_under_a_macro_what_is_invalid_as_written_is_not_read_and_the_rest_is(tmp_path, capsys):
    # The macro runs before CloudFormation reads the template (template-macros.html): a role without
    # AssumeRolePolicyDocument may be what the macro completes, so it is not read (at its properties), never
    # refused.
    path = tmp_path / "t.yaml"
    path.write_text(MACRO_TEMPLATE)
    status, findings = check(str(path), capsys)
    unread = {x["subject"]: x for x in findings if x["rule"] == "INPUT-not-read"}
    assert set(unread) == {"Transform AcmeRoleBuilder", "Worker"}
    assert unread["Worker"]["location"]["line"] == 6 and "AssumeRolePolicyDocument" in unread["Worker"]["message"]
    assert rules_on(findings, "arn:aws:s3:::acme-archive") and status == 1
    # without the macro the same role is refused at its place
    path.write_text(MACRO_TEMPLATE.replace("Transform: AcmeRoleBuilder\n", ""))
    assert main(["check", "--cloudformation", str(path)]) == 2
    assert "AssumeRolePolicyDocument" in capsys.readouterr().err


def test_a_template_only_its_macro_can_read_is_not_read(tmp_path, capsys):
    path = tmp_path / "t.yaml"
    path.write_text("Transform: AcmeShorthand\nResources:\n  - S3::Bucket data\n")
    status, findings = check(str(path), capsys)
    (unread,) = [x for x in findings if x["rule"] == "INPUT-not-read"]
    assert unread["subject"] == "Transform AcmeShorthand" and "Resources" in unread["message"]
    assert status == 1


# ---- a key written twice --------------------------------------------------------------------------------------

def test_a_key_written_twice_is_unknown_where_it_is_and_a_resource_written_twice_is_not_read(tmp_path, capsys):
    # CloudFormation deploys such templates (a public corpus has them in 10 of 497), but which value it keeps is
    # not documented: the value is unknown, never a guess
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Data:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: one\n"
                    "      BucketName: two\n  Twice:\n    Type: AWS::S3::Bucket\n  Twice:\n"
                    "    Type: AWS::IAM::Role\n")
    snap, _ = load_iac(cloudformation=[str(path)])
    assert [b["Name"] for b in snap["accounts"][0]["s3"]["buckets"]] == ["<Data>"]
    (unread,) = snap["unread"]
    assert (unread["what"], unread["line"]) == ("Twice", 9) and "lines 7 and 9" in unread["why"]
    status, findings = check(str(path), capsys)
    assert status == 1 and [x["subject"] for x in findings if x["rule"] == "INPUT-not-read"] == ["Twice"]
