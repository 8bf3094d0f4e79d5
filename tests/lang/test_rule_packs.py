"""The built-in rule packs: their own test cases (rules/*.tests.yaml) pass and cover every rule both ways,
their metadata is complete, the top-level rules/ links to the packs the package ships, and the test
runner itself reports failures, skips and bad input as it should."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from s3audit.cli import main
from s3audit.errors import InputError
from s3audit.lang.evaluate import builtin_rules_dir, load_program
from s3audit.lang.ruletests import apply_set, expand_fragment, render, run_tests

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"


@pytest.fixture(scope="module")
def report():
    return run_tests([str(RULES)])


def test_every_pack_case_passes(report):
    failed = [f"{r.file}::{r.rule}::{r.name}: {r.problems}" for r in report.results if not r.passed]
    assert failed == []
    assert report.passed >= 100


def test_every_rule_has_a_passing_and_a_failing_case(report):
    assert report.untested == []
    assert report.one_sided == []


def test_builtin_packs_metadata_is_complete():
    program = load_program()
    assert {p for p, _ in program.packs} == {"aws-fsbp", "cis-aws", "pci-dss", "gdpr", "governance", "hygiene",
                                            "access-paths"}
    assert all(v == "1.0.0" for _, v in program.packs)
    for m in program.rules:
        assert m.title and m.rationale and m.remediation and m.controls, m.id
        assert m.file.startswith(builtin_rules_dir()) and m.line > 0, m.id
        assert m.pack, m.id


def test_rules_directory_links_every_builtin_pack():
    shipped = sorted(p.name for p in Path(builtin_rules_dir()).glob("*.s3r"))
    assert shipped
    for name in shipped:
        link = RULES / name
        assert link.is_symlink() and link.resolve() == (Path(builtin_rules_dir()) / name).resolve(), name
        assert (RULES / name.replace(".s3r", ".tests.yaml")).is_file(), name


# --------------------------------------------------------------------------------------- the runner
def _write(tmp_path, rules: str, tests: str) -> Path:
    (tmp_path / "r.s3r").write_text(rules)
    (tmp_path / "r.tests.yaml").write_text(tests)
    return tmp_path


RULE = '''rule T-1 "Buckets are versioned"
  severity low
  controls "test:1"
  for bucket b
  require b.versioning.enabled
  message "{b.name} is not versioned"
'''


def test_runner_reports_a_failed_expectation(tmp_path):
    d = _write(tmp_path, RULE, """
cases:
  - name: wrong expectation
    rule: T-1
    snapshot: {buckets: [{Name: a}]}
    expect: []
  - name: right expectation
    rule: T-1
    snapshot: {buckets: [{Name: a}]}
    expect: [{subject: "arn:aws:s3:::a", message: "a is not versioned", status: open}]
  - name: rejected finding present
    rule: T-1
    snapshot: {buckets: [{Name: a}, {Name: b, Versioning: {Status: Enabled}}]}
    reject: [{subject: "arn:aws:s3:::a"}]
""")
    r = run_tests([str(d)])
    assert (r.passed, r.failed) == (1, 2)
    text = render(r)
    assert "FAILED" in text and "expected no finding, got: [open] arn:aws:s3:::a: a is not versioned" in text
    assert "did not expect a finding matching" in text
    assert text.splitlines()[-1].startswith("1 passed, 2 failed in ")


def test_runner_names_rules_without_both_kinds_of_case(tmp_path):
    d = _write(tmp_path, RULE + RULE.replace("T-1", "T-2"), """
cases:
  - {name: only passing, rule: T-1, snapshot: {buckets: [{Name: a, Versioning: {Status: Enabled}}]}, expect: []}
