"""Mutated CloudFormation templates never crash, hang or point into the generated snapshot (issue 11, item 5).

Every template of ``fixtures/cloudformation/`` is mutated (tests/sources/cfn_mutations.py: deleted keys, values of
another type, intrinsic functions of any arity or none CloudFormation has, nesting thousands deep, huge strings,
YAML tags, aliases and alias bombs, merge keys) and checked through the command line, in this process. The
outcome is a read (exit 0 or 1) or exit 2 with one line naming the template and a line and column in it; never a
traceback, never exit 3, never an error placed in the snapshot s3audit made (``at /accounts/0/...``).
``bench/cfn_fuzz.py`` runs the same inputs by the thousand and groups what fails by where it fails.
"""
from __future__ import annotations

import contextlib
import json
import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3audit.cli import main
from s3audit.sources.cloudformation.intrinsics import _placeholders

from .cfn_mutations import mutated_template


def check(path: str, out: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["check", "--cloudformation", path, "--format", "json", "-o", out])
    return code, err.getvalue()


# Derandomized and bounded, so CI runs the same 150 examples in a few seconds; bench/cfn_fuzz.py runs thousands.
@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(mutated_template())
def test_mutated_templates_are_read_or_refused_at_their_place(tmp_path, example):
    name, fmt, text = example
    path = str(tmp_path / ("template.json" if fmt == "json" else "template.yaml"))
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
        fh.write(text)
    code, err = check(path, str(tmp_path / "findings.json"))
    assert code in (0, 1, 2), (name, err)
    assert "Traceback" not in err
    if code == 2:
        first = err.splitlines()[0]
        assert re.match(rf"s3audit: {re.escape(path)}:\d+:\d+: \S", first), (name, first)
        assert "/accounts/" not in first and len(err.splitlines()) == 1, (name, err)


# Crash sites bench/cfn_fuzz.py found, kept as cases: each is an input error at the function's place.
@pytest.mark.parametrize("value, message", [
    ("!Select [[1], [a, b]]", "the index of `Fn::Select` must be a whole number"),
    ("!Select [{i: 1}, [a, b]]", "the index of `Fn::Select` must be a whole number"),
    ("!Select [null, [a, b]]", "the index of `Fn::Select` must be a whole number"),
    ("!!int +", "`+` is not a valid `int`"),  # PyYAML's int constructor indexes past the sign
    ('!!float ""', "`` is not a valid `float`"),
])
def test_crash_sites_found_by_fuzzing_are_input_errors(tmp_path, value, message):
    path = tmp_path / "template.yaml"
    path.write_text(f"Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: {value}\n")
    code, err = check(str(path), str(tmp_path / "findings.json"))
    assert code == 2 and err.strip() == f"s3audit: {path}:5:19: {message}"


def test_a_resource_type_that_is_not_a_string_is_refused_when_loops_gather_names(tmp_path):
    # names are gathered for Fn::ForEach before resources are checked: a list as Type crashed the gathering
    path = tmp_path / "template.yaml"
    path.write_text("Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::X:\n    - I\n    - [a]\n"
                    "    - \"${I}B\":\n        Type: AWS::S3::Bucket\n        Properties: {BucketName: !Ref Other}\n"
                    "  Other:\n    Type: [AWS::S3::Bucket]\n")
    code, err = check(str(path), str(tmp_path / "findings.json"))
    assert code == 2 and err.strip() == f"s3audit: {path}:9:3: resource `Other` needs a `Type`"


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet="${}!ab.", max_size=30))
def test_sub_placeholders_are_what_the_pattern_finds(text):
    # Fn::Sub's ${name} is found by a linear scan: the same matches as the pattern it replaces
    pattern = re.compile(r"\$\{([^}]*)\}")
    assert list(_placeholders(text)) == [(m.start(), m.end(), m.group(1)) for m in pattern.finditer(text)]


def test_a_long_sub_string_without_a_closing_brace_is_read_in_linear_time(tmp_path):
    # found by bench/cfn_fuzz.py: 200,000 `${` in an Fn::Sub took minutes (the pattern rescanned to the end)
    path = tmp_path / "template.json"
    path.write_text(json.dumps({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {
        "BucketName": {"Fn::Sub": "${" * 200_000}}}}}))
    code, err = check(str(path), str(tmp_path / "findings.json"))
    # no placeholder closes, so the text is the name as written (S3 would refuse it at deploy, not the template)
    findings = json.loads((tmp_path / "findings.json").read_text())["findings"]
    assert code == 0 and "summary: " in err and "Traceback" not in err
    assert {f["subject"] for f in findings if f["rule"] == "FSBP-S3.9"} == {"arn:aws:s3:::" + "${" * 200_000}
