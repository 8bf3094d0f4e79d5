"""The audit report at scale: how long `s3audit report` takes on a synthetic estate, how big the page and its
sidecars are, and how long headless Chromium takes to open the page.

    python3 bench/report_bench.py [--scale 0.1] [--scale 1] [--profile default] [--opens 3] [--seed 1]

For each scale (1 = 20,000 buckets, 5,000 roles, 2,000 users in 100 accounts, as bench/synthetic.py makes
them), one fresh `python -m s3audit report ESTATE -o report.html` process (start-up, loading, the access graph,
every rule, the pictures and the page: what a user waits for), then the page opened `--opens` times in one
headless Chromium (s3audit/report/browser.py, no network): the time from navigation to the load event, and to
the first two frames after it (the page drawn). Prints one JSON object per scale, with the machine's load
average before and after, since a shared machine slows everything.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FULL = {"accounts": 100, "roles": 5000, "users": 2000, "buckets": 20000}
DRAWN = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_one(scale: float, profile: str, opens: int, seed: int) -> dict:
    from bench.synthetic import generate, write
    from s3audit.report.browser import Browser
    size = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    with tempfile.TemporaryDirectory(prefix="s3audit-report-bench-") as tmp:
        estate = os.path.join(tmp, "estate.json")
        write(generate(**size, seed=seed), estate)
        page = os.path.join(tmp, "report.html")
        load_before = os.getloadavg()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "s3audit", "report", estate, "--profile", profile, "-o", page],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"s3audit report failed ({proc.returncode}): {proc.stderr}")
        files = {p.name: p.stat().st_size for p in Path(tmp).iterdir() if p.name.startswith("report.")}
        loads, drawn = [], []
        with Browser(width=1280, height=900, timeout=300) as b:
            for _ in range(opens):
                b.open("about:blank")
                loads.append(b.open(Path(page).as_uri()))
                drawn.append(b.evaluate(DRAWN) / 1000)
            console = list(b.console)
            height = b.evaluate("document.documentElement.scrollHeight")
            shown = b.evaluate("document.querySelectorAll('details.finding').length")
        return {
            "scale": scale, **size, "profile": profile, "summary": proc.stderr.strip().splitlines()[-1],
            "generate_wall_s": round(wall, 2),
            "generate_cpu_s": round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 2),
            "peak_rss_mib": round(after.ru_maxrss / 1024),
            "bytes": files, "page_mb": round(files["report.html"] / 1e6, 2),
            "load_event_s": [round(x, 3) for x in loads], "load_event_median_s": round(statistics.median(loads), 3),
            "drawn_s": [round(x, 3) for x in drawn], "drawn_median_s": round(statistics.median(drawn), 3),
            "page_height_px": height, "findings_in_full": shown, "console": console,
            "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "machine": f"{os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}",
        }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, action="append", help="estate size, 1 = 20,000 buckets (repeatable)")
    ap.add_argument("--profile", default="default")
    ap.add_argument("--opens", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    for scale in args.scale or [0.1, 1.0]:
        print(json.dumps(run_one(scale, args.profile, args.opens, args.seed)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
