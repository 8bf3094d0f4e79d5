"""The auditor's report without a browser (issue 17; the browser test checks the rendered page): evidence in
sentences and small tables, remediation rendered, paths in scope of the profile's data classes, the
conditions in words and the TLS assumption, a summarised report with its CSV sidecars, and PDF output."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from s3audit.cli import main
from s3audit.findings import Finding, Severity
from s3audit.report import evidence as ev
from s3audit.report import render, sidecar
from s3audit.report.markdown_html import to_html
from s3audit.report.model import PathHop, PathPicture, Report, RuleInfo
from s3audit.report.scale import FULL_FINDINGS, TOP_FINDINGS

DEMO = "s3audit/demo/estate.json"
TLS = {"effect": "Deny", "source": "bucket policy of arn:aws:s3:::payments-cardholder-data",
       "statement": "DenyInsecureTransport",
       "conditions": [{"operator": "Bool", "key": "aws:SecureTransport", "values": ["false"]}],
       "explanation": "only over TLS", "met_by_construction": "tls"}


def report_of(tmp_path, *args) -> str:
    out = tmp_path / "report.html"
    assert main(["report", DEMO, "--today", "2026-11-24", "-o", str(out), *args]) == 0
    return out.read_text()


# ---- evidence ----

def test_facts_become_one_table_of_what_was_checked_and_found():
    blocks = ev.blocks([{"kind": "fact", "expression": "b.logging.enabled", "value": False},
                        {"kind": "fact", "expression": 'b.tags["data-class"]', "value": None},
                        {"kind": "fact", "expression": "b.replication.destinations",
                         "value": [{"bucket": "x", "region": "us-east-1"}]}])
    assert blocks[0] == ev.Para(("What the rule read:",))
    table = blocks[1]
    assert table.headers == ("checked", "found") and len(table.rows) == 3
    assert table.rows[0] == (("logging enabled", " ", ev.Code("b.logging.enabled")), ("no",))
    assert table.rows[1][0][0] == "tag data-class" and table.rows[1][1] == ("not set",)
    nested = table.rows[2][1]
    assert isinstance(nested, ev.Table) and nested.headers == ("bucket", "region")


def test_a_decision_is_a_sentence_its_reasons_a_table_and_its_conditions_words():
    blocks = ev.blocks([{"kind": "decision", "principal": "arn:aws:iam::1:root", "action": "s3:GetObject",
                         "resource": "arn:aws:s3:::b/*", "context": {"aws:SecureTransport": False},
                         "decision": "conditional",
                         "reasons": [{"source": "bucket policy of b", "statement": "S", "effect": "Deny",
                                      "layer": "resource", "note": "the `aws:SecureTransport` key"}],
                         "conditions": [TLS], "assumptions": ["the ACL is unknown"]}])
    first = blocks[0]
    assert isinstance(first, ev.Para) and ev.Strong("conditional") in first.parts
    assert ev.Code("aws:SecureTransport = false") in first.parts
    assert isinstance(blocks[1], ev.Table) and blocks[1].headers == ("effect", "policy", "statement", "note")
    assert ev.Code("aws:SecureTransport") in blocks[1].rows[0][3]  # backticks in notes become code
    conditions = blocks[3]
    assert isinstance(conditions, ev.Items)
    assert conditions.entries[0][0] == ev.Strong(
        "only over TLS — met by construction (the bucket's own policy denies every request not over TLS)")
    assert ev.Code("Bool aws:SecureTransport false") in conditions.entries[0]
    assert blocks[-1] == ev.Items((("the ACL is unknown",),))


def test_hops_become_one_table_with_who_grants_each_and_when():
    hops = [{"from": "arn:aws:iam::999999999999:root", "to": "arn:aws:iam::333333333333:role/partner", "kind": "assume",
             "actions": ["sts:AssumeRole"], "conditions": [],
             "reasons": [{"source": "trust policy of role/partner", "statement": "#0", "effect": "Allow"}]},
            {"from": "arn:aws:iam::333333333333:role/partner", "to": "payments-cardholder-data", "kind": "access",
             "actions": ["s3:GetObject"], "conditions": [TLS], "reasons": []}]
    blocks = ev.blocks(hops)
    assert blocks[0].parts[-1] == " in 2 hops:"
    table = blocks[1]
    assert table.headers == ("#", "hop", "granted by", "when") and len(table.rows) == 2
    assert ev.Code("account 999999999999") in table.rows[0][1] and ev.Code("role/partner (333333333333)") in \
        table.rows[0][1]
    assert table.rows[0][2] == ("trust policy of role/partner", ", statement #0")
    assert table.rows[0][3] == ("always",)
    assert table.rows[1][3] == (ev.Strong("only over TLS (met by construction)"),)
    assert blocks[2] == ev.Para(("Met by construction: the bucket's own policy denies every request not over TLS.",))


def test_lint_unknown_and_unfamiliar_evidence():
    lint, unknown, odd = (ev.blocks([x])[0] for x in (
        {"kind": "lint", "code": "unknown-action", "message": "`s3:GetObjects` matches no known action",
         "pointer": "/accounts/0/x"},
        {"kind": "unknown", "missing": ["b.policy"]},
        {"kind": "mystery", "n": 1}))
    assert ev.Code("s3:GetObjects") in lint.parts and ev.Code("/accounts/0/x") in lint.parts
    assert unknown == ev.Para(("Could not be decided: ", "", ev.Code("b.policy"), "."))
    sentence = ev.blocks([{"kind": "unknown", "missing": ["the bucket policy could not be read"]}])[0]
    assert sentence == ev.Para(("Could not be decided: ", "", "the bucket policy could not be read", "."))
    assert odd == ev.Para(("Recorded: ", ev.Code('{"kind": "mystery", "n": 1}')))


# ---- remediation ----

def test_rule_markdown_is_rendered_and_nothing_else_gets_through():
    assert to_html("Set `trusted_accounts` to **approved** ones.") == \
        "<p>Set <code>trusted_accounts</code> to <strong>approved</strong> ones.</p>"
    assert to_html("- one\n- `two`") == "<ul><li>one</li><li><code>two</code></li></ul>"
    assert to_html("<script>alert(1)</script> [x](javascript:alert(1)) [docs](https://aws.amazon.com/s3/)") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1)) "
        '<a href="https://aws.amazon.com/s3/">docs</a></p>')
    assert to_html("a `<b>` c") == "<p>a <code>&lt;b&gt;</code> c</p>"


def test_each_finding_has_its_remediation_beside_it_rendered(tmp_path):
    page = report_of(tmp_path)
    finding = page[page.index('<details class="finding"'):]
    finding = finding[:finding.index("</details>\n") if "</details>\n" in finding else finding.index('</aside>')]
    assert '<aside class="fix"><h4>Remediation</h4>' in finding
    assert "<code>trusted_accounts</code>" in page and "`trusted_accounts`" not in page
    assert page.count('<details class="raw"><summary>raw evidence (JSON)</summary>') == page.count(
        '<details class="finding"') == 100  # with the planted compute escalation and the keys and endpoints


# ---- paths: scope, words, levels, the TLS assumption ----

def drawn_buckets(page: str) -> set[str]:
    return set(re.findall(r'<h3 id="b-([^"]+)">', page))


def test_the_pci_report_draws_only_cardholder_data_and_a_profile_may_widen_it(tmp_path):
    pci = report_of(tmp_path, "--profile", "pci")
    classes = set(re.findall(r"\(data-class=([a-z]+);", pci))
    assert classes == {"pci"}
    default = report_of(tmp_path)  # every pack: cardholder, personal and confidential data (the demo has none)
    assert set(re.findall(r"\(data-class=([a-z]+);", default)) == {"pci", "personal"}
    widened = tmp_path / "wide.yaml"
    widened.write_text("profile: wide\npacks: [pci-dss]\nsensitive:\n  data-class: [internal]\n")
    wide = report_of(tmp_path, "--profile", str(widened))
    assert set(re.findall(r"\(data-class=([a-z]+);", wide)) == {"pci", "internal"}
    assert drawn_buckets(pci) < drawn_buckets(wide)


def test_the_data_classes_follow_the_packs_parameters():
    from s3audit.lang.evaluate import load_program
    assert load_program().data_classes["pci-dss"] == {"pci"}
    assert load_program().data_classes["gdpr"] == {"personal"}
    assert load_program(None, {"cardholder_data_classes": ["pci", "cardholder"]}).data_classes["pci-dss"] == \
        {"pci", "cardholder"}


def test_each_path_says_why_it_is_conditional_and_what_its_actions_are(tmp_path):
    page = report_of(tmp_path, "--profile", "pci")
    paths = page[page.index('<section id="paths">'):page.index('<section id="waivers">')]
    assert "only over TLS (met by construction)" in paths
    assert "only with MFA" in paths
    # 94 actions explained: by level, the list one click away
    m = re.search(r'<details class="acts"><summary>(.*?)</summary>(.*?)</details>', paths)
    assert m and "(94 actions)" in m.group(1) and "read 37" in m.group(1)
    assert "<b>read</b>: <code>s3:GetAccelerateConfiguration</code>" in m.group(2)


def test_assuming_tls_reads_paths_conditional_only_on_the_buckets_tls_deny_as_allowed(tmp_path):
    assume = tmp_path / "assume.yaml"
    assume.write_text("profile: pci-tls\npacks: [pci-dss]\nassume: {tls: true}\n")
    out = tmp_path / "f.json"
    base = tmp_path / "b.json"
    assert main(["check", DEMO, "--profile", str(assume), "--format", "json", "-o", str(out), "-o",
                 f"html={tmp_path / 'r.html'}"]) in (0, 1)
    assert main(["check", DEMO, "--profile", "pci", "--format", "json", "-o", str(base), "-o",
                 f"html={tmp_path / 'b.html'}"]) in (0, 1)
    import json
    before = {(p["principal"], p["bucket"]): p for p in json.loads(base.read_text())["paths"] if p["sensitive"]}
    after = {(p["principal"], p["bucket"]): p for p in json.loads(out.read_text())["paths"] if p["sensitive"]}
    assert before.keys() == after.keys()
    reader = ("arn:aws:iam::222222222222:role/payments-reader", "payments-cardholder-data")
    assert before[reader]["decision"] == "conditional" and after[reader]["decision"] == "allow"
    assert after[reader]["hops"][-1]["assumed"] == ["tls"]
    assert after[reader]["hops"][-1]["conditions"][0]["met_by_construction"] == "tls"
    # a path that also needs MFA stays conditional
    mfa = [k for k, p in before.items() if any("only with MFA" in c["explanation"] for h in p["hops"]
                                              for c in h["conditions"])]
    assert mfa and all(after[k]["decision"] == "conditional" for k in mfa)
    flipped = sum(1 for k in before if before[k]["decision"] != after[k]["decision"])
    assert flipped > 10
    page = (tmp_path / "r.html").read_text()
    assert "assumed met by the audit profile" in page and "only over TLS (assumed met: audit profile)" in page


@pytest.mark.parametrize("value, message", [
    ("{mtls: true}", "unknown key `mtls`"),
    ("{tls: yes please}", "expected true or false"),
])
def test_the_assume_setting_is_checked(tmp_path, value, message, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"profile: bad\nassume: {value}\n")
    assert main(["check", DEMO, "--profile", str(bad)]) == 2
    assert message in capsys.readouterr().err


# ---- a report too big to read whole ----

def big_report(n: int) -> Report:
    rule = RuleInfo("R-1", "A rule", Severity.MEDIUM, remediation="Fix `it`.")
    findings = [Finding("R-1", Severity.HIGH if i % 7 == 0 else Severity.MEDIUM, ("X:1",),
                        f"arn:aws:s3:::bucket-{i:05d}", f"bucket-{i:05d} is wrong",
                        evidence=({"kind": "fact", "expression": "b.x", "value": i},)) for i in range(n)]
    paths = [PathPicture(f"arn:aws:iam::111111111111:role/r{i}", f"bucket-{i % 30:05d}", ("s3:GetObject",),
                         "conditional", (PathHop(f"arn:aws:iam::111111111111:role/r{i}", f"bucket-{i % 30:05d}",
                                                 "access", "conditional", ("s3:GetObject",), "read", (TLS,)),),
                         sensitive="data-class=pci") for i in range(500)]
    return Report(findings=findings, rules=[rule], paths=paths, snapshot={"taken_at": "2026-11-24T02:00:00Z"})


def test_a_big_report_shows_the_worst_findings_in_full_and_links_the_complete_lists(tmp_path):
    report = big_report(FULL_FINDINGS + 50)
    names = sidecar.names(str(tmp_path / "audit.html"), report)
    assert names == {"findings": str(tmp_path / "audit.findings.csv"), "paths": str(tmp_path / "audit.paths.csv")}
    page = render("html", report, sidecar={"findings": "audit.findings.csv", "paths": "audit.paths.csv"})
    shown = re.findall(r'<details class="finding" id="f-', page)
    assert len(shown) == TOP_FINDINGS
    assert page.index("bucket-00000") < page.index("bucket-00001")  # high ones first
    assert '<a href="audit.findings.csv">' in page and '<a href="audit.paths.csv">' in page
    assert "Findings by rule" in page and "Findings by account" in page
    rows = list(csv.reader(io.StringIO(sidecar.findings_csv(report))))
    assert rows[0] == list(sidecar.FINDINGS_COLUMNS) and len(rows) == FULL_FINDINGS + 51
    assert rows[1][:3] == ["high", "open", "R-1"]
    paths = list(csv.reader(io.StringIO(sidecar.paths_csv(report))))
    assert len(paths) == 501 and paths[1][5].startswith("only over TLS — met by construction")


def test_a_small_report_is_whole_and_has_no_sidecar(tmp_path):
    report = big_report(10)
    report.paths = report.paths[:5]
    assert sidecar.names(str(tmp_path / "a.html"), report) == {}
    assert len(re.findall(r'<details class="finding" id="f-', render("html", report))) == 10


def test_check_writes_the_sidecars_beside_a_big_html_report(tmp_path, monkeypatch):
    from s3audit.commands import _audit
    report = big_report(FULL_FINDINGS + 1)
    out = tmp_path / "page.html"
    _audit.write_outputs(report, [("html", str(out))], "never")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.findings.csv", "page.html", "page.paths.csv"]
    assert 'href="page.findings.csv"' in out.read_text()


def test_the_scope_is_the_packs_classes_widened_by_the_profile_else_the_default():
    from s3audit.report.access import DEFAULT_SENSITIVE, data_scope
    assert data_scope({"pci"}) == {"data-class": ("pci",)}
    assert data_scope({"pci"}, {"data-class": ["internal"], "owner": ["payments"]}) == {
        "data-class": ("pci", "internal"), "owner": ("payments",)}
    assert data_scope(set(), {"data-class": ["internal"]}) == {"data-class": ("internal",)}
    assert data_scope(set()) == {k: tuple(v) for k, v in DEFAULT_SENSITIVE.items()}
