"""The findings of every built-in pack, frozen: on the demo estate and on the 1/10 synthetic estate of the
access-graph benchmark (200 principals of 10 accounts, 2,000 buckets), every finding — rule, severity,
controls, subject, message, status, evidence, location, fingerprint — and their order must stay exactly as
recorded. It guards the evaluator's speed work (caches, shared per-subject facts, lazy rendering): a faster
run that changes one byte of one finding fails here, naming the rule.

When a rule or the engine changes a finding on purpose, record the new digests and review the diff of
tests/lang/frozen_findings.json:

    PYTHONPATH=. python3 tests/lang/test_findings_frozen.py --refresh
"""
from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FROZEN = Path(__file__).with_name("frozen_findings.json")
SYNTHETIC_TENTH = {"accounts": 10, "roles": 500, "users": 200, "buckets": 2000, "seed": 1}


def finding_lines(findings) -> list[str]:
    """Each finding as one canonical JSON line, in the order the run reports them."""
    return [json.dumps(f.to_json(), sort_keys=True, separators=(",", ":"), default=str) for f in findings]


def digest(findings) -> dict:
    """{"all": [count, sha256 of every line in order], "rules": {rule: [count, sha256]}}."""
    lines = finding_lines(findings)
    per_rule: dict[str, hashlib._Hash] = {}
    counts: dict[str, int] = {}
    for f, line in zip(findings, lines):
        per_rule.setdefault(f.rule, hashlib.sha256()).update(line.encode() + b"\n")
        counts[f.rule] = counts.get(f.rule, 0) + 1
    whole = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return {"all": [len(lines), whole],
            "rules": {r: [counts[r], h.hexdigest()] for r, h in sorted(per_rule.items())}}


def run_demo():
    from s3audit.lang.evaluate import load_program, run_rules
    from s3audit.snapshot.load import load_snapshot
    return run_rules(load_program(), load_snapshot(str(ROOT / "fixtures/demo/estate.json"))).findings


def run_synthetic():
    sys.path.insert(0, str(ROOT))
    from bench.synthetic import generate, write
    from s3audit.lang.evaluate import load_program, run_rules
    from s3audit.snapshot.load import load_snapshot
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "estate.json")
        write(generate(**SYNTHETIC_TENTH), path)
        snapshot = load_snapshot(path)
    return run_rules(load_program(), snapshot).findings


ESTATES = {"demo": run_demo, "synthetic-tenth": run_synthetic}


def _compare(name: str) -> None:
    frozen = json.loads(FROZEN.read_text())[name]
    got = digest(ESTATES[name]())
    changed = sorted(r for r in set(frozen["rules"]) | set(got["rules"])
                     if frozen["rules"].get(r) != got["rules"].get(r))
    assert not changed, f"findings changed for rules {changed} on the {name} estate (counts frozen/now: " + \
        ", ".join(f"{r} {frozen['rules'].get(r, [0])[0]}/{got['rules'].get(r, [0])[0]}" for r in changed) + ")"
    assert got["all"] == frozen["all"], f"the order of findings changed on the {name} estate"


def test_demo_findings_are_frozen():
    _compare("demo")


@pytest.mark.skipif(not (ROOT / "bench/synthetic.py").exists(), reason="needs bench/synthetic.py")
def test_synthetic_findings_are_frozen():
    _compare("synthetic-tenth")


def test_make_finding_is_the_dataclass_constructor():
    """make_finding fills the instance dict itself: it must set every field the dataclass declares."""
    from s3audit.findings import Finding, Location, Severity, Status, make_finding
    args = ("R-1", Severity.HIGH, ("X:1",), "arn:aws:s3:::b", "m", Status.UNKNOWN, ({"kind": "fact"},),
            Location("f.tf", 3, 4), "/accounts/0", ("k",))
    made, built = make_finding(*args), Finding(*args)
    assert vars(made) == vars(built) and made == built and made.to_json() == built.to_json()


def main(argv: list[str]) -> int:
    if argv != ["--refresh"]:
        print(__doc__)
        return 2
    out = {name: digest(run()) for name, run in ESTATES.items()}
    FROZEN.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {FROZEN}: " + ", ".join(f"{n} {d['all'][0]} findings" for n, d in out.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
