"""Lark, imported without the optional ``regex`` module.

Lark imports ``regex`` whenever it is installed (python-hcl2 installs it), which costs a pre-merge check more
than a tenth of its start-up. Lark only uses it for a parser built with ``regex=True`` (neither of s3audit's
parsers is: their lexers use ``re``) and to measure terminals written with Unicode categories (``\\p{L}``)
when it compiles a grammar (neither grammar has one, and ``re`` could not lex them). So Lark is imported
with ``regex`` hidden; once it is loaded, ``regex`` can be imported as usual.
"""
from __future__ import annotations

import sys


def import_lark() -> None:
    """Import the ``lark`` package, unless it already is, without letting it import ``regex``."""
    if "lark" in sys.modules:
        return
    hide = "regex" not in sys.modules
    if hide:
        sys.modules["regex"] = None  # type: ignore[assignment]  # `import regex` raises ImportError
    try:
        import lark  # noqa: F401
    finally:
        if hide and sys.modules.get("regex", 0) is None:
            del sys.modules["regex"]
