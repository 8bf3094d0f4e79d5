#!/usr/bin/env python3
"""Measure the escalation catalogue (tests/graph/catalogue.py): how many techniques a source tree finds, and how
many negative twins it gives a false path.

    python3 bench/catalogue_bench.py                    # this tree
    python3 bench/catalogue_bench.py --tree /tmp/main   # another source tree (e.g. `git archive main`), same cases

Each case and each twin is its own estate (as tests/graph/test_techniques.py builds them): a technique is
*found* when its attacker reaches the vault; a twin has a *false path* when its attacker does. The whole
catalogue as one estate, and (where the tree's ``paths`` reads Terraform) the catalogue's Terraform directory
through ``s3audit paths --terraform``, are measured the same way. Prints the figures and the names behind them.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", type=Path, default=ROOT, help="the source tree whose s3audit is measured")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.graph import catalogue as cat  # the cases: plain data, no s3audit import

    sys.path.insert(0, str(a.tree.resolve()))
    for name in [m for m in sys.modules if m == "s3audit" or m.startswith("s3audit.")]:
        del sys.modules[name]
    from s3audit.graph.build import build_graph
    from s3audit.graph.paths import paths_to
    from s3audit.snapshot.load import snapshot_from_dict

    def reaches(who: list, graph=None) -> set[str]:
        graph = graph or build_graph(snapshot_from_dict(cat.snapshot_document(who), file="<catalogue>"))
        start = {cat.iam(f"user/{x.user}") for x in who}
        return {p.principal.rsplit("/", 1)[-1] for p in paths_to(graph, cat.VAULT, "read", start)}

    c0 = time.process_time()
    positives = [cat.Attacker(c) for c in cat.CASES]
    twins = [cat.Attacker(c, t) for c in cat.CASES for t in cat.twins(c)]
    missed = [x.case.name for x in positives if x.user not in reaches([x])]
    false = [x for x in twins if x.user in reaches([x])]
    kind = lambda t: "missing-permission" if t.startswith("missing-") else t  # noqa: E731
    by_kind, false_by_kind = Counter(kind(x.twin) for x in twins), Counter(kind(x.twin) for x in false)
    together = cat.attackers()
    found_together = reaches(together)
    print(f"source tree: {a.tree.resolve()}")
    print(f"techniques found: {len(positives) - len(missed)} of {len(positives)}"
          + (f" (missed: {', '.join(missed)})" if missed else ""))
    print(f"negative twins with a false path: {len(false)} of {len(twins)}"
          + (f" ({', '.join(x.user for x in false)})" if false else ""))
    for k in sorted(by_kind):
        print(f"  {k:<20} {false_by_kind[k]} of {by_kind[k]}")
    print(f"the catalogue as one estate: {sum(x.user in found_together for x in together if x.twin is None)} of "
          f"{len(positives)} techniques found, {sum(x.user in found_together for x in together if x.twin)} of "
          f"{sum(1 for x in together if x.twin)} twins with a false path")
    print(_terraform(cat))
    print(f"cpu: {time.process_time() - c0:.1f} s")
    return 0


def _terraform(cat) -> str:
    """The catalogue's Terraform directory through ``paths --terraform`` (only twins that do not change the shared
    estate are in it)."""
    from s3audit.cli import main as cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli(["paths", "--terraform", str(ROOT / "fixtures" / "escalation" / "terraform"), "--to", cat.VAULT,
                        "--access", "read", "--format", "json"])
        except SystemExit as e:  # a tree whose paths has no --terraform: argparse's usage error
            code = e.code
    if code != 0:
        why = (err.getvalue().strip().splitlines() or ["no message"])[-1]
        return f"terraform directory: not read by this tree ({why})"
    found = {p["principal"].rsplit("/", 1)[-1] for p in json.loads(out.getvalue())["paths"]}
    who = cat.attackers()
    pos, neg = [x for x in who if x.twin is None], [x for x in who if x.twin]
    return (f"terraform directory (paths --terraform): {sum(x.user in found for x in pos)} of {len(pos)} techniques "
            f"found, {sum(x.user in found for x in neg)} of {len(neg)} twins with a false path")


if __name__ == "__main__":
    raise SystemExit(main())
