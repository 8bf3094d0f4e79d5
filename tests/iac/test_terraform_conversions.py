"""Terraform's own conversions and syntax, read as Terraform reads them (fixtures/terraform/conversions, which
`terraform validate` 1.11 accepts).

- a value given to an argument is converted to the argument's type: "true"/"false" to bool, "365" to a number,
  a number to a string; what does not convert is an error of the configuration
  (https://developer.hashicorp.com/terraform/language/expressions/type-constraints#conversion-of-primitive-types);
- object and tuple type constraints, with `optional(type, default)` attributes
  (https://developer.hashicorp.com/terraform/language/expressions/type-constraints#optional-object-type-attributes);
- a heredoc's end marker may be followed by spaces
  (https://developer.hashicorp.com/terraform/language/expressions/strings#heredoc-strings);
- module calls may take each other's outputs: Terraform evaluates each module variable and output on its own
  (https://developer.hashicorp.com/terraform/language/modules/syntax#accessing-module-output-values).
"""
from __future__ import annotations

import json

from s3audit.sources.terraform import load_terraform_dir, load_terraform_plan

from .conftest import bucket, check, found, pointer_of, where
from ..fixture_text import line_of

D = "fixtures/terraform/conversions"
MAIN = f"{D}/main.tf"
LEDGER = "arn:aws:s3:::acme-ledger-archive"


def test_strings_given_to_bool_and_number_arguments_are_converted(at_root):
    b = bucket(load_terraform_dir(D).snapshot, "acme-ledger-archive")
    assert b["PublicAccessBlock"] == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                                      "RestrictPublicBuckets": False}
    assert b["Lifecycle"]["Rules"][0]["Expiration"] == {"Days": 365}
    assert b["Tags"] == {"owner": "finance", "cost-class": "42"}  # tuple([string, number]), then map(string)


def test_object_type_defaults_fill_the_optional_attributes(at_root):
    b = bucket(load_terraform_dir(D).snapshot, "acme-ledger-archive")
    assert b["Versioning"] == {"Status": "Enabled"}  # optional(bool, true)


def test_a_heredoc_whose_end_marker_is_followed_by_spaces_is_read(at_root):
    s = load_terraform_dir(D).snapshot
    statement = bucket(s, "acme-ledger-archive")["Policy"]["Statement"][0]
    assert statement["Sid"] == "DenyPlainHttp" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    p = pointer_of(s, "buckets", "acme-ledger-archive", "Policy", "Statement", 0)
    assert where(s, p)[:2] == (MAIN, line_of(MAIN, '"Sid": "DenyPlainHttp"') - 1)


def test_modules_taking_each_others_outputs_are_read(at_root):
    s = load_terraform_dir(D).snapshot
    assert bucket(s, "acme-ledger-logs-a")["Logging"]["LoggingEnabled"]["TargetBucket"] == "acme-ledger-logs-b"
    assert bucket(s, "acme-ledger-logs-b")["Logging"]["LoggingEnabled"]["TargetBucket"] == "acme-ledger-logs-a"
    assert "errors" not in s["accounts"][0] and "unread" not in s


def test_check_judges_the_converted_values(at_root):
    status, findings, err = check("check", "--terraform", D)
    assert err == ""
    # the TLS deny of the heredoc counts; RestrictPublicBuckets "false" is off
    assert found(findings, "FSBP-S3.5", LEDGER) == [] and found(findings, "CIS-2.1.1", LEDGER) == []
    assert found(findings, "FSBP-S3.8", LEDGER) == [(MAIN, line_of(MAIN, 'resource "aws_s3_bucket" "ledger"'), 1)]
    assert found(findings, "FSBP-S3.13", LEDGER) == []


def test_a_value_terraform_would_refuse_is_an_error_at_its_argument(tmp_path, cli):
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket_public_access_block" "b" {\n'
                                      '  bucket            = "acme-x"\n'
                                      '  block_public_acls = 1\n'
                                      '}\n')
    status, out, err = cli("check", "--terraform", tmp_path)
    assert status == 2
    assert err.strip() == f"s3audit: {tmp_path}/main.tf:3:3: `block_public_acls`: a bool is required (found the number 1)"


def test_a_wrongly_typed_plan_value_is_an_error_at_its_pointer_in_the_plan(tmp_path, cli):
    plan = {"format_version": "1.2", "resource_changes": [
        {"address": "aws_s3_bucket_versioning.v", "mode": "managed", "type": "aws_s3_bucket_versioning", "name": "v",
         "change": {"actions": ["create"], "before": None, "after": {
             "bucket": "acme-x", "versioning_configuration": [{"status": ["Enabled"]}]}, "after_unknown": {}}}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    status, out, err = cli("check", "--terraform-plan", tmp_path / "plan.json")
    assert status == 2
    assert err.strip() == (f"s3audit: {tmp_path}/plan.json: at /resource_changes/0/change/after/"
                           "versioning_configuration/0/status: `status`: a string is required (found a list)")


def test_plan_values_are_converted_too(tmp_path):
    plan = {"format_version": "1.2", "resource_changes": [
        {"address": "aws_s3_bucket_public_access_block.b", "mode": "managed",
         "type": "aws_s3_bucket_public_access_block", "name": "b",
         "change": {"actions": ["create"], "before": None, "after": {
             "bucket": "acme-x", "block_public_acls": "true", "ignore_public_acls": True,
             "block_public_policy": "false", "restrict_public_buckets": True}, "after_unknown": {}}}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    s = load_terraform_plan(str(tmp_path / "plan.json")).snapshot
    assert bucket(s, "acme-x")["PublicAccessBlock"]["BlockPublicAcls"] is True
    assert bucket(s, "acme-x")["PublicAccessBlock"]["BlockPublicPolicy"] is False
