"""A bound on the CPU time one in-process run may take (the benches that feed s3audit many inputs count a run
past it as a hang instead of waiting for it)."""
from __future__ import annotations

import contextlib
import signal


class CpuLimitExceeded(Exception):
    """The run took more CPU time than its limit."""


def _raise(signum, frame):
    raise CpuLimitExceeded()


@contextlib.contextmanager
def cpu_limit(seconds: float):
    """Raise ``CpuLimitExceeded`` in the block once it has used ``seconds`` of CPU time (SIGPROF; main thread)."""
    previous = signal.signal(signal.SIGPROF, _raise)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
