"""The per-user cache directory: things that are slow to rebuild and fully determined by their inputs.

A private directory (``$XDG_CACHE_HOME/s3audit``, else ``~/.cache/s3audit``, mode 0700, owned by the
user; never a guessable name in the shared temp directory, which another user could plant). Every entry
is keyed by a hash of everything it depends on, so a stale entry is never used, only ignored.
``S3AUDIT_NO_CACHE=1`` turns caching off; an unusable directory just means no cache.

Entries are small (empty "valid" markers, pickled rule files, Lark's tables) but one is added for every
new template a pre-merge hook sees, so the directory is pruned: at most once a day, entries not used for
``KEEP_DAYS`` are removed. A hit refreshes an entry's time (at most once a day, to keep hits cheap).
"""
from __future__ import annotations

import hashlib
import os
import time

KEEP_DAYS = 30
_DAY = 86400.0
_PRUNE_STAMP = ".pruned"


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
    _prune_daily(directory)
    return directory


def used(path: str) -> None:
    """Record that a cache entry was just used (so pruning keeps it); cheap, best effort."""
    try:
        if time.time() - os.stat(path).st_mtime > _DAY:
            os.utime(path)
    except OSError:
        pass


_pruned = False


def _prune_daily(directory: str) -> None:
    """Remove entries unused for KEEP_DAYS, at most once a day (a stamp file's time says when it ran)."""
    global _pruned
    if _pruned:
        return
    _pruned = True
    stamp = os.path.join(directory, _PRUNE_STAMP)
    now = time.time()
    try:
        if now - os.stat(stamp).st_mtime < _DAY:
            return
    except FileNotFoundError:
        pass
    except OSError:
        return
    prune(directory, now - KEEP_DAYS * _DAY)
    try:
        with open(stamp, "wb"):
            pass
    except OSError:
        pass


def prune(directory: str, older_than: float) -> int:
    """Remove the cache entries last used before ``older_than`` (a time); returns how many went."""
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        if entry.name == _PRUNE_STAMP or not entry.is_file(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime < older_than:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            pass  # another process removed or replaced it
    return removed


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
    if directory is None:
        return False
    path = os.path.join(directory, f"valid-{kind}-{digest}")
    if not os.path.isfile(path):
        return False
    used(path)
    return True


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
