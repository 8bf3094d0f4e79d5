"""Robustness of the evaluator: any rule text that checks cleanly — the built-in packs and the examples,
mutated — compiles and runs over a snapshot without an exception, giving findings that are `open` or
`unknown` and serialise to JSON."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings

from s3audit.errors import RuleError
from s3audit.lang.check import check_program
from s3audit.lang.diagnostics import RuleSyntaxError
from s3audit.lang.evaluate import compile_program, run_rules
from s3audit.lang.parse import parse_rules
from s3audit.lang.program import Program
from s3audit.lang.ruletests import expand_fragment
from s3audit.snapshot.load import snapshot_from_dict

from . import test_fuzz

ROOT = Path(__file__).resolve().parents[2]
PACKS = [p.read_text() for p in sorted((ROOT / "s3audit" / "rules").glob("*.s3r"))]
HAVE_GRAPH = importlib.util.find_spec("s3audit.graph.build") is not None
SNAPSHOT = snapshot_from_dict(expand_fragment(yaml.safe_load((ROOT / "rules/fixtures/clean.yaml").read_text())))


def test_the_corpus_includes_every_pack():
    assert len(PACKS) == 7


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(test_fuzz.mutated_from(PACKS + test_fuzz.CORPUS[:1]))
def test_mutated_rules_that_check_also_run(text):
    try:
        program = Program.from_files([parse_rules(text, "m.s3r")])
    except RuleSyntaxError:
        return
    if not check_program(program).ok:
        return
    try:
        compiled = compile_program(program)
    except RuleError:  # a parameter without a default, for example
        return
    ids = {r.meta.id for r in compiled.compiled if HAVE_GRAPH or not r.needs_graph}
    result = run_rules(compiled, SNAPSHOT, select=lambda m: m.id in ids)
    for f in result.findings:
        assert f.status.value in ("open", "unknown")
        json.dumps(f.to_json())
