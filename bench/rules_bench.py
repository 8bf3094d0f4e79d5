"""Benchmark: evaluate every built-in rule pack over a synthetic estate, on top of building the access graph.

    python3 bench/rules_bench.py                 # 1/10 size, then full size (100 accounts, 5,000 roles,
                                                 # 2,000 users, 20,000 buckets), each in its own process
    python3 bench/rules_bench.py --scale 0.5     # one size only

The estate is bench/synthetic.py's (the access-graph issue's). Reports, per size: snapshot load, graph
build, the rules' own cost (compile once; evaluate every pack with the graph already built), the same split
into rules that ask the graph and rules that do not, findings, and peak resident memory, and a digest of the findings (sha256 of every finding's JSON in order, as
tests/lang/test_findings_frozen.py computes it): two versions of the evaluator that report the same digest
found exactly the same things. The bar: evaluating every pack adds at most a few seconds on top of building
the graph.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FULL = {"accounts": 100, "roles": 5000, "users": 2000, "buckets": 20000}


def run_one(scale: float, seed: int) -> dict:
    from bench.synthetic import generate, write
    from s3audit.graph.build import build_graph
    from s3audit.iam.engine import Engine
    from s3audit.lang.evaluate import load_program, run_rules
    from s3audit.snapshot.load import load_snapshot

    size = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "estate.json")
        write(generate(**size, seed=seed), path)
        t0 = time.perf_counter()
        snapshot = load_snapshot(path)
    t1, c1 = time.perf_counter(), time.process_time()
    engine = Engine(snapshot)
    graph = build_graph(snapshot, engine)
    t2, c2 = time.perf_counter(), time.process_time()
    program = load_program()
    t3, c3 = time.perf_counter(), time.process_time()
    # what `s3audit check` does: every pack in one run, the graph already built
    findings = run_rules(program, snapshot, engine=engine, graph=graph).findings
    t4, c4 = time.perf_counter(), time.process_time()
    # the same work split by whether a rule asks the graph (fresh runs: nothing cached between them)
    needs_graph = {r.meta.id for r in program.compiled if r.needs_graph}
    s, cs = time.perf_counter(), time.process_time()
    run_rules(program, snapshot, engine=engine, graph=graph, select=lambda m: m.id not in needs_graph)
    t_plain, c_plain = time.perf_counter() - s, time.process_time() - cs
    s, cs = time.perf_counter(), time.process_time()
    run_rules(program, snapshot, engine=engine, graph=graph, select=lambda m: m.id in needs_graph)
    t_graph, c_graph = time.perf_counter() - s, time.process_time() - cs
    by_status = Counter(f.status.value for f in findings)
    out = {
        "scale": scale, **size,
        "load_s": round(t1 - t0, 2), "graph_s": round(t2 - t1, 2), "graph_cpu_s": round(c2 - c1, 2),
        "compile_s": round(t3 - t2, 3), "rules_s": round(t4 - t3, 2), "rules_cpu_s": round(c4 - c3, 2),
        "rules_without_graph_s": round(t_plain, 2),
        "rules_with_graph_s": round(t_graph, 2), "rules_without_graph_cpu_s": round(c_plain, 2),
        "rules_with_graph_cpu_s": round(c_graph, 2),
        "rules": len(program.rules), "findings": len(findings), "open": by_status["open"],
        "unknown": by_status["unknown"],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    from tests.lang.test_findings_frozen import digest  # after the memory figure: it holds every line
    out["findings_sha"] = digest(findings)["all"][1][:16]
    return out


def main(argv=None) -> int:
    from sizes import main as run_sizes
    return run_sizes(__file__, __doc__, run_one, ["scale", "buckets", "load_s", "graph_s", "graph_cpu_s", "compile_s", "rules_s", "rules_cpu_s",
            "rules_without_graph_cpu_s", "rules_with_graph_cpu_s", "rules", "findings", "findings_sha", "peak_rss_mib"], argv)


if __name__ == "__main__":
    raise SystemExit(main())
