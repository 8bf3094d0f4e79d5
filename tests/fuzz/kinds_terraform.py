"""Terraform's kinds for the fuzzing harness: configuration files (.tf, native syntax) and plans (`terraform show
-json`), made bad from bases in the repository (a configuration of the corpus benchmark with a module-free shape,
and a plan fixture). A mutated configuration may still be valid HCL (then it must merely not crash: findings or
an input not read); a plan that is not strict JSON is certainly bad (exit 2)."""
from __future__ import annotations

import json

from hypothesis import strategies as st

from .harness import Case, InputKind, register
from .kinds import ROOT, TODAY, strict_json
from .mutations import any_mutation, dumps, encode, hostile_text, hostile_value, text_mutation, truncation

TF_TEXT = (ROOT / "fixtures" / "terraform" / "v4-public-policy" / "main.tf").read_text()
HCL_PIECES = ["{", "}", "[", "]", "(", ")", "=", ",", '"', "${", "%{", "<<EOF\n", "EOF", "\\", "\n", "#", "/*",
              "count", "for_each", "each.value", "var.x", "local.y", "aws_s3_bucket.z.id", "module.m",
              'replace("a", "/(a*)*b/", "")', 'replace("a", "/(/", "")', "jsonencode(", "null", "true", "1e999",
              "\x00", "\ud800", "é"]

PLAN_TEXT = (ROOT / "fixtures" / "terraform-plans" / "new-public-bucket.json").read_text()
PLAN = json.loads(PLAN_TEXT)


def _tf_cases() -> st.SearchStrategy:
    data = TF_TEXT.encode()
    return st.one_of(
        text_mutation(TF_TEXT, HCL_PIECES).map(lambda r: Case(encode(r[0]), False, r[1])),
        truncation(data).map(lambda r: Case(r[0], False, r[1])),
        hostile_text().map(lambda r: Case(r[0], False, r[1])),
    )


def _plan_cases() -> st.SearchStrategy:
    data = PLAN_TEXT.encode()
    return st.one_of(
        hostile_value(PLAN).map(lambda r: Case(dumps(r[0]), True, r[1])),
        any_mutation(PLAN).map(lambda r: Case(dumps(r[0]), False, r[1])),
        text_mutation(PLAN_TEXT).map(lambda r: Case(encode(r[0]), not strict_json(encode(r[0])), r[1])),
        truncation(data).map(lambda r: Case(r[0], not strict_json(r[0]), r[1])),
        hostile_text().map(lambda r: Case(r[0], True, r[1])),
    )


# `--terraform FILE` reads the file's directory: the work folder holds the one .tf file (and the report)
register(InputKind(
    name="terraform", suffix=".tf", cases=_tf_cases(), examples=700,
    commands=(lambda f, w, r: ["check", "--terraform", str(f), "--today", TODAY, "--format", "json",
                               "-o", f"json={r}"],)))

register(InputKind(
    name="terraform-plan", suffix=".json", cases=_plan_cases(), examples=600,
    commands=(lambda f, w, r: ["check", "--terraform-plan", str(f), "--today", TODAY, "--format", "json",
                               "-o", f"json={r}"],)))
