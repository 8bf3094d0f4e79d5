"""Override files (override.tf, *_override.tf, and their .tf.json forms) merged as Terraform merges them.

Spec: Override Files, https://developer.hashicorp.com/terraform/language/files/override (merging behavior:
https://developer.hashicorp.com/terraform/language/files/override#merging-behavior); JSON syntax:
https://developer.hashicorp.com/terraform/language/syntax/json. A missed override is a missed access path:
these tests pin that what an override opens is in the snapshot, and that findings about it point at the
override file.
"""
from __future__ import annotations

import json
import shutil

import pytest

from s3audit.errors import InputError
from s3audit.sources.terraform import DirLoader, load_terraform_dir, read_module

from .conftest import bucket, check, found, pointer_of, pos, role, valid, where, write

pytestmark = pytest.mark.usefixtures("at_root")
TF = "fixtures/terraform"
LIVE = "fixtures/overlay/live-pci.json"


def load(path: str, **kw) -> dict:
    from s3audit.sources.iac import load_iac
    snap, _ = load_iac(terraform=[path], **kw)
    valid(snap)
    return snap


# --- (c) an override.tf opens a private bucket -------------------------------------------------------------

def test_override_turns_block_public_access_off_and_widens_the_policy():
    s = load(f"{TF}/override-hcl")
    main, over = f"{TF}/override-hcl/main.tf", f"{TF}/override-hcl/override.tf"
    b = bucket(s, "acme-ledger-exports")
    # the two arguments the override sets replace the original ones; the other two stay
    assert b["PublicAccessBlock"] == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                      "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    assert b["Policy"]["Statement"] == [{"Sid": "EveryoneRead", "Effect": "Allow", "Principal": "*",
                                         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-ledger-exports/*"}]
    assert b["Versioning"] == {"Status": "Enabled"} and b["Tags"] == {"data-class": "confidential"}
    p = pointer_of(s, "buckets", "acme-ledger-exports")
    assert where(s, p) == (main, *pos(main, 'resource "aws_s3_bucket" "ledger"'))
    # what the override changed is placed in the override file
    assert where(s, p + "/PublicAccessBlock") == (over, *pos(over, "block_public_policy"))
    assert where(s, p + "/Policy") == (over, *pos(over, "policy = jsonencode"))
    line, col = pos(over, 'Sid       = "EveryoneRead"')
    assert where(s, p + "/Policy/Statement/0") == (over, line - 1, col - 2)
    assert where(s, p + "/Versioning") == (main, *pos(main, 'resource "aws_s3_bucket_versioning"'))


def test_findings_caused_by_the_override(tmp_path):
    status, findings, _ = check("check", "--terraform", f"{TF}/override-hcl")
    main, over = f"{TF}/override-hcl/main.tf", f"{TF}/override-hcl/override.tf"
    assert status == 1
    line, col = pos(over, 'Sid       = "EveryoneRead"')
    assert found(findings, "HYG-public-principal") == [(over, line - 1, col - 2)]
    # bucket-level findings are placed at the bucket's declaration, which main.tf holds
    decl = (main, *pos(main, 'resource "aws_s3_bucket" "ledger"'))
    # public unless the account blocks public access, which the input does not say: unknown, at the bucket
    assert found(findings, "FSBP-S3.2", status="unknown") == [decl] and found(findings, "FSBP-S3.8") == [decl]
    # without the override file the same bucket is private: the override is what opens it
    shutil.copy(main, tmp_path / "main.tf")
    _, alone, _ = check("check", "--terraform", str(tmp_path))
    assert not [f for f in alone if f["rule"] in ("FSBP-S3.2", "FSBP-S3.8", "HYG-public-principal")]


# --- (d) a generated _override.tf.json adds an outside account to a trust policy ---------------------------

def test_json_override_of_a_variable_a_local_and_a_resource():
    s = load(f"{TF}/override-json")
    over = f"{TF}/override-json/trust_override.tf.json"
    r = role(s, "etl")
    glue, vendor = r["AssumeRolePolicyDocument"]["Statement"]
    assert glue["Principal"] == {"Service": "glue.amazonaws.com"}
    # the local is replaced by the override's; the variable's default too (123456789012 -> 999999999999)
    assert vendor == {"Sid": "Vendor", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                      "Action": "sts:AssumeRole"}
    assert r["Tags"] == [{"Key": "owner", "Value": "data-platform"}]  # an argument the original did not have
    assert r["RolePolicyList"][0]["PolicyName"] == "read-cardholder"  # untouched
    p = pointer_of(s, "roles", "etl")
    line, col = pos(over, '"Sid": "Vendor"')
    assert where(s, p + "/AssumeRolePolicyDocument/Statement/1") == (over, line - 1, col - 2)


def test_overlay_on_the_live_estate_points_at_the_override(tmp_path):
    """Issue 7's overlay with the change in an override file: the vendor's new path to the PCI bucket is
    reported on the override's statement, though neither the bucket nor the role's original is there."""
    status, findings, _ = check("check", "--live", LIVE, "--terraform", f"{TF}/override-json")
    over = f"{TF}/override-json/trust_override.tf.json"
    line, col = pos(over, '"Sid": "Vendor"')
    assert status == 1
    assert found(findings, "PCI-7.2.1", "arn:aws:s3:::payments-cardholder-data") == [(over, line - 1, col - 2)]
    # the same directory without its override file changes nothing the live estate does not have
    shutil.copy(f"{TF}/override-json/main.tf", tmp_path / "main.tf")
    status, alone, _ = check("check", "--live", LIVE, "--terraform", str(tmp_path))
    assert not found(alone, "PCI-7.2.1")


# --- merging, rule by rule -------------------------------------------------------------------------------------

BUCKET = 'provider "aws" {\n  region = "us-east-1"\n}\nresource "aws_s3_bucket" "b" {\n  bucket = "acme-b"\n}\n'


def statement(sid: str, principal: str) -> str:
    return (f'  statement {{\n    sid = "{sid}"\n    actions = ["s3:GetObject"]\n    resources = ["arn:aws:s3:::acme-b/*"]\n'
            f'    principals {{\n      type = "AWS"\n      identifiers = ["{principal}"]\n    }}\n  }}\n')


POLICY = ('resource "aws_s3_bucket_policy" "b" {\n  bucket = aws_s3_bucket.b.id\n'
          '  policy = data.aws_iam_policy_document.p.json\n}\n')


def sids(s: dict) -> list[str]:
    return [x["Sid"] for x in bucket(s, "acme-b")["Policy"]["Statement"]]


def test_nested_blocks_of_a_type_replace_all_the_originals(tmp_path):
    d = write(tmp_path, {
        "main.tf": BUCKET + POLICY + 'data "aws_iam_policy_document" "p" {\n' + statement("A", "arn:aws:iam::111111111111:root")
        + statement("B", "arn:aws:iam::222222222222:root") + "}\n",
        "override.tf": 'data "aws_iam_policy_document" "p" {\n' + statement("C", "*") + "}\n",
    })
    s = load(d)
    assert sids(s) == ["C"]
    assert where(s, pointer_of(s, "buckets", "acme-b", "Policy", "Statement", 0)) == (f"{d}/override.tf", 2, 3)


@pytest.mark.parametrize("original, override, expected", [
    # a static block in the override replaces `dynamic` blocks of its type, and the other way round
    ('dynamic "statement" {\n  for_each = ["X", "Y"]\n  content {\n    sid = statement.value\n'
     '    actions = ["s3:GetObject"]\n    resources = ["*"]\n  }\n}\n', statement("S", "*"), ["S"]),
    (statement("S", "*"), '{"dynamic": {"statement": {"for_each": ["X", "Y"], "content": {'
     '"sid": "${statement.value}", "actions": ["s3:GetObject"], "resources": ["*"]}}}}', ["X", "Y"]),
])
def test_dynamic_blocks_count_as_blocks_of_their_type(tmp_path, original, override, expected):
    files = {"main.tf": BUCKET + POLICY + 'data "aws_iam_policy_document" "p" {\n' + original + "}\n"}
    if override.startswith("{"):
        files["override.tf.json"] = json.dumps({"data": {"aws_iam_policy_document": {"p": json.loads(override)}}})
    else:
        files["override.tf"] = 'data "aws_iam_policy_document" "p" {\n' + override + "}\n"
    assert sids(load(write(tmp_path, files))) == expected


def test_block_types_the_override_does_not_name_stay(tmp_path):
    d = write(tmp_path, {
        "main.tf": BUCKET.replace('  bucket = "acme-b"\n', '  bucket = "acme-b"\n  versioning {\n    enabled = true\n  }\n'
                                  '  logging {\n    target_bucket = "old-logs"\n  }\n'),
        "override.tf.json": json.dumps({"resource": {"aws_s3_bucket": {"b": {"logging": {"target_bucket": "new-logs"}}}}}),
    })
    s = load(d)
    b = bucket(s, "acme-b")
    assert b["Versioning"] == {"Status": "Enabled"}
    assert b["Logging"] == {"LoggingEnabled": {"TargetBucket": "new-logs"}}
    assert where(s, pointer_of(s, "buckets", "acme-b", "Logging")) == (f"{d}/override.tf.json",
                                                                      *pos(f"{d}/override.tf.json", '"logging"'))


def test_lifecycle_merges_argument_by_argument(tmp_path):
    d = write(tmp_path, {
        "main.tf": BUCKET.replace('  bucket = "acme-b"\n', '  bucket = "acme-b"\n  lifecycle {\n    prevent_destroy = true\n  }\n'),
        "override.tf": 'resource "aws_s3_bucket" "b" {\n  lifecycle {\n    create_before_destroy = true\n  }\n}\n',
    })
    from pathlib import Path
    cfg = read_module(Path(d), d, ".")
    (lc,) = cfg.resources["aws_s3_bucket.b"].children("lifecycle")
    assert set(lc.attrs) == {"prevent_destroy", "create_before_destroy"}
    assert lc.attrs["create_before_destroy"].loc.file == f"{d}/override.tf"


def test_later_override_files_win_by_name(tmp_path):
    d = write(tmp_path, {
        "main.tf": BUCKET + POLICY + 'data "aws_iam_policy_document" "p" {\n' + statement("A", "arn:aws:iam::111111111111:root") + "}\n",
        "b_override.tf.json": json.dumps({"data": {"aws_iam_policy_document": {"p": {"statement": {
            "sid": "FromB", "actions": ["s3:GetObject"], "resources": ["*"]}}}}}),
        "a_override.tf": 'data "aws_iam_policy_document" "p" {\n' + statement("FromA", "*") + "}\n",
    })
    s = load(d)
    assert sids(s) == ["FromB"]
    assert where(s, pointer_of(s, "buckets", "acme-b", "Policy", "Statement", 0))[0] == f"{d}/b_override.tf.json"


def test_an_argument_replaces_blocks_of_the_same_name_across_syntaxes(tmp_path):
    """`cors_rule` of a resource s3audit has no nested-block list for reads as an argument in JSON; the
    provider's schema makes it one thing, so the override's replaces the original's blocks."""
    d = write(tmp_path, {
        "main.tf": BUCKET + 'resource "aws_s3_bucket_cors_configuration" "b" {\n  bucket = aws_s3_bucket.b.id\n'
                            '  cors_rule {\n    allowed_methods = ["PUT"]\n  }\n}\n',
        "override.tf.json": json.dumps({"resource": {"aws_s3_bucket_cors_configuration": {"b": {
            "cors_rule": [{"allowed_methods": ["GET"]}]}}}}),
    })
    loader = DirLoader(d, "123456789012")
    (cors,) = [r for r in loader.resources() if r.type == "aws_s3_bucket_cors_configuration"]
    assert cors.values["cors_rule"] == [{"allowed_methods": ["GET"]}]


def test_a_default_provider_may_be_overridden_without_an_original(tmp_path):
    d = write(tmp_path, {"main.tf": BUCKET.replace('provider "aws" {\n  region = "us-east-1"\n}\n', ""),
                         "override.tf": 'provider "aws" {\n  region = "eu-north-1"\n}\n'})
    assert bucket(load(d), "acme-b")["Region"] == "eu-north-1"
    d2 = write(tmp_path / "2", {"main.tf": BUCKET, "override.tf": 'provider "aws" {\n  region = "eu-north-1"\n}\n'})
    assert bucket(load(d2), "acme-b")["Region"] == "eu-north-1"


def test_module_calls_and_outputs_are_overridden(tmp_path):
    d = write(tmp_path, {
        "main.tf": 'module "m" {\n  source = "./mod"\n  name = "acme-a"\n}\nresource "aws_s3_bucket" "copy" {\n'
                   '  bucket = "${module.m.name}-copy"\n}\n',
        "override.tf": 'module "m" {\n  name = "acme-z"\n}\n',
        "mod/main.tf": 'variable "name" {}\nresource "aws_s3_bucket" "this" {\n  bucket = var.name\n}\n'
                       'output "name" {\n  value = aws_s3_bucket.this.bucket\n}\n',
        "mod/override.tf.json": json.dumps({"output": {"name": {"value": "${aws_s3_bucket.this.bucket}-out"}}}),
    })
    names = sorted(b["Name"] for b in load(d)["accounts"][0]["s3"]["buckets"])
    assert names == ["acme-z", "acme-z-out-copy"]


@pytest.mark.parametrize("base, override, expected", [
    ('variable "n" {\n  default = "3"\n}\n', 'variable "n" {\n  type = number\n}\n', 3),
    ('variable "n" {\n  type = bool\n  default = false\n}\n', '{"variable": {"n": {"default": "true"}}}', True),
    ('variable "n" {\n  type = list(string)\n  default = []\n}\n', '{"variable": {"n": {"default": [1, true]}}}', ["1", "true"]),
    ('variable "n" {\n  type = set(string)\n  default = ["b", "a", "b"]\n}\n', 'variable "n" {\n  description = "d"\n}\n', ["a", "b"]),
])
def test_variable_type_and_default_interplay(tmp_path, base, override, expected):
    name = "override.tf.json" if override.startswith("{") else "override.tf"
    d = write(tmp_path, {"main.tf": base, name: override})
    assert DirLoader(d, "123456789012").root.var("n") == expected


@pytest.mark.parametrize("base, override, at", [
    # the override changed the type: the original default no longer converts
    ('variable "n" {\n  default = "three"\n}\n', 'variable "n" {\n  type = number\n}\n', (2, 3)),
    # the override changed the default: it does not convert to the original type
    ('variable "n" {\n  type = bool\n}\n', '{"variable": {"n": {\n  "default": "maybe"}}}', (2, 3)),
])
def test_an_override_that_breaks_a_variables_type_is_an_error_at_the_override(tmp_path, base, override, at):
    name = "override.tf.json" if override.startswith("{") else "override.tf"
    d = write(tmp_path, {"main.tf": base + 'resource "aws_s3_bucket" "b" {\n  bucket = "acme-${var.n}"\n}\n',
                         name: override})
    with pytest.raises(InputError) as exc:
        load_terraform_dir(d)
    assert "the default value of variable `n` does not match its type" in exc.value.message
    assert (exc.value.place.file, exc.value.place.line, exc.value.place.column) == (f"{d}/{name}", *at)


@pytest.mark.parametrize("override, at, message", [
    ('resource "aws_s3_bucket" "other" {\n  bucket = "x"\n}\n', (1, 1), "there is no resource `aws_s3_bucket.other`"),
    ('\ndata "aws_iam_policy_document" "p" {}\n', (2, 1), "there is no data source `aws_iam_policy_document.p`"),
    ('variable "v" {}\n', (1, 1), "there is no variable `v`"),
    ('locals {\n  nope = 1\n}\n', (2, 3), "there is no local value `nope`"),
    ('output "o" {\n  value = 1\n}\n', (1, 1), "there is no output `o`"),
    ('module "m" {\n  source = "./m"\n}\n', (1, 1), "there is no module call `m`"),
    ('provider "aws" {\n  alias = "west"\n}\n', (1, 1), "no `aws` provider configuration with the alias `west`"),
    ('resource "aws_s3_bucket" "b" {\n  depends_on = [aws_s3_bucket.b]\n}\n', (2, 3), "`depends_on` cannot be overridden"),
    ('moved {\n  from = aws_s3_bucket.a\n  to = aws_s3_bucket.b\n}\n', (1, 1), "`moved` blocks cannot be in an override file"),
    ('{"resource": {"aws_s3_bucket": {\n  "other": {"bucket": "x"}}}}', (2, 3), "there is no resource `aws_s3_bucket.other`"),
    ('{"locals": {\n  "nope": 1}}', (2, 3), "there is no local value `nope`"),
])
def test_an_override_without_an_original_is_an_error_at_its_place(tmp_path, override, at, message):
    name = "x_override.tf.json" if override.startswith("{") else "x_override.tf"
    d = write(tmp_path, {"main.tf": BUCKET, name: override})
    with pytest.raises(InputError) as exc:
        load_terraform_dir(d)
    assert message in exc.value.message
    assert (exc.value.place.file, exc.value.place.line, exc.value.place.column) == (f"{d}/{name}", *at)


def test_terraform_blocks_in_override_files_change_nothing_read(tmp_path):
    d = write(tmp_path, {"main.tf": BUCKET, "override.tf": 'terraform {\n  required_version = ">= 1.5"\n}\n'})
    assert bucket(load(d), "acme-b")["Name"] == "acme-b"


def test_an_override_file_without_an_original_reports_exit_2(tmp_path):
    d = write(tmp_path, {"main.tf": BUCKET, "override.tf": 'resource "aws_iam_role" "r" {\n  name = "x"\n}\n'})
    status, _, err = check("check", "--terraform", d)
    assert status == 2 and f"{d}/override.tf:1:1: there is no resource `aws_iam_role.r`" in err
