"""Where things are in fixture files, found by plain text search: independent of the code under test, so a
test of a reported line:column cannot pass by asking the reader what it reported."""
from __future__ import annotations


def line_of(path: str, text: str, nth: int = 1) -> int:
    """The line number of the ``nth`` line of ``path`` that contains ``text``."""
    seen = 0
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if text in line:
                seen += 1
                if seen == nth:
                    return i
    raise AssertionError(f"{text!r} not in {path}")
