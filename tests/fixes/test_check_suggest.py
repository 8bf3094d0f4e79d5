"""`s3audit check --suggest`: the suggestion beside each open finding in every output format; SARIF's fixes
validate against the 2.1.0 schema and, applied to the file they edit, make the finding disappear.

AWS pages: Block Public Access
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html),
the TLS-only bucket policy (https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule), the
confused deputy and external IDs (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from s3audit.cli import main

from .edits import apply_replacements

ROOT = Path(__file__).resolve().parents[2]
DEMO = "s3audit/demo/estate.json"
TF = "fixtures/terraform/v4-public-policy"
SARIF_SCHEMA = ROOT / "tests" / "report" / "fixtures" / "sarif-schema-2.1.0.json"
FINDINGS_SCHEMA = ROOT / "s3audit" / "schemas" / "findings.schema.json"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("suggest") / "findings.json"
    assert main(["check", DEMO, "--suggest", "--format", "json", "-o", str(out), "--today", "2026-11-24"]) == 1
    return json.loads(out.read_text())


def test_json_carries_a_suggestion_beside_each_open_finding(demo_json):
    jsonschema.validate(demo_json, json.loads(FINDINGS_SCHEMA.read_text()))
    opened = [f for f in demo_json["findings"] if f["status"] == "open"]
    assert opened and all("suggestion" in f for f in opened)
    assert not any("suggestion" in f for f in demo_json["findings"] if f["status"] != "open")
    pci = next(f for f in opened if f["rule"] == "PCI-7.2.1")
    s = pci["suggestion"]
    assert s["fix"] == "remove_grants" and s["action"] == "remove" and s["verified"] is True
    assert s["patch"] == [{"op": "remove",
                           "path": "/accounts/2/iam/RoleDetailList/0/AssumeRolePolicyDocument/Statement/0"}]
    assert [r["pointer"] for r in s["removes"]] == [s["patch"][0]["path"]]
    # the outsider also loses what the role gave it elsewhere: the collateral, as access changes
    assert {(c["change"], c["principal"], c["bucket"]) for c in s["collateral"]} == {
        ("lost", "arn:aws:iam::999999999999:root", "analytics-ml-features")}
    trust = next(f for f in opened if f["rule"] == "HYG-trust-external-id")["suggestion"]
    assert trust["action"] == "narrow"
    assert trust["statement"]["Condition"] == {"StringEquals": {"sts:ExternalId":
                                                                "REPLACE-WITH-THE-EXTERNAL-ID-AGREED-WITH-THE-THIRD-PARTY"}}
    region = next(f for f in opened if f["rule"] == "GDPR-44-region")["suggestion"]
    assert region == {"fix": None, "verified": False, "change": None,
                      "reason": "no single change fixes this finding: a bucket's region cannot change: copy the data "
                                "to a bucket in an allowed region"}


def test_without_suggest_nothing_changes(capsys):
    code, out, _ = run(capsys, "check", DEMO, "--format", "json", "--today", "2026-11-24")
    assert code == 1 and not any("suggestion" in f for f in json.loads(out)["findings"])


def test_sarif_fixes_validate_and_each_edit_fixes_its_finding(capsys, tmp_path):
    estate = tmp_path / "estate.json"
    shutil.copy(DEMO, estate)
    sarif = tmp_path / "out.sarif"
    assert main(["check", str(estate), "--suggest", "--format", "sarif", "-o", str(sarif),
                 "--today", "2026-11-24"]) == 1
    doc = json.loads(sarif.read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(doc)
    results = doc["runs"][0]["results"]
    fixed = [r for r in results if "fixes" in r]
    assert len(fixed) >= 80
    text = estate.read_text()
    for rule in ("PCI-7.2.1", "FSBP-S3.8", "FSBP-S3.5", "HYG-trust-external-id", "FSBP-S3.14"):
        r = next(x for x in fixed if x["ruleId"] == rule)
        [change] = r["fixes"][0]["artifactChanges"]
        assert change["artifactLocation"]["uri"] == "file://" + str(estate)  # outside the repository: a file URI
        edited = tmp_path / f"{rule}.json"
        edited.write_text(apply_replacements(text, change["replacements"]))
        json.loads(edited.read_text())  # still JSON
        code, out, _ = run(capsys, "check", edited, "--format", "json", "--today", "2026-11-24")
        after = {f["fingerprint"] for f in json.loads(out)["findings"]}
        assert r["partialFingerprints"]["s3audit/v1"] not in after, rule


def test_iac_suggestions_name_the_line_and_sarif_deletes_the_statement(capsys, tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(TF, copy)
    code, out, _ = run(capsys, "check", copy, "--suggest", "--format", "json")
    findings = json.loads(out)["findings"]
    public = next(f for f in findings if f["rule"] == "FSBP-S3.2")
    s = public["suggestion"]
    assert s["verified"] and s["edits"] == [{"file": str(copy / "main.tf"), "line": 22, "column": 7,
                                             "change": s["change"]}]
    sarif = tmp_path / "out.sarif"
    main(["check", str(copy), "--suggest", "--format", "sarif", "-o", str(sarif)])
    doc = json.loads(sarif.read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(doc)
    r = next(x for x in doc["runs"][0]["results"] if x["ruleId"] == "FSBP-S3.2")
    [change] = r["fixes"][0]["artifactChanges"]
    main_tf = copy / "main.tf"
    main_tf.write_text(apply_replacements(main_tf.read_text(), change["replacements"]))
    assert "PublicRead" not in main_tf.read_text() and "TLSOnly" in main_tf.read_text()
    code, out, _ = run(capsys, "check", copy, "--format", "json")
    assert "FSBP-S3.2" not in {f["rule"] for f in json.loads(out)["findings"]}
    # a change that is not a removal (Block Public Access) is placed and worded, but carries no text edit
    bpa = next(x for x in doc["runs"][0]["results"] if x["ruleId"] == "FSBP-S3.8")
    assert "fixes" not in bpa and bpa["properties"]["suggestion"]["edits"][0]["line"] == 9


def test_text_markdown_junit_and_html_show_the_suggestion(capsys, tmp_path):
    outs = {fmt: tmp_path / f"out.{ext}" for fmt, ext in (("text", "txt"), ("markdown", "md"), ("junit", "xml"),
                                                           ("html", "html"))}
    argv = ["check", DEMO, "--suggest", "--profile", "pci", "--today", "2026-11-24"]
    for fmt, path in outs.items():
        argv += ["-o", f"{fmt}={path}"]
    assert main(argv) == 1
    text = outs["text"].read_text()
    assert ("fix: remove the grant that opens every route of arn:aws:iam::999999999999:root to "
            "payments-cardholder-data") in text
    assert "remove /accounts/2/iam/RoleDetailList/0/AssumeRolePolicyDocument/Statement/0" in text
    assert "- arn:aws:iam::999999999999:root lost list, read, write, permissions access to analytics-ml-features" in text
    md = outs["markdown"].read_text()
    assert "### Suggested fixes" in md and "```diff" in md
    assert '-    "Effect": "Allow",' in md and '+[]' in md
    assert "suggestion: fix: set the default encryption of payments-settlement-reports to aws:kms" in \
        outs["junit"].read_text()
    html = outs["html"].read_text()
    assert "<h4>Suggested fix</h4>" in html and 'class="diff"' in html


def test_read_back_findings_keep_their_suggestions(demo_json, tmp_path):
    from s3audit.report.model import Report
    r = Report.from_json(demo_json)
    assert len(r.suggestions) == sum(1 for f in demo_json["findings"] if "suggestion" in f)
    assert r.to_json()["findings"] == demo_json["findings"]
