"""Long text made a piece at a time, for a file written as the pieces come (``fileio.write_atomic_pieces``).

A night's reports are hundreds of megabytes each; joined whole, each would be in memory once as text and again
as bytes. A piece of a few thousand items costs little to encode and write, and is a small part of any file.
"""
from __future__ import annotations

from typing import Iterator, Sequence

CHUNK = 4096  # items per piece


def joined(items: Sequence[str], separator: str) -> Iterator[str]:
    """``separator.join(items)``, in pieces of ``CHUNK`` items (and the separators between them)."""
    chunk = CHUNK
    for at in range(0, len(items), chunk):
        if at:
            yield separator
        yield separator.join(items[at:at + chunk])