""")
    r = run_tests([str(d)])
    assert r.untested == ["T-2"] and r.one_sided == ["T-1"]


def test_runner_rejects_bad_input(tmp_path):
    d = _write(tmp_path, RULE, "cases: [{name: x, rule: T-1, snapshot: nowhere.json, expect: []}]\n")
    with pytest.raises(InputError, match="cannot find the snapshot `nowhere.json`"):
        run_tests([str(d)])
    d2 = tmp_path / "two"
    d2.mkdir()
    _write(d2, RULE, "cases: [{name: x, rule: T-1, snapshot: {buckets: [{Name: a}]}, expect: [{subjekt: a}]}]\n")
    with pytest.raises(InputError, match="`expect` is a list of matchers"):
        run_tests([str(d2)])
    d3 = tmp_path / "three"
    d3.mkdir()
    _write(d3, RULE, "cases: [{name: x, rule: T-1, snapshot: {buckets: [{Name: a}]}, expect: [}\n")
    with pytest.raises(InputError) as e:
        run_tests([str(d3)])
    assert e.value.place.line == 1


def test_a_broken_fixture_is_bad_input(tmp_path):
    d = _write(tmp_path, RULE, "cases: [{name: x, rule: T-1, snapshot: broken.json, expect: []}]\n")
    (tmp_path / "broken.json").write_text('{"format": ')
    with pytest.raises(InputError, match=r"broken.json:1:12: invalid JSON"):  # the fixture's own line and column
        run_tests([str(d)])


def test_an_unknown_rule_fails_the_case(tmp_path):
    d = _write(tmp_path, RULE, "cases: [{name: x, rule: T-9, snapshot: {buckets: []}, expect: []}]\n")
    r = run_tests([str(d)])
    assert r.failed == 1 and "no rule `T-9`" in r.results[0].problems[0]


def test_fragments_and_edits():
    doc = expand_fragment({"account": "123456789012", "buckets": [{"Name": "a", "Tags": {"x": "1"}}]})
    assert doc["format"] == "s3audit.snapshot/v1" and doc["accounts"][0]["id"] == "123456789012"
    assert doc["accounts"][0]["s3"]["access_points"] == [] and doc["accounts"][0]["iam"] == {}
    apply_set(doc, {"/accounts/0/s3/buckets/0/Tags/x": None, "/accounts/0/s3/buckets/0/Tags/a~1b": "2",
                    "/accounts/0/s3/buckets/-": {"Name": "b"}, "/accounts/0/s3/buckets/0/Versioning/Status": "On"})
    b = doc["accounts"][0]["s3"]["buckets"]
    assert b[0]["Tags"] == {"a/b": "2"} and b[0]["Versioning"] == {"Status": "On"} and b[1] == {"Name": "b"}
    with pytest.raises(ValueError, match="unknown fragment keys: bukets"):
        expand_fragment({"bukets": []})


# --------------------------------------------------------------------------------------- the command line
def test_cli_rules_test_exit_status(tmp_path, capsys):
    good = _write(tmp_path, RULE, "cases: [{name: x, rule: T-1, snapshot: {buckets: [{Name: a}]}, "
                                  "expect: [{subject: 'arn:aws:s3:::a'}]}]\n")
    assert main(["rules", "test", str(good)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("1 passed in ")
    (tmp_path / "r.tests.yaml").write_text("cases: [{name: x, rule: T-1, snapshot: {buckets: [{Name: a}]}, expect: []}]\n")
    assert main(["rules", "test", str(good)]) == 1
    assert main(["rules", "test", str(tmp_path / "missing")]) == 2


def test_cli_rules_list_and_doc(tmp_path, capsys):
    assert main(["rules", "list", "--format", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    ids = [r["id"] for r in listing["rules"]]
    assert "FSBP-S3.5" in ids and "PCI-7.2.1" in ids and "HYG-unknown-action" in ids
    s35 = next(r for r in listing["rules"] if r["id"] == "FSBP-S3.5")
    assert s35["severity"] == "medium" and s35["controls"] == ["AWS-FSBP:S3.5"] and s35["pack"] == "aws-fsbp"
    assert main(["rules", "list"]) == 0
    text = capsys.readouterr().out
    assert text.index("FSBP-S3.2 ") < text.index("FSBP-S3.10 ")  # natural order
    out = tmp_path / "catalogue.md"
    assert main(["rules", "doc", "-o", str(out)]) == 0
    md = out.read_text()
    assert "| [`FSBP-S3.5`](#fsbp-s35) | medium | bucket | `AWS-FSBP:S3.5` |" in md
    assert "*Fix:* Add a bucket policy statement: Effect Deny" in md
    assert main(["rules", "doc", str(RULES / "examples.s3r")]) == 0
    assert "EX-TLS" in capsys.readouterr().out


def test_cli_rules_list_reports_rule_errors(tmp_path, capsys):
    bad = tmp_path / "bad.s3r"
    bad.write_text(RULE.replace("versioning.enabled", "versioning.enabeld"))
    assert main(["rules", "list", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad.as_posix()}:5:24: error: versioning has no field `enabeld`" in err
