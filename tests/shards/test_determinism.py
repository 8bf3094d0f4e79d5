"""A run split into tasks gives, byte for byte, what one process gives: whatever the number of shards (1, 2, 7)
and of worker processes, on the demo estate and on a synthetic one (issue 15: "the output is byte for byte the
same whatever the number of shards and workers")."""
from __future__ import annotations

import json

import pytest

from s3audit.audit import run_rules
from s3audit.access_file import blocks_of
from s3audit.report.access import DEFAULT_SENSITIVE, access_map, build_graph, sensitive_paths
from s3audit.shards.analysis import analyse

from .conftest import DEMO


def _source(path):
    from s3audit.commands._scale import load
    return load(str(path)).source()


def _findings(fs):
    return [json.dumps(f.to_json(), sort_keys=True) + repr((f.pointer, f.key)) for f in fs]


@pytest.mark.parametrize("estate", ["demo", "synthetic"])
def test_any_number_of_shards_gives_one_process_s_findings_access_and_pictures(estate, synthetic):
    src = _source(DEMO if estate == "demo" else synthetic)
    graph = build_graph(src.snapshot)
    whole = run_rules(src.snapshot, engine=graph.engine, graph=graph)
    access = access_map(graph)
    pictures = [p.to_json() for p in sensitive_paths(graph, src.snapshot, DEFAULT_SENSITIVE)]
    assert len(whole.findings) > 50 and access and pictures  # the estates exercise every part
    for shards in (1, 2, 7):
        got = analyse(src, access=True, sensitive=DEFAULT_SENSITIVE, shards=shards)
        assert got.stats["shards"] == shards
        assert _findings(got.run.findings) == _findings(whole.findings), shards
        assert got.access == blocks_of(access)  # each bucket's rows as access.json holds them
        assert [p.to_json() for p in got.pictures] == pictures


@pytest.mark.parametrize("estate", ["demo", "synthetic"])
def test_check_and_report_write_the_same_bytes_with_any_number_of_workers(estate, synthetic, cli, tmp_path):
    snapshot = DEMO if estate == "demo" else synthetic
    outputs = {}
    for workers in (1, 2, 3):
        out = tmp_path / f"w{workers}"
        out.mkdir()
        status, _, err = cli("check", snapshot, "--workers", workers, "--today", "2026-12-01",
                             "-o", out / "f.json", "-o", out / "f.sarif", "-o", out / "f.md", "-o", out / "f.html")
        assert status == 1, err
        status, _, err = cli("report", snapshot, "--workers", workers, "--today", "2026-12-01", "-o", out / "r.html")
        assert status == 0, err
        outputs[workers] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert set(outputs[1]) >= {"f.json", "f.sarif", "f.md", "f.html", "r.html"}
    assert outputs[2] == outputs[1]
    assert outputs[3] == outputs[1]


def test_paths_from_split_into_tasks_is_the_whole_graph_s(synthetic, cli):
    one = cli("paths", synthetic, "--from", "arn:aws:iam::*:role/app-000*", "--format", "json", "--workers", 1)
    two = cli("paths", synthetic, "--from", "arn:aws:iam::*:role/app-000*", "--format", "json", "--workers", 2)
    assert one[0] == two[0] == 0
    assert json.loads(one[1])["paths"] and one[1] == two[1]
