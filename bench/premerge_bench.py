"""Benchmark: a pre-merge `s3audit check` beside Checkov on the same file (run from the repository root:
python3 bench/premerge_bench.py; BENCH_N runs each, default 7; Checkov from bench/checkov_agreement.py's venv).

1. One ~70-line CloudFormation template: wall time of `s3audit check` as a fresh process (interpreter
   start-up included) and of `checkov -f` on the same file.
2. A Terraform plan of 200 resources (bench/iac_load.py's synthetic plan) checked against the demo estate
   with --live.

Python's bytecode goes to a private prefix (an installed package has its .pyc; this checkout may not) and
the first run of each command, which fills the caches, is not counted. Prints medians.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = "fixtures/cloudformation/private-bucket.yaml"
ESTATE = "fixtures/demo/estate.json"
sys.path.insert(0, os.path.join(ROOT, "bench"))


def median_wall(cmd: list[str], n: int, env: dict) -> float:
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True)  # warm-up: bytecode and grammar caches
    times = []
    for _ in range(n):
        t = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True)
        times.append(time.perf_counter() - t)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{cmd[:3]} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def main() -> None:
    from checkov_agreement import checkov_env, ensure_checkov
    from iac_load import synthetic_plan
    n = int(os.environ.get("BENCH_N", "7"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": ROOT, "PYTHONPYCACHEPREFIX": os.path.join(tmp, "pyc")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        lines = sum(1 for _ in open(os.path.join(ROOT, TEMPLATE), encoding="utf-8"))
        ours = median_wall([sys.executable, "-m", "s3audit", "check", "--cloudformation", TEMPLATE,
                            "--format", "json", "-o", os.path.join(tmp, "f.json")], n, env)
        checkov = ensure_checkov()
        theirs = median_wall([checkov, "-f", TEMPLATE, "--framework", "cloudformation", "-o", "json", "--compact",
                              "--quiet", "--skip-download"], max(3, n // 2), checkov_env())
        plan = os.path.join(tmp, "plan.json")
        with open(plan, "w") as fh:
            json.dump(synthetic_plan(200), fh)
        big = median_wall([sys.executable, "-m", "s3audit", "check", "--live", ESTATE, "--terraform-plan", plan,
                           "--format", "json", "-o", os.path.join(tmp, "g.json")], n, env)
    print(f"{lines}-line CloudFormation template: s3audit check {ours:.2f} s, Checkov {theirs:.2f} s "
          f"(ratio {ours / theirs:.2f}; median of {n} / {max(3, n // 2)})")
    print(f"200-resource plan over {ESTATE} (--live): s3audit check {big:.2f} s (median of {n})")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"machine: {os.cpu_count()} CPUs, {cpu}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
