"""Generated bad inputs of every kind, through the command line (see harness.py for what each must show).

At least 5,000 inputs a run across the kinds (``test_enough_inputs_ran`` holds the count), in about a minute.
The seed changes from run to run, so that CI keeps exploring; a failure prints the case's reproduction blob.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from .harness import check_outcome, load_kinds, run_cli

KINDS = load_kinds()
MINIMUM = 5_000
RAN: dict[str, int] = {}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_generated_inputs(name, tmp_path_factory):
    kind = KINDS[name]
    work = tmp_path_factory.mktemp(name.replace("-", "_"))
    if kind.prepare is not None:
        kind.prepare(work)
    path = work / f"input{kind.suffix}"
    report = work / "report.json"
    RAN[name] = 0

    @settings(max_examples=kind.examples, deadline=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(case=kind.cases, which=st.integers(0, len(kind.commands) - 1))
    def one(case, which):
        path.write_bytes(case.data)
        report.unlink(missing_ok=True)
        outcome = run_cli(kind.commands[which](path, work, report))
        check_outcome(kind, case, path, report, outcome)
        RAN[name] += 1

    one()


def test_enough_inputs_ran():
    """The harness's promise: 5,000 generated inputs a run (when every kind ran in this session)."""
    if set(RAN) != set(KINDS):
        pytest.skip("not every kind ran in this session")
    assert sum(RAN.values()) >= MINIMUM, RAN
    assert sum(kind.examples for kind in KINDS.values()) >= MINIMUM
