"""The escalation catalogue as one Terraform directory (fixtures/escalation/terraform, generated from
catalogue.py by fixtures/escalation/build.py), checked through ``s3audit paths --terraform``: every technique's
attacker reaches the vault, no negative twin does. And ``paths``/``explain`` read IaC as ``check`` does
(``--terraform``, ``--terraform-plan``, ``--cloudformation``, with or without ``--live``): who could reach a bucket
if the change lands.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from s3audit.cli import main

from .catalogue import VAULT, attackers

ROOT = Path(__file__).resolve().parents[2]
DIR = "fixtures/escalation/terraform"
A = "123456789012"  # the account IaC stands for when none is given (docs/iac.md, "Account and region")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([*map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_the_directory_is_the_catalogue():
    spec = importlib.util.spec_from_file_location("escalation_build", ROOT / "fixtures" / "escalation" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert (ROOT / DIR / "main.tf").read_text() == build.main_tf(), "run fixtures/escalation/build.py"


def test_paths_through_the_terraform_directory(capsys):
    code, out, err = run(capsys, "paths", "--terraform", DIR, "--to", VAULT, "--access", "read", "--format", "json")
    assert code == 0, err
    found = {p["principal"].rsplit("/", 1)[-1]: p for p in json.loads(out)["paths"]}
    who = attackers()
    assert {x.user for x in who if x.twin is None} <= set(found)
    assert not {x.user for x in who if x.twin is not None} & set(found)
    # what a change cannot show stays conditional: SSM's inventory, EC2 Instance Connect's network path, and
    # the versions of a policy other than the one the change writes
    conditional = {u for u, p in found.items() if u.startswith("t-") and p["decision"] == "conditional"}
    assert conditional == {"t-ssm-send-command", "t-ssm-start-session", "t-ec2-instance-connect",
                           "t-iam-set-default-policy-version"}
    hop = found["t-lambda-update-function-code"]["hops"][0]
    assert (hop["kind"], hop["to"], hop["actions"]) == ("act-as", f"arn:aws:iam::{A}:role/privileged",
                                                         ["lambda:UpdateFunctionCode"])


def test_paths_of_a_change_over_the_live_estate(capsys, tmp_path):
    """A live account whose only path to the bucket is a group; the change adds a Lambda function that runs as a
    role that reads it, and a user who may update its code."""
    live = {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T02:00:00Z", "source": {"kind": "aws"},
            "accounts": [{"id": A, "iam": {}, "s3": {"buckets": [{"Name": "ledger", "Region": "us-east-1"}]},
                          "lambda": {"functions": []}}]}
    (tmp_path / "live.json").write_text(json.dumps(live))
    change = tmp_path / "change"
    change.mkdir()
    (change / "main.tf").write_text('''
provider "aws" { region = "us-east-1" }
resource "aws_iam_role" "reader" {
  name = "reader"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "sts:AssumeRole",
    Principal = {Service = "lambda.amazonaws.com"}}]})
  inline_policy {
    name = "read"
    policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "s3:GetObject",
      Resource = "arn:aws:s3:::ledger/*"}]})
  }
}
resource "aws_lambda_function" "export" {
  function_name = "export"
  role = aws_iam_role.reader.arn
}
resource "aws_iam_user" "dev" { name = "dev" }
resource "aws_iam_user_policy" "dev" {
  user = aws_iam_user.dev.name
  name = "deploy"
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "lambda:UpdateFunctionCode",
    Resource = aws_lambda_function.export.arn}]})
}
''')
    code, out, err = run(capsys, "paths", "--terraform", change, "--live", tmp_path / "live.json", "--to", "ledger",
                         "--access", "read", "--format", "json")
    assert code == 0, err
    paths = {p["principal"]: p for p in json.loads(out)["paths"]}
    dev = paths[f"arn:aws:iam::{A}:user/dev"]
    assert [h["kind"] for h in dev["hops"]] == ["act-as", "access"] and dev["decision"] == "allow"
    # the same with the live snapshot given as the argument, as check takes it
    code, out2, err = run(capsys, "paths", tmp_path / "live.json", "--terraform", change, "--to", "ledger",
                          "--access", "read", "--format", "json")
    assert code == 0 and json.loads(out2) == json.loads(out)


def test_explain_a_request_of_the_change(capsys):
    code, out, err = run(capsys, "explain", "--terraform", DIR, "--principal",
                         f"arn:aws:iam::{A}:user/t-lambda-update-function-code", "--action",
                         "lambda:UpdateFunctionCode", "--resource",
                         f"arn:aws:lambda:us-east-1:{A}:function:privileged-fn", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["decision"] == "allow"


def test_paths_of_a_cloudformation_template(capsys):
    code, out, err = run(capsys, "paths", "--cloudformation", "fixtures/compute/cloudformation.yaml", "--region",
                         "eu-west-1", "--from", f"arn:aws:iam::{A}:role/worker", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["paths"] == []  # the worker role reads no bucket the template declares


@pytest.mark.parametrize("argv, message", [
    (["paths", "--to", VAULT], "give a snapshot, or IaC"),
    (["paths", "--live", "x.json", "--to", VAULT], "--live needs a change"),
    (["paths", "s.json", "--live", "x.json", "--terraform", DIR, "--to", VAULT], "give the live estate once"),
    (["explain", "--principal", "p", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b"],
     "give a snapshot, or IaC"),
    # a run over nothing must not pass: inputs are checked as check checks them
    (["paths", "--terraform", "no-such-directory", "--to", VAULT], "no such directory"),
    (["paths", "--terraform", DIR, "--to", VAULT, "--cut"], "--cut proves its removals on a snapshot"),
    (["explain", "--terraform", DIR, "--live", "no-such.json", "--principal", "p", "--action", "s3:GetObject",
      "--resource", "arn:aws:s3:::b"], "no such file"),
])
def test_usage_errors(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err
