"""Where tasks run: in this process, on a local process pool (``--workers N``), or on a Dask cluster
(``--scheduler ADDRESS``). The pool and the cluster are both a ``concurrent.futures.Executor`` (Dask's
``Client.get_executor()``), so one loop submits to either.

A lost worker never yields partial findings: on a local pool, the tasks that did not finish are run again on
a fresh pool, once; on Dask, the scheduler reruns the tasks of a lost worker itself (its
``distributed.scheduler.allowed-failures``). When that is not enough the run stops with ``WorkerLost`` (exit
status 2, and nothing written). Dask is imported only here, and only for ``--scheduler``.
"""
from __future__ import annotations

from concurrent.futures import Executor, Future, wait
from typing import Any, Callable, Sequence

from ..errors import S3AuditError

CONNECT_TIMEOUT = 30.0  # seconds to reach the scheduler and see a first worker


class WorkerLost(S3AuditError):
    kind = "worker"


class Runner:
    """Runs lists of task calls and returns their results in order (``run``); a context manager."""

    def __init__(self, workers: int = 1, scheduler: str | None = None):
        self.workers = max(1, workers)
        self.scheduler = scheduler
        self._pool: Executor | None = None
        self._client: Any = None

    @property
    def parallel(self) -> bool:
        return self.scheduler is not None or self.workers > 1

    def capacity(self) -> int:
        """How many tasks can run at once: the pool's processes, or the cluster's worker threads."""
        if self._client is not None:
            return max(1, sum(self._client.nthreads().values()))
        return self.workers

    def __enter__(self) -> "Runner":
        if self.scheduler is not None:
            self._client = connect(self.scheduler)
            self._pool = self._client.get_executor(pure=False)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = self._pool = None
        elif self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(self, fn: Callable, calls: Sequence[tuple], what: Callable[[int], str] = lambda i: f"task {i}") -> list:
        """``[fn(*args) for args in calls]``, on the workers."""
        if not calls:
            return []
        if not self.parallel:
            return [fn(*args) for args in calls]
        if self.scheduler is not None:
            return self._run_dask(fn, calls, what)
        from concurrent.futures.process import BrokenProcessPool  # only for a pool: small runs never import it
        results: dict[int, Any] = {}
        for attempt in (1, 2):
            pending = [i for i in range(len(calls)) if i not in results]
            try:
                self._run_pool(fn, calls, pending, results)
                break
            except BrokenProcessPool:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
                missing = [i for i in range(len(calls)) if i not in results]
                if attempt == 2:
                    names = ", ".join(what(i) for i in missing[:3]) + (", ..." if len(missing) > 3 else "")
                    raise WorkerLost(f"a worker process died again (one had died before and its tasks were rerun); "
                                     f"unfinished: {names}; no findings were written. A worker killed by the "
                                     f"system often means too little memory: try fewer --workers") from None
        return [results[i] for i in range(len(calls))]

    def _run_pool(self, fn: Callable, calls: Sequence[tuple], pending: list[int], results: dict) -> None:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_default_sigterm)
        futures: dict[Future, int] = {self._pool.submit(fn, *calls[i]): i for i in pending}
        broken = None
        for f in _as_done(futures):
            try:
                results[futures[f]] = f.result()
            except BrokenProcessPool as exc:
                broken = exc  # keep collecting what finished before the pool broke
        if broken is not None:
            raise broken

    def _run_dask(self, fn: Callable, calls: Sequence[tuple], what: Callable[[int], str]) -> list:
        futures = [self._pool.submit(fn, *args) for args in calls]
        out = []
        for i, f in enumerate(futures):
            try:
                out.append(f.result())
            except S3AuditError:
                raise
            except Exception as exc:
                if lost(exc):
                    raise WorkerLost(f"Dask workers were lost while running {what(i)} and the scheduler gave up "
                                     f"rerunning it ({type(exc).__name__}: {exc}); no findings were written") from None
                raise
        return out


def _as_done(futures: dict[Future, int]):
    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when="FIRST_COMPLETED")
        yield from sorted(done, key=futures.__getitem__)


def _default_sigterm() -> None:
    """A pool worker dies of SIGTERM, as the pool expects when it ends a broken pool's workers: the CLI's own
    handler, inherited through fork, would raise in the worker instead, and a worker blocked writing a result
    then never exits (the pool waits for it forever)."""
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _context():
    """Fork where the platform has it: the workers inherit the snapshot, engine and principal stage the parent
    has made (``worker.prepare``) instead of each reading and building them again."""
    import multiprocessing
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def lost(exc: BaseException) -> bool:
    """Whether a task's exception says its worker was lost (and the scheduler gave up rerunning it)."""
    name = type(exc).__name__
    return name in ("KilledWorker", "CommClosedError", "FutureCancelledError", "CancelledError") or \
        isinstance(exc, (OSError, TimeoutError))


def connect(address: str):
    """A Dask client of the scheduler at ``address``, once it has a worker running this very s3audit."""
    try:
        from distributed import Client
    except ImportError:
        raise S3AuditError("--scheduler needs Dask's distributed scheduler: pip install 's3audit[cluster]'") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise S3AuditError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError):
        client.close()
        raise S3AuditError(f"the Dask scheduler at {address} has no workers (waited {CONNECT_TIMEOUT:.0f} s): start "
                           f"some with `dask worker {address}`") from None
    from .worker import describe_worker
    mine = describe_worker()
    theirs = client.run(describe_worker)
    odd = sorted(w for w, d in theirs.items() if d != mine)
    if odd:
        client.close()
        raise S3AuditError(f"the Dask workers {', '.join(odd)} run another version of s3audit than this one; "
                           f"install the same on every worker")
    return client
