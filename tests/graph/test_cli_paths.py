"""`s3audit paths`: the command's flags, outputs and exit statuses, and the planted chain of the demo estate."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from s3audit.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "s3audit" / "demo" / "estate.json"
PLANTED = ROOT / "fixtures" / "demo" / "planted.yaml"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["paths", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_demo_external_chain_to_cardholder_data(capsys):
    """The demo estate's planted chain: 999999999999 -> partner-integration -> payments-reader -> the bucket."""
    code, out, err = run(capsys, DEMO, "--to", "payments-cardholder-data", "--from", "external", "--format", "json")
    assert code == 0, err
    paths = json.loads(out)["paths"]
    expected = yaml.safe_load(PLANTED.read_text())["chain"]["hops"]
    [p] = [p for p in paths if p["principal"] == "arn:aws:iam::999999999999:root"]
    assert [(h["from"], h["to"], h["kind"], h["actions"]) for h in p["hops"]] == \
        [(h["from"], h["to"], h["kind"], h["actions"]) for h in expected]
    assert p["bucket"] == "payments-cardholder-data"
    assert p["access"] == ["s3:GetObject", "s3:ListBucket"]
    # the TLS-only deny of the bucket leaves aws:SecureTransport as the one condition of the last hop
    last = p["hops"][-1]
    assert p["decision"] == "conditional"
    assert [c["key"] for r in last["conditions"] for c in r["conditions"]] == ["aws:SecureTransport"]


def test_demo_text_and_mermaid(capsys):
    code, out, _ = run(capsys, DEMO, "--to", "payments-cardholder-data", "--from", "external")
    assert code == 0
    assert "arn:aws:iam::999999999999:root -> payments-cardholder-data  [conditional, 3 hops]" in out
    code, out, _ = run(capsys, DEMO, "--to", "payments-cardholder-data", "--from", "external", "--format", "mermaid")
    assert code == 0 and out.startswith("flowchart LR\n")
    assert '["arn:aws:iam::333333333333:role/partner-integration"]' in out
    code, out, _ = run(capsys, DEMO, "--to", "payments-cardholder-data", "--format", "dot")
    assert code == 0 and out.startswith("digraph paths {")


def test_from_without_to_lists_reachable_buckets(capsys):
    code, out, _ = run(capsys, DEMO, "--from", "arn:aws:iam::999999999999:root", "--access", "read", "--format", "json")
    assert code == 0
    buckets = {p["bucket"] for p in json.loads(out)["paths"]}
    assert "payments-cardholder-data" in buckets


def test_max_hops_too_short_for_the_chain(capsys):
    code, out, _ = run(capsys, DEMO, "--to", "payments-cardholder-data", "--from", "external", "--max-hops", "2",
                       "--format", "json")
    assert code == 0 and json.loads(out) == {"paths": []}


@pytest.mark.parametrize("argv, message", [
    (["--to", "no-such-bucket"], "bucket `no-such-bucket` is not in the snapshot"),
    (["--from", "arn:aws:iam::222222222222:user/nobody"], "is not in the access graph"),
    ([], "give --to BUCKET"),
    (["--to", "payments-cardholder-data", "--max-hops", "0"], "--max-hops must be at least 1"),
])
def test_bad_input_exits_2_with_one_message(capsys, argv, message):
    code, out, err = run(capsys, DEMO, *argv)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_unreadable_snapshot_exits_2(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = run(capsys, bad, "--to", "x")
    assert code == 2 and err.startswith("s3audit: ")


def test_bad_flag_value_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["paths", str(DEMO), "--to", "x", "--access", "tagging-only"])
    assert exc.value.code == 2
