"""Fault drills for the tests of lost workers: a task whose name an environment variable gives kills its own
process with SIGKILL, as the kernel's OOM killer would; ``NAME:MARKER`` does it only once (the first time,
creating the marker file). ``S3AUDIT_KILL_SHARD=I`` drills shard task I; ``S3AUDIT_KILL_ACCOUNT=ID`` the
collection of account ID on a cluster."""
from __future__ import annotations

import os
import signal


def kill_point(variable: str, name: str) -> None:
    spec = os.environ.get(variable)
    if not spec:
        return
    which, _, marker = spec.partition(":")
    if which != name:
        return
    if marker:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)
