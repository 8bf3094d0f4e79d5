"""The nightly scan over the demo estate a day apart (day 2: one new public bucket, one fixed finding),
`s3audit diff` between snapshots and findings files, and `s3audit history`."""
from __future__ import annotations

import gzip
import json

import pytest

from s3audit.audit import compare
from s3audit.findings import Finding, Severity, Status
from s3audit.report.access import build_graph

from .conftest import DAY1, DAY2, load

pytestmark = pytest.mark.usefixtures("fake_rules")
NEW_ON_DAY2 = [("FAKE-KMS", "arn:aws:s3:::sandbox-campaign-landing"),
               ("FAKE-PUBLIC", "arn:aws:s3:::sandbox-campaign-landing"),
               ("FAKE-TLS", "arn:aws:s3:::sandbox-campaign-landing")]
FIXED_ON_DAY2 = [("FAKE-TLS", "arn:aws:s3:::analytics-raw-events")]
HAS_GRAPH = build_graph.__module__ and __import__("importlib").util.find_spec("s3audit.graph.build") is not None


def pairs(findings):
    return sorted((f["rule"], f["subject"]) for f in findings)


@pytest.fixture
def two_nights(cli, tmp_path):
    history = tmp_path / "history"
    first = cli("scan", "--history", history, "--snapshot", DAY1, "--today", "2026-11-24")
    second = cli("scan", "--history", history, "--snapshot", DAY2, "--today", "2026-11-25", "--format", "json")
    return history, first, second


def test_nightly_scan_alerts_on_what_is_new(two_nights):
    history, (status1, out1, _), (status2, out2, _) = two_nights
    assert status1 == 1  # the first night compares with nothing: everything is new
    assert out1.splitlines()[-1].startswith("summary: 19 new findings")
    diff = json.loads(out2)
    assert status2 == 1
    assert diff["mode"] == "scan" and diff["snapshot"]["previous"] == "2026-11-24T02:00:00Z"
    assert pairs(diff["findings"]) == NEW_ON_DAY2
    assert pairs(diff["resolved"]) == FIXED_ON_DAY2
    assert len(diff["unchanged"]) == 18
    assert diff["summary"]["failing"] == 2  # the public bucket (critical) and its TLS gap (high)


def test_each_run_has_a_dated_folder_with_snapshot_findings_and_reports(two_nights):
    history = two_nights[0]
    runs = sorted(p.name for p in history.iterdir() if p.is_dir())
    assert runs == ["2026-11-24T020000Z", "2026-11-25T020000Z"]
    day2 = history / runs[1]
    names = sorted(p.name for p in day2.iterdir())
    expected = {"snapshot.json.gz", "findings.json", "diff.json", "summary.txt", "summary.md", "report.html",
                "findings.sarif"}
    assert expected <= set(names)
    assert json.loads(gzip.decompress((day2 / "snapshot.json.gz").read_bytes()))["taken_at"] == "2026-11-25T02:00:00Z"
    state = load(day2 / "findings.json")
    assert len(state["findings"]) == 21 and pairs(state["resolved"]) == FIXED_ON_DAY2
    assert "sandbox-campaign-landing" in (day2 / "summary.txt").read_text()
    assert (day2 / "summary.md").read_text().startswith("## s3audit: ❌ **2 new findings at or above high**")


def test_history_index_and_summary(two_nights, cli):
    history = two_nights[0]
    index = load(history / "index.json")
    assert index["format"] == "s3audit.history/v1"
    day1, day2 = index["runs"]
    assert (day1["date"], day1["total"], day1["new"], day1["resolved"]) == ("2026-11-24", 19, 19, 0)
    assert (day2["date"], day2["total"], day2["new"], day2["resolved"]) == ("2026-11-25", 21, 3, 1)
    assert day2["by_rule"]["FAKE-PUBLIC"] == 2 and day2["by_account"]["444444444444"] == day1["by_account"]["444444444444"] + 3
    assert day2["exit_status"] == 1 and day2["failing_new"] == 2
    status, out, _ = cli("history", history)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"s3audit history: {history} (2 runs; 2026-11-24 .. 2026-11-25)"
    assert lines[4].split() == ["2026-11-24", "19", "2", "8", "8", "1", "0", "0", "19", "0"]
    assert lines[5].split() == ["2026-11-25", "21", "3", "8", "9", "1", "0", "0", "3", "1"]
    rule = next(l for l in lines if l.strip().startswith("FAKE-PUBLIC"))
    assert rule.split()[:3] == ["FAKE-PUBLIC", "2", "+1"]
    account = next(l for l in lines if l.strip().startswith("444444444444"))
    assert account.split()[2] == "+3"
    status, out, _ = cli("history", history, "--format", "json")
    summary = json.loads(out)
    assert summary["dates"] == ["2026-11-24", "2026-11-25"]
    assert summary["by_severity"]["critical"] == [2, 3]
    assert summary["by_rule"]["FAKE-TLS"] == [5, 5]
    assert [d["new"] for d in summary["days"]] == [19, 3]


