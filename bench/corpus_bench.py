"""Corpus benchmark: s3audit check over every input of bench/corpus/<kind>/ (run from the repository root:
python3 bench/corpus_bench.py [--code DIR] [--json FILE] [--verbose]).

Kinds: terraform/<root>/ (a root module, read with --terraform), terraform-plan/<name>.json (--terraform-plan;
with --terraform-dir when a directory of the same name sits beside it), cloudformation/ and sam/ templates
(--cloudformation). Each input runs through the command line in this process (`check --format json`, the
built-in rule packs) and is counted:

  read      exit 0 or 1 (findings or none); "partly" when it holds INPUT-not-read findings
  refused   exit 2 (bad input: for this corpus of valid inputs, every refusal is a defect)
  crashed   exit 3 or an exception escaping the command line (always a defect)

and reports, per kind and in all: inputs, read / partly / refused / crashed, findings, the share of findings that
are unknown (status "unknown": the input leaves the answer open), and CPU time per input (median, max, total).
--code DIR imports s3audit from another checkout (to measure before/after a change on the same corpus).
The corpus is written by bench/corpus/build.py.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "bench", "corpus")
KINDS = ("terraform", "terraform-plan", "cloudformation", "sam")
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


def inputs(corpus: str = CORPUS) -> list[tuple[str, list[str]]]:
    """(kind, check arguments) of every input of the corpus, in a stable order."""
    out: list[tuple[str, list[str]]] = []
    for kind in KINDS:
        d = os.path.join(corpus, kind)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            path = os.path.relpath(os.path.join(d, name), ROOT)
            if name.startswith((".", "_")):
                continue
            if kind == "terraform" and os.path.isdir(path):
                out.append((kind, ["--terraform", path]))
            elif kind == "terraform-plan" and name.endswith(".json"):
                beside = path[:-len(".json")]
                out.append((kind, ["--terraform-plan", path] + (["--terraform-dir", beside]
                                                                 if os.path.isdir(beside) else [])))
            elif kind in ("cloudformation", "sam") and name.endswith(TEMPLATE_SUFFIXES):
                out.append((kind, ["--cloudformation", path]))
    return out


def run_one(argv: list[str]) -> dict:
    from s3audit.cli import main
    out, err = io.StringIO(), io.StringIO()
    start = time.process_time()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["check", *argv, "--format", "json", "--today", "2026-12-01"])
    except BaseException as exc:  # noqa: BLE001 - a crash is what this counts
        status, err = 3, io.StringIO(f"{type(exc).__name__}: {exc}")
    cpu = time.process_time() - start
    findings = []
    if status in (0, 1):
        findings = json.loads(out.getvalue()).get("findings") or []
    return {"status": status, "cpu": cpu, "findings": len(findings),
            "unknown": sum(1 for f in findings if f.get("status") == "unknown"),
            "unread": sum(1 for f in findings if f.get("rule") == "INPUT-not-read"),
            "error": err.getvalue().strip().splitlines()[-1] if status >= 2 and err.getvalue().strip() else ""}


def summarize(rows: list[dict]) -> dict:
    cpus = [r["cpu"] for r in rows]
    findings = sum(r["findings"] for r in rows)
    unknown = sum(r["unknown"] for r in rows)
    return {"inputs": len(rows),
            "read": sum(r["status"] in (0, 1) for r in rows),
            "partly": sum(r["status"] in (0, 1) and r["unread"] > 0 for r in rows),
            "refused": sum(r["status"] == 2 for r in rows),
            "crashed": sum(r["status"] >= 3 for r in rows),
            "findings": findings, "unknown": unknown,
            "unknown_share": round(unknown / findings, 4) if findings else 0.0,
            "cpu_median_s": round(statistics.median(cpus), 4) if cpus else 0.0,
            "cpu_max_s": round(max(cpus), 4) if cpus else 0.0,
            "cpu_total_s": round(sum(cpus), 2)}


def main() -> int:
    args = sys.argv[1:]
    code = args[args.index("--code") + 1] if "--code" in args else ROOT
    sys.path.insert(0, code)
    os.chdir(ROOT)
    rows = []
    for kind, argv in inputs():
        r = run_one(argv)
        r.update(kind=kind, input=argv[1])
        rows.append(r)
        if "--verbose" in args or r["status"] >= 2:
            print(f"{r['input']}: exit {r['status']} {r['findings']} findings ({r['unknown']} unknown) "
                  f"{r['cpu']:.2f} s {r['error']}", file=sys.stderr)
    by_kind = {k: summarize([r for r in rows if r["kind"] == k]) for k in KINDS if any(r["kind"] == k for r in rows)}
    total = summarize(rows)
    print(f"{'kind':<16}{'inputs':>7}{'read':>6}{'partly':>7}{'refused':>8}{'crashed':>8}{'findings':>9}"
          f"{'unknown':>9}{'CPU median':>12}{'max':>8}{'total':>8}")
    for k, s in [*by_kind.items(), ("all", total)]:
        print(f"{k:<16}{s['inputs']:>7}{s['read']:>6}{s['partly']:>7}{s['refused']:>8}{s['crashed']:>8}"
              f"{s['findings']:>9}{s['unknown_share']:>8.1%} {s['cpu_median_s']:>10.3f}s{s['cpu_max_s']:>7.2f}s"
              f"{s['cpu_total_s']:>7.1f}s")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; s3audit from {code}")
    if "--json" in args:
        with open(args[args.index("--json") + 1], "w", encoding="utf-8") as fh:
            json.dump({"kinds": by_kind, "all": total, "inputs": rows}, fh, indent=1)
    return 1 if total["refused"] or total["crashed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
