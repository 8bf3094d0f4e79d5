"""Benchmark: the smallest cut (`paths --cut`) and suggested fixes (`check --suggest`).

    python3 bench/cut_bench.py                  # the demo estate, then synthetic estates at 1/50 and 1/20
    python3 bench/cut_bench.py --scale 0.1      # one synthetic size only

For the demo estate: the cut of every route from outside the organization to payments-cardholder-data, and
every suggestion of the default profile. For a synthetic estate (bench/synthetic.py, which has no outside
principals): the cut of every route to the cardholder bucket that the most principals of *other* accounts
reach, from those principals. Reported: the cut's size, the rounds and rebuilds its proof took, the
collateral, CPU time (``time.process_time``; the machine is shared) and, to compare, one graph build. The
load average is printed with the figures.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FULL = {"accounts": 100, "roles": 5000, "users": 2000, "buckets": 20000}


def demo() -> dict:
    from s3audit.fixes.suggest import suggest
    from s3audit.graph.build import build_graph
    from s3audit.graph.cut import smallest_cut
    from s3audit.lang.evaluate import load_program, run_rules
    from s3audit.snapshot.load import snapshot_from_dict

    doc = json.loads((ROOT / "s3audit" / "demo" / "estate.json").read_text())
    snap = snapshot_from_dict(doc)
    c0 = time.process_time()
    graph = build_graph(snap)
    c1 = time.process_time()
    result = smallest_cut(doc, snap, "payments-cardholder-data", "any", "external", graph=graph)
    c2 = time.process_time()
    program = load_program()
    findings = run_rules(program, snap).findings
    c3 = time.process_time()
    found = suggest(doc, snap, program, findings)
    c4 = time.process_time()
    return {"estate": "demo", "build_cpu_s": round(c1 - c0, 3), "cut": len(result.cut), "verified": result.verified,
            "rounds": result.rounds, "rebuilds": result.rebuilds, "collateral": len(result.collateral),
            "cut_cpu_s": round(c2 - c1, 3), "open_findings": sum(1 for f in findings if f.status.value == "open"),
            "suggestions": len(found), "verified_suggestions": sum(1 for s in found.values() if s.verified),
            "suggest_cpu_s": round(c4 - c3, 2)}


def synthetic(scale: float, seed: int = 1) -> dict:
    from bench.synthetic import generate
    from s3audit.graph.build import build_graph
    from s3audit.graph.cut import smallest_cut
    from s3audit.graph.routes import reach
    from s3audit.snapshot.load import snapshot_from_dict

    size = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    doc = generate(**size, seed=seed)
    snap = snapshot_from_dict(doc)
    c0 = time.process_time()
    graph = build_graph(snap)
    c1 = time.process_time()
    owners = {b.name: b.account for b in snap.buckets}
    pci = {b.name for b in snap.buckets if b.tags.get("data-class") == "pci"}
    outsiders: dict[str, set[str]] = {}
    for (p, bucket, _level), _d in reach(graph).items():
        if bucket in pci and graph.node(p).get("account") not in (None, owners[bucket]):
            outsiders.setdefault(bucket, set()).add(p)
    bucket, start = max(outsiders.items(), key=lambda kv: (len(kv[1]), kv[0]))
    c2 = time.process_time()
    result = smallest_cut(doc, snap, bucket, "any", start=start, graph=graph)
    c3 = time.process_time()
    return {"estate": f"synthetic x{scale}", **size, "nodes": graph.g.number_of_nodes(),
            "edges": graph.g.number_of_edges(), "build_cpu_s": round(c1 - c0, 2), "bucket": bucket,
            "start_principals": len(start), "cut": len(result.cut), "verified": result.verified,
            "rounds": result.rounds, "rebuilds": result.rebuilds, "collateral": len(result.collateral),
            "cut_cpu_s": round(c3 - c2, 2)}


def main(argv: list[str]) -> None:
    scales = [float(argv[argv.index("--scale") + 1])] if "--scale" in argv else [0.02, 0.05]
    print(f"load average: {os.getloadavg()[0]:.1f}")
    print(json.dumps(demo()))
    for s in scales:
        print(json.dumps(synthetic(s)))


if __name__ == "__main__":
    main(sys.argv[1:])
