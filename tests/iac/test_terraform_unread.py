"""Terraform input that cannot be read is a finding of its own (INPUT-not-read), at the block that declares it,
and the rest of the configuration is still read.

What cannot be read: a module call whose registry or git source `terraform init` has not downloaded (Terraform
looks modules up in `.terraform/modules/modules.json`, https://developer.hashicorp.com/terraform/cli/commands/init#child-module-installation),
a module that calls a module above it (a cycle), and a local value that depends on itself (Terraform refuses
dependency cycles: https://developer.hashicorp.com/terraform/language/values/locals).
"""
from __future__ import annotations

from s3audit.sources.terraform import load_terraform_dir

from .conftest import bucket, check, found
from ..fixture_text import line_of

D = "fixtures/terraform/unread-modules"
MAIN = f"{D}/main.tf"
MIRROR = f"{D}/modules/mirror/main.tf"


def test_each_module_or_local_that_cannot_be_read_is_named_at_its_block(at_root):
    s = load_terraform_dir(D).snapshot
    got = {(u["what"], u["file"], u["line"]) for u in s["unread"]}
    assert got == {
        ("module.landing_zone", MAIN, line_of(MAIN, 'module "landing_zone"')),
        ("module.shared_exports", MAIN, line_of(MAIN, 'module "shared_exports"')),
        ("module.mirror.module.reflection", MIRROR, line_of(MIRROR, 'module "reflection"')),
        ("local.bucket_suffix", MAIN, line_of(MAIN, "bucket_suffix =")),
    }
    why = {u["what"]: u["why"] for u in s["unread"]}
    assert "was not downloaded (run `terraform init`)" in why["module.landing_zone"]
    assert "git::https://git.example.com/platform/terraform-modules.git" in why["module.shared_exports"]
    assert "cycle" in why["module.mirror.module.reflection"]
    assert "`local.bucket_suffix` -> `local.environment` -> `local.bucket_suffix`" in why["local.bucket_suffix"]


def test_the_rest_of_the_configuration_is_read(at_root):
    s = load_terraform_dir(D).snapshot
    # the downloaded registry module (modules.json), the module that holds the cycle, and the root's own bucket
    assert bucket(s, "acme-audit-logs")["PublicAccessBlock"]["RestrictPublicBuckets"] is True
    assert bucket(s, "acme-mirror")["Name"] == "acme-mirror"
    assert bucket(s, "acme-reports")["Versioning"] == {"Status": "Enabled"}
    assert not any(k.startswith("terraform:") for k in s["accounts"][0].get("errors", {}))


def test_check_fails_on_what_it_could_not_read_and_says_where(at_root):
    status, findings, err = check("check", "--terraform", D)
    assert status == 1
    assert found(findings, "INPUT-not-read") == sorted([
        (MAIN, line_of(MAIN, 'module "landing_zone"'), 1), (MAIN, line_of(MAIN, 'module "shared_exports"'), 1),
        (MIRROR, line_of(MIRROR, 'module "reflection"'), 1), (MAIN, line_of(MAIN, "bucket_suffix ="), 3)])
    assert all(f["severity"] == "high" for f in findings if f["rule"] == "INPUT-not-read")
    # the buckets it did read are checked as usual
    assert found(findings, "FSBP-S3.14", "arn:aws:s3:::acme-audit-logs") == [
        (f"{D}/.terraform/modules/audit_logs/main.tf", 5, 1)]


def test_a_local_module_directory_that_does_not_exist_is_not_read(tmp_path):
    (tmp_path / "main.tf").write_text('module "gone" {\n  source = "./nowhere"\n}\n\n'
                                      'resource "aws_s3_bucket" "kept" {\n  bucket = "acme-kept"\n}\n')
    s = load_terraform_dir(str(tmp_path)).snapshot
    assert [(u["what"], u["line"]) for u in s["unread"]] == [("module.gone", 1)]
    assert "not a directory" in s["unread"][0]["why"]
    assert bucket(s, "acme-kept")["Name"] == "acme-kept"


# -- no silent pass: a Terraform input that names nothing to read is exit 2 (issue 11, item 2) --------------

def test_a_missing_or_empty_configuration_is_exit_2_not_a_pass(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("no configuration here\n")
    cases = {
        ("--terraform", str(tmp_path / "nope")): "no such",
        ("--terraform", str(tmp_path / "nope" / "main.tf")): "no such",  # not its parent directory read
        ("--terraform", str(tmp_path / "empty")): "no Terraform configuration here",
        ("--terraform", str(tmp_path / "docs")): "no Terraform configuration here",
    }
    for argv, message in cases.items():
        status, findings, err = check("check", *argv)
        assert status == 2 and findings == [], argv
        assert f"{argv[1]}: " in err and message in err and "Traceback" not in err, (argv, err)


def test_a_named_configuration_directory_of_a_plan_must_be_there(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text('{"format_version": "1.2", "planned_values": {"root_module": {}}}')
    status, _, err = check("check", "--terraform-plan", str(plan), "--terraform-dir", str(tmp_path / "nope"))
    assert status == 2 and f"{tmp_path / 'nope'}: no such directory" in err and "Traceback" not in err
    (tmp_path / "empty").mkdir()
    status, _, err = check("check", "--terraform-plan", str(plan), "--terraform-dir", str(tmp_path / "empty"))
    assert status == 2 and "no Terraform configuration here" in err


def test_a_null_condition_value_is_refused_at_its_place_in_the_configuration(tmp_path):
    """A variable whose value is null written into a policy condition: IAM refuses the document
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html: a condition value is a
    string, number or boolean); the error is at the statement's line, not at a pointer into the snapshot."""
    (tmp_path / "main.tf").write_text(
        'variable "external_id" {\n  type    = string\n  default = null\n}\n'
        'resource "aws_iam_role" "partner" {\n  name = "partner"\n  assume_role_policy = jsonencode({\n'
        '    Version = "2012-10-17"\n    Statement = [{\n      Effect    = "Allow"\n'
        '      Principal = { AWS = "arn:aws:iam::210987654321:root" }\n      Action    = "sts:AssumeRole"\n'
        '      Condition = { StringEquals = { "sts:ExternalId" = var.external_id } }\n    }]\n  })\n}\n')
    status, _, err = check("check", "--terraform", str(tmp_path))
    assert status == 2 and f"{tmp_path / 'main.tf'}:9:" in err and "not null" in err and "/accounts/" not in err
