"""Benchmark: the analysis split into tasks (issue 15), on the synthetic estates of ``bench/synthetic.py``.

    python3 bench/scale_bench.py                     # the three parts below, one after the other
    python3 bench/scale_bench.py --part workers      # full-size estate, graph and every rule pack (`check`,
                                                     # default profile): 1 worker against 2 (same digest?)
    python3 bench/scale_bench.py --part nights       # `scan`: a full night against an incremental one after
                                                     # changing 1% of the buckets and one role
    python3 bench/scale_bench.py --part dask         # `check --scheduler` on a local Dask cluster of 2 worker
                                                     # processes, at 1x and 5x the full-size estate (500 accounts,
                                                     # 25,000 roles, 10,000 users, 100,000 buckets)
    options: --scale S (size of the first two parts, default 1), --big S (default 5), --workers N (default 2)

Each measured command runs in a child process of its own (``--child``), which reports wall time, CPU time
(its own and its child processes': pool workers and a scan's report writer; Dask workers report theirs through
the tasks), peak resident memory of the parent and of each worker process, the analysis's own figures (units
computed and reused, edges) and the
SHA-256 of what the command wrote. Targets (2-core machine): full size with 2 workers under 60 s wall and
2 GiB per worker; an incremental night after a 1% change under 10% of a full one; the 5x estate within 24 GiB
with its CPU per edge no higher than at full size.
"""
from __future__ import annotations

import argparse
import copy
import gzip
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FULL = {"accounts": 100, "roles": 5000, "users": 2000, "buckets": 20000}


def estate(path: Path, scale: float, seed: int = 1) -> Path:
    from bench.synthetic import generate, write
    if not path.exists():
        write(generate(**{k: max(1, int(v * scale)) for k, v in FULL.items()}, seed=seed), str(path))
    return path


