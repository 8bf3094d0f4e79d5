"""The built-in packs on the demo estate: every problem fixtures/demo/planted.yaml lists is found, by a rule
of one of its families, with its status; nothing else is reported, bar the deviations listed here with
their reasons; the clean buckets and the benign cases stay silent; day 2 keeps the fingerprints of the
findings that did not change.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from s3audit.lang.evaluate import load_program, run_rules
from s3audit.snapshot.load import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
PLANTED = yaml.safe_load((ROOT / "fixtures/demo/planted.yaml").read_text())
HAVE_GRAPH = importlib.util.find_spec("s3audit.graph.build") is not None

# pack -> the family of planted.yaml it reports for
FAMILY = {"aws-fsbp": "fsbp", "cis-aws": "cis", "pci-dss": "pci", "gdpr": "gdpr", "governance": "governance",
          "hygiene": "hygiene", "access-paths": "path"}
FRAMEWORK = {"fsbp": "AWS-FSBP:", "cis": "CIS-AWS-3.0:", "pci": "PCI-DSS-4.0:", "gdpr": "GDPR:"}

# Findings the catalogue does not list, on purpose: (rule, subject) -> why it is right to report them.
DEVIATIONS = {
    ("PATH-escalation", "arn:aws:iam::333333333333:role/platform-admin"):
        "analytics' platform-admin (AdministratorAccess) can rewrite partner-integration's trust policy, become it, "
        "assume payments-reader and read payments-cardholder-data: an administrator of one account reaching "
        "cardholder data of another, through the planted chain; the catalogue lists the chain, not this entry to it",
}


def _subject(p: dict) -> str:
    return "arn:aws:s3:::" + p["subject"] if p["kind"] == "bucket" else p["subject"]


@pytest.fixture(scope="module")
def program():
    return load_program()


def _run(program, path):
    rules = {r.meta.id: r for r in program.compiled}
    select = None if HAVE_GRAPH else (lambda m: not rules[m.id].needs_graph)
    return run_rules(program, load_snapshot(str(path)), select=select)


@pytest.fixture(scope="module")
def day1(program):
    return _run(program, ROOT / "s3audit/demo/estate.json")


@pytest.fixture(scope="module")
def day2(program):
    return _run(program, ROOT / "s3audit/demo/estate-day2.json")


def _family(result, finding) -> str:
    packs = {m.id: m.pack for m in result.rules}
    return FAMILY[packs[finding.rule]]


def _explains(problem: dict, finding, family: str) -> bool:
    """Whether a catalogue entry accounts for a finding."""
    if _subject(problem) != finding.subject or family not in problem["families"]:
        return False
    if (problem["status"] == "unknown") != (finding.status.value == "unknown"):
        return False
    if not problem["planted"]:
        # an incidental gap names its control: the finding must implement it
        entry = [c for c in problem["controls"] if family in FRAMEWORK and c.startswith(FRAMEWORK[family])]
        if entry and not set(entry) & set(finding.controls):
            return False
    return True


def test_every_listed_problem_is_found(day1):
    missed = []
    for p in PLANTED["problems"]:
        families = set(p["families"])
        if not HAVE_GRAPH and "path" in families:
            continue  # found by the access graph
        if not any(_explains(p, f, _family(day1, f)) for f in day1.findings
                   if _family(day1, f) in families):
            missed.append(p["id"])
    assert missed == []


def test_nothing_else_is_reported(day1):
    extra = []
    for f in day1.findings:
        fam = _family(day1, f)
        if any(_explains(p, f, fam) for p in PLANTED["problems"]):
            continue
        if (f.rule, f.subject) in DEVIATIONS:
            continue
        extra.append((f.rule, f.status.value, f.subject, f.message))
    assert extra == []


def test_each_deviation_still_happens(day1):
    if not HAVE_GRAPH:
        pytest.skip("the deviations are access-graph findings")
    seen = {(f.rule, f.subject) for f in day1.findings}
    assert set(DEVIATIONS) <= seen


def test_clean_buckets_have_no_finding(day1):
    for name in PLANTED["clean_buckets"]:
        assert [f.rule for f in day1.findings if f.subject == f"arn:aws:s3:::{name}"] == []


def test_the_planted_chain_is_reported_hop_by_hop(day1):
    if not HAVE_GRAPH:
        pytest.skip("needs the access graph")
    (f,) = [f for f in day1.findings if f.rule == "PCI-7.2.1"]
    assert f.subject == "arn:aws:s3:::payments-cardholder-data" and f.status.value == "open"
    hops = PLANTED["chain"]["hops"]
    assert [(e["from"], e["kind"]) for e in f.evidence] == [(h["from"], h["kind"]) for h in hops]
    assert f.key[0] == "arn:aws:iam::999999999999:root"


def test_an_unreadable_policy_is_unknown_never_a_pass(day1):
    """bucket-policy-unreadable: every check that needs the policy reports `unknown`, and the public checks,
    which RestrictPublicBuckets settles whatever the policy says, pass (benign unknown-policy-not-public)."""
    on_bucket = {f.rule: f for f in day1.findings if f.subject == "arn:aws:s3:::analytics-ml-features"}
    for rule in ("FSBP-S3.5", "CIS-2.1.1", "FSBP-S3.6"):
        assert on_bucket[rule].status.value == "unknown"
        assert "GetBucketPolicy: AccessDenied" in json.dumps(on_bucket[rule].evidence)
    assert "FSBP-S3.2" not in on_bucket and "FSBP-S3.3" not in on_bucket
    assert all(f.status.value == "unknown" for f in on_bucket.values())


@pytest.mark.parametrize("case", PLANTED["benign"], ids=lambda c: c["id"])
def test_benign_cases_stay_silent(day1, case):
    subjects = [s.strip() for s in case["subject"].split(",")]
    findings = day1.findings
    if case["id"] == "public-acl-neutralised":
        bad = [f for f in findings if f.subject == "arn:aws:s3:::sandbox-legacy-uploads"
               and f.rule in ("FSBP-S3.2", "FSBP-S3.3", "GDPR-32-public", "PATH-external-read")]
    elif case["id"] == "aws-default-org-policies":
        bad = [f for f in findings if f.rule.startswith("HYG-") and ("p-FullAWSAccess" in f.subject
                                                                       or "p-RCPFullAWSAccess" in f.subject)]
    elif case["id"] == "other-services-actions":
        bad = [f for f in findings if f.rule.startswith("HYG-") and "AmazonS3ReadOnlyAccess" in f.subject]
    elif case["id"] == "log-delivery-not-public":
        logs = {f"arn:aws:s3:::{s}" for s in subjects}
        bad = [f for f in findings if f.subject in logs and f.rule in (
            "FSBP-S3.2", "FSBP-S3.3", "FSBP-S3.6", "PATH-external-read", "HYG-public-principal")]
    elif case["id"] == "unknown-policy-not-public":
        bad = [f for f in findings if f.subject == "arn:aws:s3:::analytics-ml-features"
               and f.rule in ("FSBP-S3.2", "FSBP-S3.3", "GDPR-32-public")]
    elif case["id"] == "mfa-admin-roles":
        bad = [f for f in findings if f.subject.endswith(":role/platform-admin") and f.rule != "PATH-escalation"]
    elif case["id"] == "boundary-blocks-cardholder-data":
        bad = [f for f in findings if f.subject == subjects[0] or subjects[0] in json.dumps(f.evidence)]
    elif case["id"] == "non-default-policy-version":
        bad = [f for f in findings if f.rule == "PATH-escalation" and f.subject == "arn:aws:iam::111111111111:user/bob"]
    else:
        bad = [f for f in findings if f.subject in subjects
               or f.subject in {f"arn:aws:s3:::{s}" for s in subjects}]
    assert [(f.rule, f.subject) for f in bad] == []


def test_day_two_keeps_fingerprints_and_reports_the_changes(day1, day2):
    before = {f.fingerprint: f for f in day1.findings}
    after = {f.fingerprint: f for f in day2.findings}
    gone = [before[k] for k in before.keys() - after.keys()]
    new = [after[k] for k in after.keys() - before.keys()]
    # the TLS-only policy was added to analytics-raw-events: its TLS findings are gone, nothing else is
    assert {(f.rule, f.subject) for f in gone} == {(r, "arn:aws:s3:::analytics-raw-events")
                                                   for r in ("FSBP-S3.5", "CIS-2.1.1")}
    # everything new is about the new public bucket
    assert {f.subject for f in new} == {"arn:aws:s3:::sandbox-campaign-landing"}
    assert "FSBP-S3.2" in {f.rule for f in new}


def test_findings_carry_pointers_into_the_snapshot(day1):
    snap = json.loads((ROOT / "s3audit/demo/estate.json").read_text())
    for f in day1.findings:
        assert f.pointer is not None and f.location is None  # no IaC locations in a collected estate
        node = snap
        for token in f.pointer.split("/")[1:]:
            node = node[int(token)] if isinstance(node, list) else node[token.replace("~1", "/").replace("~0", "~")]
