"""Inputs that were given but not read become findings of their own (rule ``INPUT-not-read``).

A producer that cannot read part of its input (a Terraform module whose source was never downloaded, a module
or ``locals`` cycle, a CloudFormation transform it cannot expand) records it in the snapshot's ``unread`` list
(docs/snapshot-format.md). Each entry is turned here into a high-severity finding located where the input is
declared, so it flows through ``--fail-on``, waivers, SARIF and baselines like any other finding: a CI gate
never passes over something it could not read. The rule belongs to no pack, so no profile can drop it by
choosing packs; it can be waived, with a reason, an owner and an expiry, like any finding.
"""
from __future__ import annotations

from .findings import Finding, Location, Severity
from .report.model import RuleInfo
from .snapshot.model import Snapshot

INPUT_NOT_READ = "INPUT-not-read"
INPUTS_PACK = "inputs"

RULE = RuleInfo(
    id=INPUT_NOT_READ,
    title="Every input was read",
    severity=Severity.HIGH,
    rationale=("A part of the input that s3audit could not read may hold the grant or the setting that matters; "
               "checking the rest and passing would hide it."),
    remediation=("Make the input readable (for Terraform, run `terraform init` so modules are downloaded; break the "
                 "cycle; expand the transform), or waive the finding with the reason it does not matter."),
    pack=INPUTS_PACK,
)


def unread_findings(snapshot: Snapshot) -> list[Finding]:
    """One finding per unread input of the snapshot, in the snapshot's order."""
    out = []
    for u in snapshot.unread:
        location = Location(u.file, u.line, u.column) if u.file else None
        where = f"{u.file}:{u.line}" if u.file and u.line else (u.file or "")
        out.append(Finding(
            rule=INPUT_NOT_READ, severity=RULE.severity, controls=(), subject=u.what,
            message=f"{u.what} was not read: {u.why}", evidence=({"what": u.what, "why": u.why, "where": where},),
            location=location, key=(u.file or "",)))
    return out
