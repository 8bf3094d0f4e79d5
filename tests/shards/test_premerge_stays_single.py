"""The pre-merge path (``check`` on IaC) and the base install stay one process: they never import Dask, the
process pool or the sharding machinery, whatever ``--workers`` says (issue 15: "the base install and the
pre-merge path do not import it"; the pre-merge start-up must not grow)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import ROOT

PROBE = """
import json, sys
from s3audit.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "modules": sorted(m for m in sys.modules if m.split(".")[0] in
    ("dask", "distributed", "multiprocessing", "s3audit") and (m.startswith(("dask", "distributed",
    "multiprocessing", "s3audit.shards")) or m == "concurrent.futures.process"))}))
"""


def _modules(*argv: str) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    last = json.loads(done.stdout.strip().splitlines()[-1])
    return last["status"], last["modules"]


def test_a_pre_merge_check_of_iac_imports_no_executor_even_when_given_workers():
    status, modules = _modules("check", "fixtures/cloudformation/access-point.yaml", "--workers", "4",
                               "--format", "json")
    assert status in (0, 1)
    assert modules == []


def test_a_small_snapshot_is_checked_in_one_process():
    status, modules = _modules("check", "s3audit/demo/estate.json", "--format", "json")
    assert status == 1
    assert not [m for m in modules if m.startswith(("dask", "distributed", "multiprocessing"))]
    assert "concurrent.futures.process" not in modules
