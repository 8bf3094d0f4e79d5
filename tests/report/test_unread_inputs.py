"""An input a producer could not read is a finding of its own (INPUT-not-read), never a silent pass: it is
located where the input is declared, fails the run at the default threshold, survives an overlay on the live
estate, is kept by every profile whatever packs it chooses, and is answered only by a waiver."""
from __future__ import annotations

import copy
import json
import textwrap

from s3audit.snapshot.load import snapshot_from_dict
from s3audit.sources.builder import SnapshotBuilder
from s3audit.sources.overlay import merge
from s3audit.sources.values import Loc
from s3audit.unread import INPUT_NOT_READ

from .conftest import DAY1, load

TODAY = "--today=2026-11-24"
ENTRY = {"what": "module.network", "why": "its source `acme/network/aws` is a registry module that was not downloaded",
         "file": "infra/main.tf", "line": 12, "column": 1}


def with_unread(tmp_path, *entries) -> str:
    doc = load(DAY1)
    doc["unread"] = list(entries)
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_the_builder_records_what_it_could_not_read():
    b = SnapshotBuilder("terraform", "infra", file="infra/main.tf")
    b.unread("module.network", ENTRY["why"], Loc("infra/main.tf", 12, 1))
    b.unread("module.network", ENTRY["why"], Loc("infra/main.tf", 12, 1))  # said twice, recorded once
    snap = b.finish(taken_at="2026-11-24T00:00:00Z")
    assert snap["unread"] == [ENTRY]
    assert snapshot_from_dict(snap).unread[0].line == 12


def test_an_overlay_keeps_what_the_change_could_not_read():
    live = load(DAY1)
    change = {"format": "s3audit.snapshot/v1", "taken_at": "2026-11-24T00:00:00Z", "accounts": [], "unread": [ENTRY]}
    assert merge(live, change, new_bucket_defaults=True)["unread"] == [ENTRY]


def test_an_unread_input_is_a_high_finding_on_its_line(cli, tmp_path):
    status, out, err = cli("check", with_unread(tmp_path, ENTRY), TODAY, "--format", "json")
    assert status == 1, err
    [f] = [f for f in json.loads(out)["findings"] if f["rule"] == INPUT_NOT_READ]
    assert f["severity"] == "high" and f["status"] == "open"
    assert f["subject"] == "module.network"
    assert f["location"] == {"file": "infra/main.tf", "line": 12, "column": 1}
    assert "not downloaded" in f["message"]


def test_no_choice_of_packs_drops_it(cli, tmp_path):
    prof = tmp_path / "p.yaml"
    prof.write_text("profile: mine\npacks: [hygiene]\n")
    status, out, _ = cli("check", with_unread(tmp_path, ENTRY), TODAY, "--profile", str(prof), "--format", "json")
    assert INPUT_NOT_READ in {f["rule"] for f in json.loads(out)["findings"]}
    assert status == 1


def test_a_waiver_answers_it(cli, tmp_path):
    prof = tmp_path / "p.yaml"
    prof.write_text(textwrap.dedent("""
        profile: mine
        packs: [hygiene]
        fail_on: high
        waivers:
          - rule: INPUT-not-read
            resource: module.network
            reason: the network module holds no IAM or S3 resources
            owner: platform@example.com
            expires: 2027-01-31
    """))
    status, out, _ = cli("check", with_unread(tmp_path, ENTRY), TODAY, "--profile", str(prof), "--format", "json")
    [f] = [f for f in json.loads(out)["findings"] if f["rule"] == INPUT_NOT_READ]
    assert f["status"] == "waived"
