"""``no_cyclic_gc()``: run a block with Python's cyclic garbage collector paused.

The builds and runs that hold a whole estate in memory (the snapshot, compiled policies, the access graph)
make millions of objects that live on; each full collection walks all of them again, so the collector's
cost grows with the square of the estate (about a quarter of the graph build's CPU at 2,000 buckets, more
above). Those blocks make almost no cyclic garbage (reference counting frees what they drop), so pausing
the collector for their duration loses nothing. Nested uses are fine: only the outermost re-enables it.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
