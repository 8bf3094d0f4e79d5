"""Holding Python's cyclic garbage collector while a reader builds a large tree of small objects.

Reading a configuration, template or plan makes millions of small objects (parse trees, values, the snapshot)
and frees few until the end; the cyclic collector would scan the growing heap again and again (over half the
time of reading 40,000 buckets). Reference counting still frees what becomes garbage; what the collector would
have found is found when it runs again, once the reader returns.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_held() -> Iterator[None]:
    """The cyclic collector off for the block (as it was before, after; nested uses are fine)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
