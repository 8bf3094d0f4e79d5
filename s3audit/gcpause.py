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


_until_exit = False


def keep_paused_until_exit() -> None:
    """For a process that ends with its command: a block that paused the collector leaves it paused. Turned
    back on, the collector would soon walk every object the block made (all of them wait in its youngest
    generation, which the pause let grow): about a second at the end of a nightly scan, for a process about to
    exit. Commands that never pause it (``collect``) keep collecting as usual."""
    global _until_exit
    _until_exit = True


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled and not _until_exit:
            gc.enable()
