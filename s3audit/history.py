"""The scan history: one dated folder per run and an index that says what each run found.

Layout of a history directory (written by ``s3audit scan``, read by ``s3audit history``)::

    DIR/index.json                       {"format": "s3audit.history/v1", "runs": [entry, ...]} (by taken_at)
    DIR/<run>/snapshot.json.gz           the snapshot checked
    DIR/<run>/findings.json              every finding of the run (s3audit.findings/v1)
    DIR/<run>/diff.json                  what is new, resolved and unchanged since the previous run
    DIR/<run>/access.json                who can reach which bucket (for the next run's access changes)
    DIR/<run>/summary.txt, summary.md, report.html, findings.sarif ...   reports

``<run>`` is the snapshot's ``taken_at`` as ``YYYY-MM-DDTHHMMSSZ``: dated, sortable, and the same
snapshot scanned again replaces its own run rather than adding a day. The index is rewritten atomically
after the run's files are in place, under a lock, so a reader never sees a run that is half written.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
from collections import Counter
from operator import attrgetter
from typing import Any, Iterable, Iterator

from .errors import InputError, Place
from .findings import Finding, Severity, Status

HISTORY_FORMAT = "s3audit.history/v1"
INDEX = "index.json"
COLLECTING = ".collecting."  # prefix of the snapshot a scan collects into, removed after the run
_SPARK = "▁▂▃▄▅▆▇█"


def parse_taken_at(text: str) -> _dt.datetime:
    try:
        t = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise InputError(f"the snapshot's taken_at `{text}` is not an RFC 3339 time") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t.astimezone(_dt.timezone.utc)


def run_id(taken_at: str) -> str:
    return parse_taken_at(taken_at).strftime("%Y-%m-%dT%H%M%SZ")


def load_index(directory: str, warn=None) -> dict:
    """The history's index. An entry that a run did not finish writing (the file ends inside it, or it lacks
    what an entry holds) is left out, and ``warn`` is told which: the run's folder stays, and the next scan
    compares against the latest complete entry, so nothing passes for having been cut off."""
    path = os.path.join(directory, INDEX)
    if not os.path.exists(path):
        return {"format": HISTORY_FORMAT, "runs": []}
    from .fileio import parse_json, read_text
    text = read_text(path)
    try:
        data = parse_json(text, path)
    except InputError as exc:
        data = _recover(text)
        if data is None:
            raise
        if warn is not None:
            warn(f"{exc.place}: the index ends inside an entry (an interrupted write); reading the "
                 f"{len(data['runs'])} complete entr{'y' if len(data['runs']) == 1 else 'ies'} before it")
    if not isinstance(data, dict) or data.get("format") != HISTORY_FORMAT or not isinstance(data.get("runs"), list):
        raise InputError(f"not an s3audit history index (expected \"format\": \"{HISTORY_FORMAT}\" and \"runs\")",
                         Place(path, pointer="/format"))
    runs = []
    for i, entry in enumerate(data["runs"]):
        problem = _entry_problem(entry)
        if problem is None:
            runs.append(entry)
        elif warn is not None:
            warn(f"{Place(path, pointer=f'/runs/{i}')}: left out of the history: {problem}")
    data["runs"] = runs
    return data


_HEADER = re.compile(r'^\s*\{\s*"format"\s*:\s*"s3audit\.history/v1"\s*,\s*"runs"\s*:\s*\[')


def _recover(text: str) -> dict | None:
    """The complete entries of an index whose text stops part-way through its list of runs (None when the
    text is not the start of an index)."""
    m = _HEADER.match(text)
    if m is None:
        return None
    decoder = json.JSONDecoder(parse_constant=lambda name: None)
    runs, pos = [], m.end()
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] != "{":
            break
        try:
            entry, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            break
        runs.append(entry)
    return {"format": HISTORY_FORMAT, "runs": runs}


_ENTRY_TYPES = {"id": str, "taken_at": str, "taken_at_utc": str, "date": str, "total": int, "by_severity": dict}


def _entry_problem(entry) -> str | None:
    """Why an index entry cannot be used (None when it can)."""
    if not isinstance(entry, dict):
        return "an entry is an object"
    for key, kind in _ENTRY_TYPES.items():
        value = entry.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"`{key}` is missing or not {'a string' if kind is str else 'a number' if kind is int else 'an object'}"
    if not is_run_dir(entry["id"]):
        return "`id` is not a run folder's name"
    try:
        parse_taken_at(entry["taken_at"])
        parse_taken_at(entry["taken_at_utc"])
    except InputError as exc:
        return exc.message
    for key in ("by_rule", "by_account", "by_severity"):
        counts = entry.get(key, {})
        if not isinstance(counts, dict) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                   for v in counts.values()):
            return f"`{key}` is not an object of counts"
    for key in ("waived", "unknown", "new", "resolved", "failing_new", "exit_status"):
        if key in entry and (not isinstance(entry[key], int) or isinstance(entry[key], bool)):
            return f"`{key}` is not a number"
    if not isinstance(entry.get("files", {}), dict) or not all(
            _plain_name(v) for v in entry.get("files", {}).values()):
        return "`files` is not an object of file names (in the run's folder)"
    return None


def _plain_name(v) -> bool:
    """A file's name in a run's folder: not a path that leads elsewhere, nothing a file system refuses."""
    return isinstance(v, str) and v not in ("", ".", "..") and not any(c in v for c in "/\\\0")


def remove_stale_files(directory: str) -> list[str]:
    """Remove what killed runs left behind (write_atomic's temporary files, a collection's working file) from
    the history and its run folders; called under the lock, when no other run can be writing. Returns the
    names removed."""
    from .fileio import is_temporary
    removed = []
    folders = [directory] + [os.path.join(directory, n) for n in os.listdir(directory) if is_run_dir(n)]
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if is_temporary(name) or (folder == directory and name.startswith(COLLECTING)):
                full = os.path.join(folder, name)
                try:
                    if os.path.isfile(full) and not os.path.islink(full):
                        os.unlink(full)
                        removed.append(full)
                except OSError:
                    pass
    return removed


def save_index(directory: str, index: dict) -> None:
    from .fileio import write_atomic
    index["runs"].sort(key=lambda r: r["taken_at_utc"])
    write_atomic(os.path.join(directory, INDEX), json.dumps(index, indent=2) + "\n")


def previous_run(index: dict, taken_at: str) -> dict | None:
    """The latest run strictly before ``taken_at``."""
    now = parse_taken_at(taken_at)
    earlier = [r for r in index["runs"] if parse_taken_at(r["taken_at"]) < now]
    return max(earlier, key=lambda r: r["taken_at_utc"]) if earlier else None


def record(index: dict, entry: dict) -> None:
    index["runs"] = [r for r in index["runs"] if r["id"] != entry["id"]] + [entry]


@contextlib.contextmanager
def locked(directory: str) -> Iterator[None]:
    """Hold an exclusive lock on the history while a run writes to it (POSIX; elsewhere no lock)."""
    os.makedirs(directory, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(os.path.join(directory, ".lock"), "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def entry_for(rid: str, taken_at: str, findings: Iterable[Finding], accounts: dict[str, str | None], *,
              new: Iterable[Finding], resolved: Iterable[Finding], profile: str, fail_on: str,
              failing_new: int, files: dict[str, str]) -> dict:
    """The index entry of one run. Counts are of findings that count (open and unknown), waived apart."""
    findings = findings if isinstance(findings, list) else list(findings)
    # the findings counted once, by kind (status, severity, rule, account), at C speed: every figure is read off
    # those few thousand counts (a night has hundreds of thousands of findings; each walk over them costs)
    kinds = Counter(zip(map(_KIND, findings), map(accounts.get, map(_FINGERPRINT, findings))))
    by_sev = {s.label: 0 for s in reversed(Severity)}
    by_rule: Counter = Counter()
    by_account: Counter = Counter()  # an account that is not known is "(none)"
    waived = unknown = 0
    for ((status, severity, rule), account), n in kinds.items():
        if status is Status.WAIVED:
            waived += n
            continue
        if status is Status.UNKNOWN:
            unknown += n
        by_sev[severity.label] += n
        by_rule[rule] += n
        by_account[account or "(none)"] += n
    t = parse_taken_at(taken_at)
    return {
        "id": rid, "taken_at": taken_at, "taken_at_utc": t.isoformat().replace("+00:00", "Z"),
        "date": t.date().isoformat(), "profile": profile, "fail_on": fail_on,
        "total": len(findings) - waived, "waived": waived, "unknown": unknown,
        "by_severity": by_sev, "by_rule": dict(sorted(by_rule.items())),
        "by_account": dict(sorted(by_account.items())),
        "new": len(list(new)), "resolved": len(list(resolved)), "failing_new": failing_new,
        "exit_status": 1 if failing_new else 0, "files": files,
    }


# ---- the summary `s3audit history` prints ----

def summarise(index: dict, days: int = 14) -> dict:
    """Findings per day, per severity, per rule and per account over the latest ``days`` days (the last
    run of each day stands for it)."""
    by_date: dict[str, dict] = {}
    for r in sorted(index["runs"], key=lambda r: r["taken_at_utc"]):
        by_date[r["date"]] = r
    dates = sorted(by_date)[-days:] if days > 0 else sorted(by_date)
    runs = [by_date[d] for d in dates]

    def series(key: str) -> dict[str, list[int]]:
        names = sorted({n for r in runs for n in r.get(key, {})})
        return {n: [r.get(key, {}).get(n, 0) for r in runs] for n in names}

    return {
        "format": "s3audit.history-summary/v1",
        "runs": len(index["runs"]),
        "dates": dates,
        "days": [{"date": r["date"], "run": r["id"], "taken_at": r["taken_at"], "profile": r.get("profile"),
                  "total": r["total"], "waived": r.get("waived", 0), "unknown": r.get("unknown", 0),
                  "by_severity": r["by_severity"], "new": r.get("new", 0), "resolved": r.get("resolved", 0),
                  "exit_status": r.get("exit_status", 0)} for r in runs],
        "by_severity": {s.label: [r["by_severity"].get(s.label, 0) for r in runs] for s in reversed(Severity)},
        "by_rule": series("by_rule"),
        "by_account": series("by_account"),
    }


def sparkline(values: list[int]) -> str:
    if not values:
        return ""
    top = max(values)
    if top == 0:
        return _SPARK[0] * len(values)
    return "".join(_SPARK[min(len(_SPARK) - 1, round(v * (len(_SPARK) - 1) / top))] for v in values)


def _change(values: list[int]) -> str:
    if len(values) < 2:
        return ""
    d = values[-1] - values[-2]
    return f"{d:+d}" if d else "="


def render_text(summary: dict, directory: str) -> str:
    dates = summary["dates"]
    if not dates:
        return f"s3audit history: {directory}: no runs yet\n"
    lines = [f"s3audit history: {directory} ({summary['runs']} run{'s' if summary['runs'] != 1 else ''}; "
             f"{dates[0]} .. {dates[-1]})", ""]
    sev = [s.label for s in reversed(Severity)]
    head = f"{'day':<12}{'total':>7}" + "".join(f"{s:>10}" for s in sev) + f"{'waived':>8}{'new':>6}{'resolved':>10}"
    lines.append("per day")
    lines.append(head)
    for d in summary["days"]:
        lines.append(f"{d['date']:<12}{d['total']:>7}" + "".join(f"{d['by_severity'].get(s, 0):>10}" for s in sev)
                     + f"{d['waived']:>8}{d['new']:>6}{d['resolved']:>10}")

    def table(title: str, data: dict[str, list[int]]) -> None:
        lines.append("")
        lines.append(f"{title} (latest, change since the day before, trend over {len(dates)} day(s))")
        if not data:
            lines.append("  (no findings)")
            return
        width = max(12, max(len(k) for k in data) + 2)
        rows = sorted(data.items(), key=lambda kv: (-kv[1][-1], kv[0]))
        for name, values in rows:
            lines.append(f"  {name:<{width}}{values[-1]:>6}{_change(values):>6}  {sparkline(values)}")

    table("per severity", summary["by_severity"])
    table("per rule", summary["by_rule"])
    table("per account", summary["by_account"])
    return "\n".join(lines) + "\n"


def account_of_findings(findings: Iterable[Finding], subjects) -> dict[str, str | None]:
    """Fingerprint -> the account of the finding's subject. Each subject is resolved once: an estate's hundreds
    of thousands of findings are about a few tens of thousands of buckets and principals."""
    findings = findings if isinstance(findings, list) else list(findings)
    subject = list(map(_SUBJECT, findings))
    account = {s: subjects.resolve(s).account for s in set(subject)}
    return dict(zip(map(_FINGERPRINT, findings), map(account.__getitem__, subject)))


_FINGERPRINT, _SUBJECT = attrgetter("fingerprint"), attrgetter("subject")
_KIND = attrgetter("status", "severity", "rule")


_RUN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z$")


def is_run_dir(name: str) -> bool:
    return bool(_RUN.match(name))


def read_run_findings(directory: str, entry: dict) -> Any:
    from .report.model import load_findings
    return load_findings(os.path.join(directory, entry["id"], entry.get("files", {}).get("findings", "findings.json")))
