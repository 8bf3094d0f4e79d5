"""Benchmark: a role policy of 10,000 statements through `check` and `explain` (issue 11, item 5).

    PYTHONPATH=. python3 bench/big_policy_bench.py               # 1,000 then 10,000 statements
    PYTHONPATH=. python3 bench/big_policy_bench.py --scale 0.2   # 2,000 statements only

The snapshot: one account, 40 buckets, one role whose inline policy has N statements (scale 1.0: 10,000),
each on one bucket and its own prefix (`arn:aws:s3:::data-7/team-123/*`, the bucket ARN for s3:ListBucket),
with actions among s3:GetObject, s3:PutObject + s3:DeleteObject, s3:Get*, s3:ListBucket and s3:*Object*, one
in 17 a Deny and one in 5 with a condition on aws:SourceVpc. Each size runs in its own process and reports
CPU seconds (time.process_time) of, in-process after imports:

- `s3audit check SNAPSHOT` with the default profile (every pack, the access graph, the policy linter);
- `s3audit explain` of one request of the role;
- `s3audit explain --requests` of 2,000 requests (the role on every bucket, five actions, many keys).

Before the index (session 1's engine and linter) 10,000 statements took 40 s of CPU in `check`: the
linter compared every pair of statements and every decision matched every statement.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FULL = 10_000
BUCKETS = 40
ROLE = "arn:aws:iam::111122223333:role/big"
ACTIONS = [["s3:GetObject"], ["s3:PutObject", "s3:DeleteObject"], ["s3:Get*"], ["s3:ListBucket"], ["s3:*Object*"]]


def snapshot(n: int) -> dict:
    from s3audit.lang.ruletests import expand_fragment
    statements = []
    for i in range(n):
        bucket = f"data-{i % BUCKETS}"
        actions = ACTIONS[i % len(ACTIONS)]
        resource = f"arn:aws:s3:::{bucket}" if actions == ["s3:ListBucket"] else f"arn:aws:s3:::{bucket}/team-{i}/*"
        s = {"Sid": f"S{i}", "Effect": "Deny" if i % 17 == 0 else "Allow", "Action": actions, "Resource": resource}
        if i % 5 == 0:
            s["Condition"] = {"StringEquals": {"aws:SourceVpc": f"vpc-{i:08d}"}}
        statements.append(s)
    return expand_fragment({
        "iam": {"RoleDetailList": [{
            "RoleName": "big", "Arn": ROLE, "Path": "/",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "huge", "PolicyDocument": {"Version": "2012-10-17",
                                                                         "Statement": statements}}],
            "AttachedManagedPolicies": []}]},
        "buckets": [{"Name": f"data-{j}", "Region": "eu-west-1"} for j in range(BUCKETS)],
    })


def requests(n: int) -> list[dict]:
    out = []
    for i in range(2000):
        bucket = f"data-{i % BUCKETS}"
        action = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging", "s3:ListBucket"][i % 5]
        key = f"team-{(i * 7919) % max(n, 1)}/file-{i}.csv"
        resource = f"arn:aws:s3:::{bucket}" if action == "s3:ListBucket" else f"arn:aws:s3:::{bucket}/{key}"
        out.append({"principal": ROLE, "action": action, "resource": resource})
    return out


def run_one(scale: float, seed: int) -> dict:
    from s3audit.cli import main
    n = max(1, int(FULL * scale))

    def cli(argv) -> tuple[int, float]:
        t = time.process_time()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            status = main(argv)
        return status, round(time.process_time() - t, 2)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.json")
        with open(path, "w") as f:
            json.dump(snapshot(n), f)
        lines = os.path.join(tmp, "requests.jsonl")
        with open(lines, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in requests(n))
        check_status, check_s = cli(["check", path])
        one_status, one_s = cli(["explain", path, "--principal", ROLE, "--action", "s3:GetObject", "--resource",
                                 "arn:aws:s3:::data-7/team-7/report.csv"])
        many_status, many_s = cli(["explain", path, "--requests", lines, "--format", "json"])
    return {"statements": n, "check_cpu_s": check_s, "check_exit": check_status, "explain_cpu_s": one_s,
            "explain_2000_requests_cpu_s": many_s, "load": round(os.getloadavg()[0], 2)}


def main(argv=None) -> int:
    from bench.sizes import main as run_sizes
    return run_sizes(__file__, __doc__, run_one, ["statements", "check_cpu_s", "check_exit", "explain_cpu_s",
                                                  "explain_2000_requests_cpu_s", "load"], argv)


if __name__ == "__main__":
    sys.exit(main())
