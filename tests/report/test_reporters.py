"""Each reporter over one hand-made Report: the contracts (JSON, SARIF schema, JUnit XML) and the shape of
the human formats (text, Markdown, HTML)."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from hypothesis import given, settings, strategies as st

from s3audit.findings import FINDINGS_FORMAT, Finding, Location, Severity, Status
from s3audit.report import FORMATS, format_for_path, render
from s3audit.report.jsonpos import pointer_positions
from s3audit.report.model import PathHop, PathPicture, Report, RuleInfo, load_findings
from s3audit.report.sarif import to_sarif

from .conftest import SARIF_SCHEMA

RULES = [RuleInfo("PCI-KMS", "Cardholder data is encrypted with KMS", Severity.HIGH, ("PCI-DSS-4.0:3.5.1",),
                  "Keys you control.", "Use SSE-KMS.", "pci-dss", "rules/pci.s3r", 4),
         RuleInfo("EXT", "No external path", Severity.CRITICAL, ("PCI-DSS-4.0:7.2.1", "GDPR:Art.32"), "", "",
                  "pci-dss", "rules/pci.s3r", 20),
         RuleInfo("TAGS", "Owner tags", Severity.LOW, (), "", "", "governance", "rules/gov.s3r", 1),
         RuleInfo("QUIET", "Never fires", Severity.INFO, (), "", "", "governance", "rules/gov.s3r", 9)]
PATH = {"principal": "arn:aws:iam::999999999999:root", "bucket": "cards", "access": ["s3:GetObject"],
        "decision": "allow", "external": ["arn:aws:iam::999999999999:root"], "hops": [
            {"from": "arn:aws:iam::999999999999:root", "to": "arn:aws:iam::111111111111:role/etl", "kind": "assume",
             "actions": ["sts:AssumeRole"]},
            {"from": "arn:aws:iam::111111111111:role/etl", "to": "cards", "kind": "access",
             "actions": ["s3:GetObject"], "decision": "conditional"}]}
FINDINGS = [
    Finding("PCI-KMS", Severity.HIGH, ("PCI-DSS-4.0:3.5.1",), "arn:aws:s3:::cards", "cards uses AES256 <b>&",
            evidence=({"encryption": "AES256"},), location=Location("infra/main.tf", 12, 3)),
    Finding("EXT", Severity.CRITICAL, ("PCI-DSS-4.0:7.2.1", "GDPR:Art.32"), "arn:aws:s3:::cards",
            "999999999999 can read cards", evidence=(PATH,), key=("999999999999",)),
    Finding("TAGS", Severity.LOW, (), "arn:aws:s3:::scratch", "no tags", status=Status.WAIVED,
            waiver={"rule": "TAGS", "resource": "*", "reason": "temporary", "owner": "ops", "expires": "2027-01-01",
                    "file": "policies/p.yaml", "line": 7}),
    Finding("PCI-KMS", Severity.HIGH, ("PCI-DSS-4.0:3.5.1",), "arn:aws:s3:::mystery", "encryption unknown",
            status=Status.UNKNOWN, evidence=({"missing": "GetBucketEncryption"},)),
    Finding("TAGS", Severity.LOW, (), "arn:aws:s3:::bad\x01name", "control \x07 char"),
]


def report(**kw) -> Report:
    base = dict(findings=list(FINDINGS), rules=list(RULES), packs=[("pci-dss", "1.2.0"), ("governance", "0.3.0")],
                snapshot={"taken_at": "2026-11-24T02:00:00Z", "file": "estate.json"},
                profile={"name": "pci", "file": "policies/pci.yaml"}, fail_on=Severity.HIGH,
                waivers=[{"rule": "OLD", "resource": "x", "reason": "r", "owner": "o", "expires": "2025-01-01",
                          "file": "policies/p.yaml", "line": 12, "status": "expired", "matched": ["abc"]},
                         {"rule": "GONE", "resource": "y", "reason": "r", "owner": "o", "expires": "2030-01-01",
                          "file": "policies/p.yaml", "line": 18, "status": "stale", "matched": []}],
                inputs=["infra/"], mode="iac")
    base.update(kw)
    r = Report(**base)
    from s3audit.report.access import pictures_from_findings
    r.paths = pictures_from_findings(r.findings)
    return r


def test_exit_status_counts_open_and_unknown_at_or_above_the_threshold_never_waived():
    assert report().exit_status == 1
    assert {f.rule for f in report().failing} == {"PCI-KMS", "EXT"}
    assert report(fail_on=Severity.CRITICAL).failing[0].rule == "EXT"
    assert report(fail_on=None).exit_status == 0
    only_waived = [f for f in FINDINGS if f.status is Status.WAIVED]
    assert report(findings=only_waived, fail_on=Severity.INFO).exit_status == 0
    unknown = [f for f in FINDINGS if f.status is Status.UNKNOWN]
    assert report(findings=unknown).exit_status == 1  # undecided never passes silently


# ---- JSON ----

def test_json_is_the_findings_v1_contract():
    doc = json.loads(render("json", report()))
    schema = json.loads(open("s3audit/schemas/findings.schema.json").read())
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["format"] == FINDINGS_FORMAT == "s3audit.findings/v1"
    first = doc["findings"][0]
    assert list(first)[:9] == ["rule", "severity", "controls", "subject", "message", "status", "evidence",
                               "location", "fingerprint"]
    assert first["rule"] == "EXT" and first["severity"] == "critical"  # sorted: worst first
    assert first["evidence"][0]["hops"][0]["kind"] == "assume"
    kms = next(f for f in doc["findings"] if f["location"])
    assert kms["location"] == {"file": "infra/main.tf", "line": 12, "column": 3}
    assert doc["summary"]["by_status"] == {"open": 3, "waived": 1, "unknown": 1}
    assert doc["summary"]["by_severity"] == {"info": 0, "low": 1, "medium": 0, "high": 2, "critical": 1}
    assert (doc["summary"]["fail_on"], doc["summary"]["failing"], doc["summary"]["passed"]) == ("high", 3, False)
    assert doc["taken_at"] == doc["snapshot"]["taken_at"] == "2026-11-24T02:00:00Z"
    assert doc["rule_packs"] == [{"name": "pci-dss", "version": "1.2.0"}, {"name": "governance", "version": "0.3.0"}]
    assert doc["profile"]["name"] == "pci"
    assert [w["status"] for w in doc["waivers"]] == ["expired", "stale"]
    waived = next(f for f in doc["findings"] if f["status"] == "waived")
    assert waived["waiver"]["owner"] == "ops"


def test_json_round_trips_with_the_written_fingerprints(tmp_path):
    r = report()
    path = tmp_path / "f.json"
    path.write_text(render("json", r))
    back = load_findings(str(path))
    assert sorted(f.fingerprint for f in back.findings) == sorted(f.fingerprint for f in r.findings)
    assert back.fail_on == Severity.HIGH and back.packs == r.packs and [x.id for x in back.rules] == [x.id for x in RULES]
    assert render("json", back) == render("json", r)


def test_reading_something_else_as_findings_is_an_input_error(tmp_path):
    from s3audit.errors import InputError
    bad = tmp_path / "x.json"
    bad.write_text('{"format": "s3audit.snapshot/v1"}')
    with pytest.raises(InputError, match="not an s3audit findings file"):
        load_findings(str(bad))
    bad.write_text('{"format": "s3audit.findings/v1", "findings": [{"rule": "R"}]}')
    with pytest.raises(InputError) as exc:
        load_findings(str(bad))
    assert exc.value.place.pointer == "/findings/0" and "missing required key `severity`" in exc.value.message


# ---- SARIF ----

@pytest.fixture(scope="module")
def sarif_validator():
    return jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))


def test_sarif_is_valid_against_the_official_schema(sarif_validator):
    doc = json.loads(render("sarif", report()))
    errors = sorted(sarif_validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, [(list(e.absolute_path), e.message) for e in errors[:5]]
    assert doc["version"] == "2.1.0"


def test_sarif_rules_results_locations_fingerprints_and_suppressions():
    r = report()
    run = to_sarif(r)["runs"][0]
    rules = {d["id"]: d for d in run["tool"]["driver"]["rules"]}
    assert list(rules) == ["PCI-KMS", "EXT", "TAGS", "QUIET"]
    ext = rules["EXT"]
    assert ext["properties"]["tags"] == ["security", "PCI-DSS-4.0:7.2.1", "GDPR:Art.32"]
    assert ext["properties"]["security-severity"] == "9.5" and ext["defaultConfiguration"]["level"] == "error"
    assert "Remediation: Use SSE-KMS." in rules["PCI-KMS"]["help"]["text"]
    assert "**Controls:** `PCI-DSS-4.0:3.5.1`" in rules["PCI-KMS"]["help"]["markdown"]
    results = run["results"]
    assert len(results) == len(FINDINGS)
    for res, f in zip(results, r.sorted_findings):
        assert res["ruleId"] == f.rule and run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == f.rule
        assert res["partialFingerprints"] == {"s3audit/v1": f.fingerprint}
        assert res["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": f.subject, "kind": "resource"}]
        assert res["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    kms = next(x for x in results if x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/main.tf")
    assert kms["locations"][0]["physicalLocation"]["region"] == {"startLine": 12, "startColumn": 3}
    waived = next(x for x in results if x["ruleId"] == "TAGS" and "suppressions" in x)
    assert waived["suppressions"][0]["kind"] == "external"
    assert "temporary (owner ops, until 2027-01-01)" == waived["suppressions"][0]["justification"]
    unknown = next(x for x in results if x["properties"]["status"] == "unknown")
    assert unknown["message"]["text"].startswith("could not be decided")


def test_sarif_live_findings_point_at_the_subject_in_the_snapshot_file():
    r = report(inputs=["estate.json"])
    f = r.findings[1]
    r.snapshot_lines[f.fingerprint] = Location("estate.json", 812, 7)
    res = next(x for x in to_sarif(r)["runs"][0]["results"] if x["partialFingerprints"]["s3audit/v1"] == f.fingerprint)
    assert res["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "estate.json"},
                                                       "region": {"startLine": 812, "startColumn": 7}}


def test_sarif_file_uris():
    from s3audit.report.sarif import artifact_uri
    assert artifact_uri("./infra/main tf.tf") == "infra/main%20tf.tf"
    assert artifact_uri("/definitely/elsewhere/x.yaml").startswith("file:///")


# ---- JUnit ----

def test_junit_parses_with_a_testcase_per_rule_and_subject():
    text = render("junit", report())
    root = ET.fromstring(text.encode())
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"pci-dss", "governance"}
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert set(cases) == {("PCI-KMS", "arn:aws:s3:::cards"), ("PCI-KMS", "arn:aws:s3:::mystery"),
                          ("EXT", "arn:aws:s3:::cards"), ("TAGS", "arn:aws:s3:::scratch"),
                          ("TAGS", "arn:aws:s3:::bad\ufffdname"), ("QUIET", "(no findings)")}
    assert cases[("EXT", "arn:aws:s3:::cards")].find("failure").get("type") == "critical"
    assert cases[("PCI-KMS", "arn:aws:s3:::mystery")].find("error") is not None
    assert "waived until 2027-01-01 by ops" in cases[("TAGS", "arn:aws:s3:::scratch")].find("skipped").get("message")
    quiet = cases[("QUIET", "(no findings)")]
    assert list(quiet) == []  # passed
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("6", "3", "1", "1")
    assert suites["pci-dss"].find("properties/property[@name='pack_version']").get("value") == "1.2.0"


# ---- text ----

def test_text_groups_by_severity_with_locations_and_a_summary_line():
    text = render("text", report())
    lines = text.splitlines()
    assert "\x1b[" not in text
    heads = [l for l in lines if re.match(r"^[A-Z ]+ \(\d+\)$", l)]
    assert heads == ["CRITICAL (1)", "HIGH (2)", "LOW (1)", "WAIVED (1)", "WAIVERS NEEDING ATTENTION (2)"]
    assert "  PCI-KMS  arn:aws:s3:::cards  cards uses AES256 <b>&  (infra/main.tf:12:3)" in lines
    assert any("[unknown]" in l and "mystery" in l for l in lines)
    assert any("policies/p.yaml:12: expired 2025-01-01" in l for l in lines)
    assert any("policies/p.yaml:18: stale" in l for l in lines)
    assert lines[-1] == ("summary: 4 findings (1 critical, 2 high, 1 low); 1 unknown, 1 waived; "
                         "FAIL: 3 at or above high")


def test_text_colour_only_when_asked():
    assert "\x1b[1;31mCRITICAL (1)\x1b[0m" in render("text", report(), color=True)


# ---- Markdown ----

def test_markdown_for_a_pull_request_comment():
    md = render("markdown", report())
    assert md.startswith("## s3audit: ❌ **3 findings at or above high**")
    assert "| critical | 1 | 0 | 0 |" in md and "| high | 1 | 1 | 0 |" in md and "| low | 1 | 0 | 1 |" in md
    assert "### Top findings" in md
    assert "| high | `PCI-KMS` | `arn:aws:s3:::cards` | cards uses AES256 <b>& | `infra/main.tf:12` |" in md
    block = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block.startswith("flowchart LR")
    assert '-->|"assume"| ' not in block and "-.->" in block  # the conditional hop is dashed
    assert "class n0 external" in block
    assert "### Waivers needing attention" in md
    assert len(md) < 65536


def test_markdown_stays_under_the_comment_limit():
    many = [Finding("TAGS", Severity.LOW, (), f"arn:aws:s3:::bucket-{i:05d}", "x" * 150) for i in range(3000)]
    md = render("markdown", report(findings=many))
    assert len(md) < 65536
    assert "more (see the JSON or SARIF output)" in md


def test_markdown_passes_when_nothing_fails():
    md = render("markdown", report(findings=[], fail_on=Severity.HIGH))
    assert md.startswith("## s3audit: ✅ **nothing at or above high**")


# ---- HTML ----

def test_html_is_self_contained_with_every_section():
    r = report()
    r.paths.append(PathPicture("anonymous", "cards", ("s3:GetObject",), "allow",
                               (PathHop("anonymous", "cards", "access", "allow", ("s3:GetObject",), "read"),),
                               ("anonymous",), "data-class=pci"))
    page = render("html", r)
    for section in ("summary", "findings", "paths", "waivers", "rules", "provenance"):
        assert f'<section id="{section}">' in page
    assert "default-src 'none'" in page
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)  # nothing from the network
    assert "<script" not in page
    assert "cards uses AES256 &lt;b&gt;&amp;" in page  # escaped
    assert page.count("<svg") == 2  # the finding's path and the sensitive-data picture
    assert "PCI-DSS-4.0:7.2.1" in page and "GDPR" in page  # by control and by framework
    ET.fromstring(re.search(r"<svg.*?</svg>", page, re.S).group(0))  # each picture is well-formed XML


def test_formats_and_extensions():
    assert FORMATS == ("text", "json", "sarif", "junit", "markdown", "html")
    assert [format_for_path(p) for p in ("a.sarif", "a.sarif.json", "a.json", "a.xml", "a.md", "a.html",
                                         "a.txt", "a.bin")] == [
        "sarif", "sarif", "json", "junit", "markdown", "html", "text", None]


# ---- positions in a JSON text ----

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20)


def _pointers(value, base=""):
    from s3audit.errors import pointer_join
    yield base
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _pointers(v, pointer_join(base, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _pointers(v, pointer_join(base, i))


@settings(max_examples=150, deadline=None)
@given(json_values, st.sampled_from([None, 1, 2]))
def test_pointer_positions_find_every_value_where_it_starts(value, indent):
    text = json.dumps(value, indent=indent)
    pointers = set(_pointers(value))
    found = pointer_positions(text, pointers)
    assert set(found) == pointers
    lines = text.split("\n")
    for pointer, (line, col) in found.items():
        rest = "\n".join([lines[line - 1][col - 1:]] + lines[line:])
        decoded, _ = json.JSONDecoder().raw_decode(rest)
        node = value
        for token in [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]:
            node = node[int(token)] if isinstance(node, list) else node[token]
        assert decoded == node


def test_paths_are_read_from_each_shape_of_evidence():
    from s3audit.report.access import pictures_from_findings
    hops = PATH["hops"]
    shapes = [(PATH,), ({"kind": "fact", "expression": "p.length", "value": 2},
                        {"kind": "fact", "expression": "p.hops", "value": hops}), tuple(hops)]
    for evidence in shapes:
        f = Finding("EXT", Severity.HIGH, (), "arn:aws:s3:::cards", "m", evidence=evidence)
        (p,) = pictures_from_findings([f])
        assert (p.principal, p.bucket, p.finding) == ("arn:aws:iam::999999999999:root", "cards", f.fingerprint)
        assert [h.kind for h in p.hops] == ["assume", "access"]
        assert [h.decision for h in p.hops] == ["allow", "conditional"] and p.decision == "conditional"
    assert pictures_from_findings([Finding("X", Severity.LOW, (), "s", "m", evidence=({"kind": "fact"},))]) == []


def test_access_changes_are_grouped_per_principal_and_bucket():
    from s3audit.report.model import AccessChange
    changes = [AccessChange("anonymous", "site", "read", None, "allow"),
               AccessChange("arn:aws:iam::1:user/bob", "site", "list", None, "allow"),
               AccessChange("arn:aws:iam::1:user/bob", "site", "read", None, "allow"),
               AccessChange("arn:aws:iam::1:role/etl", "raw", "read", "allow", "conditional"),
               AccessChange("arn:aws:iam::9:root", "cards", "read", "allow", None)]
    r = report(findings=[], access_changes=changes, mode="diff")
    text = render("text", r).splitlines()
    i = text.index("ACCESS CHANGES (4)")
    assert text[i + 1:i + 5] == ["  + anonymous gained read access to site (allow)",
                                 "  + arn:aws:iam::1:user/bob gained list, read access to site (allow)",
                                 "  ~ arn:aws:iam::1:role/etl read access to raw: allow -> conditional",
                                 "  - arn:aws:iam::9:root lost read access to cards (was allow)"]
    md = render("markdown", r)
    assert "### Access changes (4)\n\n- `+ anonymous gained read access to site (allow)`" in md
    assert "<li><code>- arn:aws:iam::9:root lost read access to cards (was allow)</code></li>" in render("html", r)
    doc = json.loads(render("json", r))
    assert doc["access_changes"][0] == {"change": "gained", "principal": "anonymous", "bucket": "site",
                                        "level": "read", "before": None, "after": "allow"}
