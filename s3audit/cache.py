"""The per-user cache directory: things that are slow to rebuild and fully determined by their inputs.

A private directory (``$XDG_CACHE_HOME/s3audit``, else ``~/.cache/s3audit``, mode 0700, owned by the
user; never a guessable name in the shared temp directory, which another user could plant). Every entry
is keyed by a hash of everything it depends on, so a stale entry is never used, only ignored.
``S3AUDIT_NO_CACHE=1`` turns caching off; an unusable directory just means no cache.
"""
from __future__ import annotations

import hashlib
import os


def cache_dir() -> str | None:
    """The cache directory (created if missing), or None when caching is off or the directory is unusable."""
    if os.environ.get("S3AUDIT_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "s3audit")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        if not os.access(directory, os.W_OK) or os.stat(directory).st_uid != os.getuid():
            return None
    except OSError:
        return None
    return directory


def key(*parts: str | bytes) -> str:
    """A hex digest of ``parts`` (each length-prefixed, so no two different part lists collide by joining)."""
    h = hashlib.sha256()
    for p in parts:
        b = p.encode("utf-8") if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)
    return h.hexdigest()


def known_valid(kind: str, digest: str) -> bool:
    """Whether a document with this digest was validated before and found valid (only successes are kept)."""
    directory = cache_dir()
    return directory is not None and os.path.isfile(os.path.join(directory, f"valid-{kind}-{digest}"))


def remember_valid(kind: str, digest: str) -> None:
    """Record that the document with this digest is valid; a failure to write is not an error."""
    directory = cache_dir()
    if directory is None:
        return
    try:
        with open(os.path.join(directory, f"valid-{kind}-{digest}"), "wb"):
            pass
    except OSError:
        pass
