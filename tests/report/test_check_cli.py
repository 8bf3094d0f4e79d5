"""`s3audit check` end to end through the command line: every format, every exit status, on the demo
estate and on IaC fixtures (alone and overlaid on the live estate), with profiles, waivers and baselines.
The rules are the stand-in evaluator of fakes.py, so the findings are known exactly."""
from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from .conftest import DAY1, DAY2, SARIF_SCHEMA, load
from ..fixture_text import line_of

pytestmark = pytest.mark.usefixtures("fake_rules")
TODAY = "--today=2026-11-24"
CFN = "fixtures/cloudformation/public-policy.yaml"
LIVE = "fixtures/overlay/live-pci.json"
PLAN = "fixtures/terraform-plans/external-trust-role.json"
PLAN_DIR = "fixtures/terraform-plans/external-trust-role"


def profile(tmp_path, body: str, name: str = "p.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return str(path)


# ---- formats on the demo estate ----

def test_text_on_the_demo_estate_fails_at_high(cli):
    status, out, err = cli("check", DAY1, TODAY)
    assert status == 1 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"s3audit: {DAY1} (taken 2026-11-24T02:00:00Z), profile default"
    assert "  FAKE-PUBLIC  arn:aws:s3:::sandbox-marketing-site  anyone can read sandbox-marketing-site" in lines
    assert lines.index("CRITICAL (2)") < lines.index("HIGH (8)") < lines.index("MEDIUM (8)") < lines.index("LOW (1)")
    assert lines[-1] == ("summary: 19 findings (2 critical, 8 high, 8 medium, 1 low); 1 unknown; "
                         "FAIL: 10 at or above high")
    assert "\x1b[" not in out  # not a terminal


def test_json_on_the_demo_estate(cli):
    status, out, _ = cli("check", DAY1, TODAY, "--format", "json")
    doc = json.loads(out)
    assert status == 1
    jsonschema.validate(doc, load("s3audit/schemas/findings.schema.json"))
    assert doc["format"] == "s3audit.findings/v1" and doc["taken_at"] == "2026-11-24T02:00:00Z"
    tls = sorted(f["subject"] for f in doc["findings"] if f["rule"] == "FAKE-TLS")
    assert tls == ["arn:aws:s3:::analytics-raw-events", "arn:aws:s3:::analytics-vendor-exchange",
                   "arn:aws:s3:::sandbox-legacy-uploads", "arn:aws:s3:::sandbox-marketing-site",
                   "arn:aws:s3:::sandbox-scratch"]
    unknown = [f for f in doc["findings"] if f["status"] == "unknown"]
    assert [f["subject"] for f in unknown] == ["arn:aws:s3:::analytics-ml-features"]
    assert all(f["location"] is None for f in doc["findings"])  # a live snapshot has no source lines
    assert {p["name"] for p in doc["rule_packs"]} == {"aws-fsbp", "cis-aws", "governance", "hygiene", "pci-dss"}
    assert doc["profile"]["name"] == "default"


def test_sarif_on_the_demo_estate_is_valid_and_points_into_the_snapshot(cli, tmp_path):
    out_file = tmp_path / "out.sarif"
    status, out, err = cli("check", DAY1, TODAY, "--format", "sarif", "-o", out_file)
    assert status == 1 and out == ""
    # the verdict still reaches the CI log, after the file written
    assert err.startswith(f"wrote {out_file}; summary: 19 findings")
    doc = json.loads(out_file.read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(doc)
    results = doc["runs"][0]["results"]
    assert len(results) == 19
    site = next(r for r in results if r["ruleId"] == "FAKE-PUBLIC")
    phys = site["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == DAY1
    text = open(DAY1).read().splitlines()
    assert '"Name": "sandbox-marketing-site"' in text[phys["region"]["startLine"]]  # the bucket's object
    assert site["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "arn:aws:s3:::sandbox-marketing-site"


def test_junit_on_the_demo_estate(cli, tmp_path):
    status, _, _ = cli("check", DAY1, TODAY, "-o", f"junit={tmp_path / 'r.xml'}")
    root = ET.parse(tmp_path / "r.xml").getroot()
    cases = list(root.iter("testcase"))
    assert status == 1
    assert ("FAKE-CLEAN", "(no findings)") in {(c.get("classname"), c.get("name")) for c in cases}
    assert int(root.get("failures")) == 18 and int(root.get("errors")) == 1


def test_markdown_and_html_on_the_demo_estate(cli, tmp_path):
    status, out, _ = cli("check", DAY1, TODAY, "--format", "markdown", "-o", f"html={tmp_path / 'r.html'}")
    assert status == 1
    assert out.startswith("## s3audit: ❌ **10 findings at or above high**")
    assert "```mermaid" in out and 'n0["arn:aws:iam::888888888888:root"]' in out
    page = (tmp_path / "r.html").read_text()
    assert '<section id="findings"><h2>Findings (19)</h2>' in page


def test_several_outputs_at_once(cli, tmp_path):
    d = tmp_path / "out"
    status, out, _ = cli("check", DAY1, TODAY, "--format", "text", "-o", f"{d}/a.sarif", "-o", f"json={d}/a.json",
                         "-o", f"{d}/a.xml", "-o", f"{d}/a.md", "-o", f"{d}/a.html")
    assert status == 1 and out.startswith("s3audit: ")
    assert sorted(p.name for p in d.iterdir()) == ["a.html", "a.json", "a.md", "a.sarif", "a.xml"]
    assert json.loads((d / "a.sarif").read_text())["version"] == "2.1.0"
    assert json.loads((d / "a.json").read_text())["format"] == "s3audit.findings/v1"


def test_format_list_with_positional_outputs(cli, tmp_path):
    status, out, _ = cli("check", DAY1, TODAY, "--format", "sarif,junit", "-o", tmp_path / "x", "-o",
                         tmp_path / "y")
    assert out == ""
    assert json.loads((tmp_path / "x").read_text())["version"] == "2.1.0"
    ET.parse(tmp_path / "y")


# ---- exit statuses ----

def test_exit_0_when_nothing_is_at_or_above_the_threshold(cli):
    assert cli("check", DAY1, TODAY, "--fail-on", "never")[0] == 0
    # governance: only the tag rule (low) and a rule that never fires; the profile fails on medium
    status, out, _ = cli("check", DAY1, TODAY, "--profile", "governance")
    assert status == 0 and out.splitlines()[-1] == "summary: 1 finding (1 low); pass: nothing at or above medium"
    assert cli("check", DAY1, TODAY, "--profile", "governance", "--fail-on", "low")[0] == 1


def test_waived_findings_do_not_count(cli, tmp_path):
    p = profile(tmp_path, """
        profile: t
        packs: [governance]
        fail_on: low
        waivers:
          - {rule: FAKE-TAGS, resource: sandbox-scratch, reason: scratch space, owner: platform, expires: 2027-01-01}
        """)
    status, out, _ = cli("check", DAY1, TODAY, "--profile", p)
    assert status == 0
    assert "  FAKE-TAGS  arn:aws:s3:::sandbox-scratch  [low] waived until 2027-01-01 (platform: scratch space)" in out
    assert out.splitlines()[-1] == "summary: 0 findings; 1 waived; pass: nothing at or above low"


@pytest.mark.parametrize("argv, message", [
    (["check", "missing.json"], "missing.json: no such file"),
    (["check", DAY1, "--format", "yaml"], "unknown format `yaml`"),
    (["check", DAY1, "--format", "json", "--format", "text"], "only one format can go to standard output"),
    (["check", DAY1, "-o", "report.bin"], "cannot tell the format of `report.bin`"),
    (["check", DAY1, "--live", LIVE], "--live needs a change to overlay"),
    (["check", DAY1, "--today", "tomorrow"], "--today expects a date"),
    (["check", DAY1, "--profile", "nope"], "no profile file or built-in profile named `nope`"),
    (["check"], "give a snapshot, or IaC"),
    (["check", DAY1, DAY2], "one snapshot at a time"),
    # a file of no kind is an error (no silent pass), unless the pre-commit hook's --skip-unrecognized
    (["check", "s3audit/schemas/profile.schema.json"], "s3audit/schemas/profile.schema.json: not a snapshot"),
    (["check", "s3audit/schemas/profile.schema.json", "--skip-unrecognized"], None),
])
def test_exit_2_for_bad_input_and_usage(cli, argv, message):
    status, out, err = cli(*argv)
    if message is None:
        assert status == 0 and "nothing to check" in err
        return
    assert status == 2, (out, err)
    assert message in err and "Traceback" not in err


def test_bad_fail_on_is_a_usage_error(cli):
    with pytest.raises(SystemExit) as exc:
        cli("check", DAY1, "--fail-on", "severe")
    assert exc.value.code == 2


def test_a_profile_naming_an_unknown_pack_is_rejected_at_its_line(cli, tmp_path):
    p = profile(tmp_path, "profile: t\npacks: [aws-fsbp, pcidss]\n")
    status, _, err = cli("check", DAY1, TODAY, "--profile", p)
    assert status == 2
    assert f"{p}:2:19: unknown rule pack `pcidss`; did you mean `pci-dss`?" in err


def test_a_waiver_with_a_bad_date_is_rejected_with_file_and_line(cli, tmp_path):
    p = profile(tmp_path, """
        profile: t
        waivers:
          - rule: FAKE-PUBLIC
            resource: "arn:aws:s3:::sandbox-marketing-site"
            reason: public website
            owner: web
            expires: 2026-02-30
        """)
    status, out, err = cli("check", DAY1, TODAY, "--profile", p)
    assert status == 2 and out == ""
    assert err.strip() == (f"s3audit: {p}:7:14: waiver expiry `2026-02-30` is not a date "
                           f"(expected YYYY-MM-DD, for example 2027-01-31)")


# ---- waivers through the command line ----

def test_active_expired_and_stale_waivers(cli, tmp_path):
    p = profile(tmp_path, """
        profile: t
        waivers:
          - rule: FAKE-PUBLIC
            resource: "arn:aws:s3:::sandbox-marketing-site"
            reason: public website, data-class=public
            owner: marketing
            expires: 2027-03-31
          - rule: FAKE-KMS
            resource: "payments-*"
            reason: key rotation project
            owner: payments
            expires: 2026-10-31
          - rule: FAKE-TLS
            resource: "arn:aws:s3:::decommissioned-*"
            reason: gone
            owner: platform
            expires: 2027-01-01
        """)
    status, out, _ = cli("check", DAY1, TODAY, "--profile", p, "--format", "json")
    doc = json.loads(out)
    by = {(f["rule"], f["subject"]): f for f in doc["findings"]}
    site = by[("FAKE-PUBLIC", "arn:aws:s3:::sandbox-marketing-site")]
    assert site["status"] == "waived" and site["waiver"]["owner"] == "marketing"
    assert site["waiver"]["line"] == 3 and site["waiver"]["file"] == p
    for name in ("payments-access-logs", "payments-settlement-reports"):
        assert by[("FAKE-KMS", f"arn:aws:s3:::{name}")]["status"] == "open"  # expired: waives nothing
    waivers = {w["rule"]: w for w in doc["waivers"]}
    assert waivers["FAKE-PUBLIC"]["status"] == "active" and len(waivers["FAKE-PUBLIC"]["matched"]) == 1
    assert waivers["FAKE-KMS"]["status"] == "expired" and len(waivers["FAKE-KMS"]["matched"]) == 2
    assert waivers["FAKE-TLS"]["status"] == "stale" and waivers["FAKE-TLS"]["matched"] == []
    assert doc["summary"]["waivers"] == {"active": 1, "expired": 1, "stale": 1}
    assert doc["summary"]["by_status"]["waived"] == 1
    _, text, _ = cli("check", DAY1, TODAY, "--profile", p)
    assert f"  {p}:8: expired 2026-10-31: waiver for FAKE-KMS on payments-* (owner payments); 2 findings no longer waived" \
        in text.splitlines()
    assert f"  {p}:13: stale: waiver for FAKE-TLS on arn:aws:s3:::decommissioned-* (owner platform) matched nothing" \
        in text.splitlines()


def test_profile_scope_params_and_severity_overrides(cli, tmp_path):
    p = profile(tmp_path, """
        profile: payments
        scope:
          accounts: ["222222222222"]
        severity_overrides:
          FAKE-KMS: critical
        """)
    status, out, _ = cli("check", DAY1, TODAY, "--profile", p, "--format", "json")
    doc = json.loads(out)
    assert {f["subject"] for f in doc["findings"]} == {"arn:aws:s3:::payments-access-logs",
                                                       "arn:aws:s3:::payments-settlement-reports"}
    assert {f["severity"] for f in doc["findings"]} == {"critical"}
    assert next(r for r in doc["rules"] if r["id"] == "FAKE-KMS")["severity"] == "critical"


# ---- baselines ----

def test_baseline_reports_only_new_fingerprints(cli, tmp_path):
    base = tmp_path / "day1.json"
    cli("check", DAY1, TODAY, "-o", f"json={base}")
    status, out, _ = cli("check", DAY1, TODAY, "--baseline", base)
    assert status == 0
    assert out.splitlines()[-1] == "summary: 0 new findings; 19 in the baseline; pass: nothing at or above high"
    status, out, _ = cli("check", DAY2, TODAY, "--baseline", base, "--format", "json")
    doc = json.loads(out)
    assert status == 1
    assert sorted((f["rule"], f["subject"]) for f in doc["findings"]) == [
        ("FAKE-KMS", "arn:aws:s3:::sandbox-campaign-landing"), ("FAKE-PUBLIC", "arn:aws:s3:::sandbox-campaign-landing"),
        ("FAKE-TLS", "arn:aws:s3:::sandbox-campaign-landing")]
    assert doc["baseline"] == {"file": str(base), "known": 18}


def test_baseline_must_be_a_findings_file(cli):
    status, _, err = cli("check", DAY1, "--baseline", DAY2)
    assert status == 2 and "not an s3audit findings file" in err


# ---- IaC ----

def test_cloudformation_findings_are_on_the_template_lines(cli, tmp_path):
    status, out, _ = cli("check", "--cloudformation", CFN, "--format", "json")
    doc = json.loads(out)
    assert status == 1
    by = {f["rule"]: f for f in doc["findings"]}
    assert by["FAKE-PUBLIC"]["location"] == {"file": CFN, "line": line_of(CFN, "- Sid: PublicRead"), "column": 13}
    assert by["FAKE-TLS"]["location"] == {"file": CFN, "line": line_of(CFN, "Assets:"), "column": 3}
    assert doc["mode"] == "iac" and doc["inputs"] == [CFN]


def test_iac_sarif_has_file_locations(cli, tmp_path):
    status, _, _ = cli("check", CFN, "--format", "sarif", "-o", tmp_path / "r.sarif")
    doc = json.loads((tmp_path / "r.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(doc)
    public = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "FAKE-PUBLIC")
    assert public["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": CFN}, "region": {"startLine": line_of(CFN, "- Sid: PublicRead"), "startColumn": 13}}


def test_terraform_directory_and_the_pre_commit_hook_skipping_other_files(cli):
    status, out, err = cli("check", "fixtures/terraform/v4-public-policy/main.tf", "pyproject.toml",
                           "s3audit/schemas/findings.schema.json", "--skip-unrecognized")
    assert status == 1
    assert "skipped s3audit/schemas/findings.schema.json" in err and "skipped pyproject.toml" in err
    assert "(fixtures/terraform/v4-public-policy/main.tf:" in out


def test_overlay_reports_the_path_on_the_trust_policy_line(cli):
    """The change adds only an external principal to a role's trust policy; the role's permissions to the
    PCI bucket are live. The path finding is on the trust statement's line, and nothing else is reported."""
    status, out, _ = cli("check", "--live", LIVE, "--terraform-plan", PLAN, "--terraform-dir", PLAN_DIR,
                         "--format", "json")
    doc = json.loads(out)
    assert status == 1 and doc["mode"] == "overlay"
    trust_line = line_of(f"{PLAN_DIR}/main.tf", 'Principal = { AWS = "arn:aws:iam::999999999999:root" }') - 2
    found = {(f["rule"], f["subject"]): f["location"] for f in doc["findings"]}
    assert found == {
        ("FAKE-PATH", "arn:aws:s3:::payments-cardholder-data"): {"file": f"{PLAN_DIR}/main.tf", "line": trust_line,
                                                                  "column": 7},
        ("FAKE-EXTERNAL-TRUST", "arn:aws:iam::222222222222:role/etl"): {"file": f"{PLAN_DIR}/main.tf",
                                                                         "line": trust_line, "column": 7}}
    assert doc["resolved"] == []


def test_overlay_lists_what_the_change_fixes(cli, tmp_path):
    """A change that adds the TLS-only policy to a live bucket: nothing new, the TLS finding fixed."""
    tf = tmp_path / "fix"
    tf.mkdir()
    (tf / "main.tf").write_text(textwrap.dedent('''
        resource "aws_s3_bucket_policy" "tls" {
          bucket = "payments-cardholder-data"
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Sid = "DenyInsecureTransport", Effect = "Deny", Principal = "*", Action = "s3:*"
              Resource = ["arn:aws:s3:::payments-cardholder-data", "arn:aws:s3:::payments-cardholder-data/*"]
              Condition = { Bool = { "aws:SecureTransport" = "false" } }
            }]
          })
        }
        '''))
    live = load(LIVE)
    has_tls = any(b.get("Policy") for a in live["accounts"] for b in a["s3"]["buckets"]
                  if b["Name"] == "payments-cardholder-data")
    status, out, _ = cli("check", LIVE, "--terraform", tf, "--format", "json")
    doc = json.loads(out)
    assert status == 0 and doc["findings"] == []
    fixed = [(f["rule"], f["subject"]) for f in doc["resolved"]]
    assert (("FAKE-TLS", "arn:aws:s3:::payments-cardholder-data") in fixed) is not has_tls
    _, text, _ = cli("check", LIVE, "--terraform", tf)
    assert text.splitlines()[-1].startswith("summary: 0 new findings")


def test_overlay_with_both_a_snapshot_and_live_is_a_usage_error(cli):
    status, _, err = cli("check", DAY1, "--live", LIVE, "--cloudformation", CFN)
    assert status == 2 and "give the live estate once" in err
