"""The graph-backed built-ins (`reachers`, `paths`, `forbid path`, `for path`) on the two-account chain of
rules/fixtures/chain.yaml: an outside account assumes analytics' `partner` role, which assumes payments'
`reader` role, which reads `cards`. Skipped in a build without the access graph."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from s3audit.lang.evaluate import compile_program, run_rules
from s3audit.lang.parse import parse_rules
from s3audit.lang.program import Program
from s3audit.lang.ruletests import expand_fragment
from s3audit.snapshot.load import snapshot_from_dict

pytestmark = pytest.mark.skipif(importlib.util.find_spec("s3audit.graph.build") is None,
                                reason="the access graph is not in this build")
CHAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "rules/fixtures/chain.yaml").read_text())


@pytest.fixture(scope="module")
def chain():
    return snapshot_from_dict(expand_fragment(CHAIN))


def run(text, snap, params=None):
    return run_rules(compile_program(Program.from_files([parse_rules(text, "t.s3r")]), params), snap).findings


def bucket_rule(body, message="{b.name}", where='b.name == "cards"'):
    return f'rule R "t"\n  severity high\n  for bucket b where {where}\n  {body}\n  message "{message}"\n'


def test_reachers_directly_and_by_any_path(chain):
    text = bucket_rule("forbid true", message='{reachers(b, access: "read", via: "direct")} | '
                                              '{len(reachers(b, access: "read"))}')
    (f,) = run(text, chain)
    direct, total = f.message.split(" | ")
    assert "arn:aws:iam::222233334444:role/reader" in direct and "999999999999" not in direct
    assert int(total) > len(direct.split(", "))


def test_paths_from_a_selector_with_hops(chain):
    text = bucket_rule('forbid any p in paths(from: external, to: b, access: "read"): '
                       'p.length == 3 and p.hops[0].kind == "assume" and p.target.name == "cards"',
                       message='{paths(from: external, to: b, access: "read")[0]}')
    (f,) = run(text, chain)
    assert f.message == ("arn:aws:iam::999999999999:root -> arn:aws:iam::111122223333:role/partner -> "
                         "arn:aws:iam::222233334444:role/reader -> cards")
    assert [e["kind"] for e in f.evidence if e.get("kind") == "path"] == ["path"]


def test_forbid_path_makes_one_finding_per_path_keyed_by_its_start(chain):
    text = bucket_rule("forbid path p from external or anonymous to b with access read",
                       message="{p.start.arn} in {p.length} hops")
    (f,) = run(text, chain)
    assert f.key == ("arn:aws:iam::999999999999:root", "read") and f.message.endswith("in 3 hops")
    assert [h["kind"] for h in f.evidence] == ["assume", "assume", "access"]
    assert run(text.replace("with access read", "with access read via direct"), chain) == []


def test_for_path_rules_are_about_paths_and_name_their_start(chain):
    text = ('rule R "t"\n  severity high\n  for path p from external with access read where p.target.name == "cards"\n'
            '  require p.length <= 2\n  message "{p.start.arn} reaches {p.target.name} in {p.length} hops"\n')
    (f,) = run(text, chain)
    assert f.subject == "arn:aws:iam::999999999999:root"
    assert f.key == ("arn:aws:s3:::cards", "read")
    assert f.message == "arn:aws:iam::999999999999:root reaches cards in 3 hops"


def test_start_principals_know_whether_they_are_outside(chain):
    text = bucket_rule('forbid any p in paths(from: anyone, to: b, access: "read"): '
                       'not p.start.in_organization and p.start.kind == "root"')
    assert [f.subject for f in run(text, chain)] == ["arn:aws:s3:::cards"]


def test_a_path_opened_by_a_proposed_change_is_located_on_that_change():
    """Issue 7's overlay: a Terraform plan adds a trust policy naming 999999999999 to the live estate; the
    cardholder-data finding points at the trust policy's statement in main.tf, not at the (live) bucket."""
    import json as _json

    from s3audit.lang.evaluate import load_program
    from s3audit.sources.iac import load_iac

    root = Path(__file__).resolve().parents[2]
    plan_dir = root / "fixtures/terraform-plans/external-trust-role"
    live = _json.loads((root / "fixtures/overlay/live-pci.json").read_text())
    doc, _ = load_iac(terraform_plans=[str(plan_dir) + ".json"], live=live, terraform_dir=str(plan_dir))
    findings = run_rules(load_program(), snapshot_from_dict(doc), select=lambda m: m.id == "PCI-7.2.1").findings
    (f,) = findings
    line = next(i for i, text in enumerate((plan_dir / "main.tf").read_text().splitlines(), 1) if "999999999999" in text)
    assert f.subject == "arn:aws:s3:::payments-cardholder-data" and f.key[0] == "arn:aws:iam::999999999999:root"
    assert f.location.file.endswith("external-trust-role/main.tf") and f.location.line == line - 2
