"""The counts a report and the history index give are counted in one pass at C speed (findings.tally, Counters
over attribute maps); they are exactly the counts of their definitions, written here finding by finding."""
from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

from hypothesis import given, settings, strategies as st

from s3audit import history
from s3audit.findings import Finding, Severity, Status, summarize
from s3audit.report.model import SEVERITY_ORDER, Report, sort_key

finding = st.builds(
    Finding, st.sampled_from(["R1", "R2", "R3"]), st.sampled_from(list(Severity)),
    st.lists(st.sampled_from(["C:1", "C:2", "GOV"]), max_size=3).map(tuple),
    st.sampled_from(["arn:aws:s3:::a", "arn:aws:s3:::b", "111122223333", "arn:aws:iam::111122223333:role/r"]),
    st.just("m"), st.sampled_from(list(Status)), key=st.lists(st.sampled_from(["k", "l"]), max_size=1).map(tuple))
thresholds = st.none() | st.sampled_from(list(Severity))


@settings(max_examples=200, deadline=None)
@given(st.lists(finding, max_size=12), thresholds)
def test_a_reports_counts_are_their_definitions(findings, fail_on):
    r = Report(findings=findings, fail_on=fail_on)
    counted = [f for f in findings if f.status is not Status.WAIVED]
    failing = [] if fail_on is None else [f for f in counted if f.severity >= fail_on]
    assert r.counted == counted
    assert r.failing == failing
    assert summarize(findings) == {
        "total": len(findings),
        "by_severity": {s.label: sum(1 for f in counted if f.severity is s) for s in Severity},
        "by_status": {s.value: sum(1 for f in findings if f.status is s) for s in Status}}
    s = r.summary()
    assert (s["failing"], s["passed"]) == (len(failing), not failing)
    by_control: dict = {}
    for f in counted:
        for c in f.controls or ("(no control)",):
            by_control.setdefault(c, {sev.label: 0 for sev in SEVERITY_ORDER})[f.severity.label] += 1
    assert r.by_control() == dict(sorted(by_control.items()))
    assert list(r.by_control()) == sorted(by_control)


@settings(max_examples=100, deadline=None)
@given(st.lists(finding, max_size=12))
def test_the_report_order_is_severity_then_waived_last_then_rule_subject(findings):
    order = sorted(findings, key=sort_key)
    assert order == sorted(findings, key=lambda f: (-int(f.severity), f.status is Status.WAIVED, f.rule, f.subject,
                                                    f.fingerprint))


class _Subjects:
    """A subject index that says which account each subject is in, and how often it was asked."""

    def __init__(self):
        self.asked = Counter()

    def resolve(self, subject):
        self.asked[subject] += 1
        return SimpleNamespace(account=None if subject.startswith("arn:aws:s3") else "111122223333")


@settings(max_examples=100, deadline=None)
@given(st.lists(finding, max_size=12), st.lists(finding, max_size=3), st.lists(finding, max_size=3),
       st.sampled_from([None, "", "111122223333"]))
def test_a_history_entry_counts_are_their_definitions(findings, new, resolved, unknown_account):
    subjects = _Subjects()
    accounts = history.account_of_findings(findings, subjects)
    assert accounts == {f.fingerprint: _Subjects().resolve(f.subject).account for f in findings}
    assert all(n == 1 for n in subjects.asked.values())  # a subject is resolved once, however many findings
    if findings:
        accounts[findings[0].fingerprint] = unknown_account  # "" and None both say no account is known
    e = history.entry_for("2026-01-02T000000Z", "2026-01-02T00:00:00Z", iter(findings), accounts, new=new,
                          resolved=resolved, profile="default", fail_on="high", failing_new=0, files={})
    counted = [f for f in findings if f.status is not Status.WAIVED]
    assert e["total"] == len(counted)
    assert e["waived"] == len(findings) - len(counted)
    assert e["unknown"] == sum(1 for f in findings if f.status is Status.UNKNOWN)
    assert e["by_severity"] == {s.label: sum(1 for f in counted if f.severity is s) for s in reversed(Severity)}
    assert list(e["by_severity"]) == [s.label for s in reversed(Severity)]
    assert e["by_rule"] == dict(sorted(Counter(f.rule for f in counted).items()))
    assert e["by_account"] == dict(sorted(Counter(accounts.get(f.fingerprint) or "(none)" for f in counted).items()))
    assert (e["new"], e["resolved"]) == (len(new), len(resolved))
