"""A real Dask cluster (a `dask scheduler` and two `dask worker` processes on loopback) gives the findings of a
local run, and a worker lost mid-run never leaves partial findings (issue 15)."""
from __future__ import annotations

import pytest

pytest.importorskip("distributed")

from .conftest import DEMO  # noqa: E402
from .dask_cluster import dask_cluster  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with dask_cluster(2) as address:
        yield address


@pytest.mark.parametrize("estate", ["demo", "synthetic"])
def test_a_dask_cluster_gives_the_findings_of_a_local_run(cluster, estate, synthetic, cli, tmp_path):
    snapshot = DEMO if estate == "demo" else synthetic
    local = tmp_path / "local.json"
    remote = tmp_path / "dask.json"
    s1, _, e1 = cli("check", snapshot, "--workers", "1", "--today", "2026-12-01", "-o", local)
    s2, _, e2 = cli("check", snapshot, "--scheduler", cluster, "--today", "2026-12-01", "-o", remote)
    assert s1 == s2 == 1, (e1, e2)
    assert remote.read_bytes() == local.read_bytes()


def test_the_scheduler_reruns_the_task_of_a_worker_killed_mid_run(synthetic, cli, tmp_path):
    marker = tmp_path / "killed-once"
    local = tmp_path / "local.json"
    remote = tmp_path / "dask.json"
    cli("check", synthetic, "--workers", "1", "--today", "2026-12-01", "-o", local)
    with dask_cluster(2, env={"S3AUDIT_KILL_SHARD": f"1:{marker}"}) as address:
        status, _, err = cli("check", synthetic, "--scheduler", address, "--today", "2026-12-01", "-o", remote)
    assert marker.exists(), "no worker was killed"
    assert status == 1, err
    assert remote.read_bytes() == local.read_bytes()


def test_workers_lost_again_and_again_fail_the_run_with_status_2_and_write_nothing(synthetic, cli, tmp_path):
    remote = tmp_path / "dask.json"
    with dask_cluster(2, env={"S3AUDIT_KILL_SHARD": "1"},
                      scheduler_env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}) as address:
        status, out, err = cli("check", synthetic, "--scheduler", address, "--today", "2026-12-01", "-o", remote)
    assert status == 2
    assert "were lost while running shard 1" in err and "no findings were written" in err
    assert not remote.exists()


def test_an_incremental_night_on_dask_writes_what_a_local_one_writes(cluster, synthetic, cli, tmp_path):
    # the history's units are read and kept by s3audit's own process whichever runs the tasks: a night on the
    # cluster after a bucket change reuses the other buckets (the units log is appended to, not written afresh)
    # and writes the files a local night writes
    import json

    doc = json.loads(synthetic.read_text())
    doc["taken_at"] = "2026-01-02T00:00:00Z"
    doc["accounts"][0]["s3"]["buckets"][0]["Versioning"] = {"Status": "Enabled"}
    night2 = tmp_path / "night2.json"
    night2.write_text(json.dumps(doc))
    runs = {}
    for how, where in (("local", ["--workers", "1"]), ("dask", ["--scheduler", cluster])):
        history = tmp_path / how
        logs = []
        for night in (synthetic, night2):
            status, _, err = cli("scan", "--history", history, "--snapshot", night, "--today", "2026-12-01",
                                 "--format", "json", *where)
            assert status in (0, 1), err
            logs.append(json.loads((history / "units.index.json").read_text()))
        assert logs[1]["log"] == logs[0]["log"]  # appended to: most units were reused
        assert logs[1]["length"] - logs[0]["length"] < logs[0]["length"] / 10
        [run] = sorted(history.glob("2026-01-02*"))
        runs[how] = {f: (run / f).read_bytes() for f in ("findings.json", "diff.json", "access.json")}
    assert runs["dask"] == runs["local"]
