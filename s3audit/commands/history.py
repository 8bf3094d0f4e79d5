"""``s3audit history DIR``: the trend of a scan history — findings per day, per severity, per rule and per
account (text, or JSON with ``--format json``). Exit status 0, or 2 when DIR is not a history."""
from __future__ import annotations

import os
import sys

from ..errors import InputError, Place


def run(args) -> int:
    from .. import history as hist
    from ..report.json import dumps

    if not os.path.isdir(args.history):
        raise InputError("no such history directory", Place(args.history))
    if not os.path.exists(os.path.join(args.history, hist.INDEX)):
        raise InputError(f"not a scan history: no {hist.INDEX} (written by `s3audit scan --history DIR`)",
                         Place(args.history))
    from ._audit import warn
    summary = hist.summarise(hist.load_index(args.history, warn=warn), args.days)
    out = dumps(summary) if args.format == "json" else hist.render_text(summary, args.history)
    sys.stdout.write(out)
    return 0
