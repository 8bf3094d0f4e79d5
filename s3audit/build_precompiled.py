"""Regenerate ``precompiled.bin`` (see ``precompiled.py``): import every module of the package in a fresh
interpreter, record each source text ``dataclasses`` compiles, and write the code objects, compiled as ``exec``
compiles them, after this Python's magic number.

    python -m s3audit.build_precompiled

Run it with the Python the package is built for; ``tests/test_precompiled.py`` fails when a dataclass's source is
missing from the file (a class added or changed since it was built).
"""
from __future__ import annotations

import subprocess
import sys

RECORD = r"""
import builtins, dataclasses, importlib, json, pkgutil, sys
texts = []
def record(source, globals=None, locals=None, /, **kwargs):
    if type(source) is str:
        texts.append(source)
    return builtins.exec(source, globals, locals, **kwargs)
dataclasses.exec = record
import s3audit
for info in pkgutil.walk_packages(s3audit.__path__, "s3audit."):
    if info.name.endswith(("__main__", "build_precompiled")):
        continue
    try:
        importlib.import_module(info.name)
    except Exception:  # an optional dependency that is not installed: its classes are compiled as before
        pass
json.dump(sorted(set(texts)), sys.stdout)
"""


def source_texts() -> list[str]:
    """Every source text ``dataclasses`` compiles while the package's modules are imported (in a fresh process, so
    that nothing is imported yet; the recorder stands in ``dataclasses.exec``, so ``precompiled.install`` leaves
    it there)."""
    import json
    import os
    # run from the directory holding this package, so that the child imports this s3audit and not another
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", RECORD], capture_output=True, text=True, check=True, cwd=here)
    return json.loads(done.stdout)


def build() -> bytes:
    import importlib.util
    import marshal
    # dont_inherit: exec compiles in dataclasses' module, which has no ``from __future__ import annotations``;
    # without it this module's future flag would be compiled in, and the methods' annotations become strings
    codes = {text: compile(text, "<string>", "exec", dont_inherit=True) for text in source_texts()}
    return importlib.util.MAGIC_NUMBER + marshal.dumps(codes)


def main() -> None:
    from .fileio import write_atomic
    from .precompiled import FILE
    write_atomic(FILE, build())


if __name__ == "__main__":
    main()
