"""replace() with a regular expression in a Terraform configuration: evaluated as Terraform evaluates it (Go's
RE2, https://developer.hashicorp.com/terraform/language/functions/replace), never hanging on a pattern that makes
a backtracking engine hang, and an invalid pattern is bad input at the call's file:line:column (exit 2), as
`terraform plan` refuses it, unless try()/can() takes the error as Terraform's do
(https://developer.hashicorp.com/terraform/language/functions/can)."""
from __future__ import annotations

import time

import pytest

from s3audit.errors import InputError
from s3audit.sources.terraform import load_terraform_dir

from .conftest import bucket


def _tf(tmp_path, text: str) -> dict:
    (tmp_path / "main.tf").write_text(text)
    return load_terraform_dir(str(tmp_path)).snapshot


def test_a_bucket_name_made_by_a_regular_expression_is_known(tmp_path):
    snap = _tf(tmp_path, 'locals {\n  raw = "Data_Bucket.Prod"\n}\n'
                         'resource "aws_s3_bucket" "b" {\n'
                         '  bucket = lower(replace(local.raw, "/[^A-Za-z0-9-]+/", "-"))\n}\n')
    assert bucket(snap, "data-bucket-prod")["Name"] == "data-bucket-prod"


def test_groups_in_the_replacement(tmp_path):
    snap = _tf(tmp_path, 'resource "aws_s3_bucket" "b" {\n'
                         '  bucket = replace("prod/app-logs", "/^(\\\\w+)/(.*)$/", "$2-$${1}")\n}\n')
    assert bucket(snap, "app-logs-prod")  # HCL reads $${ as ${, which Go's Expand reads as group 1
    snap = _tf(tmp_path, 'resource "aws_s3_bucket" "b" {\n'
                         '  bucket = replace("prod/app-logs", "/^(?P<env>\\\\w+)/(.*)$/", "$2-$${env}")\n}\n')
    assert bucket(snap, "app-logs-prod")


def test_an_invalid_pattern_is_bad_input_at_the_call(tmp_path):
    with pytest.raises(InputError) as e:
        _tf(tmp_path, 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n'
                      'resource "aws_s3_bucket" "c" {\n  bucket = replace("my-bucket", "/(a|b/", "x")\n}\n')
    assert (e.value.place.file.endswith("main.tf"), e.value.place.line, e.value.place.column) == (True, 5, 12)
    assert "invalid regular expression: missing closing )" in str(e.value)


def test_can_and_try_take_an_invalid_pattern_as_terraform_does(tmp_path):
    snap = _tf(tmp_path, 'resource "aws_s3_bucket" "b" {\n'
                         '  bucket = try(replace("a", "/(/", "b"), "fallback-${can(replace("a", "/(/", "b"))}")\n}\n')
    assert bucket(snap, "fallback-false")


def test_a_catastrophic_pattern_does_not_hang(tmp_path):
    start = time.process_time()
    snap = _tf(tmp_path, 'locals {\n  s = join("", [for i in range(20000) : "a"])\n}\n'
                         'resource "aws_s3_bucket" "b" {\n  bucket = "acme"\n'
                         '  tags = { t = replace(local.s, "/(a*)*b/", "x") }\n}\n')
    assert bucket(snap, "acme")["Tags"] == {"t": "a" * 20000}
    assert time.process_time() - start < 30


def test_a_pattern_past_the_step_budget_is_unknown_not_a_hang(tmp_path):
    snap = _tf(tmp_path, 'locals {\n  s = join("", [for i in range(200000) : "a"])\n}\n'
                         'resource "aws_s3_bucket" "b" {\n  bucket = "acme"\n'
                         '  tags = { t = replace(local.s, "/(a?){300}b/", "x") }\n}\n')
    b = bucket(snap, "acme")
    assert "Tags" not in b and "too many steps" in b["Errors"]["GetBucketTagging"]


def test_regex_and_regexall_give_what_terraform_documents(tmp_path):
    """https://developer.hashicorp.com/terraform/language/functions/regex and .../regexall: no group -> the
    match; unnamed groups -> a list; named groups -> an object; regexall -> one such value per match."""
    snap = _tf(tmp_path, 'locals {\n  arn = "arn:aws:s3:::acme-logs"\n}\n'
                         'resource "aws_s3_bucket" "b" {\n  bucket = regex("[a-z-]+$", local.arn)\n'
                         '  tags = {\n    unnamed = join("/", regex("^arn:(\\\\w+):(s3)", local.arn))\n'
                         '    named   = regex("^arn:(?P<partition>\\\\w+):", local.arn).partition\n'
                         '    all     = length(regexall("a", local.arn))\n'
                         '    none    = length(regexall("z", local.arn))\n  }\n}\n')
    assert bucket(snap, "acme-logs")["Tags"] == {"unnamed": "aws/s3", "named": "aws", "all": "3", "none": "0"}


def test_regex_without_a_match_is_an_error_try_can_take(tmp_path):
    snap = _tf(tmp_path, 'resource "aws_s3_bucket" "b" {\n  bucket = try(regex("^z", "abc"), "no-match")\n}\n')
    assert bucket(snap, "no-match")
