"""Files shipped inside the package: rule packs, profiles, schemas, the grammar, the action catalogue.

Found beside this module rather than through ``importlib.resources``: s3audit is always installed as
plain files (a wheel is never imported zipped), and importlib.resources pulls in zipfile and threading,
which a pre-merge check does not otherwise need.
"""
from __future__ import annotations

import os

ROOT = os.path.dirname(os.path.abspath(__file__))


def path(*parts: str) -> str:
    """The absolute path of a packaged file or directory (``path("rules")``, ``path("iam", "data", ...)``)."""
    return os.path.join(ROOT, *parts)


def read_bytes(*parts: str) -> bytes:
    with open(path(*parts), "rb") as fh:
        return fh.read()


def read_text(*parts: str) -> str:
    with open(path(*parts), encoding="utf-8") as fh:
        return fh.read()
