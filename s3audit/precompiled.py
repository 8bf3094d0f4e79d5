"""The methods ``@dataclass`` writes for s3audit's classes, compiled when the package is built, not per process.

``dataclasses`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` (and for a frozen class
``__setattr__``, ``__delattr__``) as Python source and compiles it with ``exec`` as the class is defined: for
the ~150 classes a pre-merge check imports, a third of its CPU. ``precompiled.bin`` (written by
``python -m s3audit.build_precompiled``) holds the code object of every such source text s3audit's modules
produce, compiled exactly as ``exec`` compiles it (``compile(text, "<string>", "exec")``), keyed by the text
itself. ``install()`` gives the ``dataclasses`` module an ``exec`` that runs the shipped code object for a text it
knows and compiles any other text as before, so every class is made from the very same code, only sooner; a
class whose source changed since the file was built is just compiled again.

The file is package data (as trusted as the package's own ``.pyc`` files, never read from a user-writable
cache) and holds the bytecode of one Python version: its first bytes are that version's magic number, and on
any other version it is not read.
"""
from __future__ import annotations

import builtins
import os
import sys

FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "precompiled.bin")

_codes: dict | None = None


def _load() -> dict:
    """text -> code object, from the shipped file; empty when it is missing or made by another Python."""
    global _codes
    if _codes is None:
        _codes = {}
        try:
            import importlib.util
            import marshal
            with open(FILE, "rb") as fh:
                magic = importlib.util.MAGIC_NUMBER
                if fh.read(len(magic)) == magic:
                    loaded = marshal.loads(fh.read())
                    if isinstance(loaded, dict):
                        _codes = loaded
        except (OSError, ValueError, EOFError, TypeError):
            _codes = {}
    return _codes


def _exec(source, globals=None, locals=None, /, **kwargs):  # noqa: A002 - exec's own parameter names
    if globals is None:  # exec's default namespaces are its caller's, not this function's
        caller = sys._getframe(1)
        globals = caller.f_globals
        if locals is None:
            locals = caller.f_locals
    if type(source) is str and not kwargs:
        code = _load().get(source)
        if code is not None:
            return builtins.exec(code, globals, locals)
    return builtins.exec(source, globals, locals, **kwargs)


def install() -> None:
    """Let ``dataclasses`` find its compiled methods here (idempotent; a no-op if something else replaced its
    ``exec``)."""
    import dataclasses
    current = getattr(dataclasses, "exec", builtins.exec)
    if current is builtins.exec:
        dataclasses.exec = _exec
