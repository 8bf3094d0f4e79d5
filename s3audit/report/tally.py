"""A report's findings counted once, by kind: the summaries the reporters show are read off the counts.

An estate has hundreds of thousands of findings and the summaries (by severity and status, by framework
control, by rule, by account) are a handful of tables, each of which walked every finding again, some of them
several times (``Report.counted`` and ``failing`` are lists rebuilt at each use). ``Tally`` walks the findings
once, counting each distinct kind — rule, severity, status, controls and, when asked, account — and every table
comes from those few thousand counts.
"""
from __future__ import annotations

from collections import Counter
from operator import attrgetter
from typing import Callable, Iterable

from ..findings import SEVERITY_ORDER, Finding, Severity, Status
from ..findings import failing as count_failing

NO_CONTROL = "(no control)"  # the row of findings whose rule names no framework control

_KIND = attrgetter("rule", "severity", "status", "controls")
_RULE_AND_SEVERITY = attrgetter("rule", "severity")


class Tally:
    def __init__(self, findings: Iterable[Finding], account: Callable[[Finding], str] | None = None) -> None:
        """``account(f)``, when given, the account a finding is counted under (``by_account``)."""
        findings = findings if isinstance(findings, list) else list(findings)
        kinds = map(_KIND, findings)
        if account is None:
            counts = Counter(kinds)
            self._kinds = [(*k, None, n) for k, n in counts.items()]
        else:
            counts = Counter(zip(kinds, map(account, findings)))
            self._kinds = [(*k, a, n) for (k, a), n in counts.items()]
        # the severity of each rule's last finding, which the table of rules shows as the rule's (the profile may
        # change a finding's severity, so the findings of one rule may differ)
        self.rule_severity: dict[str, Severity] = dict(map(_RULE_AND_SEVERITY, findings))

    def by_status(self) -> dict[Status, int]:
        out = dict.fromkeys(Status, 0)
        for _, _, status, _, _, n in self._kinds:
            out[status] += n
        return out

    def counted_by_severity(self) -> dict[Severity, int]:
        """Severity (most severe first) -> findings that count toward the threshold (``Report.counted``)."""
        out = dict.fromkeys(SEVERITY_ORDER, 0)
        for _, severity, status, _, _, n in self._kinds:
            if status is not Status.WAIVED:
                out[severity] += n
        return out

    def counted(self) -> int:
        return sum(self.counted_by_severity().values())

    def failing(self, fail_on: Severity | None) -> int:
        """How many findings fail the run (``len(Report.failing)``)."""
        return count_failing(Counter({(status, severity): n for (severity, status), n
                                      in self.by_severity_and_status().items()}), fail_on)

    def by_severity_and_status(self) -> dict[tuple[Severity, Status], int]:
        out: dict[tuple[Severity, Status], int] = Counter()
        for _, severity, status, _, _, n in self._kinds:
            out[severity, status] += n
        return out

    def by_control(self) -> dict[str, dict[str, int]]:
        """``Report.by_control()``: framework control -> severity label -> counted findings, controls in order."""
        out: dict[str, dict[str, int]] = {}
        for _, severity, status, controls, _, n in self._kinds:
            if status is Status.WAIVED:
                continue
            for c in controls or (NO_CONTROL,):
                row = out.get(c)
                if row is None:
                    row = out[c] = {s.label: 0 for s in SEVERITY_ORDER}
                row[severity.label] += n
        return dict(sorted(out.items()))

    def by_rule(self) -> dict[str, list[int]]:
        """Rule -> [open, unknown, waived]."""
        out: dict[str, list[int]] = {}
        for rule, _, status, _, _, n in self._kinds:
            out.setdefault(rule, [0, 0, 0])[_STATUS_COLUMN[status]] += n
        return out

    def by_account(self) -> dict[str, dict[str, int]]:
        """Account -> severity label -> counted findings, and "waived" -> waived findings."""
        out: dict[str, dict[str, int]] = {}
        for _, severity, status, _, account, n in self._kinds:
            row = out.get(account)
            if row is None:
                row = out[account] = {**{s.label: 0 for s in SEVERITY_ORDER}, "waived": 0}
            row["waived" if status is Status.WAIVED else severity.label] += n
        return out


_STATUS_COLUMN = {Status.OPEN: 0, Status.UNKNOWN: 1, Status.WAIVED: 2}
