"""The runner sets tasks going and lets this process go on with its own work (``Runner.start``); the
results come back in order, and a batch on a pool that a lost worker broke runs again on a fresh pool, whichever
batch saw the loss (issue 15: a worker killed mid-run makes the run retry its tasks)."""
from __future__ import annotations

import os
import signal
import time

import pytest

from s3audit.shards.executors import Runner, WorkerLost


def _when_there(path: str) -> str:
    """The text of ``path`` once this process sees it (the parent writes it after setting the task going)."""
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            return "never written"
        time.sleep(0.01)
    with open(path) as fh:
        return fh.read()


def _square(x: int) -> int:
    return x * x


def _dies_once(marker: str, x: int) -> int:
    """Kills its worker the first time it runs (as the kernel's OOM killer would), then works."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return -x


def _always_dies() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_parent_goes_on_while_the_tasks_run(tmp_path, workers):
    signal_file = tmp_path / "go"
    with Runner(workers) as runner:
        if workers == 1:  # one process: the calls are made at once, before start returns
            signal_file.write_text("early")
        pending = runner.start(_when_there, [(str(signal_file),)])
        signal_file.write_text("written after start") if workers > 1 else None
        assert pending.results() == ["written after start" if workers > 1 else "early"]


def test_two_batches_on_a_pool_a_lost_worker_broke_both_come_back_whole(tmp_path):
    marker = tmp_path / "killed"
    with Runner(2) as runner:
        first = runner.start(_square, [(i,) for i in range(6)])
        second = runner.start(_dies_once, [(str(marker), i) for i in range(4)])
        assert second.results() == [0, -1, -2, -3]
        assert first.results() == [i * i for i in range(6)]
        assert marker.exists()
        assert runner.run(_square, [(7,)]) == [49]  # the fresh pool serves later batches


def test_a_worker_lost_again_ends_the_run(tmp_path):
    with Runner(2) as runner:
        pending = runner.start(_always_dies, [(), ()], lambda i: f"the task {i}")
        with pytest.raises(WorkerLost, match="died again.*the task"):
            pending.results()