def test_scanning_the_same_snapshot_again_replaces_its_run(two_nights, cli):
    history = two_nights[0]
    status, out, _ = cli("scan", "--history", history, "--snapshot", DAY2, "--today", "2026-11-25")
    assert status == 1  # still compared with day 1, not with itself
    assert len(load(history / "index.json")["runs"]) == 2


def test_a_clean_night_exits_0(two_nights, cli, tmp_path):
    history = two_nights[0]
    # day 3 = day 2 again, one day later: nothing new
    day3 = load(DAY2)
    day3["taken_at"] = "2026-11-26T02:00:00Z"
    path = tmp_path / "day3.json"
    path.write_text(json.dumps(day3))
    status, out, _ = cli("scan", "--history", history, "--snapshot", path, "--today", "2026-11-26")
    assert status == 0 and out.splitlines()[-1] == ("summary: 0 new findings; pass: nothing at or above high")
    status, out, _ = cli("history", history, "--days", "2")
    assert out.splitlines()[0].endswith("(3 runs; 2026-11-25 .. 2026-11-26)")


def test_scan_threshold_applies_to_new_findings_only(cli, tmp_path):
    history = tmp_path / "h"
    cli("scan", "--history", history, "--snapshot", DAY1, "--today", "2026-11-24")
    # only the medium KMS gap of the new bucket would be below a critical threshold; the public bucket is not
    assert cli("scan", "--history", history, "--snapshot", DAY2, "--fail-on", "critical")[0] == 1
    profile = tmp_path / "p.yaml"
    profile.write_text("profile: t\nwaivers:\n  - {rule: FAKE-PUBLIC, resource: sandbox-campaign-landing, "
                       "reason: campaign site, owner: marketing, expires: 2030-01-01}\n")
    assert cli("scan", "--history", history, "--snapshot", DAY2, "--fail-on", "critical", "--profile", profile)[0] == 0


def test_scan_without_a_snapshot_or_a_history_dir(cli, tmp_path):
    (tmp_path / "file").write_text("x")
    status, _, err = cli("scan", "--history", tmp_path / "file", "--snapshot", DAY1)
    assert status == 2 and "is not a directory" in err
    status, _, err = cli("history", tmp_path)
    assert status == 2 and "not a scan history" in err


# ---- diff ----

def test_diff_between_two_snapshots(cli):
    status, out, _ = cli("diff", DAY1, DAY2, "--today", "2026-11-25", "--format", "json")
    doc = json.loads(out)
    assert status == 1 and doc["mode"] == "diff"
    assert pairs(doc["findings"]) == NEW_ON_DAY2
    assert pairs(doc["resolved"]) == FIXED_ON_DAY2
    assert len(doc["unchanged"]) == 18
    if HAS_GRAPH:
        gained = [c for c in doc["access_changes"] if c["change"] == "gained"]
        assert {"change": "gained", "principal": "anonymous", "bucket": "sandbox-campaign-landing", "level": "read",
                "before": None, "after": "allow"} in gained
    else:
        assert any("access graph" in n for n in doc["notes"])
    status, text, _ = cli("diff", DAY1, DAY2, "--today", "2026-11-25")
    assert "RESOLVED (1)" in text and text.splitlines()[-1].startswith("summary: 3 new findings")


