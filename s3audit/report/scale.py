"""When a report is too big to read whole, and what it shows then.

An auditor reads a few hundred findings; an estate of 20,000 buckets has hundreds of thousands. Above
``FULL_FINDINGS`` the HTML report summarises (counts per rule and per account, the ``TOP_FINDINGS`` most
severe findings in full) and the complete list goes to a sidecar file the report links to; above
``FULL_PATHS`` paths to sensitive data, the paths section draws the ``PICTURED_BUCKETS`` most exposed
buckets, lists the ``BUCKET_ROWS`` most exposed in a table, and every path goes to the sidecar.
"""
from __future__ import annotations

FULL_FINDINGS = 300
TOP_FINDINGS = 100
FULL_PATHS = 400
PICTURED_BUCKETS = 10
PICTURE_PATHS = 40  # paths one picture draws (the table beside it lists them all, or PATH_ROWS of them)
SUMMARY_PICTURE_PATHS = 20  # ... when the section is summarised
PATH_ROWS = 20  # rows of a drawn bucket's table of paths when the section is summarised
BUCKET_ROWS = 50  # rows of the table of the most exposed buckets when the section is summarised


def findings_summarised(report) -> bool:
    return len(report.findings) > FULL_FINDINGS


def paths_summarised(report) -> bool:
    return sum(1 for p in report.paths if p.sensitive) > FULL_PATHS


def account_of(subject: str, accounts: dict | None = None, fingerprint: str = "") -> str:
    """The account a finding is about: the one the command line resolved, else the subject's ARN's."""
    if accounts and accounts.get(fingerprint):
        return str(accounts[fingerprint])
    text = subject.strip()
    if text.isdigit() and len(text) == 12:
        return text
    parts = text.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else ""
