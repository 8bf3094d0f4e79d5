"""Terraform's JSON configuration syntax (.tf.json, .tfvars.json) read into the same blocks as native syntax.

Spec: JSON Configuration Syntax, https://developer.hashicorp.com/terraform/language/syntax/json (HCL's JSON
mapping: https://github.com/hashicorp/hcl/blob/main/json/spec.md); variable files and their precedence:
https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3audit.errors import InputError
from s3audit.sources.hcl import Resolver, Scope, evaluate
from s3audit.sources.hcljson import JsonExpr, JsonSource, read_config, read_values
from s3audit.sources.iac import classify, load_iac, looks_like_iac
from s3audit.sources.terraform import has_configuration, load_terraform_dir, load_terraform_plan

from .conftest import bucket, check, found, pointer_of, pos, role, valid, where, write

pytestmark = pytest.mark.usefixtures("at_root")
TF = "fixtures/terraform"


def load(path: str, **kw) -> dict:
    snap, locations = load_iac(terraform=[path], **kw)
    assert snap["locations"] is locations
    valid(snap)
    return snap


# --- a configuration written only in JSON -----------------------------------------------------------------

def test_json_only_configuration_snapshot_and_positions():
    s = load(f"{TF}/json-only")
    s3, iam = f"{TF}/json-only/s3.tf.json", f"{TF}/json-only/iam.tf.json"
    b = bucket(s, "acme-json-downloads")
    assert b["Region"] == "eu-west-1" and b["Tags"] == {"data-class": "public"}
    assert b["PublicAccessBlock"] == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                      "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    # an object in expression mode (a local), its "${...}" template resolved, encoded by jsonencode
    assert b["Policy"] == {"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::acme-json-downloads/*"}]}
    # nested blocks: a single object, and an array of objects
    assert b["Versioning"] == {"Status": "Enabled"}
    assert b["Lifecycle"] == {"Rules": [{"ID": "expire-old", "Status": "Enabled", "Filter": {"Prefix": "old/"},
                                         "Expiration": {"Days": 30}}]}
    p = pointer_of(s, "buckets", "acme-json-downloads")
    # blocks are placed at the property naming them: the resource's name label
    assert where(s, p) == (s3, *pos(s3, '"downloads": {', 1))
    assert where(s, p + "/PublicAccessBlock") == (s3, *pos(s3, '"downloads": {', 2))
    assert where(s, p + "/Versioning") == (s3, *pos(s3, '"downloads": {', 4))
    assert where(s, p + "/Tags") == (s3, *pos(s3, '"tags"'))
    assert where(s, p + "/Policy") == (s3, *pos(s3, '"policy"'))
    # the statement is the `{` of its object in the local
    line, col = pos(s3, '"Sid": "PublicRead"')
    assert where(s, p + "/Policy/Statement/0") == (s3, line - 1, col - 2)


def test_json_only_cross_account_trust_and_policies_written_as_json_text():
    s = load(f"{TF}/json-only")
    iam = f"{TF}/json-only/iam.tf.json"
    r = role(s, "vendor-downloads")
    (trust,) = r["AssumeRolePolicyDocument"]["Statement"]
    # "arn:aws:iam::${var.vendor_account}:root", the variable from terraform.tfvars.json
    assert trust == {"Effect": "Allow", "Action": "sts:AssumeRole",
                     "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                     "Condition": {"StringEquals": {"sts:ExternalId": "vendor-4411"}}}
    policies = {p["PolicyName"]: p["PolicyDocument"] for p in r["RolePolicyList"]}
    assert policies["list-buckets"]["Statement"] == [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]
    assert policies["read-downloads"]["Statement"][0]["Resource"] == [
        "arn:aws:s3:::acme-json-downloads", "arn:aws:s3:::acme-json-downloads/*"]
    p = pointer_of(s, "roles", "vendor-downloads")
    assert where(s, p) == (iam, *pos(iam, '"vendor": {'))
    line, col = pos(iam, '"actions": ["sts:AssumeRole"]')
    assert where(s, p + "/AssumeRolePolicyDocument/Statement/0") == (iam, line - 1, col - 2)
    # JSON text in a string literal: every character placed in the file, escapes and all
    line, col = pos(iam, '{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Effect\\": \\"Allow\\", \\"Action\\": \\"s3:List')
    assert where(s, p + "/RolePolicyList/0/PolicyDocument") == (iam, line, col)
    assert where(s, p + "/RolePolicyList/0/PolicyDocument/Statement/0") == (
        iam, line, col + len('{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": ['))
    # with interpolations the text moved: the statements are placed at the literal's start
    line, col = pos(iam, '"{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Sid\\": \\"Read\\"')
    assert where(s, p + "/RolePolicyList/1/PolicyDocument/Statement/0") == (iam, line, col + 1)


def test_json_only_findings_on_their_json_lines():
    status, findings, _ = check("check", "--terraform", f"{TF}/json-only")
    s3 = f"{TF}/json-only/s3.tf.json"
    assert status == 1
    decl = (s3, *pos(s3, '"downloads": {', 1))
    # public unless the account blocks public access, which the input does not say: unknown, at the bucket
    assert found(findings, "FSBP-S3.2", "arn:aws:s3:::acme-json-downloads", "unknown") == [decl]
    assert found(findings, "FSBP-S3.8", "arn:aws:s3:::acme-json-downloads") == [decl]
    line, col = pos(s3, '"Sid": "PublicRead"')
    assert found(findings, "HYG-public-principal") == [(s3, line - 1, col - 2)]
    vendor = [f for f in findings if f["rule"] == "PATH-external-read" and "999999999999" in f["message"]]
    assert vendor and vendor[0]["location"]["file"] == s3  # the vendor's path to the bucket


def test_json_and_native_syntax_in_one_module_refer_to_each_other():
    s = load(f"{TF}/json-mixed")
    main, access = f"{TF}/json-mixed/main.tf", f"{TF}/json-mixed/access.tf.json"
    # env: default "dev" < terraform.tfvars "staging" < env.auto.tfvars.json "prod"
    b = bucket(s, "acme-prod-reports")
    assert b["Tags"] == {"data-class": "confidential"}  # a JSON local used by a native-syntax resource
    sids = [x["Sid"] for x in b["Policy"]["Statement"]]
    assert sids == ["DenyPlainHttp", "Reader0"]  # a static statement, then the `dynamic` one
    assert b["Policy"]["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"}
    assert b["Policy"]["Statement"][0]["Principal"] == "*"
    r = role(s, "reports-reader")
    assert r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "glue.amazonaws.com"}
    # "count": "${length(var.reader_accounts) > 0 ? 1 : 0}" -> one instance
    assert [p["PolicyName"] for p in r["RolePolicyList"]] == ["read-reports"]
    assert r["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"] == "arn:aws:s3:::acme-prod-reports/*"
    p = pointer_of(s, "buckets", "acme-prod-reports")
    assert where(s, p) == (main, *pos(main, 'resource "aws_s3_bucket" "reports"'))
    assert where(s, p + "/Policy") == (access, *pos(access, '"policy"'))
    line, col = pos(access, '"sid": "Reader${account.key}"')
    assert where(s, p + "/Policy/Statement/1")[:2] == (access, line - 1)
    # an HCL expression inside a JSON string: jsonencode's object placed at its column, through the escapes
    line, col = pos(access, "jsonencode({")
    rp = pointer_of(s, "roles", "reports-reader", "RolePolicyList", 0, "PolicyDocument")
    assert where(s, rp) == (access, line, col + len("jsonencode("))
    assert where(s, rp + "/Statement/0") == (access, line, pos(access, '[{Effect = \\"Allow\\"')[1] + 1)


# --- the same configuration in both syntaxes --------------------------------------------------------------

PRIVATE_BUCKET_JSON = {
    "provider": {"aws": {"region": "us-east-1"}},
    "resource": {
        "aws_kms_key": {"data": {"description": "cardholder data"}},
        "aws_s3_bucket": {"cardholder": {"bucket": "payments-cardholder-data", "tags": {"data-class": "pci"}}},
        "aws_s3_bucket_public_access_block": {"cardholder": {
            "bucket": "${aws_s3_bucket.cardholder.id}", "block_public_acls": True, "block_public_policy": True,
            "ignore_public_acls": True, "restrict_public_buckets": True}},
        "aws_s3_bucket_ownership_controls": {"cardholder": {
            "bucket": "${aws_s3_bucket.cardholder.id}", "rule": {"object_ownership": "BucketOwnerEnforced"}}},
        "aws_s3_bucket_server_side_encryption_configuration": {"cardholder": {
            "bucket": "${aws_s3_bucket.cardholder.bucket}",
            "rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"},
                     "bucket_key_enabled": True}}},
        "aws_s3_bucket_versioning": {"cardholder": {
            "bucket": "${aws_s3_bucket.cardholder.id}", "versioning_configuration": {"status": "Enabled"}}},
        "aws_s3_bucket_logging": {"cardholder": {
            "bucket": "${aws_s3_bucket.cardholder.id}", "target_bucket": "payments-access-logs",
            "target_prefix": "cardholder/"}},
    },
}

POLICY_DOCUMENT_JSON = {
    "provider": {"aws": {"region": "us-east-1"}},
    "variable": {"reader_accounts": {"type": "list(string)", "default": ["444455556666", "777788889999"]}},
    "resource": {"aws_s3_bucket": {"lake": {"bucket": "acme-data-lake", "tags": {"data-class": "confidential"}}},
                 "aws_s3_bucket_policy": {"lake": {"bucket": "${aws_s3_bucket.lake.id}",
                                                   "policy": "${data.aws_iam_policy_document.lake.json}"}}},
    "data": {
        "aws_caller_identity": {"current": {}},
        "aws_iam_policy_document": {
            "base": {"statement": {
                "sid": "DenyInsecureTransport", "effect": "Deny", "actions": ["s3:*"],
                "resources": ["${aws_s3_bucket.lake.arn}", "${aws_s3_bucket.lake.arn}/*"],
                "principals": {"type": "*", "identifiers": ["*"]},
                "condition": {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}}},
            "lake": {
                "source_policy_documents": ["${data.aws_iam_policy_document.base.json}"],
                "statement": [{
                    "sid": "OwnAccountAdmin", "actions": ["s3:*"],
                    "resources": ["${aws_s3_bucket.lake.arn}", "${aws_s3_bucket.lake.arn}/*"],
                    "principals": [{"type": "AWS", "identifiers": [
                        "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]}]}],
                "dynamic": {"statement": {
                    "for_each": "${var.reader_accounts}",
                    "content": {
                        "sid": "Reader${statement.key}", "actions": ["s3:GetObject"],
                        "resources": ["${aws_s3_bucket.lake.arn}/shared/*"],
                        "principals": {"type": "AWS", "identifiers": ["arn:aws:iam::${statement.value}:root"]},
                        "condition": [
                            {"test": "StringEquals", "variable": "aws:PrincipalOrgID", "values": ["o-a1b2c3d4e5"]},
                            {"test": "StringEquals", "variable": "s3:ExistingObjectTag/share", "values": ["yes"]}]}}}},
        },
    },
}


def _without_positions(snapshot: dict) -> dict:
    return {k: v for k, v in snapshot.items() if k not in ("locations", "source", "taken_at")}


@pytest.mark.parametrize("fixture, document", [("v4-private-bucket", PRIVATE_BUCKET_JSON),
                                               ("policy-document", POLICY_DOCUMENT_JSON)])
def test_a_json_translation_of_a_native_fixture_gives_the_same_snapshot(tmp_path, fixture, document):
    native = load(f"{TF}/{fixture}", account_id="210987654321")
    d = write(tmp_path, {"main.tf.json": json.dumps(document, indent=2)})
    translated = load(d, account_id="210987654321")
    assert _without_positions(translated) == _without_positions(native)
    assert {v["file"] for v in translated["locations"].values()} == {f"{d}/main.tf.json"}


# --- expressions --------------------------------------------------------------------------------------------

class Names(Resolver):
    def root(self, name, scope, node):
        return {"local": {"k": "key", "n": 2, "list": [1, 2]}}[name]


def ev(value, mode="template"):
    text = json.dumps({"x": value})
    src = JsonSource("t.tf.json", text)
    from s3audit.sources.values import parse_json_with_positions
    doc = parse_json_with_positions(text, "t.tf.json", string_pos=True)
    return evaluate(JsonExpr(doc["x"], doc.key_pos["x"], mode, src), Scope(Names(), src))


@pytest.mark.parametrize("value, expected", [
    ("${local.n}", 2),                  # one interpolation: the value itself, not a string
    ("${local.list}", [1, 2]),
    ("n=${local.n}", "n=2"),           # literal text around it: a string
    ("$${local.n}", "${local.n}"),     # the template escape
    ("a\\tb", "a\\tb"),                # no second round of escapes: JSON already decoded them
    ({"${local.k}": 1, "plain": "${local.n + 1}"}, {"key": 1, "plain": 3}),  # property names are templates
    ({"//": "kept"}, {"//": "kept"}),  # "//" is a comment only in block bodies, not in expressions
    ([True, None, 1.0, 2.5], [True, None, 1, 2.5]),
])
def test_expression_mode(value, expected):
    assert ev(value) == expected


def test_literal_mode_takes_strings_as_they_are():
    assert ev({"${local.k}": "${local.n}"}, "literal") == {"${local.k}": "${local.n}"}


def test_an_expression_terraform_would_reject_is_unknown_and_says_what():
    got = ev("${local.missing}")
    assert type(got).__name__ == "Unknown" and "local.missing" in got.reason


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                         st.text(alphabet=st.characters(blacklist_characters="$%", blacklist_categories=("Cs",))))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.text(alphabet=st.characters(blacklist_characters="$%", blacklist_categories=("Cs",)),
                            max_size=5), inner, max_size=4)), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_json_without_templates_evaluates_to_itself(value):
    """With no `${` or `%{` in it, a JSON value means itself in expression and in literal mode."""
    assert ev(value) == value
    assert ev(value, "literal") == value


def test_variable_arguments_and_variable_files_are_literal(tmp_path):
    d = write(tmp_path, {
        "main.tf.json": json.dumps({
            "variable": {"name": {"type": "string", "default": "${not-a-template}"},
                         "prefix": {"type": "string"}},
            "resource": {"aws_s3_bucket": {"b": {"bucket": "${var.prefix}-${length(var.name)}"}}}}),
        "terraform.tfvars.json": json.dumps({"//": "a comment", "prefix": "${literal}"}),
    })
    s = load(d)
    assert s["accounts"][0]["s3"]["buckets"][0]["Name"] == "${literal}-" + str(len("${not-a-template}"))


def test_comments_label_arrays_and_repeated_blocks(tmp_path):
    d = write(tmp_path, {"main.tf.json": json.dumps({
        "//": "generated",
        "provider": {"aws": [{"region": "eu-west-1"}, {"alias": "us", "region": "us-east-1"}]},
        "resource": [
            {"aws_s3_bucket": {"a": {"//": "a comment", "bucket": "acme-a"}}},
            {"aws_s3_bucket": {"b": [{"bucket": "acme-b"}]}},
        ],
        "locals": [{"x": 1}, {"y": 2}],
        "data": {"aws_iam_policy_document": {"none": None}},
    })})
    blocks = read_config(open(f"{d}/main.tf.json").read(), "m.tf.json")
    assert [(b.type, b.labels) for b in blocks] == [
        ("provider", ["aws"]), ("provider", ["aws"]), ("resource", ["aws_s3_bucket", "a"]),
        ("resource", ["aws_s3_bucket", "b"]), ("locals", []), ("locals", [])]
    assert "//" not in blocks[2].attrs
    s = load(d)
    assert [b["Name"] for b in s["accounts"][0]["s3"]["buckets"]] == ["acme-a", "acme-b"]
    assert {b["Region"] for b in s["accounts"][0]["s3"]["buckets"]} == {"eu-west-1"}  # the default provider


def test_meta_arguments_by_reference_and_module_calls(tmp_path):
    d = write(tmp_path, {
        "main.tf.json": json.dumps({
            "provider": {"aws": [{"region": "eu-west-1"}, {"alias": "west", "region": "us-west-2"}]},
            "module": {"logs": {"source": "./modules/bucket", "name": "acme-logs-${count.index}", "count": "${1 + 1}"}},
            "resource": {"aws_s3_bucket": {"x": {
                "provider": "aws.west", "depends_on": ["module.logs"], "bucket": "acme-x",
                "lifecycle": {"ignore_changes": "all", "prevent_destroy": True}}}}}),
        "modules/bucket/main.tf.json": json.dumps({
            "variable": {"name": {"type": "string"}},
            "resource": {"aws_s3_bucket": {"this": {"bucket": "${var.name}-${terraform.workspace}"}}}}),
    })
    s = load(d)
    names = sorted(b["Name"] for b in s["accounts"][0]["s3"]["buckets"])
    assert names == ["acme-logs-0-default", "acme-logs-1-default", "acme-x"]
    mod = f"{d}/modules/bucket/main.tf.json"
    p = pointer_of(s, "buckets", "acme-logs-1-default")
    assert where(s, p) == (mod, *pos(mod, '"this"'))


# --- files and directories ----------------------------------------------------------------------------------

def test_a_directory_with_only_json_files_is_a_configuration():
    assert has_configuration(f"{TF}/json-only")
    assert classify(f"{TF}/json-only/s3.tf.json") == "terraform"
    assert classify(f"{TF}/json-only/terraform.tfvars.json") == "terraform"
    assert looks_like_iac(f"{TF}/json-only/s3.tf.json") and looks_like_iac(f"{TF}/json-mixed/env.auto.tfvars.json")
    snap, _ = load_iac([f"{TF}/json-only/s3.tf.json", f"{TF}/json-only/iam.tf.json"])  # one directory, read once
    assert [b["Name"] for b in snap["accounts"][0]["s3"]["buckets"]] == ["acme-json-downloads"]


def test_the_pre_commit_hook_passes_json_files_as_positional_inputs():
    """The hook passes staged files; `.tf.json` ends in `.json` like any JSON file, and must be read."""
    status, findings, err = check("check", f"{TF}/json-only/s3.tf.json", f"{TF}/json-only/terraform.tfvars.json")
    assert status == 1 and "skipped" not in err
    assert found(findings, "HYG-public-principal")[0][0] == f"{TF}/json-only/s3.tf.json"


def test_a_plan_takes_positions_from_a_json_configuration(tmp_path):
    plan = tmp_path / "plan.json"
    bucket = {"address": "aws_s3_bucket.downloads", "mode": "managed", "type": "aws_s3_bucket"}
    plan.write_text(json.dumps({
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [{**bucket, "values": {"bucket": "acme-json-downloads"}}]}},
        "resource_changes": [{**bucket, "change": {"actions": ["create"], "after": {"bucket": "acme-json-downloads"}}}]}))
    part = load_terraform_plan(str(plan), terraform_dir=f"{TF}/json-only")
    s3 = f"{TF}/json-only/s3.tf.json"
    assert part.snapshot["locations"]["/accounts/0/s3/buckets/0"] == {
        "file": s3, "line": pos(s3, '"downloads": {')[0], "column": pos(s3, '"downloads": {')[1]}


def test_hidden_and_backup_files_are_not_read(tmp_path):
    d = write(tmp_path, {"main.tf.json": '{"resource": {"aws_s3_bucket": {"a": {"bucket": "acme-a"}}}}',
                         ".hidden.tf": 'resource "aws_s3_bucket" "h" { bucket = "acme-h" }',
                         "main.tf~": 'resource "aws_s3_bucket" "v" { bucket = "acme-v" }',
                         "#main.tf#": 'resource "aws_s3_bucket" "e" { bucket = "acme-e" }'})
    assert [b["Name"] for b in load(d)["accounts"][0]["s3"]["buckets"]] == ["acme-a"]


# --- malformed input: an InputError at file:line:column, never a traceback ---------------------------------

@pytest.mark.parametrize("text, at, message", [
    ('{\n  "resource": {\n    "aws_s3_bucket": {\n', (4, 1), "invalid JSON"),
    ('{\n  "resource": {},\n}\n', (3, 1), "expected a property name"),
    ('{"resource": {"aws_s3_bucket": {"a": {"bucket": "x",\n "bucket": "y"}}}}', (2, 2), "duplicate key `bucket`"),
    ('["resource"]', (1, 2), "expected an object at the top level"),
    ('{"resource": {\n  "aws_s3_bucket": "b"}}', (2, 20), "naming the name of a `resource` block"),
    ('{"resource": {\n  "aws_s3_bucket": {}}}', (2, 20), "a `resource` block needs a property naming its name"),
    ('{"resource": {"aws_s3_bucket": {\n  "b": 3}}}', (2, 3), "expected an object or an array of objects for a `resource` block"),
    ('{"resource": {"aws_s3_bucket": {"b": [\n  "x"]}}}', (2, 3), "expected an object for the body of a `resource` block"),
    ('{"resource": {"aws_s3_bucket": {"b": {\n  "lifecycle": "no"}}}}', (2, 16), "for a `lifecycle` block"),
    ('{"resource": {"aws_s3_bucket": {"b": {\n  "bucket": "${aws_s3_bucket.}"}}}}', (2, 30), "invalid expression in a string template"),
    ('{"resource": {"aws_s3_bucket": {"b": {\n  "provider": "aws..west"}}}}', (2, 20), "invalid expression"),
    ('{"resource": {"aws_s3_bucket": {"b": {"bucket": "a"}}, "aws_s3_bucket_policy": {"b": {"bucket": "a",\n'
     '  "policy": "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [}"}}}}', (2, 60), "policy is not valid JSON"),
])
def test_malformed_json_configuration_is_an_input_error_at_its_place(tmp_path, text, at, message):
    (tmp_path / "main.tf.json").write_text(text)
    with pytest.raises(InputError) as exc:
        load_terraform_dir(str(tmp_path))
    err = exc.value
    assert message in err.message
    assert (err.place.file, err.place.line, err.place.column) == (f"{tmp_path}/main.tf.json", *at)
    assert err.message == err.message.rstrip(".") and err.message[0].islower()


@pytest.mark.parametrize("name, text, at, message", [
    ("terraform.tfvars.json", '{"env":\n  }', (2, 3), "invalid JSON"),
    ("x.auto.tfvars.json", '"env"', (1, 1), "expected an object or an array of objects at the top level of a variables file"),
    ("y.auto.tfvars.json", '[{"env": "a"},\n {"env": "b"}]', (2, 3), "variable `env` is given twice in the same file"),
])
def test_malformed_variable_files(tmp_path, name, text, at, message):
    write(tmp_path, {"main.tf": 'variable "env" {}\n', name: text})
    with pytest.raises(InputError) as exc:
        load_terraform_dir(str(tmp_path))
    assert message in exc.value.message
    assert (exc.value.place.file, exc.value.place.line, exc.value.place.column) == (f"{tmp_path}/{name}", *at)


def test_the_command_line_exits_2_with_the_place_and_no_traceback(tmp_path):
    (tmp_path / "main.tf.json").write_text('{"resource": {"aws_s3_bucket": 7}}')
    status, _, err = check("check", "--terraform", str(tmp_path))
    assert status == 2
    assert f"{tmp_path}/main.tf.json:1:15: invalid Terraform JSON" in err and "Traceback" not in err


def test_read_values_reads_only_values():
    (a, b) = read_values('{"//": "c", "a": 1, "b": {"${x}": "${y}"}}', "v.tfvars.json")
    assert (a.name, b.name) == ("a", "b")
    assert evaluate(b.expr, Scope(Resolver(), b.src)) == {"${x}": "${y}"}
