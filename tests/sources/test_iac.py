"""The check command's entry point: classifying inputs, combining them, and the pre-commit hook."""
from __future__ import annotations

import os

import pytest
import yaml

from s3audit.errors import InputError
from s3audit.sources.iac import classify, load_iac, looks_like_iac

from .conftest import bucket, valid


def test_classify_by_content():
    assert classify("fixtures/terraform/modules") == "terraform"
    assert classify("fixtures/terraform/modules/main.tf") == "terraform"
    assert classify("fixtures/terraform-plans/modules.json") == "terraform-plan"
    assert classify("fixtures/cloudformation/json-template.json") == "cloudformation"
    assert classify("fixtures/cloudformation/private-bucket.yaml") == "cloudformation"


def test_looks_like_iac_skips_other_json_and_yaml(tmp_path):
    (tmp_path / "package.json").write_text('{"name": "x", "version": "1.0.0"}')
    (tmp_path / "ci.yaml").write_text("jobs:\n  test:\n    runs-on: ubuntu-latest\n")
    assert not looks_like_iac(str(tmp_path / "package.json"))
    assert not looks_like_iac(str(tmp_path / "ci.yaml"))
    for path in ("fixtures/cloudformation/public-policy.yaml", "fixtures/cloudformation/website-public.json",
                 "fixtures/terraform-plans/organizations.json", "fixtures/terraform/modules/main.tf"):
        assert looks_like_iac(path), path


def test_several_tf_files_of_one_directory_are_read_once():
    snap, _ = load_iac(["fixtures/terraform/modules/main.tf", "fixtures/terraform/modules/main.tf",
                        "fixtures/terraform/modules"])
    valid(snap)
    assert [b["Name"] for b in snap["accounts"][0]["s3"]["buckets"]] == ["acme-raw-events", "acme-curated-events"]


def test_mixed_inputs_combine_into_one_account():
    snap, locations = load_iac(["fixtures/terraform/v4-public-policy", "fixtures/cloudformation/public-policy.yaml"])
    valid(snap)
    assert len(snap["accounts"]) == 1
    assert bucket(snap, "acme-public-assets") and bucket(snap, "acme-static-assets")
    assert {v["file"].split("/")[1] for v in locations.values()} == {"terraform", "cloudformation"}


def test_no_inputs_is_an_input_error():
    with pytest.raises(InputError, match="no Terraform configuration"):
        load_iac([])


def test_pre_commit_hook_definition():
    with open(".pre-commit-hooks.yaml", encoding="utf-8") as fh:
        hooks = yaml.safe_load(fh)
    (hook,) = hooks
    assert hook["id"] == "s3audit-check"
    # staged JSON and YAML files that are no IaC are skipped there (given on the command line, they are errors)
    assert hook["entry"] == "s3audit check --format text --skip-unrecognized"
    import re
    pattern = re.compile(hook["files"])
    for name in ("main.tf", "template.yaml", "stack.yml", "plan.json", "x.template", "terraform.tfvars"):
        assert pattern.search(name), name
    assert not pattern.search("README.md")


def test_reading_a_small_template_does_not_import_the_terraform_reader_or_boto3():
    import subprocess
    import sys
    code = ("import sys; sys.path.insert(0, '.')\nfrom s3audit.sources.iac import load_iac\n"
            "load_iac(cloudformation=['fixtures/cloudformation/private-bucket.yaml'])\n"
            "bad = [m for m in ('boto3', 'lark', 'hcl2', 's3audit.sources.terraform', 'jsonschema') if m in sys.modules]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.getcwd())
