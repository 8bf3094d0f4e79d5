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
