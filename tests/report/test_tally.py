"""report.tally counts a report's findings once by kind; each summary read off it is what walking the findings
one by one gives (the definitions on Report, and the per-finding loops the reporters had), for any findings."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from s3audit.findings import Finding, Severity, Status
from s3audit.report.model import SEVERITY_ORDER, Report
from s3audit.report.tally import Tally

finding = st.builds(
    Finding, st.sampled_from(["R1", "R2", "R3"]), st.sampled_from(list(Severity)),
    st.lists(st.sampled_from(["PCI:3.4", "CIS:2.1", "GDPR"]), max_size=3).map(tuple),
    st.sampled_from(["arn:aws:s3:::a", "arn:aws:iam::111111111111:role/r", "222222222222"]), st.just("m"),
    st.sampled_from(list(Status)))
fail_on = st.none() | st.sampled_from(list(Severity))


@settings(max_examples=200, deadline=None)
@given(st.lists(finding, max_size=30), fail_on)
def test_the_counts_are_the_findings_counted_one_by_one(findings, threshold):
    report = Report(findings=findings, fail_on=threshold)
    tally = Tally(findings)
    by_control: dict = {}
    for f in report.counted:
        for c in f.controls or ("(no control)",):
            by_control.setdefault(c, {s.label: 0 for s in SEVERITY_ORDER})[f.severity.label] += 1
    assert tally.by_control() == by_control
    assert list(tally.by_control()) == sorted(by_control)  # controls in order
    assert tally.failing(threshold) == len(report.failing)
    assert tally.counted() == len(report.counted)
    assert list(tally.counted_by_severity().items()) == [
        (s, sum(1 for f in report.counted if f.severity is s)) for s in SEVERITY_ORDER]
    assert tally.by_status() == {st_: sum(1 for f in findings if f.status is st_) for st_ in Status}
    assert tally.by_severity_and_status() == {
        (s, st_): n for s in Severity for st_ in Status
        if (n := sum(1 for f in findings if f.severity is s and f.status is st_))}
    rules: dict[str, list[int]] = {}
    for f in findings:
        rules.setdefault(f.rule, [0, 0, 0])[(Status.OPEN, Status.UNKNOWN, Status.WAIVED).index(f.status)] += 1
    assert tally.by_rule() == rules
    # the severity the table of rules shows for a rule: its last finding's
    assert tally.rule_severity == {f.rule: f.severity for f in findings}


@settings(max_examples=100, deadline=None)
@given(st.lists(finding, max_size=30))
def test_counts_by_account_are_each_findings_account(findings):
    def account(f: Finding) -> str:
        return f.subject.split(":")[4] if f.subject.startswith("arn:") else f.subject

    expected: dict[str, dict[str, int]] = {}
    for f in findings:
        row = expected.setdefault(account(f), {**{s.label: 0 for s in SEVERITY_ORDER}, "waived": 0})
        row["waived" if f.status is Status.WAIVED else f.severity.label] += 1
    assert Tally(findings, account).by_account() == expected
    assert Tally(iter(findings), account).by_account() == expected  # any iterable, walked once


@settings(max_examples=100, deadline=None)
@given(st.lists(finding, max_size=30))
def test_one_sort_gives_each_severitys_findings_in_order(findings):
    from s3audit.report.model import sort_key
    from s3audit.report.text import _by_severity
    groups, waived = _by_severity(findings)
    assert list(groups) == list(SEVERITY_ORDER)
    for sev, group in groups.items():  # what sorting each severity's findings on its own gives
        assert group == sorted((f for f in findings if f.severity is sev and f.status is not Status.WAIVED),
                               key=sort_key)
    assert waived == sorted((f for f in findings if f.status is Status.WAIVED), key=sort_key)
