"""No Terraform configuration makes s3audit run for hours or exhaust memory: what it evaluates is bounded.

Expressions that double what they build at each of a few dozen levels (nested `jsonencode`, templates and
`concat` over locals), `range(1e9)`, a `count` of a billion, and `for` expressions over millions of elements are
where time and memory went. Each value is bounded (8 MiB of text, a million elements), each `count`/`for_each`
expands to at most 200,000 instances, and a whole configuration is evaluated in at most 20,000,000 steps: beyond
that the value is unknown, with the reason, and an expansion s3audit refuses is an input not read (a finding). The
time these take is measured by bench/iac_scale.py, not here.
"""
from __future__ import annotations

import json

from s3audit.sources.hcl import MAX_ELEMENTS, MAX_TEXT
from s3audit.sources.terraform import load_terraform_dir

from .conftest import bucket


def _tf(tmp_path, text: str) -> dict:
    (tmp_path / "main.tf").write_text(text)
    return load_terraform_dir(str(tmp_path)).snapshot


def _tags_of(snapshot: dict) -> dict:
    b = bucket(snapshot, "acme-bounds")
    return b.get("Tags"), (b.get("Errors") or {}).get("GetBucketTagging", "")


BUCKET = 'resource "aws_s3_bucket" "b" {\n  bucket = "acme-bounds"\n  tags = { v = %s }\n}\n'


def test_forty_nested_jsonencode_calls_are_unknown_past_the_text_bound(tmp_path):
    e = '{a = "<&>\\""}'
    for _ in range(40):
        e = f"jsonencode({{k = {e}}})"
    tags, why = _tags_of(_tf(tmp_path, "locals {\n  v = %s\n}\n" % e + BUCKET % "local.v"))
    assert tags is None and "MiB" in why  # the text doubles its escapes at each level
    # a few levels are evaluated as Terraform does
    e = '{a = "x"}'
    for _ in range(3):
        e = f"jsonencode({{k = {e}}})"
    tags, _ = _tags_of(_tf(tmp_path, "locals {\n  v = %s\n}\n" % e + BUCKET % "local.v"))
    expected = {"a": "x"}
    for _ in range(3):
        expected = json.dumps({"k": expected}, separators=(",", ":"))
    assert tags == {"v": expected}


def test_doubling_templates_and_lists_are_unknown_past_their_bounds(tmp_path):
    lines = ['  t0 = "ab"'] + [f'  t{i} = "${{local.t{i - 1}}}${{local.t{i - 1}}}"' for i in range(1, 41)]
    tags, why = _tags_of(_tf(tmp_path, "locals {\n" + "\n".join(lines) + "\n}\n" + BUCKET % "local.t40"))
    assert tags is None and f"{MAX_TEXT // (1024 * 1024)} MiB" in why
    lines = ['  c0 = ["a"]'] + [f"  c{i} = concat(local.c{i - 1}, local.c{i - 1})" for i in range(1, 41)]
    tags, why = _tags_of(_tf(tmp_path, "locals {\n" + "\n".join(lines) + "\n}\n" + BUCKET % "length(local.c40)"))
    assert tags is None and f"{MAX_ELEMENTS:,} elements" in why
    tags, why = _tags_of(_tf(tmp_path, BUCKET % "length(range(100000000))"))
    assert tags is None and "elements" in why
    tags, _ = _tags_of(_tf(tmp_path, BUCKET % "length(range(1000))"))
    assert tags == {"v": "1000"}


def test_a_count_too_large_to_expand_is_an_input_not_read(tmp_path):
    s = _tf(tmp_path, 'resource "aws_s3_bucket" "many" {\n  count  = 1000000000\n  bucket = "acme-${count.index}"\n}\n')
    assert [(u["what"], u["line"]) for u in s["unread"]] == [("aws_s3_bucket.many", 1)]
    assert "over 200,000" in s["unread"][0]["why"]


def test_a_configuration_that_takes_too_many_steps_is_not_fully_read(tmp_path):
    text = "".join(f"locals {{\n  l{i} = length([for x in range(900000) : x])\n}}\n" for i in range(30))
    s = _tf(tmp_path, text + BUCKET % "local.l0")
    assert [u["what"] for u in s["unread"]] == ["the configuration"]
    assert "20,000,000 steps" in s["unread"][0]["why"]
    assert bucket(s, "acme-bounds")["Name"] == "acme-bounds"  # what it read is still there
