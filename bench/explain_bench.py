"""Benchmark: decisions per second of `s3audit explain --requests` on the demo estate.

Generates N varied requests (principals x actions x buckets x object keys x context variations) over
the bundled demo estate, writes them to a temporary .jsonl file, and times, in-process and on one core:

1. the decide loop alone (snapshot loaded and policies compiled beforehand);
2. the whole command, `s3audit explain ESTATE --requests FILE.jsonl` with JSON output to a null sink
   (file read, parsing and checking of every line, loading the snapshot, deciding, writing), called
   in-process after a first call (so without Python's start-up and imports);
3. the same command as a user runs it: `python -m s3audit explain ...` in a fresh process writing to
   /dev/null, start-up and imports included.

Rates are per second of CPU time (time.process_time; for 3. the child's user + system time), which on a
shared machine is the honest measure of one core; wall-clock time is printed alongside. Each is the best
of --repeat rounds: other work on the machine only ever adds time.

Run:  PYTHONPATH=. python3 bench/explain_bench.py [--requests 100000] [--profile] [--snapshot FILE]
Targets: at least 50,000 decisions per second (issue 2); 60,000 for the whole command.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from s3audit.cli import main  # noqa: E402
from s3audit.iam.engine import Engine, Request  # noqa: E402
from s3audit.snapshot.load import load_snapshot  # noqa: E402

DEMO = ROOT / "s3audit" / "demo" / "estate.json"
BUCKET_ACTIONS = ["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketPolicy", "s3:PutBucketPolicy",
                  "s3:GetBucketAcl", "s3:PutBucketAcl", "s3:GetBucketTagging", "s3:DeleteBucket",
                  "s3:GetEncryptionConfiguration", "s3:ListBucketMultipartUploads"]
OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObject", "s3:GetObject", "s3:PutObject", "s3:PutObject", "s3:DeleteObject",
                  "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:PutObjectAcl", "s3:GetObjectTagging",
                  "s3:AbortMultipartUpload", "s3:RestoreObject"]
KEYS = ["index.html", "reports/2026/q1.csv", "reports/2026/q2.csv", "raw/events/part-0001.parquet",
        "home/alice/notes.txt", "home/bob/cv.pdf", "logs/2026-11-24/app.log", "exports/cardholder.csv",
        "tmp/x", "public/img/logo.png", "data/2026/11/24/batch.json", "backup/db.dump"]
CONTEXTS = [
    {},
    {},
    {"aws:SecureTransport": True},
    {"aws:SecureTransport": False},
    {"aws:SecureTransport": True, "aws:SourceIp": "203.0.113.10"},
    {"aws:SourceIp": "198.51.100.7", "aws:SourceVpce": None},
    {"aws:SecureTransport": True, "aws:SourceVpce": "vpce-0a1b2c3d"},
    {"s3:prefix": "reports/", "aws:SecureTransport": True},
    {"aws:CurrentTime": "2026-11-24T02:00:00Z", "aws:SecureTransport": True},
]


def principals_of(snapshot) -> list[str]:
    out = ["anonymous", "anonymous", "arn:aws:iam::999988887777:role/partner-reader",
           "arn:aws:sts::999988887777:assumed-role/partner-reader/s1", "cloudtrail.amazonaws.com",
           "logging.s3.amazonaws.com"]
    for a in snapshot.accounts:
        out.append(f"arn:aws:iam::{a.id}:root")
        out.extend(u.arn for u in a.users)
        for r in a.roles:
            out.append(r.arn)
            out.append(f"arn:aws:sts::{a.id}:assumed-role/{r.name}/session-1")
    return out


def generate(snapshot, n: int, seed: int = 20261124) -> list[dict]:
    rnd = random.Random(seed)
    principals = principals_of(snapshot)
    buckets = [b.name for b in snapshot.buckets] + ["not-in-the-snapshot"]
    out = []
    for _ in range(n):
        bucket = rnd.choice(buckets)
        if rnd.random() < 0.3:
            action, resource = rnd.choice(BUCKET_ACTIONS), f"arn:aws:s3:::{bucket}"
        else:
            action, resource = rnd.choice(OBJECT_ACTIONS), f"arn:aws:s3:::{bucket}/{rnd.choice(KEYS)}"
        req = {"principal": rnd.choice(principals), "action": action, "resource": resource}
        ctx = rnd.choice(CONTEXTS)
        if ctx:
            req["context"] = ctx
        out.append(req)
    return out


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}; nproc={os.cpu_count()}; Python {platform.python_version()}"


def run(args) -> None:
    snapshot_path = Path(args.snapshot)
    snapshot = load_snapshot(str(snapshot_path))
    lines = generate(snapshot, args.requests)
    print(f"machine: {machine()}")
    print(f"estate: {snapshot_path.relative_to(ROOT) if snapshot_path.is_relative_to(ROOT) else snapshot_path} "
          f"({len(snapshot.accounts)} accounts, {len(snapshot.buckets)} buckets, "
          f"{sum(len(a.roles) for a in snapshot.accounts)} roles, {sum(len(a.users) for a in snapshot.accounts)} users)")
    print(f"requests: {len(lines):,} over {len(principals_of(snapshot))} principals")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "requests.jsonl"
        path.write_text("".join(json.dumps(x) + "\n" for x in lines))

        # 1. The decide loop, after loading and compiling (a fresh engine each round: nothing memoised).
        requests = [Request(x["principal"], x["action"], x["resource"], x.get("context") or {}) for x in lines]
        best = None
        for _ in range(args.repeat):
            engine = Engine(snapshot)
            engine.compile_all()
            profiler = cProfile.Profile() if args.profile else None
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            counts = collections.Counter(engine.decide(r).decision for r in requests)
            if profiler:
                profiler.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best = min(best or (cpu, wall), (cpu, wall))
        cpu, wall = best
        print(f"decide loop:   {len(requests) / cpu:>10,.0f} decisions/s of CPU time ({cpu:.2f} s; wall "
              f"{wall:.2f} s; best of {args.repeat})  " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))

        # 2. The whole command with JSON output.
        best = None
        for _ in range(args.repeat):
            sink = io.StringIO()
            wall, cpu = time.perf_counter(), time.process_time()
            with contextlib.redirect_stdout(sink):
                code = main(["explain", str(snapshot_path), "--requests", str(path)])
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            assert code == 0, code
            written = sink.getvalue().count("\n")
            assert written == len(lines), (written, len(lines))
            best = min(best or (cpu, wall), (cpu, wall))
        cpu, wall = best
        print(f"whole command: {len(lines) / cpu:>10,.0f} decisions/s of CPU time ({cpu:.2f} s; wall "
              f"{wall:.2f} s; best of {args.repeat}; JSON output {len(sink.getvalue()) / 1e6:.0f} MB)")

        # 3. A fresh process, as a user runs it.
        best = None
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        for _ in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall = time.perf_counter()
            subprocess.run([sys.executable, "-m", "s3audit", "explain", str(snapshot_path), "--requests", str(path)],
                           stdout=subprocess.DEVNULL, env=env, check=True)
            wall = time.perf_counter() - wall
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best = min(best or (cpu, wall), (cpu, wall))
        cpu, wall = best
        print(f"fresh process: {len(lines) / cpu:>10,.0f} decisions/s of CPU time ({cpu:.2f} s; wall "
              f"{wall:.2f} s; best of {args.repeat}; start-up and imports included)")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile_lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=100_000)
    p.add_argument("--snapshot", default=str(DEMO))
    p.add_argument("--repeat", type=int, default=3, help="rounds of each measurement; the best is reported")
    p.add_argument("--profile", action="store_true", help="cProfile the decide loop")
    p.add_argument("--profile-lines", type=int, default=30)
    return p.parse_args(argv)


if __name__ == "__main__":
    run(parse_args())
