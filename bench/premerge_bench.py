"""Benchmark: a pre-merge `s3audit check` beside Checkov on the same inputs (run from the repository root:
python3 bench/premerge_bench.py [--corpus [K]] [INPUT ...]; BENCH_N runs each, default 15, 3 with a list).

Both tools run as a pre-commit hook runs them: a fresh process from an installed package in a virtual
environment of its own. Checkov's comes from bench/checkov_agreement.py; s3audit's is created (and this
checkout re-installed into it, compiled, as pip does) under the same cache directory. The runs of the two
tools alternate, so a busy machine slows both alike; the first run of each, which fills caches, is not
counted.

1. One ~70-line CloudFormation template: wall time of `s3audit check --cloudformation` and of
   `checkov -f --framework cloudformation` on the same file.
2. A Terraform plan of 200 resources (bench/iac_load.py's synthetic plan) checked against the demo estate
   with --live.

3. With --corpus (every K-th input of bench/corpus/, default every 5th: Terraform roots calling a module, plans,
   templates) or a list of inputs (a Terraform directory, a plan .json, a template): per input, the median wall
   time of each tool over BENCH_N alternating fresh runs and their ratio; then the median over the inputs of
   s3audit's and of Checkov's medians, and of the per-input ratios (issue 12's target: at most 1/10).

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


def commands_for(path: str, ours: str, out: str) -> tuple[list[str], list[str]]:
    """(s3audit's command, Checkov's command) for one input: a Terraform directory, a plan or a template."""
    quiet = ["-o", "json", "--compact", "--quiet", "--skip-download"]
    if os.path.isdir(path):
        return ([ours, "check", "--terraform", path, "--format", "json", "-o", out],
                [*checkov_cmd(), "-d", path, "--framework", "terraform", *quiet])
    with open(path, encoding="utf-8") as fh:
        head = fh.read(4096)
    if path.endswith(".json") and '"format_version"' in head:
        return ([ours, "check", "--terraform-plan", path, "--format", "json", "-o", out],
                [*checkov_cmd(), "-f", path, "--framework", "terraform_plan", *quiet])
    return ([ours, "check", "--cloudformation", path, "--format", "json", "-o", out],
            [*checkov_cmd(), "-f", path, "--framework", "cloudformation", *quiet])


def checkov_cmd() -> list[str]:
    from checkov_agreement import ensure_checkov
    return [ensure_checkov()]


def compare_inputs(paths: list[str], n: int) -> None:
    """Per input: both tools' median wall time over n alternating fresh runs; then medians over the inputs."""
    from checkov_agreement import checkov_env
    ours = s3audit_venv()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            mine, theirs = commands_for(path, ours, os.path.join(tmp, "f.json"))
            t = alternate({"s3audit": (mine, env), "checkov": (theirs, checkov_env())}, n)
            a = statistics.median(w for w, _ in t["s3audit"])
            b = statistics.median(w for w, _ in t["checkov"])
            ca = statistics.median(c for _, c in t["s3audit"])
            cb = statistics.median(c for _, c in t["checkov"])
            rows.append((path, a, b, ca, cb))
            print(f"  {path:<52} wall: s3audit {a:6.3f} s checkov {b:6.3f} s (1/{b / a:4.1f}); "
                  f"CPU: {ca:5.3f} s {cb:6.3f} s (1/{cb / ca:4.1f})", flush=True)
    print(f"{len(rows)} inputs, {n} alternating fresh runs of each tool per input:")
    for label, i in (("wall", 1), ("CPU", 3)):
        ours_med = statistics.median(r[i] for r in rows)
        theirs_med = statistics.median(r[i + 1] for r in rows)
        ratios = sorted(r[i] / r[i + 1] for r in rows)
        print(f"  {label} time, median over inputs: s3audit {ours_med:.3f} s, checkov {theirs_med:.3f} s "
              f"(ratio of medians 1/{theirs_med / ours_med:.1f}); per-input ratio: median "
              f"1/{1 / statistics.median(ratios):.1f}, worst 1/{1 / ratios[-1]:.1f}, best 1/{1 / ratios[0]:.1f}")
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def corpus_sample(every: int) -> list[str]:
    from corpus_bench import inputs
    return [argv[1] for _, argv in inputs()][::every]


def main() -> None:
    args = sys.argv[1:]
    if args:
        n = int(os.environ.get("BENCH_N", "3"))
        if args[0] == "--corpus":
            paths = corpus_sample(int(args[1]) if len(args) > 1 else 5)
        else:
            paths = args
        compare_inputs(paths, n)
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        print(f"machine: {os.cpu_count()} CPUs, {cpu}, Python {sys.version.split()[0]}")
        return
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
