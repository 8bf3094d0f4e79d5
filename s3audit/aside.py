"""Work done aside, in a forked copy of this process, while the process goes on with other work.

A scan writes several reports of the whole estate (HTML, SARIF beside findings.json and diff.json) from the
same objects. A forked child shares them copy-on-write, so nothing is pickled or sent to it: it renders and
writes its files, while the parent writes the others on the other core. What the child returns comes back
pickled (``Child.value``, once waited for: a digest, an index of what it wrote). What the child raises is
raised again in the parent by ``wait`` (an OutputError stays bad input; anything else is an internal error),
and a child that dies (killed, out of memory) fails the run: the parent never records a run whose files were
not all written.

Only on Linux (``fork`` is safe there and the copy is cheap); elsewhere the work runs at once, in order.
"""
from __future__ import annotations

import os
import pickle
import signal
import sys
from typing import Any, Callable


def available() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class Child:
    """One piece of work started aside: ``value`` is what it returned, once ``Aside.wait`` has seen it end."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.value: Any = None


class Aside:
    """``start(work, what)`` runs ``work()`` in a forked child; ``wait()`` waits for every child and raises the
    first failure. Used as a context manager, children still running when the block fails are killed.

    At most ``at_most`` children run at once (``start`` waits for the oldest first): each child copies the
    pages of the parent's objects it touches, which at an estate's size is a good part of the parent's memory."""

    def __init__(self, at_most: int = 2) -> None:
        self._children: list[tuple[int, int, Child]] = []  # (pid, read end of its pipe, the work)
        self.at_most = max(1, at_most)

    def start(self, work: Callable[[], Any], what: str) -> Child:
        child = Child(what)
        if not available():
            child.value = work()
            return child
        while len(self._children) >= self.at_most:
            self._reap_oldest()
        sys.stdout.flush()
        sys.stderr.flush()  # nothing buffered is written twice
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: the work, its outcome down the pipe, and out without any of the parent's code
            status = 1  # 0 only once the outcome is all down the pipe
            try:
                os.close(r)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                try:
                    payload = pickle.dumps((True, work()), protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException as exc:  # raised again in the parent
                    payload = _pickled(exc)
                with os.fdopen(w, "wb") as fh:
                    fh.write(payload)
                status = 0
            finally:
                os._exit(status)
        os.close(w)
        self._children.append((pid, r, child))
        return child

    def wait(self) -> None:
        while self._children:
            self._reap_oldest()

    def _reap_oldest(self) -> None:
        failure = _reap(*self._children[0])
        self._children.pop(0)  # (only once reaped: interrupted before, kill() still ends it)
        if failure is not None:
            self.kill()  # the run fails: the others stop writing into it
            raise failure

    def kill(self) -> None:
        children, self._children = self._children, []
        for pid, r, _ in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass  # it had ended
            try:
                os.close(r)
                os.waitpid(pid, 0)
            except OSError:
                pass  # already closed and waited for, by a reap that was interrupted

    def __enter__(self) -> "Aside":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is not None:
            self.kill()
        else:
            self.wait()


def _reap(pid: int, r: int, child: Child) -> BaseException | None:
    """Wait for a child to end: what it returned goes to ``child.value``; what it raised (or how it died) is
    returned."""
    with os.fdopen(r, "rb") as fh:
        payload = fh.read()
    _, status = os.waitpid(pid, 0)
    if payload and status == 0:
        ok, value = pickle.loads(payload)  # from our own child, through a pipe only it and we hold
        if ok:
            child.value = value
            return None
        return value
    # killed, or died before it had said how its work ended
    return RuntimeError(f"the process writing {child.what} ended before it had written it ({_how(status)})")


def _pickled(exc: BaseException) -> bytes:
    try:
        payload = pickle.dumps((False, exc))
        pickle.loads(payload)
        return payload
    except Exception:  # an exception that does not travel: its words do
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(sig).name}"
        except ValueError:
            return f"killed by signal {sig}"
    return f"exit status {os.WEXITSTATUS(status)}"