def test_diff_between_findings_files_and_mixed(cli, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    cli("check", DAY1, "--today", "2026-11-25", "-o", f"json={a}")
    cli("check", DAY2, "--today", "2026-11-25", "-o", f"json={b}")
    for old, new in ((a, b), (DAY1, b), (a, DAY2)):
        status, out, _ = cli("diff", old, new, "--today", "2026-11-25", "--format", "json")
        doc = json.loads(out)
        assert status == 1
        assert pairs(doc["findings"]) == NEW_ON_DAY2 and pairs(doc["resolved"]) == FIXED_ON_DAY2
        assert doc["access_changes"] == []
    status, out, _ = cli("diff", b, b)
    assert status == 0 and out.splitlines()[-1] == "summary: 0 new findings; pass: nothing at or above high"


def test_diff_rejects_other_files(cli):
    status, _, err = cli("diff", DAY1, "pyproject.toml")
    assert status == 2 and "neither a snapshot nor a findings file" in err


def test_a_finding_whose_waiver_lapsed_is_new_again():
    f = Finding("R", Severity.HIGH, (), "arn:aws:s3:::b", "m")
    waived = Finding("R", Severity.HIGH, (), "arn:aws:s3:::b", "m", status=Status.WAIVED)
    new, resolved, unchanged = compare([waived], [f])
    assert new == [f] and resolved == [] and unchanged == []
    new, resolved, unchanged = compare([f], [waived])  # newly waived: not new, not resolved
    assert new == [] and resolved == [] and unchanged == [waived]


def test_scan_collects_from_aws_when_no_snapshot_is_given(cli, tmp_path):
    """The nightly without --snapshot: the collector reads the estate (moto stands in for AWS), the run's
    folder keeps the snapshot it collected, and the temporary file it collected into is gone."""
    from moto import mock_aws

    try:  # tests/ is a package once the graph branch lands; until then tests/ itself is on sys.path
        from ..sources import aws_estate as estate
    except ImportError:
        import sources.aws_estate as estate
    history = tmp_path / "history"
    with pytest.MonkeyPatch.context() as mp:
        estate.fake_aws_environment(mp, tmp_path)
        estate.fixed_account_ids(mp)
        estate.moto_gaps(mp)
        estate.few_aws_managed_policies(mp)
        with mock_aws(config=estate.MOTO_CONFIG):
            estate.build_estate()
            status, out, err = cli("scan", "--history", history, "--organization", "--role-name", estate.SCANNER_ROLE,
                                   "--workers", "4", "--format", "json")
    doc = json.loads(out)
    assert status == 1 and doc["mode"] == "scan"
    assert ("FAKE-PUBLIC", "arn:aws:s3:::analytics-public-site") in pairs(doc["findings"])
    (run,) = [p for p in history.iterdir() if p.is_dir()]
    snapshot = json.loads(gzip.decompress((run / "snapshot.json.gz").read_bytes()))
    assert snapshot["source"]["kind"] == "aws"
    assert not [p for p in history.iterdir() if p.name.startswith(".collecting")]


def test_a_possible_problem_made_certain_is_new():
    unknown = Finding("R", Severity.HIGH, (), "arn:aws:s3:::b", "m", status=Status.UNKNOWN)
    opened = Finding("R", Severity.HIGH, (), "arn:aws:s3:::b", "m")
    assert compare([unknown], [opened])[0] == [opened]
    assert compare([opened], [unknown]) == ([], [], [unknown])  # less certain is not new, nor resolved


@pytest.mark.skipif(not HAS_GRAPH, reason="the access graph is not part of this build")
@pytest.mark.parametrize("rows", [[["p", "b", "read"]], [["p", "b", "read", 1]], [["p", "b", "read", "allow"], "x"],
                                  {"p": 1}])
def test_a_damaged_access_file_of_the_previous_run_is_bad_input(cli, tmp_path, rows):
    history = tmp_path / "history"
    assert cli("scan", "--history", history, "--snapshot", DAY1, "--today", "2026-11-24")[0] == 1
    (access,) = history.glob("2026-11-24*/access.json")
    access.write_text(json.dumps({"format": "s3audit.access/v1", "access": rows}))
    status, _, err = cli("scan", "--history", history, "--snapshot", DAY2, "--today", "2026-11-25")
    assert status == 2
    assert "access.json" in err and "/access" in err and "not an s3audit access file" in err


def test_what_a_scan_prints_is_the_run_s_own_file(two_nights, cli):
    # standard output shows what changed, as the run's diff.json (--format json) and summary.txt (text) hold it
    history, (_, out1, _), (_, out2, _) = two_nights
    day1, day2 = sorted(p for p in history.iterdir() if p.is_dir())
    assert out1 == (day1 / "summary.txt").read_text()
    assert out2 == (day2 / "diff.json").read_text()
    _, md, _ = cli("scan", "--history", history, "--snapshot", DAY2, "--today", "2026-11-25", "--format", "markdown")
    assert md == (day2 / "summary.md").read_text()


def test_a_report_the_run_cannot_write_is_bad_output_and_the_run_is_not_recorded(cli, tmp_path):
    # the whole-state reports are written by a forked child (s3audit.aside): its error is the run's
    history = tmp_path / "history"
    (history / "2026-11-24T020000Z" / "report.html").mkdir(parents=True)
    status, _, err = cli("scan", "--history", history, "--snapshot", DAY1, "--today", "2026-11-24")
    assert status == 2
    assert "report.html" in err and "is a directory" in err and "Traceback" not in err
    assert not (history / "index.json").exists() or "2026-11-24" not in (history / "index.json").read_text()


def test_a_night_lists_its_findings_in_the_reports_order(two_nights):
    """The night's findings are sorted once; what is new and unchanged (diff.json) are parts of them taken in
    their order, and each list of both files is in the reports' order."""
    from s3audit.report.model import finding_from_json, sort_key
    history = two_nights[0]
    day2 = history / "2026-11-25T020000Z"
    state, diff = load(day2 / "findings.json"), load(day2 / "diff.json")
    for document, key in ((state, "findings"), (state, "resolved"), (diff, "findings"), (diff, "unchanged"),
                          (diff, "resolved")):
        listed = [finding_from_json(f) for f in document[key]]
        assert listed == sorted(listed, key=sort_key), key
    assert sorted(f["fingerprint"] for f in diff["findings"] + diff["unchanged"]) == \
        sorted(f["fingerprint"] for f in state["findings"])
