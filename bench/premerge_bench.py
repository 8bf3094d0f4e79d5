"""Benchmark: a pre-merge `s3audit check` beside Checkov on the same file (run from the repository root:
python3 bench/premerge_bench.py; BENCH_N runs each, default 15).

Both tools run as a pre-commit hook runs them: a fresh process from an installed package in a virtual
environment of its own. Checkov's comes from bench/checkov_agreement.py; s3audit's is created (and this
checkout re-installed into it, compiled, as pip does) under the same cache directory. The runs of the two
tools alternate, so a busy machine slows both alike; the first run of each, which fills caches, is not
counted.

1. One ~70-line CloudFormation template: wall time of `s3audit check --cloudformation` and of
   `checkov -f --framework cloudformation` on the same file.
2. A Terraform plan of 200 resources (bench/iac_load.py's synthetic plan) checked against the demo estate
   with --live.

Prints medians and minimums (and CPU time: a process's own work, which noise from other processes on the
machine affects less than wall time).
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = "fixtures/cloudformation/private-bucket.yaml"
ESTATE = "fixtures/demo/estate.json"
sys.path.insert(0, os.path.join(ROOT, "bench"))


def s3audit_venv() -> str:
    """The s3audit executable of the benchmark's own virtual environment, with this checkout installed."""
    from checkov_agreement import cache_dir
    venv = os.path.join(cache_dir(), "s3audit")
    if not os.path.exists(os.path.join(venv, "bin", "python")):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = os.path.join(venv, "bin", "pip")
    for args in (["install", ROOT], ["install", "--no-deps", "--force-reinstall", ROOT]):  # deps once, then cached
        done = subprocess.run([pip, "-q", *args], capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"pip {' '.join(args)} failed: {done.stderr[-1000:]}")
    return os.path.join(venv, "bin", "s3audit")


def run_once(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:3]} failed: {done.stderr.decode()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def alternate(commands: dict[str, tuple[list[str], dict]], n: int) -> dict[str, list[tuple[float, float]]]:
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for name, (cmd, env) in commands.items():
        run_once(cmd, env)  # warm-up: caches
    for _ in range(n):
        for name, (cmd, env) in commands.items():
            times[name].append(run_once(cmd, env))
    return times


def summary(samples: list[tuple[float, float]]) -> str:
    walls = [w for w, _ in samples]
    cpus = [c for _, c in samples]
    return (f"wall median {statistics.median(walls):.3f} s (min {min(walls):.3f}), "
            f"CPU median {statistics.median(cpus):.3f} s")


def main() -> None:
    from checkov_agreement import checkov_env, ensure_checkov
    from iac_load import synthetic_plan
    n = int(os.environ.get("BENCH_N", "15"))
    ours = s3audit_venv()
    checkov = ensure_checkov()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
        lines = sum(1 for _ in open(os.path.join(ROOT, TEMPLATE), encoding="utf-8"))
        small = alternate({
            "s3audit": ([ours, "check", "--cloudformation", TEMPLATE, "--format", "json",
                         "-o", os.path.join(tmp, "f.json")], env),
            "checkov": ([checkov, "-f", TEMPLATE, "--framework", "cloudformation", "-o", "json", "--compact",
                         "--quiet", "--skip-download"], checkov_env()),
        }, n)
        plan = os.path.join(tmp, "plan.json")
        with open(plan, "w") as fh:
            json.dump(synthetic_plan(200), fh)
        big = alternate({"s3audit": ([ours, "check", "--live", ESTATE, "--terraform-plan", plan, "--format",
                                      "json", "-o", os.path.join(tmp, "g.json")], env)}, n)
    ratio = statistics.median(w for w, _ in small["s3audit"]) / statistics.median(w for w, _ in small["checkov"])
    print(f"{lines}-line CloudFormation template, {n} alternating runs each:")
    print(f"  s3audit check  {summary(small['s3audit'])}")
    print(f"  checkov -f     {summary(small['checkov'])}")
    print(f"  ratio of medians {ratio:.3f} (1/{1 / ratio:.1f})")
    print(f"200-resource plan over {ESTATE} (--live): s3audit check {summary(big['s3audit'])}")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"machine: {os.cpu_count()} CPUs, {cpu}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
