"""A local worker process killed mid-run (as the kernel's OOM killer would) makes the run rerun its tasks on a
fresh pool, once; killed again, the run fails with exit status 2 and a clear message, and writes nothing
(issue 15: "never writes partial findings as if complete")."""
from __future__ import annotations

from s3audit.shards.worker import FAULT_ENV


def test_a_worker_killed_once_is_replaced_and_the_output_is_the_same(synthetic, cli, tmp_path, monkeypatch):
    local = tmp_path / "one.json"
    pooled = tmp_path / "pool.json"
    marker = tmp_path / "killed-once"
    cli("check", synthetic, "--workers", "1", "--today", "2026-12-01", "-o", local)
    monkeypatch.setenv(FAULT_ENV, f"2:{marker}")
    status, _, err = cli("check", synthetic, "--workers", "2", "--today", "2026-12-01", "-o", pooled)
    assert marker.exists(), "no worker was killed"
    assert status == 1, err
    assert pooled.read_bytes() == local.read_bytes()


def test_a_worker_killed_again_fails_the_run_with_status_2_and_nothing_written(synthetic, cli, tmp_path, monkeypatch):
    out = tmp_path / "pool.json"
    monkeypatch.setenv(FAULT_ENV, "2")
    status, stdout, err = cli("check", synthetic, "--workers", "2", "--today", "2026-12-01", "-o", out)
    assert status == 2
    assert "a worker process died again" in err and "shard" in err and "no findings were written" in err
    assert not out.exists() and not stdout


def test_a_scan_whose_worker_dies_twice_records_no_run(synthetic, cli, tmp_path, monkeypatch):
    history = tmp_path / "history"
    monkeypatch.setenv(FAULT_ENV, "1")
    status, _, err = cli("scan", "--history", history, "--snapshot", synthetic, "--workers", "2",
                         "--today", "2026-12-01")
    assert status == 2, err
    assert not [p for p in history.iterdir() if p.is_dir()] if history.exists() else True
    assert not (history / "index.json").exists()
