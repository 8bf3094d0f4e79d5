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
    """Runs lists of task calls and returns their results in order (``run``, or ``start`` and then
    ``results`` with this process's own work in between); a context manager."""

    def __init__(self, workers: int = 1, scheduler: str | None = None):
        self.workers = max(1, workers)
        self.scheduler = scheduler
        self._pool: Executor | None = None
        self._client: Any = None
        self._deaths = 0  # local pools broken by a lost worker: the second is the end of the run

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
        return self.start(fn, calls, what).results()

    def start(self, fn: Callable, calls: Sequence[tuple], what: Callable[[int], str] = lambda i: f"task {i}"
              ) -> "Pending":
        """Set ``fn(*args)`` going for each of ``calls``: this process goes on with its own work while the
        workers do them (in one process, they are done at once); ``results()`` waits for them."""
        pending = Pending(self, fn, list(calls), what)
        if not pending.calls:
            return pending
        if not self.parallel:
            pending.done = {i: fn(*args) for i, args in enumerate(pending.calls)}
        elif self.scheduler is not None:
            pending.futures = {self._pool.submit(fn, *args): i for i, args in enumerate(pending.calls)}
        else:
            self._submit(pending, range(len(pending.calls)))
        return pending

    # ---- a local pool: a lost worker breaks the pool; what did not finish runs again on a fresh one, once
    def _submit(self, pending: "Pending", indexes) -> None:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool
        while True:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_default_sigterm)
            pending.pool = self._pool
            try:
                pending.futures = {self._pool.submit(pending.fn, *pending.calls[i]): i for i in indexes}
                return
            except BrokenProcessPool:  # broken while another batch ran: this one goes to a fresh pool
                self._replace(pending, indexes)

    def _replace(self, pending: "Pending", missing) -> None:
        """The pool ``pending`` ran on broke: a fresh one, unless a worker had died before (``WorkerLost``)."""
        if pending.pool is self._pool:  # (another batch on the same pool may have replaced it already)
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._deaths += 1
        if self._deaths > 1:
            names = ", ".join(pending.what(i) for i in list(missing)[:3]) + (", ..." if len(missing) > 3 else "")
            raise WorkerLost(f"a worker process died again (one had died before and its tasks were rerun); "
                             f"unfinished: {names}; no findings were written. A worker killed by the "
                             f"system often means too little memory: try fewer --workers") from None

    def _collect_pool(self, pending: "Pending") -> None:
        from concurrent.futures.process import BrokenProcessPool
        while True:
            broken = False
            for f in _as_done(pending.futures):
                try:
                    pending.done[pending.futures[f]] = f.result()
                except BrokenProcessPool:
                    broken = True  # keep collecting what finished before the pool broke
            if not broken:
                return
            missing = [i for i in range(len(pending.calls)) if i not in pending.done]
            self._replace(pending, missing)
            self._submit(pending, missing)

    def _collect_dask(self, pending: "Pending") -> None:
        for f, i in pending.futures.items():
            try:
                pending.done[i] = f.result()
            except S3AuditError:
                raise
            except Exception as exc:
                if lost(exc):
                    raise WorkerLost(f"Dask workers were lost while running {pending.what(i)} and the scheduler gave "
                                     f"up rerunning it ({type(exc).__name__}: {exc}); no findings were written") from None
                raise


class Pending:
    """Calls set going by ``Runner.start``; ``results()`` waits for them and returns their results in order."""

    def __init__(self, runner: Runner, fn: Callable, calls: list[tuple], what: Callable[[int], str]) -> None:
        self.runner, self.fn, self.calls, self.what = runner, fn, calls, what
        self.futures: dict[Future, int] = {}
        self.done: dict[int, Any] = {}
        self.pool: Executor | None = None  # the local pool its futures are on

    def results(self) -> list:
        if len(self.done) < len(self.calls):
            if self.runner.scheduler is not None:
                self.runner._collect_dask(self)
            else:
                self.runner._collect_pool(self)
        return [self.done[i] for i in range(len(self.calls))]


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
