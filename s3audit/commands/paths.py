"""`s3audit paths`: who can reach a bucket (or what a principal can reach), by any route, hop by hop."""
from __future__ import annotations

import sys

from ..errors import UsageError


def run(args) -> int:
    # Imported here: the graph and the engine are most of s3audit, which `s3audit --help` must not pay for.
    from ..graph.build import build_graph
    from ..graph.paths import RENDERERS, paths_from, paths_to, render_text, select_principals
    from ._inputs import load_estate

    if not args.to and not args.from_:
        raise UsageError("give --to BUCKET (who can reach it) or --from PRINCIPAL (what it can reach)")
    if args.max_hops is not None and args.max_hops < 1:
        raise UsageError(f"--max-hops must be at least 1, found `{args.max_hops}`")
    graph = build_graph(load_estate(args))
    start = select_principals(graph, args.from_) if args.from_ else None
    if args.to:
        found = paths_to(graph, args.to, args.access, start, args.max_hops)
        heading = f"who can reach bucket {args.to} ({args.access} access)" + (
            f", starting from {args.from_}" if args.from_ else "")
    else:
        found = paths_from(graph, start, args.access, args.max_hops)
        heading = f"buckets that {args.from_} can reach ({args.access} access)"
    if args.format == "text":
        out = render_text(graph, found, heading=heading)
    else:
        out = RENDERERS[args.format](graph, found)
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return 0
