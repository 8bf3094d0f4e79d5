"""`s3audit paths`: who can reach a bucket (or what a principal can reach), by any route, hop by hop.

Who can reach one bucket needs the principal stage and that bucket's own edges only (``graph/build.py``: the
data stage of a part is the whole's part), so ``--to`` builds no other bucket's. What principals can reach
(``--from`` alone) asks every bucket: with ``--workers`` or ``--scheduler`` (or by default on a large estate)
the buckets are split into tasks (``s3audit.shards``), with the same output.
"""
from __future__ import annotations

import sys

from ..errors import UsageError


def run(args) -> int:
    # Imported here: the graph and the engine are most of s3audit, which `s3audit --help` must not pay for.
    from ..gcpause import no_cyclic_gc
    from ..graph.build import assemble
    from ..graph.data_stage import build_data_graph, pair_data
    from ..graph.paths import RENDERERS, paths_from, paths_to, render_text, select_principals
    from ..shards.analysis import principal_stage
    from ..shards.units import data_resources, resources_of
    from . import _scale

    if not args.to and not args.from_:
        raise UsageError("give --to BUCKET (who can reach it) or --from PRINCIPAL (what it can reach)")
    if args.max_hops is not None and args.max_hops < 1:
        raise UsageError(f"--max-hops must be at least 1, found `{args.max_hops}`")
    loaded = _scale.load(args.snapshot)
    snap = loaded.snapshot
    engine, principals = principal_stage(snap)
    how = None if args.to else _scale.executors(args, snap)
    with no_cyclic_gc():
        if args.to:
            data = build_data_graph(snap, principals, resources_of(snap, [args.to]), engine)
        elif how is None:
            data = build_data_graph(snap, principals, data_resources(snap), engine)
        else:  # the data nodes only, to name them in the output; their edges are the tasks'
            data = build_data_graph(snap, principals, [], engine)
            data.nodes = pair_data(snap, principals, data_resources(snap), engine).order
        graph = assemble(principals, data, snap, engine)
    start = select_principals(graph, args.from_) if args.from_ else None
    if args.to:
        found = paths_to(graph, args.to, args.access, start, args.max_hops)
        heading = f"who can reach bucket {args.to} ({args.access} access)" + (
            f", starting from {args.from_}" if args.from_ else "")
    else:
        if how is None:
            found = paths_from(graph, start, args.access, args.max_hops)
        else:
            from ..shards.analysis import analyse
            workers, scheduler = how
            found = analyse(loaded.source(), rules=False, paths_from=(tuple(sorted(start)), args.access,
                                                                       args.max_hops),
                            workers=workers, scheduler=scheduler).paths
        heading = f"buckets that {args.from_} can reach ({args.access} access)"
    if args.format == "text":
        out = render_text(graph, found, heading=heading)
    else:
        out = RENDERERS[args.format](graph, found)
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return 0
