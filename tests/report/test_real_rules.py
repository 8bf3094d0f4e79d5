"""The faces over the real rule packs, evaluator and access graph: the demo estate's planted problems, the
overlay of issue 7 (a new trust policy opens a path to an existing PCI bucket), the nightly a day apart.
Skipped in a build without the evaluator or the graph; the other tests of this directory use a stand-in."""
from __future__ import annotations

import importlib.util
import json

import jsonschema
import pytest

from .conftest import DAY1, DAY2, SARIF_SCHEMA

REAL = all(importlib.util.find_spec(m) is not None for m in ("s3audit.lang.evaluate", "s3audit.graph.paths"))
pytestmark = pytest.mark.skipif(not REAL, reason="the rule evaluator or the access graph is not in this build")
TODAY = "--today=2026-11-24"
PLAN_DIR = "fixtures/terraform-plans/external-trust-role"


def subjects(doc, status=None):
    return {f["subject"] for f in doc["findings"] if status is None or f["status"] == status}


def test_pci_profile_finds_the_planted_pci_problems_and_nothing_else(cli):
    status, out, _ = cli("check", DAY1, TODAY, "--profile", "pci", "--format", "json")
    doc = json.loads(out)
    assert status == 1
    assert subjects(doc) == {"arn:aws:s3:::payments-cardholder-data", "arn:aws:s3:::payments-settlement-reports",
                             "arn:aws:s3:::payments-token-vault"}  # the token vault's key does not rotate
    chain = [f for f in doc["findings"] if f["subject"] == "arn:aws:s3:::payments-cardholder-data"]
    assert any("999999999999" in f["message"] for f in chain)  # the external chain, not the bucket's settings
    controls = {c for f in doc["findings"] for c in f["controls"]}
    assert {"PCI-DSS-4.0:3.5.1", "PCI-DSS-4.0:7.2.1", "PCI-DSS-4.0:3.7.4"} <= controls


def test_default_profile_on_the_demo_estate_every_format(cli, tmp_path):
    status, _, _ = cli("check", DAY1, TODAY, "-o", tmp_path / "r.json", "-o", tmp_path / "r.sarif",
                       "-o", tmp_path / "r.xml", "-o", tmp_path / "r.md", "-o", tmp_path / "r.html")
    assert status == 1
    doc = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(doc, json.loads(open("s3audit/schemas/findings.schema.json").read()))
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    assert len(sarif["runs"][0]["results"]) == len(doc["findings"])
    # the clean buckets stay clean; the unreadable policy is unknown, never passed
    assert not {"arn:aws:s3:::payments-ledger-archive", "arn:aws:s3:::analytics-eu-profiles"} & subjects(doc)
    assert "arn:aws:s3:::analytics-ml-features" in subjects(doc, "unknown")
    assert "```mermaid" in (tmp_path / "r.md").read_text()
    assert '<section id="paths"><h2>Reachable paths to sensitive data' in (tmp_path / "r.html").read_text()


def test_overlay_path_finding_is_on_the_trust_policy_line(cli):
    status, out, _ = cli("check", "--live", "fixtures/overlay/live-pci.json", "--terraform-plan", f"{PLAN_DIR}.json",
                         "--terraform-dir", PLAN_DIR, "--format", "json")
    doc = json.loads(out)
    assert status == 1
    trust_line = next(i for i, line in enumerate(open(f"{PLAN_DIR}/main.tf"), 1)
                      if "999999999999" in line) - 2
    on_bucket = [f for f in doc["findings"] if f["subject"] == "arn:aws:s3:::payments-cardholder-data"]
    assert on_bucket, doc["findings"]
    for f in on_bucket:
        assert f["location"] == {"file": f"{PLAN_DIR}/main.tf", "line": trust_line, "column": 7}
    assert all(f["location"] for f in doc["findings"])  # only what the change introduces, all on its lines


def test_nightly_over_the_demo_estate_a_day_apart(cli, tmp_path):
    history = tmp_path / "h"
    cli("scan", "--history", history, "--snapshot", DAY1, TODAY)
    status, out, _ = cli("scan", "--history", history, "--snapshot", DAY2, "--today=2026-11-25", "--format", "json")
    diff = json.loads(out)
    assert status == 1
    assert subjects(diff) == {"arn:aws:s3:::sandbox-campaign-landing"}
    assert {f["subject"] for f in diff["resolved"]} == {"arn:aws:s3:::analytics-raw-events"}
    gained = {(c["principal"], c["level"]) for c in diff["access_changes"]
              if c["bucket"] == "sandbox-campaign-landing" and c["change"] == "gained"}
    assert ("anonymous", "read") in gained


def test_profile_packs_from_any_directory_and_extra_rule_files_always_run(cli, tmp_path, monkeypatch):
    rules = tmp_path / "acme.s3r"
    rules.write_text('pack acme "ACME house rules"\n  version "0.1.0"\n\n'
                     'rule ACME-NO-SCRATCH "No scratch buckets"\n  severity low\n  controls "ACME:1"\n'
                     '  for bucket b\n  require b.name != "sandbox-scratch"\n  message "{b.name} is a scratch bucket"\n')
    estate = str(__import__("pathlib").Path(DAY1).resolve())
    monkeypatch.chdir(tmp_path)  # built-in packs are told apart by where they live, not by the working directory
    status, out, _ = cli("check", estate, TODAY, "--profile", "fsbp", "--rules", rules, "--format", "json",
                         "--fail-on", "never")
    doc = json.loads(out)
    assert status == 0
    assert {r["pack"] for r in doc["rules"]} == {"aws-fsbp", "acme"}
    assert {p["name"] for p in doc["rule_packs"]} == {"aws-fsbp", "acme"}
    assert ("ACME-NO-SCRATCH", "arn:aws:s3:::sandbox-scratch") in {(f["rule"], f["subject"]) for f in doc["findings"]}
