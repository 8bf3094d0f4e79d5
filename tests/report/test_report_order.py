"""The reports' order of findings (``sort_key``), made once a run: a list known to be in it is not sorted again."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from s3audit.findings import Finding, Severity, Status
from s3audit.report.model import InReportOrder, Report, first_in_report_order, in_report_order, sort_key

_findings = st.lists(st.builds(
    lambda rule, subject, severity, status, key: Finding(rule, severity, (), subject, "m", status=status, key=key),
    st.sampled_from(["R1", "R2", "A9"]), st.sampled_from(["arn:aws:s3:::a", "arn:aws:s3:::b"]),
    st.sampled_from(list(Severity)), st.sampled_from(list(Status)), st.tuples(st.sampled_from(["", "k", "z"]))),
    max_size=12)


@settings(max_examples=200, deadline=None)
@given(_findings, st.integers(0, 14))
def test_in_report_order_sorts_once_and_takes_a_sorted_list_as_it_is(findings, n):
    ordered = in_report_order(findings)
    assert ordered == sorted(findings, key=sort_key) and isinstance(ordered, InReportOrder)
    assert in_report_order(ordered) is ordered
    assert first_in_report_order(findings, n) == sorted(findings, key=sort_key)[:n]
    assert first_in_report_order(ordered, n) == ordered[:n]


def test_a_report_of_a_list_in_report_order_shows_it_as_it_is_and_sorts_any_other():
    a, b = (Finding("R1", Severity.LOW, (), f"arn:aws:s3:::{x}", "m") for x in "ab")
    trusted = InReportOrder([b, a])  # said to be in order (it is not): taken as it is, so never sorted again
    assert Report(findings=trusted).sorted_findings is trusted
    assert Report(findings=[b, a]).sorted_findings == [a, b]
    assert Report(findings=[], unchanged=[b, a]).to_json()["unchanged"] == [a.to_json(), b.to_json()]
