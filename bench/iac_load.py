"""Benchmark: IaC loading cost (run: python3 bench/iac_load.py from the repository root).

1. A pre-merge check of one small template pays interpreter start-up, imports and the load: this runs
   `python3 -c` (import s3audit.sources.iac, load one ~70-line CloudFormation template) N times in fresh
   processes and prints the median beside a bare interpreter's.
2. A Terraform plan of 200 resources (synthetic, written to a temporary file): median load time.
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


def fresh_process(code: str, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def synthetic_plan(n: int) -> dict:
    changes, resources = [], []
    for i in range(n // 2):
        name = f"bench-bucket-{i:03d}"
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "AWS": f"arn:aws:iam::{100000000000 + i}:root"}, "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/*"}]})
        for addr, rtype, values in ((f"aws_s3_bucket.b{i}", "aws_s3_bucket", {"bucket": name, "tags": {"n": str(i)}}),
                                    (f"aws_s3_bucket_policy.p{i}", "aws_s3_bucket_policy", {"bucket": name, "policy": policy})):
            r = {"address": addr, "mode": "managed", "type": rtype, "name": addr.split(".")[1], "values": values}
            resources.append(r)
            changes.append({**{k: r[k] for k in ("address", "mode", "type", "name")},
                            "change": {"actions": ["create"], "before": None, "after": values, "after_unknown": {"id": True}}})
    return {"format_version": "1.2", "planned_values": {"root_module": {"resources": resources}},
            "resource_changes": changes, "configuration": {"root_module": {"resources": []}}}


def main() -> None:
    n = int(os.environ.get("BENCH_N", "10"))
    bare = fresh_process("pass", n)
    code = ("import sys; sys.path.insert(0, '.')\nfrom s3audit.sources.iac import load_iac\n"
            f"load_iac(cloudformation=[{TEMPLATE!r}])")
    full = fresh_process(code, n)
    lines = sum(1 for _ in open(os.path.join(ROOT, TEMPLATE), encoding="utf-8"))
    print(f"bare interpreter:                               {bare * 1000:6.0f} ms (median of {n})")
    print(f"interpreter + import + load {lines}-line template: {full * 1000:6.0f} ms (median of {n})")
    sys.path.insert(0, ROOT)
    from s3audit.sources.terraform import load_terraform_plan
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "plan.json")
        with open(path, "w") as fh:
            json.dump(synthetic_plan(200), fh)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            load_terraform_plan(path, terraform_dir=tmp)
            times.append(time.perf_counter() - t)
    print(f"load a 200-resource plan:                       {statistics.median(times) * 1000:6.0f} ms (median of {n})")


if __name__ == "__main__":
    main()
