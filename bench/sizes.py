"""Shared driver for the size-scaled benchmarks: one child process per size, then a Markdown table."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent


def main(script: str, doc: str, run_one: Callable[[float, int], dict], cols: list[str], argv=None) -> int:
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--scale", type=float, action="append", help="size relative to the full estate (repeatable)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(run_one(a.scale[0], a.seed)))
        return 0
    rows = []
    for scale in a.scale or [0.1, 1.0]:
        # One process per size, so that peak memory is that size's own.
        out = subprocess.run([sys.executable, script, "--child", "--scale", str(scale), "--seed", str(a.seed)],
                             check=True, capture_output=True, text=True, cwd=ROOT)
        rows.append(json.loads(out.stdout))
        print(json.dumps(rows[-1]), file=sys.stderr)
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    return 0
