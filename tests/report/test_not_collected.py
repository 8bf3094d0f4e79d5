"""What could not be collected is shown (issue 11, item 10): every error a snapshot records — the organization's,
each account's, bucket's and access point's — in the findings JSON, the text report, Markdown and HTML."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from s3audit.report.model import snapshot_provenance
from s3audit.snapshot.load import load_snapshot, snapshot_from_dict

from .conftest import DAY1

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = [
    "organization: ListPolicies: AccessDenied",
    "account 111111111111: iam:GetAccountAuthorizationDetails: Throttling",
    "bucket core-logs (account 111111111111): GetBucketPolicy: AccessDenied",
    "bucket core-logs (account 111111111111): GetBucketTagging: AccessDenied",
    "access point data-ap (account 111111111111): GetAccessPointPolicy: AccessDenied",
    "account 222222222222: s3control:GetPublicAccessBlock: AccessDenied",
]


def _snapshot(tmp_path) -> Path:
    doc = json.loads((ROOT / "tests/fuzz/corpus/snapshot.json").read_text())
    doc["organization"]["errors"] = {"ListPolicies": "AccessDenied"}
    doc["accounts"][0]["errors"] = {"iam:GetAccountAuthorizationDetails": "Throttling"}
    doc["accounts"][0]["s3"]["access_points"][0]["Errors"] = {"GetAccessPointPolicy": "AccessDenied"}
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc))
    return path


def test_every_recorded_error_is_in_the_provenance_in_the_snapshot_s_order(tmp_path):
    assert snapshot_provenance(load_snapshot(str(_snapshot(tmp_path))))["incomplete"] == EXPECTED


def test_none_is_left_out_however_many(tmp_path):
    doc = json.loads((ROOT / "tests/fuzz/corpus/snapshot.json").read_text())
    bucket = doc["accounts"][1]["s3"]["buckets"][0]
    doc["accounts"][1]["s3"]["buckets"] = [
        {**copy.deepcopy(bucket), "Name": f"b-{i:03d}", "Errors": {"GetBucketAcl": "AccessDenied"}} for i in range(120)]
    incomplete = snapshot_provenance(snapshot_from_dict(doc))["incomplete"]
    assert len(incomplete) == 3 + 120  # the corpus's own three, and every bucket's


def test_the_demo_estate_s_access_denied_is_in_json_text_markdown_and_html(cli, tmp_path):
    line = "bucket analytics-ml-features (account 333333333333): GetBucketPolicy: AccessDenied"
    status, out, _ = cli("check", DAY1, "--format", "json")
    assert json.loads(out)["snapshot"]["incomplete"] == [line]
    status, out, _ = cli("check", DAY1)
    lines = out.splitlines()
    at = lines.index("NOT COLLECTED (1): what depends on these is unknown, never assumed")
    assert lines[at + 1] == f"  {line}"
    status, out, _ = cli("check", DAY1, "--format", "markdown")
    assert "### Not collected (1)" in out and f"- {line}" in out
    status, _, _ = cli("report", DAY1, "-o", tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "analytics-ml-features (account 333333333333): GetBucketPolicy: AccessDenied" in page
    assert "every API call succeeded" not in page


def test_all_of_them_in_every_format(cli, tmp_path):
    path = _snapshot(tmp_path)
    for fmt, shown in (("text", lambda e: f"  {e}"), ("markdown", lambda e: f"- {e}")):
        status, out, _ = cli("check", path, "--format", fmt)
        for e in EXPECTED:
            assert shown(e) in out.splitlines(), (fmt, e)
    cli("report", path, "-o", tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert all(e.replace("'", "&#x27;") in page for e in EXPECTED)


def test_a_snapshot_with_no_error_says_so_without_claiming_more(cli, tmp_path):
    doc = json.loads((ROOT / "tests/fuzz/corpus/snapshot.json").read_text())
    doc["accounts"][1].pop("errors")
    doc["accounts"][0]["s3"]["buckets"][1].pop("Errors")
    path = tmp_path / "clean.json"
    path.write_text(json.dumps(doc))
    status, out, _ = cli("check", path)
    assert "NOT COLLECTED" not in out
    cli("report", path, "-o", tmp_path / "r.html")
    assert "nothing: the snapshot records no failed call" in (tmp_path / "r.html").read_text()
