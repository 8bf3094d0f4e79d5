"""`s3audit paths`: who can reach a bucket (or what a principal can reach), by any route, hop by hop; with
``--all`` every route; with ``--cut`` the smallest set of grants that closes them, proved by rebuilding.

Who can reach one bucket needs the principal stage and that bucket's own edges only (``graph/build.py``: the
data stage of a part is the whole's part), so ``--to`` builds no other bucket's. What principals can reach
(``--from`` alone, best paths) asks every bucket: with ``--workers`` or ``--scheduler`` (or by default on a large
estate) the buckets are split into tasks (``s3audit.shards``), with the same output.
"""
from __future__ import annotations

import sys

from ..errors import UsageError

DEFAULT_LIMIT = 10


def run(args) -> int:
    if not args.to and not args.from_:
        raise UsageError("give --to BUCKET (who can reach it) or --from PRINCIPAL (what it can reach)")
    if args.max_hops is not None and args.max_hops < 1:
        raise UsageError(f"--max-hops must be at least 1, found `{args.max_hops}`")
    all_routes, cut = getattr(args, "all_routes", False), getattr(args, "cut", False)
    limit = getattr(args, "limit", None)
    if limit is not None and not all_routes:
        raise UsageError("--limit counts the routes of --all; give --all too")
    if cut and all_routes:
        raise UsageError("--cut closes every route already; give either --cut or --all")
    if cut and not args.to:
        raise UsageError("--cut needs --to BUCKET: the bucket whose routes to close")
    if cut and args.max_hops is not None:
        raise UsageError("--cut closes routes of every length; leave out --max-hops")
    if cut and args.format not in ("text", "json"):
        raise UsageError(f"--cut prints text or json, not {args.format}")
    if cut:
        from ._inputs import has_iac
        if has_iac(args) or args.live or not args.snapshot:
            raise UsageError("--cut proves its removals on a snapshot: give one, without IaC inputs")
        return _cut(args)
    # Imported here: the graph and the engine are most of s3audit, which `s3audit --help` must not pay for.
    from ..gcpause import no_cyclic_gc
    from ..graph.build import assemble
    from ..graph.data_stage import build_data_graph, pair_data
    from ..graph.paths import RENDERERS, paths_from, paths_to, render_text, select_principals
    from ..shards.analysis import principal_stage
    from ..shards.units import data_resources, resources_of
    from . import _scale
    from ._inputs import has_iac, load_estate

    if has_iac(args) or args.live or not args.snapshot:
        # an IaC change (on its own or over the live estate) is analysed in one process, as check's is
        snap, loaded = load_estate(args), None
    else:
        loaded = _scale.load(args.snapshot)
        snap = loaded.snapshot
    engine, principals = principal_stage(snap)
    how = None if args.to or all_routes or loaded is None else _scale.executors(args, snap)
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
    if all_routes:
        from ..graph.routes import routes_from, routes_to
        k = limit or DEFAULT_LIMIT
        if args.to:
            found = routes_to(graph, args.to, args.access, start, args.max_hops, k)
        else:
            found = routes_from(graph, start, args.access, args.max_hops, k)
    elif args.to:
        found = paths_to(graph, args.to, args.access, start, args.max_hops)
    elif how is None:
        found = paths_from(graph, start, args.access, args.max_hops)
    else:
        from ..shards.analysis import analyse
        workers, scheduler = how
        found = analyse(loaded.source(), rules=False, paths_from=(tuple(sorted(start)), args.access, args.max_hops),
                        workers=workers, scheduler=scheduler).paths
    if args.to:
        heading = f"who can reach bucket {args.to} ({args.access} access)" + (
            f", starting from {args.from_}" if args.from_ else "")
    else:
        heading = f"buckets that {args.from_} can reach ({args.access} access)"
    if all_routes:
        heading += f"; every route, at most {limit or DEFAULT_LIMIT} per principal" + ("" if args.to else " and bucket")
    if args.format == "text":
        out = render_text(graph, found, heading=heading)
    else:
        out = RENDERERS[args.format](graph, found)
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return 0


def _cut(args) -> int:
    from ..fileio import parse_json, read_text
    from ..graph.cut import render_cut_json, render_cut_text, smallest_cut
    from ..snapshot.load import snapshot_from_dict

    document = parse_json(read_text(args.snapshot), str(args.snapshot))
    snapshot = snapshot_from_dict(document, file=str(args.snapshot))
    result = smallest_cut(document, snapshot, args.to, args.access, args.from_)
    out = render_cut_json(result) if args.format == "json" else render_cut_text(result)
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return 0
