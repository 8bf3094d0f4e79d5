"""Benchmark: build the access graph of a synthetic estate and answer "who can read each bucket tagged
data-class=pci".

    python3 bench/graph_bench.py                 # 1/10 size, then full size (100 accounts, 5,000 roles,
                                                 # 2,000 users, 20,000 buckets), each in its own process
    python3 bench/graph_bench.py --scale 0.5     # one size only
    python3 bench/graph_bench.py --compute       # the estate with compute that runs as its roles
                                                 # (bench/synthetic.py --compute: the routes of issue 13)

Reports, per size: snapshot load time, graph build time (wall and CPU), query time, peak resident memory
(``resource.getrusage``), the graph's size, and the build's CPU cost per edge (``us_per_edge``: the same at
both sizes when the cost grows with the grants, not faster). Target at full size: under 60 s and under 4 GiB.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FULL = {"accounts": 100, "roles": 5000, "users": 2000, "buckets": 20000}
COMPUTE = "S3AUDIT_GRAPH_BENCH_COMPUTE"  # set by --compute for the child processes (sizes.py passes only sizes)


def run_one(scale: float, seed: int) -> dict:
    from bench.synthetic import generate, write
    from s3audit.graph.build import build_graph
    from s3audit.graph.paths import paths_to
    from s3audit.snapshot.load import load_snapshot

    size = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "estate.json")
        write(generate(**size, seed=seed, compute=bool(os.environ.get(COMPUTE))), path)
        t0, c0 = time.perf_counter(), time.process_time()
        snapshot = load_snapshot(path)
    t1, c1 = time.perf_counter(), time.process_time()
    graph = build_graph(snapshot)
    t2, c2 = time.perf_counter(), time.process_time()
    pci = sorted(b.name for b in snapshot.buckets if b.tags is not None and b.tags.get("data-class") == "pci")
    readers = {name: paths_to(graph, name, "read") for name in pci}
    t3, c3 = time.perf_counter(), time.process_time()
    paths = sum(len(v) for v in readers.values())
    external = sum(1 for v in readers.values() for p in v if graph.node(p.principal)["external"])
    return {
        "scale": scale, **size, "compute": bool(os.environ.get(COMPUTE)),
        "load_s": round(t1 - t0, 2), "build_s": round(t2 - t1, 2), "build_cpu_s": round(c2 - c1, 2),
        "query_s": round(t3 - t2, 2), "total_s": round(t3 - t0, 2), "total_cpu_s": round(c3 - c0, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "nodes": graph.g.number_of_nodes(), "edges": graph.g.number_of_edges(),
        "pci_buckets": len(pci), "reader_paths": paths, "external_reader_paths": external,
        "us_per_edge": round((c2 - c1) * 1e6 / max(1, graph.g.number_of_edges()), 1),
    }


def main(argv=None) -> int:
    from sizes import main as run_sizes
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--compute" in argv:
        argv.remove("--compute")
        os.environ[COMPUTE] = "1"
    return run_sizes(__file__, __doc__, run_one, ["scale", "compute", "accounts", "roles", "users", "buckets", "load_s", "build_s", "build_cpu_s", "query_s",
            "total_s", "total_cpu_s", "peak_rss_mib", "nodes", "edges", "us_per_edge", "pci_buckets", "reader_paths"], argv)


if __name__ == "__main__":
    raise SystemExit(main())