# ------------------------------------------------------------------------------------------- one measure
def child(argv: list[str]) -> dict:
    """Run the command line in this process with the analysis observed; what it cost."""
    from s3audit.cli import main
    from s3audit.shards import analysis
    seen: dict = {}
    real = analysis.analyse

    def observed(*a, **kw):
        t0, c0 = time.perf_counter(), time.process_time()
        out = real(*a, **kw)
        seen.update(out.stats, analysis_wall_s=round(time.perf_counter() - t0, 2),
                    analysis_parent_cpu_s=round(time.process_time() - c0, 2))
        return out
    analysis.analyse = observed
    # as the `s3audit` program runs a command (cli.run_as_program): a command that paused the garbage collector
    # leaves it paused, for a process that ends with it
    from s3audit.gcpause import keep_paused_until_exit
    keep_paused_until_exit()
    t0, c0 = time.perf_counter(), time.process_time()
    status = main(argv)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = seen.pop("processes", [])
    me = os.getpid()
    workers = [p for p in procs if p.get("pid", None) != me]
    return {"status": status, "wall_s": round(wall, 1), "parent_cpu_s": round(cpu, 1),
            "children_cpu_s": round(kids.ru_utime + kids.ru_stime, 1),
            # the largest waited-for child: a pool worker or a forked report writer (whose figure includes the
            # pages it shares with this process)
            "children_peak_rss_mib": round(kids.ru_maxrss / 1024),
            "worker_cpu_s": round(sum(p["cpu_s"] for p in procs), 1) if procs else None,
            "parent_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "worker_peak_rss_mib": [p["peak_rss_mib"] for p in workers], **seen}


def measure(argv: list[str], outputs: list[Path], env: dict | None = None) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(argv)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    h = hashlib.sha256()
    for p in outputs:
        h.update(p.read_bytes() if p.suffix != ".gz" else gzip.decompress(p.read_bytes()))
    out["sha"] = h.hexdigest()[:16]
    return out


def load() -> str:
    return f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"


# ------------------------------------------------------------------------------------------------ parts
def part_workers(tmp: Path, scale: float, workers: int) -> list[dict]:
    path = estate(tmp / f"estate-{scale}.json", scale)
    rows = []
    for w in (1, workers):
        out = tmp / f"check-{w}.json"
        r = measure(["check", str(path), "--workers", str(w), "--format", "json", "-o", str(out)], [out])
        rows.append({"part": "workers", "scale": scale, "workers": w, **r, "load": load()})
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def night_two(doc: dict, share: float = 0.01, seed: int = 7) -> tuple[dict, str]:
    """The next night: ``share`` of the buckets changed (half a versioning change, half a bucket policy
    granting another account's root that the estate already names) and one role's policy changed."""
    r = random.Random(seed)
    doc = copy.deepcopy(doc)
    doc["taken_at"] = "2026-01-02T00:00:00Z"
    buckets = [b for a in doc["accounts"] for b in a["s3"]["buckets"]]
    ids = [a["id"] for a in doc["accounts"]]
    for i, b in enumerate(r.sample(buckets, max(1, int(len(buckets) * share)))):
        if i % 2:
            b["Versioning"] = {"Status": "Enabled"}
        else:
            stmts = list((b.get("Policy") or {}).get("Statement") or [])
            stmts.append({"Sid": "Night2", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{r.choice(ids)}:root"},
                          "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b['Name']}/*"})
            b["Policy"] = {"Version": "2012-10-17", "Statement": stmts}
    account = r.choice(doc["accounts"])
    role = r.choice(account["iam"]["RoleDetailList"])
    target = r.choice(account["s3"]["buckets"])["Name"]
    role["RolePolicyList"].append({"PolicyName": "night2", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{target}/*"}]}})
    return doc, role["Arn"]


# every file of a night but the snapshot (the input itself): an incremental night must write the same bytes
NIGHT_FILES = ("findings.json", "diff.json", "access.json", "findings.sarif", "report.html", "summary.txt",
               "summary.md")


def part_nights(tmp: Path, scale: float, workers: int) -> list[dict]:
    first = estate(tmp / f"estate-{scale}.json", scale)
    doc, role = night_two(json.loads(first.read_text()))
    second = tmp / f"night2-{scale}.json"
    second.write_text(json.dumps(doc))
    history = tmp / "history"
    if history.exists():
        shutil.rmtree(history)
    args = ["--workers", str(workers), "--format", "json"]
    rows = [{"part": "nights", "night": 1, **measure(["scan", "--history", str(history), "--snapshot", str(first),
                                                     *args], []), "load": load()}]
    print(json.dumps(rows[-1]), file=sys.stderr)
    full = tmp / "history-full"
    if full.exists():
        shutil.rmtree(full)
    shutil.copytree(history, full)
    for name, where, extra in (("incremental", history, []), ("full", full, ["--full"])):
        r = measure(["scan", "--history", str(where), "--snapshot", str(second), *args, *extra],
                    sorted(where.glob("2026-01-02*/findings.json")) or [], )
        run = sorted(where.glob("2026-01-02*"))[-1]
        r["sha"] = hashlib.sha256(b"".join((run / f).read_bytes() for f in NIGHT_FILES)).hexdigest()[:16]
        rows.append({"part": "nights", "night": 2, "how": name, "changed_role": role, **r, "load": load()})
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def part_dask(tmp: Path, scales: list[float]) -> list[dict]:
    from tests.shards.dask_cluster import dask_cluster
    rows = []
    for scale in scales:
        path = estate(tmp / f"estate-{scale}.json", scale)
        out = tmp / f"dask-{scale}.json"
        with dask_cluster(2) as address:
            r = measure(["check", str(path), "--scheduler", address, "--format", "json", "-o", str(out)], [out])
        edges = r.get("edges") or 1
        r["us_per_edge"] = round((r["worker_cpu_s"] or 0) * 1e6 / edges, 1)
        rows.append({"part": "dask", "scale": scale, **r, "load": load()})
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=("workers", "nights", "dask"), action="append")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--big", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dir", help="keep the estates and outputs here (default: a temporary directory)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(child(json.loads(a.child))))
        return 0
    parts = a.part or ["workers", "nights", "dask"]
    tmp = Path(a.dir) if a.dir else Path(tempfile.mkdtemp(prefix="s3audit-scale-"))
    tmp.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    try:
        if "workers" in parts:
            rows += part_workers(tmp, a.scale, a.workers)
        if "nights" in parts:
            rows += part_nights(tmp, a.scale, a.workers)
        if "dask" in parts:
            rows += part_dask(tmp, [a.scale, a.big])
    finally:
        if not a.dir:
            shutil.rmtree(tmp, ignore_errors=True)
    for r in rows:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
