"""Every built-in rule whose findings one change can fix: on each failing case of the rule's own tests
(rules/*.tests.yaml, which cite the AWS pages the cases come from), the suggested change is proved by the
engine, and applying its patch to the case's snapshot — here, independently of the suggestion's own proof —
makes the finding disappear. Rules that no single change fixes say why (`fix manual(...)`)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from s3audit.errors import Place
from s3audit.findings import Status
from s3audit.fixes.kinds import KINDS
from s3audit.fixes.suggest import suggest
from s3audit.lang.evaluate import compile_program, load_program, run_rules
from s3audit.lang.fixkinds import FIX_KINDS
from s3audit.lang.ruletests import _load_snapshot_doc, apply_set
from s3audit.snapshot import patch
from s3audit.snapshot.load import snapshot_from_dict

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
PROGRAM = load_program()
MANUAL = {r.meta.id for r in PROGRAM.compiled if r.meta.fixes == ("manual",)}
FIXABLE = sorted(r.meta.id for r in PROGRAM.compiled if r.meta.fixes and r.meta.id not in MANUAL)


def failing_cases():
    out = []
    for tf in sorted(RULES.glob("*.tests.yaml")):
        spec = yaml.safe_load(tf.read_text())
        for i, case in enumerate(spec.get("cases") or ()):
            expect = case.get("expect") or []
            if any(m.get("status", "open") == "open" for m in expect):
                out.append(pytest.param(tf, spec.get("fixtures") or {}, case, id=f"{case['rule']}: {case['name']}"))
    return out


CASES = failing_cases()


def materialise(tf, fixtures, case):
    doc = _load_snapshot_doc(case.get("snapshot", {}), tf, fixtures, Place(str(tf)))
    if case.get("set"):
        apply_set(doc, case["set"])
    params = case.get("params") or {}
    program = compile_program(PROGRAM.source, params) if params else PROGRAM
    return doc, program


def open_findings(tf, fixtures, case):
    """The case's snapshot document, the rules with its parameters, the snapshot and the rule's open findings."""
    doc, program = materialise(tf, fixtures, case)
    snap, found = findings_of(program, doc, case["rule"])
    return doc, program, snap, [f for f in found if f.status is Status.OPEN]


def findings_of(program, doc, rule):
    snap = snapshot_from_dict(doc)
    return snap, run_rules(program, snap, select=lambda m: m.id == rule).findings


def test_fix_kinds_of_the_language_are_the_changes_made():
    assert set(FIX_KINDS) == set(KINDS)


def test_every_built_in_rule_says_how_it_is_fixed():
    assert all(r.meta.fixes for r in PROGRAM.compiled), [r.meta.id for r in PROGRAM.compiled if not r.meta.fixes]
    assert MANUAL == {"GDPR-44-region", "GOV-owner", "GOV-data-class", "HYG-resource-type", "HYG-condition-key",
                      "HYG-condition",
                      # issue 14: a key policy, a grant, rotation and an endpoint policy are set outside S3
                      "PCI-3.6.1", "PCI-3.7.4", "GDPR-32-key", "HYG-aws-s3-share", "PATH-endpoint-open"}


@pytest.mark.parametrize("tf, fixtures, case", [c for c in CASES if c.values[2]["rule"] in FIXABLE])
def test_the_suggestion_makes_the_finding_disappear(tf, fixtures, case):
    rule = case["rule"]
    doc, program, snap, opened = open_findings(tf, fixtures, case)
    assert opened
    suggestions = suggest(doc, snap, program, opened)
    for f in opened:
        s = suggestions[f.fingerprint]
        assert s.verified and s.change is not None, s.reason
        # independently of the suggestion's own proof: apply the patch, run the rule again
        _, after = findings_of(program, patch.apply(doc, s.change.patch), rule)
        assert f.fingerprint not in {g.fingerprint for g in after}
        assert s.to_json()["patch"] == s.change.patch and json.dumps(s.to_json())


def test_every_fixable_rule_has_a_failing_case():
    tested = {c.values[2]["rule"] for c in CASES}
    assert set(FIXABLE) <= tested, set(FIXABLE) - tested


@pytest.mark.parametrize("tf, fixtures, case", [c for c in CASES if c.values[2]["rule"] in MANUAL])
def test_findings_no_single_change_fixes_say_why(tf, fixtures, case):
    doc, program, snap, opened = open_findings(tf, fixtures, case)
    for f, s in suggest(doc, snap, program, opened).items():
        assert not s.verified and s.change is None
        assert s.reason.startswith("no single change fixes this finding: ")
        assert s.to_json() == {"fix": None, "verified": False, "change": None, "reason": s.reason}


def test_a_change_that_does_not_apply_is_a_reason_not_a_crash(monkeypatch):
    from s3audit.fixes import suggest as suggest_module
    from s3audit.fixes.kinds import Change
    tf, fixtures, case = next(c.values for c in CASES if c.values[2]["rule"] in FIXABLE)
    doc, program, snap, opened = open_findings(tf, fixtures, case)
    broken = Change("remove_statement", "remove", "remove a statement that is not there",
                    [{"op": "remove", "path": "/accounts/99/nothing"}], "/accounts/99/nothing")
    monkeypatch.setattr(suggest_module, "make", lambda estate, call: broken)
    for f in opened:
        s = suggest(doc, snap, program, [f])[f.fingerprint]
        assert not s.verified and s.change is None
        assert s.reason.startswith("no single change fixes this finding: remove a statement that is not there: "
                                   "the change does not make a readable snapshot"), s.reason
