"""A real Dask cluster on loopback for the tests: `dask scheduler` and `dask worker` processes (127.0.0.1 only,
random ports, no dashboards), started with the same interpreter and the repository on PYTHONPATH, waited for
within a time limit and always stopped (the whole process group of each)."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0


@contextlib.contextmanager
def dask_cluster(workers: int = 2, *, env: dict | None = None, scheduler_env: dict | None = None):
    """Yield the scheduler's address (tcp://127.0.0.1:PORT) of a cluster with ``workers`` worker processes."""
    with tempfile.TemporaryDirectory(prefix="s3audit-dask-") as tmp:
        base = dict(os.environ)
        base["PYTHONPATH"] = os.pathsep.join([str(ROOT), base.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        base["DASK_CONFIG"] = tmp  # no user configuration is read
        base["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"
        file = Path(tmp) / "scheduler.json"
        procs: list[subprocess.Popen] = []

        def start(args, extra):
            e = dict(base)
            e.update(extra or {})
            procs.append(subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=tmp, env=e,
                                          stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / f"log{len(procs)}", "w"),
                                          start_new_session=True))
        try:
            start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(file)],
                  scheduler_env)
            deadline = time.monotonic() + START_TIMEOUT
            while not file.exists() or not file.read_text().strip():
                _check(procs, tmp, deadline)
                time.sleep(0.2)
            time.sleep(0.2)
            address = json.loads(file.read_text())["address"]
            for i in range(workers):
                start(["worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1",
                       "--no-dashboard", "--memory-limit", "0", "--local-directory", tmp, "--name", f"w{i}"], env)
            from distributed import Client
            with Client(address, timeout=START_TIMEOUT, set_as_default=False) as client:
                client.wait_for_workers(workers, timeout=START_TIMEOUT)
            yield address
        finally:
            for p in reversed(procs):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
            for p in reversed(procs):
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(p.pid, signal.SIGKILL)
                    p.wait(timeout=20)


def _check(procs, tmp, deadline) -> None:
    dead = [p for p in procs if p.poll() is not None]
    if dead or time.monotonic() > deadline:
        logs = "\n".join(p.read_text()[-2000:] for p in sorted(Path(tmp).glob("log*")))
        raise RuntimeError(f"the Dask cluster did not start:\n{logs}")
