"""The authorization engine against AWS's documented cases (tests/iam/cases/engine.yaml).

Each case names the AWS documentation page it comes from; the estate is written tersely and expanded
by tests/iam/estate.py into a format-v1 snapshot, loaded through the real loader.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from s3audit.iam.engine import Engine, Request
from s3audit.snapshot.load import snapshot_from_dict

from .estate import build

CASES_FILE = Path(__file__).parent / "cases" / "engine.yaml"
_DATA = yaml.safe_load(CASES_FILE.read_text())
ESTATES = _DATA["estates"]
CASES = _DATA["cases"]


def deep_merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def estate_of(case: dict) -> dict:
    base = copy.deepcopy(ESTATES[case["base"]]) if case.get("base") else {}
    return deep_merge(base, case.get("estate") or {})


def decide(case: dict):
    snapshot = snapshot_from_dict(build(estate_of(case)), file="case.json")
    engine = Engine(snapshot)
    engine.compile_all()
    r = case["request"]
    return engine.decide(Request(r["principal"], r["action"], r["resource"], r.get("context") or {}))


def _params():
    out = []
    for case in CASES:
        marks = []
        if case.get("xfail"):
            marks.append(pytest.mark.xfail(reason=case["xfail"], strict=False))
        out.append(pytest.param(case, id=case["name"], marks=marks))
    return out


def test_cases_are_well_formed():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    for c in CASES:
        assert c["doc"].startswith("https://docs.aws.amazon.com/"), c["name"]
        assert c["expect"]["decision"] in ("allow", "deny", "conditional"), c["name"]
        assert set(c) <= {"name", "doc", "base", "estate", "request", "expect", "xfail"}, c["name"]
        assert set(c["expect"]) <= {"decision", "reasons", "conditions", "assumptions", "no_assumptions"}, c["name"]


def _reason_matches(want: dict, got) -> bool:
    if "source" in want and want["source"] not in got.source:
        return False
    return all(getattr(got, k) == want[k] for k in ("statement", "effect", "layer") if k in want)


@pytest.mark.parametrize("case", _params())
def test_engine_case(case):
    d = decide(case)
    expect = case["expect"]
    explain = (f"\n  decision: {d.decision}\n  reasons: {[r.to_json() for r in d.reasons]}"
               f"\n  conditions: {[c.to_json() for c in d.conditions]}\n  assumptions: {list(d.assumptions)}"
               f"\n  doc: {case['doc']}")
    assert d.decision == expect["decision"], explain
    for want in expect.get("reasons", []):
        assert any(_reason_matches(want, r) for r in d.reasons), f"no reason like {want}" + explain
    if "conditions" in expect:
        keys = {c["key"].lower() for res in d.conditions for c in res.conditions if "key" in c}
        assert keys == {k.lower() for k in expect["conditions"]}, explain
    for text in expect.get("assumptions", []):
        assert any(text in a for a in d.assumptions), f"no assumption mentioning {text!r}" + explain
    if expect.get("no_assumptions"):
        assert not d.assumptions, explain
    # A decision never contradicts its own parts.
    if d.decision == "allow":
        assert d.possible and d.allowed
    if d.decision == "deny":
        assert not d.possible and not d.grants
